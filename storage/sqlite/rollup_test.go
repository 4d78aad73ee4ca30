package sqlite_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/memory"
	"github.com/routex/routex/storage/sqlite"
)

// randomRecords returns n records over six hours from t0, which is on no
// minute, with a few on minute and hour boundaries, durations below a
// millisecond, in whole milliseconds and beyond a second, and costs known,
// zero and unknown.
func randomRecords(r *rand.Rand, n int, t0 time.Time) []analytics.Record {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	duration := func() time.Duration {
		switch r.IntN(4) {
		case 0:
			return time.Duration(r.Int64N(int64(time.Millisecond)))
		case 1:
			return time.Duration(r.Int64N(1024)) * time.Millisecond
		case 2:
			return time.Duration(r.Int64N(int64(20 * time.Second)))
		}
		return time.Duration(r.Int64N(int64(1500 * time.Millisecond)))
	}
	recs := make([]analytics.Record, n)
	for i := range recs {
		at := t0.Add(time.Duration(r.Int64N(int64(6 * time.Hour))))
		switch r.IntN(10) {
		case 0:
			at = at.Truncate(time.Minute)
		case 1:
			at = at.Truncate(time.Hour)
		}
		rec := analytics.Record{
			Time: at, RequestID: fmt.Sprint("r", i),
			ChannelID: pick("a", "b", "c"), Model: pick("m1", "m2"), KeyID: pick("k1", "k2", "k3", ""),
			Status: 200, Latency: duration(), TTFB: duration(),
			InputTokens: r.Int64N(5000), OutputTokens: r.Int64N(1000), CacheReadTokens: r.Int64N(100), CacheWriteTokens: r.Int64N(10),
		}
		switch r.IntN(6) {
		case 0:
			rec.Status = 500
		case 1:
			rec.Error = "stream cut"
		}
		switch r.IntN(4) {
		case 0: // unknown
		case 1:
			rec.Cost = new(0.0)
		case 2:
			rec.Cost = new(float64(r.IntN(5000)) * 1.5e-7)
		default:
			rec.Cost = new(r.Float64() / 10)
		}
		recs[i] = rec
	}
	return recs
}

// randomQuery returns a query whose window ends are unbounded or fall on
// hours, minutes, milliseconds or between them, around the records of
// randomRecords.
func randomQuery(r *rand.Rand, t0 time.Time) routex.AggregateQuery {
	bound := func() time.Time {
		at := t0.Add(time.Duration(r.Int64N(int64(7*time.Hour))) - 30*time.Minute)
		switch r.IntN(5) {
		case 0:
			return time.Time{}
		case 1:
			return at.Truncate(time.Hour)
		case 2:
			return at.Truncate(time.Minute)
		case 3:
			return at.Truncate(time.Millisecond)
		}
		return at
	}
	q := routex.AggregateQuery{From: bound(), To: bound()}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) && r.IntN(4) > 0 {
		q.From, q.To = q.To, q.From
	}
	q.Bucket = []time.Duration{0, 0, time.Millisecond, 30 * time.Second, time.Minute, 90 * time.Second,
		5 * time.Minute, time.Hour, 2 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}[r.IntN(11)]
	q.GroupBy = []routex.GroupBy{routex.GroupNone, routex.GroupChannel, routex.GroupModel, routex.GroupKey}[r.IntN(4)]
	if r.IntN(4) == 0 {
		q.ChannelID = []string{"a", "b", "zzz"}[r.IntN(3)]
	}
	if r.IntN(4) == 0 {
		q.Model = "m2"
	}
	if r.IntN(4) == 0 {
		q.KeyID = []string{"k1", ""}[r.IntN(2)]
	}
	return q
}

// withinPrecision reports whether got is exact within the precision that
// routex.Aggregate documents.
func withinPrecision(exact, got time.Duration) bool {
	switch {
	case exact < time.Millisecond:
		return got == exact.Truncate(time.Microsecond)
	case exact < 1024*time.Millisecond:
		return got == exact.Truncate(time.Millisecond)
	}
	return math.Abs(float64(got-exact)) <= float64(exact)/100
}

// sameAsExact reports how got, from SQLite, differs from want, from the
// memory store, beyond the precision routex.Aggregate documents.
func sameAsExact(want, got []routex.Aggregate) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d aggregates, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		for _, p := range [][2]time.Duration{
			{w.LatencyP50, g.LatencyP50}, {w.LatencyP95, g.LatencyP95}, {w.LatencyP99, g.LatencyP99}, {w.TTFBP50, g.TTFBP50},
		} {
			if !withinPrecision(p[0], p[1]) {
				return fmt.Errorf("aggregate %d: percentile %v, exact %v", i, p[1], p[0])
			}
		}
		if math.Abs(w.Cost-g.Cost) > 1e-9*max(1, math.Abs(w.Cost)) {
			return fmt.Errorf("aggregate %d: cost %v, exact %v", i, g.Cost, w.Cost)
		}
		w.LatencyP50, w.LatencyP95, w.LatencyP99, w.TTFBP50, w.Cost = g.LatencyP50, g.LatencyP95, g.LatencyP99, g.TTFBP50, g.Cost
		if !w.Bucket.Equal(g.Bucket) {
			return fmt.Errorf("aggregate %d: bucket %v, want %v", i, g.Bucket, w.Bucket)
		}
		w.Bucket = g.Bucket
		if w != g {
			return fmt.Errorf("aggregate %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	return nil
}

// firstDifference describes where b first differs from a.
func firstDifference(a, b []routex.Aggregate) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("aggregate %d is\n%+v\nnot\n%+v", i, b[i], a[i])
		}
	}
	return fmt.Sprintf("%d aggregates, not %d", len(b), len(a))
}

