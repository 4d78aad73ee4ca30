package balancer_test

import (
	"fmt"
	"strings"

	"github.com/routex/routex/balancer"
)

func ExampleNew() {
	b, err := balancer.New("priority")
	if err != nil {
		panic(err)
	}
	cands := []balancer.Candidate{
		{ID: "backup", Priority: 1},
		{ID: "main", Priority: 0},
	}
	b.Order(cands)
	fmt.Println(cands[0].ID, cands[1].ID)

	_, err = balancer.New("fastest")
	fmt.Println(err)
	// Output:
	// main backup
	// routex: balancer: unknown strategy "fastest" (valid: priority, round_robin, weighted, least_used, latency)
}

func ExampleWeighted() {
	w := balancer.NewWeighted()
	var firsts []string
	for range 7 {
		cands := []balancer.Candidate{
			{ID: "a", Weight: 5},
			{ID: "b", Weight: 1},
			{ID: "c", Weight: 1},
		}
		w.Order(cands)
		firsts = append(firsts, cands[0].ID)
	}
	fmt.Println(strings.Join(firsts, " "))
	// Output: a a b a c a a
}

func ExampleFunc() {
	// Prefer channels whose ID marks them as cheap, keeping the order
	// given otherwise.
	cheapFirst := balancer.Func(func(cands []balancer.Candidate) {
		n := 0
		for i, c := range cands {
			if strings.HasPrefix(c.ID, "cheap-") {
				copy(cands[n+1:i+1], cands[n:i])
				cands[n] = c
				n++
			}
		}
	})
	cands := []balancer.Candidate{{ID: "fast-1"}, {ID: "cheap-1"}, {ID: "fast-2"}, {ID: "cheap-2"}}
	cheapFirst.Order(cands)
	for _, c := range cands {
		fmt.Print(c.ID, " ")
	}
	fmt.Println()
	// Output: cheap-1 cheap-2 fast-1 fast-2
}
