// Package breaker keeps one circuit breaker and one rate-limit cool-down per
// key, where a key is usually a channel ID.
//
// A breaker opens after a run of consecutive failures and refuses requests
// for a cool-down; then it lets a single probe through, which either closes
// it again or reopens it. Independently, a key can be rate-limited until a
// point in time, typically read from a 429 response with [ResetTime].
//
// Outcomes are reported in two steps, as in sony/gobreaker: [Set.Allow]
// admits a request and returns a done func, which the caller invokes once
// the outcome is known (for a stream, at its end).
package breaker

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routex/routex/internal/enum"
)

// Sentinel errors returned by [Set.Allow]. Match them with errors.Is.
var (
	// ErrOpen means the key's breaker is open, or half-open with its probe
	// already in flight.
	ErrOpen = errors.New("routex/breaker: circuit open")
	// ErrRateLimited means the key is cooling down after a rate-limit response.
	ErrRateLimited = errors.New("routex/breaker: rate limited")
	// ErrIgnore, passed to a done func (possibly wrapped), reports an outcome
	// that says nothing about the upstream's health, such as a client error
	// or a rate-limit response; it counts as neither success nor failure.
	ErrIgnore = errors.New("routex/breaker: outcome ignored")
)

// Defaults applied when a [Settings] field is zero.
const (
	// DefaultFailureThreshold is the run of failures that opens a breaker.
	DefaultFailureThreshold = 5
	// DefaultCoolDown is how long an open breaker waits before a probe.
	DefaultCoolDown = 60 * time.Second
	// DefaultRateLimit is the cool-down after a rate-limit response that
	// does not say when to come back.
	DefaultRateLimit = 60 * time.Second
)

// State is the state of one key's circuit breaker.
type State int

// The breaker states. The zero value is Closed.
const (
	// Closed lets every request through and counts consecutive failures.
	Closed State = iota
	// Open refuses every request until the cool-down has passed.
	Open
	// HalfOpen lets one probe through; its outcome closes or reopens the breaker.
	HalfOpen
)

var stateNames = [...]string{Closed: "closed", Open: "open", HalfOpen: "half-open"}

// String returns "closed", "open" or "half-open".
func (s State) String() string { return enum.String(s, stateNames[:]) }

// MarshalText encodes the state as its String form, so it reads well in
// JSON.
func (s State) MarshalText() ([]byte, error) { return enum.Marshal(s, stateNames[:], "routex/breaker") }

// UnmarshalText decodes a state written by MarshalText.
func (s *State) UnmarshalText(text []byte) error {
	return enum.Unmarshal(s, text, stateNames[:], "routex/breaker")
}

// Settings configures a [Set]. It is copied by [NewSet]; the zero value is
// ready to use.
type Settings struct {
	// FailureThreshold is the number of consecutive failures that opens a
	// breaker. Zero or less means DefaultFailureThreshold (5).
	FailureThreshold int
	// CoolDown is how long an open breaker refuses requests before it lets a
	// probe through. Zero or less means DefaultCoolDown (60s).
	CoolDown time.Duration
	// RateLimitDefault is the cool-down [Set.RateLimitFor] applies when the
	// response carries no usable reset time. Zero or less means
	// DefaultRateLimit (60s).
	RateLimitDefault time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// OnStateChange, if not nil, is called after every state transition. It
	// is called without any lock held, so it may call back into the Set.
	// Calls for one key are delivered one at a time and in order; calls for
	// different keys may run concurrently. It runs on the goroutine of a
	// request that caused or witnessed the change, so it should be quick.
	OnStateChange func(key string, from, to State)
}

// Status is a snapshot of one key's breaker and rate limit.
type Status struct {
	Key   string `json:"key"`
	State State  `json:"state"`
	// ConsecutiveFailures counts failures since the last success or reset.
	ConsecutiveFailures int `json:"consecutiveFailures"`
	// OpenedAt is when the breaker last opened; zero while it is closed.
	OpenedAt time.Time `json:"openedAt"`
	// RateLimitedUntil is when the rate-limit cool-down ends; zero if the key
	// is not rate-limited.
	RateLimitedUntil time.Time `json:"rateLimitedUntil"`
	// ProbeAt is when an open breaker lets its next probe through; zero
	// unless the breaker is open.
	ProbeAt time.Time `json:"probeAt,omitzero"`
}

