package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

func testWatch(t *testing.T, s routex.Store) {
	ctx := t.Context()
	// Token, key and setting changes are told too.
	ts, ks, ss := tokenStore(t, s), keyStore(t, s), settingStore(t, s)
	var n atomic.Int32
	stop := s.Watch(func() { n.Add(1) })

	renamed := channelA()
	renamed.Name = "renamed"
	// Each step's count is checked as soon as the call returns: Watch
	// callbacks run before the writing call returns.
	for _, step := range []struct {
		name string
		do   func() error
		want int32
	}{
		{"PutChannel", func() error { return s.PutChannel(ctx, channelA()) }, 1},
		{"PutChannel replacing", func() error { return s.PutChannel(ctx, renamed) }, 2},
		{"PutRule", func() error { return s.PutRule(ctx, ruleFull()) }, 3},
		{"SetStrategy", func() error { return s.SetStrategy(ctx, "weighted") }, 4},
		{"DeleteRule", func() error { return s.DeleteRule(ctx, "full") }, 5},
		{"DeleteChannel", func() error { return s.DeleteChannel(ctx, "a") }, 6},
		{"PutSession", func() error {
			return s.PutSession(ctx, routex.Session{Key: "k", ChannelID: "a", ExpiresAt: t0})
		}, 6},
		{"DeleteSession", func() error { return s.DeleteSession(ctx, "k") }, 6},
		{"AddRecords", func() error { return s.AddRecords(ctx, []analytics.Record{{Time: t0, RequestID: "x"}}) }, 6},
		{"PutToken", func() error { return ts.PutToken(ctx, tokenA()) }, 7},
		{"DeleteToken", func() error { return ts.DeleteToken(ctx, "a") }, 8},
		{"PutKey", func() error { return ks.PutKey(ctx, keyA()) }, 9},
		{"DeleteKey", func() error { return ks.DeleteKey(ctx, keyA().ID) }, 10},
		{"PutSetting", func() error { return ss.PutSetting(ctx, "admin.user", "root") }, 11},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := n.Load(); got != step.want {
			t.Fatalf("after %s: %d calls, want %d", step.name, got, step.want)
		}
	}

	// Failed writes change nothing, so there is nothing to tell.
	mustNotFound(t, "DeleteChannel", s.DeleteChannel(ctx, "a"))
	mustNotFound(t, "DeleteRule", s.DeleteRule(ctx, "full"))
	mustNoToken(t, "DeleteToken", ts.DeleteToken(ctx, "a"))
	mustNotFound(t, "DeleteKey", ks.DeleteKey(ctx, keyA().ID))
	if got := n.Load(); got != 11 {
		t.Fatalf("after failed deletes: %d calls, want 11", got)
	}

	var n2 atomic.Int32
	stop2 := s.Watch(func() { n2.Add(1) })
	must(t, s.PutChannel(ctx, channelB()))
	if n.Load() != 12 || n2.Load() != 1 {
		t.Fatalf("with two watchers: %d and %d calls, want 12 and 1", n.Load(), n2.Load())
	}

	stop()
	must(t, s.SetStrategy(ctx, "priority"))
	if n.Load() != 12 || n2.Load() != 2 {
		t.Fatalf("after stopping the first: %d and %d calls, want 12 and 2", n.Load(), n2.Load())
	}
	stop() // stopping twice is harmless
	stop2()
	must(t, s.DeleteChannel(ctx, "b"))
	if n.Load() != 12 || n2.Load() != 2 {
		t.Fatalf("after stopping both: %d and %d calls, want 12 and 2", n.Load(), n2.Load())
	}
}

