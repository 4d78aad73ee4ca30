// Package sharedtest is the conformance suite for the state that instances
// of one router share (routex.HealthBoard, routex.QuotaCounter,
// routex.SessionShare and oauth.Locker): every implementation passes Run.
package sharedtest

import (
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex"
)

// Instance is one instance's view of a shared state.
type Instance interface {
	routex.HealthBoard
	routex.QuotaCounter
	routex.SessionShare
	Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error)
}

// Run runs the suite. open returns two views of one new, empty shared
// state, as two instances would hold them.
func Run(t *testing.T, open func(t *testing.T) (a, b Instance)) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Instance, Instance)
	}{
		{"FollowOthers", testFollow},
		{"NotesInForce", testNotes},
		{"QuotaExact", testQuotaExact},
		{"QuotaWindows", testQuotaWindows},
		{"QuotaTokens", testQuotaTokens},
		{"Sessions", testSessions},
		{"SessionExpiry", testSessionExpiry},
		{"LockExcludes", testLockExcludes},
		{"LockLapses", testLockLapses},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := open(t)
			tc.fn(t, a, b)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ms is t as implementations keep it: to the millisecond.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

func sameNote(a, b routex.HealthNote) bool {
	return a.Channel == b.Channel && a.Kind == b.Kind && ms(a.Until).Equal(ms(b.Until))
}

// Notes collects the notes a follower is handed, for tests: pass its Add
// to HealthBoard.Follow.
type Notes struct {
	mu    sync.Mutex
	notes []routex.HealthNote
}

// Add keeps n.
func (c *Notes) Add(n routex.HealthNote) {
	c.mu.Lock()
	c.notes = append(c.notes, n)
	c.mu.Unlock()
}

// Get returns the notes kept so far, in the order they came.
func (c *Notes) Get() []routex.HealthNote {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notes)
}

// Has reports whether a note about channel came.
func (c *Notes) Has(channel string) bool {
	return slices.ContainsFunc(c.Get(), func(n routex.HealthNote) bool { return n.Channel == channel })
}

// Notes posted by one instance reach the other's followers, in order,
// within 100 ms; never the poster's own.
func testFollow(t *testing.T, a, b Instance) {
	var atA, atB Notes
	stopA := a.Follow(atA.Add)
	defer stopA()
	stopB := b.Follow(atB.Add)
	defer stopB()

	now := time.Now()
	sent := []routex.HealthNote{
		{Channel: "c1", Kind: routex.HealthOpen, Until: now.Add(time.Minute)},
		{Channel: "c1", Kind: routex.HealthClosed},
		{Channel: "c2", Kind: routex.HealthRateLimited, Until: now.Add(30 * time.Second)},
		{Channel: "c2", Kind: routex.HealthLow, Until: now.Add(10 * time.Second)},
	}
	// Followers may start listening a moment after Follow returns:
	// post a first note until it arrives, then the ones that count.
	warm := routex.HealthNote{Channel: "warm", Kind: routex.HealthClosed}
	eventually(t, 5*time.Second, "a first note reaching the other instance", func() bool {
		must(t, a.Post(t.Context(), warm))
		return len(atB.Get()) > 0
	})
	start := time.Now()
	for _, n := range sent {
		must(t, a.Post(t.Context(), n))
	}
	eventually(t, 2*time.Second, "the notes reaching the other instance", func() bool {
		got := atB.Get()
		return len(got) > 0 && sameNote(got[len(got)-1], sent[len(sent)-1])
	})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Logf("notes took %v to arrive (the bar is 100 ms)", d)
	}
	var got []routex.HealthNote
	for _, n := range atB.Get() {
		if n.Channel != "warm" {
			got = append(got, n)
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("followed %d notes, want %d: %+v", len(got), len(sent), got)
	}
	for i := range sent {
		if !sameNote(got[i], sent[i]) {
			t.Errorf("note %d = %+v, want %+v", i, got[i], sent[i])
		}
	}

	must(t, b.Post(t.Context(), routex.HealthNote{Channel: "from-b", Kind: routex.HealthClosed}))
	eventually(t, 2*time.Second, "b's note reaching a", func() bool {
		for _, n := range atA.Get() {
			if n.Channel == "from-b" {
				return true
			}
		}
		return false
	})
	for _, n := range atA.Get() {
		if n.Channel != "from-b" {
			t.Errorf("a followed its own note %+v", n)
		}
	}
	for _, n := range atB.Get() {
		if n.Channel == "from-b" {
			t.Errorf("b followed its own note %+v", n)
		}
	}

	stopB()
	stopB() // idempotent
	before := len(atB.Get())
	must(t, a.Post(t.Context(), routex.HealthNote{Channel: "late", Kind: routex.HealthClosed}))
	must(t, b.Post(t.Context(), routex.HealthNote{Channel: "from-b", Kind: routex.HealthClosed}))
	eventually(t, 2*time.Second, "a following on", func() bool { return len(atA.Get()) >= 2 })
	if n := len(atB.Get()); n != before {
		t.Errorf("b followed %d notes after stop", n-before)
	}
}

