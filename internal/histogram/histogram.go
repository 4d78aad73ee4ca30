// Package histogram keeps counts of durations in buckets fine enough for a
// dashboard's percentiles, encoded so that the stores' minute and hour
// rollups can keep one per row and merge them: storage/sqlite and
// storage/postgres share it, so a rollup means the same in both.
package histogram

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"time"
)

// Latency and TTFB percentiles come from histograms of durations, so that
// the records of a minute or an hour can be kept as one rollup row, and
// rollups merged. The buckets are chosen so that the values a dashboard shows are
// exact where people read them digit by digit and within a fixed relative
// error where they do not:
//
//   - below 1 ms, one bucket per microsecond;
//   - from 1 ms to 1024 ms, one bucket per millisecond, so that whole
//     milliseconds are exact;
//   - from 1024 ms up, histSub buckets per power of two of milliseconds,
//     each reported as its midpoint: within 1/(2*histSub) (0.78%) of every
//     value in it.
//
// A bucket below 1024 ms is reported as its lower bound, so a value there
// is truncated to the microsecond or the millisecond.
const (
	histMicros   = 1000                        // buckets 0..999: whole microseconds below 1 ms
	histMillis   = 1024                        // whole milliseconds 1..1023 follow
	histLogStart = histMicros + histMillis - 1 // first bucket at or above 1024 ms
	histSubBits  = 6
	histSub      = 1 << histSubBits // buckets per power of two above 1024 ms
	// The largest time.Duration is under 2^44 ms: 34 powers of two above 2^10.
	histBuckets = histLogStart + (44-10)*histSub
)

// histIndex returns the bucket of a duration in nanoseconds. Negative
// durations count as zero.
func histIndex(ns int64) int {
	switch {
	case ns < int64(time.Millisecond):
		return int(max(ns, 0) / int64(time.Microsecond))
	case ns < histMillis*int64(time.Millisecond):
		return histMicros - 1 + int(ns/int64(time.Millisecond))
	}
	ms := uint64(ns) / uint64(time.Millisecond)
	k := bits.Len64(ms) - 1 // ms is in [2^k, 2^(k+1)), k >= 10
	sub := int(ms>>(k-histSubBits)) - histSub
	return histLogStart + (k-10)*histSub + sub
}

// histValue returns the duration in nanoseconds that bucket i reports.
func histValue(i int) int64 {
	switch {
	case i < histMicros:
		return int64(i) * int64(time.Microsecond)
	case i < histLogStart:
		return int64(i-histMicros+1) * int64(time.Millisecond)
	}
	k := (i-histLogStart)/histSub + 10
	sub := uint64((i - histLogStart) % histSub)
	width := uint64(1) << (k - histSubBits) // ms
	lo := (histSub + sub) * width
	// width is at least 16 ms, so the midpoint is a whole millisecond.
	mid := lo + width/2
	if mid > math.MaxInt64/uint64(time.Millisecond) {
		return math.MaxInt64
	}
	return int64(mid) * int64(time.Millisecond)
}

// histVersion is the first byte of an encoded histogram. The rest is a
// sequence of (bucket - previous bucket, count) pairs as unsigned varints,
// in increasing bucket order, the first bucket counted from zero.
const histVersion = 1

var ErrMalformed = errors.New("malformed histogram")

// histBin is one bucket's count.
type histBin struct {
	idx   uint32
	count uint64
}

// Counts counts durations by bucket. It starts as a short sorted list
// of the buckets in use and becomes an array indexed by bucket once it has
// more than histDenseAt of them: a rollup of a few records stays small, and
// a group that merges thousands of rollups adds each count in constant time.
// The zero value is an empty histogram.
type Counts struct {
	n      uint64    // values counted
	sparse []histBin // while dense is nil
	dense  []uint64  // by bucket, as long as the highest bucket in use
}

const histDenseAt = 64

// add counts c values in bucket i.
func (h *Counts) Add(i int, c uint64) {
	if c == 0 {
		return
	}
	h.n += c
	if h.dense != nil {
		if i >= len(h.dense) {
			// Grown by append's rule, so a histogram that keeps meeting
			// higher buckets is copied a logarithmic number of times. The
			// elements past len were zeroed when allocated and never set.
			h.dense = slices.Grow(h.dense, i+1-len(h.dense))[:i+1]
		}
		h.dense[i] += c
		return
	}
	at, found := slices.BinarySearchFunc(h.sparse, uint32(i), func(b histBin, i uint32) int {
		return int(b.idx) - int(i)
	})
	if found {
		h.sparse[at].count += c
		return
	}
	if len(h.sparse) < histDenseAt {
		h.sparse = slices.Insert(h.sparse, at, histBin{uint32(i), c})
		return
	}
	top := max(i, int(h.sparse[len(h.sparse)-1].idx))
	h.dense = make([]uint64, top+1)
	for _, b := range h.sparse {
		h.dense[b.idx] = b.count
	}
	h.dense[i] += c
	h.sparse = nil
}

