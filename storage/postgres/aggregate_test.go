package postgres_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/postgres"
)

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// randomRecords returns n records over days days from t0, with latencies
// across every histogram range and costs known, unknown and not finite.
func randomRecords(seed uint64, n, days int) []analytics.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	recs := make([]analytics.Record, n)
	span := int64(days) * int64(24*time.Hour/time.Millisecond)
	for i := range recs {
		r := analytics.Record{
			Time:      t0.Add(time.Duration(rng.Int64N(span)) * time.Millisecond),
			RequestID: fmt.Sprint("req", i),
			ChannelID: fmt.Sprint("ch", rng.IntN(3)), Model: fmt.Sprint("m", rng.IntN(2)), KeyID: fmt.Sprint("k", rng.IntN(4)),
			Status:      200,
			InputTokens: rng.Int64N(5000), OutputTokens: rng.Int64N(500),
			CacheReadTokens: rng.Int64N(100), CacheWriteTokens: rng.Int64N(10),
		}
		switch rng.IntN(3) {
		case 0:
			r.Latency = time.Duration(rng.Int64N(int64(time.Millisecond)))
		case 1:
			r.Latency = time.Duration(rng.Int64N(int64(1024 * time.Millisecond)))
		default:
			r.Latency = time.Duration(rng.Int64N(int64(120 * time.Second)))
		}
		r.TTFB = r.Latency / time.Duration(1+rng.IntN(10))
		switch rng.IntN(20) {
		case 0:
			r.Status = 500
		case 1:
			r.Error = "stream cut"
		}
		switch rng.IntN(10) {
		case 0: // unknown
		case 1:
			c := math.Inf(1)
			r.Cost = &c
		default:
			c := float64(rng.IntN(100000)) * 1e-7
			r.Cost = &c
		}
		recs[i] = r
	}
	return recs
}

// aggregateQueries are queries over records from t0 to t0+days, with
// bounds on and off every period.
func aggregateQueries(days int) []routex.AggregateQuery {
	end := t0.Add(time.Duration(days) * 24 * time.Hour)
	odd := t0.Add(26*time.Hour + 17*time.Minute + 3*time.Second + 250*time.Millisecond)
	var qs []routex.AggregateQuery
	for _, w := range []struct{ from, to time.Time }{
		{}, {t0, end}, {odd, end.Add(-90 * time.Minute)}, {odd, odd.Add(3 * time.Hour)},
		{t0.Add(-time.Hour), odd}, {odd, time.Time{}}, {time.Time{}, odd},
	} {
		for _, g := range []routex.GroupBy{routex.GroupNone, routex.GroupChannel, routex.GroupModel, routex.GroupKey} {
			for _, b := range []time.Duration{0, time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 90 * time.Second} {
				qs = append(qs, routex.AggregateQuery{From: w.from, To: w.to, GroupBy: g, Bucket: b})
			}
		}
		qs = append(qs, routex.AggregateQuery{From: w.from, To: w.to, ChannelID: "ch1", Model: "m0", Bucket: time.Hour},
			routex.AggregateQuery{From: w.from, To: w.to, KeyID: "k2", GroupBy: routex.GroupChannel, Bucket: 24 * time.Hour})
	}
	return qs
}

// checkAggregates compares Aggregate, which reads the rollups, with the
// same query over the records alone.
func checkAggregates(t *testing.T, s *postgres.Store, qs []routex.AggregateQuery) {
	t.Helper()
	for _, q := range qs {
		got, err := s.Aggregate(t.Context(), q)
		must(t, err)
		want, err := postgres.AggregateFrom(t.Context(), s, q)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Aggregate(%+v) from the rollups differs from the records:\n got %+v\nwant %+v", q, got, want)
		}
	}
}

// One large COPY, then smaller batches out of time order over the same
// periods: the rollups answer as the records do.
func TestAggregateRollups(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()
	const days = 3
	first := randomRecords(1, 6_000, days)
	must(t, s.AddRecords(ctx, first))
	more := randomRecords(2, 2_000, days)
	for len(more) > 0 {
		n := min(len(more), 700)
		must(t, s.AddRecords(ctx, more[:n]))
		more = more[n:]
	}
	all, err := s.Aggregate(ctx, routex.AggregateQuery{})
	must(t, err)
	if len(all) != 1 || all[0].Requests != 8_000 {
		t.Fatalf("Aggregate of everything = %+v, want 8000 requests", all)
	}
	checkAggregates(t, s, aggregateQueries(days))

	// Each level alone agrees too.
	for _, levels := range [][]string{{"minute"}, {"hour"}, {"day"}, {"minute", "hour"}} {
		for _, q := range aggregateQueries(days)[24:36] {
			got, err := postgres.AggregateFrom(ctx, s, q, levels...)
			must(t, err)
			want, err := postgres.AggregateFrom(ctx, s, q)
			must(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("levels %v, %+v:\n got %+v\nwant %+v", levels, q, got, want)
			}
		}
	}
}

// Several instances adding records for the same periods at once keep the
// rollups whole.
func TestAggregateConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	const writers = 4
	stores := make([]*postgres.Store, writers)
	for i := range stores {
		stores[i] = open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
		defer stores[i].Close()
	}
	errs := make(chan error, writers)
	for i, s := range stores {
		go func() {
			recs := randomRecords(uint64(10+i), 2_000, 1)
			for len(recs) > 0 {
				n := min(len(recs), 250)
				if err := s.AddRecords(ctx, recs[:n]); err != nil {
					errs <- err
					return
				}
				recs = recs[n:]
			}
			errs <- nil
		}()
	}
	for range writers {
		must(t, <-errs)
	}
	all, err := stores[0].Aggregate(ctx, routex.AggregateQuery{})
	must(t, err)
	if len(all) != 1 || all[0].Requests != writers*2_000 {
		t.Fatalf("Aggregate of everything = %+v", all)
	}
	checkAggregates(t, stores[0], aggregateQueries(1))
}
