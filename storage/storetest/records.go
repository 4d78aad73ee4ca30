package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

// usage is the fixture for the record and aggregate tests. Every expected
// value below was worked out by hand from this table:
//
//	id  time      channel model key status failed  in  out cr cw latency ttfb  cost
//	r7  09:59:59  a       m1    k1  200    -     1000 100  0  0  600ms   60ms  -
//	r1  10:00:00  a       m1    k1  200    -      100  10  5  1  100ms   10ms  0.00123
//	r2  10:00:30  a       m2    k2  500    yes    200   0  0  0  300ms   30ms  -
//	r3  10:01:10  b       m1    k1  200    -       50  20  0  2  200ms   20ms  -
//	r4  10:01:30  a       m1    k1  200    yes     10   5  0  0  400ms   40ms  0.002   (Error set)
//	r5  11:01:40  b       m2    k2  429    yes      0   0  0  0   50ms    5ms  -
//	r6  11:02:00  a       m1    k2  200    -      300  30 10  0  500ms   50ms  0.0004
//
// A cost of "-" is unknown (nil) and must stay so.
func usage() map[string]analytics.Record {
	ms := time.Millisecond
	return map[string]analytics.Record{
		"r7": {Time: t0.Add(-time.Second), RequestID: "r7", ChannelID: "a", Model: "m1", KeyID: "k1", Status: 200,
			InputTokens: 1000, OutputTokens: 100, Latency: 600 * ms, TTFB: 60 * ms},
		// r1 sets every field, to check that each one round-trips.
		"r1": {
			Time: t0, RequestID: "r1",
			ChannelID: "a", ChannelName: "Anthropic direct", KeyID: "k1",
			Model: "m1", UpstreamModel: "m1-2025", InboundFormat: "openai", UpstreamFormat: "anthropic", Stream: true,
			Status: 200, Latency: 100 * ms, TTFB: 10 * ms, Attempts: 2,
			InputTokens: 100, OutputTokens: 10, CacheReadTokens: 5, CacheWriteTokens: 1,
			Rule: "long-context", Session: "sess-1", Cost: ptr(0.00123),
		},
		"r2": {Time: t0.Add(30 * time.Second), RequestID: "r2", ChannelID: "a", Model: "m2", KeyID: "k2", Status: 500,
			Error: "upstream 500", Attempts: 3, InputTokens: 200, Latency: 300 * ms, TTFB: 30 * ms},
		"r3": {Time: t0.Add(70 * time.Second), RequestID: "r3", ChannelID: "b", Model: "m1", KeyID: "k1", Status: 200,
			InputTokens: 50, OutputTokens: 20, CacheWriteTokens: 2, Latency: 200 * ms, TTFB: 20 * ms},
		"r4": {Time: t0.Add(90 * time.Second), RequestID: "r4", ChannelID: "a", Model: "m1", KeyID: "k1", Status: 200,
			Error: "stream cut", Stream: true, InputTokens: 10, OutputTokens: 5, Latency: 400 * ms, TTFB: 40 * ms, Cost: ptr(0.002)},
		// r5 is written in another zone; only the instant matters.
		"r5": {Time: t0.Add(3700 * time.Second).In(time.FixedZone("X", -7*3600)), RequestID: "r5", ChannelID: "b", Model: "m2", KeyID: "k2",
			Status: 429, Latency: 50 * ms, TTFB: 5 * ms},
		"r6": {Time: t0.Add(3720 * time.Second), RequestID: "r6", ChannelID: "a", Model: "m1", KeyID: "k2", Status: 200,
			InputTokens: 300, OutputTokens: 30, CacheReadTokens: 10, Latency: 500 * ms, TTFB: 50 * ms, Cost: ptr(0.0004)},
	}
}

func ptr[T any](v T) *T { return &v }

// addUsage stores the fixture out of time order and over several calls, as
// an asynchronous recorder would.
func addUsage(t *testing.T, s routex.Store) map[string]analytics.Record {
	t.Helper()
	u := usage()
	for _, batch := range [][]string{{"r3", "r1"}, {"r6", "r7", "r2"}, {"r5", "r4"}} {
		recs := make([]analytics.Record, len(batch))
		for i, id := range batch {
			recs[i] = u[id]
		}
		must(t, s.AddRecords(t.Context(), recs))
		// The caller may reuse its slice once AddRecords returns, as
		// analytics.Async does.
		for i := range recs {
			recs[i].RequestID, recs[i].Model = "reused", "reused"
		}
	}
	return u
}

