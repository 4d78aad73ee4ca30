// Package postgres implements routex.Store on PostgreSQL, through
// github.com/jackc/pgx/v5, so that several routex instances share one
// configuration and one request log.
//
// A Store keeps channels, rules, the balancing strategy, sticky sessions,
// proxy keys, settings, OAuth tokens, usage records and stored Responses
// API answers (routex.ResponseStore) in one database. Channel secrets and
// OAuth tokens are encrypted at rest with AES-256-GCM under a key the
// program supplies (WithEncryptionKey). The schema is migrated forward when
// Open finds an older version, under an advisory lock so that instances
// starting together migrate once, and Open refuses a database written by a
// newer one.
//
// Usage records are meant to arrive in batches from analytics.Async, whose
// Sink is Store.AddRecords; each batch is one COPY and one transaction,
// which also keeps the per-minute, per-hour and per-day rollups that
// Aggregate reads.
//
// Every change to channels, rules, the strategy, tokens, keys or settings
// is announced with NOTIFY on the channel "routex_changes", and every Store
// LISTENs on it, so Watch callbacks run for changes made by any instance.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/seal"
	"github.com/routex/routex/internal/watch"
	"github.com/routex/routex/oauth"
)

// Errors Open and the Store's methods return. Match them with errors.Is.
var (
	// ErrClosed is returned by every method of a Store that has been closed.
	ErrClosed = errors.New("postgres: store closed")
	// ErrNewerSchema means the database was written by a newer version of
	// routex than this one; Open leaves it untouched.
	ErrNewerSchema = errors.New("postgres: database schema is newer than this version of routex supports")
	// ErrNoEncryptionKey is returned by Open when neither WithEncryptionKey
	// nor WithPlaintextSecrets is given.
	ErrNoEncryptionKey = errors.New("postgres: no encryption key for channel secrets: pass WithEncryptionKey, or WithPlaintextSecrets to store them unencrypted")
	// ErrDecrypt means a stored secret could not be decrypted: the
	// encryption key is not the one it was written with, or the value is
	// damaged. The error names the channel and field, never the secret.
	ErrDecrypt = errors.New("postgres: cannot decrypt secret (wrong encryption key or damaged value)")
)

// notifyChannel is the NOTIFY channel every configuration write announces
// itself on.
const notifyChannel = "routex_changes"

// connectTimeout bounds each connection attempt when the URL sets none, so
// that a call made while the server is unreachable fails rather than hangs.
const connectTimeout = 5 * time.Second

// Option configures a Store at Open.
type Option func(*config)

type config struct {
	key       []byte
	plaintext bool
	logger    *slog.Logger
	maxAge    time.Duration
	maxRows   int

	// Tests replace these to drive retention and reconnection without
	// waiting.
	now           func() time.Time
	pruneInterval time.Duration
	pruneChunk    int
	pruned        func(n int, err error)
	backoff       func(attempt int) time.Duration
}

// WithEncryptionKey sets the 32-byte AES-256 key that encrypts channel
// secrets (APIKey and Headers values) and OAuth tokens in the database.
// Each value gets its own random nonce. Every instance sharing the
// database must be given the same key; keep it outside the database, for
// example in an environment variable or a secret manager.
func WithEncryptionKey(key []byte) Option {
	return func(c *config) { c.key = slices.Clone(key) }
}

// WithPlaintextSecrets allows Open without an encryption key: secrets are
// then stored as plain text, readable by anyone who can read the tables.
// Open logs a warning saying so. Secrets already encrypted in the database
// cannot be read this way.
func WithPlaintextSecrets() Option {
	return func(c *config) { c.plaintext = true }
}

// WithLogger sets where the Store reports what it cannot return as an
// error: the plaintext-secrets warning, failures of background pruning and
// losses of the LISTEN connection. Nil, the default, means slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRetention bounds the usage records kept: records older than maxAge,
// and the oldest records beyond the newest maxRows, are deleted by a
// background goroutine once a minute, which also deletes expired sessions
// and stored responses. Zero or less for either bound means no bound of
// that kind. Close stops the goroutine. See Prune to prune on demand.
func WithRetention(maxAge time.Duration, maxRows int) Option {
	return func(c *config) { c.maxAge, c.maxRows = max(maxAge, 0), max(maxRows, 0) }
}

// Store is a routex.Store in a PostgreSQL database. Reads return values the
// caller owns; Watch callbacks run without any lock or transaction held.
//
// Store is safe for concurrent use, and any number of processes may open
// the same database.
type Store struct {
	cfg    config
	pool   *pgxpool.Pool
	secret *seal.Sealer
	id     string // this Store's NOTIFY payload, to tell its own changes apart

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	stop      context.CancelFunc // ends the listener and the pruner
	done      sync.WaitGroup

	watchers watch.Set
	// notifying serialises the calls to the watchers. A change through
	// this Store and one heard from another would otherwise run them in
	// two goroutines at once, and a watcher that reads the Store and then
	// applies what it read (as routex.Client does) could apply the older
	// read last. Watchers must not write through the Store, so holding it
	// cannot deadlock.
	notifying sync.Mutex
}

var (
	_ routex.Store         = (*Store)(nil)
	_ routex.KeyStore      = (*Store)(nil)
	_ routex.SettingStore  = (*Store)(nil)
	_ routex.ResponseStore = (*Store)(nil)
	_ oauth.TokenStore     = (*Store)(nil)
)

