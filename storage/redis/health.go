package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/routex/routex"
)

// Notes are kept in one hash, a field per channel and kind: the kind's
// letter then the channel id, valued the note's Until in Unix
// milliseconds. An open and a closed breaker share the letter 'o'; a closed
// breaker is the field's absence.
const (
	slotOpen    = 'o'
	slotLimited = 'r'
	slotLow     = 'l'
)

// notesMargin is how long the notes hash outlives the last note in it that
// is in force; Notes prunes the stale fields of a hash still alive.
const notesMargin = time.Minute

// postScript keeps one note in KEYS[1] and publishes it, in one step so
// that the notes kept and the notes followed come in the same order.
// ARGV: the field, what to do ("set", "max": set unless what is kept is
// later, "del", "none"), Until in ms, the hash's time to live in ms, the
// Pub/Sub channel and the message.
var postScript = goredis.NewScript(`
local op = ARGV[2]
if op == 'del' then
  redis.call('HDEL', KEYS[1], ARGV[1])
elseif op ~= 'none' then
  local keep = true
  if op == 'max' then
    local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
    keep = tonumber(ARGV[3]) > cur
  end
  if keep then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
    local ttl = tonumber(ARGV[4])
    if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  end
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 0
`)

// notesScript returns KEYS[1]'s fields and values whose Until is after
// ARGV[1] (ms), and deletes the others.
var notesScript = goredis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local out, stale = {}, {}
for i = 1, #all, 2 do
  if tonumber(all[i+1]) > tonumber(ARGV[1]) then
    out[#out+1] = all[i]
    out[#out+1] = all[i+1]
  else
    stale[#stale+1] = all[i]
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
return out
`)

func slotOf(k routex.HealthKind) (byte, bool) {
	switch k {
	case routex.HealthOpen, routex.HealthClosed:
		return slotOpen, true
	case routex.HealthRateLimited:
		return slotLimited, true
	case routex.HealthLow:
		return slotLow, true
	}
	return 0, false
}

func kindOf(slot byte) routex.HealthKind {
	switch slot {
	case slotOpen:
		return routex.HealthOpen
	case slotLimited:
		return routex.HealthRateLimited
	case slotLow:
		return routex.HealthLow
	}
	return 0
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Post keeps n for Notes and publishes it to the other instances'
// followers. An open breaker replaces the channel's last; a close removes
// it; a cool-down is never shortened; headroom replaces the last, and one
// whose Until is not after now removes it.
func (s *State) Post(ctx context.Context, n routex.HealthNote) error {
	slot, ok := slotOf(n.Kind)
	if !ok {
		return fmt.Errorf("redis: post: unknown health kind %v", n.Kind)
	}
	now := time.Now()
	live := n.Until.After(now)
	op := "set"
	switch {
	case n.Kind == routex.HealthClosed:
		op = "del"
	case n.Kind == routex.HealthRateLimited && live:
		op = "max"
	case n.Kind == routex.HealthRateLimited:
		op = "none"
	case !live:
		op = "del"
	}
	until := unixMilli(n.Until)
	if n.Kind == routex.HealthClosed {
		until = 0
	}
	ttl := max(n.Until.Sub(now)+notesMargin, time.Millisecond).Milliseconds()
	msg := make([]byte, 0, len(s.id)+len(n.Channel)+24)
	msg = append(msg, s.id...)
	msg = append(msg, ':')
	msg = strconv.AppendUint(msg, uint64(n.Kind), 10)
	msg = append(msg, ':')
	msg = strconv.AppendInt(msg, until, 10)
	msg = append(msg, ':')
	msg = append(msg, n.Channel...)
	field := string(slot) + n.Channel
	err := postScript.Run(ctx, s.rdb, []string{s.notesKey}, field, op, until, ttl, s.notesTopic, msg).Err()
	if err != nil {
		return fmt.Errorf("redis: post health note: %w", err)
	}
	return nil
}

// decodeNote reads a published note: the poster's id, the kind, Until in
// ms and the channel, colon-separated.
func decodeNote(msg string) (from string, n routex.HealthNote, err error) {
	from, rest, ok1 := strings.Cut(msg, ":")
	kind, rest, ok2 := strings.Cut(rest, ":")
	until, channel, ok3 := strings.Cut(rest, ":")
	k, err1 := strconv.ParseUint(kind, 10, 8)
	ms, err2 := strconv.ParseInt(until, 10, 64)
	if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil {
		return "", n, errors.New("redis: malformed health note")
	}
	return from, routex.HealthNote{Channel: channel, Kind: routex.HealthKind(k), Until: fromMilli(ms)}, nil
}

// Notes returns the notes whose Until is after now, and prunes the ones no
// longer in force by this machine's clock.
func (s *State) Notes(ctx context.Context, now time.Time) ([]routex.HealthNote, error) {
	wall := time.Now()
	vals, err := notesScript.Run(ctx, s.rdb, []string{s.notesKey}, wall.UnixMilli()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redis: health notes: %w", err)
	}
	out := make([]routex.HealthNote, 0, len(vals)/2)
	for i := 0; i+1 < len(vals); i += 2 {
		field := vals[i]
		ms, err := strconv.ParseInt(vals[i+1], 10, 64)
		if field == "" || err != nil || kindOf(field[0]) == 0 {
			continue // not written by this package
		}
		n := routex.HealthNote{Channel: field[1:], Kind: kindOf(field[0]), Until: time.UnixMilli(ms)}
		if n.Until.After(now) {
			out = append(out, n)
		}
	}
	return out, nil
}

const (
	// followCheck is how long a follower waits for a message before it
	// pings, and then for the answer before it takes the connection for
	// dead and subscribes on a new one.
	followCheck = 5 * time.Second
	// followBackoff bounds the wait between tries to reach Redis again.
	followBackoff = time.Second
)

// follower is one Follow: the subscription it reads, replaced when the
// connection hangs, and the way to stop it.
type follower struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	ps      *goredis.PubSub
	stopped bool
}

// use makes ps the subscription stop closes; false if stop came first.
func (f *follower) use(ps *goredis.PubSub) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	f.ps = ps
	return true
}

func (f *follower) stop() {
	f.once.Do(func() {
		f.cancel()
		f.mu.Lock()
		f.stopped = true
		ps := f.ps
		f.mu.Unlock()
		if ps != nil {
			_ = ps.Close() // ends a read under way
		}
		<-f.done
	})
}

// Follow calls fn with each note the other instances post, in the order
// they were posted, one at a time, until stop is called; stop waits for a
// call under way, so fn must not call it. It subscribes on a connection of
// its own, and when Redis goes away it subscribes again once Redis is
// back, then hands on the notes in force, since those posted in between
// were missed.
func (s *State) Follow(fn func(routex.HealthNote)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return func() {}
	}
	s.followers[f] = struct{}{}
	s.mu.Unlock()
	go func() {
		defer close(f.done)
		s.follow(ctx, f, fn)
	}()
	return func() {
		f.stop()
		s.mu.Lock()
		delete(s.followers, f)
		s.mu.Unlock()
	}
}

func (s *State) follow(ctx context.Context, f *follower, fn func(routex.HealthNote)) {
	var lost bool
	wait := 50 * time.Millisecond
	pause := func() bool {
		t := time.NewTimer(wait)
		defer t.Stop()
		wait = min(2*wait, followBackoff)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for ctx.Err() == nil {
		ps := s.rdb.Subscribe(ctx, s.notesTopic) // on failure, Receive subscribes again
		if !f.use(ps) {
			_ = ps.Close()
			return
		}
		pinged := false
		for ctx.Err() == nil {
			msg, err := ps.ReceiveTimeout(ctx, followCheck)
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() && !pinged {
					pinged = true
					_ = ps.Ping(ctx)
					continue
				}
				if !lost {
					lost = true
					s.logger.Warn("redis: following health notes: Redis unreachable; subscribing again when it is back", "err", err)
				}
				if ne != nil && ne.Timeout() {
					break // no answer to a ping: a new connection
				}
				if !pause() {
					break
				}
				continue
			}
			pinged = false
			switch m := msg.(type) {
			case *goredis.Subscription:
				wait = 50 * time.Millisecond
				if lost {
					lost = false
					s.logger.Info("redis: following health notes again")
					// Notes posted while the subscription was down were
					// missed: hand on those still in force, now that
					// nothing more can be.
					if notes, err := s.Notes(ctx, time.Now()); err == nil {
						for _, n := range notes {
							fn(n)
						}
					}
				}
			case *goredis.Message:
				from, n, err := decodeNote(m.Payload)
				if err != nil || from == s.id {
					continue
				}
				fn(n)
			}
		}
		_ = ps.Close()
	}
}
