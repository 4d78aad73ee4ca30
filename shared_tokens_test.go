package routex

import (
	"context"
	"sync"
	"testing"
	"time"
)

// tokenCounter is a QuotaCounter whose AddTokens waits at gate, as a slow
// shared state would.
type tokenCounter struct {
	gate  chan struct{}
	mu    sync.Mutex
	sum   int64
	calls int
}

func (q *tokenCounter) Take(context.Context, string, []Limit, time.Time) (time.Time, error) {
	return time.Time{}, nil
}

func (q *tokenCounter) AddTokens(_ context.Context, _ string, _ []Limit, n int64, _ time.Time) error {
	<-q.gate
	q.mu.Lock()
	q.sum += n
	q.calls++
	q.mu.Unlock()
	return nil
}

// Answers used to queue one update each: more than the queue holds while
// the shared state is slow, and the tokens past it were lost. Now they add
// up while they wait, and every token is counted.
func TestSharedTokensAddUpWhileTheyWait(t *testing.T) {
	q := &tokenCounter{gate: make(chan struct{})}
	c, err := New(WithShared(Shared{Quotas: q}))
	if err != nil {
		t.Fatal(err)
	}
	sh := c.shared
	limits := []Limit{{Per: time.Minute, Tokens: 1 << 40}}
	now := time.Now()
	const answers = 3 * sharedQueue
	for i := range answers {
		sh.addTokens("a", limits, 7, now.Add(time.Duration(i%3)*time.Second))
	}
	close(q.gate)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sum != 7*answers {
		t.Errorf("%d tokens counted, want %d", q.sum, 7*answers)
	}
	if q.calls > 6 {
		t.Errorf("%d updates for 3 seconds' tokens of one channel, want at most 6", q.calls)
	}
	if d := sh.dropped.Load(); d != 0 {
		t.Errorf("%d updates dropped", d)
	}
}
