package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
	"github.com/routex/routex/storage/storetest"
	"github.com/routex/routex/transformer"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

func open(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceFile(t *testing.T) {
	key := testKey(t)
	storetest.Run(t, func(t *testing.T) routex.Store {
		return open(t, filepath.Join(t.TempDir(), "routex.db"), sqlite.WithEncryptionKey(key))
	})
}

func TestConformanceMemory(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	storetest.Run(t, func(t *testing.T) routex.Store {
		return open(t, ":memory:", sqlite.WithPlaintextSecrets(), sqlite.WithLogger(quiet))
	})
}

// Reopening a file finds everything written before.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	key := testKey(t)
	s := open(t, path, sqlite.WithEncryptionKey(key))
	c := fullChannel()
	r := routex.Rule{ID: "r", Priority: 3, Condition: routex.Condition{HasTools: routex.Bool(false)}, Target: routex.Target{Channel: "c"}}
	cost := 0.0125
	rec := analytics.Record{Time: time.UnixMilli(1_740_000_000_123).UTC(), RequestID: "x", ChannelID: "c", Status: 200, Latency: 1234567, Cost: &cost}
	must(t, s.PutChannel(ctx, c))
	must(t, s.PutRule(ctx, r))
	must(t, s.SetStrategy(ctx, "weighted"))
	must(t, s.PutSession(ctx, routex.Session{Key: "k", ChannelID: "c", ExpiresAt: rec.Time.Add(time.Hour)}))
	must(t, s.AddRecords(ctx, []analytics.Record{rec}))
	must(t, s.Close())

	s = open(t, path, sqlite.WithEncryptionKey(key))
	defer s.Close()
	cs, err := s.RevealChannels(ctx)
	must(t, err)
	if len(cs) != 1 || !reflect.DeepEqual(cs[0], c) {
		t.Errorf("channel after reopen:\n got %+v\nwant %+v", cs, c)
	}
	rs, err := s.Rules(ctx)
	must(t, err)
	if len(rs) != 1 || !reflect.DeepEqual(rs[0], r) {
		t.Errorf("rule after reopen:\n got %+v\nwant %+v", rs, r)
	}
	if st, err := s.Strategy(ctx); err != nil || st != "weighted" {
		t.Errorf("Strategy after reopen = %q, %v", st, err)
	}
	if ss, err := s.Sessions(ctx, rec.Time); err != nil || len(ss) != 1 || ss[0].Key != "k" {
		t.Errorf("Sessions after reopen = %+v, %v", ss, err)
	}
	got, err := s.Records(ctx, routex.RecordQuery{})
	must(t, err)
	if len(got) != 1 || !reflect.DeepEqual(got[0], rec) {
		t.Errorf("record after reopen:\n got %+v\nwant %+v", got, rec)
	}
}

// fullChannel sets every field, including transformer options whose
// spacing must survive as given.
func fullChannel() routex.Channel {
	return routex.Channel{
		ID: "c", Name: "Channel C", Type: routex.FormatOpenAI, BaseURL: "https://example.com/v1",
		APIKey:   "sk-test-c-0123456789",
		Models:   []string{"gpt-*"},
		ModelMap: map[string]string{"gpt": "gpt-5"},
		Priority: -2, Weight: 7, Disabled: true,
		Headers: map[string]string{"X-Goog-Api-Key": "AIza-header-secret", "X-Team": "core"},
		Timeout: 1500 * time.Millisecond,
		Transformers: []transformer.Spec{
			{Name: "cleancache"},
			{Name: "maxtoken", Options: json.RawMessage(`{ "max": 8192 }`)},
		},
	}
}

