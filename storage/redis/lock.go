package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// unlockScript deletes KEYS[1] if it still holds the token ARGV[1]: a
// holder whose lock lapsed must not free the next holder's.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// unlockTimeout bounds the call that lets a lock go.
const unlockTimeout = 2 * time.Second

// Lock takes the lock called name for all instances, waiting while another
// holder has it (trying again every 10 to 50 ms) until ctx ends. The lock
// lapses after ttl unless unlock is called first; unlock after that does
// nothing. An error from Redis ends the wait at once.
func (s *State) Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error) {
	if ttl < time.Millisecond {
		return nil, fmt.Errorf("redis: lock %q: ttl %v is under a millisecond", name, ttl)
	}
	key := string(appendEscaped(append([]byte(s.prefix), "lock:"...), name))
	token := randomHex(16)
	wait := 10 * time.Millisecond
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("redis: lock %q: %w", name, err)
		}
		if ok {
			var once sync.Once
			return func() { once.Do(func() { s.unlock(key, name, token) }) }, nil
		}
		// Jitter spreads the waiters' tries.
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func (s *State) unlock(key, name, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if err := unlockScript.Run(ctx, s.rdb, []string{key}, token).Err(); err != nil && !errors.Is(err, goredis.Nil) {
		s.logger.Warn("redis: unlock failed; the lock lapses at its ttl", "lock", name, "err", err)
	}
}
