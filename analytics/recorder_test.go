package analytics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// batches is a Sink that hands a copy of every batch to a channel.
func batches(n int) (Sink, <-chan []Record) {
	ch := make(chan []Record, n)
	return func(_ context.Context, b []Record) error {
		ch <- append([]Record(nil), b...)
		return nil
	}, ch
}

func rec(i int) Record { return Record{RequestID: fmt.Sprintf("r%d", i), InputTokens: int64(i)} }

func ids(b []Record) []string {
	out := make([]string, len(b))
	for i, r := range b {
		out[i] = r.RequestID
	}
	return out
}

func equalIDs(t *testing.T, got []Record, want ...string) {
	t.Helper()
	g := ids(got)
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Fatalf("batch = %v, want %v", g, want)
	}
}

// newTest returns an Async whose timer only fires when the test sends on tick.
func newTest(t *testing.T, sink Sink, s Settings) (*Async, chan time.Time) {
	t.Helper()
	tick := make(chan time.Time)
	a := newAsync(sink, s, tick, func() {})
	t.Cleanup(func() { a.Close() })
	return a, tick
}

func TestAsyncBatchesBySize(t *testing.T) {
	sink, got := batches(10)
	a, _ := newTest(t, sink, Settings{BatchSize: 3})
	for i := range 3 {
		a.Record(rec(i))
	}
	equalIDs(t, <-got, "r0", "r1", "r2")
	for i := 3; i < 6; i++ {
		a.Record(rec(i))
	}
	equalIDs(t, <-got, "r3", "r4", "r5")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := a.Written(); n != 6 {
		t.Errorf("Written = %d, want 6", n)
	}
}

func TestAsyncBatchesByTime(t *testing.T) {
	sink, got := batches(10)
	a, tick := newTest(t, sink, Settings{BatchSize: 100})
	a.Record(rec(0))
	a.Record(rec(1))
	tick <- time.Time{}
	equalIDs(t, <-got, "r0", "r1")

	// A tick with nothing waiting writes nothing: the next batch holds
	// only the record that follows it.
	tick <- time.Time{}
	a.Record(rec(2))
	tick <- time.Time{}
	equalIDs(t, <-got, "r2")
}

func TestAsyncSplitsLargeBacklog(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var mu sync.Mutex
	var sizes []int
	sink := func(_ context.Context, b []Record) error {
		select {
		case started <- struct{}{}:
			<-release
		default:
		}
		mu.Lock()
		sizes = append(sizes, len(b))
		mu.Unlock()
		return nil
	}
	a, _ := newTest(t, sink, Settings{BatchSize: 2})
	a.Record(rec(0))
	a.Record(rec(1))
	<-started // the writer holds the first batch
	for i := 2; i < 7; i++ {
		a.Record(rec(i))
	}
	close(release)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sizes) != "[2 2 2 1]" {
		t.Errorf("batch sizes = %v, want [2 2 2 1]", sizes)
	}
}

func TestAsyncDropsWhenFull(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var written []string
	sink := func(_ context.Context, b []Record) error {
		once.Do(func() {
			close(started)
			<-release
		})
		mu.Lock()
		written = append(written, ids(b)...)
		mu.Unlock()
		return nil
	}
	var reports []string
	a, _ := newTest(t, sink, Settings{QueueSize: 4, BatchSize: 1, OnError: func(err error, n int) {
		// Called from the writer only, so no lock is needed until the test
		// reads reports after Flush.
		reports = append(reports, fmt.Sprintf("%v:%d", errors.Is(err, ErrQueueFull), n))
	}})

	a.Record(rec(0))
	<-started // r0 is in the sink and still counts against the queue
	for i := 1; i < 6; i++ {
		a.Record(rec(i))
	}
	if n := a.Dropped(); n != 2 {
		t.Fatalf("Dropped = %d, want 2", n)
	}
	close(release)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if fmt.Sprint(written) != "[r0 r1 r2 r3]" {
		t.Errorf("written = %v, want [r0 r1 r2 r3]", written)
	}
	mu.Unlock()
	if a.Written() != 4 {
		t.Errorf("Written = %d, want 4", a.Written())
	}
	if fmt.Sprint(reports) != "[true:2]" {
		t.Errorf("OnError reports = %v, want [true:2]", reports)
	}

	// Room again once the sink has caught up.
	a.Record(rec(6))
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Written() != 5 || a.Dropped() != 2 {
		t.Errorf("Written, Dropped = %d, %d; want 5, 2", a.Written(), a.Dropped())
	}
}

