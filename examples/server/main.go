// Command server is routex as a stand-alone proxy: point any Anthropic or
// OpenAI client at it, manage channels, rules, keys and analytics from the
// dashboard or the management API (API.md).
//
//	go run ./examples/server            # then open http://localhost:8080
//	go run ./examples/server signin -channel max   # sign an account in over SSH
//
// Everything it does is done by a routex.Client and a routex.Store
// (storage/sqlite); the rest is HTTP plumbing, so it doubles as the example
// of embedding routex in a server.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "routex:", err)
		os.Exit(2)
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
	logger.Info("routex: ready", "addr", ln.Addr().String(), "data", cfg.Data, "startup", time.Since(start).Round(time.Millisecond).String(),
		"setup", map[bool]string{true: "open the dashboard to finish setup", false: "done"}[srv.setupNeeded()])
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
