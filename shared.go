package routex

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routex/routex/breaker"
	"github.com/routex/routex/session"
)

// Several instances of one router (processes behind a load balancer) share
// what each learns of the channels through the small interfaces below,
// given to New with WithShared. storage/redis implements them all;
// storage/memory's Shared does for Clients in one process; sharedtest is
// the conformance suite. Without them every Client keeps its state alone,
// as a single instance should.
//
// The request path waits on shared state only where a local answer is not
// as good: a quota's count (exact across instances) and a session this
// instance has not seen. Everything else (breakers, cool-downs, headroom,
// sessions bound here) is answered locally, posted in the background and
// followed from the others. When the shared state cannot be reached, or
// answers slower than Shared.Timeout, the Client serves on its local state,
// logs it once, reports it in SharedStatus, and catches up once it is back:
// no request fails because the shared state did.

// HealthKind says what a HealthNote reports.
type HealthKind uint8

// The kinds of HealthNote.
const (
	// HealthOpen: the channel's breaker opened; its probe is due at Until.
	HealthOpen HealthKind = iota + 1
	// HealthClosed: the channel's breaker closed again.
	HealthClosed
	// HealthRateLimited: the channel is cooling down after a rate limit
	// until Until.
	HealthRateLimited
	// HealthLow: the channel's rate-limit headroom is low until Until; an
	// Until not after now says it no longer is.
	HealthLow
)

var healthKindNames = [...]string{HealthOpen: "open", HealthClosed: "closed", HealthRateLimited: "rate-limited", HealthLow: "low"}

// String returns "open", "closed", "rate-limited" or "low".
func (k HealthKind) String() string {
	if int(k) < len(healthKindNames) && healthKindNames[k] != "" {
		return healthKindNames[k]
	}
	return fmt.Sprintf("HealthKind(%d)", k)
}

// HealthNote is what one instance learned of a channel's health that the
// others should act on.
type HealthNote struct {
	Channel string     `json:"channel"`
	Kind    HealthKind `json:"kind"`
	Until   time.Time  `json:"until,omitzero"` // when it stops holding; zero for HealthClosed
}

// HealthBoard shares breaker transitions, rate-limit cool-downs and low
// headroom among instances, so that a channel failing at one is avoided
// by all. Implementations must be safe for concurrent use.
type HealthBoard interface {
	// Post tells the other instances. The Client calls it from a
	// goroutine of its own, never on the request path.
	Post(ctx context.Context, n HealthNote) error
	// Follow calls fn with each note that other instances post (not the
	// ones posted through this value), in the order they were posted,
	// one at a time, until stop is called. Notes posted while the board
	// cannot be reached may be missed: Notes catches up.
	Follow(fn func(HealthNote)) (stop func())
	// Notes returns the notes still in force at now: per channel, its
	// open breaker, its cool-down and its low headroom whose Until is
	// after now. A closed breaker is the absence of an open one.
	Notes(ctx context.Context, now time.Time) ([]HealthNote, error)
}

// QuotaCounter counts channels' use of their Limits across instances.
// Counts are exact: Take decides and counts in one step, so N instances
// together send no more than each limit allows. Windows are the ones Limit
// describes, taken from now, which instances must agree on within a
// fraction of the shortest window.
type QuotaCounter interface {
	// Take counts one request in channel's current window of each of
	// limits unless one of them is exhausted, as one atomic step. It
	// returns the zero time when it counted, else when the last of the
	// exhausted windows rolls: the channel has room again only then.
	Take(ctx context.Context, channel string, limits []Limit, now time.Time) (blockedUntil time.Time, err error)
	// AddTokens counts n tokens in channel's current windows of limits.
	AddTokens(ctx context.Context, channel string, limits []Limit, n int64, now time.Time) error
}

// SessionShare keeps sticky sessions where every instance finds them, so a
// session stays on its channel whichever instance it reaches.
type SessionShare interface {
	// Session returns the session with this key; false if there is none
	// or it has expired.
	Session(ctx context.Context, key string) (Session, bool, error)
	// PutSession creates or replaces the session s.Key, until s.ExpiresAt.
	PutSession(ctx context.Context, s Session) error
	// DeleteSession removes a session; no error if there is none.
	DeleteSession(ctx context.Context, key string) error
}

