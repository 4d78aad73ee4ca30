package redis_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/testserver"
	"github.com/routex/routex/storage/redis"
)

// The benchmarks below each measure one State method against a
// redis-server on the loopback interface, each call a full round trip
// (the scripts run by EVALSHA once loaded). Every one comes in three forms:
//
//	serial      one goroutine calling in a loop: the latency of one call
//	            (run with -cpu 1)
//	parallel    b.RunParallel with GOMAXPROCS goroutines
//	parallel32  b.RunParallel with b.SetParallelism(32): 32×GOMAXPROCS
//	            goroutines (64 with -cpu 2), more than the connection pool
//	            holds (10×GOMAXPROCS), so calls also wait for a connection
//
// The parallel forms share one State, as a Client's requests do, so they
// show what concurrent callers get from its pool and from the one Redis.
// Before the timer starts, each form calls the method from as many
// goroutines as it will run, so that the pool's connections are already
// dialled.

// benchParallelism is the SetParallelism of the parallel32 forms.
const benchParallelism = 32

// benchState returns a State on a redis-server of its own, both gone when
// b ends.
func benchState(b *testing.B) *redis.State {
	b.Helper()
	srv := testserver.StartRedis(b)
	return open(b, srv.URL(), redis.WithPrefix(freshPrefix()))
}

// benchOp runs op as the serial, parallel and parallel32 sub-benchmarks of
// b. op must be safe for concurrent use.
func benchOp(b *testing.B, op func(ctx context.Context) error) {
	b.Run("serial", func(b *testing.B) {
		ctx := context.Background()
		warmUp(b, ctx, 1, op)
		b.ReportAllocs()
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, p := range []struct {
		name string
		par  int
	}{{"parallel", 1}, {"parallel32", benchParallelism}} {
		b.Run(p.name, func(b *testing.B) {
			ctx := context.Background()
			warmUp(b, ctx, p.par*runtime.GOMAXPROCS(0), op)
			b.ReportAllocs()
			b.SetParallelism(p.par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := op(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// warmUp calls op a few times from each of n goroutines at once.
func warmUp(b *testing.B, ctx context.Context, n int, op func(context.Context) error) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			for range 3 {
				if err := op(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// ample is a cap that the benchmarks never reach.
const ample = 1 << 50

// takeCounts returns an op that Takes channel's limits at now, and fails
// if a Take is refused.
func takeCounts(st *redis.State, channel string, limits []routex.Limit, now time.Time) func(context.Context) error {
	return func(ctx context.Context) error {
		until, err := st.Take(ctx, channel, limits, now)
		if err == nil && !until.IsZero() {
			err = fmt.Errorf("Take refused until %v", until)
		}
		return err
	}
}

// BenchmarkTake measures State.Take counting a request: the quota script
// reads, increments and extends the window's hash each call. 1limit has
// one per-minute limit; 2limits a per-minute and a per-hour limit, two
// windows in the one script run. Caps are never reached.
func BenchmarkTake(b *testing.B) {
	st := benchState(b)
	now := time.Now()
	b.Run("1limit", func(b *testing.B) {
		benchOp(b, takeCounts(st, "one", []routex.Limit{{Per: time.Minute, Requests: ample, Tokens: ample}}, now))
	})
	b.Run("2limits", func(b *testing.B) {
		benchOp(b, takeCounts(st, "two", []routex.Limit{
			{Per: time.Minute, Requests: ample, Tokens: ample},
			{Per: time.Hour, Requests: ample, Tokens: ample},
		}, now))
	})
}

// BenchmarkTakeExhausted measures State.Take refusing: the window's one
// request is used before the timer starts, so the script only reads the
// hash and the call returns when the window rolls.
func BenchmarkTakeExhausted(b *testing.B) {
	st := benchState(b)
	now := time.Now()
	limits := []routex.Limit{{Per: time.Minute, Requests: 1}}
	if until, err := st.Take(b.Context(), "full", limits, now); err != nil || !until.IsZero() {
		b.Fatalf("first Take = %v, %v", until, err)
	}
	benchOp(b, func(ctx context.Context) error {
		until, err := st.Take(ctx, "full", limits, now)
		if err == nil && until.IsZero() {
			err = errors.New("Take counted past the cap")
		}
		return err
	})
}

// BenchmarkAddTokens measures State.AddTokens adding a response's tokens
// to one window (1limit, per minute) or two (2limits, per minute and per
// hour) in one script run.
func BenchmarkAddTokens(b *testing.B) {
	st := benchState(b)
	now := time.Now()
	b.Run("1limit", func(b *testing.B) {
		limits := []routex.Limit{{Per: time.Minute, Tokens: ample}}
		benchOp(b, func(ctx context.Context) error { return st.AddTokens(ctx, "one", limits, 1234, now) })
	})
	b.Run("2limits", func(b *testing.B) {
		limits := []routex.Limit{{Per: time.Minute, Tokens: ample}, {Per: time.Hour, Tokens: ample}}
		benchOp(b, func(ctx context.Context) error { return st.AddTokens(ctx, "two", limits, 1234, now) })
	})
}

// benchSessionKey is a session key of a typical length.
const benchSessionKey = "conversation-6f1c2a9e-4b7d-4e1a-9c3f-2d8e5b7a0c41"

// BenchmarkSession measures State.Session finding a session that exists:
// a GET, and parsing what it holds.
func BenchmarkSession(b *testing.B) {
	st := benchState(b)
	if err := st.PutSession(b.Context(), routex.Session{Key: benchSessionKey, ChannelID: "openai-main", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	benchOp(b, func(ctx context.Context) error {
		_, ok, err := st.Session(ctx, benchSessionKey)
		if err == nil && !ok {
			err = errors.New("session not found")
		}
		return err
	})
}

// BenchmarkPutSession measures State.PutSession replacing a session: a SET
// with a time to live.
func BenchmarkPutSession(b *testing.B) {
	st := benchState(b)
	ss := routex.Session{Key: benchSessionKey, ChannelID: "openai-main", ExpiresAt: time.Now().Add(time.Hour)}
	benchOp(b, func(ctx context.Context) error { return st.PutSession(ctx, ss) })
}

// BenchmarkPost measures State.Post of an open breaker's note, called
// directly (a Client posts from a background queue): the script that keeps
// it in the notes hash and publishes it. No one follows, so the PUBLISH
// reaches no subscriber.
func BenchmarkPost(b *testing.B) {
	st := benchState(b)
	n := routex.HealthNote{Channel: "openai-main", Kind: routex.HealthOpen, Until: time.Now().Add(time.Hour)}
	benchOp(b, func(ctx context.Context) error { return st.Post(ctx, n) })
}
