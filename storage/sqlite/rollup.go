package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"sync"

	msqlite "modernc.org/sqlite"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/histogram"
	"github.com/routex/routex/internal/rollup"
)

// Rollups sum the records per period, channel, model and key: request and
// error counts, token sums, cost, and histograms of latency and TTFB
// (internal/histogram). There are two tables of them (migration 0004): rollups,
// per minute, and rollups_hourly, per hour, whose columns differ only in
// the first, the period's start. AddRecords keeps both up to date in the
// transaction that adds the records, and Prune deletes from them what it
// deletes from the records, so that Aggregate reads a row per hour and
// combination for the whole hours of a query, one per minute for the whole
// minutes at its ends, and the records themselves only for the partial
// minutes at its very ends. A day of a million records over 96
// combinations is 138 240 minute rollups but 2 304 hourly ones.
//
// Costs are summed in whole picodollars (1e-12 USD), as integers: every
// price a provider publishes per million tokens is a whole number of
// picodollars per token, and integer sums do not depend on the order in
// which they are added, so an aggregate over rollups is the same as one
// over the records they came from. A rollup's sum saturates at about 9.2
// million USD, far beyond what a minute or an hour of one channel, model
// and key costs; past it, the two would differ.

// rollupLevel is one table of rollups.
type rollupLevel struct {
	table  string // its name
	column string // the column holding each period's start, unix milliseconds
	period int64  // in milliseconds

	// count returns, for a period starting at ?1 and ending at ?2, how
	// many requests its source (the records, or the next finer rollups)
	// holds, and how many the level's rows hold.
	count string
	// rebuild replaces the level's rows for the periods in [?1, ?2) with
	// sums of its source there.
	rebuild string
}

// The rollup levels, finest first; each is built from the one before, and
// the first from the records.
var (
	minuteRollups = rollupLevel{
		table: "rollups", column: "minute", period: 60_000,
		count: `SELECT
			(SELECT count(*) FROM records WHERE time >= ?1 AND time < ?2),
			(SELECT ifnull(sum(requests), 0) FROM rollups WHERE minute = ?1)`,
		// Migration 0004 runs the same SELECT over every record.
		rebuild: `DELETE FROM rollups WHERE minute >= ?1 AND minute < ?2;
			INSERT INTO rollups (minute, ` + rollupSums + `)
			SELECT time - ((time % 60000) + 60000) % 60000, channel_id, model, key_id, count(*), sum(failed),
				sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
				` + costFunc + `(cost), ` + unpricedSQL + `, ` + histogramFunc + `(latency), ` + histogramFunc + `(ttfb)
			FROM records WHERE time >= ?1 AND time < ?2
			GROUP BY 1, 2, 3, 4`,
	}
	hourRollups = rollupLevel{
		table: "rollups_hourly", column: "hour", period: 3_600_000,
		count: `SELECT
			(SELECT ifnull(sum(requests), 0) FROM rollups WHERE minute >= ?1 AND minute < ?2),
			(SELECT ifnull(sum(requests), 0) FROM rollups_hourly WHERE hour = ?1)`,
		// Migration 0004 runs the same SELECT over every minute rollup.
		rebuild: `DELETE FROM rollups_hourly WHERE hour >= ?1 AND hour < ?2;
			INSERT INTO rollups_hourly (hour, ` + rollupSums + `)
			SELECT minute - ((minute % 3600000) + 3600000) % 3600000, channel_id, model, key_id, sum(requests), sum(errors),
				sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
				` + picoSumFunc + `(cost_pico), sum(unpriced), ` + histogramSumFunc + `(latency), ` + histogramSumFunc + `(ttfb)
			FROM rollups WHERE minute >= ?1 AND minute < ?2
			GROUP BY 1, 2, 3, 4`,
	}
	rollupLevels = []*rollupLevel{&minuteRollups, &hourRollups}
)

// rollupSums are the columns of a rollup after its period's start.
const rollupSums = `channel_id, model, key_id, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb`

var rollupColumnCount = strings.Count(rollupSums, ",") + 2

// unpricedSQL counts the records among those aggregated whose cost is
// unknown, as rollup.Finite does: the records table stores NaN as NULL,
// and an infinity has no place in a sum.
const unpricedSQL = "sum(cost IS NULL OR abs(cost) > 1.7976931348623157e308)"

