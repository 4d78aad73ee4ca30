package routex

import (
	"fmt"
	"sync"
	"time"
)

// Limit caps a channel's use within each window of Per: a quota the
// embedding program sets, such as an account's requests per minute or
// tokens per day. Windows are fixed intervals of UTC time (a minute window
// rolls at the top of each minute, a day window at midnight UTC), so that
// they match how providers reset theirs. A channel over any of its limits
// is skipped until the window rolls.
type Limit struct {
	Per time.Duration `json:"per"`
	// Requests is the most requests sent in one window; 0 means no cap.
	// Every attempt counts, failed ones included: the provider counts them
	// too.
	Requests int64 `json:"requests,omitempty"`
	// Tokens is the most tokens (input, output and cache) used in one
	// window; 0 means no cap. Tokens are known only once a response ends,
	// so requests already under way when the cap is reached may pass it.
	Tokens int64 `json:"tokens,omitempty"`
}

func (l Limit) validate() error {
	switch {
	case l.Per < time.Second:
		return fmt.Errorf("per must be at least a second, not %v", l.Per)
	case l.Requests < 0 || l.Tokens < 0:
		return fmt.Errorf("requests and tokens must not be negative")
	case l.Requests == 0 && l.Tokens == 0:
		return fmt.Errorf("set requests, tokens or both")
	}
	return nil
}

// quotas counts channels' use in their limits' windows. Channels without
// limits never reach it, so it costs them nothing.
type quotas struct {
	mu sync.Mutex
	// by channel, then window length: limits of one length share a count.
	use map[string]map[time.Duration]*window
	// blocked holds, by channel, when a window that the other instances
	// found exhausted rolls (Client.takeQuota).
	blocked map[string]time.Time
}

type window struct {
	start            time.Time
	requests, tokens int64
}

// windowLocked returns the current window of length per for channel id.
func (q *quotas) windowLocked(id string, per time.Duration, now time.Time) *window {
	if q.use == nil {
		q.use = make(map[string]map[time.Duration]*window)
	}
	byPer := q.use[id]
	if byPer == nil {
		byPer = make(map[time.Duration]*window)
		q.use[id] = byPer
	}
	start := now.UTC().Truncate(per)
	w := byPer[per]
	if w == nil || !w.start.Equal(start) {
		w = &window{start: start}
		byPer[per] = w
	}
	return w
}

// blockedLocked returns when the first exhausted limit rolls, or the zero
// time if none is exhausted.
func (q *quotas) blockedLocked(id string, limits []Limit, now time.Time) time.Time {
	var until time.Time
	if b, ok := q.blocked[id]; ok {
		if b.After(now) {
			until = b
		} else {
			delete(q.blocked, id)
		}
	}
	for _, l := range limits {
		w := q.windowLocked(id, l.Per, now)
		if (l.Requests > 0 && w.requests >= l.Requests) || (l.Tokens > 0 && w.tokens >= l.Tokens) {
			if end := w.start.Add(l.Per); end.After(until) {
				until = end
			}
		}
	}
	return until
}

// Until returns when channel id may be used again, or the zero time if it
// may be used now.
func (q *quotas) Until(id string, limits []Limit, now time.Time) time.Time {
	if len(limits) == 0 {
		return time.Time{}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.blockedLocked(id, limits, now)
}

// Take counts one request against channel id's limits, unless one of them
// is exhausted, and reports whether it did.
func (q *quotas) Take(id string, limits []Limit, now time.Time) bool {
	if len(limits) == 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.blockedLocked(id, limits, now).IsZero() {
		return false
	}
	for i, l := range limits {
		if sharesWindow(limits, i) {
			continue // limits of one length share a count
		}
		q.windowLocked(id, l.Per, now).requests++
	}
	return true
}

// count counts one request against channel id's limits, which the other
// instances found room for.
func (q *quotas) count(id string, limits []Limit, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, l := range limits {
		if sharesWindow(limits, i) {
			continue // limits of one length share a count
		}
		q.windowLocked(id, l.Per, now).requests++
	}
}

// block marks channel id as over quota until then, as the other instances
// found it.
func (q *quotas) block(id string, until time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.blocked == nil {
		q.blocked = make(map[string]time.Time)
	}
	q.blocked[id] = until
}

// AddTokens counts tokens used by channel id at now.
func (q *quotas) AddTokens(id string, limits []Limit, n int64, now time.Time) {
	if len(limits) == 0 || n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, l := range limits {
		if sharesWindow(limits, i) {
			continue // limits of one length share a count
		}
		q.windowLocked(id, l.Per, now).tokens += n
	}
}

// sharesWindow reports whether an earlier limit than limits[i] has its
// length, and so its window: a request counts once in each window.
func sharesWindow(limits []Limit, i int) bool {
	for _, o := range limits[:i] {
		if o.Per == limits[i].Per {
			return true
		}
	}
	return false
}
