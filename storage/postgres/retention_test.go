package postgres_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/postgres"
)

// Prune deletes the records past either bound, expired sessions and
// responses, and the rollups follow the records.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	const days = 3
	now := t0.Add(days * 24 * time.Hour)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	s := open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet),
		postgres.WithRetention(36*time.Hour+7*time.Minute+30*time.Second, 0),
		postgres.WithClock(func() time.Time { return *clock.Load() }),
		postgres.WithPruneChunk(500))
	defer s.Close()
	recs := randomRecords(3, 8_000, days)
	must(t, s.AddRecords(ctx, recs))
	cut := now.Add(-(36*time.Hour + 7*time.Minute + 30*time.Second))
	keep := 0
	for _, r := range recs {
		if !r.Time.Before(cut) {
			keep++
		}
	}
	must(t, s.PutSession(ctx, routex.Session{Key: "old", ChannelID: "c", ExpiresAt: now}))
	must(t, s.PutSession(ctx, routex.Session{Key: "new", ChannelID: "c", ExpiresAt: now.Add(time.Second)}))
	must(t, s.PutResponse(ctx, routex.StoredResponse{ID: "resp_old", Input: []byte("[]"), Output: []byte("[]"), ExpiresAt: now}))

	n, err := s.Prune(ctx)
	must(t, err)
	if n != len(recs)-keep {
		t.Errorf("Prune deleted %d records, want %d", n, len(recs)-keep)
	}
	all, err := s.Aggregate(ctx, routex.AggregateQuery{})
	must(t, err)
	if len(all) != 1 || all[0].Requests != int64(keep) {
		t.Fatalf("Aggregate after Prune = %+v, want %d requests", all, keep)
	}
	checkAggregates(t, s, aggregateQueries(days)[:48])
	ss, err := s.Sessions(ctx, t0)
	must(t, err)
	if len(ss) != 1 || ss[0].Key != "new" {
		t.Errorf("Sessions after Prune = %+v, want only the unexpired one", ss)
	}
	if _, err := s.Response(ctx, "resp_old", t0); err == nil {
		t.Error("expired response still there after Prune")
	}

	// Nothing more to do the second time.
	if n, err := s.Prune(ctx); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v", n, err)
	}
}

func TestPruneMaxRows(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet),
		postgres.WithRetention(0, 1_234), postgres.WithPruneChunk(100))
	defer s.Close()
	must(t, s.AddRecords(ctx, randomRecords(4, 5_000, 2)))
	n, err := s.Prune(ctx)
	must(t, err)
	if n != 5_000-1_234 {
		t.Errorf("Prune deleted %d, want %d", n, 5_000-1_234)
	}
	got, err := s.Records(ctx, routex.RecordQuery{Limit: 10_000})
	must(t, err)
	if len(got) != 1_234 {
		t.Errorf("%d records left, want 1234", len(got))
	}
	checkAggregates(t, s, aggregateQueries(2)[:48])
}

// The background pruner runs on its interval and stops with Close.
func TestPruneInBackground(t *testing.T) {
	ctx := t.Context()
	pruned := make(chan int, 16)
	s := open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet),
		postgres.WithRetention(time.Hour, 0), postgres.WithPruneInterval(10*time.Millisecond),
		postgres.OnPrune(func(n int, err error) {
			if err != nil {
				t.Error(err)
			}
			select {
			case pruned <- n:
			default:
			}
		}))
	must(t, s.AddRecords(ctx, []analytics.Record{
		{Time: time.Now().Add(-2 * time.Hour), RequestID: "old"},
		{Time: time.Now(), RequestID: "new"},
	}))
	deadline := time.After(10 * time.Second)
	for total := 0; total < 1; {
		select {
		case n := <-pruned:
			total += n
		case <-deadline:
			t.Fatal("the background pruner deleted nothing")
		}
	}
	must(t, s.Close())
	got, err := s.Records(ctx, routex.RecordQuery{})
	if err == nil {
		t.Errorf("Records after Close = %v, want an error", got)
	}
}