// Shared is the state a Client keeps with the other instances of its
// router. A nil field is kept by this instance alone.
type Shared struct {
	Health   HealthBoard
	Quotas   QuotaCounter
	Sessions SessionShare
	// Timeout bounds each call the request path waits on (a quota's Take,
	// a session lookup); beyond it the Client answers from local state.
	// Zero means DefaultSharedTimeout.
	Timeout time.Duration
}

// DefaultSharedTimeout is Shared.Timeout's default. A shared store on the
// same network answers in well under a millisecond; this bound only says
// when to stop waiting for one that is in trouble.
const DefaultSharedTimeout = 200 * time.Millisecond

// WithShared makes the Client one of several instances of a router,
// sharing sh's state with the others.
func WithShared(sh Shared) Option {
	return func(s *settings) error {
		if sh.Timeout < 0 {
			return &ConfigError{Kind: "option", Field: "shared.timeout", Err: errors.New("must not be negative")}
		}
		s.shared = sh
		return nil
	}
}

// SharedStatus reports whether the Client reaches its shared state.
type SharedStatus struct {
	Configured bool      `json:"configured"`          // WithShared gave some
	Reachable  bool      `json:"reachable"`           // its last call succeeded
	Since      time.Time `json:"since,omitzero"`      // when it became unreachable
	Error      string    `json:"error,omitempty"`     // why, while it is
	Outages    uint64    `json:"outages"`             // times it became unreachable
	Dropped    uint64    `json:"dropped"`             // background updates lost: queue full or unreachable
	Followed   uint64    `json:"followed"`            // notes applied from other instances
	LastSync   time.Time `json:"lastSync,omitzero"`   // last catch-up with Notes
	QueueDepth int       `json:"queueDepth,omitzero"` // background updates waiting
}

