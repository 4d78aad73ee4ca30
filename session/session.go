// Package session keeps sticky sessions: it remembers which channel served a
// session so that its later requests go to the same channel (and hit the
// same prompt cache) until the session's window closes.
package session

import (
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Defaults applied when a [Settings] field is zero.
const (
	// DefaultTTL is how long a session sticks to its channel.
	DefaultTTL = 5 * time.Hour
	// DefaultSize is the most sessions a Table keeps.
	DefaultSize = 100_000
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
// Settings.Size, which bounds memory; it is given no TTL of its own,
// because golang-lru's expirable LRU would then run a cleanup goroutine that
// can never be stopped, one per Table.
type Table struct {
	ttl time.Duration
	now func() time.Time
	lru *expirable.LRU[string, Entry]
}

// New returns an empty Table configured by s.
func New(s Settings) *Table {
	if s.TTL <= 0 {
		s.TTL = DefaultTTL
	}
	if s.Size <= 0 {
		s.Size = DefaultSize
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return &Table{
		ttl: s.TTL,
		now: s.Now,
		lru: expirable.NewLRU[string, Entry](s.Size, nil, 0),
	}
}

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

// Set sticks session key to channelID for TTL from now, replacing any
// earlier assignment, and returns the new entry (for the caller to persist).
func (t *Table) Set(key, channelID string) Entry {
	e := Entry{Key: key, ChannelID: channelID, ExpiresAt: t.now().Add(t.ttl)}
	t.lru.Add(key, e)
	return e
}

// Restore loads an entry saved earlier, keeping its expiry time. Entries
// already expired are skipped. An expiry more than TTL away is kept too, but
// the memory bound described on [Table] still drops the entry after TTL.
func (t *Table) Restore(e Entry) {
	if !t.now().Before(e.ExpiresAt) {
		return
	}
	t.lru.Add(e.Key, e)
}

// Delete forgets session key.
func (t *Table) Delete(key string) {
	t.lru.Remove(key)
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
