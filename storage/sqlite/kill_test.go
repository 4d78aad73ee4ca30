package sqlite_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
)

// TestKilledMidLoad runs a child process that records usage as fast as it
// can through analytics.Async into a database file and reports, after each
// flush, how many records the store has accepted. The test kills it with
// SIGKILL mid-load and checks that every record reported as written
// survived: a crash loses at most the batches not yet written.
func TestKilledMidLoad(t *testing.T) {
	if os.Getenv("ROUTEX_KILL_CHILD") != "" {
		killChild()
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "routex.db")
	key := hex.EncodeToString(testKey(t))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidLoad$")
	cmd.Env = append(os.Environ(), "ROUTEX_KILL_CHILD="+path, "ROUTEX_KILL_KEY="+key)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	defer cmd.Process.Kill()

	// Kill after a few flushes, while the child is still recording.
	var written int64
	lines := bufio.NewScanner(out)
	for n := 0; n < 5 && lines.Scan(); n++ {
		v, ok := strings.CutPrefix(lines.Text(), "written ")
		if !ok {
			n--
			continue
		}
		written, err = strconv.ParseInt(v, 10, 64)
		must(t, err)
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	if written == 0 {
		t.Fatal("the child reported no progress")
	}

	keyBytes, err := hex.DecodeString(key)
	must(t, err)
	s := open(t, path, sqlite.WithEncryptionKey(keyBytes))
	defer s.Close()
	aggs, err := s.Aggregate(t.Context(), routex.AggregateQuery{})
	must(t, err)
	var survived int64
	if len(aggs) == 1 {
		survived = aggs[0].Requests
	}
	t.Logf("reported written before the kill: %d; in the database after it: %d", written, survived)
	if survived < written {
		t.Errorf("%d records survived, but %d were reported written", survived, written)
	}
	// The child may have committed a few more batches after its last
	// report, but it never has more than its queue in flight.
	if survived > written+killQueue {
		t.Errorf("%d records survived, more than %d written plus a full queue", survived, written)
	}
}

const killQueue = 8192

func killChild() {
	ctx := context.Background()
	key, _ := hex.DecodeString(os.Getenv("ROUTEX_KILL_KEY"))
	s, err := sqlite.Open(ctx, os.Getenv("ROUTEX_KILL_CHILD"), sqlite.WithEncryptionKey(key))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rec := analytics.NewAsync(s.AddRecords, analytics.Settings{QueueSize: killQueue, FlushInterval: 20 * time.Millisecond})
	t0 := time.Now()
	for i := 0; ; i++ {
		rec.Record(analytics.Record{Time: t0.Add(time.Duration(i) * time.Millisecond), RequestID: strconv.Itoa(i), Model: "m", Status: 200})
		if i%2000 == 1999 {
			// Written counts what the sink, Store.AddRecords, returned from:
			// committed batches.
			if err := rec.Flush(ctx); err != nil {
				os.Exit(1)
			}
			fmt.Printf("written %d\n", rec.Written())
		}
	}
}