// SharedStatus reports the state of the Client's link to its shared state.
func (c *Client) SharedStatus() SharedStatus {
	sh := c.shared
	if sh == nil {
		return SharedStatus{}
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := SharedStatus{
		Configured: true, Reachable: !sh.down.Load(), Outages: sh.outages,
		Dropped: sh.dropped.Load(), Followed: sh.followed.Load(), LastSync: sh.lastSync,
		QueueDepth: len(sh.work),
	}
	if !st.Reachable {
		st.Since, st.Error = sh.since, sh.lastErr
	}
	return st
}

// errSharedDown is what a call skipped while the shared state is
// unreachable returns.
var errSharedDown = errors.New("routex: shared state unreachable")

const (
	sharedRetry      = time.Second     // wait before trying an unreachable shared state again
	sharedResync     = 5 * time.Second // catch up with Notes this often
	sharedQueue      = 4096            // background updates waiting at most
	sharedBackfill   = 10_000          // sessions bound while unreachable, re-put on return
	sharedOpTimeout  = 2 * time.Second // bound on a background update
	sharedNotesLimit = 30 * time.Second
	// sharedTokensDelay is how long tokens used wait to be counted in the
	// shared state, adding up. Tokens are known only once an answer ends:
	// requests under way may pass a token cap anyway.
	sharedTokensDelay = 50 * time.Millisecond
)

// shared is a Client's link to its shared state.
type shared struct {
	Shared
	c       *Client
	timeout time.Duration

	work       chan func(context.Context) error
	tokensDue  chan struct{} // tokens wait in tokens
	stop       chan struct{}
	wg         sync.WaitGroup
	stopFollow func()

	down     atomic.Bool
	retryAt  atomic.Int64 // unix nanoseconds: when an unreachable state is tried again
	probing  atomic.Bool
	dropped  atomic.Uint64
	followed atomic.Uint64

	mu       sync.Mutex
	since    time.Time
	lastErr  string
	outages  uint64
	lastSync time.Time
	backfill map[string]struct{} // sessions bound while unreachable

	tmu         sync.Mutex
	tokens      map[tokenKey]*tokenSum // tokens used, not yet counted in the shared state
	tokensArmed bool                   // a flush is due within sharedTokensDelay
}

// tokenKey is a channel's tokens in one second: their windows are the
// same, since a window is at least a second.
type tokenKey struct {
	channel string
	second  int64 // unix seconds
}

type tokenSum struct {
	limits []Limit
	n      int64
	at     time.Time // of the first
}

func newShared(c *Client, sh Shared) *shared {
	if sh.Health == nil && sh.Quotas == nil && sh.Sessions == nil {
		return nil
	}
	s := &shared{Shared: sh, c: c, timeout: sh.Timeout,
		work: make(chan func(context.Context) error, sharedQueue), tokensDue: make(chan struct{}, 1),
		stop: make(chan struct{}), tokens: make(map[tokenKey]*tokenSum)}
	if s.timeout == 0 {
		s.timeout = DefaultSharedTimeout
	}
	return s
}

// start follows the other instances and runs the background updates.
func (s *shared) start() {
	if s.Health != nil {
		s.stopFollow = s.Health.Follow(s.apply)
	}
	s.wg.Add(2)
	go s.drain()
	go s.resyncLoop()
}

// close stops following and waits for the updates already queued.
func (s *shared) close() {
	if s.stopFollow != nil {
		s.stopFollow()
	}
	close(s.stop)
	s.wg.Wait()
}

// call runs op against the shared state within the timeout, unless the
// state is unreachable and not due for another try. A failure that is not
// the caller's own going away makes it unreachable.
func (s *shared) call(ctx context.Context, timeout time.Duration, op func(context.Context) error) error {
	if s.down.Load() {
		if time.Now().UnixNano() < s.retryAt.Load() || !s.probing.CompareAndSwap(false, true) {
			return errSharedDown
		}
		defer s.probing.Store(false)
	}
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	err := op(octx)
	cancel()
	switch {
	case err == nil:
		s.reached()
	case ctx.Err() != nil:
		// The caller left; says nothing of the shared state.
	default:
		s.failed(err)
	}
	return err
}

func (s *shared) failed(err error) {
	s.retryAt.Store(time.Now().Add(sharedRetry).UnixNano())
	s.mu.Lock()
	s.lastErr = err.Error()
	first := !s.down.Swap(true)
	if first {
		s.since = time.Now()
		s.outages++
	}
	s.mu.Unlock()
	if first {
		s.c.s.logger.Warn("routex: shared state unreachable; serving on this instance's own state until it returns", "err", err)
	}
}

func (s *shared) reached() {
	if !s.down.Load() {
		return
	}
	s.mu.Lock()
	back := s.down.Swap(false)
	outage := time.Since(s.since)
	s.mu.Unlock()
	if back {
		s.c.s.logger.Info("routex: shared state reachable again; catching up", "after", outage.Round(time.Millisecond))
		s.later(s.catchUp)
	}
}

// later queues op to run in the background, in order; it never blocks.
func (s *shared) later(op func(context.Context) error) {
	select {
	case s.work <- op:
	default:
		s.dropped.Add(1)
	}
}

func (s *shared) drain() {
	defer s.wg.Done()
	for {
		select {
		case op := <-s.work:
			s.run(op)
		case <-s.tokensDue:
			s.flushTokens()
		case <-s.stop:
			for {
				select {
				case op := <-s.work:
					s.run(op)
				default:
					s.flushTokens()
					return
				}
			}
		}
	}
}

func (s *shared) run(op func(context.Context) error) {
	if err := s.call(context.Background(), sharedOpTimeout, op); errors.Is(err, errSharedDown) {
		s.dropped.Add(1)
	}
}

// addTokens counts n tokens used on channel in the shared state, in the
// background. Tokens add up for sharedTokensDelay, so that one update per
// channel and second carries them all: a Client sends one per answer
// otherwise, a round trip that competes with the requests' own, and
// under load they would fill the queue.
func (s *shared) addTokens(channel string, limits []Limit, n int64, now time.Time) {
	k := tokenKey{channel, now.Unix()}
	s.tmu.Lock()
	if t := s.tokens[k]; t != nil {
		t.n += n
	} else {
		s.tokens[k] = &tokenSum{limits: limits, n: n, at: now}
	}
	arm := !s.tokensArmed
	s.tokensArmed = true
	s.tmu.Unlock()
	if arm {
		time.AfterFunc(sharedTokensDelay, func() {
			select {
			case s.tokensDue <- struct{}{}:
			default: // a flush is due already, and takes these too
			}
		})
	}
}

// flushTokens sends the tokens waiting.
func (s *shared) flushTokens() {
	s.tmu.Lock()
	ts := s.tokens
	if len(ts) == 0 {
		s.tmu.Unlock()
		return
	}
	s.tokens = make(map[tokenKey]*tokenSum, len(ts))
	s.tokensArmed = false
	s.tmu.Unlock()
	for k, t := range ts {
		s.run(func(ctx context.Context) error { return s.Quotas.AddTokens(ctx, k.channel, t.limits, t.n, t.at) })
	}
}

// resyncLoop catches up with the notes in force every sharedResync, and
// tries an unreachable state again every sharedRetry.
func (s *shared) resyncLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(sharedRetry)
	defer tick.Stop()
	s.sync()
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if s.down.Load() || time.Since(last) >= sharedResync {
				s.sync()
				last = time.Now()
			}
		}
	}
}

