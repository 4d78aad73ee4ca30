package balancer

import (
	"slices"
	"testing"
)

func TestPriority(t *testing.T) {
	tests := []struct {
		name string
		in   []Candidate
		want []string
	}{
		{"empty", nil, []string{}},
		{"one", []Candidate{{ID: "a", Priority: 3}}, []string{"a"}},
		{"already ordered", []Candidate{{ID: "a"}, {ID: "b", Priority: 1}}, []string{"a", "b"}},
		{"lower first", []Candidate{{ID: "a", Priority: 2}, {ID: "b", Priority: 1}, {ID: "c", Priority: 0}}, []string{"c", "b", "a"}},
		{"negative before zero", []Candidate{{ID: "a"}, {ID: "b", Priority: -1}}, []string{"b", "a"}},
		{"ties keep input order", []Candidate{
			{ID: "a", Priority: 1}, {ID: "b", Priority: 0}, {ID: "c", Priority: 1}, {ID: "d", Priority: 0}, {ID: "e", Priority: 1},
		}, []string{"b", "d", "a", "c", "e"}},
		{"all equal", []Candidate{{ID: "x"}, {ID: "y"}, {ID: "z"}}, []string{"x", "y", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Priority
			for range 3 { // no state: every call gives the same order
				c := slices.Clone(tt.in)
				p.Order(c)
				if got := idsOf(c); !slices.Equal(got, tt.want) {
					t.Fatalf("Order = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestPriorityLongIsStable covers the library sort used for long lists.
func TestPriorityLongIsStable(t *testing.T) {
	in := make([]Candidate, 5*scratchLen)
	for i := range in {
		in[i] = Candidate{ID: string(rune('A' + i)), Priority: i % 3}
	}
	c := slices.Clone(in)
	NewPriority().Order(c)
	want := slices.Clone(in)
	slices.SortStableFunc(want, func(x, y Candidate) int { return x.Priority - y.Priority })
	if !slices.Equal(c, want) {
		t.Fatalf("Order = %v, want %v", idsOf(c), idsOf(want))
	}
}
