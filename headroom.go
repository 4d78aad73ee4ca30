package routex

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routex/routex/balancer"
	"github.com/routex/routex/breaker"
)

// headroom remembers the channels whose last answer said a rate limit was
// nearly used up, until that limit resets, so that the balancer's order
// puts them after the channels with room to spare.
type headroom struct {
	n   atomic.Int32 // len(low), read without the lock on every request
	mu  sync.Mutex
	low map[string]time.Time // channel ID → when its limit resets
}

// lowFallback is how long a low limit that gives no reset time counts.
const lowFallback = time.Minute

// lowRepost is how far a low limit's reset must move to be posted again to
// the other instances: every answer carries it, most only a moment later.
const lowRepost = time.Second

// noteHeadroom reads the rate-limit headers of a successful answer from
// channel id: an exhausted limit rate-limits the channel until it resets
// (the next request would be refused), a low one lowers the channel in the
// order. The other instances are told of both.
func (c *Client) noteHeadroom(id string, h http.Header) {
	now := c.s.now()
	low, exhausted, until := breaker.Headroom(h, now)
	if until.IsZero() {
		until = now.Add(lowFallback)
	}
	if exhausted {
		c.breakers.RateLimit(id, until)
		c.noteHealth(id, HealthRateLimited, until)
	}
	if !low && c.headroom.n.Load() == 0 {
		return
	}
	if !low {
		until = time.Time{}
	}
	if c.headroom.set(id, until, now) {
		c.noteHealth(id, HealthLow, until)
	}
}

// set records that channel id's headroom is low until then, or, for a
// time not after now, that it is not low. It reports whether that changed
// what others should know: the channel turned low or not, or its reset
// moved by more than a second.
func (hr *headroom) set(id string, until, now time.Time) (changed bool) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	old, was := hr.low[id]
	if until.After(now) {
		if hr.low == nil {
			hr.low = make(map[string]time.Time)
		}
		hr.low[id] = until
		changed = !was || until.Sub(old).Abs() > lowRepost
	} else {
		delete(hr.low, id)
		changed = was && old.After(now)
	}
	hr.n.Store(int32(len(hr.low)))
	return changed
}

// lows returns the channels whose headroom is low at now, and until when.
func (hr *headroom) lows(now time.Time) map[string]time.Time {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	out := make(map[string]time.Time, len(hr.low))
	for id, u := range hr.low {
		if u.After(now) {
			out[id] = u
		}
	}
	return out
}

// lowUntil returns when channel id's low limit resets, or the zero time.
func (hr *headroom) lowUntil(id string, now time.Time) time.Time {
	if hr.n.Load() == 0 {
		return time.Time{}
	}
	hr.mu.Lock()
	defer hr.mu.Unlock()
	u, ok := hr.low[id]
	if !ok {
		return time.Time{}
	}
	if !u.After(now) {
		delete(hr.low, id)
		hr.n.Store(int32(len(hr.low)))
		return time.Time{}
	}
	return u
}

// preferRoom moves the candidates with low headroom after the others,
// keeping the balancer's order within each group.
func (c *Client) preferRoom(cands []balancer.Candidate) {
	if c.headroom.n.Load() == 0 || len(cands) < 2 {
		return
	}
	now := c.s.now()
	slices.SortStableFunc(cands, func(a, b balancer.Candidate) int {
		la, lb := !c.headroom.lowUntil(a.ID, now).IsZero(), !c.headroom.lowUntil(b.ID, now).IsZero()
		switch {
		case la == lb:
			return 0
		case lb:
			return -1
		}
		return 1
	})
}
