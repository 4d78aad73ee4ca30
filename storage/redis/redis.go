// Package redis keeps the state that the instances of one router share in
// Redis: breaker transitions, cool-downs and headroom (routex.HealthBoard),
// quota counts (routex.QuotaCounter), sticky sessions (routex.SessionShare)
// and the lock that lets one instance at a time refresh an OAuth token. It
// talks to Redis through github.com/redis/go-redis/v9; a program that does
// not import this package does not compile it.
//
// Give each instance its own State (New), and its Shared to routex.New
// through routex.WithShared:
//
//	st, err := redis.New(ctx, "redis://redis.internal:6379/0")
//	...
//	c, err := routex.New(routex.WithChannels(chs...), routex.WithShared(st.Shared()))
//
// Every call fails fast when Redis cannot be reached (a second to dial or
// to read at most, no retries), so the Client's own bound on each call and
// its fallback to local state decide what a request waits for.
//
// Keys all start with the prefix (WithPrefix, "routex:" by default):
//
//	routex:quota:{channel}:{perMs}:{windowStartMs}  hash r, t: a window's requests and tokens
//	routex:health:notes                             hash: the health notes in force
//	routex:health                                   Pub/Sub channel the notes are published on
//	routex:session:{sha256 of the key}              a session's expiry and channel
//	routex:lock:{name}                              a lock's holder
//
// Channel ids and lock names are escaped (bytes other than letters, digits,
// '.', '_' and '-' as %XX), session keys hashed, so any value is safe. The
// braces make a channel's windows one Redis Cluster hash slot, as the quota
// script needs; the package is tested against a single server.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/routex/routex"
)

// Defaults applied where the URL's query does not set them (dial_timeout,
// read_timeout, write_timeout, pool_timeout, max_retries): a Redis in
// trouble should cost a request no more than the Client's own bound on it.
const (
	DefaultDialTimeout = time.Second
	DefaultIOTimeout   = time.Second
	DefaultPoolTimeout = 250 * time.Millisecond
)

// DefaultPrefix is the key namespace WithPrefix replaces.
const DefaultPrefix = "routex:"

// Option configures a State at New.
type Option func(*config)

type config struct {
	prefix string
	logger *slog.Logger
}

// WithPrefix sets the namespace every key and the Pub/Sub channel start
// with, so that several routers (or tests) can share one Redis database.
// The default is DefaultPrefix. Instances of one router must use the same.
func WithPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithLogger sets where the State reports what it cannot return as an
// error: a follower losing Redis and finding it back, an unlock that
// failed. Nil, the default, means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// State is one instance's view of the state in Redis. It implements
// routex.HealthBoard, routex.QuotaCounter and routex.SessionShare, and Lock;
// notes it posts are not handed to its own followers. A State is safe for
// concurrent use.
type State struct {
	rdb    *goredis.Client
	pipe   *pipeline // the quota scripts
	id     string    // this State's instance id, sent with each note it posts
	logger *slog.Logger

	prefix     string
	notesKey   string
	notesTopic string

	mu        sync.Mutex
	followers map[*follower]struct{}
	closed    bool
}

// Interface guards.
var (
	_ routex.HealthBoard  = (*State)(nil)
	_ routex.QuotaCounter = (*State)(nil)
	_ routex.SessionShare = (*State)(nil)
)

// New connects to the Redis at rawURL (redis://[user:password@]host:port/db,
// rediss:// for TLS, or unix://; query parameters as go-redis's ParseURL
// reads them) and checks that it answers within ctx. An error never
// contains the URL's password.
func New(ctx context.Context, rawURL string, opts ...Option) (*State, error) {
	cfg := config{prefix: DefaultPrefix}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		// url.Error repeats the URL, password and all.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis: invalid URL: %w", err)
	}
	failFast(o)
	s := &State{
		rdb: goredis.NewClient(o), id: randomHex(8), logger: cfg.logger,
		prefix: cfg.prefix, notesKey: cfg.prefix + "health:notes", notesTopic: cfg.prefix + "health",
		followers: make(map[*follower]struct{}),
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.rdb.Close()
		return nil, err
	}
	s.pipe = newPipeline(s.rdb)
	return s, nil
}

// failFast sets the bounds the URL left unset so that a call to a Redis
// that is gone fails within about a second, and a deadline in the call's
// context is kept.
func failFast(o *goredis.Options) {
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultIOTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultIOTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = DefaultPoolTimeout
	}
	// A retried quota script may already have counted; a retried dial
	// holds the request. The pool discards connections found broken
	// before use, which is what a retry would mostly recover from.
	if o.MaxRetries == 0 {
		o.MaxRetries = -1
	}
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// Shared returns the State as routex.WithShared takes it.
func (s *State) Shared() routex.Shared {
	return routex.Shared{Health: s, Quotas: s, Sessions: s}
}

// Ping checks that Redis answers.
func (s *State) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Close stops the State's followers and closes its connections. Calls
// after Close fail.
func (s *State) Close() error {
	s.mu.Lock()
	s.closed = true
	fs := make([]*follower, 0, len(s.followers))
	for f := range s.followers {
		fs = append(fs, f)
	}
	s.mu.Unlock()
	for _, f := range fs {
		f.stop()
	}
	s.pipe.stop()
	return s.rdb.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// appendEscaped appends v to dst with every byte other than a letter, a
// digit, '.', '_' or '-' written as %XX, so that v cannot end a key's part
// or open a hash tag, and distinct values stay distinct.
func appendEscaped(dst []byte, v string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return dst
}
