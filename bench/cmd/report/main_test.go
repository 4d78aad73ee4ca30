package main

import (
	"math"
	"testing"
)

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkRoundTrip/bare-transport-2         	    3000	    187804 ns/op	  10.63 MB/s	   12402 B/op	     102 allocs/op
BenchmarkRoundTrip/bare-transport-2         	    3000	    190000 ns/op	  10.63 MB/s	   12400 B/op	     102 allocs/op
BenchmarkRoundTrip/bare-transport-2         	    3000	    100000 ns/op	  10.63 MB/s	   12404 B/op	     103 allocs/op
BenchmarkLibrary/openai/2KB/stream/routex-cross-2            	    2000	    643746 ns/op	   3.18 MB/s	   27642 B/op	     139 allocs/op
PASS
`)
	got := parseBench(out)
	if b := got["BenchmarkRoundTrip/bare-transport"]; b.runs != 3 || b.ns != 187804 || b.bytes != 12402 || b.allocs != 102 {
		t.Errorf("bare-transport = %+v, want the medians of 3 runs", b)
	}
	if b := got["BenchmarkLibrary/openai/2KB/stream/routex-cross"]; b.ns != 643746 || b.allocs != 139 {
		t.Errorf("routex-cross = %+v", b)
	}
}

func TestPerfBuckets(t *testing.T) {
	out := []byte(`     4.00%  [kernel.kallsyms]  [k] _raw_spin_unlock_irqrestore
     3.00%  routex             [.] runtime.mallocgcSmallScanNoHeader
     2.00%  routex             [.] runtime.selectgo
     1.50%  routex             [.] github.com/routex/routex/transformer.appendEvent
     1.00%  routex             [.] github.com/routex/routex.(*Client).send
     0.50%  routex             [.] modernc.org/sqlite/lib._sqlite3VdbeExec
     0.25%  [vdso]             [.] __vdso_clock_gettime
`)
	want := map[string]float64{
		"kernel (TCP, syscalls, scheduling)":      4.25,
		"Go runtime: allocation and GC":           3,
		"Go runtime: scheduler, channels, timers": 2,
		"routex: converters, SSE (transformer)":   1.5,
		"routex: Client pipeline (root package)":  1,
		"SQLite (modernc)":                        0.5,
	}
	got := perfBuckets(out)
	if len(got) != len(want) {
		t.Fatalf("buckets %v, want %v", got, want)
	}
	for _, b := range got {
		if math.Abs(want[b.name]-b.pct) > 1e-9 {
			t.Errorf("%s = %.2f%%, want %.2f%%", b.name, b.pct, want[b.name])
		}
	}
}

func TestAddedRatio(t *testing.T) {
	row := map[string]result{
		"direct": {N: 10, P50: 100},
		"floor":  {N: 10, P50: 150},
		"server": {N: 10, P50: 160},
		"broken": {N: 10, P50: 120, Errors: 1},
	}
	if got := addedRatio(row, "server", "floor", p50); math.Abs(got-1.2) > 1e-9 {
		t.Errorf("server ÷ floor = %v, want 1.2", got)
	}
	if got := addedRatio(row, "broken", "floor", p50); !math.IsNaN(got) {
		t.Errorf("a system with errors got a ratio: %v", got)
	}
}
