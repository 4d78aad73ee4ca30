package balancer

import (
	"fmt"
	"slices"
	"testing"
)

func TestRoundRobinExact(t *testing.T) {
	for n := 1; n <= 7; n++ {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			in := make([]Candidate, n)
			for i := range in {
				in[i] = Candidate{ID: fmt.Sprintf("c%d", i)}
			}
			const rounds = 1000
			got := firsts(NewRoundRobin(), in, n*rounds)
			for _, c := range in {
				if got[c.ID] != rounds {
					t.Errorf("%s first %d times, want %d (all: %v)", c.ID, got[c.ID], rounds, got)
				}
			}
		})
	}
}

// TestRoundRobinRotates checks that the order after the first is the input's
// cyclic order, so failover also spreads.
func TestRoundRobinRotates(t *testing.T) {
	var rr RoundRobin
	in := mk("a", "b", "c", "d")
	want := [][]string{
		{"a", "b", "c", "d"},
		{"b", "c", "d", "a"},
		{"c", "d", "a", "b"},
		{"d", "a", "b", "c"},
		{"a", "b", "c", "d"},
	}
	for i, w := range want {
		c := slices.Clone(in)
		rr.Order(c)
		if got := idsOf(c); !slices.Equal(got, w) {
			t.Fatalf("call %d: Order = %v, want %v", i, got, w)
		}
	}
}

// TestRoundRobinInterleavedLists checks that requests for two models whose
// lists alternate do not lock each model onto one channel, as a single
// shared counter would.
func TestRoundRobinInterleavedLists(t *testing.T) {
	tests := []struct {
		name string
		x, y []Candidate
	}{
		{"disjoint", mk("a", "b"), mk("c", "d")},
		{"overlapping", mk("a", "b"), mk("a", "c")},
		{"same set, other order", mk("a", "b"), mk("b", "a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if hashIDs(tt.x)%rrStripes == hashIDs(tt.y)%rrStripes {
				t.Skip("the two lists share a stripe; pick other IDs")
			}
			var rr RoundRobin
			gx, gy := map[string]int{}, map[string]int{}
			for range 1000 {
				c := slices.Clone(tt.x)
				rr.Order(c)
				gx[c[0].ID]++
				c = slices.Clone(tt.y)
				rr.Order(c)
				gy[c[0].ID]++
			}
			for _, g := range []map[string]int{gx, gy} {
				for id, n := range g {
					if n != 500 {
						t.Errorf("%s first %d times of 1000, want 500 (x: %v, y: %v)", id, n, gx, gy)
					}
				}
			}
		})
	}
}

func TestHashIDsSeparatesIDs(t *testing.T) {
	if hashIDs(mk("ab", "c")) == hashIDs(mk("a", "bc")) {
		t.Error(`("ab", "c") and ("a", "bc") hash the same`)
	}
}
