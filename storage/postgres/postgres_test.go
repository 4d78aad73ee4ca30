package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/testserver"
	"github.com/routex/routex/storage/postgres"
	"github.com/routex/routex/storage/storetest"
	"github.com/routex/routex/transformer"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedPostgres()
	os.Exit(code)
}

var quiet = slog.New(slog.DiscardHandler)

func testKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// newDatabase returns the URL of a new empty database on the shared server.
func newDatabase(t testing.TB) string {
	t.Helper()
	return testserver.SharedPostgres(t).NewDatabase(t)
}

func open(t testing.TB, url string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConformanceEncrypted(t *testing.T) {
	key := testKey(t)
	storetest.Run(t, func(t *testing.T) routex.Store {
		return open(t, newDatabase(t), postgres.WithEncryptionKey(key))
	})
}

func TestConformancePlaintext(t *testing.T) {
	storetest.Run(t, func(t *testing.T) routex.Store {
		return open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	})
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

// Reopening a database finds everything written before.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	key := testKey(t)
	s := open(t, url, postgres.WithEncryptionKey(key))
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

	s = open(t, url, postgres.WithEncryptionKey(key))
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

func TestNoEncryptionKey(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none")
	if err != postgres.ErrNoEncryptionKey {
		t.Fatalf("Open without a key: err = %v, want ErrNoEncryptionKey", err)
	}
}

// Open against nothing fails within the connect timeout, and its error does
// not show the password in the URL.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://u:hunter2-secret@127.0.0.1:1/none?connect_timeout=1", postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if ctx.Err() != nil {
		t.Fatal("Open did not return before the deadline")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}

// A string PostgreSQL's text cannot hold does not cost the batch: its
// offending bytes come back replaced.
func TestRecordsUnusualText(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t), postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()
	must(t, s.AddRecords(ctx, []analytics.Record{
		{Time: time.UnixMilli(1_740_000_000_000), RequestID: "a", Model: "m\x00", Error: "bad \xff byte", Status: 502},
		{Time: time.UnixMilli(1_740_000_000_001), RequestID: "b", Model: "plain", Status: 200},
	}))
	got, err := s.Records(ctx, routex.RecordQuery{})
	must(t, err)
	if len(got) != 2 || got[1].Model != "m\uFFFD" || got[1].Error != "bad \uFFFD byte" {
		t.Fatalf("Records = %+v", got)
	}
	aggs, err := s.Aggregate(ctx, routex.AggregateQuery{GroupBy: routex.GroupModel})
	must(t, err)
	if len(aggs) != 2 || aggs[0].Group != "m\uFFFD" || aggs[0].Errors != 1 {
		t.Fatalf("Aggregate = %+v", aggs)
	}
}
