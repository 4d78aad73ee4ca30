package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// pruneChunk bounds the rows one pruning transaction deletes, so that a
// large backlog (a first prune of a long-unpruned database) never holds the
// write lock long enough to stall AddRecords.
const pruneChunk = 10_000

// Prune deletes what retention no longer keeps: records older than the
// WithRetention maximum age, the oldest records beyond its maximum count,
// and sessions and stored responses that have expired. It returns how many records it deleted.
// The rollups that Aggregate reads lose the deleted records too.
// Without WithRetention it deletes only expired sessions and responses. The background
// goroutine started by WithRetention calls it once a minute.
func (s *Store) Prune(ctx context.Context) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	now := s.cfg.now()
	err := s.writeTx(ctx, "pruning sessions", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", now.UnixMilli())
		return s.failed("pruning sessions", err)
	})
	if err != nil {
		return 0, err
	}
	if err := s.pruneResponses(ctx, now); err != nil {
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
		n, err := s.pruneChunks(ctx, "pruning records", "DELETE FROM records WHERE id IN (SELECT id FROM records WHERE time < ? LIMIT ?)",
			now.Add(-s.cfg.maxAge).UnixMilli(), s.cfg.pruneChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	if s.cfg.maxRows > 0 {
		// The newest record past the first maxRows, in the order Records
		// returns them, is found on a read connection: skipping maxRows
		// entries of the time index takes a while on a large table, and a
		// write transaction would stall AddRecords meanwhile.
		var cutTime, cutID int64
		err := s.r.QueryRowContext(ctx, "SELECT time, id FROM records ORDER BY time DESC, id DESC LIMIT 1 OFFSET ?",
			s.cfg.maxRows).Scan(&cutTime, &cutID)
		if err == sql.ErrNoRows {
			return total, nil
		}
		if err != nil {
			return total, s.fail("pruning records", err)
		}
		n, err := s.pruneChunks(ctx, "pruning records", `DELETE FROM records WHERE id IN (
			SELECT id FROM records WHERE time <= ?1 AND (time < ?1 OR id <= ?2) LIMIT ?3)`,
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
// request counts. Each step reads the oldest record in its own
// transaction, so a record added meanwhile, however old its time, keeps
// its rollups; and a step cut short by an error or a crash is completed by
// the next Prune.
func (s *Store) pruneRollups(ctx context.Context) error {
	for _, l := range rollupLevels {
		// The oldest record's period start, or the largest integer if
		// there are no records.
		oldest := fmt.Sprintf("(SELECT ifnull(min(time) - ((min(time) %% %[1]d) + %[1]d) %% %[1]d, 9223372036854775807) FROM records)", l.period)
		_, err := s.pruneChunks(ctx, "pruning rollups", `DELETE FROM `+l.table+` WHERE (`+l.column+`, channel_id, model, key_id) IN (
			SELECT `+l.column+`, channel_id, model, key_id FROM `+l.table+` WHERE `+l.column+` < `+oldest+` LIMIT ?)`,
			s.cfg.pruneChunk)
		if err != nil {
			return err
		}
		err = s.writeTx(ctx, "pruning rollups", func(tx *sql.Tx) error {
			var start int64
			if err := tx.QueryRowContext(ctx, "SELECT "+oldest).Scan(&start); err != nil {
				return s.fail("pruning rollups", err)
			}
			if start == math.MaxInt64 {
				return nil
			}
			var source, rolledUp int64
			err := tx.QueryRowContext(ctx, l.count, start, start+l.period).Scan(&source, &rolledUp)
			if err != nil {
				return s.fail("pruning rollups", err)
			}
			if source == rolledUp {
				return nil
			}
			_, err = tx.ExecContext(ctx, l.rebuild, start, start+l.period)
			return s.failed("pruning rollups", err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pruneChunks runs a statement that deletes at most s.cfg.pruneChunk rows,
// in its own transaction each time, until it deletes fewer, and returns
// how many it deleted.
func (s *Store) pruneChunks(ctx context.Context, what, query string, args ...any) (int, error) {
	total := 0
	for {
		var n int64
		err := s.writeTx(ctx, what, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return s.fail(what, err)
			}
			n, err = res.RowsAffected()
			return s.failed(what, err)
		})
		total += int(n)
		if err != nil || n < int64(s.cfg.pruneChunk) {
			return total, err
		}
	}
}

func (s *Store) pruneLoop(ctx context.Context) {
	defer close(s.pruneDone)
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
			s.cfg.logger.Error("sqlite: pruning old records failed", "path", s.path, "err", err)
		}
		if s.cfg.pruned != nil {
			s.cfg.pruned(n, err)
		}
	}
}
