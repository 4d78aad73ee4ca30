package redis

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/routex/routex"
)

// sessionKey names the key of the session key: its SHA-256, so that a key
// of any length or bytes makes a short, safe one.
func (s *State) sessionKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	b := make([]byte, 0, len(s.prefix)+len("session:")+base64.RawURLEncoding.EncodedLen(len(sum)))
	b = append(b, s.prefix...)
	b = append(b, "session:"...)
	b = base64.RawURLEncoding.AppendEncode(b, sum[:])
	return string(b)
}

// A session is kept as its ExpiresAt in Unix milliseconds, a colon and
// its channel id, and expires with it.

// Session returns the session with this key; false, and no error, if
// there is none or it has expired.
func (s *State) Session(ctx context.Context, key string) (routex.Session, bool, error) {
	v, err := s.rdb.Get(ctx, s.sessionKey(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return routex.Session{}, false, nil
	}
	if err != nil {
		return routex.Session{}, false, fmt.Errorf("redis: session: %w", err)
	}
	exp, channel, ok := strings.Cut(v, ":")
	ms, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil {
		return routex.Session{}, false, errors.New("redis: session: malformed value")
	}
	ss := routex.Session{Key: key, ChannelID: channel, ExpiresAt: time.UnixMilli(ms)}
	if !time.Now().Before(ss.ExpiresAt) {
		return routex.Session{}, false, nil
	}
	return ss, true, nil
}

// PutSession creates or replaces the session ss.Key until ss.ExpiresAt;
// one already expired is deleted.
func (s *State) PutSession(ctx context.Context, ss routex.Session) error {
	ttl := time.Until(ss.ExpiresAt).Truncate(time.Millisecond)
	var err error
	if ttl <= 0 {
		err = s.rdb.Del(ctx, s.sessionKey(ss.Key)).Err()
	} else {
		v := strconv.AppendInt(make([]byte, 0, 14+len(ss.ChannelID)), ss.ExpiresAt.UnixMilli(), 10)
		v = append(v, ':')
		v = append(v, ss.ChannelID...)
		// The time to live is measured here rather than set at ExpiresAt
		// (PXAT): Redis's clock need not agree with the instances'.
		err = s.rdb.Set(ctx, s.sessionKey(ss.Key), v, ttl).Err()
	}
	if err != nil {
		return fmt.Errorf("redis: put session: %w", err)
	}
	return nil
}

// DeleteSession removes a session; no error if there is none.
func (s *State) DeleteSession(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.sessionKey(key)).Err(); err != nil {
		return fmt.Errorf("redis: delete session: %w", err)
	}
	return nil
}
