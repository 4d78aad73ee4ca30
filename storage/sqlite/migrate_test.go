package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
)

// TestMigrateFromEveryVersion builds a database at each older schema
// version, as that version of routex would have left it, fills it through
// SQL that version understood, and checks that Open migrates it to the
// current version without losing anything.
func TestMigrateFromEveryVersion(t *testing.T) {
	if sqlite.SchemaVersion < 2 {
		t.Skip("only one schema version")
	}
	for version := 1; version < sqlite.SchemaVersion; version++ {
		t.Run(fmt.Sprint("from ", version), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "routex.db")
			must(t, sqlite.CreateAtVersion(ctx, path, version))

			// Channels and rules are JSON documents in every version so
			// far, so the current code can write them; records are written
			// with version 1's columns only.
			key := testKey(t)
			db, err := sql.Open("sqlite", path)
			must(t, err)
			t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			_, err = db.ExecContext(ctx, `
				INSERT INTO channels (id, data) VALUES ('c', '{"id":"c","type":"openai","baseUrl":"https://example.com","apiKey":"sk-plain-old","models":["gpt-*"]}');
				INSERT INTO rules (id, data) VALUES ('r', '{"id":"r","priority":2,"condition":{"hasTools":false},"target":{"channel":"c"}}');
				INSERT INTO settings (name, value) VALUES ('strategy', 'latency');
				INSERT INTO sessions (key, channel_id, expires_at) VALUES ('s', 'c', ?1);
				INSERT INTO records (time, request_id, channel_id, model, status, failed, latency, input_tokens)
					VALUES (?2, 'old', 'c', 'gpt-4o', 500, 1, 2000000, 42);`,
				t0.Add(time.Hour).UnixMilli(), t0.UnixMilli())
			must(t, err)
			must(t, db.Close())

			s := open(t, path, sqlite.WithEncryptionKey(key))
			defer s.Close()
			cs, err := s.RevealChannels(ctx)
			must(t, err)
			wantC := routex.Channel{ID: "c", Type: routex.FormatOpenAI, BaseURL: "https://example.com", APIKey: "sk-plain-old", Models: []string{"gpt-*"}}
			if len(cs) != 1 || !reflect.DeepEqual(cs[0], wantC) {
				t.Errorf("Channels = %+v, want %+v", cs, wantC)
			}
			rs, err := s.Rules(ctx)
			must(t, err)
			wantR := routex.Rule{ID: "r", Priority: 2, Condition: routex.Condition{HasTools: routex.Bool(false)}, Target: routex.Target{Channel: "c"}}
			if len(rs) != 1 || !reflect.DeepEqual(rs[0], wantR) {
				t.Errorf("Rules = %+v, want %+v", rs, wantR)
			}
			if st, err := s.Strategy(ctx); err != nil || st != "latency" {
				t.Errorf("Strategy = %q, %v", st, err)
			}
			if ss, err := s.Sessions(ctx, t0); err != nil || len(ss) != 1 || !ss[0].ExpiresAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("Sessions = %+v, %v", ss, err)
			}
			recs, err := s.Records(ctx, routex.RecordQuery{})
			must(t, err)
			wantRec := analytics.Record{Time: t0, RequestID: "old", ChannelID: "c", Model: "gpt-4o", Status: 500, Latency: 2 * time.Millisecond, InputTokens: 42}
			if len(recs) != 1 || !reflect.DeepEqual(recs[0], wantRec) {
				t.Errorf("Records = %+v, want %+v (Cost unknown)", recs, wantRec)
			}
			// The migrated database takes new records with every field.
			cost := 0.5
			must(t, s.AddRecords(ctx, []analytics.Record{{Time: t0.Add(time.Second), RequestID: "new", Cost: &cost}}))
			recs, err = s.Records(ctx, routex.RecordQuery{})
			must(t, err)
			if len(recs) != 2 || recs[0].Cost == nil || *recs[0].Cost != 0.5 {
				t.Errorf("after migration, Records = %+v", recs)
			}
		})
	}
}

// TestNewerSchema opens a database that a newer routex has written: Open
// refuses it and leaves the file as it was.
func TestNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	s := open(t, path, sqlite.WithEncryptionKey(testKey(t)))
	must(t, s.PutChannel(ctx, fullChannel()))
	must(t, s.Close())

	db, err := sql.Open("sqlite", path)
	must(t, err)
	_, err = db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d; PRAGMA journal_mode = DELETE", sqlite.SchemaVersion+1))
	must(t, err)
	must(t, db.Close())
	before, err := os.ReadFile(path)
	must(t, err)

	_, err = sqlite.Open(ctx, path, sqlite.WithEncryptionKey(testKey(t)))
	if !errors.Is(err, sqlite.ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	t.Log(err)
	after, err := os.ReadFile(path)
	must(t, err)
	if !reflect.DeepEqual(before, after) {
		t.Error("Open changed a database it refused")
	}
}

// An interrupted Open of an older database leaves it at its old version:
// migrations run in one transaction.
func TestMigrationIsAtomic(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	must(t, sqlite.CreateAtVersion(ctx, path, 1))
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	// Version 2 adds records.cost; a column already there makes it fail
	// part-way.
	_, err = db.ExecContext(ctx, "ALTER TABLE records ADD COLUMN cost REAL")
	must(t, err)

	if _, err := sqlite.Open(ctx, path, sqlite.WithEncryptionKey(testKey(t))); err == nil {
		t.Fatal("Open succeeded")
	} else {
		t.Log(err)
	}
	var v int
	must(t, db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v))
	if v != 1 {
		t.Errorf("after a failed migration the schema version is %d, want 1", v)
	}
}