// Set holds the breakers and rate limits of any number of keys. A key needs
// no registration: unknown keys are closed and not rate-limited. A Set is
// safe for concurrent use.
type Set struct {
	threshold        int
	coolDown         time.Duration
	rateLimitDefault time.Duration
	now              func() time.Time
	onStateChange    func(key string, from, to State)

	// entries is copied on write: keys are channels, added once and rarely
	// removed, while every request reads the map for every candidate, so
	// readers should share nothing writable.
	entries atomic.Pointer[map[string]*entry]
	mu      sync.Mutex // serializes writers of entries
}

type entry struct {
	key string

	mu               sync.Mutex
	state            State
	failures         int
	openedAt         time.Time
	rateLimitedUntil time.Time
	probing          bool
	// generation changes on every transition and reset, so outcomes of
	// requests admitted under an earlier state cannot move the new one: ten
	// requests in flight when the breaker opens must not count ten times.
	generation uint64

	// pending holds transitions not yet handed to OnStateChange. One caller
	// at a time (the one that set delivering) drains it after unlocking, which
	// keeps per-key order without calling user code under the lock.
	pending    []transition
	delivering bool

	// unblocked mirrors "closed and not rate-limited", the usual case, so
	// that Ready can answer it without the lock or the clock.
	unblocked atomic.Bool
}

// refresh must be called with e.mu held after changing state or rate limit.
func (e *entry) refresh() {
	e.unblocked.Store(e.state == Closed && e.rateLimitedUntil.IsZero())
}

type transition struct{ from, to State }

// NewSet returns a Set configured by s.
func NewSet(s Settings) *Set {
	set := &Set{
		threshold:        s.FailureThreshold,
		coolDown:         s.CoolDown,
		rateLimitDefault: s.RateLimitDefault,
		now:              s.Now,
		onStateChange:    s.OnStateChange,
	}
	set.entries.Store(&map[string]*entry{})
	if set.threshold <= 0 {
		set.threshold = DefaultFailureThreshold
	}
	if set.coolDown <= 0 {
		set.coolDown = DefaultCoolDown
	}
	if set.rateLimitDefault <= 0 {
		set.rateLimitDefault = DefaultRateLimit
	}
	if set.now == nil {
		set.now = time.Now
	}
	return set
}

func (s *Set) lookup(key string) *entry {
	return (*s.entries.Load())[key]
}

func (s *Set) lookupOrCreate(key string) *entry {
	if e := s.lookup(key); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.entries.Load()
	if e := old[key]; e != nil {
		return e
	}
	e := &entry{key: key}
	e.unblocked.Store(true)
	m := make(map[string]*entry, len(old)+1)
	maps.Copy(m, old)
	m[key] = e
	s.entries.Store(&m)
	return e
}

// Ready reports whether [Set.Allow] would admit a request for key now: the
// breaker is closed, or its cool-down has passed and no probe is in flight,
// and the key is not rate-limited. Unlike Allow it changes nothing, so a
// router can filter candidates with it without spending the probe.
func (s *Set) Ready(key string) bool {
	e := s.lookup(key)
	if e == nil || e.unblocked.Load() {
		return true
	}
	e.mu.Lock()
	state, probing, openedAt, limited := e.state, e.probing, e.openedAt, e.rateLimitedUntil
	e.mu.Unlock()
	if state == HalfOpen && probing {
		return false
	}
	now := s.now()
	if now.Before(limited) {
		return false
	}
	return state != Open || !now.Before(openedAt.Add(s.coolDown))
}

func noop(error) {}

