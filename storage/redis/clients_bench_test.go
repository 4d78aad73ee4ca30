package redis

// Benchmarks that compared go-redis with rueidis on the hot operations (the
// quota script and a GET) before one was chosen.

import (
	"context"
	"runtime"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/routex/routex/internal/testserver"
)

const benchTake = `
local worst, worstTTL = 0, -1
for i = 1, #KEYS do
  local rl, tl = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1])
  local v = redis.call('HMGET', KEYS[i], 'r', 't')
  if (rl > 0 and (tonumber(v[1]) or 0) >= rl) or (tl > 0 and (tonumber(v[2]) or 0) >= tl) then
    local ttl = tonumber(ARGV[3*i])
    if ttl > worstTTL then worst, worstTTL = i, ttl end
  end
end
if worst > 0 then return worst end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'r', 1)
  redis.call('PEXPIRE', KEYS[i], ARGV[3*i])
end
return 0
`

func clientBench(b *testing.B, parallel int, op func(ctx context.Context) error) {
	b.ReportAllocs()
	ctx := context.Background()
	if parallel == 1 {
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(parallel) // times GOMAXPROCS
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkClients(b *testing.B) {
	srv := testserver.StartRedis(b)
	gr := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer gr.Close()
	ru, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, DisableRetry: true})
	if err != nil {
		b.Fatal(err)
	}
	defer ru.Close()
	ctx := context.Background()
	if err := gr.Set(ctx, "bench:get", "channel-1|1700000000000", 0).Err(); err != nil {
		b.Fatal(err)
	}
	grScript := goredis.NewScript(benchTake)
	ruScript := rueidis.NewLuaScript(benchTake)
	keys := []string{"bench:quota:{c}:60000:0"}
	args := []string{"1000000000000", "0", "60000"}
	grArgs := []any{"1000000000000", "0", "60000"}
	// c=64: SetParallelism multiplies GOMAXPROCS.
	par := 64 / runtime.GOMAXPROCS(0)
	for _, c := range []struct {
		name string
		p    int
	}{{"c=1", 1}, {"c=64", par}} {
		b.Run("go-redis/take/"+c.name, func(b *testing.B) {
			clientBench(b, c.p, func(ctx context.Context) error { return grScript.Run(ctx, gr, keys, grArgs...).Err() })
		})
		b.Run("rueidis/take/"+c.name, func(b *testing.B) {
			clientBench(b, c.p, func(ctx context.Context) error { return ruScript.Exec(ctx, ru, keys, args).Error() })
		})
		b.Run("go-redis/get/"+c.name, func(b *testing.B) {
			clientBench(b, c.p, func(ctx context.Context) error { return gr.Get(ctx, "bench:get").Err() })
		})
		b.Run("rueidis/get/"+c.name, func(b *testing.B) {
			clientBench(b, c.p, func(ctx context.Context) error {
				return ru.Do(ctx, ru.B().Get().Key("bench:get").Build()).Error()
			})
		})
	}
}
