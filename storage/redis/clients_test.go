package redis_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/internal/testserver"
	"github.com/routex/routex/storage/redis"
)

// Clients over Redis: the root package's shared-state tests, with each
// instance its own State on one server.

func upstream(t *testing.T, name string) *mockupstream.Server {
	t.Helper()
	s := mockupstream.New(name)
	t.Cleanup(s.Close)
	return s
}

func channel(id string, srv *mockupstream.Server) routex.Channel {
	return routex.Channel{ID: id, Type: routex.FormatAnthropic, BaseURL: srv.URL, APIKey: "sk-" + id + "-test-key"}
}

var quiet = slog.New(slog.DiscardHandler)

// instances returns n Clients, each with its own State on srv under one
// fresh prefix.
func instances(t *testing.T, srv *testserver.Redis, n int, opts ...routex.Option) ([]*routex.Client, redis.Option) {
	t.Helper()
	p := redis.WithPrefix(freshPrefix())
	out := make([]*routex.Client, n)
	for i := range out {
		st := open(t, srv.URL(), p, redis.WithLogger(quiet))
		c, err := routex.New(append(opts, routex.WithShared(st.Shared()), routex.WithLogger(quiet))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		out[i] = c
	}
	return out, p
}

// send posts a small Anthropic request through c and returns the status
// and the channel that served it.
func send(t *testing.T, c *routex.Client, header ...string) (int, string) {
	t.Helper()
	body := `{"model":"claude-x","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	req, err := http.NewRequest(http.MethodPost, "http://routex.invalid/v1/messages", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Routex-Channel")
}

func breakerOf(c *routex.Client, id string) breaker.State {
	for _, s := range c.Status() {
		if s.ID == id {
			return s.Breaker
		}
	}
	return breaker.Closed
}

// A breaker that opens at one instance is open at the others within
// 100 ms, they send the dead channel nothing, and a reset closes it at all.
func TestClientsShareBreaker(t *testing.T) {
	srv := testserver.StartRedis(t)
	bad, good := upstream(t, "bad"), upstream(t, "good")
	gc := channel("good", good)
	gc.Priority = 1
	// The hook tells when the breaker opened at the instance that saw the
	// failures; the others open theirs from its note.
	var openedAt atomic.Int64
	hook := func(key string, from, to breaker.State) {
		if key == "bad" && to == breaker.Open {
			openedAt.CompareAndSwap(0, time.Now().UnixNano())
		}
	}
	cs, prefix := instances(t, srv, 3, routex.WithChannels(channel("bad", bad), gc),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 2, CoolDown: time.Minute, OnStateChange: hook}))
	a := cs[0]
	warm(t, srv, prefix, "good", cs)

	bad.Always(mockupstream.Behavior{Status: 500})
	for range 2 {
		if status, ch := send(t, a); status != 200 || ch != "good" {
			t.Fatalf("status %d from %q, want 200 from good", status, ch)
		}
	}
	if breakerOf(a, "bad") != breaker.Open || openedAt.Load() == 0 {
		t.Fatal("the breaker did not open at the instance that saw the failures")
	}
	opened := time.Unix(0, openedAt.Load())
	t.Logf("the first request after the failures returned %v after the breaker opened", time.Since(opened))
	var slowest time.Duration
	for _, c := range cs[1:] {
		for breakerOf(c, "bad") != breaker.Open {
			if time.Since(opened) > 5*time.Second {
				t.Fatal("another instance did not open the breaker within 5 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
		slowest = max(slowest, time.Since(opened))
	}
	t.Logf("the breaker opened at the other instances %v after it opened at the first", slowest)
	if slowest > 100*time.Millisecond {
		t.Errorf("the breaker took %v to reach the others, over 100 ms", slowest)
	}
	calls := bad.Calls()
	for _, c := range cs[1:] {
		if _, ch := send(t, c); ch != "good" {
			t.Errorf("served by %q, want good", ch)
		}
	}
	if bad.Calls() != calls {
		t.Errorf("the other instances sent the dead channel %d requests", bad.Calls()-calls)
	}

	bad.Behave(nil)
	a.ResetChannel("bad")
	for _, c := range cs[1:] {
		eventually(t, 5*time.Second, "the others closing the breaker", func() bool { return breakerOf(c, "bad") == breaker.Closed })
	}
	if _, ch := send(t, cs[1]); ch != "bad" {
		t.Errorf("after the reset: served by %q, want bad", ch)
	}
}

// warm posts a note that changes nothing (the channel id's breaker is
// closed) through a State of its own until every Client has followed one:
// each follower subscribes a moment after routex.New returns.
func warm(t *testing.T, srv *testserver.Redis, prefix redis.Option, id string, cs []*routex.Client) {
	t.Helper()
	st := open(t, srv.URL(), prefix, redis.WithLogger(quiet))
	eventually(t, 5*time.Second, "every instance following", func() bool {
		_ = st.Post(t.Context(), routex.HealthNote{Channel: id, Kind: routex.HealthClosed})
		for _, c := range cs {
			if c.SharedStatus().Followed == 0 {
				return false
			}
		}
		return true
	})
}

// 64 requests over three instances get exactly the 30 a minute the
// account allows.
func TestClientsQuotaExact(t *testing.T) {
	srv := testserver.StartRedis(t)
	up := upstream(t, "up")
	ch := channel("acct", up)
	ch.Limits = []routex.Limit{{Per: time.Minute, Requests: 30}}
	cs, _ := instances(t, srv, 3, routex.WithChannels(ch))
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch status, _ := send(t, cs[i%3]); status {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusServiceUnavailable:
				refused.Add(1)
			default:
				t.Errorf("status %d", status)
			}
		}()
	}
	wg.Wait()
	// A minute that rolls during the test lets the next window's 30 in.
	rolled := !time.Now().UTC().Truncate(time.Minute).Equal(start.UTC().Truncate(time.Minute))
	if !rolled && (up.Calls() != 30 || ok.Load() != 30) {
		t.Errorf("the account got %d requests and %d passed, want exactly 30", up.Calls(), ok.Load())
	}
	if ok.Load()+refused.Load() != 64 || int(ok.Load()) != up.Calls() {
		t.Errorf("%d passed, %d refused, %d reached the account", ok.Load(), refused.Load(), up.Calls())
	}
	for _, c := range cs {
		if !c.SharedStatus().Reachable {
			t.Error("an instance lost Redis: its count was local")
		}
	}
}

// A session stays on its channel whichever instance it reaches.
func TestClientsShareSessions(t *testing.T) {
	srv := testserver.StartRedis(t)
	a, b := upstream(t, "a"), upstream(t, "b")
	cs, _ := instances(t, srv, 3, routex.WithChannels(channel("a", a), channel("b", b)), routex.WithStrategy("round_robin"))
	for i := range 4 {
		session := fmt.Sprintf("s%d", i)
		_, first := send(t, cs[0], "X-Session-Id", session)
		for j := range 6 {
			if _, ch := send(t, cs[1+j%2], "X-Session-Id", session); ch != first {
				t.Errorf("session %s: served by %q at instance %d, first by %q", session, ch, 1+j%2, first)
			}
		}
	}
	if a.Calls() == 0 || b.Calls() == 0 {
		t.Errorf("calls a=%d b=%d: sessions should spread over both", a.Calls(), b.Calls())
	}
}

// With Redis gone the instances serve on their own state, each request
// within its bound, and find Redis back when it returns; a session bound
// during the outage is put there then.
func TestClientsRedisDown(t *testing.T) {
	srv := testserver.StartRedis(t)
	up, other := upstream(t, "up"), upstream(t, "other")
	ch := channel("up", up)
	ch.Limits = []routex.Limit{{Per: time.Minute, Requests: 1000}}
	cs, prefix := instances(t, srv, 2, routex.WithChannels(ch, channel("other", other)), routex.WithStrategy("round_robin"))
	a, b := cs[0], cs[1]
	if status, _ := send(t, a); status != 200 {
		t.Fatalf("status %d", status)
	}
	srv.Stop()
	var slowest time.Duration
	for i := range 10 {
		start := time.Now()
		if status, _ := send(t, a, "X-Session-Id", fmt.Sprintf("down-%d", i)); status != 200 {
			t.Fatalf("status %d with Redis down", status)
		}
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("with Redis down, the slowest request took %v", slowest)
	if slowest > time.Second {
		t.Errorf("a request took %v with Redis down", slowest)
	}
	if a.SharedStatus().Reachable {
		t.Error("SharedStatus says reachable with Redis down")
	}
	srv.Start()
	for _, c := range cs {
		eventually(t, 10*time.Second, "the instances finding Redis back", func() bool {
			send(t, c)
			return c.SharedStatus().Reachable
		})
	}
	observer := open(t, srv.URL(), prefix, redis.WithLogger(quiet))
	eventually(t, 10*time.Second, "the outage's sessions reaching Redis", func() bool {
		_, ok, _ := observer.Session(t.Context(), "down-3")
		return ok
	})
	_, first := send(t, a, "X-Session-Id", "down-3")
	if _, ch := send(t, b, "X-Session-Id", "down-3"); ch != first {
		t.Errorf("a session bound during the outage: served by %q at the other instance, %q at its own", ch, first)
	}
}
