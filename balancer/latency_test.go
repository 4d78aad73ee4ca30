package balancer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// scripted returns a Rand that hands out vals in turn and records the n it
// was called with.
func scripted(t *testing.T, vals ...int) (rand func(int) int, calls *[]int) {
	t.Helper()
	calls = new([]int)
	return func(n int) int {
		*calls = append(*calls, n)
		if len(vals) == 0 {
			t.Fatalf("Rand(%d) called more often than scripted", n)
		}
		v := vals[0]
		vals = vals[1:]
		return v
	}, calls
}

// observe reports one finished attempt on id.
func observe(o Observer, id string, latency time.Duration, err error) {
	o.Begin(id)
	o.End(id, latency, err)
}

func TestLatencyOrder(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		observe func(l *Latency)
		rand    []int // values Rand returns: i, then j before it is shifted past i
		want    []string
	}{
		{
			name:    "prefers the faster of two",
			observe: func(l *Latency) { observe(l, "a", 500*ms, nil); observe(l, "b", 100*ms, nil) },
			rand:    []int{0, 0}, // picks a, then b
			want:    []string{"b", "a"},
		},
		{
			name:    "prefers the faster of two, picked the other way round",
			observe: func(l *Latency) { observe(l, "a", 500*ms, nil); observe(l, "b", 100*ms, nil) },
			rand:    []int{1, 0}, // picks b, then a
			want:    []string{"b", "a"},
		},
		{
			name: "first is the better of the two picked, not the best",
			observe: func(l *Latency) {
				observe(l, "a", 100*ms, nil)
				observe(l, "b", 300*ms, nil)
				observe(l, "c", 200*ms, nil)
			},
			rand: []int{1, 1}, // picks b, then c (index 2)
			want: []string{"c", "a", "b"},
		},
		{
			name:    "unobserved is probed first",
			observe: func(l *Latency) { observe(l, "a", ms, nil); observe(l, "b", ms, nil) },
			rand:    []int{0, 1}, // picks a, then c
			want:    []string{"c", "a", "b"},
		},
		{
			name: "unobserved with a probe in flight goes last",
			observe: func(l *Latency) {
				observe(l, "a", 200*ms, nil)
				observe(l, "b", 100*ms, nil)
				l.Begin("c")
			},
			rand: []int{2, 0}, // picks c, then a
			want: []string{"a", "b", "c"},
		},
		{
			name: "a fast failure counts as slow",
			observe: func(l *Latency) {
				observe(l, "a", 10*ms, errors.New("502"))
				observe(l, "b", 800*ms, nil)
			},
			rand: []int{0, 0},
			want: []string{"b", "a"},
		},
		{
			name: "a cancelled attempt is not counted",
			observe: func(l *Latency) {
				observe(l, "a", 100*ms, nil)
				observe(l, "b", 200*ms, nil)
				observe(l, "a", 10*time.Second, fmt.Errorf("reading headers: %w", context.Canceled))
			},
			rand: []int{0, 0},
			want: []string{"a", "b"},
		},
		{
			name:    "ties go to the first picked",
			observe: func(l *Latency) { observe(l, "a", ms, nil); observe(l, "b", ms, nil); observe(l, "c", ms, nil) },
			rand:    []int{2, 0},
			want:    []string{"c", "a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rand, calls := scripted(t, tt.rand...)
			l := NewLatency(LatencySettings{Rand: rand})
			tt.observe(l)
			c := mk("a", "b", "c")[:len(tt.want)]
			l.Order(c)
			if got := idsOf(c); !slices.Equal(got, tt.want) {
				t.Fatalf("Order = %v, want %v", got, tt.want)
			}
			if n := len(c); !slices.Equal(*calls, []int{n, n - 1}) {
				t.Errorf("Rand called with %v, want [%d %d]", *calls, n, n-1)
			}
		})
	}
}

func TestLatencyOneCandidateSkipsRand(t *testing.T) {
	rand, calls := scripted(t)
	l := NewLatency(LatencySettings{Rand: rand})
	for _, c := range [][]Candidate{nil, mk("a")} {
		l.Order(c)
	}
	if len(*calls) != 0 {
		t.Fatalf("Rand called %v for fewer than two candidates", *calls)
	}
}

