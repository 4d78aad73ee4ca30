package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/histogram"
)

// zeroMilli is the zero time.Time in unix milliseconds. time.Time.Truncate
// counts buckets from it, not from the unix epoch, which matters for
// buckets that do not divide a day evenly.
var zeroMilli = time.Time{}.UnixMilli()

// Aggregate sums the records matching q per group and time bucket, ordered
// by bucket and then group. Buckets are q.Bucket-long intervals of UTC time
// (time.Time.Truncate); q.Bucket must be a whole number of milliseconds.
//
// Percentiles use the nearest-rank method (the p-th percentile of n sorted
// values is the ceil(p*n/100)-th) over histograms of every record in the
// group, with the precision routex.Aggregate allows: truncated to the
// microsecond below 1 ms and to the millisecond below 1024 ms, so that
// whole milliseconds are exact, and within 0.8% above. Costs are summed
// exactly in whole picodollars (1e-12 USD), each record's cost rounded to
// the nearest one; a cost that is not a finite number counts as unknown.
//
// The whole days, hours and minutes of q's window are read from the
// rollups that AddRecords maintains, those whose period divides q.Bucket
// (all of them when it is zero), and only what remains from the records
// themselves: the result is the same as from the records alone.
func (s *Store) Aggregate(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
	var levels []*rollupLevel
	for _, l := range rollupLevels {
		if q.Bucket.Milliseconds()%l.period == 0 {
			levels = append(levels, l)
		}
	}
	return s.aggregate(ctx, q, levels)
}

// groupColumn checks q and returns the SQL for the group of a row.
func groupColumn(q routex.AggregateQuery) (string, error) {
	if q.Bucket < 0 || q.Bucket%time.Millisecond != 0 {
		return "", fmt.Errorf("postgres: bucket %v is not a positive whole number of milliseconds", q.Bucket)
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
	return "", fmt.Errorf("postgres: unknown group %q", q.GroupBy)
}

// aggPart is one statement of an Aggregate: the rows of one table in
// [from, to), each bound math.MinInt64 or math.MaxInt64 when open.
type aggPart struct {
	level    *rollupLevel // nil for the records
	from, to int64
}

// aggregatePlan returns the parts that cover [lo, hi) with the coarsest of
// levels (finest first) for the whole periods, the next finer for the whole
// periods of what remains at either end, and so on down to the records.
func aggregatePlan(lo, hi int64, levels []*rollupLevel) []aggPart {
	var parts []aggPart
	var plan func(from, to int64, levels []*rollupLevel)
	plan = func(from, to int64, levels []*rollupLevel) {
		if len(levels) == 0 {
			parts = append(parts, aggPart{nil, from, to})
			return
		}
		l, finer := levels[len(levels)-1], levels[:len(levels)-1]
		start, end := from, to
		if from != math.MinInt64 {
			start = l.ceil(from)
		}
		if to != math.MaxInt64 {
			end = l.floor(to)
		}
		if start >= end {
			plan(from, to, finer)
			return
		}
		parts = append(parts, aggPart{l, start, end})
		if from < start {
			plan(from, start, finer)
		}
		if end < to {
			plan(end, to, finer)
		}
	}
	plan(lo, hi, levels)
	return parts
}

// aggregate runs Aggregate, reading the given rollup levels (finest first)
// where they answer for whole periods. Every part is one statement; all go
// to the server in one round trip, and their rows are summed as they come.
func (s *Store) aggregate(ctx context.Context, q routex.AggregateQuery, levels []*rollupLevel) ([]routex.Aggregate, error) {
	group, err := groupColumn(q)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		lo = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		hi = q.To.UnixMilli()
	}
	run := &usageRun{bucket: q.Bucket.Milliseconds(), groups: make(map[string]map[int64]*usageGroup)}
	var b pgx.Batch
	for _, p := range aggregatePlan(lo, hi, levels) {
		var w where
		column, table, columns := "time", "records", recordUsageColumns
		if p.level != nil {
			column, table, columns = "start", p.level.table, rollupUsageColumns
		}
		if p.from != math.MinInt64 {
			w.add(column+" >= ?", p.from)
		}
		if p.to != math.MaxInt64 {
			w.add(column+" < ?", p.to)
		}
		w.filters(q.ChannelID, q.Model, q.KeyID)
		query := "SELECT " + group + ", " + columns + " FROM " + table + w.String()
		if p.level == nil {
			b.Queue(query, w.args...).Query(run.addRecords)
		} else {
			b.Queue(query, w.args...).Query(run.addRollups)
		}
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, s.fail("aggregating records", err)
	}
	return run.result(), nil
}

