package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/storage/memory"
)

// These benchmarks measure an Instance of a Shared doing what
// storage/redis's benchmarks of the same names measure, for comparison:
// each op in a serial form (run with -cpu 1) and a b.RunParallel form with
// GOMAXPROCS goroutines, all on one Shared, so the parallel form shows
// contention on its one mutex.

func benchShared(b *testing.B, op func(ctx context.Context) error) {
	b.Run("serial", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
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

const ample = 1 << 50

// BenchmarkSharedTake measures Take counting a request in one window
// (1limit) or two (2limits, per minute and per hour), and refusing one
// (exhausted).
func BenchmarkSharedTake(b *testing.B) {
	in := memory.NewShared().Instance()
	now := time.Now()
	for _, c := range []struct {
		name   string
		limits []routex.Limit
	}{
		{"1limit", []routex.Limit{{Per: time.Minute, Requests: ample}}},
		{"2limits", []routex.Limit{{Per: time.Minute, Requests: ample}, {Per: time.Hour, Requests: ample}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchShared(b, func(ctx context.Context) error {
				until, err := in.Take(ctx, c.name, c.limits, now)
				if err == nil && !until.IsZero() {
					err = errors.New("Take refused")
				}
				return err
			})
		})
	}
	b.Run("exhausted", func(b *testing.B) {
		limits := []routex.Limit{{Per: time.Minute, Requests: 1}}
		_, _ = in.Take(b.Context(), "full", limits, now)
		benchShared(b, func(ctx context.Context) error {
			until, err := in.Take(ctx, "full", limits, now)
			if err == nil && until.IsZero() {
				err = errors.New("Take counted past the cap")
			}
			return err
		})
	})
}

// BenchmarkSharedAddTokens measures AddTokens to two windows.
func BenchmarkSharedAddTokens(b *testing.B) {
	in := memory.NewShared().Instance()
	now := time.Now()
	limits := []routex.Limit{{Per: time.Minute, Tokens: ample}, {Per: time.Hour, Tokens: ample}}
	benchShared(b, func(ctx context.Context) error { return in.AddTokens(ctx, "c", limits, 1234, now) })
}

// BenchmarkSharedSession measures Session finding a session that exists.
func BenchmarkSharedSession(b *testing.B) {
	in := memory.NewShared().Instance()
	ss := routex.Session{Key: "k", ChannelID: "c", ExpiresAt: time.Now().Add(time.Hour)}
	if err := in.PutSession(b.Context(), ss); err != nil {
		b.Fatal(err)
	}
	benchShared(b, func(ctx context.Context) error {
		if _, ok, err := in.Session(ctx, "k"); err != nil || !ok {
			return errors.New("session not found")
		}
		return nil
	})
}

// BenchmarkSharedPutSession measures PutSession replacing a session.
func BenchmarkSharedPutSession(b *testing.B) {
	in := memory.NewShared().Instance()
	ss := routex.Session{Key: "k", ChannelID: "c", ExpiresAt: time.Now().Add(time.Hour)}
	benchShared(b, func(ctx context.Context) error { return in.PutSession(ctx, ss) })
}

// BenchmarkSharedPost measures Post of an open breaker's note, with no
// other instance following.
func BenchmarkSharedPost(b *testing.B) {
	in := memory.NewShared().Instance()
	n := routex.HealthNote{Channel: "c", Kind: routex.HealthOpen, Until: time.Now().Add(time.Hour)}
	benchShared(b, func(ctx context.Context) error { return in.Post(ctx, n) })
}