func TestAsyncCloseDrains(t *testing.T) {
	var mu sync.Mutex
	var written []string
	calls := 0
	sink := func(_ context.Context, b []Record) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		written = append(written, ids(b)...)
		return nil
	}
	a, _ := newTest(t, sink, Settings{BatchSize: 4})
	for i := range 10 {
		a.Record(rec(i))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got, n := fmt.Sprint(written), calls
	mu.Unlock()
	if got != "[r0 r1 r2 r3 r4 r5 r6 r7 r8 r9]" {
		t.Errorf("written = %v", got)
	}
	if n < 3 {
		t.Errorf("sink called %d times; batches of at most 4 need at least 3", n)
	}

	a.Record(rec(10))
	if a.Dropped() != 1 {
		t.Errorf("Dropped after Close = %d, want 1", a.Dropped())
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close = %v", err)
	}
	if a.Written() != 10 {
		t.Errorf("Written = %d, want 10", a.Written())
	}
}

func TestAsyncConcurrentRecord(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	sink := func(_ context.Context, b []Record) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range b {
			seen[r.RequestID]++
		}
		return nil
	}
	a, tick := newTest(t, sink, Settings{BatchSize: 64})
	const workers, each = 8, 1000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				a.Record(Record{RequestID: fmt.Sprintf("w%d-%d", w, i)})
				if i%250 == 0 {
					select {
					case tick <- time.Time{}:
					default:
					}
				}
			}
		})
	}
	// Flush while writers are still recording: it must return and must not
	// lose anything.
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Errorf("distinct records written = %d, want %d", len(seen), workers*each)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s written %d times", id, n)
		}
	}
	if a.Written() != workers*each || a.Dropped() != 0 || a.Failed() != 0 {
		t.Errorf("Written, Dropped, Failed = %d, %d, %d", a.Written(), a.Dropped(), a.Failed())
	}
}

func TestAsyncSinkError(t *testing.T) {
	errBoom := errors.New("boom")
	var reports []string // appended by the writer goroutine, read after Flush
	sink := func(_ context.Context, b []Record) error {
		if b[0].RequestID == "r0" {
			return errBoom
		}
		return nil
	}
	a, _ := newTest(t, sink, Settings{BatchSize: 3, OnError: func(err error, n int) {
		reports = append(reports, fmt.Sprintf("%v:%d", errors.Is(err, errBoom), n))
	}})
	for i := range 3 {
		a.Record(rec(i))
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Record(rec(3))
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(reports) != "[true:3]" {
		t.Errorf("OnError reports = %v, want [true:3]", reports)
	}
	if a.Failed() != 3 || a.Written() != 1 {
		t.Errorf("Failed, Written = %d, %d; want 3, 1", a.Failed(), a.Written())
	}
}

func TestAsyncCloseReportsLostRecords(t *testing.T) {
	errBoom := errors.New("boom")
	sink := func(context.Context, []Record) error { return errBoom }
	a, _ := newTest(t, sink, Settings{})
	a.Record(rec(0))
	a.Record(rec(1))
	err := a.Close()
	if !errors.Is(err, errBoom) {
		t.Fatalf("Close = %v, want an error wrapping %v", err, errBoom)
	}
	if again := a.Close(); again != err {
		t.Errorf("second Close = %v, want %v", again, err)
	}
	if a.Failed() != 2 {
		t.Errorf("Failed = %d, want 2", a.Failed())
	}
}

func TestAsyncFlushHonoursContext(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	sink := func(context.Context, []Record) error {
		close(started)
		<-release
		return nil
	}
	a, _ := newTest(t, sink, Settings{BatchSize: 1})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatalf("Flush with nothing queued = %v", err)
	}
	a.Record(rec(0))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with a stuck sink = %v, want context.Canceled", err)
	}
	close(release)
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Written() != 1 {
		t.Errorf("Written = %d, want 1", a.Written())
	}
}

