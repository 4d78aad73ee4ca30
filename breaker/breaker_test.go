package breaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex/internal/fakeclock"
)

var errUpstream = errors.New("upstream failed")

func newFakeClock() *fakeclock.Clock { return fakeclock.New() }

func newTestSet(s Settings) (*Set, *fakeclock.Clock) {
	clock := newFakeClock()
	s.Now = clock.Now
	return NewSet(s), clock
}

// mustAllow admits a request or fails the test.
func mustAllow(t *testing.T, s *Set, key string) func(error) {
	t.Helper()
	done, err := s.Allow(key)
	if err != nil {
		t.Fatalf("Allow(%q) = %v, want admitted", key, err)
	}
	return done
}

func wantRefused(t *testing.T, s *Set, key string, want error) {
	t.Helper()
	if s.Ready(key) {
		t.Errorf("Ready(%q) = true, want false", key)
	}
	if _, err := s.Allow(key); !errors.Is(err, want) {
		t.Errorf("Allow(%q) error = %v, want %v", key, err, want)
	}
}

func TestConsecutiveFailures(t *testing.T) {
	canceled := fmt.Errorf("read body: %w", context.Canceled)
	ignored := fmt.Errorf("status 400: %w", ErrIgnore)
	tests := []struct {
		name         string
		threshold    int
		outcomes     []error
		wantState    State
		wantFailures int
	}{
		{"threshold reached opens", 3, []error{errUpstream, errUpstream, errUpstream}, Open, 3},
		{"one short stays closed", 3, []error{errUpstream, errUpstream}, Closed, 2},
		{"success in between resets", 3, []error{errUpstream, errUpstream, nil, errUpstream, errUpstream}, Closed, 2},
		{"zero threshold means 5", 0, []error{errUpstream, errUpstream, errUpstream, errUpstream}, Closed, 4},
		{"fifth failure opens by default", 0, []error{errUpstream, errUpstream, errUpstream, errUpstream, errUpstream}, Open, 5},
		{"canceled counts as neither", 3, []error{errUpstream, errUpstream, canceled, canceled}, Closed, 2},
		{"canceled does not reset the run", 3, []error{errUpstream, errUpstream, canceled, errUpstream}, Open, 3},
		{"ErrIgnore counts as neither", 2, []error{errUpstream, ignored, ignored}, Closed, 1},
		{"deadline exceeded is a failure", 2, []error{context.DeadlineExceeded, context.DeadlineExceeded}, Open, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestSet(Settings{FailureThreshold: tt.threshold})
			for _, err := range tt.outcomes {
				mustAllow(t, s, "a")(err)
			}
			got := s.Status("a")
			if got.State != tt.wantState || got.ConsecutiveFailures != tt.wantFailures {
				t.Errorf("Status = %v with %d failures, want %v with %d",
					got.State, got.ConsecutiveFailures, tt.wantState, tt.wantFailures)
			}
			if tt.wantState == Open {
				if !got.OpenedAt.Equal(clock.Now()) {
					t.Errorf("OpenedAt = %v, want %v", got.OpenedAt, clock.Now())
				}
				wantRefused(t, s, "a", ErrOpen)
			}
		})
	}
}

func TestCoolDown(t *testing.T) {
	tests := []struct {
		name     string
		coolDown time.Duration
		want     time.Duration
	}{
		{"explicit", 10 * time.Second, 10 * time.Second},
		{"zero means 60s", 0, DefaultCoolDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestSet(Settings{FailureThreshold: 1, CoolDown: tt.coolDown})
			mustAllow(t, s, "a")(errUpstream)

			clock.Advance(tt.want - time.Nanosecond)
			wantRefused(t, s, "a", ErrOpen)

			clock.Advance(time.Nanosecond)
			// Ready must not spend the probe: asking twice changes nothing.
			for range 2 {
				if !s.Ready("a") {
					t.Fatal("Ready = false after the cool-down, want true")
				}
				if got := s.Status("a").State; got != Open {
					t.Fatalf("State after Ready = %v, want open", got)
				}
			}

			done := mustAllow(t, s, "a")
			if got := s.Status("a").State; got != HalfOpen {
				t.Errorf("State after Allow = %v, want half-open", got)
			}
			wantRefused(t, s, "a", ErrOpen)
			done(nil)
		})
	}
}

