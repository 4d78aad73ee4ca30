package balancer

import (
	"slices"
	"sync/atomic"
)

var _ Balancer = (*RoundRobin)(nil)

// rrStripes is the number of independent rotations a RoundRobin keeps.
const rrStripes = 64

// RoundRobin rotates the candidates: each call puts the next one first,
// keeping the cyclic order of the rest for failover. Over N calls with the
// same n candidates in the same order, each is first exactly N/n times.
//
// A single shared counter would let the traffic of one model steer another's:
// if requests for two models alternated, each model would see only every
// other count and, with two candidates, always the same one first. So the
// rotation is kept per candidate list, found by a hash of the IDs; lists that
// share a hash share a rotation, which only brings back the shared-counter
// behaviour for them.
//
// The zero value is ready to use. RoundRobin takes no lock and is safe for
// concurrent use.
type RoundRobin struct {
	next [rrStripes]atomic.Uint64
}

// NewRoundRobin returns a RoundRobin balancer.
func NewRoundRobin() *RoundRobin { return &RoundRobin{} }

// Order rotates cands by one position more than the previous call with the
// same candidates.
func (rr *RoundRobin) Order(cands []Candidate) {
	n := len(cands)
	if n < 2 {
		return
	}
	k := int((rr.next[hashIDs(cands)%rrStripes].Add(1) - 1) % uint64(n))
	if k == 0 {
		return
	}
	// Rotating left by k with three reversals moves nothing to the heap.
	slices.Reverse(cands[:k])
	slices.Reverse(cands[k:])
	slices.Reverse(cands)
}
