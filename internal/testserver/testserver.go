// Package testserver starts real database servers for tests: Redis and
// PostgreSQL, each in a temporary directory on a free loopback port, owned
// by the test and stopped at its end. A test can stop and start a server
// again to see what its code does while the server is gone.
//
// Without the server's binaries the test is skipped, unless ROUTEX_E2E=1
// (set by .ci/run, which installs them) makes that a failure.
package testserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// binary returns the path of the program name, or skips (fails under
// ROUTEX_E2E=1) when it is not installed.
func binary(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/usr/sbin"} {
		if _, err := os.Stat(dir + "/" + name); err == nil {
			return dir + "/" + name
		}
	}
	if os.Getenv("ROUTEX_E2E") == "1" {
		t.Fatalf("ROUTEX_E2E=1 but %s is not installed (apt-get install %s)", name, pkg)
	}
	t.Skipf("no %s; .ci/run installs it (apt-get install %s)", name, pkg)
	return ""
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something accepts connections on addr.
func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %v: %w", addr, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
