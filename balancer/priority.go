package balancer

import (
	"cmp"
	"slices"
)

var _ Balancer = (*Priority)(nil)

// Priority orders candidates by Priority, lowest first; candidates with equal
// Priority keep the order they were given in. It is fully predictable: the
// same candidates always come out in the same order, so traffic goes to the
// preferred channel and the others serve only as failover.
//
// Priority keeps no state. The zero value is ready to use, and it is safe for
// concurrent use.
type Priority struct{}

// NewPriority returns a Priority balancer.
func NewPriority() *Priority { return &Priority{} }

// Order sorts cands stably by Priority, lowest first.
func (*Priority) Order(cands []Candidate) {
	if len(cands) > 2*scratchLen {
		slices.SortStableFunc(cands, comparePriority)
		return
	}
	for i := 1; i < len(cands); i++ {
		x := cands[i]
		j := i
		for ; j > 0 && x.Priority < cands[j-1].Priority; j-- {
			cands[j] = cands[j-1]
		}
		cands[j] = x
	}
}

func comparePriority(x, y Candidate) int { return cmp.Compare(x.Priority, y.Priority) }
