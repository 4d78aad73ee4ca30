package testserver

import (
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Redis is a redis-server owned by a test.
type Redis struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartRedis starts a redis-server with no persistence on a free port,
// stopped when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{t: t, bin: binary(t, "redis-server", "redis-server"), dir: t.TempDir(), port: freePort(t)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL is the server's redis:// URL.
func (r *Redis) URL() string { return "redis://" + r.Addr() }

// Start starts the server again after Stop, on the same port, empty.
func (r *Redis) Start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return
	}
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("starting redis-server: %v", err)
	}
	if err := waitListening(r.Addr(), 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		r.t.Fatal(fmt.Errorf("redis-server: %w", err))
	}
	r.cmd = cmd
}

// Stop kills the server, as a crash would.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}
