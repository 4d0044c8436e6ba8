package httpsource

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Page is a listing's answer in the agency APIs' convention:
// {"data":[…],"next_page_token":"…"}, the last page without a token.
type Page[T any] struct {
	Data          []T    `json:"data"`
	NextPageToken string `json:"next_page_token"`
}

// Record is what walking a listing needs of each record.
type Record interface {
	// RecordKey identifies the record within the listing (client/id).
	RecordKey() string
	// RecordTime is the time the listing orders and filters by
	// (updated_at); nil when the record lacks it.
	RecordTime() *time.Time
}

// Place is where a listing resumes, kept in a plugin's cursor: the lower
// bound of its next walk and, during a walk, the next page.
type Place struct {
	Since time.Time `json:"since,omitzero"`
	// SinceIDs are the records updated exactly at Since that are stored
	// already: the filter is inclusive, so the next walk gets them again
	// and skips them, while one updated later is a change and is kept.
	SinceIDs  []string `json:"since_ids,omitempty"`
	PageToken string   `json:"page_token,omitempty"`
	// Seen and SeenIDs are the newest record time of the walk in
	// progress and the records at it: the next Since and SinceIDs.
	Seen    time.Time `json:"seen,omitzero"`
	SeenIDs []string  `json:"seen_ids,omitempty"`
}

// Listing walks one listing of an agency API: pages in order of a record
// time, filtered by an inclusive "since" parameter, with page tokens.
type Listing[T Record] struct {
	Client *Client
	// URL is the listing's URL without query.
	URL *url.URL
	// SinceParam names the filter ("updated_since"); Limit is the page size.
	SinceParam string
	Limit      int
	// Page handles one page's new records; next is the place to store
	// with what it emits. An error from the page's records stops the walk
	// before next is stored. A HostGone error stops it too.
	Page func(pageNo int, records []T, next Place) error
}

// ErrPageRefused marks an error about a page's content; the walk stops and
// the cursor stays before the page.
var ErrPageRefused = errors.New("refused (the cursor stays before it)")

// Walk walks the listing from place to its end and returns how many new
// records it handed to Page. A page token the API refuses (they expire)
// starts the walk again from Since.
func (l *Listing[T]) Walk(ctx context.Context, place Place) (int, error) {
	records := 0
	for pageNo := 1; ; pageNo++ {
		var p Page[T]
		err := l.Client.GetJSON(ctx, l.pageURL(place), &p)
		if err != nil && place.PageToken != "" && FailureOf(err) == Rejected {
			l.Client.logger.Warn("page token refused; starting the listing again", "url", redact(l.URL.String()), "err", err)
			place.PageToken = ""
			continue
		}
		if err != nil {
			return records, err
		}
		next := place
		fresh := freshRecords(&next, p.Data)
		next.PageToken = p.NextPageToken
		if next.PageToken == "" && !next.Seen.IsZero() {
			// Walk done: the next one starts at the newest record seen.
			next.Since, next.SinceIDs = next.Seen, next.SeenIDs
			next.Seen, next.SeenIDs = time.Time{}, nil
		}
		if err := l.Page(pageNo, fresh, next); err != nil {
			if errors.Is(err, ErrPageRefused) {
				return records, fmt.Errorf("page %d %w", pageNo, err)
			}
			return records, err
		}
		place = next
		records += len(fresh)
		if place.PageToken == "" {
			return records, nil
		}
	}
}

// freshRecords drops the records p has stored already, and notes the
// newest of the rest in p.Seen.
func freshRecords[T Record](p *Place, records []T) []T {
	var out []T
	for _, r := range records {
		key, at := r.RecordKey(), r.RecordTime()
		if at != nil && at.Equal(p.Since) && slices.Contains(p.SinceIDs, key) {
			continue
		}
		out = append(out, r)
		if at == nil {
			continue // the plugin refuses the page
		}
		switch t := at.UTC(); {
		case t.After(p.Seen):
			p.Seen, p.SeenIDs = t, []string{key}
		case t.Equal(p.Seen) && !slices.Contains(p.SeenIDs, key):
			p.SeenIDs = append(p.SeenIDs, key)
		}
	}
	return out
}

func (l *Listing[T]) pageURL(place Place) string {
	u := *l.URL
	q := url.Values{"limit": {strconv.Itoa(l.Limit)}}
	if !place.Since.IsZero() {
		q.Set(l.SinceParam, place.Since.UTC().Format(time.RFC3339Nano))
	}
	if place.PageToken != "" {
		q.Set("page_token", place.PageToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