// compareAggregates checks Aggregate on s for q against the records alone
// and against the minute rollups alone, which must give the same result,
// and against exact, which must agree within the documented precision.
func compareAggregates(t *testing.T, s *sqlite.Store, exact routex.Store, q routex.AggregateQuery) {
	t.Helper()
	ctx := t.Context()
	got, err := s.Aggregate(ctx, q)
	must(t, err)
	for _, levels := range [][]string{nil, {"minute"}} {
		other, err := sqlite.AggregateFrom(ctx, s, q, levels...)
		must(t, err)
		if !reflect.DeepEqual(got, other) {
			t.Fatalf("Aggregate(%+v): from %v rollups and records, %s", q, levels, firstDifference(got, other))
		}
	}
	if exact == nil {
		return
	}
	want, err := exact.Aggregate(ctx, q)
	must(t, err)
	if err := sameAsExact(want, got); err != nil {
		t.Fatalf("Aggregate(%+v): %v", q, err)
	}
}

// Aggregate gives the same result from the rollups as from the records, and
// the exact result within the documented precision, on random records and
// queries.
func TestAggregateRollupsMatchRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	t0 := time.Date(2025, 3, 1, 10, 17, 23, 456_000_000, time.UTC)
	s := memStore(t)
	exact := memory.New()
	recs := randomRecords(r, 1500, t0)
	// In batches of random sizes, so that rollups are added to.
	for len(recs) > 0 {
		n := min(len(recs), 1+r.IntN(300))
		must(t, s.AddRecords(t.Context(), recs[:n]))
		must(t, exact.AddRecords(t.Context(), recs[:n]))
		recs = recs[n:]
	}
	for i := range 150 {
		q := randomQuery(r, t0)
		t.Run(fmt.Sprint(i), func(t *testing.T) { compareAggregates(t, s, exact, q) })
	}
}

// checkRollups checks that the rollups of every level agree with the
// records.
func checkRollups(t *testing.T, s *sqlite.Store) {
	t.Helper()
	for _, q := range []routex.AggregateQuery{
		{},                    // the hourly rollups
		{Bucket: time.Minute}, // the minute rollups
		{GroupBy: routex.GroupKey, Bucket: time.Hour},
	} {
		compareAggregates(t, s, nil, q)
	}
}

// Pruning by age and by count, at times on no minute, leaves rollups that
// agree with the records left, whatever the rollups of the partial minute
// and hour held.
func TestPruneRollups(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 30, 500_000_000, time.UTC)
	r := rand.New(rand.NewPCG(13, 14))
	recs := randomRecords(r, 1000, now.Add(-6*time.Hour))
	for _, tt := range []struct {
		name    string
		maxAge  time.Duration
		maxRows int
	}{
		{"by age", 150 * time.Minute, 0},
		{"by count", 0, 456},
		{"both", 4 * time.Hour, 250},
		{"everything", time.Hour, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := memStore(t, sqlite.WithClock(func() time.Time { return now }), sqlite.WithRetention(tt.maxAge, tt.maxRows),
				sqlite.WithPruneChunk(100))
			must(t, s.AddRecords(t.Context(), recs))
			n, err := s.Prune(t.Context())
			must(t, err)
			if n == 0 {
				t.Fatal("Prune deleted nothing")
			}
			checkRollups(t, s)
		})
	}
}

// A Prune cut short after deleting records, before it brought the rollups
// in line, is completed by the next.
func TestPruneRepairsRollups(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 3, 1, 12, 0, 30, 500_000_000, time.UTC)
	path := filepath.Join(t.TempDir(), "routex.db")
	s := open(t, path, sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)),
		sqlite.WithClock(func() time.Time { return now }), sqlite.WithRetention(24*time.Hour, 0))
	defer s.Close()
	r := rand.New(rand.NewPCG(15, 16))
	must(t, s.AddRecords(ctx, randomRecords(r, 800, now.Add(-6*time.Hour))))

	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	cut := now.Add(-3*time.Hour - 17*time.Minute - 1234*time.Millisecond)
	_, err = db.ExecContext(ctx, "DELETE FROM records WHERE time < ?", cut.UnixMilli())
	must(t, err)

	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, s)
}

// A cost that is not a finite number counts as unknown, alike in the
// rollups and the records.
func TestAggregateNonFiniteCosts(t *testing.T) {
	s := memStore(t)
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	must(t, s.AddRecords(t.Context(), []analytics.Record{
		{Time: t0, RequestID: "nan", Cost: new(math.NaN())},
		{Time: t0.Add(time.Second), RequestID: "inf", Cost: new(math.Inf(-1))},
		{Time: t0.Add(2 * time.Second), RequestID: "some", Cost: new(0.5)},
	}))
	got, err := s.Aggregate(t.Context(), routex.AggregateQuery{})
	must(t, err)
	if len(got) != 1 || got[0].Unpriced != 2 || got[0].Cost != 0.5 {
		t.Errorf("Aggregate = %+v, want 2 unpriced and a cost of 0.5", got)
	}
	checkRollups(t, s)

	// A cost beyond what picodollars count saturates.
	must(t, s.AddRecords(t.Context(), []analytics.Record{{Time: t0.Add(3 * time.Second), RequestID: "huge", Cost: new(1e300)}}))
	got, err = s.Aggregate(t.Context(), routex.AggregateQuery{})
	must(t, err)
	if want := float64(math.MaxInt64) / 1e12; len(got) != 1 || got[0].Cost != want {
		t.Errorf("Aggregate = %+v, want a cost of %v", got, want)
	}
}