func sameRecord(a, b analytics.Record) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func testRecords(t *testing.T, s routex.Store) {
	u := addUsage(t, s)
	must(t, s.AddRecords(t.Context(), nil)) // adding nothing is not an error

	for _, tt := range []struct {
		name string
		q    routex.RecordQuery
		want string
	}{
		{"all, newest first", routex.RecordQuery{}, "r6 r5 r4 r3 r2 r1 r7"},
		{"window", routex.RecordQuery{From: t0, To: t0.Add(time.Hour)}, "r4 r3 r2 r1"},
		{"From inclusive, To exclusive", routex.RecordQuery{From: u["r3"].Time, To: u["r6"].Time}, "r5 r4 r3"},
		{"From only", routex.RecordQuery{From: t0.Add(time.Hour)}, "r6 r5"},
		{"To only", routex.RecordQuery{To: t0.Add(time.Second)}, "r1 r7"},
		{"channel a", routex.RecordQuery{ChannelID: "a"}, "r6 r4 r2 r1 r7"},
		{"channel b", routex.RecordQuery{ChannelID: "b"}, "r5 r3"},
		{"unknown channel", routex.RecordQuery{ChannelID: "zzz"}, ""},
		{"model", routex.RecordQuery{Model: "m2"}, "r5 r2"},
		{"key", routex.RecordQuery{KeyID: "k2"}, "r6 r5 r2"},
		{"status 500", routex.RecordQuery{Status: 500}, "r2"},
		{"status 200", routex.RecordQuery{Status: 200}, "r6 r4 r3 r1 r7"},
		{"failed", routex.RecordQuery{Failed: true}, "r5 r4 r2"},
		{"filters combine", routex.RecordQuery{ChannelID: "a", Model: "m1", KeyID: "k1"}, "r4 r1 r7"},
		{"filters combine with failed", routex.RecordQuery{ChannelID: "a", Model: "m1", KeyID: "k1", Failed: true}, "r4"},
		{"first page", routex.RecordQuery{Limit: 3}, "r6 r5 r4"},
		{"second page", routex.RecordQuery{Limit: 3, Offset: 3}, "r3 r2 r1"},
		{"last page", routex.RecordQuery{Limit: 3, Offset: 6}, "r7"},
		{"past the end", routex.RecordQuery{Limit: 3, Offset: 7}, ""},
		{"paging after filtering", routex.RecordQuery{ChannelID: "a", Limit: 2, Offset: 1}, "r4 r2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Records(t.Context(), tt.q)
			must(t, err)
			ids := make([]string, len(got))
			for i, r := range got {
				ids[i] = r.RequestID
			}
			if strings.Join(ids, " ") != tt.want {
				t.Fatalf("Records = %q, want %q", strings.Join(ids, " "), tt.want)
			}
			for _, r := range got {
				if !sameRecord(r, u[r.RequestID]) {
					t.Errorf("record %s:\n got %+v\nwant %+v", r.RequestID, r, u[r.RequestID])
				}
			}
		})
	}
}

func testRecordsDefaultLimit(t *testing.T, s routex.Store) {
	recs := make([]analytics.Record, 150)
	for i := range recs {
		recs[i] = analytics.Record{Time: t0.Add(time.Duration(i) * time.Second), RequestID: fmt.Sprint(i), Status: 200}
	}
	must(t, s.AddRecords(t.Context(), recs))
	for _, tt := range []struct {
		q           routex.RecordQuery
		n           int
		first, last string
	}{
		{routex.RecordQuery{}, 100, "149", "50"},
		{routex.RecordQuery{Offset: 100}, 50, "49", "0"},
		{routex.RecordQuery{Limit: 200}, 150, "149", "0"},
	} {
		got, err := s.Records(t.Context(), tt.q)
		must(t, err)
		if len(got) != tt.n || got[0].RequestID != tt.first || got[len(got)-1].RequestID != tt.last {
			t.Errorf("Records(%+v): %d records from %s to %s, want %d from %s to %s",
				tt.q, len(got), got[0].RequestID, got[len(got)-1].RequestID, tt.n, tt.first, tt.last)
		}
	}
}

// aggLine renders an Aggregate on one line so a mismatch reads as a diff:
// bucket (UTC, "-" when not bucketed), group, requests, errors, the four
// token sums, latency p50/p95/p99 and TTFB p50.
func aggLine(a routex.Aggregate) string {
	b := "-"
	if !a.Bucket.IsZero() {
		b = a.Bucket.UTC().Format("2006-01-02T15:04")
	}
	return fmt.Sprintf("%s %s req=%d err=%d in=%d out=%d cr=%d cw=%d lat=%v/%v/%v ttfb=%v",
		b, a.Group, a.Requests, a.Errors, a.InputTokens, a.OutputTokens, a.CacheReadTokens, a.CacheWriteTokens,
		a.LatencyP50, a.LatencyP95, a.LatencyP99, a.TTFBP50)
}

