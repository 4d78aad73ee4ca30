package postgres

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/rollup"
)

// Hooks for the external tests.

// WithClock replaces time.Now for pruning.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithPruneInterval replaces the background pruning interval.
func WithPruneInterval(d time.Duration) Option { return func(c *config) { c.pruneInterval = d } }

// WithPruneChunk replaces the most rows one pruning transaction deletes.
func WithPruneChunk(n int) Option { return func(c *config) { c.pruneChunk = n } }

// OnPrune is told the result of every background prune.
func OnPrune(fn func(n int, err error)) Option { return func(c *config) { c.pruned = fn } }

// WithBackoff replaces the listener's reconnection backoff.
func WithBackoff(fn func(attempt int) time.Duration) Option {
	return func(c *config) { c.backoff = fn }
}

// AggregateFrom is Aggregate reading the records and, where they answer
// for whole periods, the rollups of the given levels only ("minute",
// "hour", "day"), those that q.Bucket allows. With none, it reads the
// records alone.
func AggregateFrom(ctx context.Context, s *Store, q routex.AggregateQuery, levels ...string) ([]routex.Aggregate, error) {
	var ls []*rollupLevel
	for _, l := range rollupLevels {
		for _, name := range levels {
			if name == l.name && q.Bucket.Milliseconds()%l.period == 0 {
				ls = append(ls, l)
			}
		}
	}
	return s.aggregate(ctx, q, ls)
}

// SchemaVersion is the version Open migrates to.
var SchemaVersion = len(migrations)

// LoadRollups writes the rollups of every level for the n records that
// record returns, in time order, with COPY: the bulk load of a benchmark
// whose records are generated in the server. The rollup tables must be
// empty.
func LoadRollups(ctx context.Context, s *Store, n int, record func(i int, r *analytics.Record)) error {
	minute, hour, day := rollupLevels[0], rollupLevels[1], rollupLevels[2]
	hours, days := make(rollup.Rows), make(rollup.Rows)
	cur := make(rollup.Rows)
	curStart := int64(math.MinInt64)
	var pending []*rollup.Row
	var r analytics.Record
	i := 0
	add := func(m rollup.Rows, l *rollupLevel) {
		m.At(rollup.Key{Start: l.floor(r.Time.UnixMilli()), Channel: r.ChannelID, Model: r.Model, KeyID: r.KeyID}).Add(&r)
	}
	flush := func() {
		for _, u := range cur {
			pending = append(pending, u)
		}
		clear(cur)
	}
	row := func(u *rollup.Row) []any {
		return []any{u.Start, u.Channel, u.Model, u.KeyID, u.Requests, u.Errors, u.Input, u.Output,
			u.CacheRead, u.CacheWrite, u.CostPico, u.Unpriced, u.Latency.AppendEncoded(nil), u.TTFB.AppendEncoded(nil)}
	}
	columns := strings.Split(strings.Join(strings.Fields(rollupColumns), ""), ",")
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{minute.table}, columns, pgx.CopyFromFunc(func() ([]any, error) {
		for len(pending) == 0 && i < n {
			record(i, &r)
			if start := minute.floor(r.Time.UnixMilli()); start != curStart {
				flush()
				curStart = start
			}
			add(cur, minute)
			add(hours, hour)
			add(days, day)
			i++
			if i == n {
				flush()
			}
		}
		if len(pending) == 0 {
			return nil, nil
		}
		u := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		return row(u), nil
	}))
	if err != nil {
		return err
	}
	for _, lr := range []struct {
		l *rollupLevel
		m rollup.Rows
	}{{hour, hours}, {day, days}} {
		rows := make([][]any, 0, len(lr.m))
		for _, u := range lr.m {
			rows = append(rows, row(u))
		}
		if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{lr.l.table}, columns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
	}
	return nil
}

// Exec runs a statement on the Store's pool, for tests that set up data
// the Store's API cannot.
func Exec(ctx context.Context, s *Store, sql string, args ...any) error {
	_, err := s.pool.Exec(ctx, sql, args...)
	return err
}
