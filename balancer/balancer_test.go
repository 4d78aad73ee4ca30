package balancer

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// mk builds candidates with the given IDs and zero Priority and Weight.
func mk(ids ...string) []Candidate {
	cands := make([]Candidate, len(ids))
	for i, id := range ids {
		cands[i] = Candidate{ID: id}
	}
	return cands
}

func idsOf(cands []Candidate) []string {
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	return ids
}

// firsts calls b.Order calls times on fresh copies of cands and counts which
// ID comes first.
func firsts(b Balancer, cands []Candidate, calls int) map[string]int {
	got := make(map[string]int)
	c := make([]Candidate, len(cands))
	for range calls {
		copy(c, cands)
		b.Order(c)
		got[c[0].ID]++
	}
	return got
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		want Balancer
	}{
		{"priority", &Priority{}},
		{"round_robin", &RoundRobin{}},
		{"weighted", &Weighted{}},
		{"least_used", &LeastUsed{}},
		{"latency", &Latency{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.name)
			if err != nil {
				t.Fatalf("New(%q): %v", tt.name, err)
			}
			if reflect.TypeOf(b) != reflect.TypeOf(tt.want) {
				t.Fatalf("New(%q) = %T, want %T", tt.name, b, tt.want)
			}
			other, _ := New(tt.name)
			if _, stateless := b.(*Priority); !stateless && b == other {
				t.Errorf("New(%q) returned the same Balancer twice; each must have its own state", tt.name)
			}
		})
	}
	if got, want := len(Names()), len(tests); got != want {
		t.Errorf("Names() has %d names, the test covers %d", got, want)
	}
}

func TestNewUnknown(t *testing.T) {
	for _, name := range []string{"", "fastest", "Priority", "round-robin"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			b, err := New(name)
			if !errors.Is(err, ErrUnknownStrategy) {
				t.Fatalf("New(%q) = %v, %v; want ErrUnknownStrategy", name, b, err)
			}
			if b != nil {
				t.Errorf("New(%q) returned a Balancer with its error", name)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("%q", name)) {
				t.Errorf("error %q does not name %q", msg, name)
			}
			for _, valid := range Names() {
				if !strings.Contains(msg, valid) {
					t.Errorf("error %q does not list %q", msg, valid)
				}
			}
		})
	}
}

func TestNamesIsACopy(t *testing.T) {
	n := Names()
	n[0] = "changed"
	if Names()[0] == "changed" {
		t.Fatal("changing the slice Names returned changed the package's names")
	}
}

func TestFunc(t *testing.T) {
	var b Balancer = Func(func(c []Candidate) { slices.Reverse(c) })
	c := mk("a", "b", "c")
	b.Order(c)
	if got, want := idsOf(c), []string{"c", "b", "a"}; !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v", got, want)
	}
	if _, ok := b.(Observer); ok {
		t.Error("Func must not claim to be an Observer")
	}
}

// strategies returns a fresh instance of every strategy, by name.
func strategies(t testing.TB) map[string]Balancer {
	t.Helper()
	m := make(map[string]Balancer)
	for _, name := range Names() {
		b, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = b
	}
	return m
}

// TestOrderPermutes checks the one promise every strategy makes: the slice
// comes back with the same elements, only reordered. The sizes cross the
// scratch buffer and the switch to the library sort.
func TestOrderPermutes(t *testing.T) {
	for name, b := range strategies(t) {
		t.Run(name, func(t *testing.T) {
			obs, _ := b.(Observer)
			for _, n := range []int{0, 1, 2, 3, 10, scratchLen, scratchLen + 1, 2*scratchLen + 1, 100} {
				in := make([]Candidate, n)
				for i := range in {
					in[i] = Candidate{ID: fmt.Sprintf("c%d", i), Priority: (i * 7) % 3, Weight: i % 4}
				}
				for round := range 5 {
					c := slices.Clone(in)
					b.Order(c)
					if len(c) != n {
						t.Fatalf("n=%d: Order changed the length to %d", n, len(c))
					}
					sorted := slices.Clone(c)
					slices.SortFunc(sorted, func(x, y Candidate) int { return strings.Compare(x.ID, y.ID) })
					want := slices.Clone(in)
					slices.SortFunc(want, func(x, y Candidate) int { return strings.Compare(x.ID, y.ID) })
					if !slices.Equal(sorted, want) {
						t.Fatalf("n=%d round %d: Order returned %v, not a permutation of the input", n, round, idsOf(c))
					}
					if obs != nil && n > 0 {
						obs.Begin(c[0].ID)
						obs.End(c[0].ID, time.Duration(round+1)*time.Millisecond, nil)
					}
				}
			}
		})
	}
}

// TestConcurrentUse runs every strategy from many goroutines at once; run
// with -race it checks that each is safe for concurrent use.
func TestConcurrentUse(t *testing.T) {
	base := []Candidate{
		{ID: "a", Priority: 1, Weight: 5},
		{ID: "b", Priority: 0, Weight: 3},
		{ID: "c", Priority: 2, Weight: 2},
	}
	for name, b := range strategies(t) {
		t.Run(name, func(t *testing.T) {
			obs, _ := b.(Observer)
			fg, _ := b.(Forgetter)
			var wg sync.WaitGroup
			for g := range 16 {
				wg.Go(func() {
					c := make([]Candidate, len(base))
					for i := range 500 {
						copy(c, base)
						b.Order(c[:1+(g+i)%len(base)])
						if obs != nil {
							obs.Begin(c[0].ID)
							var err error
							if i%7 == 0 {
								err = errors.New("upstream failed")
							}
							obs.End(c[0].ID, time.Duration(i%13)*time.Millisecond, err)
						}
						if fg != nil && i%100 == 99 {
							fg.Forget("c")
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
