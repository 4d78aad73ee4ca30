package balancer

import "sync"

var (
	_ Balancer  = (*Weighted)(nil)
	_ Forgetter = (*Weighted)(nil)
)

// weightedForgetAfter is how many Order calls a candidate list may go unseen
// before its state is dropped: enough that the list of a rarely used model
// keeps its place, few enough that lists of removed channels do not pile up.
const weightedForgetAfter = 1 << 16

// Weighted spreads traffic in proportion to each candidate's Weight with the
// smooth weighted round robin used by nginx. It is deterministic and exact:
// over 10 000 calls with weights 5, 3 and 2, the candidates come first 5000,
// 3000 and 2000 times. It is also smooth: with weights 5, 1 and 1 the first
// positions run a a b a c a a, not a a a a a b c.
//
// Weighted keeps the algorithm's running state per candidate list, the IDs in
// the order given, so each model's traffic is split exactly by the weights
// even when requests for models with overlapping channels interleave. A
// shared state per channel would let one model's requests shift another's
// shares. When a list changes, say while a channel's breaker is open, the new
// list gets its own state and the old one resumes where it stopped when the
// list comes back.
//
// After the first, candidates are ordered by descending current weight, which
// puts the one most owed a request next in line for failover; ties keep the
// order given.
//
// State for a list not seen in 65 536 consecutive calls is dropped; if it
// comes back it starts afresh.
//
// The zero value is ready to use, and Weighted is safe for concurrent use.
type Weighted struct {
	mu    sync.Mutex
	calls uint64 // Order calls with two or more candidates
	lists map[uint64]*weightedList

	forgetAfter uint64 // tests shorten it; 0 means weightedForgetAfter
}

// weightedList is the running state for one candidate list.
type weightedList struct {
	ids      []string
	current  []int64
	lastSeen uint64 // value of calls when last ordered
}

func (wl *weightedList) is(cands []Candidate) bool {
	if len(wl.ids) != len(cands) {
		return false
	}
	for i := range cands {
		if wl.ids[i] != cands[i].ID {
			return false
		}
	}
	return true
}

// NewWeighted returns a Weighted balancer.
func NewWeighted() *Weighted { return &Weighted{} }

// Order puts the candidate the algorithm chooses first and the others after
// it, most owed first.
func (w *Weighted) Order(cands []Candidate) {
	n := len(cands)
	if n < 2 {
		return
	}
	var buf [scratchLen]ranked
	r := scratch(&buf, n)
	key := hashIDs(cands)

	w.mu.Lock()
	w.calls++
	wl := w.lists[key]
	if wl == nil || !wl.is(cands) {
		// A different list under the same key is a hash collision; it
		// takes the slot over rather than sharing state it does not own.
		wl = newWeightedList(cands)
		if w.lists == nil {
			w.lists = make(map[uint64]*weightedList)
		}
		w.lists[key] = wl
	}
	wl.lastSeen = w.calls
	var total int64
	best := 0
	for i := range cands {
		wt := int64(max(cands[i].Weight, 1))
		wl.current[i] += wt
		total += wt
		if wl.current[i] > wl.current[best] {
			best = i
		}
	}
	wl.current[best] -= total
	for i := range cands {
		// Negated so that sorting ascending puts the most owed first.
		r[i] = ranked{c: cands[i], a: -wl.current[i]}
	}
	w.sweep()
	w.mu.Unlock()

	// Moving the chosen one to the front by shifting, rather than swapping,
	// keeps the rest in the order given before the stable sort.
	chosen := r[best]
	copy(r[1:best+1], r[:best])
	r[0] = chosen
	sortRanked(r[1:])
	putBack(cands, r)
}

func newWeightedList(cands []Candidate) *weightedList {
	wl := &weightedList{ids: make([]string, len(cands)), current: make([]int64, len(cands))}
	for i := range cands {
		wl.ids[i] = cands[i].ID
	}
	return wl
}

// sweep drops lists not seen for forgetAfter calls. Running it once every
// forgetAfter calls keeps its cost per call constant. w.mu is held.
func (w *Weighted) sweep() {
	after := w.forgetAfter
	if after == 0 {
		after = weightedForgetAfter
	}
	if w.calls%after != 0 {
		return
	}
	for key, wl := range w.lists {
		if w.calls-wl.lastSeen >= after {
			delete(w.lists, key)
		}
	}
}

// Forget drops the state of every candidate list that includes id.
func (w *Weighted) Forget(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, wl := range w.lists {
		for _, x := range wl.ids {
			if x == id {
				delete(w.lists, key)
				break
			}
		}
	}
}