// SQL functions for the rollups, registered with the driver as usageFunc
// is. Migration 0004 and Prune use them to build rollups in SQL, with the
// same arithmetic as AddRecords.
const (
	// histogramFunc(ns) is the encoded histogram of a column of durations.
	histogramFunc = "routex_histogram_v1"
	// histogramSumFunc(h) is the encoded histogram of the values of a
	// column of encoded histograms.
	histogramSumFunc = "routex_histogram_sum_v1"
	// mergeFunc(a, b) is the encoded histogram of the values of a and b.
	mergeFunc = "routex_histogram_merge_v1"
	// costFunc(usd) sums a column of costs in USD as whole picodollars,
	// those that are NULL or not finite left out.
	costFunc = "routex_cost_v1"
	// picoSumFunc(pico) sums a column of picodollars.
	picoSumFunc = "routex_pico_sum_v1"
)

func init() {
	aggregate := func(name string, step func(*histogram.Counts, *int64, driver.Value) error, value func(*histogram.Counts, int64) driver.Value) {
		msqlite.MustRegisterFunction(name, &msqlite.FunctionImpl{
			NArgs:         1,
			Deterministic: true,
			// Histograms are read before Step returns.
			VolatileArgs: true,
			MakeAggregate: func(msqlite.FunctionContext) (msqlite.AggregateFunction, error) {
				return &rollupAgg{name: name, step: step, value: value}, nil
			},
		})
	}
	hist := func(h *histogram.Counts, _ int64) driver.Value { return h.AppendEncoded(nil) }
	sum := func(_ *histogram.Counts, n int64) driver.Value { return n }
	aggregate(histogramFunc, func(h *histogram.Counts, _ *int64, v driver.Value) error {
		ns, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%s: argument is %T, want an integer", histogramFunc, v)
		}
		h.AddDuration(ns)
		return nil
	}, hist)
	aggregate(histogramSumFunc, func(h *histogram.Counts, _ *int64, v driver.Value) error {
		b, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("%s: argument is %T, want a histogram", histogramSumFunc, v)
		}
		return h.AddEncoded(b)
	}, hist)
	aggregate(costFunc, func(_ *histogram.Counts, n *int64, v driver.Value) error {
		switch v := v.(type) {
		case nil:
		case float64:
			if rollup.Finite(v) {
				*n = rollup.AddSat(*n, rollup.PicoUSD(v))
			}
		case int64:
			*n = rollup.AddSat(*n, rollup.PicoUSD(float64(v)))
		default:
			return fmt.Errorf("%s: argument is %T, want a number", costFunc, v)
		}
		return nil
	}, sum)
	aggregate(picoSumFunc, func(_ *histogram.Counts, n *int64, v driver.Value) error {
		switch v := v.(type) {
		case int64:
			*n = rollup.AddSat(*n, v)
		case float64:
			// SQLite turns an integer sum that overflows into a real.
			*n = rollup.AddSat(*n, rollup.PicoUSD(v/1e12))
		default:
			return fmt.Errorf("%s: argument is %T, want an integer", picoSumFunc, v)
		}
		return nil
	}, sum)
	msqlite.MustRegisterFunction(mergeFunc, &msqlite.FunctionImpl{
		NArgs:         2,
		Deterministic: true,
		// Both histograms are read before the call returns.
		VolatileArgs: true,
		Scalar: func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			a, okA := args[0].([]byte)
			b, okB := args[1].([]byte)
			if !okA || !okB {
				return nil, fmt.Errorf("%s: arguments are %T and %T, want histograms", mergeFunc, args[0], args[1])
			}
			out, err := histogram.Merge(make([]byte, 0, len(a)+len(b)), a, b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", mergeFunc, err)
			}
			return out, nil
		},
	})
}

// rollupAgg is an evaluation of one of the one-argument aggregate functions
// above: a histogram or an integer sum.
type rollupAgg struct {
	name  string
	step  func(*histogram.Counts, *int64, driver.Value) error
	value func(*histogram.Counts, int64) driver.Value
	h     histogram.Counts
	n     int64
}

