package analytics

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder receives one Record per request. Record must not block: it is
// called on the request path. Implementations must be safe for concurrent use.
type Recorder interface {
	Record(r Record)
}

// RecorderFunc adapts a function to a Recorder. The function must not block.
type RecorderFunc func(Record)

// Record calls f(r).
func (f RecorderFunc) Record(r Record) { f(r) }

// Multi returns a Recorder that hands each record to every one of rs, in
// order. Nil recorders are skipped.
//
// A recorder that panics does not keep the record from the others: Multi
// recovers the panic, goes on with the rest, and then panics with a
// *PanicError that carries the first panic's value and stack, so that the
// fault is reported to Multi's caller rather than lost. A routex.Client
// recovers and logs a recorder's panic, so that it never reaches the
// caller's answer.
func Multi(rs ...Recorder) Recorder {
	var list multi
	for _, r := range rs {
		switch r := r.(type) {
		case nil:
		case multi:
			list = append(list, r...)
		default:
			list = append(list, r)
		}
	}
	if len(list) == 1 {
		return list[0]
	}
	return list
}

type multi []Recorder

func (m multi) Record(r Record) {
	var first *PanicError
	for _, rec := range m {
		if p := recordOne(rec, r); p != nil && first == nil {
			first = p
		}
	}
	if first != nil {
		panic(first)
	}
}

// recordOne hands r to rec and returns its panic, if it panics.
func recordOne(rec Recorder, r Record) (p *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			var ok bool
			// From a Multi inside this one: already carries its stack.
			if p, ok = v.(*PanicError); !ok {
				p = &PanicError{Value: v, Stack: debug.Stack()}
			}
		}
	}()
	rec.Record(r)
	return nil
}

// PanicError is a Recorder's panic that Multi recovered: Value is what the
// recorder panicked with, Stack the panicking goroutine's stack trace.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("analytics: recorder panicked: %v", e.Value) }

// Unwrap returns Value when it is an error, so errors.Is and errors.As see
// through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Sink persists a batch of records, for example Store.AddRecords. It is
// called from a single goroutine, one batch at a time. The batch is reused
// once Sink returns, so Sink must copy what it keeps.
type Sink func(ctx context.Context, batch []Record) error

// ErrQueueFull is reported to Settings.OnError when records were dropped
// because the queue was full.
var ErrQueueFull = errors.New("analytics: queue full, records dropped")

// Settings configures an Async recorder. The zero value of every field
// selects its documented default.
type Settings struct {
	// QueueSize bounds the records held in memory that the sink has not yet
	// accepted, counting the batch being written. Past it, Record drops.
	// Zero means 65 536.
	QueueSize int
	// BatchSize is how many waiting records trigger a write, and the most
	// records handed to the sink in one call. Zero means 512.
	BatchSize int
	// FlushInterval bounds how long a record waits before it is written
	// when fewer than BatchSize are waiting. Records wait in memory, so it
	// also bounds what a crash of the process (SIGKILL, out of memory)
	// loses: the records of about the last interval, plus those of a write
	// under way. Zero means one second; a routex.Client's Store writer
	// makes it 100 ms.
	FlushInterval time.Duration
	// WriteTimeout bounds each call to the sink through its context, so a
	// stuck store cannot hold up Close forever. Zero means no limit.
	WriteTimeout time.Duration
	// RetryFor is how long a batch the sink refused is tried again before
	// it is given up: the sink may be a database that restarts. Retries
	// go oldest batch first, waiting from 100 ms doubling to 5 s between
	// tries; the batch keeps its place in the queue meanwhile, so a sink
	// that stays down fills the queue, and past it records are dropped and
	// counted (Dropped). Close tries once more, then gives up. Zero tries
	// each batch once.
	RetryFor time.Duration
	// OnError, if set, is told when records are lost. When the sink
	// refuses a batch, err wraps the sink's error and dropped is the
	// batch's size. When records were dropped because the queue was full,
	// err is ErrQueueFull and dropped counts them since the last report.
	// It is called from the writer goroutine, never while a lock is held;
	// writing waits for it, so it should return quickly, and it must not
	// call Flush or Close, which wait for the writer.
	OnError func(err error, dropped int)
}