// aggCostLine is aggLine with the cost, to six significant digits, and the
// unpriced count after the token sums.
func aggCostLine(a routex.Aggregate) string {
	line := aggLine(a)
	at := strings.Index(line, " lat=")
	return fmt.Sprintf("%s cost=%.6g unpriced=%d%s", line[:at], a.Cost, a.Unpriced, line[at:])
}

func checkAggregate(t *testing.T, s routex.Store, q routex.AggregateQuery, want ...string) {
	t.Helper()
	checkAggregateLines(t, s, q, aggLine, want...)
}

// checkAggregateLines is checkAggregate with the lines rendered by line.
func checkAggregateLines(t *testing.T, s routex.Store, q routex.AggregateQuery, line func(routex.Aggregate) string, want ...string) {
	t.Helper()
	got, err := s.Aggregate(t.Context(), q)
	must(t, err)
	lines := make([]string, len(got))
	for i, a := range got {
		lines[i] = line(a)
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("Aggregate(%+v):\n got:\n%s\nwant:\n%s", q, g, w)
	}
}

func testAggregate(t *testing.T, s routex.Store) {
	addUsage(t, s)
	// The window leaves out r7, which is a second before t0.
	from, to := t0, t0.Add(2*time.Hour)
	for _, tt := range []struct {
		name string
		q    routex.AggregateQuery
		want []string
	}{
		{"everything", routex.AggregateQuery{},
			[]string{"-  req=7 err=3 in=1660 out=165 cr=15 cw=3 cost=0.00363 unpriced=4 lat=300ms/600ms/600ms ttfb=30ms"}},
		{"window", routex.AggregateQuery{From: from, To: to},
			[]string{"-  req=6 err=3 in=660 out=65 cr=15 cw=3 cost=0.00363 unpriced=3 lat=200ms/500ms/500ms ttfb=20ms"}},
		// From and To inside minutes: r2 to r5.
		{"window in partial minutes", routex.AggregateQuery{From: t0.Add(30 * time.Second), To: t0.Add(3710 * time.Second)},
			[]string{"-  req=4 err=3 in=260 out=25 cr=0 cw=2 cost=0.002 unpriced=3 lat=200ms/400ms/400ms ttfb=20ms"}},
		{"by channel", routex.AggregateQuery{From: from, To: to, GroupBy: routex.GroupChannel}, []string{
			"- a req=4 err=2 in=610 out=45 cr=15 cw=1 cost=0.00363 unpriced=1 lat=300ms/500ms/500ms ttfb=30ms",
			"- b req=2 err=1 in=50 out=20 cr=0 cw=2 cost=0 unpriced=2 lat=50ms/200ms/200ms ttfb=5ms",
		}},
		{"by model", routex.AggregateQuery{From: from, To: to, GroupBy: routex.GroupModel}, []string{
			"- m1 req=4 err=1 in=460 out=65 cr=15 cw=3 cost=0.00363 unpriced=1 lat=200ms/500ms/500ms ttfb=20ms",
			"- m2 req=2 err=2 in=200 out=0 cr=0 cw=0 cost=0 unpriced=2 lat=50ms/300ms/300ms ttfb=5ms",
		}},
		{"by key", routex.AggregateQuery{From: from, To: to, GroupBy: routex.GroupKey}, []string{
			"- k1 req=3 err=1 in=160 out=35 cr=5 cw=3 cost=0.00323 unpriced=1 lat=200ms/400ms/400ms ttfb=20ms",
			"- k2 req=3 err=2 in=500 out=30 cr=10 cw=0 cost=0.0004 unpriced=2 lat=300ms/500ms/500ms ttfb=30ms",
		}},
		{"hourly", routex.AggregateQuery{From: from, To: to, Bucket: time.Hour}, []string{
			"2025-03-01T10:00  req=4 err=2 in=360 out=35 cr=5 cw=3 cost=0.00323 unpriced=2 lat=200ms/400ms/400ms ttfb=20ms",
			"2025-03-01T11:00  req=2 err=1 in=300 out=30 cr=10 cw=0 cost=0.0004 unpriced=1 lat=50ms/500ms/500ms ttfb=5ms",
		}},
		{"per minute by channel", routex.AggregateQuery{From: from, To: to, Bucket: time.Minute, GroupBy: routex.GroupChannel}, []string{
			"2025-03-01T10:00 a req=2 err=1 in=300 out=10 cr=5 cw=1 cost=0.00123 unpriced=1 lat=100ms/300ms/300ms ttfb=10ms",
			"2025-03-01T10:01 a req=1 err=1 in=10 out=5 cr=0 cw=0 cost=0.002 unpriced=0 lat=400ms/400ms/400ms ttfb=40ms",
			"2025-03-01T10:01 b req=1 err=0 in=50 out=20 cr=0 cw=2 cost=0 unpriced=1 lat=200ms/200ms/200ms ttfb=20ms",
			"2025-03-01T11:01 b req=1 err=1 in=0 out=0 cr=0 cw=0 cost=0 unpriced=1 lat=50ms/50ms/50ms ttfb=5ms",
			"2025-03-01T11:02 a req=1 err=0 in=300 out=30 cr=10 cw=0 cost=0.0004 unpriced=0 lat=500ms/500ms/500ms ttfb=50ms",
		}},
		{"daily, including the record before t0", routex.AggregateQuery{Bucket: 24 * time.Hour}, []string{
			"2025-03-01T00:00  req=7 err=3 in=1660 out=165 cr=15 cw=3 cost=0.00363 unpriced=4 lat=300ms/600ms/600ms ttfb=30ms",
		}},
		{"channel filter by model", routex.AggregateQuery{From: from, To: to, ChannelID: "a", GroupBy: routex.GroupModel}, []string{
			"- m1 req=3 err=1 in=410 out=45 cr=15 cw=1 cost=0.00363 unpriced=0 lat=400ms/500ms/500ms ttfb=40ms",
			"- m2 req=1 err=1 in=200 out=0 cr=0 cw=0 cost=0 unpriced=1 lat=300ms/300ms/300ms ttfb=30ms",
		}},
		{"model and key filters", routex.AggregateQuery{Model: "m1", KeyID: "k2"}, []string{
			"-  req=1 err=0 in=300 out=30 cr=10 cw=0 cost=0.0004 unpriced=0 lat=500ms/500ms/500ms ttfb=50ms",
		}},
		{"no match", routex.AggregateQuery{ChannelID: "zzz", GroupBy: routex.GroupModel}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) { checkAggregateLines(t, s, tt.q, aggCostLine, tt.want...) })
	}

	t.Run("unknown group", func(t *testing.T) {
		if _, err := s.Aggregate(t.Context(), routex.AggregateQuery{GroupBy: "colour"}); err == nil {
			t.Error("Aggregate with an unknown GroupBy returned no error")
		}
	})
}