func sortNotes(ns []routex.HealthNote) {
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].Channel != ns[j].Channel {
			return ns[i].Channel < ns[j].Channel
		}
		return ns[i].Kind < ns[j].Kind
	})
}

func checkNotes(t *testing.T, in Instance, now time.Time, want ...routex.HealthNote) {
	t.Helper()
	got, err := in.Notes(t.Context(), now)
	must(t, err)
	sortNotes(got)
	sortNotes(want)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = sameNote(got[i], want[i])
	}
	if !ok {
		t.Errorf("Notes =\n%+v\nwant\n%+v", got, want)
	}
}

// Notes returns what is in force: the last open breaker per channel, the
// longest cool-down, the last headroom; a close ends the open breaker.
func testNotes(t *testing.T, a, b Instance) {
	ctx := t.Context()
	now := time.Now()
	open := routex.HealthNote{Channel: "x", Kind: routex.HealthOpen, Until: now.Add(time.Minute)}
	limited := routex.HealthNote{Channel: "x", Kind: routex.HealthRateLimited, Until: now.Add(30 * time.Second)}
	low := routex.HealthNote{Channel: "y", Kind: routex.HealthLow, Until: now.Add(10 * time.Second)}
	past := routex.HealthNote{Channel: "z", Kind: routex.HealthOpen, Until: now.Add(-time.Second)}
	for _, n := range []routex.HealthNote{open, limited, low, past} {
		must(t, a.Post(ctx, n))
	}
	checkNotes(t, b, now, open, limited, low)
	checkNotes(t, b, now.Add(20*time.Second), open, limited)

	must(t, b.Post(ctx, routex.HealthNote{Channel: "x", Kind: routex.HealthRateLimited, Until: now.Add(5 * time.Second)}))
	checkNotes(t, a, now, open, limited, low) // a cool-down is never shortened

	reopened := routex.HealthNote{Channel: "x", Kind: routex.HealthOpen, Until: now.Add(2 * time.Minute)}
	must(t, b.Post(ctx, reopened))
	checkNotes(t, a, now, reopened, limited, low)

	must(t, a.Post(ctx, routex.HealthNote{Channel: "x", Kind: routex.HealthClosed}))
	must(t, a.Post(ctx, routex.HealthNote{Channel: "y", Kind: routex.HealthLow, Until: now}))
	checkNotes(t, b, now, limited)
}

