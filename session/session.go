// Package session keeps sticky sessions: it remembers which channel served a
// session so that its later requests go to the same channel (and hit the
// same prompt cache) until the session's window closes.
package session

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Defaults applied when a [Settings] field is zero.
const (
	// DefaultTTL is how long a session sticks to its channel.
	DefaultTTL = 5 * time.Hour
	// DefaultSize is the most sessions a Table keeps.
	DefaultSize = 100_000
	// DefaultMaxBytes is the most bytes of keys and channel IDs a Table
	// keeps: 16 MiB, room for DefaultSize sessions of 128-byte keys.
	DefaultMaxBytes = 16 << 20
)

// Settings configures a [Table]. It is copied by [New]; the zero value is
// ready to use.
type Settings struct {
	// TTL is how long a session sticks to its channel, counted from the
	// assignment. Zero or less means DefaultTTL (5h).
	TTL time.Duration
	// Size is the most sessions kept; beyond it the least recently used are
	// dropped. Zero or less means DefaultSize (100 000).
	Size int
	// MaxBytes bounds the bytes of the keys and channel IDs kept, which
	// callers choose: beyond it the least recently used sessions are
	// dropped, and a session larger than the whole bound is not kept.
	// Zero or less means DefaultMaxBytes (16 MiB).
	MaxBytes int64
	// Now is the clock that decides expiry. Nil means time.Now.
	Now func() time.Time
}

// Entry is one session: its key, the channel it sticks to, and when that ends.
type Entry struct {
	Key       string    `json:"key"`
	ChannelID string    `json:"channelId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Table maps session keys to channel IDs, each for a fixed window. A Table is
// safe for concurrent use.
//
// Expiry is decided by Settings.Now. The underlying LRU is bounded by
// Settings.Size and Settings.MaxBytes, which bound memory; it is given no
// TTL of its own, because golang-lru's expirable LRU would then run a
// cleanup goroutine that can never be stopped, one per Table.
type Table struct {
	ttl      time.Duration
	now      func() time.Time
	maxBytes int64
	lru      *expirable.LRU[string, Entry]

	// mu serialises changes, so that bytes is exact: the LRU reports the
	// entries it drops (through evicted) but not the ones it replaces.
	mu    sync.Mutex
	bytes atomic.Int64
}

// New returns an empty Table configured by s.
func New(s Settings) *Table {
	if s.TTL <= 0 {
		s.TTL = DefaultTTL
	}
	if s.Size <= 0 {
		s.Size = DefaultSize
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = DefaultMaxBytes
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	t := &Table{ttl: s.TTL, now: s.Now, maxBytes: s.MaxBytes}
	t.lru = expirable.NewLRU[string, Entry](s.Size, t.evicted, 0)
	return t
}

// cost is what an entry counts against Settings.MaxBytes.
func cost(e Entry) int64 { return int64(len(e.Key) + len(e.ChannelID)) }

// evicted is called by the LRU, under t.mu, for every entry it drops.
func (t *Table) evicted(_ string, e Entry) { t.bytes.Add(-cost(e)) }

// add stores e in place of any entry under its key, then drops the least
// recently used entries until the table is within its byte bound.
func (t *Table) add(e Entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lru.Remove(e.Key) // Add would replace it without telling evicted
	c := cost(e)
	if c > t.maxBytes {
		return
	}
	t.lru.Add(e.Key, e)
	t.bytes.Add(c)
	for t.bytes.Load() > t.maxBytes {
		if _, _, ok := t.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// Bytes returns the bytes of the keys and channel IDs the table holds,
// expired entries not yet dropped included.
func (t *Table) Bytes() int64 { return t.bytes.Load() }

// TTL returns how long a session sticks to its channel.
func (t *Table) TTL() time.Duration { return t.ttl }

// Get returns the channel that session key sticks to, or false if the key is
// unknown or its window has closed. Get does not extend the window.
func (t *Table) Get(key string) (channelID string, ok bool) {
	e, ok := t.lru.Get(key)
	if !ok {
		return "", false
	}
	if !t.now().Before(e.ExpiresAt) {
		return "", false
	}
	return e.ChannelID, true
}

// Entry returns the entry of session key, false if it is unknown or its
// window has closed.
func (t *Table) Entry(key string) (Entry, bool) {
	e, ok := t.lru.Peek(key)
	if !ok || !t.now().Before(e.ExpiresAt) {
		return Entry{}, false
	}
	return e, true
}

// Set sticks session key to channelID for TTL from now, replacing any
// earlier assignment, and returns the new entry (for the caller to persist).
func (t *Table) Set(key, channelID string) Entry {
	e := Entry{Key: key, ChannelID: channelID, ExpiresAt: t.now().Add(t.ttl)}
	t.add(e)
	return e
}

// Restore loads an entry saved earlier, keeping its expiry time. Entries
// already expired are skipped. An expiry more than TTL away is kept too, but
// the memory bound described on [Table] still drops the entry after TTL.
func (t *Table) Restore(e Entry) {
	if !t.now().Before(e.ExpiresAt) {
		return
	}
	t.add(e)
}

// Delete forgets session key.
func (t *Table) Delete(key string) {
	t.mu.Lock()
	t.lru.Remove(key)
	t.mu.Unlock()
}

// Len returns the number of unexpired sessions. It walks the whole table,
// so it suits metrics and dashboards rather than the request path.
func (t *Table) Len() int {
	now := t.now()
	n := 0
	for _, e := range t.lru.Values() {
		if live(e, now) {
			n++
		}
	}
	return n
}

// Entries returns the unexpired sessions, sorted by key.
func (t *Table) Entries() []Entry {
	now := t.now()
	values := t.lru.Values()
	out := values[:0]
	for _, e := range values {
		if live(e, now) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return slices.Clip(out)
}

// live reports whether e is a session still open at now. It also rejects the
// zero entries golang-lru v2.0.7 pads Values with in place of entries that
// expired by the wall clock.
func live(e Entry, now time.Time) bool {
	return now.Before(e.ExpiresAt)
}
