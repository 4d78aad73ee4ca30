// Package ratelimit implements a token-bucket limiter keyed by client ID,
// with per-key buckets that are created on first use and evicted after a
// period of inactivity.
package ratelimit

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLimited is returned by Wait when the context is cancelled before a
// token becomes available.
var ErrLimited = errors.New("ratelimit: limit exceeded")

// Config describes the limits applied to every key.
type Config struct {
	// Rate is the number of tokens added to each bucket per second.
	Rate float64
	// Burst is the capacity of each bucket. Zero means Rate rounded up.
	Burst int
	// IdleTTL is how long a bucket may go unused before it is evicted.
	// Zero means ten minutes.
	IdleTTL time.Duration
}

type bucket struct {
	tokens   float64
	last     time.Time
	lastUsed time.Time
}

// Limiter holds one token bucket per key. It is safe for concurrent use.
type Limiter struct {
	cfg     Config
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	evicted int64
}

// New returns a Limiter for cfg. It panics if cfg.Rate is not positive,
// because a limiter that never refills is almost certainly a mistake.
func New(cfg Config) *Limiter {
	if cfg.Rate <= 0 {
		panic(fmt.Sprintf("ratelimit: invalid rate %v", cfg.Rate))
	}
	if cfg.Burst <= 0 {
		cfg.Burst = int(cfg.Rate + 0.999)
	}
	if cfg.IdleTTL == 0 {
		cfg.IdleTTL = 10 * time.Minute
	}
	return &Limiter{
		cfg:     cfg,
		now:     time.Now,
		buckets: make(map[string]*bucket),
	}
}

// Allow reports whether one token is available for key and, if so,
// consumes it.
func (l *Limiter) Allow(key string) bool {
	return l.AllowN(key, 1)
}

// AllowN reports whether n tokens are available for key and, if so,
// consumes them. Requests for more than Burst tokens never succeed.
func (l *Limiter) AllowN(key string, n int) bool {
	if n > l.cfg.Burst {
		return false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, now)
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	b.lastUsed = now
	return true
}

// Reserve returns how long the caller must wait before n tokens will be
// available for key. The tokens are consumed immediately, so the caller
// must not call Allow again for the same request.
func (l *Limiter) Reserve(key string, n int) (time.Duration, error) {
	if n > l.cfg.Burst {
		return 0, fmt.Errorf("ratelimit: request for %d tokens exceeds burst of %d", n, l.cfg.Burst)
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, now)
	b.tokens -= float64(n)
	b.lastUsed = now
	if b.tokens >= 0 {
		return 0, nil
	}
	missing := -b.tokens
	wait := time.Duration(missing / l.cfg.Rate * float64(time.Second))
	return wait, nil
}

// refill adds the tokens earned since the bucket was last touched.
// l.mu must be held.
func (l *Limiter) refill(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.cfg.Burst), last: now, lastUsed: now}
		l.buckets[key] = b
		return b
	}
	elapsed := now.Sub(b.last).Seconds()
	if elapsed > 0 {
		b.tokens += elapsed * l.cfg.Rate
		if max := float64(l.cfg.Burst); b.tokens > max {
			b.tokens = max
		}
		b.last = now
	}
	return b
}

// Sweep removes buckets that have been idle for longer than IdleTTL and
// returns how many were removed. Call it periodically, for example from a
// time.Ticker in a background goroutine.
func (l *Limiter) Sweep() int {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	removed := 0
	for key, b := range l.buckets {
		if now.Sub(b.lastUsed) > l.cfg.IdleTTL {
			delete(l.buckets, key)
			removed++
		}
	}
	l.evicted += int64(removed)
	return removed
}

// Stats is a snapshot of a Limiter's internal counters.
type Stats struct {
	Keys    int
	Evicted int64
}

// Stats returns the current number of buckets and the total number
// evicted since the Limiter was created.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Keys: len(l.buckets), Evicted: l.evicted}
}

// String implements fmt.Stringer for debugging output.
func (s Stats) String() string {
	return fmt.Sprintf("keys=%d evicted=%d", s.Keys, s.Evicted)
}

type waiter struct {
	key   string
	n     int
	ready chan struct{}
}

// Queue serialises callers that must wait for tokens, so that a burst of
// waiting goroutines is released in arrival order instead of all waking at
// once and racing for the same tokens.
type Queue struct {
	lim     *Limiter
	mu      sync.Mutex
	waiting []*waiter
	timer   *time.Timer
}

// NewQueue returns a Queue that draws tokens from lim.
func NewQueue(lim *Limiter) *Queue {
	return &Queue{lim: lim}
}

// Wait blocks until n tokens are available for key or done is closed.
func (q *Queue) Wait(done <-chan struct{}, key string, n int) error {
	if q.lim.AllowN(key, n) {
		return nil
	}
	w := &waiter{key: key, n: n, ready: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, w)
	if len(q.waiting) == 1 {
		q.schedule()
	}
	q.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-done:
		q.remove(w)
		return ErrLimited
	}
}

// schedule arms the timer for the waiter at the head of the queue.
// q.mu must be held.
func (q *Queue) schedule() {
	if len(q.waiting) == 0 {
		return
	}
	head := q.waiting[0]
	d, err := q.lim.Reserve(head.key, head.n)
	if err != nil {
		// The request can never be satisfied; release it so that the
		// caller is not stuck forever, and let it fail on its next call.
		q.waiting = q.waiting[1:]
		close(head.ready)
		q.schedule()
		return
	}
	if d <= 0 {
		q.waiting = q.waiting[1:]
		close(head.ready)
		q.schedule()
		return
	}
	q.timer = time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if len(q.waiting) > 0 && q.waiting[0] == head {
			q.waiting = q.waiting[1:]
			close(head.ready)
		}
		q.schedule()
	})
}

func (q *Queue) remove(w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.waiting {
		if x == w {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return
		}
	}
}