func TestProbe(t *testing.T) {
	const coolDown = 30 * time.Second
	tests := []struct {
		name         string
		outcome      error
		wantState    State
		wantFailures int
		wantReady    bool
	}{
		{"success closes", nil, Closed, 0, true},
		{"failure reopens", errUpstream, Open, 2, false},
		{"canceled frees the slot", context.Canceled, HalfOpen, 1, true},
		{"ignored frees the slot", fmt.Errorf("429: %w", ErrIgnore), HalfOpen, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestSet(Settings{FailureThreshold: 1, CoolDown: coolDown})
			mustAllow(t, s, "a")(errUpstream)
			clock.Advance(coolDown)
			probe := mustAllow(t, s, "a")
			clock.Advance(time.Second)
			probe(tt.outcome)

			got := s.Status("a")
			if got.State != tt.wantState || got.ConsecutiveFailures != tt.wantFailures {
				t.Errorf("Status = %v with %d failures, want %v with %d",
					got.State, got.ConsecutiveFailures, tt.wantState, tt.wantFailures)
			}
			if ready := s.Ready("a"); ready != tt.wantReady {
				t.Errorf("Ready = %v, want %v", ready, tt.wantReady)
			}
			switch tt.wantState {
			case Closed:
				if !got.OpenedAt.IsZero() {
					t.Errorf("OpenedAt = %v after closing, want zero", got.OpenedAt)
				}
			case Open:
				// A failed probe starts a fresh cool-down from its own end.
				if !got.OpenedAt.Equal(clock.Now()) {
					t.Errorf("OpenedAt = %v, want %v", got.OpenedAt, clock.Now())
				}
				clock.Advance(coolDown - time.Nanosecond)
				wantRefused(t, s, "a", ErrOpen)
				clock.Advance(time.Nanosecond)
				mustAllow(t, s, "a")(nil)
			case HalfOpen:
				mustAllow(t, s, "a")(nil)
			}
			if got := s.Status("a").State; got != Closed {
				t.Errorf("final State = %v, want closed", got)
			}
		})
	}
}

