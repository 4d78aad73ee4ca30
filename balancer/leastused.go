package balancer

import (
	"sync/atomic"
	"time"
)

var (
	_ Balancer  = (*LeastUsed)(nil)
	_ Observer  = (*LeastUsed)(nil)
	_ Forgetter = (*LeastUsed)(nil)
)

// LeastUsed puts the candidate with the fewest attempts in flight first, then
// the one with the fewest attempts in total, so load spreads by what each
// channel is doing now and, when all are idle, evens out over time. Ties keep
// the order the candidates were given in.
//
// LeastUsed learns only through its Observer methods: a candidate it has not
// been told about counts as idle and unused. A channel added to a busy router
// would then take all traffic until its total caught up with the others', so
// the first time LeastUsed orders a new candidate next to known ones, it
// raises the newcomer's total to the lowest among them.
//
// The zero value is ready to use, and LeastUsed is safe for concurrent use.
type LeastUsed struct {
	counts byID[usage]
}

type usage struct {
	inFlight atomic.Int64
	total    atomic.Int64
	level    atomic.Bool // total has been brought level with its peers
}

// NewLeastUsed returns a LeastUsed balancer.
func NewLeastUsed() *LeastUsed { return &LeastUsed{} }

// Order sorts cands by attempts in flight, then by attempts in total, fewest
// first.
func (l *LeastUsed) Order(cands []Candidate) {
	n := len(cands)
	if n < 2 {
		return
	}
	var buf [scratchLen]ranked
	r := scratch(&buf, n)
	var low int64 = -1 // lowest total among level candidates
	newcomers := false
	l.counts.mu.RLock()
	for i := range cands {
		r[i] = ranked{c: cands[i]}
		u := l.counts.m[cands[i].ID]
		if u == nil {
			continue
		}
		r[i].a, r[i].b = u.inFlight.Load(), u.total.Load()
		if !u.level.Load() {
			newcomers = true
		} else if low < 0 || r[i].b < low {
			low = r[i].b
		}
	}
	if newcomers {
		l.levelNewcomers(r, low)
	}
	l.counts.mu.RUnlock()
	sortRanked(r)
	putBack(cands, r)
}

// levelNewcomers raises the total of each candidate in r not yet level to
// low, or marks it level as it is when there is nothing to compare with.
// Only the atomics change, so the read lock held by the caller is enough.
func (l *LeastUsed) levelNewcomers(r []ranked, low int64) {
	for i := range r {
		u := l.counts.m[r[i].c.ID]
		if u == nil || u.level.Load() {
			continue
		}
		if low >= 0 {
			for {
				t := u.total.Load()
				if t >= low || u.total.CompareAndSwap(t, low) {
					break
				}
			}
			r[i].b = max(r[i].b, low)
		}
		u.level.Store(true)
	}
}

// Begin counts an attempt on id as started and in flight.
func (l *LeastUsed) Begin(id string) {
	u := l.counts.get(id)
	u.total.Add(1)
	u.inFlight.Add(1)
}

// End counts the attempt on id as no longer in flight. latency and err do not
// matter to LeastUsed.
func (l *LeastUsed) End(id string, latency time.Duration, err error) {
	if u := l.counts.lookup(id); u != nil {
		decrementToZero(&u.inFlight)
	}
}

// Forget drops the counts kept for id, including those of attempts still in
// flight.
func (l *LeastUsed) Forget(id string) {
	l.counts.forget(id)
}
