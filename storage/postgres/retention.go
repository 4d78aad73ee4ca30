package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex/internal/rollup"
)

// pruneChunk bounds the rows one pruning transaction deletes, so that a
// large backlog (a first prune of a long-unpruned database) never holds
// locks or a snapshot for long.
const pruneChunk = 10_000

// Prune deletes what retention no longer keeps: records older than the
// WithRetention maximum age, the oldest records beyond its maximum count,
// and sessions and stored responses that have expired. It returns how many
// records it deleted. The rollups that Aggregate reads lose the deleted
// records too. Without WithRetention it deletes only expired sessions and
// responses. The background goroutine started by WithRetention calls it
// once a minute; several instances pruning the same database at once do
// the same work twice, never harm.
func (s *Store) Prune(ctx context.Context) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	now := s.cfg.now()
	if _, err := s.pruneChunks(ctx, "pruning sessions", false,
		"DELETE FROM sessions WHERE key IN (SELECT key FROM sessions WHERE expires_at <= $1 LIMIT $2)",
		now.UnixMilli(), s.cfg.pruneChunk); err != nil {
		return 0, err
	}
	if _, err := s.pruneChunks(ctx, "pruning responses", false,
		"DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE expires_at <= $1 LIMIT $2)",
		now.UnixMilli(), s.cfg.pruneChunk); err != nil {
		return 0, err
	}
	if s.cfg.maxAge <= 0 && s.cfg.maxRows <= 0 {
		return 0, nil
	}
	total, err := s.pruneRecords(ctx, now)
	if err != nil {
		return total, err
	}
	return total, s.pruneRollups(ctx)
}

