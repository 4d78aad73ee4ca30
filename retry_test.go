package routex_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

func TestDefaultCheckRetry(t *testing.T) {
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	api, oauth := &routex.Channel{ID: "k"}, &routex.Channel{ID: "o", OAuth: true}
	status := func(n int) *http.Response { return &http.Response{StatusCode: n, Header: http.Header{}} }
	for _, n := range []int{408, 409, 429, 500, 502, 503, 504, 529} {
		assert.True(t, routex.DefaultCheckRetry(ctx, api, status(n), nil), "%d moves on", n)
		assert.False(t, routex.DefaultCheckRetry(gone, api, status(n), nil), "%d after the caller went away", n)
	}
	for _, n := range []int{400, 403, 404, 413, 422, 501} {
		assert.False(t, routex.DefaultCheckRetry(ctx, api, status(n), nil), "%d is the request's own fault", n)
	}
	assert.False(t, routex.DefaultCheckRetry(ctx, api, status(401), nil), "a refused key fails the same on a retry")
	assert.True(t, routex.DefaultCheckRetry(ctx, oauth, status(401), nil), "another account may take it")
	assert.True(t, routex.DefaultCheckRetry(ctx, api, nil, errors.New("connection reset")))
	assert.False(t, routex.DefaultCheckRetry(gone, api, nil, errors.New("connection reset")))
}

func TestDefaultBackoff(t *testing.T) {
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond,
		5: 1600 * time.Millisecond, 6: 2 * time.Second, 40: 2 * time.Second, 1 << 30: 2 * time.Second} {
		for range 50 {
			d := routex.DefaultBackoff(n)
			assert.True(t, d >= base/2 && d < base*3/2, "wait %d = %v, want %v ± 50%%", n, d, base)
		}
	}
}

// CheckRetry decides, for statuses and for transport errors alike, whether a
// failed attempt moves the request on.
func TestCheckRetry(t *testing.T) {
	type seen struct {
		ch     string
		status int
		err    bool
	}
	setUp := func(t *testing.T, a mockupstream.Behavior, check func(*routex.Channel, *http.Response, error) bool) (*routex.Client, *mockupstream.Server, *[]seen) {
		up, down := mock(t, "a"), mock(t, "b")
		up.Always(a)
		var got []seen
		ca, cb := channel("a", routex.FormatAnthropic, up), channel("b", routex.FormatAnthropic, down)
		ca.Priority, cb.Priority = 0, 1
		c := newClient(t, routex.WithChannels(ca, cb), routex.WithRetry(routex.RetryPolicy{
			CheckRetry: func(ctx context.Context, ch *routex.Channel, resp *http.Response, err error) bool {
				s := seen{ch: ch.ID, err: err != nil}
				if resp != nil {
					s.status = resp.StatusCode
				}
				got = append(got, s)
				return check(ch, resp, err)
			}}))
		return c, down, &got
	}
	never := func(*routex.Channel, *http.Response, error) bool { return false }
	always := func(*routex.Channel, *http.Response, error) bool { return true }

	t.Run("a 503 kept", func(t *testing.T) {
		c, b, got := setUp(t, mockupstream.Behavior{Status: 503}, never)
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 503, resp.StatusCode, "the caller gets the upstream's answer")
		assert.Zero(t, b.Calls())
		assert.Equal(t, []seen{{ch: "a", status: 503}}, *got)
	})
	t.Run("a 400 moved on", func(t *testing.T) {
		c, b, got := setUp(t, mockupstream.Behavior{Status: 400}, always)
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, 1, b.Calls())
		assert.Equal(t, []seen{{ch: "a", status: 400}}, *got, "asked once, for the failed attempt only")
	})
	t.Run("a reset kept", func(t *testing.T) {
		c, b, got := setUp(t, mockupstream.Behavior{Reset: true}, never)
		resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 502, resp.StatusCode, "%s", body)
		assert.Zero(t, b.Calls())
		require.Len(t, *got, 1)
		assert.True(t, (*got)[0].err)
	})
}

// A negative wait ends the retries of a request.
func TestBackoffStops(t *testing.T) {
	a := mock(t, "a")
	a.Always(mockupstream.Behavior{Status: 503})
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)),
		routex.WithRetry(routex.RetryPolicy{MaxAttempts: 5, Backoff: func(n int) time.Duration {
			if n > 2 {
				return -1
			}
			return time.Millisecond
		}}))
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, 3, a.Calls(), "the first attempt and two retries")
}
