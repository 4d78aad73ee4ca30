// Package sqlite implements routex.Store on SQLite, through the pure-Go
// driver modernc.org/sqlite, so a program that uses it needs no cgo and no
// database server.
//
// A Store keeps channels, rules, the balancing strategy, sticky sessions,
// usage records and stored Responses API answers (routex.ResponseStore) in
// one database file. API keys and other channel secrets
// are encrypted at rest with AES-256-GCM under a key the program supplies
// (WithEncryptionKey). The schema is migrated forward when Open finds an
// older version, and Open refuses a database written by a newer one.
//
// Usage records are meant to arrive in batches from analytics.Async, whose
// Sink is Store.AddRecords; each batch is one transaction.
//
// Importing the package registers SQL functions named routex_* (the usage
// aggregate, latency histograms, exact cost sums) with the modernc.org/sqlite
// driver, for every connection the process opens through it; AddRecords and
// Aggregate use them.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/seal"
	"github.com/routex/routex/internal/watch"
)

// Errors Open and the Store's methods return. Match them with errors.Is.
var (
	// ErrClosed is returned by every method of a Store that has been closed.
	ErrClosed = errors.New("sqlite: store closed")
	// ErrNewerSchema means the database was written by a newer version of
	// routex than this one; Open leaves it untouched.
	ErrNewerSchema = errors.New("sqlite: database schema is newer than this version of routex supports")
	// ErrNotRoutex means the file is a SQLite database that some other
	// program owns; Open leaves it untouched.
	ErrNotRoutex = errors.New("sqlite: not a routex database")
	// ErrNoEncryptionKey is returned by Open when neither WithEncryptionKey
	// nor WithPlaintextSecrets is given.
	ErrNoEncryptionKey = errors.New("sqlite: no encryption key for channel secrets: pass WithEncryptionKey, or WithPlaintextSecrets to store them unencrypted")
	// ErrDecrypt means a stored secret could not be decrypted: the
	// encryption key is not the one it was written with, or the value is
	// damaged. The error names the channel and field, never the secret.
	ErrDecrypt = errors.New("sqlite: cannot decrypt secret (wrong encryption key or damaged value)")
)

// Option configures a Store at Open.
type Option func(*config)

type config struct {
	key       []byte
	plaintext bool
	logger    *slog.Logger
	maxAge    time.Duration
	maxRows   int
	readConns int

	// Tests replace these to drive retention without waiting.
	now           func() time.Time
	pruneInterval time.Duration
	pruneChunk    int
	pruned        func(n int, err error)
}

// WithEncryptionKey sets the 32-byte AES-256 key that encrypts channel
// secrets (APIKey and Headers values) in the database. Each value gets its
// own random nonce. The same key must be given every time the database is
// opened; keep it outside the database, for example in an environment
// variable or a secret manager.
func WithEncryptionKey(key []byte) Option {
	return func(c *config) { c.key = slices.Clone(key) }
}

// WithPlaintextSecrets allows Open without an encryption key: channel
// secrets are then stored as plain text, readable by anyone who can read
// the file. Open logs a warning saying so. Secrets already encrypted in the
// database cannot be read this way.
func WithPlaintextSecrets() Option {
	return func(c *config) { c.plaintext = true }
}

// WithLogger sets where the Store reports what it cannot return as an
// error: the plaintext-secrets warning and failures of background pruning.
// Nil, the default, means slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRetention bounds the usage records kept: records older than maxAge,
// and the oldest records beyond the newest maxRows, are deleted by a
// background goroutine once a minute, which also deletes expired sessions
// and stored responses.
// Zero or less for either bound means no bound of that kind. Close stops
// the goroutine. See Prune to prune on demand.
func WithRetention(maxAge time.Duration, maxRows int) Option {
	return func(c *config) { c.maxAge, c.maxRows = max(maxAge, 0), max(maxRows, 0) }
}

// Store is a routex.Store in a SQLite database. Reads return values the
// caller owns; Watch callbacks run without any lock or transaction held.
//
// Store is safe for concurrent use, and several processes may open the same
// file: SQLite serialises their writes.
type Store struct {
	path string
	cfg  config
	// Writes go through one connection, so they queue in Go rather than
	// fail with SQLITE_BUSY; reads use their own pool and, in WAL mode, are
	// never blocked by a write. In memory, both are the same single
	// connection, since each connection to ":memory:" is its own database.
	w, r       *sql.DB
	insertMany *sql.Stmt // recordsPerInsert records
	insertOne  *sql.Stmt
	secret     *seal.Sealer

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	stopPrune context.CancelFunc
	pruneDone chan struct{}

	watchers watch.Set
}

