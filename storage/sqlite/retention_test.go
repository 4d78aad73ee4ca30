package sqlite_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
)

func memStore(t *testing.T, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	opts = append([]sqlite.Option{sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	s := open(t, ":memory:", opts...)
	t.Cleanup(func() { s.Close() })
	return s
}

func ids(t *testing.T, s *sqlite.Store) string {
	t.Helper()
	recs, err := s.Records(t.Context(), routex.RecordQuery{Limit: 1000})
	must(t, err)
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RequestID
	}
	return strings.Join(out, " ")
}

func TestPrune(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := sqlite.WithClock(func() time.Time { return now })
	rec := func(id string, age time.Duration) analytics.Record {
		return analytics.Record{Time: now.Add(-age), RequestID: id, Status: 200}
	}
	recs := []analytics.Record{
		rec("3h", 3*time.Hour), rec("2h", 2*time.Hour), rec("61m", 61*time.Minute),
		rec("59m", 59*time.Minute), rec("1m", time.Minute), rec("now-a", 0), rec("now-b", 0),
	}

	for _, tt := range []struct {
		name    string
		maxAge  time.Duration
		maxRows int
		deleted int
		kept    string
	}{
		{"by age", time.Hour, 0, 3, "now-b now-a 1m 59m"},
		{"by count", 0, 3, 4, "now-b now-a 1m"},
		{"by count, ties broken by insertion", 0, 1, 6, "now-b"},
		{"both, age wins", time.Hour, 10, 3, "now-b now-a 1m 59m"},
		{"both, count wins", time.Hour, 2, 5, "now-b now-a"},
		{"no bounds", 0, 0, 0, "now-b now-a 1m 59m 61m 2h 3h"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := memStore(t, clock, sqlite.WithRetention(tt.maxAge, tt.maxRows))
			must(t, s.AddRecords(t.Context(), recs))
			n, err := s.Prune(t.Context())
			must(t, err)
			if n != tt.deleted {
				t.Errorf("Prune deleted %d, want %d", n, tt.deleted)
			}
			if got := ids(t, s); got != tt.kept {
				t.Errorf("kept %q, want %q", got, tt.kept)
			}
			checkRollups(t, s)
			// Pruning again finds nothing more.
			if n, err := s.Prune(t.Context()); err != nil || n != 0 {
				t.Errorf("second Prune = %d, %v; want 0", n, err)
			}
		})
	}
}

func TestPruneSessions(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := memStore(t, sqlite.WithClock(func() time.Time { return now }))
	ctx := t.Context()
	for i, exp := range []time.Duration{-time.Hour, 0, time.Millisecond, time.Hour} {
		must(t, s.PutSession(ctx, routex.Session{Key: fmt.Sprint("s", i), ChannelID: "a", ExpiresAt: now.Add(exp)}))
	}
	_, err := s.Prune(ctx)
	must(t, err)
	// Asking about a time long past shows what is still stored.
	ss, err := s.Sessions(ctx, time.Time{})
	must(t, err)
	var keys []string
	for _, se := range ss {
		keys = append(keys, se.Key)
	}
	if got := strings.Join(keys, " "); got != "s2 s3" {
		t.Errorf("sessions after Prune: %q, want \"s2 s3\"", got)
	}
}

// A backlog larger than one pruning transaction is deleted in full.
func TestPruneBacklog(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := memStore(t, sqlite.WithClock(func() time.Time { return now }), sqlite.WithRetention(time.Hour, 100), sqlite.WithPruneChunk(300))
	recs := make([]analytics.Record, 2500)
	for i := range recs {
		// Half too old, half recent.
		age := time.Duration(i%2)*2*time.Hour + time.Duration(i)*time.Millisecond
		recs[i] = analytics.Record{Time: now.Add(-age), RequestID: fmt.Sprint(i)}
	}
	must(t, s.AddRecords(t.Context(), recs))
	n, err := s.Prune(t.Context())
	must(t, err)
	if n != 2400 {
		t.Errorf("Prune deleted %d, want 2400", n)
	}
	got, err := s.Records(t.Context(), routex.RecordQuery{Limit: 2000})
	must(t, err)
	if len(got) != 100 || got[0].RequestID != "0" || got[99].RequestID != "198" {
		t.Errorf("kept %d records from %s to %s, want 100 from 0 to 198", len(got), got[0].RequestID, got[len(got)-1].RequestID)
	}
}

func TestPruneInBackground(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	results := make(chan int, 100)
	s := memStore(t,
		sqlite.WithClock(func() time.Time { return now }),
		sqlite.WithRetention(time.Hour, 0),
		sqlite.WithPruneInterval(time.Millisecond),
		sqlite.OnPrune(func(n int, err error) {
			if err != nil {
				t.Error(err)
			}
			select {
			case results <- n:
			default:
			}
		}),
	)
	must(t, s.AddRecords(t.Context(), []analytics.Record{
		{Time: now.Add(-2 * time.Hour), RequestID: "old"},
		{Time: now, RequestID: "new"},
	}))
	for n := range results {
		if n == 1 {
			break
		}
	}
	if got := ids(t, s); got != "new" {
		t.Errorf("kept %q, want \"new\"", got)
	}
	// Close waits for the goroutine; a prune after Close would report
	// an error to the test.
	must(t, s.Close())
}

func TestPruneResponses(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := memStore(t, sqlite.WithClock(func() time.Time { return now }))
	ctx := t.Context()
	resp := func(id string, created time.Time, expires time.Duration) routex.StoredResponse {
		return routex.StoredResponse{ID: id, Input: []byte(`[]`), Output: []byte(`[]`), CreatedAt: created, ExpiresAt: now.Add(expires)}
	}
	// Asking about a time long past shows what is still stored.
	stored := func(ids ...string) string {
		var out []string
		for _, id := range ids {
			if _, err := s.Response(ctx, id, time.Time{}); err == nil {
				out = append(out, id)
			}
		}
		return strings.Join(out, " ")
	}
	for i, exp := range []time.Duration{-time.Hour, 0, time.Millisecond, time.Hour} {
		must(t, s.PutResponse(ctx, resp(fmt.Sprint("r", i), time.Time{}, exp)))
	}
	_, err := s.Prune(ctx)
	must(t, err)
	if got := stored("r0", "r1", "r2", "r3"); got != "r2 r3" {
		t.Errorf("responses after Prune: %q, want \"r2 r3\"", got)
	}

	// Without WithRetention's pruning, writes clear the expired a few at a
	// time, and never what is live.
	var expired []string
	for i := range 10 {
		id := fmt.Sprint("x", i)
		expired = append(expired, id)
		must(t, s.PutResponse(ctx, resp(id, time.Time{}, -time.Minute)))
	}
	must(t, s.PutResponse(ctx, resp("fresh1", now, time.Hour)))
	if left := len(strings.Fields(stored(expired...))); left == 0 || left == 10 {
		t.Errorf("after one write %d of 10 expired responses are left; want some deleted, not all at once", left)
	}
	for i := 2; i <= 4; i++ {
		must(t, s.PutResponse(ctx, resp(fmt.Sprint("fresh", i), now, time.Hour)))
	}
	if got := stored(expired...); got != "" {
		t.Errorf("expired responses left after four writes: %s", got)
	}
	if got := stored("r2", "r3", "fresh1", "fresh4"); got != "r2 r3 fresh1 fresh4" {
		t.Errorf("live responses: %q", got)
	}
}