func TestCostRoundTrip(t *testing.T) {
	ctx := t.Context()
	s := open(t, ":memory:", sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
	defer s.Close()
	zero, some := 0.0, 1.5e-6
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	must(t, s.AddRecords(ctx, []analytics.Record{
		{Time: t0, RequestID: "unknown"},
		{Time: t0.Add(time.Second), RequestID: "free", Cost: &zero},
		{Time: t0.Add(2 * time.Second), RequestID: "some", Cost: &some},
	}))
	got, err := s.Records(ctx, routex.RecordQuery{})
	must(t, err)
	want := map[string]*float64{"unknown": nil, "free": &zero, "some": &some}
	for _, r := range got {
		if !reflect.DeepEqual(r.Cost, want[r.RequestID]) {
			t.Errorf("%s: Cost = %v, want %v", r.RequestID, fmtCost(r.Cost), fmtCost(want[r.RequestID]))
		}
	}
}

func fmtCost(c *float64) any {
	if c == nil {
		return "nil"
	}
	return *c
}

func TestAggregateBucketMustBeMilliseconds(t *testing.T) {
	s := open(t, ":memory:", sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
	defer s.Close()
	for _, b := range []time.Duration{-time.Minute, 1500 * time.Microsecond} {
		if _, err := s.Aggregate(t.Context(), routex.AggregateQuery{Bucket: b}); err == nil {
			t.Errorf("Aggregate with Bucket %v returned no error", b)
		}
	}
}

// A bucket that does not divide a day is counted from the zero time, as
// time.Time.Truncate counts it, not from the unix epoch.
func TestAggregateWeekBuckets(t *testing.T) {
	ctx := t.Context()
	s := open(t, ":memory:", sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
	defer s.Close()
	week := 7 * 24 * time.Hour
	var recs []analytics.Record
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for d := range 20 {
		recs = append(recs, analytics.Record{Time: t0.Add(time.Duration(d) * 24 * time.Hour), Status: 200})
	}
	must(t, s.AddRecords(ctx, recs))
	got, err := s.Aggregate(ctx, routex.AggregateQuery{Bucket: week})
	must(t, err)
	want := map[time.Time]int64{}
	for _, r := range recs {
		want[r.Time.Truncate(week)]++
	}
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	for _, a := range got {
		if want[a.Bucket] != a.Requests {
			t.Errorf("bucket %v: %d requests, want %d", a.Bucket, a.Requests, want[a.Bucket])
		}
	}
}

func TestClosedAndCanceled(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(t)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Channels(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Channels with a canceled context = %v, want context.Canceled", err)
	}
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Rules(t.Context()); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Rules after Close = %v, want ErrClosed", err)
	}
	if err := s.DeleteSession(t.Context(), "x"); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("DeleteSession after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Prune(t.Context()); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Prune after Close = %v, want ErrClosed", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	key := sqlite.WithEncryptionKey(testKey(t))

	corrupt := filepath.Join(dir, "corrupt.db")
	junk := make([]byte, 8192)
	rand.Read(junk)
	must(t, os.WriteFile(corrupt, junk, 0o600))

	foreign := filepath.Join(dir, "foreign.db")
	makeForeign(t, foreign)

	notDir := filepath.Join(dir, "file")
	must(t, os.WriteFile(notDir, nil, 0o600))

	readOnlyDir := filepath.Join(dir, "ro")
	must(t, os.Mkdir(readOnlyDir, 0o500))

	for _, tt := range []struct {
		name string
		path string
		opts []sqlite.Option
		want string
		is   error
	}{
		{"no key", filepath.Join(dir, "new.db"), nil, "WithPlaintextSecrets", sqlite.ErrNoEncryptionKey},
		{"short key", filepath.Join(dir, "new.db"), []sqlite.Option{sqlite.WithEncryptionKey([]byte("short"))}, "want 32", nil},
		{"corrupt file", corrupt, []sqlite.Option{key}, "not a database", nil},
		{"another program's database", foreign, []sqlite.Option{key}, "not a routex database", sqlite.ErrNotRoutex},
		{"directory", dir, []sqlite.Option{key}, dir, nil},
		{"missing directory", filepath.Join(dir, "missing", "x.db"), []sqlite.Option{key}, "missing", nil},
		{"parent is a file", filepath.Join(notDir, "x.db"), []sqlite.Option{key}, notDir, nil},
		{"question mark", filepath.Join(dir, "x?.db"), []sqlite.Option{key}, "'?'", nil},
		{"empty path", "", []sqlite.Option{key}, "empty path", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(tt.path)
			s, err := sqlite.Open(t.Context(), tt.path, tt.opts...)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if after, _ := os.ReadFile(tt.path); !bytes.Equal(before, after) {
				t.Error("Open changed the file")
			}
		})
	}

	if os.Geteuid() != 0 { // root writes anywhere
		t.Run("unwritable directory", func(t *testing.T) {
			_, err := sqlite.Open(t.Context(), filepath.Join(readOnlyDir, "x.db"), key)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), readOnlyDir) {
				t.Errorf("error %q does not name the path", err)
			}
		})
	}
}

func TestPlaintextWarning(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := open(t, filepath.Join(t.TempDir(), "routex.db"), sqlite.WithPlaintextSecrets(), sqlite.WithLogger(logger))
	ctx := t.Context()
	for range 3 {
		must(t, s.PutChannel(ctx, fullChannel()))
		_, err := s.Channels(ctx)
		must(t, err)
	}
	must(t, s.Close())
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "unencrypted") {
		t.Errorf("warning does not say secrets are unencrypted:\n%s", logs.String())
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
