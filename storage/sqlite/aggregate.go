package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	msqlite "modernc.org/sqlite"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/rollup"
)

// usageFunc names the SQL aggregate function that computes Aggregate.
//
// Reading rows through database/sql costs several times what SQLite takes
// to scan them (each column read is a locked call into the driver), and
// SQLite's GROUP BY sorts every row in its sorter. An aggregate function
// written in Go sees each row in one call and groups in a map. It does not
// hand its result back through SQL: its first argument names a usageRun
// that Aggregate registered, and the rows are added into it.
//
// The driver registers functions for every connection it opens in the
// process, hence the prefix, and the version in case its arguments change.
const usageFunc = "routex_usage_v2"

func init() {
	msqlite.MustRegisterFunction(usageFunc, &msqlite.FunctionImpl{
		NArgs: 13,
		// Group strings are looked up without a copy and cloned only when
		// a new group is kept; histograms are decoded during the call.
		VolatileArgs:  true,
		Deterministic: true,
		MakeAggregate: func(msqlite.FunctionContext) (msqlite.AggregateFunction, error) {
			return &usageStep{}, nil
		},
	})
}

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
// The whole hours and minutes of q's window are read from the rollups that
// AddRecords maintains, when q.Bucket is a whole number of them (or zero),
// and only what remains from the records themselves: the result is the
// same as from the records alone.
func (s *Store) Aggregate(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
	group, err := groupColumn(q)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	var levels []*rollupLevel
	for _, l := range rollupLevels {
		if q.Bucket.Milliseconds()%l.period == 0 {
			levels = append(levels, l)
		}
	}
	return s.aggregate(ctx, q, group, levels)
}

// groupColumn checks q and returns the SQL for the group of a row.
func groupColumn(q routex.AggregateQuery) (string, error) { return rollup.GroupBy("sqlite", q) }

// aggregate runs Aggregate, reading the given rollup levels (finest first)
// where they answer for whole periods.
func (s *Store) aggregate(ctx context.Context, q routex.AggregateQuery, group string, levels []*rollupLevel) ([]routex.Aggregate, error) {
	run := newUsageRun(q.Bucket.Milliseconds())
	defer run.release()
	query, args := aggregateQuery(run.id, group, q, levels)
	var discard any
	if err := s.r.QueryRowContext(ctx, query, args...).Scan(&discard); err != nil {
		return nil, s.fail("aggregating records", err)
	}
	return run.groups.Result(), nil
}

// aggregateQuery returns the statement that feeds usageFunc every row that
// matches q, and its arguments: the coarsest of levels for the whole
// periods of q's window, the next finer for the whole periods of what
// remains at either end, and so on down to the records.
func aggregateQuery(run int64, group string, q routex.AggregateQuery, levels []*rollupLevel) (string, []any) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64) // unbounded
	if !q.From.IsZero() {
		lo = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		hi = q.To.UnixMilli()
	}
	args := []any{run}
	var parts []string
	add := func(table string, columns []string, from, to int64) {
		var sel, conds []string
		for i, c := range columns {
			if i == 0 && q.Bucket == 0 {
				// One bucket: the time is not needed, and a constant
				// costs neither a column read nor an allocation per row.
				c = "0"
			}
			sel = append(sel, c+" AS "+usageArgs[i])
		}
		if from != math.MinInt64 {
			conds = append(conds, columns[0]+" >= ?")
			args = append(args, from)
		}
		if to != math.MaxInt64 {
			conds = append(conds, columns[0]+" < ?")
			args = append(args, to)
		}
		for _, f := range []struct{ column, value string }{
			{"channel_id", q.ChannelID}, {"model", q.Model}, {"key_id", q.KeyID},
		} {
			if f.value != "" {
				conds = append(conds, f.column+" = ?")
				args = append(args, f.value)
			}
		}
		part := "SELECT " + group + " AS g, " + strings.Join(sel, ", ") + " FROM " + table
		if len(conds) > 0 {
			part += " WHERE " + strings.Join(conds, " AND ")
		}
		parts = append(parts, part)
	}
	periods := make([]int64, len(levels))
	for i, l := range levels {
		periods[i] = l.period
	}
	for _, p := range rollup.Plan(lo, hi, periods) {
		if p.Level < 0 {
			add("records", recordArgs, p.From, p.To)
		} else {
			l := levels[p.Level]
			add(l.table, append([]string{l.column}, rollupArgs...), p.From, p.To)
		}
	}
	return "SELECT " + usageFunc + "(?, g, " + strings.Join(usageArgs, ", ") + ") FROM (" +
		strings.Join(parts, " UNION ALL ") + ")", args
}

