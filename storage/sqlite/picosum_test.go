package sqlite

import (
	"math"
	"testing"
)

func TestPicoSum(t *testing.T) {
	var s picoSum
	for range 3 {
		s.add(math.MaxInt64)
	}
	s.add(-1)
	if got, want := s.usd(), 3*float64(math.MaxInt64)/1e12; math.Abs(got-want) > want*1e-15 {
		t.Errorf("3*MaxInt64-1 picodollars = %v USD, want %v", got, want)
	}
	s = picoSum{}
	s.add(-1_230_000_000)
	s.add(230_000_000)
	if got := s.usd(); got != -0.001 {
		t.Errorf("-0.00123 + 0.00023 = %v, want -0.001", got)
	}
	if got := picoUSD(0.00123); got != 1_230_000_000 {
		t.Errorf("picoUSD(0.00123) = %d", got)
	}
	if got := picoUSD(math.Inf(1)); got != math.MaxInt64 {
		t.Errorf("picoUSD(+Inf) = %d", got)
	}
}