func TestProbeAdmitsExactlyOne(t *testing.T) {
	const callers = 50
	s, clock := newTestSet(Settings{FailureThreshold: 1, CoolDown: time.Minute})
	mustAllow(t, s, "a")(errUpstream)
	clock.Advance(time.Minute)

	var (
		start    = make(chan struct{})
		wg       sync.WaitGroup
		admitted atomic.Int32
		refused  atomic.Int32
		probe    func(error)
		probeMu  sync.Mutex
	)
	for range callers {
		wg.Go(func() {
			<-start
			done, err := s.Allow("a")
			switch {
			case err == nil:
				admitted.Add(1)
				probeMu.Lock()
				probe = done
				probeMu.Unlock()
			case errors.Is(err, ErrOpen):
				refused.Add(1)
			default:
				t.Errorf("Allow error = %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	if admitted.Load() != 1 || refused.Load() != callers-1 {
		t.Fatalf("admitted %d, refused %d; want 1 and %d", admitted.Load(), refused.Load(), callers-1)
	}
	probe(nil)
	if got := s.Status("a").State; got != Closed {
		t.Errorf("State = %v after the probe succeeded, want closed", got)
	}
}

func TestDoneIsIdempotent(t *testing.T) {
	t.Run("failure counted once", func(t *testing.T) {
		s, _ := newTestSet(Settings{FailureThreshold: 2})
		done := mustAllow(t, s, "a")
		done(errUpstream)
		done(errUpstream)
		if got := s.Status("a"); got.State != Closed || got.ConsecutiveFailures != 1 {
			t.Errorf("Status = %v with %d failures, want closed with 1", got.State, got.ConsecutiveFailures)
		}
	})
	t.Run("released probe cannot close later", func(t *testing.T) {
		s, clock := newTestSet(Settings{FailureThreshold: 1})
		mustAllow(t, s, "a")(errUpstream)
		clock.Advance(DefaultCoolDown)
		first := mustAllow(t, s, "a")
		first(context.Canceled)
		second := mustAllow(t, s, "a")
		first(nil) // must not report on the second probe's behalf
		if got := s.Status("a").State; got != HalfOpen {
			t.Fatalf("State = %v, want half-open", got)
		}
		second(errUpstream)
		if got := s.Status("a").State; got != Open {
			t.Errorf("State = %v, want open", got)
		}
	})
	t.Run("refusal returns a usable done", func(t *testing.T) {
		s, _ := newTestSet(Settings{FailureThreshold: 1})
		mustAllow(t, s, "a")(errUpstream)
		done, err := s.Allow("a")
		if !errors.Is(err, ErrOpen) {
			t.Fatalf("Allow error = %v, want ErrOpen", err)
		}
		done(nil)
		if got := s.Status("a").State; got != Open {
			t.Errorf("State = %v, want open", got)
		}
	})
}

func TestStaleOutcomesIgnored(t *testing.T) {
	s, clock := newTestSet(Settings{FailureThreshold: 2})
	inFlight := make([]func(error), 5)
	for i := range inFlight {
		inFlight[i] = mustAllow(t, s, "a")
	}
	inFlight[0](errUpstream)
	inFlight[1](errUpstream)
	opened := s.Status("a")
	if opened.State != Open {
		t.Fatalf("State = %v, want open", opened.State)
	}

	// Requests admitted while closed end after the breaker opened: neither
	// their failures nor their successes say anything about the new state.
	clock.Advance(time.Second)
	inFlight[2](errUpstream)
	inFlight[3](nil)
	if got := s.Status("a"); got != opened {
		t.Errorf("Status = %+v, want unchanged %+v", got, opened)
	}

	clock.Advance(DefaultCoolDown)
	probe := mustAllow(t, s, "a")
	inFlight[4](nil) // a success from before must not close a half-open breaker
	if got := s.Status("a").State; got != HalfOpen {
		t.Errorf("State = %v, want half-open", got)
	}
	probe(nil)
}

type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(key string, from, to State) {
	r.mu.Lock()
	r.got = append(r.got, key+": "+from.String()+" -> "+to.String())
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func TestOnStateChange(t *testing.T) {
	t.Run("every transition", func(t *testing.T) {
		var rec recorder
		var s *Set
		clock := newFakeClock()
		s = NewSet(Settings{
			FailureThreshold: 2,
			Now:              clock.Now,
			OnStateChange: func(key string, from, to State) {
				// Reading the Set from the callback deadlocks if any lock is held.
				if got := s.Status(key).State; got != to {
					t.Errorf("Status inside callback = %v, want %v", got, to)
				}
				s.Ready(key)
				s.Statuses()
				rec.add(key, from, to)
			},
		})
		fail := func() { mustAllow(t, s, "a")(errUpstream) }

		fail()
		fail() // closed -> open
		clock.Advance(DefaultCoolDown)
		fail() // open -> half-open -> open
		clock.Advance(DefaultCoolDown)
		mustAllow(t, s, "a")(context.Canceled) // open -> half-open, slot released
		mustAllow(t, s, "a")(nil)              // half-open -> closed
		fail()
		fail()       // closed -> open
		s.Reset("a") // open -> closed
		s.Reset("a") // already closed: nothing

		want := []string{
			"a: closed -> open",
			"a: open -> half-open",
			"a: half-open -> open",
			"a: open -> half-open",
			"a: half-open -> closed",
			"a: closed -> open",
			"a: open -> closed",
		}
		if got := rec.list(); !slices.Equal(got, want) {
			t.Errorf("transitions:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("callback may cause a transition", func(t *testing.T) {
		var rec recorder
		var s *Set
		s = NewSet(Settings{
			FailureThreshold: 1,
			OnStateChange: func(key string, from, to State) {
				rec.add(key, from, to)
				if to == Open {
					s.Reset(key)
				}
			},
		})
		mustAllow(t, s, "a")(errUpstream)
		want := []string{"a: closed -> open", "a: open -> closed"}
		if got := rec.list(); !slices.Equal(got, want) {
			t.Errorf("transitions = %q, want %q", got, want)
		}
		if got := s.Status("a").State; got != Closed {
			t.Errorf("State = %v, want closed", got)
		}
	})

	t.Run("a panicking callback does not silence the key", func(t *testing.T) {
		var rec recorder
		s := NewSet(Settings{
			FailureThreshold: 1,
			OnStateChange: func(key string, from, to State) {
				rec.add(key, from, to)
				if to == Open {
					panic("callback failed")
				}
			},
		})
		func() {
			defer func() { _ = recover() }()
			mustAllow(t, s, "a")(errUpstream)
		}()
		s.Reset("a")
		want := []string{"a: closed -> open", "a: open -> closed"}
		if got := rec.list(); !slices.Equal(got, want) {
			t.Errorf("transitions = %q, want %q", got, want)
		}
	})
}

func TestRateLimit(t *testing.T) {
	s, clock := newTestSet(Settings{})
	until := clock.Now().Add(10 * time.Second)
	s.RateLimit("a", until)
	wantRefused(t, s, "a", ErrRateLimited)
	if got := s.Status("a").RateLimitedUntil; !got.Equal(until) {
		t.Errorf("RateLimitedUntil = %v, want %v", got, until)
	}

	s.RateLimit("a", clock.Now().Add(time.Second)) // earlier: keeps the later one
	clock.Advance(5 * time.Second)
	wantRefused(t, s, "a", ErrRateLimited)

	clock.Advance(5 * time.Second)
	if !s.Ready("a") {
		t.Error("Ready = false after the rate limit ended")
	}
	if got := s.Status("a").RateLimitedUntil; !got.IsZero() {
		t.Errorf("RateLimitedUntil = %v after it passed, want zero", got)
	}
	mustAllow(t, s, "a")(nil)

	s.RateLimit("b", clock.Now()) // not in the future: no state kept
	if got := s.Statuses(); len(got) != 1 || got[0].Key != "a" {
		t.Errorf("Statuses = %+v, want only a", got)
	}
}

func TestRateLimitDoesNotTouchBreaker(t *testing.T) {
	s, clock := newTestSet(Settings{FailureThreshold: 1, CoolDown: time.Second})
	mustAllow(t, s, "a")(errUpstream)
	clock.Advance(time.Second)
	s.RateLimit("a", clock.Now().Add(time.Minute))
	// Rate-limited and past the cool-down: the probe must not be spent.
	wantRefused(t, s, "a", ErrRateLimited)
	if got := s.Status("a").State; got != Open {
		t.Errorf("State = %v, want open", got)
	}
	clock.Advance(time.Minute)
	mustAllow(t, s, "a")(nil)
	if got := s.Status("a").State; got != Closed {
		t.Errorf("State = %v, want closed", got)
	}
}

func TestRateLimitFor(t *testing.T) {
	tests := []struct {
		name    string
		setting time.Duration
		header  http.Header
		want    time.Duration
	}{
		{"from headers", 0, http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"default when none", 0, http.Header{}, DefaultRateLimit},
		{"configured default", 15 * time.Second, nil, 15 * time.Second},
		{"default when unparsable", 15 * time.Second, http.Header{"Retry-After": {"soon"}}, 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := newTestSet(Settings{RateLimitDefault: tt.setting})
			want := clock.Now().Add(tt.want)
			if got := s.RateLimitFor("a", tt.header); !got.Equal(want) {
				t.Errorf("RateLimitFor = %v, want %v", got, want)
			}
			if got := s.Status("a").RateLimitedUntil; !got.Equal(want) {
				t.Errorf("RateLimitedUntil = %v, want %v", got, want)
			}
		})
	}
}

func TestResetAndForget(t *testing.T) {
	t.Run("reset", func(t *testing.T) {
		s, clock := newTestSet(Settings{FailureThreshold: 2})
		stale := mustAllow(t, s, "a")
		mustAllow(t, s, "a")(errUpstream)
		s.RateLimit("a", clock.Now().Add(time.Hour))
		s.Reset("a")
		if got, want := s.Status("a"), (Status{Key: "a"}); got != want {
			t.Errorf("Status = %+v, want %+v", got, want)
		}
		stale(errUpstream) // admitted before the reset: not counted
		if got := s.Status("a").ConsecutiveFailures; got != 0 {
			t.Errorf("ConsecutiveFailures = %d, want 0", got)
		}
		s.Reset("unknown") // no-op
	})
	t.Run("forget", func(t *testing.T) {
		s, _ := newTestSet(Settings{FailureThreshold: 1})
		stale := mustAllow(t, s, "a")
		mustAllow(t, s, "b")(errUpstream)
		mustAllow(t, s, "a")(errUpstream)
		s.Forget("a")
		if got := s.Statuses(); len(got) != 1 || got[0].Key != "b" {
			t.Errorf("Statuses = %+v, want only b", got)
		}
		mustAllow(t, s, "a")
		stale(errUpstream) // belongs to the forgotten state
		if got := s.Status("a").State; got != Closed {
			t.Errorf("State = %v, want closed", got)
		}
	})
}

func TestStatuses(t *testing.T) {
	s, clock := newTestSet(Settings{FailureThreshold: 1})
	if !s.Ready("never-seen") {
		t.Error("Ready for an unknown key = false")
	}
	if got := s.Status("never-seen"); got != (Status{Key: "never-seen"}) {
		t.Errorf("Status for an unknown key = %+v", got)
	}
	mustAllow(t, s, "c")(nil)
	mustAllow(t, s, "a")(errUpstream)
	s.RateLimit("b", clock.Now().Add(time.Minute))

	want := []Status{
		{Key: "a", State: Open, ConsecutiveFailures: 1, OpenedAt: clock.Now(), ProbeAt: clock.Now().Add(DefaultCoolDown)},
		{Key: "b", RateLimitedUntil: clock.Now().Add(time.Minute)},
		{Key: "c"},
	}
	if got := s.Statuses(); !slices.Equal(got, want) {
		t.Errorf("Statuses:\n got %+v\nwant %+v", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, clock := newTestSet(Settings{FailureThreshold: 3, CoolDown: time.Second})
	keys := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				key := keys[(g+i)%len(keys)]
				switch i % 10 {
				case 0:
					clock.Advance(300 * time.Millisecond)
				case 1:
					s.RateLimit(key, clock.Now().Add(200*time.Millisecond))
				case 2:
					s.Statuses()
				case 3:
					if i%30 == 3 {
						s.Reset(key)
					} else {
						s.Forget(key)
					}
				default:
					s.Ready(key)
					if done, err := s.Allow(key); err == nil {
						if i%3 == 0 {
							done(nil)
						} else {
							done(errUpstream)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	// Whatever happened, every key must come back once its troubles pass.
	clock.Advance(time.Hour)
	for _, key := range keys {
		if !s.Ready(key) {
			t.Errorf("Ready(%q) = false, %+v", key, s.Status(key))
		}
	}
}

func TestStateText(t *testing.T) {
	tests := []struct {
		state State
		text  string
	}{
		{Closed, "closed"},
		{Open, "open"},
		{HalfOpen, "half-open"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.state.String(); got != tt.text {
				t.Errorf("String = %q, want %q", got, tt.text)
			}
			b, err := json.Marshal(tt.state)
			if err != nil || string(b) != `"`+tt.text+`"` {
				t.Errorf("json.Marshal = %s, %v", b, err)
			}
			var back State
			if err := json.Unmarshal(b, &back); err != nil || back != tt.state {
				t.Errorf("json.Unmarshal = %v, %v; want %v", back, err, tt.state)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		if got := State(7).String(); got != "state(7)" {
			t.Errorf("String = %q", got)
		}
		if _, err := State(-1).MarshalText(); err == nil {
			t.Error("MarshalText of an invalid state succeeded")
		}
		var s State
		if err := s.UnmarshalText([]byte("ajar")); err == nil {
			t.Error("UnmarshalText of an unknown name succeeded")
		}
	})
}

func BenchmarkSetReady(b *testing.B) {
	s := NewSet(Settings{})
	for i := range 20 {
		done, _ := s.Allow(fmt.Sprint("channel-", i))
		done(nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Ready("channel-7")
	}
}

func BenchmarkSetReadyParallel(b *testing.B) {
	s := NewSet(Settings{})
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = fmt.Sprint("channel-", i)
		done, _ := s.Allow(keys[i])
		done(nil)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Ready(keys[i%len(keys)])
			i++
		}
	})
}

// BenchmarkSetReadyOpen measures the path taken while a breaker is open:
// the lock and the clock.
func BenchmarkSetReadyOpen(b *testing.B) {
	s := NewSet(Settings{FailureThreshold: 1})
	done, _ := s.Allow("channel")
	done(errUpstream)
	b.ReportAllocs()
	for b.Loop() {
		s.Ready("channel")
	}
}

func BenchmarkSetAllowDone(b *testing.B) {
	s := NewSet(Settings{})
	b.ReportAllocs()
	for b.Loop() {
		done, err := s.Allow("channel")
		if err != nil {
			b.Fatal(err)
		}
		done(nil)
	}
}

// Apply takes another instance's transitions: an open breaker refuses
// until its probe is due, a later note cannot shorten the cool-down, and a
// close lets requests through again, all without OnStateChange.
func TestApply(t *testing.T) {
	var calls atomic.Int32
	s, clock := newTestSet(Settings{CoolDown: time.Minute, OnStateChange: func(string, State, State) { calls.Add(1) }})
	probeAt := clock.Now().Add(30 * time.Second)

	if !s.Apply("a", Open, probeAt) {
		t.Fatal("Apply(Open) on a closed breaker changed nothing")
	}
	wantRefused(t, s, "a", ErrOpen)
	if got := s.Status("a"); got.State != Open || !got.ProbeAt.Equal(probeAt) {
		t.Errorf("Status = %+v, want open with probe at %v", got, probeAt)
	}
	if s.Apply("a", Open, probeAt.Add(-10*time.Second)) {
		t.Error("an earlier probe time was applied")
	}
	if got := s.Status("a").ProbeAt; !got.Equal(probeAt) {
		t.Errorf("ProbeAt = %v after an earlier note, want %v", got, probeAt)
	}

	if n := calls.Load(); n != 0 {
		t.Errorf("OnStateChange called %d times by Apply(Open), want 0", n)
	}
	clock.Advance(31 * time.Second)
	done := mustAllow(t, s, "a") // the probe, this instance's own: open → half-open
	calls.Store(0)
	if s.Status("a").State != HalfOpen {
		t.Fatal("the probe did not move the breaker to half-open")
	}
	if !s.Apply("a", Closed, time.Time{}) {
		t.Fatal("Apply(Closed) on a half-open breaker changed nothing")
	}
	done(errUpstream) // admitted before the close: discarded
	if got := s.Status("a"); got.State != Closed || got.ConsecutiveFailures != 0 {
		t.Errorf("Status = %+v, want closed with no failures", got)
	}
	mustAllow(t, s, "a")(nil)

	if s.Apply("b", Closed, time.Time{}) || s.Apply("a", Closed, time.Time{}) {
		t.Error("closing a closed or unknown breaker reported a change")
	}
	if s.Apply("a", HalfOpen, probeAt) {
		t.Error("HalfOpen was applied")
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("OnStateChange called %d times by Apply, want 0", n)
	}
}
