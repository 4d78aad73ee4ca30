// Command server is routex as a stand-alone proxy: point any Anthropic or
// OpenAI client at it, manage channels, rules, keys and analytics from the
// dashboard or the management API (API.md).
//
//	go run ./examples/server            # then open http://localhost:8080
//	go run ./examples/server signin -channel max   # sign an account in over SSH
//	routex healthcheck                  # exit 0 when the server answers /health
//
// Everything it does is done by a routex.Client and a routex.Store
// (storage/sqlite); the rest is HTTP plumbing, so it doubles as the example
// of embedding routex in a server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) > 1 && os.Args[1] == "signin" {
		if err := signInCommand(os.Args[2:], os.Getenv, os.Stdin, os.Stdout, logger); err != nil {
			fmt.Fprintln(os.Stderr, "routex:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Args[2:], os.Getenv, os.Stderr))
	}
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		os.Exit(configExit(err, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger, nil); err != nil {
		logger.Error("routex: stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled, then shuts down gracefully: it stops
// accepting, lets requests and streams in flight finish (up to
// cfg.ShutdownTimeout), drains the usage records and closes the database.
// ready, when not nil, receives the listening address once requests are
// accepted.
func run(ctx context.Context, cfg Config, logger *slog.Logger, ready chan<- string) error {
	start := time.Now()
	srv, err := NewServer(ctx, cfg, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if cfg.PprofAddr != "" {
		_, stopProfiles, err := serveProfiles(cfg.PprofAddr, logger)
		if err != nil {
			hs.Close()
			srv.Close()
			return err
		}
		defer stopProfiles()
	}
	logger.Info("routex: ready", "addr", ln.Addr().String(), "data", cfg.Data, "startup", time.Since(start).Round(time.Millisecond).String(),
		"setup", map[bool]string{true: "open the dashboard to finish setup", false: "done"}[srv.setupNeeded()])
	if srv.setupNeeded() {
		srv.announceSetup(dashboardURL(ln.Addr()))
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-served:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("routex: shutting down", "grace", cfg.ShutdownTimeout.String())
	// Live event streams never end on their own: end them first, so that
	// Shutdown waits only for proxied requests.
	srv.live.Close()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutErr := hs.Shutdown(sctx)
	if errors.Is(shutErr, context.DeadlineExceeded) {
		logger.Warn("routex: requests still running after the grace period were cut", "grace", cfg.ShutdownTimeout.String())
		hs.Close()
	}
	if err := srv.Close(); err != nil {
		return err
	}
	logger.Info("routex: stopped cleanly")
	return nil
}

// healthcheck asks the server that the same flags, environment and config
// file would start for its health path, and returns the exit status: 0
// when it answers 200, 1 otherwise (2 for a configuration error). It is the
// container image's HEALTHCHECK, which has no curl to do it.
func healthcheck(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return configExit(err, stderr, stderr)
	}
	url, err := healthURL(cfg.Addr)
	if err != nil {
		fmt.Fprintln(stderr, "routex: healthcheck:", err)
		return 1
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		fmt.Fprintln(stderr, "routex: healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "routex: healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}

// healthURL is the health path of a server listening on addr, reached on
// this machine when it listens on every interface.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || ip != nil && ip.Equal(net.IPv4zero):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + healthPath, nil
}

// serveProfiles serves net/http/pprof on addr, apart from the server's own
// handler, until the returned func is called. It returns the address it
// listens on.
func serveProfiles(addr string, logger *slog.Logger) (listening string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ps := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go ps.Serve(ln)
	logger.Info("routex: profiles served", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { ps.Close() }, nil
}
