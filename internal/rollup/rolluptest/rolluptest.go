// Package rolluptest generates the usage records that the benchmarks of
// storage/sqlite and storage/postgres add and aggregate.
package rolluptest

import (
	"fmt"
	"time"

	"github.com/routex/routex/analytics"
)

// Record returns the i-th of a run of typical records, i milliseconds after
// t0: every string a router fills is set, and channels, keys, models,
// latencies, TTFBs and costs cycle with i.
func Record(i int, t0 time.Time) analytics.Record {
	cost := float64(i%100) * 1e-5
	return analytics.Record{
		Time:      t0.Add(time.Duration(i) * time.Millisecond),
		RequestID: fmt.Sprintf("req_%012d", i), ChannelID: fmt.Sprint("ch", i%8), ChannelName: "Channel",
		KeyID: fmt.Sprint("key", i%32), Model: fmt.Sprint("claude-sonnet-4-", i%3), UpstreamModel: "claude-sonnet-4-5-20250929",
		InboundFormat: "openai", UpstreamFormat: "anthropic", Stream: i%2 == 0,
		Status: 200, Latency: time.Duration(i%5000) * time.Millisecond, TTFB: time.Duration(i%700) * time.Millisecond, Attempts: 1,
		InputTokens: 1200, OutputTokens: 300, CacheReadTokens: 800, Rule: "default", Session: "sess", Cost: &cost,
	}
}