func testAggregatePercentiles(t *testing.T, s routex.Store) {
	// Group sizes are chosen so that nearest rank differs from rounding and
	// from interpolation: p95 of 12 values is the 12th (11.4 rounds to 11),
	// p99 of 60 is the 60th (59.4), and p50 of 100 is the 50th, not the
	// mean of the 50th and 51st.
	//
	//	channel n    latency      ttfb         p50   p95    p99    ttfb p50
	//	p       100  1..100ms     100..1ms     50ms  95ms   99ms   50ms
	//	q       12   10..120ms    1..12ms      60ms  120ms  120ms  6ms
	//	r       60   1..60ms      1..60ms      30ms  57ms   60ms   30ms
	var recs []analytics.Record
	add := func(ch string, k int, lat, ttfb time.Duration) {
		recs = append(recs, analytics.Record{
			Time: t0.Add(time.Duration(k) * time.Second), RequestID: fmt.Sprint(ch, k), ChannelID: ch, Status: 200,
			Latency: lat, TTFB: ttfb,
		})
	}
	ms := time.Millisecond
	// Added in scrambled orders: k*37 mod n visits every value once when
	// 37 and n are coprime.
	for k := range 100 {
		i := (k*37)%100 + 1
		add("p", k, time.Duration(i)*ms, time.Duration(101-i)*ms)
	}
	for k := range 12 {
		i := (k*37)%12 + 1
		add("q", k, time.Duration(i*10)*ms, time.Duration(i)*ms)
	}
	for k := range 60 {
		i := (k*37)%60 + 1
		add("r", k, time.Duration(i)*ms, time.Duration(i)*ms)
	}
	must(t, s.AddRecords(t.Context(), recs))
	checkAggregate(t, s, routex.AggregateQuery{GroupBy: routex.GroupChannel},
		"- p req=100 err=0 in=0 out=0 cr=0 cw=0 lat=50ms/95ms/99ms ttfb=50ms",
		"- q req=12 err=0 in=0 out=0 cr=0 cw=0 lat=60ms/120ms/120ms ttfb=6ms",
		"- r req=60 err=0 in=0 out=0 cr=0 cw=0 lat=30ms/57ms/60ms ttfb=30ms",
	)
}
