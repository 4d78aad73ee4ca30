package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/testserver"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/postgres"
)

// Opening a database again, or from several instances at once, migrates
// it once.
func TestMigrateConcurrent(t *testing.T) {
	url := newDatabase(t)
	const n = 8
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	// And once more, after the others: nothing to do.
	s := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()

	conn := connect(t, url)
	var rows, max int
	must(t, conn.QueryRow(t.Context(), "SELECT count(*), max(version) FROM schema_migrations").Scan(&rows, &max))
	if rows != postgres.SchemaVersion || max != postgres.SchemaVersion {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d of each", rows, max, postgres.SchemaVersion)
	}
	// Every instance works on the one schema.
	must(t, stores[0].PutChannel(t.Context(), routex.Channel{ID: "a", Type: routex.FormatOpenAI}))
	if cs, err := stores[n-1].Channels(t.Context()); err != nil || len(cs) != 1 {
		t.Errorf("Channels through another instance = %v, %v", cs, err)
	}
}

// A database written by a newer routex is refused, untouched.
func TestMigrateNewer(t *testing.T) {
	url := newDatabase(t)
	s := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	s.Close()
	conn := connect(t, url)
	_, err := conn.Exec(t.Context(), "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future.sql')", postgres.SchemaVersion+1)
	must(t, err)
	_, err = postgres.Open(t.Context(), url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	if !errors.Is(err, postgres.ErrNewerSchema) {
		t.Fatalf("Open of a newer schema: err = %v, want ErrNewerSchema", err)
	}
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	must(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Secrets are sealed in the tables: the raw columns hold none of them.
func TestSecretsAtRest(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	s := open(t, url, postgres.WithEncryptionKey(testKey(t)))
	defer s.Close()
	c := fullChannel()
	must(t, s.PutChannel(ctx, c))
	tok := oauth.Token{ChannelID: "c", AccessToken: "at-secret-0123456789", RefreshToken: "rt-secret-0123456789"}
	must(t, s.PutToken(ctx, tok))

	conn := connect(t, url)
	var channel, token string
	must(t, conn.QueryRow(ctx, "SELECT data FROM channels WHERE id = 'c'").Scan(&channel))
	must(t, conn.QueryRow(ctx, "SELECT data FROM tokens WHERE channel_id = 'c'").Scan(&token))
	for _, secret := range []string{c.APIKey, c.Headers["X-Goog-Api-Key"], "core"} {
		if strings.Contains(channel, secret) {
			t.Errorf("channels.data holds %q in plain text: %s", secret, channel)
		}
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(token, secret) {
			t.Errorf("tokens.data holds %q in plain text: %s", secret, token)
		}
	}
	if !strings.Contains(channel, "enc:v1:") || !strings.Contains(token, "enc:v1:") {
		t.Errorf("no sealed values in the rows: %s / %s", channel, token)
	}
	// And they come back.
	got, err := s.RevealChannel(ctx, "c")
	must(t, err)
	if got.APIKey != c.APIKey || got.Headers["X-Goog-Api-Key"] != c.Headers["X-Goog-Api-Key"] {
		t.Errorf("RevealChannel = %+v", got)
	}
	gotTok, err := s.RevealToken(ctx, "c")
	must(t, err)
	if gotTok.AccessToken != tok.AccessToken || gotTok.RefreshToken != tok.RefreshToken {
		t.Errorf("RevealToken = %+v", gotTok)
	}

	// Another key cannot read them, and says so without the secret.
	other := open(t, url, postgres.WithEncryptionKey(testKey(t)))
	defer other.Close()
	_, err = other.RevealChannel(ctx, "c")
	if !errors.Is(err, postgres.ErrDecrypt) || strings.Contains(err.Error(), c.APIKey) {
		t.Errorf("RevealChannel with another key: err = %v, want ErrDecrypt", err)
	}
}

// signal returns a watcher that sends on the channel it returns, without
// blocking the Store.
func signal() (func(), chan struct{}) {
	ch := make(chan struct{}, 64)
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

func wait(t *testing.T, ch <-chan struct{}, within time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(within):
		t.Fatalf("%s: no call within %v", what, within)
	}
}

// A change through one Store wakes the watchers of another on the same
// database, and the writer's own watchers once, not twice.
func TestWatchAcrossStores(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	a := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer a.Close()
	b := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer b.Close()

	var own atomic.Int32
	defer a.Watch(func() { own.Add(1) })()
	fn, woke := signal()
	defer b.Watch(fn)()

	for i, write := range []func() error{
		func() error { return a.PutChannel(ctx, routex.Channel{ID: "x", Type: routex.FormatOpenAI}) },
		func() error { return a.PutRule(ctx, routex.Rule{ID: "r", Target: routex.Target{Channel: "x"}}) },
		func() error { return a.SetStrategy(ctx, "weighted") },
		func() error { return a.PutKey(ctx, routex.Key{ID: "k", Hash: routex.HashKey("secret")}) },
		func() error { return a.PutSetting(ctx, "admin.user", "root") },
		func() error { return a.PutToken(ctx, oauth.Token{ChannelID: "x", AccessToken: "t"}) },
		func() error { return a.DeleteChannel(ctx, "x") },
	} {
		must(t, write())
		wait(t, woke, time.Second, "B's watcher after a write through A")
		if got := own.Load(); got != int32(i+1) {
			t.Fatalf("A's watcher called %d times after %d writes", got, i+1)
		}
	}
	// B sees the change when woken.
	if st, err := b.Strategy(ctx); err != nil || st != "weighted" {
		t.Errorf("B's Strategy = %q, %v", st, err)
	}
	// A's own notifications came back to A too, and were recognised: give
	// them the time to arrive, then check that none was counted.
	must(t, b.SetStrategy(ctx, "priority")) // a marker behind them
	deadline := time.Now().Add(5 * time.Second)
	for own.Load() != 8 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := own.Load(); got != 8 {
		t.Errorf("A's watcher called %d times, want 7 own writes and one of B's", got)
	}
}

// The listening connection comes back after the server restarts, tells the
// watchers once (changes may have been missed), and hears changes again.
func TestWatchAfterRestart(t *testing.T) {
	ctx := t.Context()
	pg := testserver.StartPostgres(t)
	url := pg.NewDatabase(t)
	fast := postgres.WithBackoff(func(int) time.Duration { return 20 * time.Millisecond })
	a := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet), fast)
	defer a.Close()
	b := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet), fast)
	defer b.Close()
	fn, woke := signal()
	defer b.Watch(fn)()

	must(t, a.PutChannel(ctx, routex.Channel{ID: "x", Type: routex.FormatOpenAI}))
	wait(t, woke, time.Second, "before the restart")

	pg.Stop()
	pg.Start()
	wait(t, woke, 30*time.Second, "after reconnecting")

	// The pool's connections died with the server; the next call makes new
	// ones. A first call on a dead connection may fail.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := a.PutChannel(ctx, routex.Channel{ID: "y", Type: routex.FormatOpenAI})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PutChannel after the restart: %v", err)
		}
	}
	// Drain what the reconnection and a retry may have queued, then expect
	// the next change.
	for len(woke) > 0 {
		<-woke
	}
	must(t, a.SetStrategy(ctx, "weighted"))
	wait(t, woke, time.Second, "a change after the restart")
}