// addDuration counts one duration in nanoseconds.
func (h *Counts) AddDuration(ns int64) { h.Add(histIndex(ns), 1) }

// addEncoded counts the values of an encoded histogram. It does not keep b.
func (h *Counts) AddEncoded(b []byte) error {
	if len(b) == 0 || b[0] != histVersion {
		return ErrMalformed
	}
	b = b[1:]
	i := uint64(0)
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return ErrMalformed
		}
		b = b[n:]
		c, n := binary.Uvarint(b)
		if n <= 0 {
			return ErrMalformed
		}
		b = b[n:]
		i += d
		if i >= histBuckets {
			return ErrMalformed
		}
		h.Add(int(i), c)
	}
	return nil
}

// each calls fn for every bucket in use, in increasing order.
func (h *Counts) Each(fn func(i int, c uint64)) {
	for _, b := range h.sparse {
		fn(int(b.idx), b.count)
	}
	for i, c := range h.dense {
		if c != 0 {
			fn(i, c)
		}
	}
}

// appendEncoded appends the encoding of h to dst.
func (h *Counts) AppendEncoded(dst []byte) []byte {
	dst = append(dst, histVersion)
	prev := 0
	h.Each(func(i int, c uint64) {
		dst = binary.AppendUvarint(dst, uint64(i-prev))
		dst = binary.AppendUvarint(dst, c)
		prev = i
	})
	return dst
}

// percentile returns the nearest-rank p-th percentile in nanoseconds: the
// value of the bucket that holds the ceil(p*n/100)-th smallest value.
func (h *Counts) Percentile(p int) int64 {
	if h.n == 0 {
		return 0
	}
	rank := max((uint64(p)*h.n+99)/100, 1)
	var seen uint64
	for _, b := range h.sparse {
		if seen += b.count; seen >= rank {
			return histValue(int(b.idx))
		}
	}
	for i, c := range h.dense {
		if seen += c; seen >= rank {
			return histValue(i)
		}
	}
	return 0 // not reached: the counts add up to h.n
}

// Merge appends to dst the encoding of the histogram of the values
// of the encoded histograms a and b, merging them as they are read.
func Merge(dst, a, b []byte) ([]byte, error) {
	if len(a) == 0 || a[0] != histVersion || len(b) == 0 || b[0] != histVersion {
		return dst, ErrMalformed
	}
	ra, rb := histReader{b: a[1:]}, histReader{b: b[1:]}
	ra.next()
	rb.next()
	dst = append(dst, histVersion)
	prev := 0
	for ra.ok || rb.ok {
		var i int
		var c uint64
		switch {
		case !rb.ok || ra.ok && ra.i < rb.i:
			i, c = ra.i, ra.c
			ra.next()
		case !ra.ok || rb.i < ra.i:
			i, c = rb.i, rb.c
			rb.next()
		default:
			i, c = ra.i, ra.c+rb.c
			ra.next()
			rb.next()
		}
		dst = binary.AppendUvarint(dst, uint64(i-prev))
		dst = binary.AppendUvarint(dst, c)
		prev = i
	}
	if ra.err || rb.err {
		return dst, ErrMalformed
	}
	return dst, nil
}

// histReader reads the buckets of an encoded histogram after its version.
type histReader struct {
	b    []byte
	i    int    // current bucket
	c    uint64 // its count
	ok   bool   // i and c hold a bucket
	seen bool   // a bucket was read, so the next must be higher
	err  bool   // the encoding is malformed
}

func (r *histReader) next() {
	r.ok = false
	if len(r.b) == 0 || r.err {
		return
	}
	d, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return
	}
	c, m := binary.Uvarint(r.b[n:])
	if m <= 0 || uint64(r.i)+d >= histBuckets || (d == 0 && r.seen) {
		r.err = true
		return
	}
	r.b = r.b[n+m:]
	r.i += int(d)
	r.c, r.ok, r.seen = c, true, true
}
