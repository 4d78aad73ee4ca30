package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Hooks for the external tests.

// WithClock replaces time.Now for pruning.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithPruneInterval replaces the background pruning interval.
func WithPruneInterval(d time.Duration) Option { return func(c *config) { c.pruneInterval = d } }

// WithPruneChunk replaces the most records one pruning transaction deletes.
func WithPruneChunk(n int) Option { return func(c *config) { c.pruneChunk = n } }

// OnPrune is told the result of every background prune.
func OnPrune(fn func(n int, err error)) Option { return func(c *config) { c.pruned = fn } }

// SchemaVersion is the version Open migrates to.
var SchemaVersion = len(migrations)

// CreateAtVersion creates a database at path with the schema as it was at
// version, as an older routex would have left it.
func CreateAtVersion(ctx context.Context, path string, version int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, version)
}

// SetMaxPages caps the database file at n pages, as a full disk would.
func SetMaxPages(ctx context.Context, s *Store, n int) error {
	_, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n))
	return err
}

// PageCount returns the pages the database file holds.
func PageCount(ctx context.Context, s *Store) (n int, err error) {
	err = s.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n)
	return n, err
}