// testWatchReads checks that a callback may read the Store, as routex does
// to rebuild its snapshot, and that it sees the change it is told about.
func testWatchReads(t *testing.T, s routex.Store) {
	ctx := t.Context()
	var seen []string // written by the callback, in the writing goroutine
	stop := s.Watch(func() {
		cs, err := s.Channels(ctx)
		if err != nil {
			seen = append(seen, "error: "+err.Error())
			return
		}
		rs, err := s.Rules(ctx)
		if err != nil {
			seen = append(seen, "error: "+err.Error())
			return
		}
		st, err := s.Strategy(ctx)
		if err != nil {
			seen = append(seen, "error: "+err.Error())
			return
		}
		seen = append(seen, fmt.Sprintf("channels=%d rules=%d strategy=%q", len(cs), len(rs), st))
	})
	defer stop()

	// A callback run under the Store's lock would deadlock here, so each
	// write runs in its own goroutine with a generous bound.
	write := func(name string, fn func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- fn() }()
		select {
		case err := <-done:
			must(t, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not return: a Watch callback that reads the Store deadlocked", name)
		}
	}
	write("PutChannel", func() error { return s.PutChannel(ctx, channelA()) })
	write("PutRule", func() error { return s.PutRule(ctx, ruleBare()) })
	write("SetStrategy", func() error { return s.SetStrategy(ctx, "latency") })
	write("DeleteChannel", func() error { return s.DeleteChannel(ctx, "a") })

	want := []string{
		`channels=1 rules=0 strategy=""`,
		`channels=1 rules=1 strategy=""`,
		`channels=1 rules=1 strategy="latency"`,
		`channels=0 rules=1 strategy="latency"`,
	}
	if !slices.Equal(seen, want) {
		t.Errorf("callbacks saw:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// testConcurrent runs writers and readers at once (meant for -race) and then
// checks that every write landed.
func testConcurrent(t *testing.T, s routex.Store) {
	ctx := t.Context()
	const workers, perWorker = 4, 24
	var notified atomic.Int64
	stop := s.Watch(func() { notified.Add(1) })
	defer stop()

	var writers sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		if err != nil {
			select {
			case errs <- err:
			default:
			}
		}
	}
	for w := range workers {
		writers.Go(func() { // configuration: puts, then deletes of the odd ones
			for i := range perWorker {
				c := channelB()
				c.ID = fmt.Sprintf("w%d-%02d", w, i)
				c.Models = []string{"m"}
				report(s.PutChannel(ctx, c))
			}
			for i := 1; i < perWorker; i += 2 {
				report(s.DeleteChannel(ctx, fmt.Sprintf("w%d-%02d", w, i)))
			}
			r := ruleBare()
			r.ID = fmt.Sprint("w", w)
			report(s.PutRule(ctx, r))
			report(s.SetStrategy(ctx, fmt.Sprint("w", w)))
		})
		writers.Go(func() { // usage: 10 batches of 10
			for b := range 10 {
				recs := make([]analytics.Record, 10)
				for i := range recs {
					recs[i] = analytics.Record{
						Time:      t0.Add(time.Duration(w*1000+b*10+i) * time.Millisecond),
						RequestID: fmt.Sprintf("w%d-%d-%d", w, b, i),
						ChannelID: fmt.Sprint("w", w), Status: 200, InputTokens: 1,
					}
				}
				report(s.AddRecords(ctx, recs))
			}
		})
		writers.Go(func() { // sessions
			for i := range perWorker {
				report(s.PutSession(ctx, routex.Session{Key: fmt.Sprintf("w%d-%d", w, i), ChannelID: "a", ExpiresAt: t0.Add(time.Hour)}))
			}
		})
	}

	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				cs, err := s.Channels(ctx)
				report(err)
				if !slices.IsSortedFunc(cs, func(a, b routex.Channel) int { return strings.Compare(a.ID, b.ID) }) {
					report(fmt.Errorf("Channels not sorted by ID"))
				}
				_, err = s.Rules(ctx)
				report(err)
				_, err = s.Strategy(ctx)
				report(err)
				_, err = s.Sessions(ctx, t0)
				report(err)
				_, err = s.Records(ctx, routex.RecordQuery{Limit: 50})
				report(err)
				_, err = s.Aggregate(ctx, routex.AggregateQuery{GroupBy: routex.GroupChannel, Bucket: time.Second})
				report(err)
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var want []string
	for w := range workers {
		for i := 0; i < perWorker; i += 2 {
			want = append(want, fmt.Sprintf("w%d-%02d", w, i))
		}
	}
	var got []string
	for _, c := range channels(t, s) {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("channels after concurrent writes:\n got %v\nwant %v", got, want)
	}
	if rs := rules(t, s); len(rs) != workers {
		t.Errorf("%d rules, want %d", len(rs), workers)
	}
	if st, err := s.Strategy(ctx); err != nil || len(st) != 2 || st[0] != 'w' {
		t.Errorf("Strategy = %q, %v; want one of the workers' names", st, err)
	}
	if ss, err := s.Sessions(ctx, t0); err != nil || len(ss) != workers*perWorker {
		t.Errorf("%d sessions (%v), want %d", len(ss), err, workers*perWorker)
	}
	// Each worker: perWorker puts, perWorker/2 deletes, one rule, one strategy.
	if got, want := notified.Load(), int64(workers*(perWorker+perWorker/2+2)); got != want {
		t.Errorf("Watch called %d times, want %d", got, want)
	}

	recs, err := s.Records(ctx, routex.RecordQuery{Limit: 1000})
	must(t, err)
	if len(recs) != workers*100 {
		t.Errorf("%d records, want %d", len(recs), workers*100)
	}
	if !slices.IsSortedFunc(recs, func(a, b analytics.Record) int { return b.Time.Compare(a.Time) }) {
		t.Error("records are not newest first")
	}
	want = nil
	for w := range workers {
		want = append(want, fmt.Sprintf("- w%d req=100 err=0 in=100 out=0 cr=0 cw=0 lat=0s/0s/0s ttfb=0s", w))
	}
	checkAggregate(t, s, routex.AggregateQuery{GroupBy: routex.GroupChannel}, want...)
}

func testClose(t *testing.T, s routex.Store) {
	ctx := t.Context()
	must(t, s.PutChannel(ctx, channelA()))
	must(t, s.Close())
	if _, err := s.Channels(ctx); err == nil {
		t.Error("Channels after Close returned no error")
	}
	if err := s.PutChannel(ctx, channelB()); err == nil {
		t.Error("PutChannel after Close returned no error")
	}
	if err := s.AddRecords(ctx, []analytics.Record{{Time: t0}}); err == nil {
		t.Error("AddRecords after Close returned no error")
	}
	if _, err := s.Records(ctx, routex.RecordQuery{}); err == nil {
		t.Error("Records after Close returned no error")
	}
}
