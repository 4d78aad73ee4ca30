package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
)

// TestDiskFull fills the database to its size limit, as a full disk would:
// the batch writer counts and reports the lost records, nothing blocks, and
// the store works again once there is room.
func TestDiskFull(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(t)))
	defer s.Close()
	must(t, s.PutChannel(ctx, fullChannel()))
	pages, err := sqlite.PageCount(ctx, s)
	must(t, err)
	must(t, sqlite.SetMaxPages(ctx, s, pages+4))

	var mu sync.Mutex
	var reported []error
	lost := 0
	rec := analytics.NewAsync(s.AddRecords, analytics.Settings{BatchSize: 100, OnError: func(err error, n int) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
		lost += n
	}})
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 2000 {
		rec.Record(analytics.Record{Time: t0.Add(time.Duration(i) * time.Millisecond), RequestID: fmt.Sprintf("req-%06d", i),
			ChannelID: "c", Model: "claude-sonnet-4-5", Error: strings.Repeat("x", 200)})
	}
	must(t, rec.Flush(ctx))

	mu.Lock()
	if len(reported) == 0 || !strings.Contains(reported[0].Error(), "full") {
		t.Errorf("reported errors: %v; want one saying the database is full", reported)
	}
	if uint64(lost) != rec.Failed() || rec.Failed() == 0 || rec.Dropped() != 0 {
		t.Errorf("lost %d, Failed %d, Dropped %d; want Failed = lost > 0 and nothing dropped", lost, rec.Failed(), rec.Dropped())
	}
	mu.Unlock()
	kept, err := s.Records(ctx, routex.RecordQuery{Limit: 5000})
	must(t, err)
	if uint64(len(kept)) != rec.Written() {
		t.Errorf("%d records stored, the writer says %d were written", len(kept), rec.Written())
	}
	// Reads go on.
	if cs, err := s.Channels(ctx); err != nil || len(cs) != 1 {
		t.Errorf("Channels on a full disk = %d, %v", len(cs), err)
	}

	must(t, sqlite.SetMaxPages(ctx, s, 1<<30))
	rec.Record(analytics.Record{Time: t0, RequestID: "after"})
	must(t, rec.Close())
	got, err := s.Records(ctx, routex.RecordQuery{Limit: 1, From: t0, To: t0.Add(time.Millisecond)})
	must(t, err)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.RequestID)
	}
	if len(got) == 0 || got[0].RequestID != "after" {
		t.Errorf("after making room, records at t0 are %v; want the new one first", ids)
	}
}
