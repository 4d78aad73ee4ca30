package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/rollup/rolluptest"
	"github.com/routex/routex/storage/postgres"
)

// BenchmarkAddRecords measures AddRecords, one COPY and the rollup
// merges per call, by batch size: 512 is analytics.Async's default.
func BenchmarkAddRecords(b *testing.B) {
	for _, size := range []int{512, 4096} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) {
			s := open(b, newDatabase(b), postgres.WithEncryptionKey(testKey(b)))
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
					// 10 000 requests a second, as traffic would add them.
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

// The 10-million-record load: records are generated in the server, the
// rollups in Go from the same formula, so that the two agree exactly; the
// benchmark checks that they do before it measures.
const (
	loadRecords = 10_000_000
	loadSpan    = int64(30 * 24 * time.Hour / time.Millisecond)
)

var loadStart = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

var (
	channelNames = names("ch", 8)
	keyNames     = names("key", 32)
	modelNames   = names("claude-sonnet-4-", 3)
)

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// loadRecord sets r to the i-th of n records of the load, as insertLoad's
// SQL writes it. One in fifty fails.
func loadRecord(n, i int, r *analytics.Record) {
	cost := float64(i%100) * 0.00001
	status := 200
	if i%50 == 0 {
		status = 500
	}
	*r = analytics.Record{
		Time:      time.UnixMilli(loadStart.UnixMilli() + int64(i)*loadSpan/int64(n)).UTC(),
		ChannelID: channelNames[i%8], KeyID: keyNames[i%32], Model: modelNames[i%3],
		Status: status, Latency: time.Duration(i%5000) * time.Millisecond, TTFB: time.Duration(i%700) * time.Millisecond,
		InputTokens: 1200, OutputTokens: 300, CacheReadTokens: 800, Cost: &cost,
	}
}

// insertLoad writes records [from, to) of the load.
const insertLoad = `INSERT INTO records (time, request_id, channel_id, channel_name, key_id, model, upstream_model,
	inbound_format, upstream_format, stream, status, failed, latency, ttfb, attempts,
	input_tokens, output_tokens, cache_read_tokens, rule, session, cost)
SELECT $1 + i * $2 / $3, 'req_' || lpad(i::text, 12, '0'), 'ch' || (i % 8), 'Channel', 'key' || (i % 32),
	'claude-sonnet-4-' || (i % 3), 'claude-sonnet-4-5-20250929', 'openai', 'anthropic', i % 2 = 0,
	CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, i % 50 = 0, (i % 5000) * 1000000, (i % 700) * 1000000, 1,
	1200, 300, 800, 'default', 'sess', (i % 100)::float8 * '0.00001'::float8
FROM generate_series($4::bigint, $5::bigint - 1) AS i`

// load writes n records of the load and their rollups to s.
func load(b testing.TB, s *postgres.Store, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	const parts = 2
	for p := range parts {
		wg.Go(func() {
			from, to := p*n/parts, (p+1)*n/parts
			errs <- postgres.Exec(ctx, s, insertLoad, loadStart.UnixMilli(), loadSpan, n, from, to)
		})
	}
	wg.Go(func() {
		errs <- postgres.LoadRollups(ctx, s, n, func(i int, r *analytics.Record) { loadRecord(n, i, r) })
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	// As autovacuum would soon after: the queries then run on a settled table.
	if err := postgres.Exec(ctx, s, "VACUUM (ANALYZE)"); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d records and their rollups in %v", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkAggregate10M runs dashboard queries over ten million records
// spread over 30 days: the last 24 hours by channel in hours, and the last
// 30 days by model in days, "now" a little before the last record and not
// on a minute. Each reports milliseconds per query; /records reads the
// records alone, as a Store without rollups would.
func BenchmarkAggregate10M(b *testing.B) {
	if testing.Short() {
		b.Skip("loads ten million records")
	}
	ctx := context.Background()
	s := open(b, newDatabase(b), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()
	load(b, s, loadRecords)
	now := loadStart.Add(30*24*time.Hour - 17*time.Second - 250*time.Millisecond)
	day := routex.AggregateQuery{From: now.Add(-24 * time.Hour), To: now, GroupBy: routex.GroupChannel, Bucket: time.Hour}
	month := routex.AggregateQuery{From: now.Add(-30 * 24 * time.Hour), To: now, GroupBy: routex.GroupModel, Bucket: 24 * time.Hour}

	// The rollups answer as the records do.
	got, err := s.Aggregate(ctx, day)
	if err != nil {
		b.Fatal(err)
	}
	want, err := postgres.AggregateFrom(ctx, s, day)
	if err != nil {
		b.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		b.Fatalf("the rollups and the records differ for the last day:\n got %+v\nwant %+v", got, want)
	}
	total := int64(0)
	all, err := s.Aggregate(ctx, routex.AggregateQuery{})
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range all {
		total += a.Requests
	}
	if total != loadRecords {
		b.Fatalf("Aggregate counts %d records, want %d", total, loadRecords)
	}

	for _, bq := range []struct {
		name   string
		q      routex.AggregateQuery
		levels []string // nil: every level, as Aggregate reads them
	}{
		{"last-24h-by-channel-hourly", day, nil},
		{"last-24h-by-channel-hourly/minutes", day, []string{"minute"}},
		{"last-24h-by-channel-hourly/records", day, []string{}},
		{"last-30d-by-model-daily", month, nil},
		{"last-30d-by-model-daily/hours", month, []string{"minute", "hour"}},
		{"all-by-key", routex.AggregateQuery{GroupBy: routex.GroupKey}, nil},
	} {
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if bq.levels == nil {
					_, err = s.Aggregate(ctx, bq.q)
				} else {
					_, err = postgres.AggregateFrom(ctx, s, bq.q, bq.levels...)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
		})
	}
}
