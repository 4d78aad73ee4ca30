package balancer

import (
	"fmt"
	"testing"
	"time"
)

func benchCands(n int) []Candidate {
	c := make([]Candidate, n)
	for i := range c {
		c[i] = Candidate{ID: fmt.Sprintf("channel-%02d", i), Priority: (n - i) % 3, Weight: i%4 + 1}
	}
	return c
}

// warm gives stateful strategies the state they have in steady use, so the
// benchmark measures Order, not first sightings.
func warm(b Balancer, cands []Candidate) {
	if o, ok := b.(Observer); ok {
		for i, c := range cands {
			o.Begin(c.ID)
			o.End(c.ID, time.Duration(i+1)*time.Millisecond, nil)
		}
	}
	b.Order(append([]Candidate(nil), cands...))
}

func BenchmarkOrder(b *testing.B) {
	for _, name := range Names() {
		for _, n := range []int{3, 10} {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				bal, err := New(name)
				if err != nil {
					b.Fatal(err)
				}
				in := benchCands(n)
				warm(bal, in)
				c := make([]Candidate, n)
				b.ReportAllocs()
				for b.Loop() {
					copy(c, in)
					bal.Order(c)
				}
			})
		}
	}
}

// BenchmarkOrderParallel shows what the locks cost when every request
// orders at once.
func BenchmarkOrderParallel(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			bal, err := New(name)
			if err != nil {
				b.Fatal(err)
			}
			in := benchCands(3)
			warm(bal, in)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c := make([]Candidate, len(in))
				for pb.Next() {
					copy(c, in)
					bal.Order(c)
				}
			})
		})
	}
}

// BenchmarkObserve measures the cost of reporting one attempt.
func BenchmarkObserve(b *testing.B) {
	for _, name := range []string{"least_used", "latency"} {
		b.Run(name, func(b *testing.B) {
			bal, err := New(name)
			if err != nil {
				b.Fatal(err)
			}
			o := bal.(Observer)
			warm(bal, benchCands(3))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o.Begin("channel-01")
					o.End("channel-01", 120*time.Millisecond, nil)
				}
			})
		})
	}
}