func TestAsyncWriteTimeout(t *testing.T) {
	sink := func(ctx context.Context, _ []Record) error {
		<-ctx.Done()
		return ctx.Err()
	}
	var got error
	a, _ := newTest(t, sink, Settings{WriteTimeout: time.Millisecond, OnError: func(err error, _ int) { got = err }})
	a.Record(rec(0))
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("OnError got %v, want DeadlineExceeded", got)
	}
	if a.Failed() != 1 {
		t.Errorf("Failed = %d, want 1", a.Failed())
	}
}

func TestNewAsyncDefaults(t *testing.T) {
	sink, got := batches(1)
	a := NewAsync(sink, Settings{})
	defer a.Close()
	if a.settings.QueueSize != 65536 || a.settings.BatchSize != 512 || a.settings.FlushInterval != time.Second {
		t.Errorf("defaults = %+v", a.settings)
	}
	a.Record(rec(0))
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	equalIDs(t, <-got, "r0")
}

func TestMulti(t *testing.T) {
	var a, b []string
	ra := RecorderFunc(func(r Record) { a = append(a, r.RequestID) })
	rb := RecorderFunc(func(r Record) { b = append(b, r.RequestID) })
	m := Multi(nil, ra, Multi(rb, nil))
	m.Record(rec(0))
	m.Record(rec(1))
	if fmt.Sprint(a, b) != "[r0 r1] [r0 r1]" {
		t.Errorf("got %v %v", a, b)
	}
	Multi().Record(rec(2)) // no recorders: nothing to do, no panic
}

// TestMultiPanic checks that a recorder that panics keeps the record from
// none of the others, and that the panic still reaches Multi's caller.
func TestMultiPanic(t *testing.T) {
	var got []string
	boom := RecorderFunc(func(r Record) { panic("boom " + r.RequestID) })
	keep := RecorderFunc(func(r Record) { got = append(got, r.RequestID) })
	m := Multi(boom, keep, boom, keep)

	var v any
	func() {
		defer func() { v = recover() }()
		m.Record(rec(0))
	}()
	if fmt.Sprint(got) != "[r0 r0]" {
		t.Errorf("the recorders after a panicking one got %v, want [r0 r0]", got)
	}
	p, ok := v.(*PanicError)
	if !ok {
		t.Fatalf("Multi panicked with %#v, want a *PanicError", v)
	}
	if p.Value != "boom r0" || !strings.Contains(string(p.Stack), "TestMultiPanic") {
		t.Errorf("PanicError = %v with stack\n%s", p.Value, p.Stack)
	}

	// Nested, the first panic is passed on as it is, not wrapped again.
	func() {
		defer func() { v = recover() }()
		Multi(keep, Multi(boom, keep)).Record(rec(1))
	}()
	if p, ok := v.(*PanicError); !ok || p.Value != "boom r1" {
		t.Errorf("nested Multi panicked with %#v", v)
	}
}

func TestPanicErrorUnwraps(t *testing.T) {
	err := errors.New("boom")
	p := &PanicError{Value: err}
	if !errors.Is(p, err) || p.Error() != "analytics: recorder panicked: boom" {
		t.Errorf("PanicError %q does not wrap %v", p, err)
	}
	if (&PanicError{Value: 42}).Unwrap() != nil {
		t.Error("a PanicError of a non-error unwraps to something")
	}
}

func BenchmarkAsyncRecord(b *testing.B) {
	a := NewAsync(func(context.Context, []Record) error { return nil }, Settings{})
	defer a.Close()
	r := Record{Time: time.Now(), RequestID: "req", ChannelID: "ch", Model: "claude-sonnet-4-5", Status: 200}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Record(r)
		}
	})
	b.StopTimer()
	if err := a.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(a.Dropped())/float64(b.N), "dropped/op")
}

