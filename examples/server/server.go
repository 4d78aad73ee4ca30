package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/examples/server/dashboard"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/redis"
)

// version is shown in the settings; set with -ldflags "-X main.version=…".
var version = "dev"

// Server is the proxy, the management API and the dashboard on one handler.
// It is safe for concurrent use.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	store   serverStore
	shared  *redis.State // what instances share; nil for one alone
	client  *routex.Client
	auth    *auth
	logins  *loginThrottle
	keys    *keyring
	live    *live
	metrics *metrics
	// accounts signs in OAuth channels and keeps their tokens fresh.
	accounts *accounts
	// setupMu makes the first-run setup happen once.
	setupMu sync.Mutex
	// setupToken admits the setup requests (setup.go): made at start when
	// setup is needed, or cfg.SetupToken; "" admits none.
	setupToken string
	// configured is what the config file defines (config.go).
	configured configured
	proxy      *httputil.ReverseProxy
	started    time.Time
	modelSync  *modelSync
}

// NewServer opens the database in cfg.Data, applies the configuration and
// builds the Client.
func NewServer(ctx context.Context, cfg Config, logger *slog.Logger) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = 30 * time.Second
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, key, logger)
	if err != nil {
		return nil, err
	}
	shared, err := openShared(ctx, cfg, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger, store: st, shared: shared, started: time.Now(), configured: newConfigured(cfg)}
	s.live = newLive()
	s.metrics = newMetrics(s)
	var locker oauth.Locker
	if shared != nil {
		locker = shared
	}
	if s.accounts, err = newAccounts(st, locker, logger); err != nil {
		s.closeStores()
		return nil, err
	}
	copts := []routex.Option{
		routex.WithStore(st),
		routex.WithAuthorizer(s.accounts.manager),
		routex.WithLogger(logger),
		routex.WithMaxBodyBytes(cfg.MaxBodyBytes),
		routex.WithRecorder(analytics.Multi(s.live, s.metrics)),
	}
	if cfg.Passthrough != nil {
		copts = append(copts, routex.WithPassthrough(cfg.Passthrough...))
	}
	if shared != nil {
		copts = append(copts, routex.WithShared(shared.Shared()))
	}
	s.client, err = routex.New(copts...)
	if err != nil {
		s.closeStores()
		return nil, err
	}
	if err := s.applyConfig(ctx); err != nil {
		s.client.Close()
		s.closeStores()
		return nil, err
	}
	if s.setupNeeded() {
		s.setupToken = first(cfg.SetupToken, randomToken())
	}
	s.auth = newAuth(st, cfg.AdminToken)
	s.logins = newLoginThrottle(logger)
	if s.keys, err = newKeyring(ctx, st); err != nil {
		s.client.Close()
		s.closeStores()
		return nil, err
	}
	s.modelSync = startModelSync(s, cfg.ModelsRefresh)
	s.proxy = &httputil.ReverseProxy{
		Transport: s.client,
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The Client routes by path and body; the host is never dialled.
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "routex"
			// The caller's proxy key must not reach a provider, even one
			// whose channel has no key of its own to replace it with.
			// An x-api-key alone said the caller is Anthropic's; it stays said.
			if pr.In.Header.Get("X-Api-Key") != "" && pr.In.Header.Get("Anthropic-Version") == "" && routex.CallerFormat(pr.In) == routex.FormatAnthropic {
				pr.Out.Header.Set("Anthropic-Version", "2023-06-01")
			}
			pr.Out.Header.Del("Authorization")
			pr.Out.Header.Del("X-Api-Key")
			pr.Out.Header.Del("X-Goog-Api-Key")
			if q := pr.Out.URL.Query(); q.Has("key") {
				q.Del("key")
				pr.Out.URL.RawQuery = q.Encode()
			}
			// Nor its dashboard session, which a browser sends to every path.
			pr.Out.Header.Del("Cookie")
		},
		// Every write is flushed: streams reach the caller event by event.
		FlushInterval: -1,
		BufferPool:    copyBuffers{},
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandler:  s.proxyError,
	}
	return s, nil
}