// With the server gone, AddRecords and reads fail fast with an error, and
// work again once it is back.
func TestServerDown(t *testing.T) {
	ctx := t.Context()
	pg := testserver.StartPostgres(t)
	url := pg.NewDatabase(t)
	s := open(t, url, postgres.WithPlaintextSecrets(), postgres.WithLogger(quiet))
	defer s.Close()
	rec := analytics.Record{Time: time.Now(), RequestID: "a", ChannelID: "c", Status: 200}
	must(t, s.AddRecords(ctx, []analytics.Record{rec}))

	pg.Stop()
	for _, call := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"AddRecords", func(ctx context.Context) error { return s.AddRecords(ctx, []analytics.Record{rec}) }},
		{"Records", func(ctx context.Context) error { _, err := s.Records(ctx, routex.RecordQuery{}); return err }},
		{"Aggregate", func(ctx context.Context) error { _, err := s.Aggregate(ctx, routex.AggregateQuery{}); return err }},
		{"Channels", func(ctx context.Context) error { _, err := s.Channels(ctx); return err }},
		{"PutChannel", func(ctx context.Context) error {
			return s.PutChannel(ctx, routex.Channel{ID: "x", Type: routex.FormatOpenAI})
		}},
	} {
		start := time.Now()
		// No deadline of the caller's: the Store's own connect timeout
		// bounds the call.
		err := call.fn(context.Background())
		if err == nil {
			t.Errorf("%s with the server down succeeded", call.name)
		}
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("%s with the server down took %v", call.name, d)
		}
	}

	pg.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.AddRecords(ctx, []analytics.Record{rec})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AddRecords after the server came back: %v", err)
		}
	}
	got, err := s.Records(ctx, routex.RecordQuery{})
	must(t, err)
	if len(got) != 2 {
		t.Errorf("%d records after the restart, want 2 (the one written while down is lost)", len(got))
	}
}
