package balancer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

var (
	_ Balancer  = (*Latency)(nil)
	_ Observer  = (*Latency)(nil)
	_ Forgetter = (*Latency)(nil)
)

// Defaults for LatencySettings.
const (
	// DefaultLatencyAlpha lets an average move about a third of the way
	// to each new observation: a slowdown shows within a few requests, one
	// slow request does not.
	DefaultLatencyAlpha = 0.3
	// DefaultLatencyErrorPenalty is slower than most successful responses
	// take to start, so a failing channel drops behind healthy ones.
	DefaultLatencyErrorPenalty = time.Second
)

// LatencySettings configures a Latency balancer. The zero value is valid and
// gives the defaults.
type LatencySettings struct {
	// Alpha is the weight of the newest observation in each candidate's
	// moving average of latency: higher follows changes faster, lower
	// smooths out noise. Zero, or a value outside (0, 1], means
	// DefaultLatencyAlpha.
	Alpha float64

	// ErrorPenalty is the least latency a failed attempt counts as. A
	// failure counts as the largest of its measured latency, twice the
	// candidate's current average and ErrorPenalty, so a channel that fails
	// fast does not look fast. Zero or less means DefaultLatencyErrorPenalty.
	ErrorPenalty time.Duration

	// Rand returns a uniformly random int in [0, n); Order panics if it
	// returns anything else. It is called without any lock held. Nil means
	// math/rand/v2's IntN; a test sets it to make the choice of the first
	// candidate predictable.
	Rand func(n int) int
}

func (s *LatencySettings) alpha() float64 {
	if s.Alpha > 0 && s.Alpha <= 1 {
		return s.Alpha
	}
	return DefaultLatencyAlpha
}

func (s *LatencySettings) errorPenalty() time.Duration {
	if s.ErrorPenalty > 0 {
		return s.ErrorPenalty
	}
	return DefaultLatencyErrorPenalty
}

func (s *LatencySettings) intN(n int) int {
	if s.Rand != nil {
		return s.Rand(n)
	}
	return rand.IntN(n)
}

// Latency prefers the candidates that have answered fastest lately, measured
// as an exponentially weighted moving average of each one's time to response
// headers, with failures counted as slow (see LatencySettings.ErrorPenalty).
//
// The first candidate is chosen by the power of two choices: two candidates
// are picked at random and the one with the lower average goes first. This
// sends most traffic to the fast channels without sending all of it to the
// single fastest, which would leave the others' averages to go stale. The
// rest follow by ascending average, for failover. With only two candidates
// both are always picked, so the faster always goes first and the other is
// measured again only as a failover or once the faster has slowed past it.
//
// A candidate with no observation yet counts as fastest, so that a new
// channel is tried; while that first attempt is in flight it counts as
// slowest, so that a burst of requests does not all land on a channel whose
// speed is unknown.
//
// Latency learns only through its Observer methods. The zero value is ready
// to use with default settings, and Latency is safe for concurrent use.
type Latency struct {
	s     LatencySettings
	stats byID[latencyStats]
}

type latencyStats struct {
	ewma     atomic.Int64 // nanoseconds; 0 until the first observation
	inFlight atomic.Int64
}

// NewLatency returns a Latency balancer with the given settings.
func NewLatency(s LatencySettings) *Latency { return &Latency{s: s} }

// Order puts one of two randomly picked candidates first, the one with the
// lower average latency, and sorts the rest by average latency, lowest first.
func (l *Latency) Order(cands []Candidate) {
	n := len(cands)
	if n < 2 {
		return
	}
	var buf [scratchLen]ranked
	r := scratch(&buf, n)
	l.stats.mu.RLock()
	for i := range cands {
		r[i] = ranked{c: cands[i], a: cost(l.stats.m[cands[i].ID])}
	}
	l.stats.mu.RUnlock()

	i := l.s.intN(n)
	j := l.s.intN(n - 1)
	if j >= i {
		j++
	}
	// On a tie i stays: it is the random one, which spreads load evenly
	// across candidates that look the same.
	if r[j].a < r[i].a {
		i = j
	}
	chosen := r[i]
	copy(r[1:i+1], r[:i])
	r[0] = chosen
	sortRanked(r[1:])
	putBack(cands, r)
}

// cost is the key candidates are ordered by, lowest first.
func cost(st *latencyStats) int64 {
	if st == nil {
		return 0
	}
	if v := st.ewma.Load(); v > 0 {
		return v
	}
	if st.inFlight.Load() > 0 {
		return math.MaxInt64
	}
	return 0
}

// Begin counts an attempt on id as in flight.
func (l *Latency) Begin(id string) {
	l.stats.get(id).inFlight.Add(1)
}

// End folds the attempt's latency into id's average, or the error penalty if
// err is not nil. An attempt cancelled by the caller (err wrapping
// context.Canceled) says nothing about the channel and is not counted, nor is
// one without a Begin or begun before Forget.
func (l *Latency) End(id string, latency time.Duration, err error) {
	st := l.stats.lookup(id)
	if st == nil {
		return
	}
	defer decrementToZero(&st.inFlight)
	if errors.Is(err, context.Canceled) {
		return
	}
	alpha := l.s.alpha()
	sample := max(int64(latency), 1)
	for {
		old := st.ewma.Load()
		s := sample
		if err != nil {
			s = max(s, 2*min(old, math.MaxInt64/2), int64(l.s.errorPenalty()))
		}
		v := s
		if old > 0 {
			v = old + int64(math.Round(alpha*float64(s-old)))
		}
		// A positive average is how an observed candidate is told apart
		// from one never observed.
		if st.ewma.CompareAndSwap(old, max(v, 1)) {
			return
		}
	}
}

// Forget drops the averages and counts kept for id.
func (l *Latency) Forget(id string) {
	l.stats.forget(id)
}