// applyConfig writes the channels, rules, strategy and administrator given
// in the configuration to the Store, at every start: what is configured
// outside the dashboard owns it, and the management API refuses to change
// it (refuseConfigured, refusePasswordChange), so no edit made there is
// undone here.
func (s *Server) applyConfig(ctx context.Context) error {
	for _, d := range s.cfg.Channels {
		c := d.channel()
		if err := c.Validate(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if err := s.store.PutChannel(ctx, c); err != nil {
			return err
		}
	}
	for _, r := range s.cfg.Rules {
		if err := s.client.CheckRule(r); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if err := s.store.PutRule(ctx, r); err != nil {
			return err
		}
	}
	if s.cfg.Strategy != "" {
		if err := validateStrategy(s.cfg.Strategy); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if err := s.store.SetStrategy(ctx, s.cfg.Strategy); err != nil {
			return err
		}
	}
	if s.cfg.AdminUser != "" {
		if err := setAdmin(ctx, s.store, s.cfg.AdminUser, s.cfg.AdminPassword); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the Client, which drains the usage records, and closes the
// database.
func (s *Server) Close() error {
	s.live.Close()
	s.modelSync.close()
	return errors.Join(s.client.Close(), s.closeStores())
}

// closeStores closes the database and the connection to Redis.
func (s *Server) closeStores() error {
	err := s.store.Close()
	if s.shared != nil {
		err = errors.Join(err, s.shared.Close())
	}
	return err
}

func (s *Server) setupNeeded() bool {
	user, err := s.store.Setting(context.Background(), settingAdminUser)
	return err == nil && user == ""
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Proxy.
	// Proxy: every /v1/ path (and Gemini's /v1beta/) goes to the Client,
	// which answers what it knows and passes the rest to a channel of the
	// caller's format.
	proxy := s.keys.require(s.proxy, s.proxyRefusal)
	mux.Handle("/v1/", proxy)
	mux.Handle("/v1beta/", proxy)
	mux.HandleFunc("GET "+healthPath, s.health)
	// Claude Code checks that its base URL answers, as Anthropic's API
	// does, before it starts (unless told to send nothing it need not).
	mux.HandleFunc("GET /api/hello", hello) // HEAD too
	mux.Handle("GET /metrics", s.metricsHandler())

	s.routes(mux)

	// Dashboard: hashed assets are cached for good, index.html never.
	dist, err := fs.Sub(dashboard.Files, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.FileServerFS(dist)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		securityHeaders(w.Header())
		// Files only: the file server would list a directory, and only the
		// root has an index.html to show instead. What is not there is not
		// cached either, so a file that comes with the next version is
		// fetched then.
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" {
			if info, err := fs.Stat(dist, name); err != nil || info.IsDir() {
				http.NotFound(w, r)
				return
			}
		}
		if name == "" || name == "index.html" {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
	return s.bound(mux)
}

// bound caps every request body: the proxy's at the Client's own limit
// (which answers 413 in the caller's format), the rest at 1 MiB. It also
// gives the body cfg.BodyReadTimeout to arrive, the whole of it, so that a
// caller dribbling a body cannot hold a connection and a handler for good;
// the deadline ends once the body is read (see deadlineBody).
func (s *Server) bound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(1 << 20)
		if isProxyPath(r.URL.Path) {
			limit = s.cfg.MaxBodyBytes + 1
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)) == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, header: w.Header()}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody clears the connection's read deadline once the body has been
// read to its end. Once a body is read, net/http reads the connection in
// the background to notice a caller that goes away, and a deadline passing
// then would cancel the request, a stream in full flight with it. net/http
// (1.26) clears the deadline itself when that read starts; this does not
// count on it. The Client reads a proxied body whole before it sends
// anything upstream, so the deadline is over before a stream starts. A body
// closed before its end keeps the deadline: net/http reads what is left of
// it after the handler, and the deadline bounds that too.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	header  http.Header // the response's
	cleared atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		b.clear()
	case err != nil:
		// net/http would keep the connection for another request after a
		// body that failed half way (a deadline, a broken chunk), and wait
		// for it without a deadline, on what is left of this one.
		b.header.Set("Connection", "close")
	}
	return n, err
}

func (b *deadlineBody) clear() {
	if b.cleared.CompareAndSwap(false, true) {
		b.rc.SetReadDeadline(time.Time{})
	}
}

func isProxyPath(p string) bool {
	return strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v1beta/")
}

func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'")
}

// hello answers Claude Code's connectivity check.
func hello(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// healthPath answers 200 whenever the server is up: the deploy files'
// health checks and the healthcheck command ask it.
const healthPath = "/health"

// health answers 200 whenever the server is up, before setup too: a
// platform's health check must let traffic reach the setup wizard.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "setupNeeded": s.setupNeeded()})
}

// proxyError answers a request the Client could not serve at all (it
// answers upstream failures itself, in the caller's format): a cancelled
// caller, or a closed Client during shutdown.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.logger.Warn("routex: proxy error", "path", r.URL.Path, "err", err)
	s.proxyRefusal(w, r, http.StatusBadGateway, "api_error", "the request could not be routed: "+err.Error())
}

// copyBuffers lends the proxy its copy buffers, which it would otherwise
// allocate for every response.
type copyBuffers struct{}

// The pool holds array pointers: putting one back allocates nothing, where
// a pointer to a slice header would be a new allocation every time.
var copyBufferPool = sync.Pool{New: func() any { return new([16 << 10]byte) }}

func (copyBuffers) Get() []byte { return copyBufferPool.Get().(*[16 << 10]byte)[:] }

func (copyBuffers) Put(b []byte) {
	if len(b) == 16<<10 {
		copyBufferPool.Put((*[16 << 10]byte)(b))
	}
}