// Async is a Recorder that queues records and hands them to a Sink in
// batches from one background goroutine, so the request path never waits on
// storage. When the queue is full, Record drops the record and counts it
// (see Dropped) rather than block the request. Close drains the queue.
//
// Async is safe for concurrent use.
type Async struct {
	sink      Sink
	settings  Settings
	queueSize uint64
	batchSize int

	// Records are queued in chunks of batchSize so that a backlog never
	// means copying one large slice, and each chunk is one sink call.
	mu         sync.Mutex
	cur        []Record   // chunk being filled
	full       [][]Record // filled chunks, oldest first
	free       [][]Record // emptied chunks kept for reuse
	accepted   uint64     // records ever accepted
	done       uint64     // records the sink has returned from
	unreported int        // records dropped as queue-full, not yet told to OnError
	waiters    []flushWaiter
	closed     bool

	taken [][]Record // the writer's own list of chunks being written

	wake   chan struct{} // a chunk filled up, or Flush wants everything
	quit   chan struct{}
	exited chan struct{}

	closeOnce sync.Once
	closeErr  error

	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64

	// The writer's retry state: since when the sink has refused, and the
	// wait before the next try.
	failingSince time.Time
	backoff      time.Duration
	minBackoff   time.Duration
	// What the final drain could not write, for Close's error.
	closeFailed int
	closeCause  error
}

// Retry waits, see Settings.RetryFor.
const (
	minRetryWait = 100 * time.Millisecond
	maxRetryWait = 5 * time.Second
)

// maxFree bounds the chunks kept for reuse, so memory taken by a burst is
// given back once the writer has caught up.
const maxFree = 4

var _ Recorder = (*Async)(nil)

type flushWaiter struct {
	target uint64 // done count that satisfies the waiter
	ch     chan struct{}
}

// NewAsync returns an Async that writes to sink and starts its writer
// goroutine. Call Close to stop it.
func NewAsync(sink Sink, s Settings) *Async {
	t := time.NewTicker(interval(s.FlushInterval))
	return newAsync(sink, s, t.C, t.Stop)
}

func interval(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Second
	}
	return d
}

// newAsync takes the flush tick as a channel so tests can drive it.
func newAsync(sink Sink, s Settings, tick <-chan time.Time, stopTick func()) *Async {
	if s.QueueSize <= 0 {
		s.QueueSize = 1 << 16
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 512
	}
	// A batch larger than the queue could never fill, so the size trigger
	// would never fire.
	s.BatchSize = min(s.BatchSize, s.QueueSize)
	s.FlushInterval = interval(s.FlushInterval)
	a := &Async{
		sink:       sink,
		settings:   s,
		queueSize:  uint64(s.QueueSize),
		batchSize:  s.BatchSize,
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		exited:     make(chan struct{}),
		minBackoff: minRetryWait,
	}
	go a.run(tick, stopTick)
	return a
}

// Record queues r for writing. It never waits for the sink: when the queue
// is full, or after Close, r is dropped and counted in Dropped.
func (a *Async) Record(r Record) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.dropped.Add(1)
		return
	}
	if a.accepted-a.done >= a.queueSize {
		a.unreported++
		a.mu.Unlock()
		a.dropped.Add(1)
		return
	}
	if a.cur == nil {
		if n := len(a.free); n > 0 {
			a.cur, a.free[n-1] = a.free[n-1], nil
			a.free = a.free[:n-1]
		} else {
			a.cur = make([]Record, 0, a.batchSize)
		}
	}
	a.cur = append(a.cur, r)
	a.accepted++
	filled := len(a.cur) == a.batchSize
	if filled {
		a.full = append(a.full, a.cur)
		a.cur = nil
	}
	a.mu.Unlock()
	if filled {
		a.signal()
	}
}

func (a *Async) signal() {
	select {
	case a.wake <- struct{}{}:
	default: // a wake-up is already pending; the writer drains everything
	}
}

// Dropped returns how many records were dropped because the queue was full
// or the recorder was closed.
func (a *Async) Dropped() uint64 { return a.dropped.Load() }

// Written returns how many records the sink accepted.
func (a *Async) Written() uint64 { return a.written.Load() }

// Failed returns how many records were in batches the sink refused.
func (a *Async) Failed() uint64 { return a.failed.Load() }

// Flush waits until every record queued before the call has been handed to
// the sink and the sink has returned, or until ctx is done. Records the sink
// refused count as handed over; see Failed and Settings.OnError.
func (a *Async) Flush(ctx context.Context) error {
	a.mu.Lock()
	target := a.accepted
	if a.done >= target {
		a.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	a.waiters = append(a.waiters, flushWaiter{target: target, ch: ch})
	a.mu.Unlock()
	a.signal()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting records, writes everything already queued, and stops
// the writer goroutine. It returns an error if the sink refused records
// during that final drain. Later calls return the same result.
func (a *Async) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		close(a.quit)
		<-a.exited
	})
	return a.closeErr
}

