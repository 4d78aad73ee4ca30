package session

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex/internal/fakeclock"
)

func newFakeClock() *fakeclock.Clock { return fakeclock.New() }

func newTestTable(s Settings) (*Table, *fakeclock.Clock) {
	clock := newFakeClock()
	s.Now = clock.Now
	return New(s), clock
}

func wantGet(t *testing.T, tab *Table, key, want string) {
	t.Helper()
	got, ok := tab.Get(key)
	if want == "" {
		if ok {
			t.Errorf("Get(%q) = %q, want none", key, got)
		}
		return
	}
	if !ok || got != want {
		t.Errorf("Get(%q) = %q, %v; want %q", key, got, ok, want)
	}
}

func TestSetGet(t *testing.T) {
	tab, clock := newTestTable(Settings{TTL: time.Hour})
	wantGet(t, tab, "s1", "")

	e := tab.Set("s1", "ch-a")
	want := Entry{Key: "s1", ChannelID: "ch-a", ExpiresAt: clock.Now().Add(time.Hour)}
	if e != want {
		t.Errorf("Set = %+v, want %+v", e, want)
	}
	wantGet(t, tab, "s1", "ch-a")

	tab.Set("s1", "ch-b")
	wantGet(t, tab, "s1", "ch-b")

	tab.Delete("s1")
	wantGet(t, tab, "s1", "")
	tab.Delete("never-set")
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		wantTTL time.Duration
	}{
		{"explicit", 10 * time.Minute, 10 * time.Minute},
		{"zero means 5h", 0, DefaultTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, clock := newTestTable(Settings{TTL: tt.ttl})
			if got := tab.TTL(); got != tt.wantTTL {
				t.Errorf("TTL = %v, want %v", got, tt.wantTTL)
			}
			tab.Set("s1", "ch-a")

			// Reading does not slide the window.
			clock.Advance(tt.wantTTL - time.Nanosecond)
			wantGet(t, tab, "s1", "ch-a")
			clock.Advance(time.Nanosecond)
			wantGet(t, tab, "s1", "")
			if n := tab.Len(); n != 0 {
				t.Errorf("Len = %d after expiry, want 0", n)
			}

			// Reassigning starts a fresh window.
			tab.Set("s1", "ch-b")
			clock.Advance(tt.wantTTL / 2)
			tab.Set("s1", "ch-b")
			clock.Advance(tt.wantTTL / 2)
			wantGet(t, tab, "s1", "ch-b")
		})
	}
}

func TestSizeBound(t *testing.T) {
	tab, _ := newTestTable(Settings{Size: 3})
	for _, k := range []string{"s1", "s2", "s3"} {
		tab.Set(k, "ch-"+k)
	}
	tab.Get("s1") // now the most recently used
	tab.Set("s4", "ch-s4")

	wantGet(t, tab, "s2", "")
	for _, k := range []string{"s1", "s3", "s4"} {
		wantGet(t, tab, k, "ch-"+k)
	}
	if n := tab.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

// The table is bounded in bytes as well as entries: a few long keys push
// out the least recently used sessions, whatever their number.
func TestByteBound(t *testing.T) {
	tab, clock := newTestTable(Settings{TTL: time.Hour, MaxBytes: 100})
	tab.Set("a", "ch-1")                      // 5 bytes
	tab.Set("b", "ch-1")                      // 10
	tab.Set(strings.Repeat("k", 60), "ch-22") // 75
	wantGet(t, tab, "a", "ch-1")              // a is now the most recent
	if got := tab.Bytes(); got != 75 {
		t.Fatalf("Bytes = %d, want 75", got)
	}
	tab.Set(strings.Repeat("l", 30), "ch-1") // 109: b, then the long key, go
	wantGet(t, tab, "b", "")
	wantGet(t, tab, strings.Repeat("k", 60), "")
	wantGet(t, tab, "a", "ch-1")
	wantGet(t, tab, strings.Repeat("l", 30), "ch-1")
	if got := tab.Bytes(); got != 39 {
		t.Errorf("Bytes = %d, want 39", got)
	}

	// Replacing and deleting give back what the entry held.
	tab.Set("a", "ch-longer")
	if got := tab.Bytes(); got != 44 {
		t.Errorf("Bytes = %d after a replacement, want 44", got)
	}
	tab.Delete("a")
	tab.Delete(strings.Repeat("l", 30))
	if got := tab.Bytes(); got != 0 {
		t.Errorf("Bytes = %d with no entries, want 0", got)
	}

	// An entry larger than the whole bound is not kept, and pushes out
	// nothing.
	tab.Set("c", "ch-1")
	tab.Set(strings.Repeat("x", 200), "ch-1")
	wantGet(t, tab, strings.Repeat("x", 200), "")
	tab.Restore(Entry{Key: strings.Repeat("y", 200), ChannelID: "ch-1", ExpiresAt: clock.Now().Add(time.Minute)})
	wantGet(t, tab, strings.Repeat("y", 200), "")
	wantGet(t, tab, "c", "ch-1")
	if got := tab.Bytes(); got != 5 {
		t.Errorf("Bytes = %d, want 5", got)
	}

	if d, _ := newTestTable(Settings{}); d.maxBytes != DefaultMaxBytes {
		t.Errorf("default byte bound %d, want %d", d.maxBytes, DefaultMaxBytes)
	}
}

func TestRestore(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Duration // from now
		wantOK  bool
	}{
		{"live", 30 * time.Minute, true},
		{"beyond the TTL is kept as is", 3 * time.Hour, true},
		{"expired", -time.Minute, false},
		{"expiring now", 0, false},
		{"zero time", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, clock := newTestTable(Settings{TTL: time.Hour})
			e := Entry{Key: "s1", ChannelID: "ch-a", ExpiresAt: clock.Now().Add(tt.expires)}
			if tt.name == "zero time" {
				e.ExpiresAt = time.Time{}
			}
			tab.Restore(e)
			if !tt.wantOK {
				wantGet(t, tab, "s1", "")
				if got := tab.Entries(); len(got) != 0 {
					t.Errorf("Entries = %+v, want none", got)
				}
				return
			}
			wantGet(t, tab, "s1", "ch-a")
			if got := tab.Entries(); !slices.Equal(got, []Entry{e}) {
				t.Errorf("Entries = %+v, want %+v", got, e)
			}
			clock.Advance(tt.expires)
			wantGet(t, tab, "s1", "")
		})
	}
}

