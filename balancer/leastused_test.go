package balancer

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestLeastUsedOrder(t *testing.T) {
	type step struct {
		begin, end string
	}
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"nothing observed keeps input order", nil, []string{"a", "b", "c"}},
		{"in flight goes last", []step{{begin: "a"}}, []string{"b", "c", "a"}},
		{"fewest in flight first", []step{
			{begin: "a"}, {begin: "a"}, {begin: "b"}, {begin: "c"}, {begin: "c"}, {begin: "c"},
		}, []string{"b", "a", "c"}},
		{"then fewest in total", []step{
			{begin: "a"}, {end: "a"}, {begin: "a"}, {end: "a"}, {begin: "b"}, {end: "b"},
		}, []string{"c", "b", "a"}},
		{"in flight outweighs total", []step{
			{begin: "a"}, {end: "a"}, {begin: "a"}, {end: "a"}, {begin: "b"},
		}, []string{"c", "a", "b"}},
		{"an extra End does not go below zero", []step{
			{begin: "a"}, {end: "a"}, {end: "a"}, {end: "a"}, {begin: "b"}, {begin: "c"}, {end: "c"},
		}, []string{"a", "c", "b"}},
		{"End without Begin is ignored", []step{{end: "b"}}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l LeastUsed
			for _, s := range tt.steps {
				if s.begin != "" {
					l.Begin(s.begin)
				}
				if s.end != "" {
					l.End(s.end, time.Millisecond, nil)
				}
			}
			c := mk("a", "b", "c")
			l.Order(c)
			if got := idsOf(c); !slices.Equal(got, tt.want) {
				t.Fatalf("Order = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLeastUsedSpreads follows the router's loop: order, begin on the first,
// end. With every attempt finished before the next, totals decide and the
// traffic spreads evenly.
func TestLeastUsedSpreads(t *testing.T) {
	var l LeastUsed
	got := map[string]int{}
	c := make([]Candidate, 3)
	for range 3000 {
		copy(c, mk("a", "b", "c"))
		l.Order(c)
		got[c[0].ID]++
		l.Begin(c[0].ID)
		l.End(c[0].ID, time.Millisecond, errors.New("failed")) // errors count alike
	}
	if want := map[string]int{"a": 1000, "b": 1000, "c": 1000}; !mapsEqual(got, want) {
		t.Fatalf("first positions %v, want %v", got, want)
	}
}

// TestLeastUsedNewcomer checks that a channel added to a busy router is
// brought level instead of taking every request until its total catches up.
func TestLeastUsedNewcomer(t *testing.T) {
	var l LeastUsed
	for range 100 {
		for _, id := range []string{"a", "b"} {
			l.Begin(id)
			l.End(id, time.Millisecond, nil)
		}
	}
	l.Order(mk("a", "b")) // a and b are level from here on

	c := mk("a", "b", "new")
	l.Order(c)
	if c[0].ID != "new" {
		t.Fatalf("Order = %v, want the unobserved channel first", idsOf(c))
	}
	l.Begin("new")
	l.End("new", time.Millisecond, nil)

	got := map[string]int{}
	for range 30 {
		copy(c, mk("a", "b", "new"))
		l.Order(c)
		got[c[0].ID]++
		l.Begin(c[0].ID)
		l.End(c[0].ID, time.Millisecond, nil)
	}
	if want := map[string]int{"a": 10, "b": 10, "new": 10}; !mapsEqual(got, want) {
		t.Fatalf("first positions %v, want %v", got, want)
	}
}

func TestLeastUsedConcurrent(t *testing.T) {
	var l LeastUsed
	ids := []string{"a", "b", "c", "d"}
	// Observe each once and order them, so the counts below are exact: a
	// candidate is brought level only the first time it is ordered.
	for _, id := range ids {
		l.Begin(id)
		l.End(id, 0, nil)
	}
	l.Order(mk(ids...))

	const goroutines, perG = 16, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			c := make([]Candidate, len(ids))
			for i := range perG {
				copy(c, mk(ids...))
				l.Order(c)
				id := ids[(g+i)%len(ids)]
				l.Begin(id)
				l.End(id, time.Millisecond, nil)
			}
		})
	}
	// Attempts left in flight while the others run.
	var held sync.WaitGroup
	for range 10 {
		held.Go(func() { l.Begin("a") })
	}
	wg.Wait()
	held.Wait()

	wantTotal := int64(1 + goroutines*perG/len(ids))
	for _, id := range ids {
		u := l.counts.lookup(id)
		wantIn := int64(0)
		total := wantTotal
		if id == "a" {
			wantIn, total = 10, wantTotal+10
		}
		if got := u.inFlight.Load(); got != wantIn {
			t.Errorf("%s: %d in flight, want %d", id, got, wantIn)
		}
		if got := u.total.Load(); got != total {
			t.Errorf("%s: total %d, want %d", id, got, total)
		}
	}
	c := mk(ids...)
	l.Order(c)
	if c[len(c)-1].ID != "a" {
		t.Errorf("Order = %v, want a, with attempts in flight, last", idsOf(c))
	}
}

func TestLeastUsedForget(t *testing.T) {
	var l LeastUsed
	l.Begin("a")
	l.Forget("a")
	c := mk("b", "a")
	l.Order(c)
	if got, want := idsOf(c), []string{"b", "a"}; !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v", got, want)
	}
	l.End("a", 0, nil) // the attempt begun before Forget ends; nothing to do
	if l.counts.lookup("a") != nil {
		t.Fatal("End after Forget brought the state back")
	}
}
