package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/rollup/rolluptest"
	"github.com/routex/routex/storage/sqlite"
)

// BenchmarkAsyncInsert measures usage records per second through the batch
// writer routex uses (analytics.Async with Store.AddRecords as its Sink)
// into a database file, by batch size, and fails if any record was
// dropped. 512 is analytics.Async's default batch.
func BenchmarkAsyncInsert(b *testing.B) {
	for _, size := range []int{512, 4096} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) { benchAsync(b, size) })
	}
}

func benchAsync(b *testing.B, batch int) {
	s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
	defer s.Close()
	const queue = 1 << 16
	a := analytics.NewAsync(s.AddRecords, analytics.Settings{QueueSize: queue, BatchSize: batch})
	t0 := time.Now()
	recs := make([]analytics.Record, 4096)
	for i := range recs {
		recs[i] = rolluptest.Record(i, t0)
	}
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		r := &recs[n%len(recs)]
		// Time moves on, as it does in traffic: 10 000 requests a second.
		r.Time = t0.Add(time.Duration(n) * 100 * time.Microsecond)
		a.Record(*r)
		n++
		// The request path never waits, so a producer faster than the
		// disk would fill the queue and drop. This one waits for the
		// writer when half the queue is behind: the figure is then the
		// writer's own rate, which is what bounds sustained traffic.
		if n%4096 == 0 && uint64(n)-a.Written() > queue/2 {
			if err := a.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if d := a.Dropped(); d != 0 {
		b.Fatalf("%d records dropped", d)
	}
	if w := a.Written(); w != uint64(n) {
		b.Fatalf("%d records written, want %d", w, n)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
}

// BenchmarkAddRecords measures AddRecords by batch size: 512 is
// analytics.Async's default.
func BenchmarkAddRecords(b *testing.B) {
	for _, size := range []int{512, 4096} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
			defer s.Close()
			t0 := time.Now()
			batch := make([]analytics.Record, size)
			for i := range batch {
				batch[i] = rolluptest.Record(i, t0)
			}
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := range batch {
					batch[i].Time = t0.Add(time.Duration(n) * 100 * time.Microsecond)
					n++
				}
				if err := s.AddRecords(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// fill adds n records spread over a day to s, in batches.
func fill(b *testing.B, s *sqlite.Store, n int) time.Time {
	b.Helper()
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	step := 24 * time.Hour / time.Duration(n)
	batch := make([]analytics.Record, 0, 10_000)
	for i := range n {
		r := rolluptest.Record(i, t0)
		r.Time = t0.Add(time.Duration(i) * step)
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.AddRecords(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return t0
}

// BenchmarkAggregate runs dashboard queries over a million records spread
// over a day, and reports each in milliseconds. "now" is a little before
// the last record, and not on a minute.
func BenchmarkAggregate(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
	defer s.Close()
	t0 := fill(b, s, 1_000_000)
	now := t0.Add(24*time.Hour - 17*time.Second)
	for _, bq := range []struct {
		name string
		q    routex.AggregateQuery
	}{
		{"all", routex.AggregateQuery{}},
		{"channel-hourly", routex.AggregateQuery{GroupBy: routex.GroupChannel, Bucket: time.Hour}},
		{"model-minute-last-hour", routex.AggregateQuery{From: now.Add(-time.Hour), To: now, GroupBy: routex.GroupModel, Bucket: time.Minute}},
		{"one-key-daily", routex.AggregateQuery{KeyID: "key7", Bucket: 24 * time.Hour}},
		{"one-key-last-day", routex.AggregateQuery{From: now.Add(-24 * time.Hour), To: now, KeyID: "key7"}},
	} {
		// The rollups of both levels, as Aggregate reads them, then the
		// minute rollups alone, then the records alone.
		for _, path := range []struct {
			name      string
			aggregate func(context.Context, routex.AggregateQuery) ([]routex.Aggregate, error)
		}{
			{"", s.Aggregate},
			{"/minutes", func(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
				return sqlite.AggregateFrom(ctx, s, q, "minute")
			}},
			{"/records", func(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
				return sqlite.AggregateFrom(ctx, s, q)
			}},
		} {
			b.Run(bq.name+path.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := path.aggregate(context.Background(), bq.q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
			})
		}
	}
}

// BenchmarkRecords reads pages of the request log over a million records.
func BenchmarkRecords(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
	defer s.Close()
	fill(b, s, 1_000_000)
	for _, bq := range []struct {
		name string
		q    routex.RecordQuery
	}{
		{"newest", routex.RecordQuery{}},
		{"channel-page-100", routex.RecordQuery{ChannelID: "ch3", Offset: 100 * 100}},
		{"failed", routex.RecordQuery{Failed: true}},
	} {
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Records(context.Background(), bq.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
