package routex_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// pool is three accounts of one provider behind a round-robin Client.
func pool(t *testing.T, opts ...routex.Option) (*routex.Client, map[string]*mockupstream.Server, func(time.Duration)) {
	clock := newFakeClock()
	ups := map[string]*mockupstream.Server{}
	var chs []routex.Channel
	for _, id := range []string{"a", "b", "c"} {
		ups[id] = mock(t, id)
		chs = append(chs, channel(id, routex.FormatAnthropic, ups[id]))
	}
	c := newClient(t, append([]routex.Option{routex.WithChannels(chs...), routex.WithStrategy("round_robin"), routex.WithClock(clock.Now)}, opts...)...)
	return c, ups, clock.Advance
}

func served(t *testing.T, c *routex.Client, n int, header ...string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), header...)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		got[channelOf(resp)]++
	}
	return got
}

func TestPoolRateLimitMovesTrafficAndReturns(t *testing.T) {
	c, ups, advance := pool(t)
	// Account a is refused mid-run until a minute from now.
	ups["a"].Behave(func(n int, _ *mockupstream.Request) mockupstream.Behavior {
		if n > 2 { // n counts from 1
			return mockupstream.Behavior{Status: 429, Header: map[string]string{
				"anthropic-ratelimit-unified-status": "rejected",
				"retry-after":                        "60",
			}}
		}
		return mockupstream.Behavior{}
	})
	first := served(t, c, 6)
	assert.Equal(t, map[string]int{"a": 2, "b": 2, "c": 2}, first)
	before := ups["a"].Calls()
	// a's third request got the 429 and failed over; a is skipped from then on.
	next := served(t, c, 12)
	assert.Equal(t, 0, next["a"], "a is not tried while rate-limited")
	assert.Equal(t, before+1, ups["a"].Calls(), "exactly one request met the 429")
	assert.Equal(t, 12, next["b"]+next["c"])

	ups["a"].Always(mockupstream.Behavior{})
	advance(61 * time.Second)
	back := served(t, c, 6)
	assert.Equal(t, 2, back["a"], "a takes its share again after the reset")
}

func TestPoolPrefersHeadroom(t *testing.T) {
	c, ups, advance := pool(t)
	ups["a"].Always(mockupstream.Behavior{Header: map[string]string{
		"anthropic-ratelimit-tokens-remaining": "100",
		"anthropic-ratelimit-tokens-limit":     "100000",
	}})
	served(t, c, 3) // a answers once and reports little room left
	got := served(t, c, 20)
	assert.Equal(t, 0, got["a"], "a is kept for when the others cannot answer")
	assert.False(t, statusOf(c, "a").LowHeadroomUntil.IsZero())

	// With b and c down, a still serves.
	ups["b"].Always(mockupstream.Behavior{Status: 503})
	ups["c"].Always(mockupstream.Behavior{Status: 503})
	assert.Equal(t, map[string]int{"a": 1}, served(t, c, 1))

	// Without a reset header the mark lasts a minute.
	ups["a"].Always(mockupstream.Behavior{})
	ups["b"].Always(mockupstream.Behavior{})
	ups["c"].Always(mockupstream.Behavior{})
	advance(61 * time.Second)
	assert.Positive(t, served(t, c, 6)["a"])
}

func TestPoolSuccessWithExhaustedLimitRateLimits(t *testing.T) {
	c, ups, _ := pool(t)
	ups["a"].Always(mockupstream.Behavior{Header: map[string]string{
		"anthropic-ratelimit-requests-remaining": "0",
		"anthropic-ratelimit-requests-limit":     "50",
		"anthropic-ratelimit-requests-reset":     time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC).Format(time.RFC3339),
	}})
	served(t, c, 3)
	calls := ups["a"].Calls()
	served(t, c, 10)
	assert.Equal(t, calls, ups["a"].Calls(), "a used its last request and is not sent more")
	assert.Equal(t, time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), statusOf(c, "a").RateLimitedUntil)
}

func TestPoolSessionsStayOnTheirAccount(t *testing.T) {
	c, ups, _ := pool(t)
	owner := map[string]string{}
	for i := range 9 {
		sid := "session-" + strconv.Itoa(i%3)
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", sid)
		if prev, ok := owner[sid]; ok {
			assert.Equal(t, prev, channelOf(resp), "session %s moved", sid)
		}
		owner[sid] = channelOf(resp)
	}
	// The owner of session-0 becomes unavailable: the session moves once
	// and stays on its new account.
	lost := owner["session-0"]
	ups[lost].Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"retry-after": "3600"}})
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "session-0")
	moved := channelOf(resp)
	require.NotEqual(t, lost, moved)
	for range 4 {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "session-0")
		assert.Equal(t, moved, channelOf(resp))
	}
}