// pruneRecords deletes the records that retention no longer keeps and
// returns how many it deleted.
func (s *Store) pruneRecords(ctx context.Context, now time.Time) (int, error) {
	total := 0
	if s.cfg.maxAge > 0 {
		n, err := s.pruneChunks(ctx, "pruning records", false, "DELETE FROM records WHERE id IN (SELECT id FROM records WHERE time < $1 LIMIT $2)",
			now.Add(-s.cfg.maxAge).UnixMilli(), s.cfg.pruneChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	if s.cfg.maxRows > 0 {
		// The newest record past the first maxRows, in the order Records
		// returns them.
		var cutTime, cutID int64
		err := s.pool.QueryRow(ctx, "SELECT time, id FROM records ORDER BY time DESC, id DESC LIMIT 1 OFFSET $1",
			s.cfg.maxRows).Scan(&cutTime, &cutID)
		if errors.Is(err, pgx.ErrNoRows) {
			return total, nil
		}
		if err != nil {
			return total, s.fail("pruning records", err)
		}
		n, err := s.pruneChunks(ctx, "pruning records", false, `DELETE FROM records WHERE id IN (
			SELECT id FROM records WHERE time <= $1 AND (time < $1 OR id <= $2) LIMIT $3)`,
			cutTime, cutID, s.cfg.pruneChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneRollups brings the rollups in line with the records that pruning
// left, level by level, finest first: it deletes the rollups of the periods
// before the oldest record's, which have no records left, and rebuilds that
// period's if pruning deleted some of its records, which it tells from the
// request counts. Every step holds the rollup lock, as AddRecords does when
// it merges, and reads the oldest record under it, so a record added
// meanwhile, however old its time, keeps its rollups; a step cut short by
// an error or a crash is completed by the next Prune.
func (s *Store) pruneRollups(ctx context.Context) error {
	for li, l := range rollupLevels {
		// The oldest record's period start, or the largest integer if
		// there are no records.
		oldest := fmt.Sprintf("(SELECT coalesce(min(time) - ((min(time) %% %[1]d) + %[1]d) %% %[1]d, %[2]d) FROM records)", l.period, int64(math.MaxInt64))
		_, err := s.pruneChunks(ctx, "pruning rollups", true, `DELETE FROM `+l.table+` WHERE (start, channel_id, model, key_id) IN (
			SELECT start, channel_id, model, key_id FROM `+l.table+` WHERE start < `+oldest+` LIMIT $1)`,
			s.cfg.pruneChunk)
		if err != nil {
			return err
		}
		err = s.writeTx(ctx, "pruning rollups", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", rollupLock); err != nil {
				return s.fail("pruning rollups", err)
			}
			var start int64
			if err := tx.QueryRow(ctx, "SELECT "+oldest).Scan(&start); err != nil {
				return s.fail("pruning rollups", err)
			}
			if start == math.MaxInt64 {
				return nil
			}
			end := start + l.period
			// The source is the records for minutes, the finer level
			// (already in line) otherwise.
			var source, rolledUp int64
			countSource := "SELECT count(*) FROM records WHERE time >= $1 AND time < $2"
			if li > 0 {
				countSource = "SELECT coalesce(sum(requests), 0) FROM " + rollupLevels[li-1].table + " WHERE start >= $1 AND start < $2"
			}
			err := tx.QueryRow(ctx, "SELECT ("+countSource+"), (SELECT coalesce(sum(requests), 0) FROM "+l.table+" WHERE start = $1)",
				start, end).Scan(&source, &rolledUp)
			if err != nil {
				return s.fail("pruning rollups", err)
			}
			if source == rolledUp {
				return nil
			}
			rows, err := s.rebuildPeriod(ctx, tx, li, start, end)
			if err != nil {
				return s.fail("pruning rollups", err)
			}
			if _, err := tx.Exec(ctx, "DELETE FROM "+l.table+" WHERE start >= $1 AND start < $2", start, end); err != nil {
				return s.fail("pruning rollups", err)
			}
			var b pgx.Batch
			queueRollupWrite(&b, l, rows)
			return s.failed("pruning rollups", tx.SendBatch(ctx, &b).Close())
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rebuildPeriod sums the source of level li for [start, end): the records
// for the finest level, the rollups of the level below for the others.
func (s *Store) rebuildPeriod(ctx context.Context, tx pgx.Tx, li int, start, end int64) (rollup.Rows, error) {
	l := rollupLevels[li]
	out := make(rollup.Rows)
	if li == 0 {
		rows, err := tx.Query(ctx, "SELECT channel_id, model, key_id, "+recordUsageColumns+" FROM records WHERE time >= $1 AND time < $2", start, end)
		if err != nil {
			return nil, err
		}
		var k rollup.Key
		var ms, in, o, cr, cw, latency, ttfb int64
		var failed bool
		var cost *float64
		_, err = pgx.ForEachRow(rows, []any{&k.Channel, &k.Model, &k.KeyID, &ms, &failed, &in, &o, &cr, &cw, &cost, &latency, &ttfb}, func() error {
			k.Start = l.floor(ms)
			out.At(k).AddValues(failed, in, o, cr, cw, cost, latency, ttfb)
			return nil
		})
		return out, err
	}
	rows, err := tx.Query(ctx, "SELECT "+rollupColumns+" FROM "+rollupLevels[li-1].table+" WHERE start >= $1 AND start < $2", start, end)
	if err != nil {
		return nil, err
	}
	var v rollupRow
	_, err = pgx.ForEachRow(rows, v.targets(), func() error {
		k := v.Key
		k.Start = l.floor(k.Start)
		return out.At(k).Merge(&v.Sums, v.latency, v.ttfb)
	})
	return out, err
}

// pruneChunks runs a statement that deletes at most s.cfg.pruneChunk rows,
// the last of its arguments, until it deletes fewer, and returns how many
// it deleted. Each run is its own transaction, which holds the rollup lock
// when the statement deletes rollups.
func (s *Store) pruneChunks(ctx context.Context, what string, rollups bool, query string, args ...any) (int, error) {
	total := 0
	for {
		var n int64
		err := s.writeTx(ctx, what, func(tx pgx.Tx) error {
			if rollups {
				if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", rollupLock); err != nil {
					return s.fail(what, err)
				}
			}
			tag, err := tx.Exec(ctx, query, args...)
			if err != nil {
				return s.fail(what, err)
			}
			n = tag.RowsAffected()
			return nil
		})
		total += int(n)
		if err != nil || n < int64(s.cfg.pruneChunk) {
			return total, err
		}
	}
}

func (s *Store) pruneLoop(ctx context.Context) {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.pruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Prune(ctx)
		if ctx.Err() != nil {
			return // Close interrupted it; nothing went wrong
		}
		if err != nil {
			s.cfg.logger.Error("postgres: pruning old records failed", "err", err)
		}
		if s.cfg.pruned != nil {
			s.cfg.pruned(n, err)
		}
	}
}