// BenchmarkAsyncRecordWritten measures the cost of a record that is queued
// and written (no drops): one goroutine records and waits for each batch.
func BenchmarkAsyncRecordWritten(b *testing.B) {
	a := NewAsync(func(context.Context, []Record) error { return nil }, Settings{BatchSize: 512})
	defer a.Close()
	r := Record{Time: time.Now(), RequestID: "req", ChannelID: "ch", Model: "claude-sonnet-4-5", Status: 200}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Record(r)
		if i%512 == 511 {
			if err := a.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if a.Dropped() != 0 {
		b.Fatalf("%d records dropped", a.Dropped())
	}
}

// A sink that is down keeps its records queued, in order, up to the
// queue's bound; past it records are dropped and counted; once the sink is
// back, everything queued is written.
func TestAsyncRetriesARefusingSink(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var written []string
	var tries atomic.Int32
	sink := func(_ context.Context, b []Record) error {
		tries.Add(1)
		if down.Load() {
			return errors.New("connection refused")
		}
		mu.Lock()
		for _, r := range b {
			written = append(written, r.RequestID)
		}
		mu.Unlock()
		return nil
	}
	// Drops are told since the last report, so the writer may tell them
	// in parts; what counts is that every report is a drop and they add
	// up to the 4.
	var reportedDrops, otherReports int
	var rmu sync.Mutex
	a, tick := newTest(t, sink, Settings{QueueSize: 10, BatchSize: 2, RetryFor: time.Minute, OnError: func(err error, n int) {
		rmu.Lock()
		if errors.Is(err, ErrQueueFull) {
			reportedDrops += n
		} else {
			otherReports++
		}
		rmu.Unlock()
	}})
	a.minBackoff = time.Millisecond
	for i := range 14 {
		a.Record(rec(i))
	}
	tick <- time.Now()
	deadline := time.Now().Add(5 * time.Second)
	for tries.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the refused batch was not tried again")
		}
		time.Sleep(time.Millisecond)
	}
	if a.Failed() != 0 || a.Dropped() != 4 || a.Written() != 0 {
		t.Errorf("while down: Failed, Dropped, Written = %d, %d, %d; want 0, 4, 0", a.Failed(), a.Dropped(), a.Written())
	}
	down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := fmt.Sprint(written)
	mu.Unlock()
	if want := "[r0 r1 r2 r3 r4 r5 r6 r7 r8 r9]"; got != want {
		t.Errorf("written %s, want %s", got, want)
	}
	rmu.Lock()
	if reportedDrops != 4 || otherReports != 0 {
		t.Errorf("OnError told %d dropped and %d other losses, want only the 4 dropped", reportedDrops, otherReports)
	}
	rmu.Unlock()
	if a.Failed() != 0 || a.Written() != 10 {
		t.Errorf("Failed, Written = %d, %d; want 0, 10", a.Failed(), a.Written())
	}
}

// A sink down for longer than RetryFor loses the batch, counted and
// reported; Close tries once more and says what it could not write.
func TestAsyncRetryGivesUp(t *testing.T) {
	errBoom := errors.New("boom")
	sink := func(context.Context, []Record) error { return errBoom }
	lost := make(chan int, 10)
	a, tick := newTest(t, sink, Settings{BatchSize: 2, RetryFor: 20 * time.Millisecond, OnError: func(err error, n int) {
		if errors.Is(err, errBoom) {
			lost <- n
		}
	}})
	a.minBackoff = time.Millisecond
	a.Record(rec(0))
	a.Record(rec(1))
	tick <- time.Now()
	select {
	case n := <-lost:
		if n != 2 {
			t.Errorf("lost %d, want the batch of 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the batch was never given up")
	}
	if a.Failed() != 2 {
		t.Errorf("Failed = %d, want 2", a.Failed())
	}
	a.Record(rec(2))
	if err := a.Close(); !errors.Is(err, errBoom) {
		t.Errorf("Close = %v, want the sink's error", err)
	}
	if a.Failed() != 3 {
		t.Errorf("Failed = %d after Close, want 3", a.Failed())
	}
}