// usageFunc's arguments after the run and the group, as the columns of
// the union of records and rollups that feeds it, and the expressions for
// each in either table, the time first. A record is a request with its
// failed flag for errors, its cost in USD or NULL, and its latency and
// TTFB in nanoseconds; a rollup carries its counts, its cost in
// picodollars and the number it leaves out, and histograms.
var (
	usageArgs  = []string{"t", "r", "e", "i", "o", "cr", "cw", "c", "u", "l", "f"}
	recordArgs = []string{"time", "1", "failed", "input_tokens", "output_tokens",
		"cache_read_tokens", "cache_write_tokens", "cost", "0", "latency", "ttfb"}
	// After the level's time column.
	rollupArgs = []string{"requests", "errors", "input_tokens", "output_tokens",
		"cache_read_tokens", "cache_write_tokens", "cost_pico", "unpriced", "latency", "ttfb"}
)

// usageRun collects one Aggregate call's groups. usageFunc finds it by its
// id, which it is given as its first argument.
type usageRun struct {
	id int64
	// Found from the driver's volatile group strings without a copy.
	groups *rollup.Groups
}

// usageRuns holds the runs under way. Ids are reused, so that they stay
// small: the driver boxes every argument of every row, and small integers
// box without allocating.
var usageRuns struct {
	sync.Mutex
	byID []*usageRun
}

func newUsageRun(bucket int64) *usageRun {
	usageRuns.Lock()
	defer usageRuns.Unlock()
	id := slices.Index(usageRuns.byID, nil)
	if id < 0 {
		id = len(usageRuns.byID)
		usageRuns.byID = append(usageRuns.byID, nil)
	}
	r := &usageRun{id: int64(id), groups: rollup.NewGroups(bucket)}
	usageRuns.byID[id] = r
	return r
}

func findUsageRun(id int64) *usageRun {
	usageRuns.Lock()
	defer usageRuns.Unlock()
	if id < 0 || id >= int64(len(usageRuns.byID)) {
		return nil
	}
	return usageRuns.byID[id]
}

func (r *usageRun) release() {
	usageRuns.Lock()
	defer usageRuns.Unlock()
	usageRuns.byID[r.id] = nil
}

// usageStep is one evaluation of usageFunc. Its arguments are the run's id,
// the group, then the usageArgs of a record or a rollup.
type usageStep struct {
	run *usageRun
}

var _ msqlite.AggregateFunction = (*usageStep)(nil)

func (u *usageStep) Step(_ *msqlite.FunctionContext, args []driver.Value) error {
	if u.run == nil {
		id, _ := args[0].(int64)
		if u.run = findUsageRun(id); u.run == nil {
			return fmt.Errorf("%s: no aggregation %v under way", usageFunc, args[0])
		}
	}
	g, ok := args[1].(string)
	if !ok {
		return fmt.Errorf("%s: group is %T, want text", usageFunc, args[1])
	}
	// Time, requests, errors and the four token counts.
	var v [7]int64
	for i := range v {
		n, ok := args[2+i].(int64)
		if !ok {
			return fmt.Errorf("%s: argument %d is %T, want an integer", usageFunc, 2+i, args[2+i])
		}
		v[i] = n
	}
	a := u.run.groups.At(g, v[0])
	sums := rollup.Sums{Requests: v[1], Errors: v[2], Input: v[3], Output: v[4], CacheRead: v[5], CacheWrite: v[6]}

	cost, unpriced, latency, ttfb := args[9], args[10], args[11], args[12]
	switch latency := latency.(type) {
	case int64: // a record
		t, ok := ttfb.(int64)
		if !ok {
			return fmt.Errorf("%s: ttfb is %T, want an integer", usageFunc, ttfb)
		}
		var usd *float64
		switch c := cost.(type) {
		case nil:
		case float64:
			usd = &c
		case int64:
			f := float64(c)
			usd = &f
		default:
			return fmt.Errorf("%s: cost is %T, want a number", usageFunc, c)
		}
		a.AddRecord(v[2] != 0, v[3], v[4], v[5], v[6], usd, latency, t)
	case []byte: // a rollup
		t, ok := ttfb.([]byte)
		if !ok {
			return fmt.Errorf("%s: ttfb is %T, want a histogram", usageFunc, ttfb)
		}
		switch c := cost.(type) {
		case int64:
			sums.CostPico = c
		case float64:
			// SQLite turns an integer sum that overflows into a real.
			sums.CostPico = rollup.PicoUSD(c / 1e12)
		default:
			return fmt.Errorf("%s: cost is %T, want a number", usageFunc, c)
		}
		n, ok := unpriced.(int64)
		if !ok {
			return fmt.Errorf("%s: unpriced is %T, want an integer", usageFunc, unpriced)
		}
		sums.Unpriced = n
		if err := a.AddRollup(&sums, latency, t); err != nil {
			return fmt.Errorf("%s: %w", usageFunc, err)
		}
	default:
		return fmt.Errorf("%s: latency is %T, want an integer or a histogram", usageFunc, latency)
	}
	return nil
}

func (u *usageStep) WindowInverse(*msqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("%s cannot be used as a window function", usageFunc)
}

// WindowValue is NULL: the result is in the run.
func (u *usageStep) WindowValue(*msqlite.FunctionContext) (driver.Value, error) { return nil, nil }

func (u *usageStep) Final(*msqlite.FunctionContext) { u.run = nil }
