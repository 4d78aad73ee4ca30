package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/routex/routex"
)

// quotaMargin is how long a window's key outlives the window: instances'
// clocks may differ by a little, and one that is behind still counts in the
// window the others have left.
const quotaMargin = 30 * time.Second

// takeScript counts one request in every window (KEYS, each a hash with
// fields r and t) unless one is exhausted. ARGV holds three values per key:
// its request cap, its token cap (0: none) and the key's time to live in
// milliseconds. It returns 0 when it counted, else the 1-based index of the
// exhausted window that rolls last.
var takeScript = goredis.NewScript(`
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
`)

// addTokensScript adds ARGV[1] tokens to every window; ARGV[1+i] is the
// time to live of KEYS[i] in milliseconds.
var addTokensScript = goredis.NewScript(`
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 't', ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[1+i])
end
return 0
`)

// quotaWindow is one window a request counts in. Limits of one length
// share it: a request counts once in it, and it is exhausted when any of
// them is.
type quotaWindow struct {
	per              time.Duration
	end              time.Time
	requests, tokens int64 // the smallest caps of its limits; 0: none
	key              string
	ttl              int64 // milliseconds
}

func capOf(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// windows returns channel's current window of each length in limits at now.
// Windows are fixed intervals of UTC time, as routex.Limit says. Keys live
// until the window ends, by now's clock, and quotaMargin: Redis's own clock
// is not consulted.
func (s *State) windows(channel string, limits []routex.Limit, now time.Time) []quotaWindow {
	ws := make([]quotaWindow, 0, len(limits))
next:
	for _, l := range limits {
		for i := range ws {
			if ws[i].per == l.Per {
				ws[i].requests, ws[i].tokens = capOf(ws[i].requests, l.Requests), capOf(ws[i].tokens, l.Tokens)
				continue next
			}
		}
		start := now.UTC().Truncate(l.Per)
		end := start.Add(l.Per)
		key := make([]byte, 0, len(s.prefix)+len(channel)+48)
		key = append(key, s.prefix...)
		key = append(key, "quota:{"...)
		key = appendEscaped(key, channel)
		key = append(key, "}:"...)
		key = strconv.AppendInt(key, l.Per.Milliseconds(), 10)
		key = append(key, ':')
		key = strconv.AppendInt(key, start.UnixMilli(), 10)
		ws = append(ws, quotaWindow{per: l.Per, end: end, requests: l.Requests, tokens: l.Tokens,
			key: string(key), ttl: max(end.Sub(now)+quotaMargin, time.Millisecond).Milliseconds()})
	}
	return ws
}

// Take counts one request in channel's current window of each of limits,
// unless one of them is exhausted, in one script run in Redis: instances
// together never pass a limit. It returns when the exhausted window that
// rolls last rolls, or the zero time when it counted.
func (s *State) Take(ctx context.Context, channel string, limits []routex.Limit, now time.Time) (time.Time, error) {
	if len(limits) == 0 {
		return time.Time{}, nil
	}
	ws := s.windows(channel, limits, now)
	keys := make([]string, len(ws))
	args := make([]any, 0, 3*len(ws))
	for i, w := range ws {
		keys[i] = w.key
		args = append(args, w.requests, w.tokens, w.ttl)
	}
	n, err := s.pipe.call(ctx, takeScript, keys, args...).Int()
	if err != nil {
		return time.Time{}, fmt.Errorf("redis: take quota: %w", err)
	}
	if n < 0 || n > len(ws) {
		return time.Time{}, fmt.Errorf("redis: take quota: script answered %d for %d windows", n, len(ws))
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return ws[n-1].end, nil
}

// AddTokens counts n tokens in channel's current windows of limits.
func (s *State) AddTokens(ctx context.Context, channel string, limits []routex.Limit, n int64, now time.Time) error {
	if len(limits) == 0 || n <= 0 {
		return nil
	}
	ws := s.windows(channel, limits, now)
	keys := make([]string, len(ws))
	args := make([]any, 1, 1+len(ws))
	args[0] = n
	for i, w := range ws {
		keys[i] = w.key
		args = append(args, w.ttl)
	}
	if err := s.pipe.call(ctx, addTokensScript, keys, args...).Err(); err != nil {
		return fmt.Errorf("redis: add tokens: %w", err)
	}
	return nil
}
