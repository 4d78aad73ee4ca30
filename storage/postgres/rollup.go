package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/rollup"
)

// Rollups sum the records per period, channel, model and key: request and
// error counts, token sums, cost, and histograms of latency and TTFB
// (internal/histogram). There are three tables of them, per minute, per hour and
// per day, with the same columns. AddRecords keeps all three up to date in
// the transaction that adds the records, and Prune deletes from them what
// it deletes from the records, so that Aggregate reads a row per day and
// combination for the whole days of a query, one per hour for the whole
// hours at its ends, one per minute for the whole minutes beyond, and the
// records themselves only for the partial minutes at its very ends. This is
// storage/sqlite's scheme, with the day level added: a month of hours over
// a hundred combinations is 72 000 rows, of days 3 000.
//
// PostgreSQL cannot merge the histograms, which are routex's own encoding,
// so AddRecords merges them in Go: under a transaction-scoped advisory lock
// (rollupLock) it reads the rows its batch touches, adds the batch to them
// and writes them back. The lock serialises that step, and only that step,
// across every instance sharing the database; the COPY of the records runs
// before it, concurrently.
//
// Costs are summed in whole picodollars (1e-12 USD), as integers, so that a
// sum over rollups equals one over the records they came from, whatever
// the order of addition. A rollup's sum saturates at about 9.2 million USD.

// rollupLevel is one table of rollups.
type rollupLevel struct {
	name   string // minute, hour, day
	table  string
	period int64 // in milliseconds
}

// The rollup levels, finest first; each is rebuilt from the one before,
// and the first from the records.
var rollupLevels = []*rollupLevel{
	{name: "minute", table: "rollups_minute", period: 60_000},
	{name: "hour", table: "rollups_hour", period: 3_600_000},
	{name: "day", table: "rollups_day", period: 86_400_000},
}

// floor returns the start of the period that ms falls in.
func (l *rollupLevel) floor(ms int64) int64 { return rollup.Floor(ms, l.period) }

// rollupColumns are a rollup table's columns, in the order rollup rows are
// read and written.
const rollupColumns = `start, channel_id, model, key_id, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb`

// rollupRow is a rollup as read from its table, histograms encoded.
type rollupRow struct {
	rollup.Key
	rollup.Sums
	latency, ttfb []byte
}

// targets are where Scan reads a row of rollupColumns into.
func (v *rollupRow) targets() []any {
	return []any{&v.Start, &v.Channel, &v.Model, &v.KeyID, &v.Requests, &v.Errors,
		&v.Input, &v.Output, &v.CacheRead, &v.CacheWrite, &v.CostPico, &v.Unpriced, &v.latency, &v.ttfb}
}

// rollupDeltas sums recs per period of every level, the levels in the
// order of rollupLevels.
func rollupDeltas(recs []analytics.Record) []rollup.Rows {
	out := make([]rollup.Rows, len(rollupLevels))
	for li, l := range rollupLevels {
		out[li] = rollup.Records(recs, l.period, text)
	}
	return out
}

// mergeRollups adds deltas, from rollupDeltas, to the rollup tables in tx:
// under the rollup lock it reads the rows they touch, one statement per
// level in one round trip, adds them in, and writes the sums back, again in
// one round trip.
func (s *Store) mergeRollups(ctx context.Context, tx pgx.Tx, deltas []rollup.Rows) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", rollupLock); err != nil {
		return s.fail("adding records: waiting for the rollup lock", err)
	}
	var read pgx.Batch
	for li, l := range rollupLevels {
		var starts []int64
		var channels, models, keys []string
		for k := range deltas[li] {
			starts = append(starts, k.Start)
			channels, models, keys = append(channels, k.Channel), append(models, k.Model), append(keys, k.KeyID)
		}
		byKey := deltas[li]
		var row rollupRow
		read.Queue(`SELECT `+rollupColumns+` FROM `+l.table+`
			JOIN unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS k (start, channel_id, model, key_id)
			USING (start, channel_id, model, key_id)`, starts, channels, models, keys).
			Query(func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, row.targets(), func() error {
					if u := byKey[row.Key]; u != nil {
						return u.Merge(&row.Sums, row.latency, row.ttfb)
					}
					return nil
				})
				return err
			})
	}
	if err := tx.SendBatch(ctx, &read).Close(); err != nil {
		return s.fail("adding records: reading rollups", err)
	}
	var write pgx.Batch
	for li, l := range rollupLevels {
		queueRollupWrite(&write, l, deltas[li])
	}
	if err := tx.SendBatch(ctx, &write).Close(); err != nil {
		return s.fail("adding records: writing rollups", err)
	}
	return nil
}

// queueRollupWrite queues the statement that writes rows, as they are, to
// the level's table.
func queueRollupWrite(b *pgx.Batch, l *rollupLevel, rows rollup.Rows) {
	if len(rows) == 0 {
		return
	}
	n := len(rows)
	starts := make([]int64, 0, n)
	channels, models, keys := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	var nums [8][]int64
	lat, ttfb := make([][]byte, 0, n), make([][]byte, 0, n)
	for _, u := range rows {
		starts = append(starts, u.Start)
		channels, models, keys = append(channels, u.Channel), append(models, u.Model), append(keys, u.KeyID)
		for i, v := range [8]int64{u.Requests, u.Errors, u.Input, u.Output, u.CacheRead, u.CacheWrite, u.CostPico, u.Unpriced} {
			nums[i] = append(nums[i], v)
		}
		lat, ttfb = append(lat, u.Latency.AppendEncoded(nil)), append(ttfb, u.TTFB.AppendEncoded(nil))
	}
	b.Queue(`INSERT INTO `+l.table+` (`+rollupColumns+`)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
			$7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bytea[], $14::bytea[])
		ON CONFLICT (start, channel_id, model, key_id) DO UPDATE SET
			requests = excluded.requests, errors = excluded.errors,
			input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
			cache_read_tokens = excluded.cache_read_tokens, cache_write_tokens = excluded.cache_write_tokens,
			cost_pico = excluded.cost_pico, unpriced = excluded.unpriced,
			latency = excluded.latency, ttfb = excluded.ttfb`,
		starts, channels, models, keys, nums[0], nums[1], nums[2], nums[3], nums[4], nums[5], nums[6], nums[7], lat, ttfb)
}
