package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// postEvents is push ingest: the whole body is validated first, then stored
// in one transaction, or nothing is stored.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, tok store.Token) {
	source := "api"
	// refuse answers an error and counts the refused batch by its code.
	refuse := func(status int, code, message string, details []sdk.Problem) {
		s.Ingester.Reject(source, code, errors.New(message))
		writeError(w, status, code, message, details)
	}
	if ok, wait := s.ingestLimits.allow(tok.ID, s.now()); !ok {
		dropUnreadBody(w, r)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		refuse(http.StatusTooManyRequests, apiv1.CodeRateLimited, fmt.Sprintf("this token sent more than %g batches a second (at most %d at once); retry in %s",
			s.IngestRate, s.IngestBurst, wait.Round(time.Millisecond)), nil)
		return
	}
	if q := r.URL.Query().Get("source"); q != "" {
		if !sdk.ValidSourceName(q) {
			dropUnreadBody(w, r)
			refuse(http.StatusBadRequest, apiv1.CodeInvalidSource, "source must be lower-case letters, digits, '-' or '_' (at most 32)", nil)
			return
		}
		source = "api-" + q
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes), r.ContentLength, s.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(http.StatusRequestEntityTooLarge, apiv1.CodeBodyTooLarge, fmt.Sprintf("body larger than %d bytes; split the batch", s.MaxBodyBytes), nil)
			return
		}
		refuse(http.StatusBadRequest, apiv1.CodeBadBody, "reading body: "+err.Error(), nil)
		return
	}
	batch, ok := fastBatch(body)
	if !ok {
		// Something fastBatch leaves to the walk and the item-by-item
		// decoding, which name the problem if there is one.
		if p := checkJSON(body); p != nil {
			refuse(http.StatusBadRequest, apiv1.CodeMalformedJSON, p.Path+": "+p.Message, []sdk.Problem{*p})
			return
		}
		var problems []sdk.Problem
		if batch, problems = decodeBatch(body); len(problems) > 0 {
			refuse(http.StatusBadRequest, apiv1.CodeInvalidBatch, fmt.Sprintf("%d problem(s), first: %s: %s", len(problems), problems[0].Path, problems[0].Message), problems)
			return
		}
	}
	// A token writes only its own tenant; a missing tenant means the token's.
	var foreign []sdk.Problem
	claim := func(list string, i int, tenant *string) {
		switch *tenant {
		case "":
			*tenant = tok.Tenant
		case tok.Tenant:
		default: // the path is spelled out only for a refusal
			foreign = append(foreign, sdk.Problem{Path: fmt.Sprintf("%s[%d].tenant", list, i), Message: "this token may only write tenant " + tok.Tenant})
		}
	}
	for i := range batch.Events {
		claim("events", i, &batch.Events[i].Tenant)
	}
	for i := range batch.Entities {
		claim("entities", i, &batch.Entities[i].Tenant)
	}
	for i := range batch.DailyMetrics {
		claim("daily_metrics", i, &batch.DailyMetrics[i].Tenant)
	}
	if len(foreign) > 0 {
		refuse(http.StatusForbidden, apiv1.CodeWrongTenant, foreign[0].Path+": "+foreign[0].Message, foreign)
		return
	}
	res, err := s.Ingester.Apply(r.Context(), source, batch)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	inserted := 0
	for _, n := range res.EventsInserted {
		inserted += n
	}
	writeJSON(w, http.StatusOK, apiv1.PushResponse{
		Source:       source,
		Events:       len(batch.Events),
		NewEvents:    inserted,
		Duplicates:   res.EventsDuplicate,
		Expired:      res.EventsExpired,
		Entities:     res.Entities,
		DailyMetrics: res.DailyMetrics,
	})
}

// writeStoreError answers a batch the store refused: what was wrong with
// it, or why it could not be stored now and when to retry.
func writeStoreError(w http.ResponseWriter, err error) {
	var verr *sdk.ValidationError
	switch {
	case errors.As(err, &verr):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidBatch, verr.Error(), verr.Problems)
	case errors.Is(err, store.ErrLocked):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, apiv1.CodeDatabaseLocked, "the database is locked by another process; nothing was stored, retry", nil)
	case errors.Is(err, store.ErrDiskFull):
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, apiv1.CodeDiskFull, "the disk holding the database is full; nothing was stored, retry once there is room", nil)
	default:
		writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "storing the batch failed; nothing was stored", nil)
	}
}

// readBody reads r whole, into a buffer of the announced length when it is
// within the limit (io.ReadAll would grow one from 512 bytes, copying).
func readBody(r io.Reader, announced, limit int64) ([]byte, error) {
	if announced <= 0 || announced > limit {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, announced+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
