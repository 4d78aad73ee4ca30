package sqlite_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
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
	"github.com/routex/routex/internal/rollup/rolluptest"
	"github.com/routex/routex/storage/sqlite"
)

// TestKilledMidLoad runs a child process whose routex.Client answers
// requests at a steady rate, paced by a ticker, and saves their usage
// records to a database file through its Store writer, as a server does.
// The test kills the child with SIGKILL mid-load and checks that every
// record the child reported as written survived, and none it had not
// started. It logs the loss window: how long before the kill the newest
// surviving record arrived, an upper bound on the age of every record lost.
// The Client writes at least every 100 ms, so the window should be about
// that at any rate; it is logged, not asserted, because on a busy machine a
// write can take any time.
func TestKilledMidLoad(t *testing.T) {
	if os.Getenv("ROUTEX_KILL_CHILD") != "" {
		killChild()
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, rate := range []int{7500, 78} {
		t.Run(fmt.Sprint(rate, "/s"), func(t *testing.T) {
			// Two moments that fall at different points of a 100 ms and
			// of a 1 s flush cycle.
			for _, run := range []time.Duration{650 * time.Millisecond, 1290 * time.Millisecond} {
				killMidLoad(t, rate, run)
			}
		})
	}
}

// killMidLoad starts a child recording rate requests a second, kills it
// once it has run for about run, and checks what survived.
func killMidLoad(t *testing.T, rate int, run time.Duration) {
	path := filepath.Join(t.TempDir(), "routex.db")
	key := hex.EncodeToString(testKey(t))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidLoad$")
	cmd.Env = append(os.Environ(), "ROUTEX_KILL_CHILD="+path, "ROUTEX_KILL_KEY="+key, "ROUTEX_KILL_RATE="+strconv.Itoa(rate))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	defer cmd.Process.Kill()

	// The child prints a progress line before each tick's requests. Kill
	// once it has run for run, by its own clock; then read what it printed
	// before it died.
	lines := bufio.NewScanner(out)
	var p, last progress
	for lines.Scan() {
		if p, err = parseProgress(lines.Text()); err != nil {
			t.Fatal(err)
		}
		if p.elapsed >= run {
			break
		}
	}
	killAt := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	last = p
	for lines.Scan() {
		if last, err = parseProgress(lines.Text()); err != nil {
			t.Fatal(err)
		}
	}
	_ = cmd.Wait()
	if last.started == 0 {
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
	newest, err := s.Records(t.Context(), routex.RecordQuery{Limit: 1})
	must(t, err)
	window := last.elapsed // nothing survived: everything since the start
	if len(newest) == 1 {
		window = killAt.Sub(newest[0].Time)
	}
	lost := last.started - survived
	t.Logf("%d requests in %v (%.0f/s); reported written: %d; survived: %d; lost at most %d (%.1f%%), from the last %v",
		last.started, last.elapsed.Round(time.Millisecond), float64(last.started)/last.elapsed.Seconds(),
		last.written, survived, lost, 100*float64(lost)/float64(last.started), window.Round(time.Millisecond))
	if survived < last.written {
		t.Errorf("%d records survived, but %d were reported written", survived, last.written)
	}
	if survived > last.started {
		t.Errorf("%d records survived, more than the %d requests started", survived, last.started)
	}
}

// progress is one line of the child's: requests started so far, records
// the Store had accepted, and time since the first tick.
type progress struct {
	started, written int64
	elapsed          time.Duration
}

func parseProgress(line string) (progress, error) {
	var p progress
	var ns int64
	if _, err := fmt.Sscanf(line, "started %d written %d elapsed %d", &p.started, &p.written, &ns); err != nil {
		return p, fmt.Errorf("child's line %q: %w", line, err)
	}
	p.elapsed = time.Duration(ns)
	return p, nil
}

// killChild answers requests through a routex.Client at ROUTEX_KILL_RATE a
// second from an upstream that replies at once, with the Client's own
// Store writer settings, until it is killed.
func killChild() {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	key, _ := hex.DecodeString(os.Getenv("ROUTEX_KILL_KEY"))
	rate, err := strconv.Atoi(os.Getenv("ROUTEX_KILL_RATE"))
	if err != nil {
		fail(err)
	}
	s, err := sqlite.Open(ctx, os.Getenv("ROUTEX_KILL_CHILD"), sqlite.WithEncryptionKey(key))
	if err != nil {
		fail(err)
	}
	c, err := routex.New(
		routex.WithStore(s),
		routex.WithChannels(routex.Channel{ID: "up", Type: routex.FormatAnthropic, BaseURL: "http://upstream.test", APIKey: "sk-test", Models: []string{"m"}}),
		routex.WithTransport(cannedUpstream{}),
	)
	if err != nil {
		fail(err)
	}
	// A tick every 4 ms or more; 7 500/s is 30 requests a tick.
	perTick := max(1, rate/250)
	tick := time.NewTicker(time.Second * time.Duration(perTick) / time.Duration(rate))
	t0 := time.Now()
	var started int64
	for range tick.C {
		started += int64(perTick)
		// Before the requests, so that started is never short of what
		// the child may have recorded.
		fmt.Printf("started %d written %d elapsed %d\n", started, c.RecordStats().Written, time.Since(t0))
		for range perTick {
			if err := killRequest(c); err != nil {
				fail(err)
			}
		}
	}
}

const killBody = `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`

func killRequest(c *routex.Client) error {
	req, err := http.NewRequest(http.MethodPost, "http://routex/v1/messages", strings.NewReader(killBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := c.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// cannedUpstream answers every request with one Anthropic message, without
// a network, so that the child's rate is the Client's.
type cannedUpstream struct{}

const cannedMessage = `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi"}],` +
	`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`

func (cannedUpstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(cannedMessage)),
		ContentLength: int64(len(cannedMessage)), Request: req,
	}, nil
}

// BenchmarkFlushInterval measures what a shorter FlushInterval costs the
// Client's Store writer (analytics.Async with BatchSize 4096 into a
// database file): "full" records as fast as the writer takes them, and
// reports records/s; "rate=N" records N a second, paced by a ticker, and
// reports the writer's transactions a second and the time spent in them
// per record and per second of traffic.
func BenchmarkFlushInterval(b *testing.B) {
	for _, interval := range []time.Duration{100 * time.Millisecond, time.Second} {
		b.Run(fmt.Sprint("full/interval=", interval), func(b *testing.B) { benchFlushFull(b, interval) })
	}
	for _, rate := range []int{7500, 78} {
		for _, interval := range []time.Duration{100 * time.Millisecond, time.Second} {
			b.Run(fmt.Sprintf("rate=%d/interval=%v", rate, interval), func(b *testing.B) { benchFlushPaced(b, rate, interval) })
		}
	}
}

// timedSink counts the sink's calls and the time spent in them. The writer
// is one goroutine, so no lock is needed until the benchmark reads them
// after Close.
type timedSink struct {
	sink  analytics.Sink
	calls int
	busy  time.Duration
}

func (s *timedSink) write(ctx context.Context, batch []analytics.Record) error {
	start := time.Now()
	err := s.sink(ctx, batch)
	s.busy += time.Since(start)
	s.calls++
	return err
}

func benchFlushFull(b *testing.B, interval time.Duration) {
	s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
	defer s.Close()
	const queue = 1 << 16
	a := analytics.NewAsync(s.AddRecords, analytics.Settings{QueueSize: queue, BatchSize: 4096, FlushInterval: interval})
	t0 := time.Now()
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r := rolluptest.Record(n, t0)
		a.Record(r)
		n++
		// Wait for the writer when half the queue is behind, so that
		// nothing is dropped and the figure is the writer's rate.
		if n%4096 == 0 && uint64(n)-a.Written() > queue/2 {
			if err := a.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	if w := a.Written(); w != uint64(n) {
		b.Fatalf("%d records written, want %d", w, n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// benchFlushPaced runs one tick of records per iteration.
func benchFlushPaced(b *testing.B, rate int, interval time.Duration) {
	s := open(b, filepath.Join(b.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(b)))
	defer s.Close()
	ts := &timedSink{sink: s.AddRecords}
	a := analytics.NewAsync(ts.write, analytics.Settings{BatchSize: 4096, FlushInterval: interval})
	perTick := max(1, rate/250)
	tick := time.NewTicker(time.Second * time.Duration(perTick) / time.Duration(rate))
	defer tick.Stop()
	t0 := time.Now()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		<-tick.C
		for range perTick {
			a.Record(rolluptest.Record(n, t0))
			n++
		}
	}
	elapsed := b.Elapsed()
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	if w := a.Written(); w != uint64(n) {
		b.Fatalf("%d records written, want %d", w, n)
	}
	b.ReportMetric(float64(ts.calls)/elapsed.Seconds(), "writes/s")
	b.ReportMetric(float64(ts.busy.Microseconds())/float64(n), "write-µs/record")
	b.ReportMetric(float64(ts.busy.Milliseconds())/elapsed.Seconds(), "write-ms/s")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
}