func (a *rollupAgg) Step(_ *msqlite.FunctionContext, args []driver.Value) error {
	return a.step(&a.h, &a.n, args[0])
}

func (a *rollupAgg) WindowInverse(*msqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("%s cannot be used as a window function", a.name)
}

func (a *rollupAgg) WindowValue(*msqlite.FunctionContext) (driver.Value, error) {
	return a.value(&a.h, a.n), nil
}

func (a *rollupAgg) Final(*msqlite.FunctionContext) {}

// rollupsPerUpsert is how many rollups one upsert statement carries. A
// statement is parsed again in every AddRecords transaction, so a batch
// that touches many rollups runs one statement of this size several times
// rather than parsing a larger one.
const rollupsPerUpsert = 16

// upserts returns the statements that add n rollups to the level's rows,
// for n from 1 to rollupsPerUpsert.
func (l *rollupLevel) upserts() []string {
	return upsertStatements()[l.table]
}

var upsertStatements = sync.OnceValue(func() map[string][]string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", rollupColumnCount), ", ") + ")"
	out := make(map[string][]string)
	for _, l := range rollupLevels {
		stmts := make([]string, rollupsPerUpsert+1)
		for n := 1; n <= rollupsPerUpsert; n++ {
			stmts[n] = "INSERT INTO " + l.table + " (" + l.column + ", " + rollupSums + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + `
				ON CONFLICT (` + l.column + `, channel_id, model, key_id) DO UPDATE SET
					requests = requests + excluded.requests,
					errors = errors + excluded.errors,
					input_tokens = input_tokens + excluded.input_tokens,
					output_tokens = output_tokens + excluded.output_tokens,
					cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
					cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
					cost_pico = cost_pico + excluded.cost_pico,
					unpriced = unpriced + excluded.unpriced,
					latency = ` + mergeFunc + `(latency, excluded.latency),
					ttfb = ` + mergeFunc + `(ttfb, excluded.ttfb)`
		}
		out[l.table] = stmts
	}
	return out
})

// addRollups adds recs to the rollups of every level, in tx.
func (s *Store) addRollups(ctx context.Context, tx *sql.Tx, recs []analytics.Record) error {
	for _, l := range rollupLevels {
		if err := s.upsertRollups(ctx, tx, l, rollup.Records(recs, l.period, nil)); err != nil {
			return err
		}
	}
	return nil
}

// upsertRollups adds rows to the level's table, in tx.
func (s *Store) upsertRollups(ctx context.Context, tx *sql.Tx, l *rollupLevel, byKey rollup.Rows) error {
	// In key order, so that the upserts walk the table's B-tree forwards.
	rows := make([]*rollup.Row, 0, len(byKey))
	for _, u := range byKey {
		rows = append(rows, u)
	}
	slices.SortFunc(rows, func(a, b *rollup.Row) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), strings.Compare(a.Channel, b.Channel),
			strings.Compare(a.Model, b.Model), strings.Compare(a.KeyID, b.KeyID))
	})
	stmts := l.upserts()
	var full *sql.Stmt // of rollupsPerUpsert rollups, once needed
	args := make([]any, 0, rollupsPerUpsert*rollupColumnCount)
	var blobs []byte
	for len(rows) > 0 {
		n := min(len(rows), rollupsPerUpsert)
		args, blobs = args[:0], blobs[:0]
		for _, u := range rows[:n] {
			// Each blob is a slice of one buffer, which is not reused
			// until the statement has run.
			start := len(blobs)
			blobs = u.Latency.AppendEncoded(blobs)
			mid := len(blobs)
			blobs = u.TTFB.AppendEncoded(blobs)
			args = append(args, u.Start, u.Channel, u.Model, u.KeyID, u.Requests, u.Errors,
				u.Input, u.Output, u.CacheRead, u.CacheWrite, u.CostPico, u.Unpriced,
				blobs[start:mid:mid], blobs[mid:])
		}
		var err error
		if n == rollupsPerUpsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, stmts[n]); err != nil {
					return s.fail("adding records", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmts[n], args...)
		}
		if err != nil {
			return s.fail("adding records", err)
		}
		rows = rows[n:]
	}
	return nil
}
