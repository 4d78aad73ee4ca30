package sqlite_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/storage/memory"
	"github.com/routex/routex/storage/sqlite"
)

// Open migrates a database from before the rollups to one whose rollups
// hold the records already there: Aggregate agrees with the records, and
// with the exact result within the documented precision, before and after
// more records are added.
func TestMigrateBuildsRollups(t *testing.T) {
	if sqlite.RollupsVersion < 2 {
		t.Fatal("no migration adds the rollups")
	}
	t0 := time.Date(2025, 3, 1, 10, 17, 23, 456_000_000, time.UTC)
	for version := 1; version < sqlite.RollupsVersion; version++ {
		t.Run(fmt.Sprint("from ", version), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "routex.db")
			must(t, sqlite.CreateAtVersion(ctx, path, version))
			r := rand.New(rand.NewPCG(17, uint64(version)))
			recs := randomRecords(r, 600, t0)

			// Written as that version would have: version 1 has no cost.
			db, err := sql.Open("sqlite", path)
			must(t, err)
			tx, err := db.BeginTx(ctx, nil)
			must(t, err)
			columns, params := "time, request_id, channel_id, model, key_id, status, failed, error, latency, ttfb, "+
				"input_tokens, output_tokens, cache_read_tokens, cache_write_tokens", "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
			if version >= 2 {
				columns, params = columns+", cost", params+", ?"
			}
			insert, err := tx.PrepareContext(ctx, "INSERT INTO records ("+columns+") VALUES ("+params+")")
			must(t, err)
			for i := range recs {
				rec := &recs[i]
				args := []any{rec.Time.UnixMilli(), rec.RequestID, rec.ChannelID, rec.Model, rec.KeyID, rec.Status, rec.Failed(), rec.Error,
					int64(rec.Latency), int64(rec.TTFB), rec.InputTokens, rec.OutputTokens, rec.CacheReadTokens, rec.CacheWriteTokens}
				if version >= 2 {
					var cost any
					if rec.Cost != nil {
						cost = *rec.Cost
					}
					args = append(args, cost)
				} else {
					rec.Cost = nil
				}
				_, err := insert.ExecContext(ctx, args...)
				must(t, err)
			}
			must(t, tx.Commit())
			must(t, db.Close())

			s := open(t, path, sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
			defer s.Close()
			exact := memory.New()
			must(t, exact.AddRecords(ctx, recs))
			check := func(t *testing.T) {
				for _, q := range []routex.AggregateQuery{
					{},
					{Bucket: time.Minute, GroupBy: routex.GroupChannel},
					{Bucket: time.Hour, GroupBy: routex.GroupKey},
				} {
					compareAggregates(t, s, exact, q)
				}
				for range 15 {
					compareAggregates(t, s, exact, randomQuery(r, t0))
				}
			}
			t.Run("migrated", check)

			more := randomRecords(r, 200, t0)
			must(t, s.AddRecords(ctx, more))
			must(t, exact.AddRecords(ctx, more))
			t.Run("added to", check)
		})
	}
}