// Allow admits a request for key, or refuses it with [ErrRateLimited] or
// [ErrOpen]. When the breaker is open and its cool-down has passed, Allow
// moves it to half-open and admits exactly one probe; concurrent callers are
// refused until the probe's outcome is known.
//
// The caller must call done exactly once with the outcome: nil for success,
// an error for failure. An error matching context.Canceled (the caller gave
// up) or [ErrIgnore] counts as neither, and frees the probe slot if the
// request was the probe. Calls after the first are ignored; a probe never
// reported keeps the breaker half-open and refusing. done is never nil; on
// refusal it does nothing.
func (s *Set) Allow(key string) (done func(err error), err error) {
	e := s.lookupOrCreate(key)
	e.mu.Lock()
	if e.state == Closed && e.rateLimitedUntil.IsZero() {
		gen := e.generation
		e.mu.Unlock()
		return s.doneFunc(e, gen, false), nil
	}
	// Deciding needs the clock, which is user code: read it unlocked, then
	// look at the entry afresh.
	e.mu.Unlock()
	now := s.now()
	e.mu.Lock()
	if !e.rateLimitedUntil.IsZero() {
		if now.Before(e.rateLimitedUntil) {
			e.mu.Unlock()
			return noop, ErrRateLimited
		}
		e.rateLimitedUntil = time.Time{}
		e.refresh()
	}
	deliver := false
	switch e.state {
	case Open:
		if now.Before(e.openedAt.Add(s.coolDown)) {
			e.mu.Unlock()
			return noop, ErrOpen
		}
		deliver = s.transition(e, HalfOpen, now)
	case HalfOpen:
		if e.probing {
			e.mu.Unlock()
			return noop, ErrOpen
		}
	}
	probe := e.state == HalfOpen
	if probe {
		e.probing = true
	}
	gen := e.generation
	e.mu.Unlock()
	if deliver {
		s.deliver(e)
	}
	return s.doneFunc(e, gen, probe), nil
}

func (s *Set) doneFunc(e *entry, gen uint64, probe bool) func(error) {
	var finished bool // guarded by e.mu
	return func(err error) {
		ignore := err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrIgnore))
		var now time.Time
		if err != nil && !ignore {
			now = s.now()
		}
		e.mu.Lock()
		if finished {
			e.mu.Unlock()
			return
		}
		finished = true
		deliver := false
		if gen == e.generation {
			switch {
			case ignore:
				if probe {
					e.probing = false
				}
			case err == nil:
				e.failures = 0
				if probe {
					deliver = s.transition(e, Closed, now)
				}
			default:
				e.failures++
				if probe || e.failures >= s.threshold {
					deliver = s.transition(e, Open, now)
				}
			}
		}
		e.mu.Unlock()
		if deliver {
			s.deliver(e)
		}
	}
}

// transition moves e to state to and queues the notification. It must be
// called with e.mu held; it reports whether the caller must run deliver
// after unlocking.
func (s *Set) transition(e *entry, to State, now time.Time) bool {
	from := e.state
	e.generation++
	e.probing = false
	if from == to {
		return false
	}
	e.state = to
	switch to {
	case Open:
		e.openedAt = now
	case Closed:
		e.failures = 0
		e.openedAt = time.Time{}
	}
	e.refresh()
	if s.onStateChange == nil {
		return false
	}
	e.pending = append(e.pending, transition{from, to})
	if e.delivering {
		return false
	}
	e.delivering = true
	return true
}

// deliver hands e's pending transitions to OnStateChange, outside the lock.
func (s *Set) deliver(e *entry) {
	completed := false
	defer func() {
		if !completed {
			// OnStateChange panicked: let a later transition deliver again
			// rather than silencing this key for good.
			e.mu.Lock()
			e.delivering = false
			e.pending = nil
			e.mu.Unlock()
		}
	}()
	for {
		e.mu.Lock()
		if len(e.pending) == 0 {
			e.delivering = false
			e.pending = nil
			e.mu.Unlock()
			completed = true
			return
		}
		t := e.pending[0]
		e.pending = e.pending[1:]
		e.mu.Unlock()
		s.onStateChange(e.key, t.from, t.to)
	}
}