func (a *Async) run(tick <-chan time.Time, stopTick func()) {
	defer close(a.exited)
	defer stopTick()
	// While a refused batch waits for its next try, the writer only
	// waits with it: newer records queue behind it.
	var retry *time.Timer
	var again <-chan time.Time
	armed := false
	arm := func(waiting bool) {
		if !waiting {
			return
		}
		if retry == nil {
			retry = time.NewTimer(a.backoff)
			again = retry.C
		} else {
			retry.Reset(a.backoff)
		}
		armed = true
	}
	for {
		select {
		case <-a.wake:
			if !armed {
				arm(a.drain(false, true))
			}
		case <-tick:
			if !armed {
				arm(a.drain(true, true))
			}
		case <-again:
			armed = false
			arm(a.drain(true, true))
		case <-a.quit:
			if retry != nil {
				retry.Stop()
			}
			a.drain(true, false)
			if a.closeFailed > 0 {
				a.closeErr = fmt.Errorf("analytics: %d records not written on close: %w", a.closeFailed, a.closeCause)
			}
			return
		}
	}
}

// drain writes the filled chunks, and the partly filled one too when all is
// set or a Flush is waiting. It loops until nothing is left to take, so
// chunks that fill during a slow write go out without waiting for a tick.
// With mayRetry, a chunk the sink refuses within Settings.RetryFor stays
// first in line and drain reports true: the writer tries again after
// a.backoff. Refused chunks given up are counted and reported.
func (a *Async) drain(all, mayRetry bool) (waiting bool) {
	for {
		a.mu.Lock()
		lost := a.unreported
		a.unreported = 0
		a.taken = append(a.taken, a.full...)
		clear(a.full)
		a.full = a.full[:0]
		if (all || len(a.waiters) > 0) && len(a.cur) > 0 {
			a.taken = append(a.taken, a.cur)
			a.cur = nil
		}
		a.mu.Unlock()
		all = false

		if lost > 0 {
			a.report(ErrQueueFull, lost)
		}
		if len(a.taken) == 0 {
			return false
		}
		written := 0
		for _, c := range a.taken {
			// A full slice expression, so a sink that appends cannot write
			// into the chunk's spare capacity.
			if err := a.write(c[:len(c):len(c)]); err != nil {
				if mayRetry && a.keep() {
					break
				}
				a.failed.Add(uint64(len(c)))
				err = fmt.Errorf("analytics: sink refused %d records: %w", len(c), err)
				a.report(err, len(c))
				if !mayRetry {
					a.closeFailed += len(c)
					if a.closeCause == nil {
						a.closeCause = err
					}
				}
			} else {
				a.failingSince, a.backoff = time.Time{}, 0
				a.written.Add(uint64(len(c)))
			}
			written++
			// Drop the strings the records point to before reuse.
			clear(c)
			a.mu.Lock()
			a.done += uint64(len(c))
			a.release()
			if len(a.free) < maxFree {
				a.free = append(a.free, c[:0])
			}
			a.mu.Unlock()
		}
		n := copy(a.taken, a.taken[written:])
		clear(a.taken[n:])
		a.taken = a.taken[:n]
		if n > 0 {
			return true
		}
	}
}

// keep reports whether a refused chunk is tried again, and sets the wait.
func (a *Async) keep() bool {
	if a.settings.RetryFor <= 0 {
		return false
	}
	now := time.Now()
	if a.failingSince.IsZero() {
		a.failingSince = now
	}
	if now.Sub(a.failingSince) >= a.settings.RetryFor {
		return false
	}
	a.backoff = min(max(2*a.backoff, a.minBackoff), maxRetryWait)
	return true
}

func (a *Async) write(batch []Record) error {
	ctx := context.Background()
	if a.settings.WriteTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.settings.WriteTimeout)
		defer cancel()
	}
	return a.sink(ctx, batch)
}

func (a *Async) report(err error, n int) {
	if a.settings.OnError != nil {
		a.settings.OnError(err, n)
	}
}

// release wakes the Flush calls whose records have all been written. Targets
// were taken from a growing counter, so waiters are in target order.
// a.mu must be held.
func (a *Async) release() {
	i := 0
	for i < len(a.waiters) && a.waiters[i].target <= a.done {
		close(a.waiters[i].ch)
		i++
	}
	if i > 0 {
		a.waiters = append(a.waiters[:0], a.waiters[i:]...)
	}
}
