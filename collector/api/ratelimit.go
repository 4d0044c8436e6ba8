package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ingestLimits are a token bucket per API token for POST /api/v1/events,
// so one runaway client cannot take the writer from everyone else.
type ingestLimits struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	byToken map[string]*rate.Limiter
}

// maxTrackedTokens bounds byToken: past it, the buckets that are full again
// (tokens idle long enough to have lost nothing) are dropped.
const maxTrackedTokens = 10_000

func newIngestLimits(perSecond float64, burst int) *ingestLimits {
	if perSecond <= 0 {
		return nil // no limit
	}
	return &ingestLimits{limit: rate.Limit(perSecond), burst: max(burst, 1), byToken: map[string]*rate.Limiter{}}
}

// allow takes one request from token's bucket at now, or says how long
// until one is there (Retry-After).
func (l *ingestLimits) allow(token string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.byToken[token]
	if lim == nil {
		if len(l.byToken) >= maxTrackedTokens {
			l.dropIdle(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.byToken[token] = lim
	}
	r := lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // a refused request takes nothing from the bucket
		return false, delay
	}
	return true, 0
}

func (l *ingestLimits) dropIdle(now time.Time) {
	for token, lim := range l.byToken {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.byToken, token)
		}
	}
}
