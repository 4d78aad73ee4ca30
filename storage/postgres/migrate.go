package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema, one forward-only step per file, named
// NNNN_what.sql; step N takes the database from version N-1 to N. A step is
// never edited once released: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the steps in version order: migrations[i] is version i+1.
var migrations = loadMigrations()

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []migration
	for i, name := range names { // fs.Glob returns names sorted
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			panic(fmt.Sprintf("postgres: migration %s: want a name starting %04d_", base, i+1))
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out
}

// Advisory lock keys, arbitrary but fixed: every routex instance must use
// the same ones. The high half spells "rtx".
const (
	migrateLock int64 = 0x727478_00000001
	rollupLock  int64 = 0x727478_00000002
)

// migrate brings the database to schema version target, applying the
// missing steps in one transaction so that a failure leaves the previous
// version intact. The transaction first takes an advisory lock, so that
// instances opening the database at once wait for each other: the first
// migrates, the others find the schema current. It refuses, before writing
// anything, a database newer than this build.
func migrate(ctx context.Context, pool *pgxpool.Pool, target int) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("waiting for the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return fmt.Errorf("schema version %d, this build knows up to %d: %w", version, len(migrations), ErrNewerSchema)
	case version >= target:
		return tx.Commit(ctx)
	}
	for _, m := range migrations[version:target] {
		if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("migrating to schema version %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return fmt.Errorf("recording schema version %d: %w", m.version, err)
		}
	}
	return tx.Commit(ctx)
}
