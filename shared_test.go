package routex_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/storage/memory"
)

// instances returns n Clients sharing one state, each with opts.
func instances(t *testing.T, n int, share func(*memory.Instance) routex.Shared, opts ...routex.Option) []*routex.Client {
	t.Helper()
	hub := memory.NewShared()
	out := make([]*routex.Client, n)
	for i := range out {
		out[i] = newClient(t, append(opts, routex.WithShared(share(hub.Instance())))...)
	}
	return out
}

func shareAll(in *memory.Instance) routex.Shared { return in.Shared() }

// waitFor polls cond until it holds, failing after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A channel whose breaker opens at one instance is avoided by the others
// from their next request, and taken back by all once a probe succeeds.
func TestSharedBreaker(t *testing.T) {
	bad, good := mock(t, "bad"), mock(t, "good")
	gc := channel("good", routex.FormatAnthropic, good)
	gc.Priority = 1
	cs := instances(t, 3, shareAll, routex.WithChannels(channel("bad", routex.FormatAnthropic, bad), gc),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 2, CoolDown: time.Minute}))
	a, b := cs[0], cs[1]
	bad.Always(mockupstream.Behavior{Status: 500})
	for range 2 {
		resp, _ := post(t, a, anthropicPath, anthropicBody("claude-x", "hi"))
		require.Equal(t, "good", channelOf(resp))
	}
	require.Equal(t, breaker.Open, statusOf(a, "bad").Breaker)
	for _, c := range cs[1:] {
		waitFor(t, "the other instances opening the breaker", func() bool { return statusOf(c, "bad").Breaker == breaker.Open })
	}
	calls := bad.Calls()
	for _, c := range cs[1:] {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, "good", channelOf(resp))
	}
	assert.Equal(t, calls, bad.Calls(), "no other instance tried the dead channel")
	assert.Equal(t, a.Status()[0].Failures, 2)
	assert.Positive(t, b.SharedStatus().Followed)

	// An operator's reset at one instance closes it everywhere.
	bad.Behave(nil)
	a.ResetChannel("bad")
	for _, c := range cs[1:] {
		waitFor(t, "the others closing the breaker", func() bool { return statusOf(c, "bad").Breaker == breaker.Closed })
	}
	resp, _ := post(t, b, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "bad", channelOf(resp))
}

// A rate limit met at one instance cools the channel down at all of them.
func TestSharedCoolDown(t *testing.T) {
	limited, spare := mock(t, "limited"), mock(t, "spare")
	sc := channel("spare", routex.FormatAnthropic, spare)
	sc.Priority = 1
	cs := instances(t, 2, shareAll, routex.WithChannels(channel("limited", routex.FormatAnthropic, limited), sc))
	limited.Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"Retry-After": "120"}})
	resp, _ := post(t, cs[0], anthropicPath, anthropicBody("claude-x", "hi"))
	require.Equal(t, "spare", channelOf(resp))
	waitFor(t, "the other instance cooling down", func() bool { return !statusOf(cs[1], "limited").RateLimitedUntil.IsZero() })
	until := statusOf(cs[1], "limited").RateLimitedUntil
	assert.WithinDuration(t, time.Now().Add(120*time.Second), until, 5*time.Second)
	calls := limited.Calls()
	resp, _ = post(t, cs[1], anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "spare", channelOf(resp))
	assert.Equal(t, calls, limited.Calls())
}

// A quota is exact across instances: 64 callers spread over three
// instances get exactly the 30 requests a minute the account allows.
func TestSharedQuotaExact(t *testing.T) {
	up := mock(t, "up")
	ch := channel("acct", routex.FormatAnthropic, up)
	ch.Limits = []routex.Limit{{Per: time.Minute, Requests: 30}}
	cs := instances(t, 3, shareAll, routex.WithChannels(ch))
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := post(t, cs[i%3], anthropicPath, anthropicBody("claude-x", "hi"))
			switch resp.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusServiceUnavailable:
				refused.Add(1)
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	// At the turn of a minute the window rolls mid-test: allow the next.
	if up.Calls() > 30 && time.Now().Second() > 1 {
		t.Errorf("the account got %d requests, over its 30", up.Calls())
	}
	assert.Equal(t, int32(up.Calls()), ok.Load())
	assert.Equal(t, int32(64), ok.Load()+refused.Load())
	if ok.Load() < 30 {
		t.Errorf("only %d requests passed, under the 30 allowed", ok.Load())
	}
}

