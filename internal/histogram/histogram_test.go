package histogram

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The values a bucket reports keep the precision routex.Aggregate
// documents: truncated to the microsecond below 1 ms, to the millisecond
// below 1024 ms, and within 1% (0.8% by design) above.
func TestHistogramPrecision(t *testing.T) {
	ms := int64(time.Millisecond)
	values := []int64{
		-5, 0, 1, 999, 1000, 1001, 999_999, ms, ms + 1, 1500 * 1000, 600 * ms, 1023*ms + 999_999,
		1024 * ms, 1024*ms + 1, 1039 * ms, 1040 * ms, 2047 * ms, 2048 * ms, int64(time.Hour),
		int64(30 * 24 * time.Hour), math.MaxInt64 / 3, math.MaxInt64 - 1, math.MaxInt64,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		values = append(values, r.Int64N(int64(10*time.Minute)), r.Int64N(int64(2*time.Millisecond)), r.Int64())
	}
	for _, v := range values {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d, outside [0, %d)", v, i, histBuckets)
		}
		got := histValue(i)
		switch x := max(v, 0); {
		case x < ms:
			if want := x / 1000 * 1000; got != want {
				t.Errorf("%v reported as %v, want %v", time.Duration(v), time.Duration(got), time.Duration(want))
			}
		case x < 1024*ms:
			if want := x / ms * ms; got != want {
				t.Errorf("%v reported as %v, want %v", time.Duration(v), time.Duration(got), time.Duration(want))
			}
		default:
			if d := math.Abs(float64(got) - float64(x)); d > float64(x)/128 {
				t.Errorf("%v reported as %v, %.3f%% off", time.Duration(v), time.Duration(got), 100*d/float64(x))
			}
		}
	}
	// Buckets are in the order of their values, so that a percentile's
	// bucket is the bucket of the percentile.
	slices.Sort(values)
	for k := 1; k < len(values); k++ {
		if histIndex(values[k]) < histIndex(values[k-1]) {
			t.Fatalf("histIndex(%d) < histIndex(%d)", values[k], values[k-1])
		}
	}
	for i := 1; i < histBuckets; i++ {
		if histValue(i) < histValue(i-1) {
			t.Fatalf("histValue(%d) < histValue(%d)", i, i-1)
		}
	}
}

// A histogram's percentile is the value of the bucket of the exact
// nearest-rank percentile, for groups small enough to stay a sorted list
// and large enough to become an array.
func TestHistogramPercentile(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 12, 60, 63, 64, 65, 100, 1000, 20_000} {
		values := make([]int64, n)
		var h Counts
		for i := range values {
			values[i] = r.Int64N(int64(5 * time.Second))
			if i%7 == 0 {
				values[i] = values[i] / int64(time.Millisecond) * int64(time.Millisecond)
			}
			h.AddDuration(values[i])
		}
		slices.Sort(values)
		for _, p := range []int{0, 1, 50, 95, 99, 100} {
			want := histValue(histIndex(values[max((p*n+99)/100, 1)-1]))
			if got := h.Percentile(p); got != want {
				t.Errorf("n=%d: p%d = %v, want %v", n, p, time.Duration(got), time.Duration(want))
			}
		}
	}
	var empty Counts
	if got := empty.Percentile(50); got != 0 {
		t.Errorf("p50 of nothing = %d, want 0", got)
	}
}

func randomHistogram(r *rand.Rand, n int) *Counts {
	var h Counts
	for range n {
		h.AddDuration(r.Int64N(int64(3 * time.Second)))
	}
	return &h
}

func sameCounts(a, b *Counts) bool {
	type bin struct {
		i int
		c uint64
	}
	var x, y []bin
	a.Each(func(i int, c uint64) { x = append(x, bin{i, c}) })
	b.Each(func(i int, c uint64) { y = append(y, bin{i, c}) })
	return a.n == b.n && slices.Equal(x, y)
}

// Encoding round-trips, and merging two encodings is adding both.
func TestHistogramEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {5, 40}, {63, 2}, {200, 3000}} {
		a, b := randomHistogram(r, n[0]), randomHistogram(r, n[1])
		ea, eb := a.AppendEncoded(nil), b.AppendEncoded(nil)
		var back Counts
		if err := back.AddEncoded(ea); err != nil || !sameCounts(&back, a) {
			t.Errorf("%v: decoding the encoding gives another histogram (%v)", n, err)
		}
		merged, err := Merge(nil, ea, eb)
		if err != nil {
			t.Fatal(err)
		}
		var want Counts
		noErr(t, want.AddEncoded(ea))
		noErr(t, want.AddEncoded(eb))
		if !bytes.Equal(merged, want.AppendEncoded(nil)) {
			t.Errorf("%v: merged encoding differs from the encoding of the sum", n)
		}
	}
}

func TestHistogramMalformed(t *testing.T) {
	valid := randomHistogram(rand.New(rand.NewPCG(7, 8)), 10).AppendEncoded(nil)
	for name, b := range map[string][]byte{
		"empty":             {},
		"wrong version":     {2, 0, 1},
		"truncated":         valid[:len(valid)-1],
		"bucket too high":   {histVersion, 0x80, 0x80, 0x01, 1},
		"repeated bucket":   {histVersion, 5, 1, 0, 1},
		"varint too long":   {histVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"missing the count": {histVersion, 5},
	} {
		var h Counts
		errAdd := h.AddEncoded(b)
		_, errMerge := Merge(nil, valid, b)
		// Repeated buckets are counted by addEncoded; only a merge,
		// which must write buckets in order, rejects them.
		if (errAdd == nil && name != "repeated bucket") || errMerge == nil {
			t.Errorf("%s: addEncoded = %v, Merge = %v; want errors", name, errAdd, errMerge)
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
