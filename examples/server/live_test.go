package main

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex/analytics"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLiveFigures(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	tick := make(chan time.Time)
	stopped := make(chan struct{})
	l := newLiveClock(clock.now, tick, func() { close(stopped) })
	defer func() {
		l.Close()
		<-stopped
	}()
	ch, ok := l.subscribe()
	require.True(t, ok)

	cost := 0.5
	for i, lat := range []time.Duration{10, 20, 30, 40} {
		l.Record(analytics.Record{Status: 200 + 300*(i/3), Latency: lat * time.Millisecond, InputTokens: 3, OutputTokens: 2, Cost: &cost})
		var rec map[string]any
		require.NoError(t, json.Unmarshal((<-ch).data, &rec))
		assert.EqualValues(t, lat, rec["latencyMs"], "the request event gives milliseconds")
		assert.NotContains(t, rec, "latency")
		clock.add(10 * time.Second)
	}

	read := func() stats {
		tick <- clock.now()
		e := <-ch
		require.Equal(t, "stats", e.name)
		var st stats
		require.NoError(t, json.Unmarshal(e.data, &st))
		return st
	}
	st := read()
	assert.Equal(t, int64(4), st.Requests)
	assert.Equal(t, int64(1), st.Errors, "the 500")
	assert.Equal(t, [2]int64{12, 8}, [2]int64{st.InputTokens, st.OutputTokens})
	assert.InDelta(t, 2.0, st.Cost, 1e-9)
	assert.InDelta(t, 4.0/window, st.RPS, 1e-9)
	assert.Equal(t, [2]float64{20, 40}, [2]float64{st.LatencyP50Ms, st.LatencyP95Ms})

	clock.add(35 * time.Second) // the first two requests are over a minute old
	st = read()
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, [2]float64{30, 40}, [2]float64{st.LatencyP50Ms, st.LatencyP95Ms})
}
