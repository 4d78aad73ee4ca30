package rollup

import (
	"math"
	"testing"
	"time"

	"github.com/routex/routex/analytics"
)

func TestPicoSum(t *testing.T) {
	var s PicoSum
	for range 3 {
		s.Add(math.MaxInt64)
	}
	s.Add(-1)
	if got, want := s.USD(), 3*float64(math.MaxInt64)/1e12; math.Abs(got-want) > want*1e-15 {
		t.Errorf("3*MaxInt64-1 picodollars = %v USD, want %v", got, want)
	}
	s = PicoSum{}
	s.Add(-1_230_000_000)
	s.Add(230_000_000)
	if got := s.USD(); got != -0.001 {
		t.Errorf("-0.00123 + 0.00023 = %v, want -0.001", got)
	}
	if got := PicoUSD(0.00123); got != 1_230_000_000 {
		t.Errorf("PicoUSD(0.00123) = %d", got)
	}
	if got := PicoUSD(math.Inf(1)); got != math.MaxInt64 {
		t.Errorf("PicoUSD(+Inf) = %d", got)
	}
	if got := AddSat(math.MaxInt64, 1); got != math.MaxInt64 {
		t.Errorf("AddSat(MaxInt64, 1) = %d", got)
	}
	if got := AddSat(math.MinInt64, -1); got != math.MinInt64 {
		t.Errorf("AddSat(MinInt64, -1) = %d", got)
	}
}

func TestFloorCeil(t *testing.T) {
	for _, c := range []struct{ ms, floor, ceil int64 }{
		{0, 0, 0}, {1, 0, 60}, {59, 0, 60}, {60, 60, 60}, {-1, -60, 0}, {-60, -60, -60}, {-61, -120, -60},
	} {
		if got := Floor(c.ms, 60); got != c.floor {
			t.Errorf("Floor(%d, 60) = %d, want %d", c.ms, got, c.floor)
		}
		if got := Ceil(c.ms, 60); got != c.ceil {
			t.Errorf("Ceil(%d, 60) = %d, want %d", c.ms, got, c.ceil)
		}
	}
}

// The parts of a plan cover the window once, in whole periods of the
// coarsest level that fits and the records only at the very ends.
func TestPlan(t *testing.T) {
	periods := []int64{60_000, 3_600_000}
	lo, hi := int64(3_600_000-61_500), int64(3*3_600_000+120_250)
	parts := Plan(lo, hi, periods)
	want := []Part{
		{1, 3_600_000, 3 * 3_600_000},
		{0, 3_600_000 - 60_000, 3_600_000},
		{-1, lo, 3_600_000 - 60_000},
		{0, 3 * 3_600_000, 3*3_600_000 + 120_000},
		{-1, 3*3_600_000 + 120_000, hi},
	}
	if len(parts) != len(want) {
		t.Fatalf("Plan = %v, want %v", parts, want)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Fatalf("Plan = %v, want %v", parts, want)
		}
	}
	open := Plan(math.MinInt64, math.MaxInt64, periods)
	if len(open) != 1 || open[0] != (Part{1, math.MinInt64, math.MaxInt64}) {
		t.Errorf("Plan of an open window = %v", open)
	}
	if got := Plan(0, 1000, nil); len(got) != 1 || got[0] != (Part{-1, 0, 1000}) {
		t.Errorf("Plan without levels = %v", got)
	}
}

// An aggregate over a rollup row is the aggregate over its records.
func TestGroupsRollupEqualsRecords(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var recs []analytics.Record
	for i := range 500 {
		cost := float64(i%7) * 1e-5
		r := analytics.Record{Time: t0.Add(time.Duration(i) * time.Second), ChannelID: "ch", Model: "m", KeyID: "k",
			Status: 200, Latency: time.Duration(i) * time.Millisecond, TTFB: time.Duration(i%90) * time.Millisecond,
			InputTokens: int64(i), OutputTokens: 3, CacheReadTokens: 2, CacheWriteTokens: 1}
		if i%11 == 0 {
			r.Status = 500
		}
		if i%13 != 0 {
			r.Cost = &cost
		}
		recs = append(recs, r)
	}
	fromRecords, fromRollups := NewGroups(0), NewGroups(0)
	for i := range recs {
		r := &recs[i]
		fromRecords.At(r.ChannelID, r.Time.UnixMilli()).AddRecord(r.Failed(), r.InputTokens, r.OutputTokens,
			r.CacheReadTokens, r.CacheWriteTokens, r.Cost, int64(r.Latency), int64(r.TTFB))
	}
	for _, u := range Records(recs, 60_000, nil) {
		if err := fromRollups.At(u.Channel, u.Start).AddRollup(&u.Sums, u.Latency.AppendEncoded(nil), u.TTFB.AppendEncoded(nil)); err != nil {
			t.Fatal(err)
		}
	}
	got, want := fromRollups.Result(), fromRecords.Result()
	if len(got) != 1 || len(want) != 1 || got[0] != want[0] {
		t.Fatalf("from rollups %+v, from records %+v", got, want)
	}
	if want[0].Requests != 500 || want[0].Errors != 46 || want[0].Unpriced != 39 {
		t.Errorf("aggregate %+v", want[0])
	}
}
