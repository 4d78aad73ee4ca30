package memory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/routex/routex"
)

// Shared is the state several Clients in one process share as the
// instances of one router do through storage/redis: breaker transitions,
// cool-downs and headroom, quota counts, sticky sessions, and locks. Give
// each Client its own Instance. It suits tests and programs that run
// several Clients side by side; nothing survives the process.
type Shared struct {
	mu        sync.Mutex
	notes     map[noteSlot]routex.HealthNote
	followers map[*follower]struct{}
	windows   map[windowKey]*quotaWindow
	sessions  map[string]routex.Session
	locks     map[string]heldLock
	released  chan struct{} // closed and replaced whenever a lock is let go
}

// NewShared returns an empty Shared.
func NewShared() *Shared {
	return &Shared{
		notes:     make(map[noteSlot]routex.HealthNote),
		followers: make(map[*follower]struct{}),
		windows:   make(map[windowKey]*quotaWindow),
		sessions:  make(map[string]routex.Session),
		locks:     make(map[string]heldLock),
		released:  make(chan struct{}),
	}
}

// Instance is one Client's view of a Shared: what it posts, the others
// follow.
type Instance struct{ s *Shared }

// Instance returns a new view of s for one Client.
func (s *Shared) Instance() *Instance { return &Instance{s: s} }

// Shared returns the view as WithShared takes it.
func (in *Instance) Shared() routex.Shared {
	return routex.Shared{Health: in, Quotas: in, Sessions: in}
}

// noteSlot is where a note is kept: one per channel and what it is about.
// An open and a closed breaker share a slot.
type noteSlot struct {
	channel string
	kind    routex.HealthKind
}

func slotOf(n routex.HealthNote) noteSlot {
	k := n.Kind
	if k == routex.HealthClosed {
		k = routex.HealthOpen
	}
	return noteSlot{n.Channel, k}
}

type follower struct {
	from  *Instance
	queue chan routex.HealthNote
	done  chan struct{}
}

// followQueue bounds the notes waiting for one follower; beyond it they
// are missed, as Follow allows, and Notes catches up.
const followQueue = 1024

// Post keeps n for Notes and hands it to the followers of other instances.
func (in *Instance) Post(ctx context.Context, n routex.HealthNote) error {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	slot := slotOf(n)
	switch {
	case n.Kind == routex.HealthClosed:
		delete(s.notes, slot)
	case n.Kind == routex.HealthRateLimited && !n.Until.After(s.notes[slot].Until):
		// A cool-down is never shortened.
	default:
		s.notes[slot] = n
	}
	for f := range s.followers {
		if f.from == in {
			continue
		}
		select {
		case f.queue <- n:
		default:
		}
	}
	return nil
}

// Follow calls fn with the notes other instances post.
func (in *Instance) Follow(fn func(routex.HealthNote)) (stop func()) {
	f := &follower{from: in, queue: make(chan routex.HealthNote, followQueue), done: make(chan struct{})}
	in.s.mu.Lock()
	in.s.followers[f] = struct{}{}
	in.s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case n := <-f.queue:
				fn(n)
			case <-f.done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			in.s.mu.Lock()
			delete(in.s.followers, f)
			in.s.mu.Unlock()
			close(f.done)
			wg.Wait()
		})
	}
}

// Notes returns the notes in force at now.
func (in *Instance) Notes(ctx context.Context, now time.Time) ([]routex.HealthNote, error) {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []routex.HealthNote
	wall := time.Now()
	for slot, n := range s.notes {
		switch {
		case !n.Until.After(wall):
			delete(s.notes, slot)
		case n.Until.After(now):
			out = append(out, n)
		}
	}
	return out, nil
}

type windowKey struct {
	channel string
	per     time.Duration
}

type quotaWindow struct {
	start            time.Time
	requests, tokens int64
}

// windowLocked returns channel's current window of length per at now.
func (s *Shared) windowLocked(channel string, per time.Duration, now time.Time) *quotaWindow {
	start := now.UTC().Truncate(per)
	k := windowKey{channel, per}
	w := s.windows[k]
	if w == nil || !w.start.Equal(start) {
		w = &quotaWindow{start: start}
		s.windows[k] = w
	}
	return w
}

// Take counts one request in every window unless one is exhausted.
func (in *Instance) Take(ctx context.Context, channel string, limits []routex.Limit, now time.Time) (time.Time, error) {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var until time.Time
	for _, l := range limits {
		w := s.windowLocked(channel, l.Per, now)
		if (l.Requests > 0 && w.requests >= l.Requests) || (l.Tokens > 0 && w.tokens >= l.Tokens) {
			until = later(until, w.start.Add(l.Per))
		}
	}
	if !until.IsZero() {
		return until, nil
	}
	for i, l := range limits {
		if sharesWindow(limits, i) {
			continue // limits of one length share a count
		}
		s.windowLocked(channel, l.Per, now).requests++
	}
	return time.Time{}, nil
}

// AddTokens counts n tokens in every window.
func (in *Instance) AddTokens(ctx context.Context, channel string, limits []routex.Limit, n int64, now time.Time) error {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range limits {
		if sharesWindow(limits, i) {
			continue // limits of one length share a count
		}
		s.windowLocked(channel, l.Per, now).tokens += n
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Session returns the session with this key, if it has not expired.
func (in *Instance) Session(ctx context.Context, key string) (routex.Session, bool, error) {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[key]
	if !ok {
		return routex.Session{}, false, nil
	}
	if !time.Now().Before(ss.ExpiresAt) {
		delete(s.sessions, key)
		return routex.Session{}, false, nil
	}
	return ss, true, nil
}

// PutSession keeps ss until it expires.
func (in *Instance) PutSession(ctx context.Context, ss routex.Session) error {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !time.Now().Before(ss.ExpiresAt) {
		delete(s.sessions, ss.Key)
		return nil
	}
	s.sessions[ss.Key] = ss
	return nil
}

// DeleteSession forgets a session.
func (in *Instance) DeleteSession(ctx context.Context, key string) error {
	s := in.s
	s.mu.Lock()
	delete(s.sessions, key)
	s.mu.Unlock()
	return nil
}

type heldLock struct {
	token   string
	expires time.Time
}

// Lock takes the lock called name, waiting while another holder has it
// and it has not lapsed, until ctx ends. The lock lapses after ttl if
// unlock is not called first; unlock after that does nothing.
func (in *Instance) Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error) {
	s := in.s
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	for {
		s.mu.Lock()
		now := time.Now()
		held, busy := s.locks[name]
		if !busy || !now.Before(held.expires) {
			s.locks[name] = heldLock{token: token, expires: now.Add(ttl)}
			s.mu.Unlock()
			return func() { s.unlock(name, token) }, nil
		}
		released := s.released
		s.mu.Unlock()
		wait := time.NewTimer(held.expires.Sub(now))
		select {
		case <-released:
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return nil, ctx.Err()
		}
		wait.Stop()
	}
}

func (s *Shared) unlock(name, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[name].token != token {
		return
	}
	delete(s.locks, name)
	close(s.released)
	s.released = make(chan struct{})
}

// sharesWindow reports whether an earlier limit than limits[i] has its
// length, and so its window: a request counts once in each window.
func sharesWindow(limits []routex.Limit, i int) bool {
	for _, o := range limits[:i] {
		if o.Per == limits[i].Per {
			return true
		}
	}
	return false
}