// sync applies the notes in force; while the state is unreachable it is
// also the probe that finds it back.
func (s *shared) sync() {
	if s.Health == nil {
		return // the request path's own calls find the state back
	}
	var notes []HealthNote
	err := s.call(context.Background(), sharedNotesLimit, func(ctx context.Context) (err error) {
		notes, err = s.Health.Notes(ctx, s.c.s.now())
		return err
	})
	if err != nil {
		return
	}
	for _, n := range notes {
		s.apply(n)
	}
	s.mu.Lock()
	s.lastSync = time.Now()
	s.mu.Unlock()
}

// catchUp posts what this instance learned while the state was
// unreachable: breakers open, cool-downs, low headroom, sessions bound.
func (s *shared) catchUp(ctx context.Context) error {
	c := s.c
	now := c.s.now()
	if s.Health != nil {
		for _, st := range c.breakers.Statuses() {
			if st.State == breaker.Open {
				s.later(s.post(HealthNote{Channel: st.Key, Kind: HealthOpen, Until: st.ProbeAt}))
			}
			if st.RateLimitedUntil.After(now) {
				s.later(s.post(HealthNote{Channel: st.Key, Kind: HealthRateLimited, Until: st.RateLimitedUntil}))
			}
		}
		for id, until := range c.headroom.lows(now) {
			s.later(s.post(HealthNote{Channel: id, Kind: HealthLow, Until: until}))
		}
	}
	if s.Sessions != nil {
		s.mu.Lock()
		keys := s.backfill
		s.backfill = nil
		s.mu.Unlock()
		for key := range keys {
			if e, ok := c.sessions.Entry(key); ok {
				s.later(s.putSession(Session{Key: e.Key, ChannelID: e.ChannelID, ExpiresAt: e.ExpiresAt}))
			}
		}
	}
	s.later(func(context.Context) error { s.sync(); return nil })
	return nil
}

func (s *shared) post(n HealthNote) func(context.Context) error {
	return func(ctx context.Context) error { return s.Health.Post(ctx, n) }
}

func (s *shared) putSession(ss Session) func(context.Context) error {
	return func(ctx context.Context) error { return s.Sessions.PutSession(ctx, ss) }
}

// apply acts on a note from another instance, without posting it again.
func (s *shared) apply(n HealthNote) {
	c := s.c
	if _, known := c.cfg.Load().byID[n.Channel]; !known {
		return
	}
	s.followed.Add(1)
	switch n.Kind {
	case HealthOpen:
		if c.breakers.Apply(n.Channel, breaker.Open, n.Until) {
			c.s.logger.Warn("routex: breaker opened by another instance", "channel", n.Channel, "probe_at", n.Until)
		}
	case HealthClosed:
		if c.breakers.Apply(n.Channel, breaker.Closed, time.Time{}) {
			c.s.logger.Info("routex: breaker closed by another instance", "channel", n.Channel)
		}
	case HealthRateLimited:
		c.breakers.RateLimit(n.Channel, n.Until)
	case HealthLow:
		c.headroom.set(n.Channel, n.Until, c.s.now())
	}
}

