package routex_test

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/storage/memory"
)

func TestQuotaRequests(t *testing.T) {
	clock := newFakeClock()
	a, b := mock(t, "a"), mock(t, "b")
	ac := channel("a", routex.FormatAnthropic, a)
	ac.Limits = []routex.Limit{{Per: time.Minute, Requests: 3}}
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	c := newClient(t, routex.WithChannels(ac, bc), routex.WithClock(clock.Now))

	var got []string
	for range 5 {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		got = append(got, channelOf(resp))
	}
	assert.Equal(t, []string{"a", "a", "a", "b", "b"}, got, "a takes exactly its 3 requests a minute")
	st := statusOf(c, "a")
	assert.False(t, st.Available)
	assert.Equal(t, clock.Now().UTC().Truncate(time.Minute).Add(time.Minute), st.OverQuotaUntil)

	// The window rolls at the top of the minute.
	clock.Advance(st.OverQuotaUntil.Sub(clock.Now()))
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "a", channelOf(resp))
	assert.Equal(t, 4, a.Calls())
}

func TestQuotaExactUnderConcurrency(t *testing.T) {
	clock := newFakeClock()
	a, b := mock(t, "a"), mock(t, "b")
	ac := channel("a", routex.FormatAnthropic, a)
	ac.Limits = []routex.Limit{{Per: time.Hour, Requests: 10}}
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	c := newClient(t, routex.WithChannels(ac, bc), routex.WithClock(clock.Now))
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, a.Calls(), "never more than the quota")
	assert.Equal(t, 30, b.Calls())
}

func TestQuotaTokensAndRetryAfter(t *testing.T) {
	clock := newFakeClock()
	a := mock(t, "a") // each answer uses 12+7+30+50 = 99 tokens
	ac := channel("a", routex.FormatAnthropic, a)
	ac.Limits = []routex.Limit{{Per: time.Hour, Tokens: 150}, {Per: 24 * time.Hour, Requests: 1000}}
	c := newClient(t, routex.WithChannels(ac), routex.WithClock(clock.Now))

	for i := range 2 {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i)
	}
	// 198 tokens: over 150 until the hour rolls.
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "over quota")
	next := clock.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	assert.Equal(t, int(next.Sub(clock.Now()).Seconds()+0.999), atoi(t, resp.Header.Get("Retry-After")))
	assert.Equal(t, 2, a.Calls())

	clock.Advance(next.Sub(clock.Now()))
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestQuotaValidation(t *testing.T) {
	up := mock(t, "a")
	for _, l := range []routex.Limit{{Per: time.Minute}, {Per: 0, Requests: 1}, {Per: time.Minute, Tokens: -1}} {
		ch := channel("a", routex.FormatAnthropic, up)
		ch.Limits = []routex.Limit{l}
		_, err := routex.New(routex.WithChannels(ch))
		var ce *routex.ConfigError
		if assert.True(t, errors.As(err, &ce), "limit %+v: err = %v", l, err) {
			assert.Equal(t, "limits[0]", ce.Field)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "%q", s)
	return n
}

// Two limits of one length share a window, and a request counts in it
// once: a request cap and a token cap of one minute let the request cap's
// number through, alone or on instances sharing their counts.
func TestQuotaLimitsOfOneLength(t *testing.T) {
	for _, shared := range []bool{false, true} {
		up := mock(t, "a")
		ch := channel("a", routex.FormatAnthropic, up)
		ch.Limits = []routex.Limit{{Per: time.Hour, Requests: 4}, {Per: time.Hour, Tokens: 1 << 40}}
		opts := []routex.Option{routex.WithChannels(ch)}
		if shared {
			opts = append(opts, routex.WithShared(memory.NewShared().Instance().Shared()))
		}
		c := newClient(t, opts...)
		ok := 0
		for range 6 {
			if resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi")); resp.StatusCode == http.StatusOK {
				ok++
			}
		}
		assert.Equal(t, 4, ok, "requests let through by a cap of 4 (shared: %v)", shared)
	}
}