func TestEntries(t *testing.T) {
	tab, clock := newTestTable(Settings{TTL: time.Hour})
	start := clock.Now()
	tab.Set("s-c", "ch-1")
	tab.Set("s-old", "ch-1")
	clock.Advance(30 * time.Minute)
	tab.Set("s-a", "ch-2")
	tab.Set("s-b", "ch-3")
	tab.Set("s-c", "ch-1") // renewed
	clock.Advance(30 * time.Minute)

	want := []Entry{
		{Key: "s-a", ChannelID: "ch-2", ExpiresAt: start.Add(90 * time.Minute)},
		{Key: "s-b", ChannelID: "ch-3", ExpiresAt: start.Add(90 * time.Minute)},
		{Key: "s-c", ChannelID: "ch-1", ExpiresAt: start.Add(90 * time.Minute)},
	}
	if got := tab.Entries(); !slices.Equal(got, want) {
		t.Errorf("Entries:\n got %+v\nwant %+v", got, want)
	}
	if n := tab.Len(); n != len(want) {
		t.Errorf("Len = %d, want %d", n, len(want))
	}
	if got := New(Settings{}).Entries(); len(got) != 0 {
		t.Errorf("Entries of an empty table = %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	tab, clock := newTestTable(Settings{Size: 64})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := fmt.Sprint("s", (g*31+i)%100)
				switch i % 5 {
				case 0:
					tab.Set(key, fmt.Sprint("ch-", g))
				case 1:
					tab.Delete(key)
				case 2:
					tab.Entries()
				case 3:
					clock.Advance(time.Minute)
				default:
					tab.Get(key)
				}
			}
		})
	}
	wg.Wait()
	if n := tab.Len(); n > 64 {
		t.Errorf("Len = %d, over the size bound", n)
	}
}

func BenchmarkTableGet(b *testing.B) {
	tab := New(Settings{})
	for i := range 1000 {
		tab.Set(fmt.Sprint("session-", i), "channel")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tab.Get("session-500"); !ok {
			b.Fatal("missing session")
		}
	}
}

func BenchmarkTableGetParallel(b *testing.B) {
	tab := New(Settings{})
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprint("session-", i)
		tab.Set(keys[i], "channel")
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			tab.Get(keys[i%len(keys)])
			i++
		}
	})
}

func BenchmarkTableSet(b *testing.B) {
	tab := New(Settings{})
	b.ReportAllocs()
	for b.Loop() {
		tab.Set("session", "channel")
	}
}
