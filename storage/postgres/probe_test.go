package postgres_test

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/routex/routex"
	"github.com/routex/routex/storage/postgres"
)

func TestProbe(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	url := newDatabase(t)
	s := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()
	load(t, s, 10_000_000)
	now := loadStart.Add(30*24*time.Hour - 17*time.Second - 250*time.Millisecond)
	day := routex.AggregateQuery{From: now.Add(-24 * time.Hour), To: now, GroupBy: routex.GroupChannel, Bucket: time.Hour}
	month := routex.AggregateQuery{From: now.Add(-30 * 24 * time.Hour), To: now, GroupBy: routex.GroupModel, Bucket: 24 * time.Hour}
	f, _ := os.Create("/tmp/agg.prof")
	pprof.StartCPUProfile(f)
	for _, q := range []routex.AggregateQuery{day, month} {
		st := time.Now()
		for range 20 {
			_, err := s.Aggregate(context.Background(), q)
			must(t, err)
		}
		t.Log("agg", time.Since(st)/20)
	}
	pprof.StopCPUProfile()
	f.Close()
	conn := connect(t, url)
	from, to := month.From.UnixMilli(), month.To.UnixMilli()
	d, h := int64(86400000), int64(3600000)
	df, dt := (from/d+1)*d, to/d*d
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"SELECT model, start, requests, latency, ttfb FROM rollups_day WHERE start >= $1 AND start < $2", []any{df, dt}},
		{"SELECT model, start, requests, length(latency), length(ttfb) FROM rollups_day WHERE start >= $1 AND start < $2", []any{df, dt}},
		{"SELECT model, start, requests, latency, ttfb FROM rollups_hour WHERE start >= $1 AND start < $2", []any{dt, to / h * h}},
		{"SELECT model, start, requests, latency, ttfb FROM rollups_hour WHERE start >= $1 AND start < $2", []any{from, df}},
	} {
		for range 3 {
			st := time.Now()
			rows, err := conn.Query(t.Context(), q.sql, q.args...)
			must(t, err)
			n, bytes := 0, 0
			for rows.Next() {
				n++
				for _, v := range rows.RawValues() {
					bytes += len(v)
				}
			}
			must(t, rows.Err())
			t.Log(q.sql[:60], n, bytes, time.Since(st))
		}
	}
	var st1, st2 string
	must(t, conn.QueryRow(t.Context(), "SELECT pg_size_pretty(pg_total_relation_size('rollups_day')), pg_size_pretty(pg_relation_size('rollups_day'))").Scan(&st1, &st2))
	t.Log("day sizes", st1, st2)
	_ = pgx.ErrNoRows
}
