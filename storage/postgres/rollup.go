package postgres

import (
	"context"
	"math"
	"math/bits"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/histogram"
)

// Rollups sum the records per period, channel, model and key: request and
// error counts, token sums, cost, and histograms of latency and TTFB
// (histogram.go). There are three tables of them, per minute, per hour and
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
func (l *rollupLevel) floor(ms int64) int64 {
	r := ms % l.period
	if r < 0 {
		r += l.period
	}
	return ms - r
}

// ceil returns the first period start at or after ms.
func (l *rollupLevel) ceil(ms int64) int64 {
	if f := l.floor(ms); f != ms {
		return f + l.period
	}
	return ms
}

// rollupColumns are a rollup table's columns, in the order rollup rows are
// read and written.
const rollupColumns = `start, channel_id, model, key_id, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb`

// picoUSD converts a cost in USD to whole picodollars, saturating far
// beyond any real cost.
func picoUSD(usd float64) int64 {
	v := math.Round(usd * 1e12)
	switch {
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return int64(v)
}

// finite reports whether a cost is a number other than an infinity or NaN.
// A cost that is not counts as unknown.
func finite(usd float64) bool { return !math.IsNaN(usd) && !math.IsInf(usd, 0) }

// addSat adds without wrapping around, for cost sums that saturate.
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

type rollupKey struct {
	start                 int64
	channel, model, keyID string
}

// rollup is one rollup row, or what a batch of records adds to one.
type rollup struct {
	rollupKey
	requests, errors                     int64
	input, output, cacheRead, cacheWrite int64
	costPico, unpriced                   int64
	latency, ttfb                        histogram.Counts
}

// add counts r in u.
func (u *rollup) add(r *analytics.Record) {
	u.requests++
	if r.Failed() {
		u.errors++
	}
	u.input += r.InputTokens
	u.output += r.OutputTokens
	u.cacheRead += r.CacheReadTokens
	u.cacheWrite += r.CacheWriteTokens
	if r.Cost == nil || !finite(*r.Cost) {
		u.unpriced++
	} else {
		u.costPico = addSat(u.costPico, picoUSD(*r.Cost))
	}
	u.latency.AddDuration(int64(r.Latency))
	u.ttfb.AddDuration(int64(r.TTFB))
}

// merge adds the row v, as read from a rollup table, to u.
func (u *rollup) merge(v *rollupRow) error {
	u.requests += v.requests
	u.errors += v.errors
	u.input += v.input
	u.output += v.output
	u.cacheRead += v.cacheRead
	u.cacheWrite += v.cacheWrite
	u.costPico = addSat(u.costPico, v.costPico)
	u.unpriced += v.unpriced
	if err := u.latency.AddEncoded(v.latency); err != nil {
		return err
	}
	return u.ttfb.AddEncoded(v.ttfb)
}

// rollupRow is a rollup as read from its table, histograms encoded.
type rollupRow struct {
	rollupKey
	requests, errors                     int64
	input, output, cacheRead, cacheWrite int64
	costPico, unpriced                   int64
	latency, ttfb                        []byte
}

// targets are where Scan reads a row of rollupColumns into.
func (v *rollupRow) targets() []any {
	return []any{&v.start, &v.channel, &v.model, &v.keyID, &v.requests, &v.errors,
		&v.input, &v.output, &v.cacheRead, &v.cacheWrite, &v.costPico, &v.unpriced, &v.latency, &v.ttfb}
}

// levelRollups are the rollups of one level, by key.
type levelRollups map[rollupKey]*rollup

// rollupDeltas sums recs per period of every level, the levels in the
// order of rollupLevels.
func rollupDeltas(recs []analytics.Record) []levelRollups {
	out := make([]levelRollups, len(rollupLevels))
	for li, l := range rollupLevels {
		byKey := make(levelRollups)
		for i := range recs {
			r := &recs[i]
			k := rollupKey{l.floor(r.Time.UnixMilli()), text(r.ChannelID), text(r.Model), text(r.KeyID)}
			u := byKey[k]
			if u == nil {
				u = &rollup{rollupKey: k}
				byKey[k] = u
			}
			u.add(r)
		}
		out[li] = byKey
	}
	return out
}

// mergeRollups adds deltas, from rollupDeltas, to the rollup tables in tx:
// under the rollup lock it reads the rows they touch, one statement per
// level in one round trip, adds them in, and writes the sums back, again in
// one round trip.
func (s *Store) mergeRollups(ctx context.Context, tx pgx.Tx, deltas []levelRollups) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", rollupLock); err != nil {
		return s.fail("adding records: waiting for the rollup lock", err)
	}
	var read pgx.Batch
	for li, l := range rollupLevels {
		var starts []int64
		var channels, models, keys []string
		for k := range deltas[li] {
			starts = append(starts, k.start)
			channels, models, keys = append(channels, k.channel), append(models, k.model), append(keys, k.keyID)
		}
		byKey := deltas[li]
		var row rollupRow
		read.Queue(`SELECT `+rollupColumns+` FROM `+l.table+`
			JOIN unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS k (start, channel_id, model, key_id)
			USING (start, channel_id, model, key_id)`, starts, channels, models, keys).
			Query(func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, row.targets(), func() error {
					if u := byKey[row.rollupKey]; u != nil {
						return u.merge(&row)
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
func queueRollupWrite(b *pgx.Batch, l *rollupLevel, rows levelRollups) {
	if len(rows) == 0 {
		return
	}
	n := len(rows)
	starts := make([]int64, 0, n)
	channels, models, keys := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	var nums [8][]int64
	lat, ttfb := make([][]byte, 0, n), make([][]byte, 0, n)
	for _, u := range rows {
		starts = append(starts, u.start)
		channels, models, keys = append(channels, u.channel), append(models, u.model), append(keys, u.keyID)
		for i, v := range [8]int64{u.requests, u.errors, u.input, u.output, u.cacheRead, u.cacheWrite, u.costPico, u.unpriced} {
			nums[i] = append(nums[i], v)
		}
		lat, ttfb = append(lat, u.latency.AppendEncoded(nil)), append(ttfb, u.ttfb.AppendEncoded(nil))
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

// picoSum is a sum of picodollars in 128 bits, which no number of records
// overflows.
type picoSum struct {
	hi int64
	lo uint64
}

func (s *picoSum) add(v int64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry) // v>>63 is -1 for a negative v: its sign extended
}

// usd returns the sum in USD.
func (s picoSum) usd() float64 {
	hi, lo := s.hi, s.lo
	sign := 1.0
	if hi < 0 {
		var borrow uint64
		lo, borrow = bits.Sub64(0, lo, 0)
		hi = -hi - int64(borrow)
		sign = -1
	}
	return sign * (float64(uint64(hi))*0x1p64 + float64(lo)) / 1e12
}