var _ routex.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating it if needed, and
// migrates its schema to the current version. A path of ":memory:" opens a
// private in-memory database that lives until Close.
//
// Open fails, leaving the file as it was, when the file is not a SQLite
// database, belongs to another program (ErrNotRoutex) or was written by a
// newer routex (ErrNewerSchema); and, before touching the file, when no
// encryption key is given without WithPlaintextSecrets (ErrNoEncryptionKey).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{
		now:           time.Now,
		pruneInterval: time.Minute,
		pruneChunk:    pruneChunk,
		readConns:     max(4, runtime.GOMAXPROCS(0)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as connection parameters.
		return nil, fmt.Errorf("sqlite: open %s: a path may not contain '?'", path)
	}
	sealer, err := seal.New(cfg.key, "sqlite", ErrDecrypt)
	if err != nil {
		return nil, err
	}
	if !sealer.Encrypts() && !cfg.plaintext {
		return nil, ErrNoEncryptionKey
	}

	s := &Store{path: path, cfg: cfg, secret: sealer}
	if err := s.open(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if !sealer.Encrypts() {
		cfg.logger.Warn("sqlite: channel secrets are stored unencrypted; pass sqlite.WithEncryptionKey to encrypt them", "path", path)
	}
	if cfg.maxAge > 0 || cfg.maxRows > 0 {
		pctx, cancel := context.WithCancel(context.Background())
		s.stopPrune, s.pruneDone = cancel, make(chan struct{})
		go s.pruneLoop(pctx)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	memory := s.path == ":memory:"
	// Per-connection settings, applied by the driver to every connection
	// it opens. journal_mode is set once below, after the schema checks,
	// because it is written into the file.
	params := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	var err error
	if s.w, err = sql.Open("sqlite", s.path+params+"&_txlock=immediate"); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxIdleTime(0)
	s.w.SetConnMaxLifetime(0)
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if err := migrate(ctx, s.w, len(migrations)); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if memory {
		s.r = s.w
	} else {
		var mode string
		if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
			return fmt.Errorf("sqlite: open %s: setting WAL mode: %w", s.path, err)
		}
		if s.r, err = sql.Open("sqlite", s.path+params+"&_pragma=query_only(1)"); err != nil {
			return fmt.Errorf("sqlite: open %s: %w", s.path, err)
		}
		s.r.SetMaxOpenConns(s.cfg.readConns)
		s.r.SetMaxIdleConns(s.cfg.readConns)
	}
	if s.insertMany, err = s.w.PrepareContext(ctx, insertRecords(recordsPerInsert)); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if s.insertOne, err = s.w.PrepareContext(ctx, insertRecords(1)); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	return nil
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.insertMany, s.insertOne} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Close stops background pruning, waits for it, and closes the database.
// Every later call returns ErrClosed; closing twice is not an error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// The pruner goes first, so that it never sees the Store closed
		// under it and reports that as a failure.
		if s.stopPrune != nil {
			s.stopPrune()
			<-s.pruneDone
		}
		s.closed.Store(true)
		if err := s.closeDBs(); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
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
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// writeTx runs fn in a write transaction.
func (s *Store) writeTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(what, err)
	}
	return nil
}

// change is writeTx for configuration: once the transaction has committed
// it tells the watchers, with no transaction or lock held, so that they may
// read the Store.
func (s *Store) change(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	if err := s.writeTx(ctx, what, fn); err != nil {
		return err
	}
	s.watchers.Notify()
	return nil
}

// Watch calls fn after every successful change to channels, rules, the
// strategy, tokens, keys or settings made through this Store, from the goroutine that made it, after
// the transaction has committed and before the writing call returns. fn may
// read the Store but must not write channels, rules or the strategy. stop
// unregisters fn and may be called more than once; a call to fn already
// under way when stop is called still completes. Changes made by other
// processes sharing the file are not seen.
func (s *Store) Watch(fn func()) (stop func()) { return s.watchers.Add(fn) }
