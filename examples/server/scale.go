package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/routex/routex/storage/postgres"
	"github.com/routex/routex/storage/redis"
	"github.com/routex/routex/storage/sqlite"
)

// openStore opens the server's database: PostgreSQL at cfg.Postgres, which
// several instances share, else SQLite in the data directory.
func openStore(ctx context.Context, cfg Config, key []byte, logger *slog.Logger) (serverStore, error) {
	retention := time.Duration(cfg.RetentionDays) * 24 * time.Hour
	if cfg.Postgres != "" {
		opts := []postgres.Option{postgres.WithEncryptionKey(key), postgres.WithLogger(logger)}
		if cfg.RetentionDays > 0 {
			opts = append(opts, postgres.WithRetention(retention, 0))
		}
		st, err := postgres.Open(ctx, cfg.Postgres, opts...)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", withoutPassword(err, cfg.Postgres))
		}
		return st, nil
	}
	opts := []sqlite.Option{sqlite.WithEncryptionKey(key), sqlite.WithLogger(logger)}
	if cfg.RetentionDays > 0 {
		opts = append(opts, sqlite.WithRetention(retention, 0))
	}
	return sqlite.Open(ctx, filepath.Join(cfg.Data, "routex.db"), opts...)
}

// openShared connects to the Redis that instances share their breakers,
// quotas and sessions through; nil without cfg.Redis.
func openShared(ctx context.Context, cfg Config, logger *slog.Logger) (*redis.State, error) {
	if cfg.Redis == "" {
		return nil, nil
	}
	st, err := redis.New(ctx, cfg.Redis, redis.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("redis: %w", withoutPassword(err, cfg.Redis))
	}
	return st, nil
}

// withoutPassword returns err with the password of rawURL masked, should
// the driver have quoted the URL.
func withoutPassword(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil {
		// The URL itself may be the secret's carrier: say nothing of it.
		return errors.New("the URL does not parse")
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "***"))
}
