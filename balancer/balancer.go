package balancer

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Candidate is the small view of a channel a Balancer sees.
type Candidate struct {
	// ID identifies the channel; strategies that keep state key it by ID.
	ID string
	// Priority orders candidates for the Priority strategy: lower first.
	Priority int
	// Weight is the candidate's share for the Weighted strategy; a value
	// of zero or less counts as 1.
	Weight int
}

// Balancer orders candidates best first, in place. The router tries them in
// that order, moving to the next on a failed attempt, so every element must
// stay in the slice: a Balancer permutes, it never drops or adds.
//
// Implementations must be safe for concurrent use: Order is called by every
// request, from many goroutines at once.
type Balancer interface {
	Order(cands []Candidate)
}

// Func adapts an ordinary function to the Balancer interface.
type Func func(cands []Candidate)

// Order calls f(cands).
func (f Func) Order(cands []Candidate) { f(cands) }

// Observer is an optional capability of a Balancer. When the Balancer given
// to the router implements it, the router reports every upstream attempt:
// Begin when the attempt starts and End, exactly once, when it ends.
//
// Implementations must be safe for concurrent use.
type Observer interface {
	// Begin reports that an attempt on the candidate with this ID starts.
	Begin(id string)
	// End reports that the attempt ended. latency is the time to the
	// upstream's response headers; err is nil on success.
	End(id string, latency time.Duration, err error)
}

// Forgetter is an optional capability of a Balancer that keeps state per
// candidate ID. The router calls Forget when a channel is removed, so the
// state does not outlive it; a channel later added under the same ID starts
// afresh.
type Forgetter interface {
	Forget(id string)
}

// ErrUnknownStrategy is returned by New for a name it does not know. The
// error wrapping it lists the valid names.
var ErrUnknownStrategy = errors.New("routex: balancer: unknown strategy")

// names is in the order Names reports, with the most predictable first.
var names = []string{"priority", "round_robin", "weighted", "least_used", "latency"}

// Names returns the strategy names New accepts.
func Names() []string { return append([]string(nil), names...) }

// New returns a new Balancer for the strategy with the given name, with
// default settings: "priority", "round_robin", "weighted", "least_used" or
// "latency". Each call returns a Balancer with its own state.
func New(name string) (Balancer, error) {
	switch name {
	case "priority":
		return NewPriority(), nil
	case "round_robin":
		return NewRoundRobin(), nil
	case "weighted":
		return NewWeighted(), nil
	case "least_used":
		return NewLeastUsed(), nil
	case "latency":
		return NewLatency(LatencySettings{}), nil
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownStrategy, name, strings.Join(names, ", "))
}

// scratchLen covers the candidate lists routers see in practice, so the
// strategies that sort by a computed key keep their working set on the stack.
// Longer lists still work; they cost one allocation.
const scratchLen = 16

// ranked is a candidate with the key it is sorted by. Carrying the candidate
// along, rather than looking the key up from the comparison, keeps state
// lookups (and any locks they need) out of the sort.
type ranked struct {
	c    Candidate
	a, b int64 // compared in that order, ascending
}

func compareRanked(x, y ranked) int {
	if c := cmp.Compare(x.a, y.a); c != 0 {
		return c
	}
	return cmp.Compare(x.b, y.b)
}

// sortRanked sorts r stably by key, with insertion sort because lists are
// short and it needs neither a closure nor the generic sort's setup.
func sortRanked(r []ranked) {
	if len(r) > 2*scratchLen {
		slices.SortStableFunc(r, compareRanked)
		return
	}
	for i := 1; i < len(r); i++ {
		x := r[i]
		j := i
		for ; j > 0 && (x.a < r[j-1].a || x.a == r[j-1].a && x.b < r[j-1].b); j-- {
			r[j] = r[j-1]
		}
		r[j] = x
	}
}

// scratch returns a slice of n ranked elements, backed by buf when it fits.
func scratch(buf *[scratchLen]ranked, n int) []ranked {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]ranked, n)
}

// putBack writes the sorted candidates back into cands.
func putBack(cands []Candidate, r []ranked) {
	for i := range r {
		cands[i] = r[i].c
	}
}

// byID maps candidate IDs to state that is read on every request and added
// to only when a channel is first seen, hence the RWMutex. The state itself
// is atomic, so callers hold the lock only to find it.
type byID[T any] struct {
	mu sync.RWMutex
	m  map[string]*T
}

// lookup returns the state for id, or nil.
func (b *byID[T]) lookup(id string) *T {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m[id]
}

// get returns the state for id, creating it if needed.
func (b *byID[T]) get(id string) *T {
	if v := b.lookup(id); v != nil {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.m[id]
	if v == nil {
		if b.m == nil {
			b.m = make(map[string]*T)
		}
		v = new(T)
		b.m[id] = v
	}
	return v
}

func (b *byID[T]) forget(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, id)
}

// decrementToZero decrements n unless it is already zero, so that an End
// reported twice, or after Forget, cannot leave a count below zero that would
// make a channel look idle for good.
func decrementToZero(n *atomic.Int64) {
	for {
		v := n.Load()
		if v <= 0 || n.CompareAndSwap(v, v-1) {
			return
		}
	}
}

// hashIDs hashes the IDs in order, to key state kept per candidate list. It
// is deterministic, unlike maphash, so that which lists share a RoundRobin
// rotation does not change from run to run, and it reads eight bytes a step
// because it runs on every request.
func hashIDs(cands []Candidate) uint64 {
	h := uint64(len(cands))
	for i := range cands {
		id := cands[i].ID
		// The length first, so that ("ab", "c") and ("a", "bc") differ.
		h = mix(h, uint64(len(id)))
		for ; len(id) >= 8; id = id[8:] {
			h = mix(h, uint64(id[0])|uint64(id[1])<<8|uint64(id[2])<<16|uint64(id[3])<<24|
				uint64(id[4])<<32|uint64(id[5])<<40|uint64(id[6])<<48|uint64(id[7])<<56)
		}
		var tail uint64
		for j := 0; j < len(id); j++ {
			tail |= uint64(id[j]) << (8 * j)
		}
		h = mix(h, tail)
	}
	// Finalizer from MurmurHash3: the callers use the low bits, which the
	// multiplications above leave poorly mixed.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func mix(h, v uint64) uint64 {
	h = (h ^ v) * 0x9e3779b97f4a7c15 // 2**64 / golden ratio
	return h ^ h>>32
}