// The columns an Aggregate reads after the group, from the records and
// from a rollup table.
const (
	recordUsageColumns = "time, failed, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost, latency, ttfb"
	rollupUsageColumns = "start, requests, errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb"
)

// usageRun collects one Aggregate call's groups.
type usageRun struct {
	bucket int64 // milliseconds; 0 for one bucket
	groups map[string]map[int64]*usageGroup
	// The group of the previous row: rows come in time order, so the next
	// is often in the same one.
	last       *usageGroup
	lastBucket int64
}

type usageGroup struct {
	agg           routex.Aggregate
	cost          picoSum
	latency, ttfb histogram.Counts
}

// at returns the group g's aggregate for the bucket holding the time ms, a
// new one if there is none yet.
func (r *usageRun) at(g string, ms int64) *usageGroup {
	var b int64
	if r.bucket > 0 {
		// Positive for any time after year 1, so % is a true modulus and
		// this is Truncate in integers.
		b = ms - (ms-zeroMilli)%r.bucket
	}
	if a := r.last; a != nil && r.lastBucket == b && a.agg.Group == g {
		return a
	}
	byBucket := r.groups[g]
	if byBucket == nil {
		byBucket = make(map[int64]*usageGroup)
		r.groups[g] = byBucket
	}
	a := byBucket[b]
	if a == nil {
		a = &usageGroup{agg: routex.Aggregate{Group: g}}
		if r.bucket > 0 {
			a.agg.Bucket = time.UnixMilli(b).UTC()
		}
		byBucket[b] = a
	}
	r.last, r.lastBucket = a, b
	return a
}

// addRecords adds rows of the group and recordUsageColumns.
func (r *usageRun) addRecords(rows pgx.Rows) error {
	var g string
	var ms, in, out, cr, cw, latency, ttfb int64
	var failed bool
	var cost *float64
	_, err := pgx.ForEachRow(rows, []any{&g, &ms, &failed, &in, &out, &cr, &cw, &cost, &latency, &ttfb}, func() error {
		a := r.at(g, ms)
		a.agg.Requests++
		if failed {
			a.agg.Errors++
		}
		a.agg.InputTokens += in
		a.agg.OutputTokens += out
		a.agg.CacheReadTokens += cr
		a.agg.CacheWriteTokens += cw
		if cost == nil || !finite(*cost) {
			a.agg.Unpriced++
		} else {
			a.cost.add(picoUSD(*cost))
		}
		a.latency.AddDuration(latency)
		a.ttfb.AddDuration(ttfb)
		return nil
	})
	return err
}

// addRollups adds rows of the group and rollupUsageColumns.
func (r *usageRun) addRollups(rows pgx.Rows) error {
	var g string
	var start, requests, errs, in, out, cr, cw, cost, unpriced int64
	var latency, ttfb []byte
	_, err := pgx.ForEachRow(rows, []any{&g, &start, &requests, &errs, &in, &out, &cr, &cw, &cost, &unpriced, &latency, &ttfb}, func() error {
		a := r.at(g, start)
		a.agg.Requests += requests
		a.agg.Errors += errs
		a.agg.InputTokens += in
		a.agg.OutputTokens += out
		a.agg.CacheReadTokens += cr
		a.agg.CacheWriteTokens += cw
		a.cost.add(cost)
		a.agg.Unpriced += unpriced
		if err := a.latency.AddEncoded(latency); err != nil {
			return fmt.Errorf("latency histogram: %w", err)
		}
		if err := a.ttfb.AddEncoded(ttfb); err != nil {
			return fmt.Errorf("ttfb histogram: %w", err)
		}
		return nil
	})
	return err
}

// result returns the aggregates, ordered by bucket and then group.
func (r *usageRun) result() []routex.Aggregate {
	var out []routex.Aggregate
	for _, byBucket := range r.groups {
		for _, g := range byBucket {
			g.agg.Cost = g.cost.usd()
			g.agg.LatencyP50 = time.Duration(g.latency.Percentile(50))
			g.agg.LatencyP95 = time.Duration(g.latency.Percentile(95))
			g.agg.LatencyP99 = time.Duration(g.latency.Percentile(99))
			g.agg.TTFBP50 = time.Duration(g.ttfb.Percentile(50))
			out = append(out, g.agg)
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
