package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// applicationID marks a database as routex's in its header ("rtx1"), so that
// Open does not add tables to another program's database.
const applicationID = 0x72747831

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
			panic(fmt.Sprintf("sqlite: migration %s: want a name starting %04d_", base, i+1))
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out
}

// migrate brings the database to schema version target, applying the
// missing steps in one transaction so that a failure leaves the previous
// version intact. It refuses, before writing anything, a database newer
// than target or one that another program owns.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var version, appID, tables int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version (not a SQLite database, or damaged?): %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("reading application id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("reading schema: %w", err)
	}
	switch {
	case appID != 0 && appID != applicationID:
		return fmt.Errorf("application id %#x: %w", appID, ErrNotRoutex)
	case appID == 0 && tables > 0:
		return fmt.Errorf("the database already has tables: %w", ErrNotRoutex)
	case version > len(migrations):
		return fmt.Errorf("schema version %d, this build knows up to %d: %w", version, len(migrations), ErrNewerSchema)
	case version >= target:
		return nil
	}
	for _, m := range migrations[version:target] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrating to schema version %d (%s): %w", m.version, m.name, err)
		}
	}
	// Pragmas take no bound parameters; both values are integers.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d; PRAGMA application_id = %d", target, applicationID)); err != nil {
		return fmt.Errorf("recording schema version %d: %w", target, err)
	}
	return tx.Commit()
}
