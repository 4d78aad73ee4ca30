package balancer

import (
	"slices"
	"strings"
	"testing"
)

// weighted builds candidates "a", "b", ... with the given weights.
func weighted(weights ...int) []Candidate {
	c := make([]Candidate, len(weights))
	for i, w := range weights {
		c[i] = Candidate{ID: string(rune('a' + i)), Weight: w}
	}
	return c
}

func TestWeightedExactShares(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		calls   int
		want    map[string]int
	}{
		{"5 3 2", []int{5, 3, 2}, 10000, map[string]int{"a": 5000, "b": 3000, "c": 2000}},
		{"equal", []int{1, 1, 1, 1}, 10000, map[string]int{"a": 2500, "b": 2500, "c": 2500, "d": 2500}},
		{"zero and negative count as 1", []int{0, -3, 2}, 10000, map[string]int{"a": 2500, "b": 2500, "c": 5000}},
		{"heavy skew", []int{1, 99}, 10000, map[string]int{"a": 100, "b": 9900}},
		{"one", []int{7}, 10, map[string]int{"a": 10}},
		{"not a multiple of the total", []int{2, 1}, 10000, map[string]int{"a": 6667, "b": 3333}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := firsts(NewWeighted(), weighted(tt.weights...), tt.calls)
			for id, want := range tt.want {
				if got[id] != want {
					t.Errorf("%s first %d times, want %d (all: %v)", id, got[id], want, got)
				}
			}
		})
	}
}

func TestWeightedSmooth(t *testing.T) {
	var w Weighted
	var seq strings.Builder
	c := make([]Candidate, 3)
	for range 14 {
		copy(c, weighted(5, 1, 1))
		w.Order(c)
		seq.WriteString(c[0].ID)
	}
	if got, want := seq.String(), "aabacaa"+"aabacaa"; got != want {
		t.Fatalf("first positions %q, want %q", got, want)
	}
}

// TestWeightedFailoverOrder checks that after the chosen candidate the rest
// come by how much they are owed, so a failover keeps to the weights too.
func TestWeightedFailoverOrder(t *testing.T) {
	// Current weights, 5 3 2 each call, after adding and then taking 10
	// from the chosen:
	//   1: a5 b3 c2 -> a   a-5 b3 c2
	//   2: a0 b6 c4 -> b   a0 b-4 c4
	//   3: a5 b-1 c6 -> c  a5 b-1 c-4
	//   4: a10 b2 c-2 -> a a0 b2 c-2
	want := [][]string{
		{"a", "b", "c"},
		{"b", "c", "a"},
		{"c", "a", "b"},
		{"a", "b", "c"},
	}
	var w Weighted
	for i, ww := range want {
		c := weighted(5, 3, 2)
		w.Order(c)
		if got := idsOf(c); !slices.Equal(got, ww) {
			t.Fatalf("call %d: Order = %v, want %v", i+1, got, ww)
		}
	}
}

func TestWeightedChangingLists(t *testing.T) {
	all := weighted(5, 3, 2)
	noB := []Candidate{all[0], all[2]} // b's breaker is open, say
	count := func(got map[string]int, w *Weighted, cands []Candidate) {
		c := slices.Clone(cands)
		w.Order(c)
		got[c[0].ID]++
	}

	t.Run("interleaved", func(t *testing.T) {
		// Two models share channels a and c; each model's own split must
		// follow the weights whatever the other's traffic does.
		var w Weighted
		gAll, gNoB := map[string]int{}, map[string]int{}
		for i := range 17000 {
			if i%17 < 10 {
				count(gAll, &w, all)
			} else {
				count(gNoB, &w, noB)
			}
		}
		wantAll := map[string]int{"a": 5000, "b": 3000, "c": 2000}
		wantNoB := map[string]int{"a": 5000, "c": 2000}
		if !mapsEqual(gAll, wantAll) || !mapsEqual(gNoB, wantNoB) {
			t.Fatalf("got %v and %v, want %v and %v", gAll, gNoB, wantAll, wantNoB)
		}
	})

	t.Run("drop out and return mid-cycle", func(t *testing.T) {
		// b leaves after 3 calls, that is mid-cycle, and comes back; the
		// full list resumes where it stopped, so its cycle stays exact.
		var w Weighted
		gAll, gNoB := map[string]int{}, map[string]int{}
		for range 3 {
			count(gAll, &w, all)
		}
		for range 7000 {
			count(gNoB, &w, noB)
		}
		for range 9997 {
			count(gAll, &w, all)
		}
		wantAll := map[string]int{"a": 5000, "b": 3000, "c": 2000}
		wantNoB := map[string]int{"a": 5000, "c": 2000}
		if !mapsEqual(gAll, wantAll) || !mapsEqual(gNoB, wantNoB) {
			t.Fatalf("got %v and %v, want %v and %v", gAll, gNoB, wantAll, wantNoB)
		}
	})

	t.Run("weights change", func(t *testing.T) {
		var w Weighted
		got := firsts(&w, weighted(1, 1), 10000)
		if want := map[string]int{"a": 5000, "b": 5000}; !mapsEqual(got, want) {
			t.Fatalf("before: %v, want %v", got, want)
		}
		got = firsts(&w, weighted(3, 1), 10000)
		if want := map[string]int{"a": 7500, "b": 2500}; !mapsEqual(got, want) {
			t.Fatalf("after: %v, want %v", got, want)
		}
	})
}

func TestWeightedForgets(t *testing.T) {
	t.Run("Forget", func(t *testing.T) {
		var w Weighted
		w.Order(weighted(5, 3, 2))
		w.Order(mk("x", "y"))
		w.Forget("b")
		if len(w.lists) != 1 {
			t.Fatalf("%d lists kept after Forget, want 1", len(w.lists))
		}
		// Afresh, the heaviest goes first; with the old state kept
		// (a-5 b3 c2) b would.
		if got := firsts(&w, weighted(3, 1, 2), 1); got["a"] != 1 {
			t.Fatalf("first after Forget: %v, want a", got)
		}
	})
	t.Run("unseen lists", func(t *testing.T) {
		w := Weighted{forgetAfter: 8}
		w.Order(mk("old", "list"))
		for range 15 {
			w.Order(mk("a", "b"))
		}
		if _, ok := w.lists[hashIDs(mk("old", "list"))]; ok {
			t.Fatal("a list unseen for 15 calls is still kept with forgetAfter 8")
		}
		if _, ok := w.lists[hashIDs(mk("a", "b"))]; !ok {
			t.Fatal("the list in use was dropped")
		}
	})
}

// TestWeightedHashCollision checks that two lists under one key do not share
// state: the newcomer takes the slot over.
func TestWeightedHashCollision(t *testing.T) {
	var w Weighted
	x := weighted(5, 3, 2)
	w.Order(slices.Clone(x))
	w.lists[hashIDs(mk("p", "q"))] = w.lists[hashIDs(x)] // force a collision
	c := []Candidate{{ID: "p", Weight: 1}, {ID: "q", Weight: 2}}
	w.Order(c)
	if c[0].ID != "q" {
		t.Fatalf("Order = %v, want q first as from a fresh state", idsOf(c))
	}
	if wl := w.lists[hashIDs(mk("p", "q"))]; !slices.Equal(wl.ids, []string{"p", "q"}) {
		t.Fatalf("slot holds %v, want [p q]", wl.ids)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
