package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/routex/routex"
)

// AggregateFrom is Aggregate reading the records and, where they answer
// for whole periods, the rollups of the given levels only: "minute",
// "hour", those that q.Bucket allows. With none, it reads the records
// alone.
func AggregateFrom(ctx context.Context, s *Store, q routex.AggregateQuery, levels ...string) ([]routex.Aggregate, error) {
	group, err := groupColumn(q)
	if err != nil {
		return nil, err
	}
	var ls []*rollupLevel
	for _, l := range rollupLevels {
		for _, name := range levels {
			if name == l.column && q.Bucket.Milliseconds()%l.period == 0 {
				ls = append(ls, l)
			}
		}
	}
	return s.aggregate(ctx, q, group, ls)
}

// RollupsVersion is the schema version that adds the rollups.
var RollupsVersion = slices.IndexFunc(migrations, func(m migration) bool {
	return strings.HasSuffix(m.name, "_rollups.sql")
}) + 1