// A quota lets exactly its limit through, however many callers on however
// many instances ask at once.
func testQuotaExact(t *testing.T, a, b Instance) {
	limits := []routex.Limit{{Per: time.Minute, Requests: 30}}
	now := time.Now().Add(time.Hour) // a window of its own, whatever the clock
	end := now.UTC().Truncate(time.Minute).Add(time.Minute)
	var taken, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		in := a
		if i%2 == 1 {
			in = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			until, err := in.Take(context.Background(), "q", limits, now)
			if err != nil {
				t.Error(err)
				return
			}
			if until.IsZero() {
				taken.Add(1)
				return
			}
			refused.Add(1)
			if !until.Equal(end) {
				t.Errorf("blocked until %v, want the window's end %v", until, end)
			}
		}()
	}
	wg.Wait()
	if taken.Load() != 30 || refused.Load() != 34 {
		t.Errorf("took %d and refused %d of 64, want 30 and 34", taken.Load(), refused.Load())
	}
	// Another channel has its own count.
	if until, err := b.Take(t.Context(), "other", limits, now); err != nil || !until.IsZero() {
		t.Errorf("another channel: Take = %v, %v; want counted", until, err)
	}
}

func take(t *testing.T, in Instance, limits []routex.Limit, now time.Time, n int) (taken int, until time.Time) {
	t.Helper()
	for range n {
		u, err := in.Take(t.Context(), "w", limits, now)
		must(t, err)
		if u.IsZero() {
			taken++
		} else {
			until = u
		}
	}
	return taken, until
}

// Windows are fixed intervals of UTC time, and a request counts in all of
// them or, when one is exhausted, in none.
func testQuotaWindows(t *testing.T, a, b Instance) {
	limits := []routex.Limit{{Per: time.Minute, Requests: 5}, {Per: time.Hour, Requests: 7}}
	hour := time.Now().UTC().Truncate(time.Hour).Add(2 * time.Hour) // a future hour, its own keys
	first := hour.Add(10 * time.Second)

	n, until := take(t, a, limits, first, 10)
	if n != 5 || !until.Equal(hour.Add(time.Minute)) {
		t.Errorf("first minute: took %d, blocked until %v; want 5 and %v", n, until, hour.Add(time.Minute))
	}
	n, until = take(t, b, limits, first.Add(time.Minute), 10)
	if n != 2 || !until.Equal(hour.Add(time.Hour)) {
		t.Errorf("second minute: took %d, blocked until %v; want 2 (the hour's 7) and %v", n, until, hour.Add(time.Hour))
	}
	n, _ = take(t, a, limits, hour.Add(time.Hour+time.Second), 1)
	if n != 1 {
		t.Error("the next hour refused a request")
	}
}

// Tokens count once a request ends; a window whose tokens are spent
// refuses the next request.
func testQuotaTokens(t *testing.T, a, b Instance) {
	limits := []routex.Limit{{Per: time.Minute, Tokens: 100}}
	now := time.Now().UTC().Truncate(time.Minute).Add(3 * time.Hour)
	must(t, a.AddTokens(t.Context(), "w", limits, 60, now))
	if n, _ := take(t, b, limits, now, 1); n != 1 {
		t.Error("refused with 60 of 100 tokens used")
	}
	must(t, b.AddTokens(t.Context(), "w", limits, 50, now))
	n, until := take(t, a, limits, now, 1)
	if n != 0 || !until.Equal(now.Add(time.Minute)) {
		t.Errorf("with 110 of 100 tokens used: took %d, until %v; want refused until %v", n, until, now.Add(time.Minute))
	}
	if n, _ := take(t, a, limits, now.Add(time.Minute), 1); n != 1 {
		t.Error("the next window refused")
	}
}

