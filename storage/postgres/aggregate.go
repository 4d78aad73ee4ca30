package postgres

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/rollup"
)

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
func groupColumn(q routex.AggregateQuery) (string, error) { return rollup.GroupBy("postgres", q) }

// periods returns the periods of levels, in milliseconds.
func periods(levels []*rollupLevel) []int64 {
	out := make([]int64, len(levels))
	for i, l := range levels {
		out[i] = l.period
	}
	return out
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
	run := rollup.NewGroups(q.Bucket.Milliseconds())
	var b pgx.Batch
	for _, p := range rollup.Plan(lo, hi, periods(levels)) {
		var w where
		column, table, columns := "time", "records", recordUsageColumns
		if p.Level >= 0 {
			column, table, columns = "start", levels[p.Level].table, rollupUsageColumns
		}
		if p.From != math.MinInt64 {
			w.add(column+" >= ?", p.From)
		}
		if p.To != math.MaxInt64 {
			w.add(column+" < ?", p.To)
		}
		w.filters(q.ChannelID, q.Model, q.KeyID)
		query := "SELECT " + group + ", " + columns + " FROM " + table + w.String()
		if p.Level < 0 {
			b.Queue(query, w.args...).Query(func(rows pgx.Rows) error { return addRecords(run, rows) })
		} else {
			b.Queue(query, w.args...).Query(func(rows pgx.Rows) error { return addRollups(run, rows) })
		}
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, s.fail("aggregating records", err)
	}
	return run.Result(), nil
}

// The columns an Aggregate reads after the group, from the records and
// from a rollup table.
const (
	recordUsageColumns = "time, failed, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost, latency, ttfb"
	rollupUsageColumns = "start, requests, errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb"
)

// addRecords adds rows of the group and recordUsageColumns to run.
func addRecords(run *rollup.Groups, rows pgx.Rows) error {
	var g string
	var ms, in, out, cr, cw, latency, ttfb int64
	var failed bool
	var cost *float64
	_, err := pgx.ForEachRow(rows, []any{&g, &ms, &failed, &in, &out, &cr, &cw, &cost, &latency, &ttfb}, func() error {
		run.At(g, ms).AddRecord(failed, in, out, cr, cw, cost, latency, ttfb)
		return nil
	})
	return err
}

// addRollups adds rows of the group and rollupUsageColumns to run.
func addRollups(run *rollup.Groups, rows pgx.Rows) error {
	var g string
	var start int64
	var v rollup.Sums
	var latency, ttfb []byte
	_, err := pgx.ForEachRow(rows, []any{&g, &start, &v.Requests, &v.Errors, &v.Input, &v.Output,
		&v.CacheRead, &v.CacheWrite, &v.CostPico, &v.Unpriced, &latency, &ttfb}, func() error {
		return run.At(g, start).AddRollup(&v, latency, ttfb)
	})
	return err
}
