package rollup

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/histogram"
)

// Part is one piece of an aggregate's window: the rows in [From, To) of
// the rollup level numbered Level in the periods given to Plan, or of the
// records when Level is -1. A bound is math.MinInt64 or math.MaxInt64
// where the window is open.
type Part struct {
	Level    int
	From, To int64
}

// Plan returns the parts that cover [lo, hi) with the coarsest of the
// levels, whose periods in milliseconds are given finest first, for the
// whole periods, the next finer for the whole periods of what remains at
// either end, and so on down to the records.
func Plan(lo, hi int64, periods []int64) []Part {
	var parts []Part
	var plan func(from, to int64, n int)
	plan = func(from, to int64, n int) {
		if n == 0 {
			parts = append(parts, Part{-1, from, to})
			return
		}
		li := n - 1
		start, end := from, to
		if from != math.MinInt64 {
			start = Ceil(from, periods[li])
		}
		if to != math.MaxInt64 {
			end = Floor(to, periods[li])
		}
		if start >= end {
			plan(from, to, li)
			return
		}
		parts = append(parts, Part{li, start, end})
		if from < start {
			plan(from, start, li)
		}
		if end < to {
			plan(end, to, li)
		}
	}
	plan(lo, hi, len(periods))
	return parts
}

// GroupBy checks q's bucket and group and returns the column that holds a
// row's group, or "”" for one group. The error names the store.
func GroupBy(store string, q routex.AggregateQuery) (string, error) {
	if q.Bucket < 0 || q.Bucket%time.Millisecond != 0 {
		return "", fmt.Errorf("%s: bucket %v is not a positive whole number of milliseconds", store, q.Bucket)
	}
	switch q.GroupBy {
	case routex.GroupNone:
		return "''", nil
	case routex.GroupChannel:
		return "channel_id", nil
	case routex.GroupModel:
		return "model", nil
	case routex.GroupKey:
		return "key_id", nil
	}
	return "", fmt.Errorf("%s: unknown group %q", store, q.GroupBy)
}

// zeroMilli is the zero time.Time in unix milliseconds. time.Time.Truncate
// counts buckets from it, not from the unix epoch, which matters for
// buckets that do not divide a day evenly.
var zeroMilli = time.Time{}.UnixMilli()

// Group is one group and bucket of an aggregate as its rows are added:
// cost is summed exactly in 128 bits, where a rollup row's saturates.
type Group struct {
	Agg           routex.Aggregate
	Cost          PicoSum
	Latency, TTFB histogram.Counts
}

// AddRecord counts one record in g: whether it failed, its token counts,
// its cost in USD (nil when unknown) and its latency and TTFB in
// nanoseconds.
func (g *Group) AddRecord(failed bool, in, out, cacheRead, cacheWrite int64, cost *float64, latency, ttfb int64) {
	g.Agg.Requests++
	if failed {
		g.Agg.Errors++
	}
	g.Agg.InputTokens += in
	g.Agg.OutputTokens += out
	g.Agg.CacheReadTokens += cacheRead
	g.Agg.CacheWriteTokens += cacheWrite
	if cost == nil || !Finite(*cost) {
		g.Agg.Unpriced++
	} else {
		g.Cost.Add(PicoUSD(*cost))
	}
	g.Latency.AddDuration(latency)
	g.TTFB.AddDuration(ttfb)
}

// AddSums adds the counts of a rollup row to g; its histograms are added
// to g.Latency and g.TTFB apart.
func (g *Group) AddSums(v *Sums) {
	g.Agg.Requests += v.Requests
	g.Agg.Errors += v.Errors
	g.Agg.InputTokens += v.Input
	g.Agg.OutputTokens += v.Output
	g.Agg.CacheReadTokens += v.CacheRead
	g.Agg.CacheWriteTokens += v.CacheWrite
	g.Cost.Add(v.CostPico)
	g.Agg.Unpriced += v.Unpriced
}

// AddRollup adds a rollup row as stored to g: its counts and its encoded
// histograms, which it does not keep.
func (g *Group) AddRollup(v *Sums, latency, ttfb []byte) error {
	g.AddSums(v)
	if err := g.Latency.AddEncoded(latency); err != nil {
		return fmt.Errorf("latency histogram: %w", err)
	}
	if err := g.TTFB.AddEncoded(ttfb); err != nil {
		return fmt.Errorf("ttfb histogram: %w", err)
	}
	return nil
}

// Groups collects the groups of one aggregate, by group and then bucket.
// Its methods are not safe for concurrent use.
type Groups struct {
	bucket int64 // milliseconds; 0 for one bucket
	groups map[string]map[int64]*Group
	// The group of the previous row: rows come in time order, so the next
	// is often in the same one.
	last       *Group
	lastBucket int64
}

// NewGroups returns the groups of an aggregate whose buckets are bucket
// milliseconds long, or of one bucket when bucket is 0.
func NewGroups(bucket int64) *Groups {
	return &Groups{bucket: bucket, groups: make(map[string]map[int64]*Group)}
}

// At returns group g's aggregate for the bucket holding the time ms, a new
// one if there is none yet. g is copied only when a new group is kept, so
// it may be a string that its caller reuses.
func (r *Groups) At(g string, ms int64) *Group {
	var b int64
	if r.bucket > 0 {
		// Positive for any time after year 1, so % is a true modulus and
		// this is Truncate in integers.
		b = ms - (ms-zeroMilli)%r.bucket
	}
	if a := r.last; a != nil && r.lastBucket == b && a.Agg.Group == g {
		return a
	}
	byBucket := r.groups[g]
	if byBucket == nil {
		g = strings.Clone(g)
		byBucket = make(map[int64]*Group)
		r.groups[g] = byBucket
	}
	a := byBucket[b]
	if a == nil {
		a = &Group{Agg: routex.Aggregate{Group: strings.Clone(g)}}
		if r.bucket > 0 {
			a.Agg.Bucket = time.UnixMilli(b).UTC()
		}
		byBucket[b] = a
	}
	r.last, r.lastBucket = a, b
	return a
}

// Result returns the aggregates, with their costs and percentiles, ordered
// by bucket and then group.
func (r *Groups) Result() []routex.Aggregate {
	var out []routex.Aggregate
	for _, byBucket := range r.groups {
		for _, g := range byBucket {
			g.Agg.Cost = g.Cost.USD()
			g.Agg.LatencyP50 = time.Duration(g.Latency.Percentile(50))
			g.Agg.LatencyP95 = time.Duration(g.Latency.Percentile(95))
			g.Agg.LatencyP99 = time.Duration(g.Latency.Percentile(99))
			g.Agg.TTFBP50 = time.Duration(g.TTFB.Percentile(50))
			out = append(out, g.Agg)
		}
	}
	slices.SortFunc(out, func(a, b routex.Aggregate) int {
		if c := a.Bucket.Compare(b.Bucket); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	return out
}