// A session stays on its channel whichever instance it reaches.
func TestSharedSessions(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	cs := instances(t, 3, shareAll, routex.WithChannels(channel("a", routex.FormatAnthropic, a), channel("b", routex.FormatAnthropic, b)),
		routex.WithStrategy("round_robin"))
	for _, session := range []string{"s1", "s2", "s3", "s4"} {
		resp, _ := post(t, cs[0], anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", session)
		first := channelOf(resp)
		for i := range 6 {
			c := cs[1+i%2]
			resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", session)
			assert.Equal(t, first, channelOf(resp), "session %s on instance %d", session, 1+i%2)
		}
	}
	assert.Positive(t, a.Calls())
	assert.Positive(t, b.Calls(), "sessions spread over both channels")
}

// flaky is a shared state that can be taken away: every call fails while
// down is set, as calls to a Redis that died do.
type flaky struct {
	in   *memory.Instance
	down atomic.Bool
	fail atomic.Int32 // calls refused
}

var errGone = errors.New("connection refused")

func (f *flaky) check() error {
	if f.down.Load() {
		f.fail.Add(1)
		return errGone
	}
	return nil
}

func (f *flaky) Post(ctx context.Context, n routex.HealthNote) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.in.Post(ctx, n)
}

func (f *flaky) Follow(fn func(routex.HealthNote)) func() { return f.in.Follow(fn) }

func (f *flaky) Notes(ctx context.Context, now time.Time) ([]routex.HealthNote, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.in.Notes(ctx, now)
}

func (f *flaky) Take(ctx context.Context, ch string, l []routex.Limit, now time.Time) (time.Time, error) {
	if err := f.check(); err != nil {
		return time.Time{}, err
	}
	return f.in.Take(ctx, ch, l, now)
}

func (f *flaky) AddTokens(ctx context.Context, ch string, l []routex.Limit, n int64, now time.Time) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.in.AddTokens(ctx, ch, l, n, now)
}

func (f *flaky) Session(ctx context.Context, key string) (routex.Session, bool, error) {
	if err := f.check(); err != nil {
		return routex.Session{}, false, err
	}
	return f.in.Session(ctx, key)
}

func (f *flaky) PutSession(ctx context.Context, s routex.Session) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.in.PutSession(ctx, s)
}

func (f *flaky) DeleteSession(ctx context.Context, key string) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.in.DeleteSession(ctx, key)
}

func (f *flaky) shared() routex.Shared { return routex.Shared{Health: f, Quotas: f, Sessions: f} }

// With its shared state gone, an instance serves every request on its own
// state, says so, and catches up once the state returns.
func TestSharedStateDown(t *testing.T) {
	up, other := mock(t, "up"), mock(t, "other")
	ch := channel("up", routex.FormatAnthropic, up)
	ch.Limits = []routex.Limit{{Per: time.Minute, Requests: 1000}}
	hub := memory.NewShared()
	fa, fb := &flaky{in: hub.Instance()}, &flaky{in: hub.Instance()}
	opts := []routex.Option{routex.WithChannels(ch, channel("other", routex.FormatAnthropic, other)), routex.WithStrategy("round_robin")}
	a := newClient(t, append(opts, routex.WithShared(fa.shared()))...)
	b := newClient(t, append(opts, routex.WithShared(fb.shared()))...)
	assert.Equal(t, routex.SharedStatus{Configured: true, Reachable: true}, withoutSync(a.SharedStatus()))

	fa.down.Store(true)
	for i := range 20 {
		resp, _ := post(t, a, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "during-"+string(rune('a'+i)))
		require.Equal(t, http.StatusOK, resp.StatusCode, "no request fails because the shared state did")
	}
	st := a.SharedStatus()
	assert.False(t, st.Reachable)
	assert.Equal(t, uint64(1), st.Outages, "one outage, however many calls failed")
	assert.Contains(t, st.Error, "connection refused")
	assert.False(t, st.Since.IsZero())
	assert.LessOrEqual(t, int(fa.fail.Load()), 5, "an unreachable state is not asked on every request")

	fa.down.Store(false)
	waitFor(t, "the instance finding its shared state back", func() bool {
		post(t, a, anthropicPath, anthropicBody("claude-x", "hi"))
		return a.SharedStatus().Reachable
	})
	// The sessions bound during the outage reach the other instance.
	waitFor(t, "the outage's sessions reaching the other instance", func() bool {
		_, ok, _ := hub.Instance().Session(context.Background(), "during-a")
		return ok
	})
	resp, _ := post(t, a, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "during-c")
	first := channelOf(resp)
	resp, _ = post(t, b, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "during-c")
	assert.Equal(t, first, channelOf(resp), "a session bound during the outage, found by the other instance")
}

func withoutSync(s routex.SharedStatus) routex.SharedStatus {
	s.LastSync = time.Time{}
	return s
}