// RateLimit refuses requests for key until the given time. An earlier
// deadline never shortens one already in place.
func (s *Set) RateLimit(key string, until time.Time) {
	if !until.After(s.now()) {
		return
	}
	e := s.lookupOrCreate(key)
	e.mu.Lock()
	if until.After(e.rateLimitedUntil) {
		e.rateLimitedUntil = until
		e.refresh()
	}
	e.mu.Unlock()
}

// RateLimitFor rate-limits key after a rate-limit or overload response with
// headers h: until the reset time [ResetTime] reads from h, or for
// Settings.RateLimitDefault when h has none. It returns the deadline applied.
func (s *Set) RateLimitFor(key string, h http.Header) time.Time {
	now := s.now()
	until, ok := ResetTime(h, now)
	if !ok {
		until = now.Add(s.rateLimitDefault)
	}
	s.RateLimit(key, until)
	return until
}

// Status returns a snapshot of key's breaker and rate limit. A key never seen
// is reported closed. An open breaker whose cool-down has passed is reported
// open until Allow lets its probe through.
func (s *Set) Status(key string) Status {
	e := s.lookup(key)
	if e == nil {
		return Status{Key: key}
	}
	return e.status(s.now(), s.coolDown)
}

func (e *entry) status(now time.Time, coolDown time.Duration) Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := Status{
		Key:                 e.key,
		State:               e.state,
		ConsecutiveFailures: e.failures,
		OpenedAt:            e.openedAt,
	}
	if now.Before(e.rateLimitedUntil) {
		st.RateLimitedUntil = e.rateLimitedUntil
	}
	if e.state == Open {
		st.ProbeAt = e.openedAt.Add(coolDown)
	}
	return st
}

// Statuses returns a snapshot of every key the Set knows, sorted by key.
func (s *Set) Statuses() []Status {
	m := *s.entries.Load()
	entries := make([]*entry, 0, len(m))
	for _, e := range m {
		entries = append(entries, e)
	}

	now := s.now()
	out := make([]Status, len(entries))
	for i, e := range entries {
		out[i] = e.status(now, s.coolDown)
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Reset closes key's breaker, clears its failure count and rate limit, and
// disregards the outcomes of requests already in flight.
func (s *Set) Reset(key string) {
	e := s.lookup(key)
	if e == nil {
		return
	}
	e.mu.Lock()
	deliver := s.transition(e, Closed, time.Time{})
	e.failures = 0
	e.rateLimitedUntil = time.Time{}
	e.refresh()
	e.mu.Unlock()
	if deliver {
		s.deliver(e)
	}
}

// Apply puts key's breaker in a state decided elsewhere, by another
// instance's breaker for the same key: Open, with its probe due at probeAt,
// or Closed. HalfOpen is not applied: each instance sends its own probe.
// An open breaker is reopened only to push its probe later, so notes that
// arrive out of order cannot shorten a cool-down. Apply does not call
// OnStateChange, the caller knowing what it applied; it reports whether
// the state changed. Outcomes of requests already in flight are discarded
// when it does.
func (s *Set) Apply(key string, to State, probeAt time.Time) bool {
	switch to {
	case Open:
		e := s.lookupOrCreate(key)
		openedAt := probeAt.Add(-s.coolDown)
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.state == Open && !openedAt.After(e.openedAt) {
			return false
		}
		e.state, e.openedAt, e.probing = Open, openedAt, false
		e.generation++
		e.refresh()
		return true
	case Closed:
		e := s.lookup(key)
		if e == nil {
			return false
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.state == Closed {
			return false
		}
		e.state, e.openedAt, e.probing, e.failures = Closed, time.Time{}, false, 0
		e.generation++
		e.refresh()
		return true
	}
	return false
}

// Forget drops everything the Set knows about key, for a channel that has
// been removed. Outcomes of its requests still in flight are discarded.
func (s *Set) Forget(key string) {
	s.mu.Lock()
	old := *s.entries.Load()
	e := old[key]
	if e == nil {
		s.mu.Unlock()
		return
	}
	m := maps.Clone(old)
	delete(m, key)
	s.entries.Store(&m)
	s.mu.Unlock()

	e.mu.Lock()
	e.generation++
	e.mu.Unlock()
}