// The Client's side: what it tells the others, and what it asks.

// noteBreaker posts a transition of one of this instance's breakers.
func (c *Client) noteBreaker(id string, to breaker.State) {
	if c.shared == nil || c.shared.Health == nil {
		return
	}
	switch to {
	case breaker.Open:
		c.shared.later(c.shared.post(HealthNote{Channel: id, Kind: HealthOpen, Until: c.breakers.Status(id).ProbeAt}))
	case breaker.Closed:
		c.shared.later(c.shared.post(HealthNote{Channel: id, Kind: HealthClosed}))
	}
}

// noteHealth posts a cool-down or a change of headroom.
func (c *Client) noteHealth(id string, kind HealthKind, until time.Time) {
	if c.shared != nil && c.shared.Health != nil {
		c.shared.later(c.shared.post(HealthNote{Channel: id, Kind: kind, Until: until}))
	}
}

// takeQuota counts one request against rt's limits, across instances when
// they share quotas, and reports whether rt had room for it.
func (c *Client) takeQuota(ctx context.Context, rt *route) bool {
	if len(rt.Limits) == 0 {
		return true
	}
	now := c.s.now()
	if sh := c.shared; sh != nil && sh.Quotas != nil {
		var until time.Time
		err := sh.call(ctx, sh.timeout, func(ctx context.Context) (err error) {
			until, err = sh.Quotas.Take(ctx, rt.ID, rt.Limits, now)
			return err
		})
		if err == nil {
			if !until.IsZero() {
				c.quotas.block(rt.ID, until)
				return false
			}
			c.quotas.count(rt.ID, rt.Limits, now)
			return true
		}
	}
	return c.quotas.Take(rt.ID, rt.Limits, now)
}

// addTokens counts the tokens a request used against rt's limits.
func (c *Client) addTokens(rt *route, n int64) {
	now := c.s.now()
	c.quotas.AddTokens(rt.ID, rt.Limits, n, now)
	if sh := c.shared; sh != nil && sh.Quotas != nil && n > 0 {
		sh.addTokens(rt.ID, rt.Limits, n, now)
	}
}

// sharedSession looks up a session another instance may have bound, and
// keeps it here too.
func (c *Client) sharedSession(ctx context.Context, key string) (string, bool) {
	sh := c.shared
	if sh == nil || sh.Sessions == nil {
		return "", false
	}
	var ss Session
	var ok bool
	err := sh.call(ctx, sh.timeout, func(ctx context.Context) (err error) {
		ss, ok, err = sh.Sessions.Session(ctx, key)
		return err
	})
	if err != nil || !ok || !c.s.now().Before(ss.ExpiresAt) {
		return "", false
	}
	c.sessions.Restore(session.Entry{Key: ss.Key, ChannelID: ss.ChannelID, ExpiresAt: ss.ExpiresAt})
	return ss.ChannelID, true
}

// shareSession puts a session bound here where the others find it. It
// waits for the put: the session's next request may reach another
// instance as soon as this answer leaves, and must find it there. A
// session bound while the state is unreachable is put when it returns.
func (c *Client) shareSession(ctx context.Context, e session.Entry) {
	sh := c.shared
	if sh == nil || sh.Sessions == nil {
		return
	}
	err := sh.call(ctx, sh.timeout, sh.putSession(Session{Key: e.Key, ChannelID: e.ChannelID, ExpiresAt: e.ExpiresAt}))
	if err == nil || ctx.Err() != nil {
		return
	}
	sh.mu.Lock()
	if sh.backfill == nil {
		sh.backfill = make(map[string]struct{})
	}
	if len(sh.backfill) < sharedBackfill {
		sh.backfill[e.Key] = struct{}{}
	}
	sh.mu.Unlock()
}

// forgetSharedSession deletes a session for every instance.
func (c *Client) forgetSharedSession(key string) {
	if sh := c.shared; sh != nil && sh.Sessions != nil {
		sh.later(func(ctx context.Context) error { return sh.Sessions.DeleteSession(ctx, key) })
	}
}
