package memory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/memory"
	"github.com/routex/routex/storage/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) routex.Store { return memory.New() })
}

func TestMaxRecords(t *testing.T) {
	ctx := t.Context()
	s := memory.New(memory.WithMaxRecords(3))
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := func(id string, sec int) analytics.Record {
		return analytics.Record{Time: t0.Add(time.Duration(sec) * time.Second), RequestID: id}
	}
	// r0 arrives last but is the oldest, so it is the one dropped.
	if err := s.AddRecords(ctx, []analytics.Record{rec("r1", 1), rec("r2", 2), rec("r3", 3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRecords(ctx, []analytics.Record{rec("r4", 4), rec("r0", 0)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Records(ctx, routex.RecordQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := fmt.Sprint(requestIDs(got)); ids != "[r4 r3 r2]" {
		t.Errorf("kept %s, want [r4 r3 r2]", ids)
	}
	for i := 5; i < 100; i++ {
		if err := s.AddRecords(ctx, []analytics.Record{rec(fmt.Sprint("r", i), i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = s.Records(ctx, routex.RecordQuery{})
	if ids := fmt.Sprint(requestIDs(got)); ids != "[r99 r98 r97]" {
		t.Errorf("kept %s, want [r99 r98 r97]", ids)
	}
}

func requestIDs(recs []analytics.Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.RequestID
	}
	return ids
}

func TestEqualTimesNewestAddedFirst(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, batch := range [][]string{{"a", "b"}, {"c"}} {
		var recs []analytics.Record
		for _, id := range batch {
			recs = append(recs, analytics.Record{Time: t0, RequestID: id})
		}
		if err := s.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Records(ctx, routex.RecordQuery{})
	if ids := fmt.Sprint(requestIDs(got)); ids != "[c b a]" {
		t.Errorf("order %s, want [c b a]", ids)
	}
}

func TestClosedAndCanceled(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Channels(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Channels with a canceled context = %v, want context.Canceled", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Rules(t.Context()); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("Rules after Close = %v, want ErrClosed", err)
	}
	if err := s.DeleteSession(t.Context(), "x"); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("DeleteSession after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkAddRecords(b *testing.B) {
	s := memory.New(memory.WithMaxRecords(100_000))
	ctx := context.Background()
	t0 := time.Now()
	batch := make([]analytics.Record, 512)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range batch {
			// Slightly out of order, as concurrent requests finish.
			batch[i] = analytics.Record{Time: t0.Add(time.Duration(n+i^1) * time.Millisecond), ChannelID: "a", Model: "m", Status: 200}
		}
		n += len(batch)
		if err := s.AddRecords(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

func BenchmarkAggregate(b *testing.B) {
	s := memory.New()
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]analytics.Record, 100_000)
	for i := range recs {
		recs[i] = analytics.Record{
			Time: t0.Add(time.Duration(i) * time.Second), ChannelID: fmt.Sprint("c", i%8), Model: "m",
			Status: 200, InputTokens: 100, Latency: time.Duration(i%1000) * time.Millisecond,
		}
	}
	if err := s.AddRecords(ctx, recs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Aggregate(ctx, routex.AggregateQuery{GroupBy: routex.GroupChannel, Bucket: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResponseBounds drops the oldest responses past WithMaxResponses, and
// those expired when a newer one is written.
func TestResponseBounds(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	resp := func(id string, created time.Time) routex.StoredResponse {
		return routex.StoredResponse{ID: id, Input: []byte(`[]`), Output: []byte(`[]`), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	}
	kept := func(s *memory.Store, ids ...string) string {
		var out []string
		for _, id := range ids {
			// Asked at t0: expiry is not what hides them.
			if _, err := s.Response(ctx, id, t0); err == nil {
				out = append(out, id)
			} else if !errors.Is(err, routex.ErrNotFound) {
				t.Fatal(err)
			}
		}
		return fmt.Sprint(out)
	}

	s := memory.New(memory.WithMaxResponses(2))
	for _, id := range []string{"r1", "r2", "r3"} {
		if err := s.PutResponse(ctx, resp(id, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if got := kept(s, "r1", "r2", "r3"); got != "[r2 r3]" {
		t.Errorf("kept %s, want [r2 r3]", got)
	}
	// Rewriting r2 makes r3 the oldest written.
	if err := s.PutResponse(ctx, resp("r2", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutResponse(ctx, resp("r4", t0)); err != nil {
		t.Fatal(err)
	}
	if got := kept(s, "r2", "r3", "r4"); got != "[r2 r4]" {
		t.Errorf("kept %s, want [r2 r4]", got)
	}

	s = memory.New()
	for _, r := range []routex.StoredResponse{resp("old", t0), resp("new", t0.Add(30*time.Minute)), resp("later", t0.Add(time.Hour))} {
		if err := s.PutResponse(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got := kept(s, "old", "new", "later"); got != "[new later]" {
		t.Errorf("kept %s, want [new later]: old had expired when later was written", got)
	}
}