func TestLatencyAverage(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		settings LatencySettings
		observe  func(o Observer)
		want     time.Duration
	}{
		{"first observation is taken as is", LatencySettings{}, func(o Observer) {
			observe(o, "a", 120*ms, nil)
		}, 120 * ms},
		{"moves by alpha", LatencySettings{Alpha: 0.5}, func(o Observer) {
			observe(o, "a", 100*ms, nil)
			observe(o, "a", 300*ms, nil)
		}, 200 * ms},
		{"default alpha", LatencySettings{}, func(o Observer) {
			observe(o, "a", 100*ms, nil)
			observe(o, "a", 200*ms, nil)
		}, 130 * ms},
		{"alpha out of range means the default", LatencySettings{Alpha: 1.5}, func(o Observer) {
			observe(o, "a", 100*ms, nil)
			observe(o, "a", 200*ms, nil)
		}, 130 * ms},
		{"alpha 1 keeps only the newest", LatencySettings{Alpha: 1}, func(o Observer) {
			observe(o, "a", 100*ms, nil)
			observe(o, "a", 700*ms, nil)
		}, 700 * ms},
		{"first failure counts as the penalty", LatencySettings{}, func(o Observer) {
			observe(o, "a", 5*ms, errors.New("429"))
		}, time.Second},
		{"failure counts as twice the average when that is more", LatencySettings{Alpha: 1}, func(o Observer) {
			observe(o, "a", 3*time.Second, nil)
			observe(o, "a", 5*ms, errors.New("500"))
		}, 6 * time.Second},
		{"slow failure counts as measured", LatencySettings{Alpha: 1, ErrorPenalty: 50 * ms}, func(o Observer) {
			observe(o, "a", 10*ms, nil)
			observe(o, "a", 90*ms, errors.New("timeout"))
		}, 90 * ms},
		{"custom penalty", LatencySettings{ErrorPenalty: 250 * ms}, func(o Observer) {
			observe(o, "a", ms, errors.New("500"))
		}, 250 * ms},
		{"zero latency still counts as observed", LatencySettings{}, func(o Observer) {
			observe(o, "a", 0, nil)
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLatency(tt.settings)
			tt.observe(l)
			st := l.stats.lookup("a")
			if got := time.Duration(st.ewma.Load()); got != tt.want {
				t.Fatalf("average %v, want %v", got, tt.want)
			}
			if n := st.inFlight.Load(); n != 0 {
				t.Errorf("%d attempts in flight after all ended", n)
			}
		})
	}
}

// TestLatencyShiftsAway checks that a channel that slows down loses its
// place as its average climbs past the other's.
func TestLatencyShiftsAway(t *testing.T) {
	l := NewLatency(LatencySettings{Alpha: 0.5, Rand: func(n int) int { return 0 }})
	observe(l, "a", 100*time.Millisecond, nil)
	observe(l, "b", 300*time.Millisecond, nil)
	var firsts []string
	for range 4 {
		c := mk("a", "b")
		l.Order(c)
		firsts = append(firsts, c[0].ID)
		observe(l, c[0].ID, time.Second, nil) // whoever is first is slow now
	}
	// a: 100 -> 550; b: 300 -> 650; a: 550 -> 775; b: 650 -> 825.
	if want := []string{"a", "b", "a", "b"}; !slices.Equal(firsts, want) {
		t.Fatalf("first positions %v, want %v", firsts, want)
	}
}

func TestLatencyDefaultRand(t *testing.T) {
	// With the real source, both of three equal candidates must come
	// first at some point; a Rand that ignored n would fail this.
	var l Latency
	got := firsts(&l, mk("a", "b", "c"), 300)
	for _, id := range []string{"a", "b", "c"} {
		if got[id] == 0 {
			t.Errorf("%s never first in 300 calls: %v", id, got)
		}
	}
}

func TestLatencyForget(t *testing.T) {
	l := NewLatency(LatencySettings{Rand: func(int) int { return 0 }})
	observe(l, "a", time.Second, nil)
	observe(l, "b", time.Millisecond, nil)
	l.Begin("a")
	l.Forget("a")
	l.End("a", time.Second, nil) // begun before Forget: not counted
	if l.stats.lookup("a") != nil {
		t.Fatal("End after Forget brought the state back")
	}
	c := mk("b", "a")
	l.Order(c)
	if c[0].ID != "a" {
		t.Fatalf("Order = %v, want the forgotten a probed first", idsOf(c))
	}
}
