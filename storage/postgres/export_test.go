package postgres

import (
	"context"
	"time"

	"github.com/routex/routex"
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