// A session put through one instance is found through the other.
func testSessions(t *testing.T, a, b Instance) {
	ctx := t.Context()
	if _, ok, err := b.Session(ctx, "s1"); err != nil || ok {
		t.Fatalf("Session of an unknown key = %v, %v", ok, err)
	}
	exp := time.Now().Add(time.Hour)
	must(t, a.PutSession(ctx, routex.Session{Key: "s1", ChannelID: "c1", ExpiresAt: exp}))
	got, ok, err := b.Session(ctx, "s1")
	must(t, err)
	if !ok || got.Key != "s1" || got.ChannelID != "c1" || !ms(got.ExpiresAt).Equal(ms(exp)) {
		t.Errorf("Session = %+v, %v; want s1 on c1 until %v", got, ok, exp)
	}
	must(t, b.PutSession(ctx, routex.Session{Key: "s1", ChannelID: "c2", ExpiresAt: exp}))
	if got, _, _ := a.Session(ctx, "s1"); got.ChannelID != "c2" {
		t.Errorf("after moving: Session = %+v, want on c2", got)
	}
	long := "k" + string(make([]byte, 300)) + "é\x00/:*"
	must(t, a.PutSession(ctx, routex.Session{Key: long, ChannelID: "c3", ExpiresAt: exp}))
	if got, ok, _ := b.Session(ctx, long); !ok || got.ChannelID != "c3" || got.Key != long {
		t.Errorf("an odd key: Session = %+v, %v", got, ok)
	}
	must(t, a.DeleteSession(ctx, "s1"))
	if _, ok, _ := b.Session(ctx, "s1"); ok {
		t.Error("a deleted session is still found")
	}
	must(t, b.DeleteSession(ctx, "never"))
}

// A session ends at its ExpiresAt.
func testSessionExpiry(t *testing.T, a, b Instance) {
	ctx := t.Context()
	must(t, a.PutSession(ctx, routex.Session{Key: "gone", ChannelID: "c", ExpiresAt: time.Now().Add(-time.Second)}))
	if _, ok, _ := b.Session(ctx, "gone"); ok {
		t.Error("a session put already expired is found")
	}
	must(t, a.PutSession(ctx, routex.Session{Key: "soon", ChannelID: "c", ExpiresAt: time.Now().Add(300 * time.Millisecond)}))
	if _, ok, _ := b.Session(ctx, "soon"); !ok {
		t.Fatal("a live session is not found")
	}
	eventually(t, 3*time.Second, "the session expiring", func() bool {
		_, ok, err := b.Session(ctx, "soon")
		must(t, err)
		return !ok
	})
}

// One holder at a time, across instances; a waiter gets the lock when it
// is let go; a lock is per name.
func testLockExcludes(t *testing.T, a, b Instance) {
	unlock, err := a.Lock(t.Context(), "refresh:c1", 10*time.Second)
	must(t, err)
	short, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	if _, err := b.Lock(short, "refresh:c1", 10*time.Second); err == nil {
		t.Fatal("b took a lock a holds")
	}
	cancel()
	other, err := b.Lock(t.Context(), "refresh:c2", 10*time.Second)
	must(t, err)
	other()

	got := make(chan func(), 1)
	go func() {
		u, err := b.Lock(context.Background(), "refresh:c1", 10*time.Second)
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("b took the lock before a let it go")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		if u != nil {
			u()
		}
	case <-time.After(2 * time.Second):
		t.Fatal("b did not get the lock within 2 s of its release")
	}

	// Mutual exclusion under contention.
	var inside, most, runs atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		in := a
		if i%2 == 1 {
			in = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := in.Lock(context.Background(), "busy", 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			runs.Add(1)
			u()
		}()
	}
	wg.Wait()
	if most.Load() != 1 || runs.Load() != 16 {
		t.Errorf("%d holders at once at most over %d runs, want 1 over 16", most.Load(), runs.Load())
	}
}

// A holder that never lets go (a crashed instance) loses the lock after
// its ttl, and its late unlock does not free the next holder's.
func testLockLapses(t *testing.T, a, b Instance) {
	stale, err := a.Lock(t.Context(), "lapse", 300*time.Millisecond)
	must(t, err)
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	fresh, err := b.Lock(ctx, "lapse", 10*time.Second)
	must(t, err)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("b took the lock after %v, before it lapsed", d)
	}
	stale()
	short, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel2()
	if _, err := a.Lock(short, "lapse", time.Second); err == nil {
		t.Error("a lapsed holder's unlock freed the next holder's lock")
	}
	fresh()
}
