// Package rollup holds the arithmetic of usage rollups that storage/sqlite
// and storage/postgres share: the periods a rollup covers, a rollup row's
// sums and histograms and how a record adds to one, the exact cost sums of
// an aggregate, the plan that splits an aggregate's window into rollup
// levels and records, and the groups an aggregate adds its rows into.
//
// The SQL that reads and writes the rollups differs per database and stays
// with each store; what is here is the Go side, so that a rollup, and an
// aggregate over rollups, means the same in both.
package rollup

import (
	"math"
	"math/bits"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/histogram"
)

// Floor returns the start of the period of the given length, in
// milliseconds, that ms falls in.
func Floor(ms, period int64) int64 {
	r := ms % period
	if r < 0 {
		r += period
	}
	return ms - r
}

// Ceil returns the first start of a period of the given length at or after
// ms.
func Ceil(ms, period int64) int64 {
	if f := Floor(ms, period); f != ms {
		return f + period
	}
	return ms
}

// PicoUSD converts a cost in USD to whole picodollars (1e-12 USD), rounded
// to the nearest, saturating far beyond any real cost.
func PicoUSD(usd float64) int64 {
	v := math.Round(usd * 1e12)
	switch {
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return int64(v)
}

// Finite reports whether a cost is a number other than an infinity or NaN.
// A cost that is not counts as unknown.
func Finite(usd float64) bool { return !math.IsNaN(usd) && !math.IsInf(usd, 0) }

// AddSat adds without wrapping around, for the cost sums of rollup rows,
// which saturate at about 9.2 million USD.
func AddSat(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// Key identifies a rollup row: the start of its period, in unix
// milliseconds, and its channel, model and key.
type Key struct {
	Start                 int64
	Channel, Model, KeyID string
}

// Sums are the counts of a rollup row. CostPico is the cost of the priced
// records in picodollars, summed with AddSat; Unpriced counts the records
// whose cost is unknown.
type Sums struct {
	Requests, Errors                     int64
	Input, Output, CacheRead, CacheWrite int64
	CostPico, Unpriced                   int64
}

// Row is one rollup row, or what a batch of records adds to one.
type Row struct {
	Key
	Sums
	Latency, TTFB histogram.Counts
}

// Add counts the record r in u.
func (u *Row) Add(r *analytics.Record) {
	u.AddValues(r.Failed(), r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens,
		r.Cost, int64(r.Latency), int64(r.TTFB))
}

// AddValues counts in u a record read back from a table: whether it
// failed, its token counts, its cost in USD (nil when unknown) and its
// latency and TTFB in nanoseconds.
func (u *Row) AddValues(failed bool, in, out, cacheRead, cacheWrite int64, cost *float64, latency, ttfb int64) {
	u.Requests++
	if failed {
		u.Errors++
	}
	u.Input += in
	u.Output += out
	u.CacheRead += cacheRead
	u.CacheWrite += cacheWrite
	if cost == nil || !Finite(*cost) {
		u.Unpriced++
	} else {
		u.CostPico = AddSat(u.CostPico, PicoUSD(*cost))
	}
	u.Latency.AddDuration(latency)
	u.TTFB.AddDuration(ttfb)
}

// Merge adds to u a rollup row as stored: its sums and its encoded
// histograms, which it does not keep.
func (u *Row) Merge(v *Sums, latency, ttfb []byte) error {
	u.Requests += v.Requests
	u.Errors += v.Errors
	u.Input += v.Input
	u.Output += v.Output
	u.CacheRead += v.CacheRead
	u.CacheWrite += v.CacheWrite
	u.CostPico = AddSat(u.CostPico, v.CostPico)
	u.Unpriced += v.Unpriced
	if err := u.Latency.AddEncoded(latency); err != nil {
		return err
	}
	return u.TTFB.AddEncoded(ttfb)
}

// Rows are the rollup rows of one level, by key.
type Rows map[Key]*Row

// At returns the row for k, a new empty one if there is none yet.
func (m Rows) At(k Key) *Row {
	u := m[k]
	if u == nil {
		u = &Row{Key: k}
		m[k] = u
	}
	return u
}

// Records sums recs into rows of the given period, in milliseconds. key
// turns a record's channel, model and key into the strings its row is
// stored under; nil keeps them as they are.
func Records(recs []analytics.Record, period int64, key func(string) string) Rows {
	if key == nil {
		key = func(s string) string { return s }
	}
	m := make(Rows)
	for i := range recs {
		r := &recs[i]
		m.At(Key{Floor(r.Time.UnixMilli(), period), key(r.ChannelID), key(r.Model), key(r.KeyID)}).Add(r)
	}
	return m
}

// PicoSum is a sum of picodollars in 128 bits, which no number of records
// overflows: an aggregate's cost, summed exactly whatever the order of
// addition. The zero value is zero.
type PicoSum struct {
	hi int64
	lo uint64
}

// Add adds v picodollars to s.
func (s *PicoSum) Add(v int64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry) // v>>63 is -1 for a negative v: its sign extended
}

// USD returns the sum in USD.
func (s PicoSum) USD() float64 {
	hi, lo := s.hi, s.lo
	sign := 1.0
	if hi < 0 {
		var borrow uint64
		lo, borrow = bits.Sub64(0, lo, 0)
		hi = -hi - int64(borrow)
		sign = -1
	}
	return sign * (float64(uint64(hi))*0x1p64 + float64(lo)) / 1e12
}
