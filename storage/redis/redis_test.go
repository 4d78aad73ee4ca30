package redis_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/testserver"
	"github.com/routex/routex/storage/redis"
	"github.com/routex/routex/storage/sharedtest"
)

var _ sharedtest.Instance = (*redis.State)(nil)

var prefixes atomic.Int64

// freshPrefix returns a namespace no other test uses.
func freshPrefix() string { return fmt.Sprintf("t%d:", prefixes.Add(1)) }

// open returns a State on srv, closed at the end of the test.
func open(t testing.TB, url string, opts ...redis.Option) *redis.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := redis.New(ctx, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// eventually polls cond every few milliseconds until it holds, failing
// after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestConformance(t *testing.T) {
	srv := testserver.StartRedis(t)
	sharedtest.Run(t, func(t *testing.T) (a, b sharedtest.Instance) {
		p := redis.WithPrefix(freshPrefix())
		return open(t, srv.URL(), p), open(t, srv.URL(), p)
	})
}

// Prefixes keep routers apart on one server.
func TestPrefixesApart(t *testing.T) {
	srv := testserver.StartRedis(t)
	a, b := open(t, srv.URL(), redis.WithPrefix("one:")), open(t, srv.URL(), redis.WithPrefix("two:"))
	ctx := t.Context()
	now := time.Now()
	limits := []routex.Limit{{Per: time.Minute, Requests: 1}}
	if until, err := a.Take(ctx, "c", limits, now); err != nil || !until.IsZero() {
		t.Fatalf("a's first Take = %v, %v", until, err)
	}
	if until, err := b.Take(ctx, "c", limits, now); err != nil || !until.IsZero() {
		t.Errorf("b's first Take = %v, %v; another router's count", until, err)
	}
	if err := a.Post(ctx, routex.HealthNote{Channel: "c", Kind: routex.HealthOpen, Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if ns, err := b.Notes(ctx, now); err != nil || len(ns) != 0 {
		t.Errorf("b's Notes = %v, %v; want none", ns, err)
	}
}

// Limits of one length share a window: a request counts once in it.
func TestQuotaSameLength(t *testing.T) {
	srv := testserver.StartRedis(t)
	st := open(t, srv.URL(), redis.WithPrefix(freshPrefix()))
	now := time.Now().UTC().Truncate(time.Minute).Add(5 * time.Hour)
	limits := []routex.Limit{{Per: time.Minute, Requests: 3}, {Per: time.Minute, Tokens: 1000}, {Per: time.Minute, Requests: 5}}
	taken := 0
	for range 6 {
		until, err := st.Take(t.Context(), "c", limits, now)
		if err != nil {
			t.Fatal(err)
		}
		if until.IsZero() {
			taken++
		}
	}
	if taken != 3 {
		t.Errorf("took %d, want the smaller cap's 3", taken)
	}
}

// Odd channel ids get windows of their own.
func TestQuotaOddChannels(t *testing.T) {
	srv := testserver.StartRedis(t)
	st := open(t, srv.URL(), redis.WithPrefix(freshPrefix()))
	now := time.Now().Add(6 * time.Hour)
	limits := []routex.Limit{{Per: time.Minute, Requests: 1}}
	for _, ch := range []string{"a", "a:60000", "a}", "{a", "a%3A", "é", "a b", strings.Repeat("x", 500)} {
		if until, err := st.Take(t.Context(), ch, limits, now); err != nil || !until.IsZero() {
			t.Errorf("channel %q: first Take = %v, %v", ch, until, err)
		}
	}
}

// A follower subscribes again by itself when Redis dies and comes back.
func TestFollowSurvivesRestart(t *testing.T) {
	srv := testserver.StartRedis(t)
	p := redis.WithPrefix(freshPrefix())
	a, b := open(t, srv.URL(), p), open(t, srv.URL(), p)
	var got sharedtest.Notes
	stop := b.Follow(got.Add)
	defer stop()
	eventually(t, 5*time.Second, "the first note", func() bool {
		_ = a.Post(t.Context(), routex.HealthNote{Channel: "before", Kind: routex.HealthClosed})
		return got.Has("before")
	})

	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	if err := a.Post(ctx, routex.HealthNote{Channel: "during", Kind: routex.HealthClosed}); err == nil {
		t.Error("Post succeeded with Redis down")
	}
	cancel()
	srv.Start()
	start := time.Now()
	eventually(t, 10*time.Second, "a note after the restart", func() bool {
		_ = a.Post(t.Context(), routex.HealthNote{Channel: "after", Kind: routex.HealthClosed})
		return got.Has("after")
	})
	t.Logf("following again %v after the restart", time.Since(start).Round(time.Millisecond))
	if got.Has("during") {
		t.Error("a note Redis never took was followed")
	}
}

// While Redis is down every call fails within a second and a half, not
// only those with a deadline; once it is back they succeed.
func TestFailFastWhileDown(t *testing.T) {
	srv := testserver.StartRedis(t)
	st := open(t, srv.URL(), redis.WithPrefix(freshPrefix()))
	now := time.Now()
	limits := []routex.Limit{{Per: time.Minute, Requests: 100}, {Per: time.Hour, Tokens: 1000}}
	calls := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"Ping", st.Ping},
		{"Take", func(ctx context.Context) error { _, err := st.Take(ctx, "c", limits, now); return err }},
		{"AddTokens", func(ctx context.Context) error { return st.AddTokens(ctx, "c", limits, 10, now) }},
		{"Post", func(ctx context.Context) error {
			return st.Post(ctx, routex.HealthNote{Channel: "c", Kind: routex.HealthOpen, Until: now.Add(time.Minute)})
		}},
		{"Notes", func(ctx context.Context) error { _, err := st.Notes(ctx, now); return err }},
		{"Session", func(ctx context.Context) error { _, _, err := st.Session(ctx, "s"); return err }},
		{"PutSession", func(ctx context.Context) error {
			return st.PutSession(ctx, routex.Session{Key: "s", ChannelID: "c", ExpiresAt: now.Add(time.Hour)})
		}},
		{"DeleteSession", func(ctx context.Context) error { return st.DeleteSession(ctx, "s") }},
		{"Lock", func(ctx context.Context) error {
			unlock, err := st.Lock(ctx, "l", time.Second)
			if err == nil {
				unlock()
			}
			return err
		}},
	}
	for _, c := range calls {
		if err := c.fn(t.Context()); err != nil {
			t.Fatalf("%s with Redis up: %v", c.name, err)
		}
	}
	srv.Stop()
	var slowest time.Duration
	for round := range 3 { // the first call on a broken connection, then the dials
		for _, c := range calls {
			start := time.Now()
			err := c.fn(context.Background())
			d := time.Since(start)
			slowest = max(slowest, d)
			if err == nil {
				t.Errorf("%s succeeded with Redis down", c.name)
			}
			if d > 1500*time.Millisecond {
				t.Errorf("round %d: %s took %v to fail", round, c.name, d)
			}
		}
	}
	t.Logf("with Redis down, the slowest call failed in %v", slowest)
	srv.Start()
	back := time.Now()
	for _, c := range calls {
		eventually(t, 5*time.Second, c.name+" once Redis is back", func() bool { return c.fn(t.Context()) == nil })
	}
	t.Logf("every call succeeded %v after Redis was back", time.Since(back).Round(time.Millisecond))
}

// A Redis that accepts connections and never answers holds a call no
// longer than its context allows.
func TestDeadlineKept(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = redis.New(ctx, "redis://"+l.Addr().String())
	if err == nil {
		t.Fatal("New succeeded against a server that never answers")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("New took %v with a 200 ms deadline", d)
	}
}

// An error never shows the URL's password.
func TestNoPasswordInErrors(t *testing.T) {
	for _, u := range []string{"redis://user:s3cret-pw@127.0.0.1:1/0", "redis://user:s3cret-pw@[::1/0", "http://user:s3cret-pw@x", "redis://:s3cret-pw@127.0.0.1:1/x"} {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		_, err := redis.New(ctx, u)
		cancel()
		if err == nil {
			t.Errorf("New(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}