// Open connects to the database at url (a postgres:// URL or a libpq
// key=value string, as pgx accepts), migrates its schema to the current
// version, and starts listening for the changes other instances make.
//
// Open fails when the server cannot be reached, when the database was
// written by a newer routex (ErrNewerSchema), and, before connecting, when
// no encryption key is given without WithPlaintextSecrets
// (ErrNoEncryptionKey). The url is never part of an error: it may hold a
// password.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg := config{
		now:           time.Now,
		pruneInterval: time.Minute,
		pruneChunk:    pruneChunk,
		backoff:       reconnectBackoff,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	sealer, err := seal.New(cfg.key, "postgres", ErrDecrypt)
	if err != nil {
		return nil, err
	}
	if !sealer.Encrypts() && !cfg.plaintext {
		return nil, ErrNoEncryptionKey
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors may quote the URL, password included.
		return nil, errors.New("postgres: open: cannot parse the connection URL")
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	id := make([]byte, 16)
	rand.Read(id)
	s := &Store{cfg: cfg, secret: sealer, id: hex.EncodeToString(id)}
	if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, s.pool, len(migrations)); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// Listening before Open returns, so that no change made after it is
	// missed.
	conn, err := s.listen(ctx, pcfg.ConnConfig)
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open: listening for changes: %w", err)
	}
	bg, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.done.Add(1)
	go s.listenLoop(bg, pcfg.ConnConfig, conn)
	if !sealer.Encrypts() {
		cfg.logger.Warn("postgres: channel secrets are stored unencrypted; pass postgres.WithEncryptionKey to encrypt them")
	}
	if cfg.maxAge > 0 || cfg.maxRows > 0 {
		s.done.Add(1)
		go s.pruneLoop(bg)
	}
	return s, nil
}

// Close stops listening and background pruning, waits for both, and closes
// the connections. Every later call returns ErrClosed; closing twice is not
// an error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.done.Wait()
		s.closed.Store(true)
		s.pool.Close()
	})
	return s.closeErr
}

// usable returns why the Store cannot be used now, if it cannot.
func (s *Store) usable(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// fail turns a database error into the Store's error: ErrClosed when the
// Store was closed under the call, otherwise err wrapped with what failed.
func (s *Store) fail(what string, err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// failed is fail for a nil-able error.
func (s *Store) failed(what string, err error) error {
	if err == nil {
		return nil
	}
	return s.fail(what, err)
}

// writeTx runs fn in a transaction.
func (s *Store) writeTx(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail(what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(what, err)
	}
	return nil
}

// change is writeTx for configuration: the transaction also notifies the
// other instances, and once it has committed the local watchers are told,
// with no transaction or lock held, so that they may read the Store.
func (s *Store) change(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	err := s.writeTx(ctx, what, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", notifyChannel, s.id)
		return s.failed(what, err)
	})
	if err != nil {
		return err
	}
	s.notify()
	return nil
}

// notify calls the watchers, one change at a time.
func (s *Store) notify() {
	s.notifying.Lock()
	defer s.notifying.Unlock()
	s.watchers.Notify()
}

// Watch calls fn after every successful change to channels, rules, the
// strategy, tokens, keys or settings. For a change made through this Store,
// fn runs in the goroutine that made it, after the transaction has
// committed and before the writing call returns. For a change made by
// another Store on the same database, in this process or another, fn runs
// in this Store's listening goroutine as soon as the notification arrives;
// and after that connection is lost and made again, fn is called once,
// since changes may have been missed meanwhile. fn may read the Store but
// must not write through the Store. Calls are never concurrent: a change
// waits for the calls of the one before. stop unregisters fn and may be
// called more than once; a call to fn already under way when stop is
// called still completes.
func (s *Store) Watch(fn func()) (stop func()) { return s.watchers.Add(fn) }

// listenCheck is how long the listening connection may stay silent before
// it is pinged: a connection to a server that vanished without closing it
// would otherwise wait for a notification forever.
const listenCheck = 30 * time.Second

// listen connects the dedicated connection and LISTENs on it.
func (s *Store) listen(ctx context.Context, cc *pgx.ConnConfig) (*pgx.Conn, error) {
	cc = cc.Copy()
	// A wait that times out only sets a deadline on the socket: the default
	// would also send the server a cancel request, which could land on the
	// ping that follows.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// closeConn closes a connection that may lead nowhere, without waiting on
// it for long.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// reconnectBackoff is how long the listener waits before its attempt-th
// reconnection (from 1): doubling from 50 ms up to 5 s.
func reconnectBackoff(attempt int) time.Duration {
	return min(50*time.Millisecond<<min(attempt-1, 10), 5*time.Second)
}

// listenLoop calls the watchers for every notification another Store
// sends, and keeps the connection up until ctx ends.
func (s *Store) listenLoop(ctx context.Context, cc *pgx.ConnConfig, conn *pgx.Conn) {
	defer s.done.Done()
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	for {
		wait, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil && ctx.Err() == nil && wait.Err() != nil {
			// Silence: make sure the server is still there.
			ping, cancel := context.WithTimeout(ctx, connectTimeout)
			err = conn.Ping(ping)
			cancel()
			if err == nil {
				continue
			}
		}
		if err == nil {
			if n.Payload != s.id {
				s.notify()
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		s.cfg.logger.Warn("postgres: lost the connection that listens for changes; reconnecting", "err", err)
		closeConn(conn)
		conn = nil
		for attempt := 1; conn == nil; attempt++ {
			t := time.NewTimer(s.cfg.backoff(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if conn, err = s.listen(ctx, cc); err != nil {
				conn = nil
				if ctx.Err() != nil {
					return
				}
			}
		}
		// Whatever changed while the connection was down went unheard.
		s.notify()
	}
}

func quote(id string) string { return fmt.Sprintf("%q", id) }
