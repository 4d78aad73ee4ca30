package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL cluster owned by a test: a data directory made by
// initdb and a postmaster listening on a loopback port, with trust
// authentication for the user "postgres".
type Postgres struct {
	t       testing.TB
	bin     string // directory of postgres and initdb
	base    string // holds data and the socket directory; removed at the end
	data    string
	sock    string
	port    int
	cred    *syscall.Credential // to run as, when the test runs as root
	logFile string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartPostgres initialises a cluster in a temporary directory and starts
// it on a free port; it is stopped and removed when the test ends. When the
// test runs as root, which PostgreSQL refuses, the server runs as the
// system user "postgres".
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := newPostgres(t)
	t.Cleanup(p.remove)
	p.Start()
	return p
}

var shared struct {
	once sync.Once
	p    *Postgres
	err  error
}

// SharedPostgres returns the cluster shared by every test of the test
// binary, starting it on first use. Give each test its own database
// (NewDatabase), and never Stop it: tests that stop a server take their own
// (StartPostgres). TestMain calls StopSharedPostgres after the tests have
// run, so that the server does not outlive the binary.
func SharedPostgres(t testing.TB) *Postgres {
	t.Helper()
	// Skips, or fails, here and not inside once: every test that asks for
	// the cluster must skip, not only the first.
	bin := postgresBin(t)
	shared.once.Do(func() {
		// The first caller's t runs initdb; the cluster outlives it, and
		// only NewDatabase, which takes its own t, is used after.
		p := &Postgres{t: t, bin: bin}
		shared.err = p.init(freePort(t))
		if shared.err == nil {
			shared.err = p.start()
		}
		if shared.err != nil {
			p.remove()
			return
		}
		shared.p = p
	})
	if shared.err != nil {
		t.Fatalf("starting the shared PostgreSQL: %v", shared.err)
	}
	return shared.p
}

// StopSharedPostgres stops and removes the cluster SharedPostgres started,
// if it did. Call it from TestMain after m.Run.
func StopSharedPostgres() {
	if shared.p != nil {
		shared.p.remove()
	}
}

// postgresBin returns the directory holding postgres and initdb, or skips
// (fails under ROUTEX_E2E=1) when PostgreSQL is not installed.
func postgresBin(t testing.TB) string {
	t.Helper()
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) > 0 {
		return filepath.Dir(m[len(m)-1])
	}
	bin := binary(t, "postgres", "postgresql")
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	}
	dir := filepath.Dir(bin)
	if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
		if os.Getenv("ROUTEX_E2E") == "1" {
			t.Fatalf("ROUTEX_E2E=1 but there is no initdb beside %s", bin)
		}
		t.Skipf("no initdb beside %s", bin)
	}
	return dir
}

func newPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := &Postgres{t: t, bin: postgresBin(t)}
	if err := p.init(freePort(t)); err != nil {
		p.remove()
		t.Fatal(err)
	}
	return p
}

// init makes the directories and runs initdb, for a server on port.
func (p *Postgres) init(port int) error {
	// Not t.TempDir: its parents are private to root, and the socket path
	// must stay under the 107 bytes a Unix socket address holds.
	base, err := os.MkdirTemp("", "routex-pg-")
	if err != nil {
		return err
	}
	p.base, p.data, p.sock = base, filepath.Join(base, "data"), filepath.Join(base, "sock")
	p.logFile = filepath.Join(base, "postgres.log")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// The postgres user must reach into base.
		if err := os.Chmod(base, 0o711); err != nil {
			return err
		}
	}
	for _, d := range []string{p.data, p.sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
		if err := p.own(d); err != nil {
			return err
		}
	}
	if err := os.WriteFile(p.logFile, nil, 0o600); err != nil {
		return err
	}
	if err := p.own(p.logFile); err != nil {
		return err
	}
	cmd := p.command("initdb", "-D", p.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	p.port = port
	return nil
}

func (p *Postgres) own(path string) error {
	if p.cred == nil {
		return nil
	}
	return os.Chown(path, int(p.cred.Uid), int(p.cred.Gid))
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.base
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// URL is a connection URL for the cluster's "postgres" database.
func (p *Postgres) URL() string { return p.databaseURL("postgres") }

// Port is the port the server listens on, the same after Stop and Start.
func (p *Postgres) Port() int { return p.port }

func (p *Postgres) databaseURL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// NewDatabase creates an empty database with a random name and returns its
// URL; it is dropped when the test ends.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The server may be down at the end of a test that stopped it, and
		// then the whole cluster goes anyway.
		p.mu.Lock()
		running := p.cmd != nil
		p.mu.Unlock()
		if running {
			if err := p.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("dropping database: %v", err)
			}
		}
	})
	return p.databaseURL(name)
}

func (p *Postgres) exec(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// Start starts the server after Stop, on the same port and data directory,
// so what was committed before survives.
func (p *Postgres) Start() {
	p.t.Helper()
	if err := p.start(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *Postgres) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	log, err := os.OpenFile(p.logFile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer log.Close()
	// fsync=off: the data must survive the server, not the machine.
	// synchronous_commit stays on, so that Stop, like a crash, loses no
	// transaction that had committed.
	cmd := p.command("postgres", "-D", p.data, "-p", strconv.Itoa(p.port), "-k", p.sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=256MB")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	// Listening is not yet accepting logins: the server may still be
	// recovering after a crash. Poll a real connection.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := waitListening(fmt.Sprintf("127.0.0.1:%d", p.port), time.Second)
		if err == nil {
			var c *pgx.Conn
			if c, err = pgx.Connect(ctx, p.URL()); err == nil {
				c.Close(ctx)
			}
		}
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			logged, _ := os.ReadFile(p.logFile)
			return fmt.Errorf("postgres did not start: %w\n%s", err, logged)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd = cmd
	return nil
}

// Stop shuts the server down as a crash would: SIGQUIT, PostgreSQL's
// immediate shutdown, which ends every connection at once and skips the
// checkpoint, so the next Start recovers from the write-ahead log.
func (p *Postgres) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

// remove stops the server and deletes its directory.
func (p *Postgres) remove() {
	p.Stop()
	if p.base != "" {
		_ = os.RemoveAll(p.base)
	}
}
