package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// pruneChunk bounds the rows one pruning transaction deletes, so that a
// large backlog (a first prune of a long-unpruned database) never holds the
// write lock long enough to stall AddRecords.
const pruneChunk = 10_000

// Prune deletes what retention no longer keeps: records older than the
// WithRetention maximum age, the oldest records beyond its maximum count,
// and sessions that have expired. It returns how many records it deleted.
// Without WithRetention it deletes only expired sessions. The background
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
	total := 0
	if s.cfg.maxAge > 0 {
		n, err := s.pruneChunks(ctx, "DELETE FROM records WHERE id IN (SELECT id FROM records WHERE time < ? LIMIT ?)",
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
		n, err := s.pruneChunks(ctx, `DELETE FROM records WHERE id IN (
			SELECT id FROM records WHERE time <= ?1 AND (time < ?1 OR id <= ?2) LIMIT ?3)`,
			cutTime, cutID, s.cfg.pruneChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneChunks runs a statement that deletes at most s.cfg.pruneChunk
// records, in its own transaction each time, until it deletes fewer.
func (s *Store) pruneChunks(ctx context.Context, query string, args ...any) (int, error) {
	total := 0
	for {
		var n int64
		err := s.writeTx(ctx, "pruning records", func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return s.fail("pruning records", err)
			}
			n, err = res.RowsAffected()
			return s.failed("pruning records", err)
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
