// Package memory implements routex.Store in memory. Nothing survives the
// process; it suits tests, single-instance deployments that configure
// routex in code, and programs that only need recent usage.
package memory

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/watch"
	"github.com/routex/routex/oauth"
)

// ErrClosed is returned by every method of a Store that has been closed.
var ErrClosed = errors.New("memory: store closed")

// Option configures a Store.
type Option func(*Store)

// WithMaxRecords bounds the usage records kept to n: when an AddRecords call
// takes the count past n, the records with the earliest Time are dropped.
// Zero or less keeps every record, so memory grows with traffic.
func WithMaxRecords(n int) Option {
	return func(s *Store) { s.maxRecords = max(n, 0) }
}

// Store is a routex.Store held in memory, and a routex.ResponseStore. Reads
// return deep copies, and
// writes copy their arguments, so neither side can change the other's data.
// Watch callbacks run without the Store's lock held.
//
// Store is safe for concurrent use.
type Store struct {
	maxRecords   int
	maxResponses int

	mu       sync.RWMutex
	closed   bool
	channels map[string]routex.Channel
	rules    map[string]routex.Rule
	strategy string
	sessions map[string]routex.Session
	tokens   map[string]oauth.Token
	keys     map[string]routex.Key
	settings map[string]string
	records  []analytics.Record // ordered by Time, oldest first; ties in insertion order
	head     int                // records[:head] were dropped by WithMaxRecords

	// Stored responses (routex.ResponseStore), by id, and in the order
	// they were last written.
	responses     map[string]*list.Element // of routex.StoredResponse
	responseOrder *list.List

	watchers watch.Set
}

var _ routex.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		channels: make(map[string]routex.Channel),
		rules:    make(map[string]routex.Rule),
		sessions: make(map[string]routex.Session),
		tokens:   make(map[string]oauth.Token),
		keys:     make(map[string]routex.Key),
		settings: make(map[string]string),
	}
	newResponses(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// read runs fn under the read lock once ctx and the Store are usable.
func (s *Store) read(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return fn()
}

// write runs fn under the write lock once ctx and the Store are usable.
func (s *Store) write(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return fn()
}

// change is write for configuration: on success it tells the watchers,
// after the lock is released so that they may read the Store.
func (s *Store) change(ctx context.Context, fn func() error) error {
	if err := s.write(ctx, fn); err != nil {
		return err
	}
	s.watchers.Notify()
	return nil
}

// Channels returns every channel, ordered by ID, secrets redacted.
func (s *Store) Channels(ctx context.Context) ([]routex.Channel, error) {
	return s.channelList(ctx, routex.Channel.Redacted)
}

// RevealChannels returns every channel, ordered by ID, secrets included.
func (s *Store) RevealChannels(ctx context.Context) ([]routex.Channel, error) {
	return s.channelList(ctx, cloneChannel)
}

// Channel returns the channel with this ID, secrets redacted, or an error
// wrapping routex.ErrNotFound.
func (s *Store) Channel(ctx context.Context, id string) (routex.Channel, error) {
	return s.channel(ctx, id, routex.Channel.Redacted)
}

// RevealChannel returns the channel with this ID, secrets included, or an
// error wrapping routex.ErrNotFound.
func (s *Store) RevealChannel(ctx context.Context, id string) (routex.Channel, error) {
	return s.channel(ctx, id, cloneChannel)
}

func (s *Store) channel(ctx context.Context, id string, copyOf func(routex.Channel) routex.Channel) (routex.Channel, error) {
	var out routex.Channel
	err := s.read(ctx, func() error {
		c, ok := s.channels[id]
		if !ok {
			return fmt.Errorf("memory: channel %q: %w", id, routex.ErrNotFound)
		}
		out = copyOf(c)
		return nil
	})
	return out, err
}

func (s *Store) channelList(ctx context.Context, copyOf func(routex.Channel) routex.Channel) ([]routex.Channel, error) {
	var out []routex.Channel
	err := s.read(ctx, func() error {
		out = make([]routex.Channel, 0, len(s.channels))
		for _, c := range s.channels {
			out = append(out, copyOf(c))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b routex.Channel) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// PutChannel creates or replaces the channel with c.ID. It does not validate
// c; routex does that before it stores a channel.
func (s *Store) PutChannel(ctx context.Context, c routex.Channel) error {
	c = cloneChannel(c)
	return s.change(ctx, func() error {
		s.channels[c.ID] = c
		return nil
	})
}

// DeleteChannel removes the channel with the given id and its token, or
// returns an error wrapping routex.ErrNotFound.
func (s *Store) DeleteChannel(ctx context.Context, id string) error {
	return s.change(ctx, func() error {
		if _, ok := s.channels[id]; !ok {
			return fmt.Errorf("memory: channel %q: %w", id, routex.ErrNotFound)
		}
		delete(s.channels, id)
		delete(s.tokens, id)
		return nil
	})
}

// Tokens returns the OAuth tokens, ordered by channel ID, secrets redacted.
func (s *Store) Tokens(ctx context.Context) ([]oauth.Token, error) {
	var out []oauth.Token
	err := s.read(ctx, func() error {
		out = make([]oauth.Token, 0, len(s.tokens))
		for _, t := range s.tokens {
			out = append(out, t.Redacted())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b oauth.Token) int { return cmp.Compare(a.ChannelID, b.ChannelID) })
	return out, nil
}

// RevealToken returns the token of the channel, secrets included, or an
// error wrapping oauth.ErrNoToken.
func (s *Store) RevealToken(ctx context.Context, channelID string) (oauth.Token, error) {
	var t oauth.Token
	err := s.read(ctx, func() error {
		var ok bool
		if t, ok = s.tokens[channelID]; !ok {
			return fmt.Errorf("memory: token of channel %q: %w", channelID, oauth.ErrNoToken)
		}
		return nil
	})
	return t, err
}

// PutToken creates or replaces the token of t.ChannelID.
func (s *Store) PutToken(ctx context.Context, t oauth.Token) error {
	return s.change(ctx, func() error {
		s.tokens[t.ChannelID] = t
		return nil
	})
}

// DeleteToken removes the token of the channel, or returns an error wrapping
// oauth.ErrNoToken.
func (s *Store) DeleteToken(ctx context.Context, channelID string) error {
	return s.change(ctx, func() error {
		if _, ok := s.tokens[channelID]; !ok {
			return fmt.Errorf("memory: token of channel %q: %w", channelID, oauth.ErrNoToken)
		}
		delete(s.tokens, channelID)
		return nil
	})
}

// Keys returns the proxy API keys, ordered by ID.
func (s *Store) Keys(ctx context.Context) ([]routex.Key, error) {
	var out []routex.Key
	err := s.read(ctx, func() error {
		out = make([]routex.Key, 0, len(s.keys))
		for _, k := range s.keys {
			k.Models = slices.Clone(k.Models)
			out = append(out, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b routex.Key) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Key returns the key with this ID, or an error wrapping
// routex.ErrNotFound.
func (s *Store) Key(ctx context.Context, id string) (routex.Key, error) {
	var out routex.Key
	err := s.read(ctx, func() error {
		k, ok := s.keys[id]
		if !ok {
			return fmt.Errorf("memory: key %q: %w", id, routex.ErrNotFound)
		}
		k.Models = slices.Clone(k.Models)
		out = k
		return nil
	})
	return out, err
}

// PutKey creates or replaces the key with k.ID.
func (s *Store) PutKey(ctx context.Context, k routex.Key) error {
	k.Models = slices.Clone(k.Models)
	return s.change(ctx, func() error {
		s.keys[k.ID] = k
		return nil
	})
}

// DeleteKey removes the key with the given id, or returns an error wrapping
// routex.ErrNotFound.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	return s.change(ctx, func() error {
		if _, ok := s.keys[id]; !ok {
			return fmt.Errorf("memory: key %q: %w", id, routex.ErrNotFound)
		}
		delete(s.keys, id)
		return nil
	})
}

// Setting returns the value stored under name, "" if none is.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.read(ctx, func() error {
		v = s.settings[name]
		return nil
	})
	return v, err
}

// PutSetting stores value under name; an empty value removes it.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	return s.change(ctx, func() error {
		if value == "" {
			delete(s.settings, name)
		} else {
			s.settings[name] = value
		}
		return nil
	})
}

// Rules returns every rule, ordered by ID. Matcher is always nil: Go code is
// not stored.
func (s *Store) Rules(ctx context.Context) ([]routex.Rule, error) {
	var out []routex.Rule
	err := s.read(ctx, func() error {
		out = make([]routex.Rule, 0, len(s.rules))
		for _, r := range s.rules {
			out = append(out, cloneRule(r))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b routex.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Rule returns the rule with this ID, or an error wrapping
// routex.ErrNotFound.
func (s *Store) Rule(ctx context.Context, id string) (routex.Rule, error) {
	var out routex.Rule
	err := s.read(ctx, func() error {
		r, ok := s.rules[id]
		if !ok {
			return fmt.Errorf("memory: rule %q: %w", id, routex.ErrNotFound)
		}
		out = cloneRule(r)
		return nil
	})
	return out, err
}

// PutRule creates or replaces the rule with r.ID. The rule's Matcher is not
// kept, as a persistent store could not keep it either.
func (s *Store) PutRule(ctx context.Context, r routex.Rule) error {
	r = cloneRule(r)
	return s.change(ctx, func() error {
		s.rules[r.ID] = r
		return nil
	})
}

// DeleteRule removes the rule with the given id, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return s.change(ctx, func() error {
		if _, ok := s.rules[id]; !ok {
			return fmt.Errorf("memory: rule %q: %w", id, routex.ErrNotFound)
		}
		delete(s.rules, id)
		return nil
	})
}

// Strategy returns the balancing strategy's name, "" if it was never set.
func (s *Store) Strategy(ctx context.Context) (string, error) {
	var name string
	err := s.read(ctx, func() error {
		name = s.strategy
		return nil
	})
	return name, err
}

// SetStrategy records the balancing strategy's name.
func (s *Store) SetStrategy(ctx context.Context, name string) error {
	return s.change(ctx, func() error {
		s.strategy = name
		return nil
	})
}

// Sessions returns the sessions whose ExpiresAt is after now, ordered by
// key. Expired sessions are kept until they are replaced or deleted, so that
// a query for an earlier time still sees them.
func (s *Store) Sessions(ctx context.Context, now time.Time) ([]routex.Session, error) {
	var out []routex.Session
	err := s.read(ctx, func() error {
		out = make([]routex.Session, 0, len(s.sessions))
		for _, se := range s.sessions {
			if se.ExpiresAt.After(now) {
				out = append(out, se)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b routex.Session) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// PutSession creates or replaces the session with se.Key.
func (s *Store) PutSession(ctx context.Context, se routex.Session) error {
	return s.write(ctx, func() error {
		s.sessions[se.Key] = se
		return nil
	})
}

// DeleteSession removes the session with the given key, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	return s.write(ctx, func() error {
		if _, ok := s.sessions[key]; !ok {
			return fmt.Errorf("memory: session %q: %w", key, routex.ErrNotFound)
		}
		delete(s.sessions, key)
		return nil
	})
}

// AddRecords appends usage records. Records may arrive out of Time order
// (requests finish in a different order than they start); they are kept
// ordered by Time. With WithMaxRecords, the oldest are dropped past the bound.
func (s *Store) AddRecords(ctx context.Context, recs []analytics.Record) error {
	return s.write(ctx, func() error {
		if len(recs) == 0 {
			return nil
		}
		old := len(s.records)
		s.records = append(s.records, recs...)
		for i := old; i < len(s.records); i++ {
			// Cost is the one pointer in a Record: keep a copy of our own.
			if c := s.records[i].Cost; c != nil {
				v := *c
				s.records[i].Cost = &v
			}
		}
		live := s.records[s.head:]
		// Only the records newer than the earliest added one can be out of
		// place, and usually that is a short tail.
		earliest := recs[0].Time
		for _, r := range recs[1:] {
			if r.Time.Before(earliest) {
				earliest = r.Time
			}
		}
		from := sort.Search(old-s.head, func(i int) bool { return live[i].Time.After(earliest) })
		if !slices.IsSortedFunc(live[from:], byTime) {
			slices.SortStableFunc(live[from:], byTime)
		}
		if s.maxRecords > 0 && len(live) > s.maxRecords {
			n := len(live) - s.maxRecords
			// Clearing lets the dropped records' strings be collected now.
			clear(live[:n])
			s.head += n
			// Moving the live records to the front once the dead prefix is
			// half their size copies each record about twice in its life,
			// where letting append reallocate would copy them all far more
			// often and churn the heap.
			if s.head >= s.maxRecords/2 {
				m := copy(s.records, s.records[s.head:])
				clear(s.records[m:])
				s.records, s.head = s.records[:m], 0
			}
		}
		return nil
	})
}

func byTime(a, b analytics.Record) int { return a.Time.Compare(b.Time) }

// span returns the records with Time in [from, to); zero bounds are open.
// s.mu must be held.
func (s *Store) span(from, to time.Time) []analytics.Record {
	recs := s.records[s.head:]
	if !to.IsZero() {
		recs = recs[:sort.Search(len(recs), func(i int) bool { return !recs[i].Time.Before(to) })]
	}
	if !from.IsZero() {
		recs = recs[sort.Search(len(recs), func(i int) bool { return !recs[i].Time.Before(from) }):]
	}
	return recs
}

// Records returns the records matching q, newest first. Records with the same
// Time are returned most recently added first.
func (s *Store) Records(ctx context.Context, q routex.RecordQuery) ([]analytics.Record, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	skip := max(q.Offset, 0)
	var out []analytics.Record
	err := s.read(ctx, func() error {
		recs := s.span(q.From, q.To)
		out = make([]analytics.Record, 0, min(limit, len(recs)))
		for i := len(recs) - 1; i >= 0 && len(out) < limit; i-- {
			r := &recs[i]
			if !matchRecord(r, q) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, *r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func matchRecord(r *analytics.Record, q routex.RecordQuery) bool {
	return (q.ChannelID == "" || r.ChannelID == q.ChannelID) &&
		(q.Model == "" || r.Model == q.Model) &&
		(q.KeyID == "" || r.KeyID == q.KeyID) &&
		(q.Status == 0 || r.Status == q.Status) &&
		(!q.Failed || r.Failed())
}

type groupKey struct {
	bucket time.Time
	group  string
}

type group struct {
	agg     routex.Aggregate
	latency []time.Duration
	ttfb    []time.Duration
}

// Aggregate sums the records matching q per group and time bucket, ordered
// by bucket and then group. Buckets are q.Bucket-long intervals of UTC time
// (time.Time.Truncate). Percentiles use the nearest-rank method over every
// record in the group: the p-th percentile of n sorted values is the
// ceil(p*n/100)-th.
func (s *Store) Aggregate(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
	var dim func(*analytics.Record) string
	switch q.GroupBy {
	case routex.GroupNone:
		dim = func(*analytics.Record) string { return "" }
	case routex.GroupChannel:
		dim = func(r *analytics.Record) string { return r.ChannelID }
	case routex.GroupModel:
		dim = func(r *analytics.Record) string { return r.Model }
	case routex.GroupKey:
		dim = func(r *analytics.Record) string { return r.KeyID }
	default:
		return nil, fmt.Errorf("memory: unknown group %q", q.GroupBy)
	}
	if q.Bucket < 0 {
		return nil, fmt.Errorf("memory: negative bucket %v", q.Bucket)
	}

	groups := make(map[groupKey]*group)
	err := s.read(ctx, func() error {
		recs := s.span(q.From, q.To)
		for i := range recs {
			r := &recs[i]
			if (q.ChannelID != "" && r.ChannelID != q.ChannelID) ||
				(q.Model != "" && r.Model != q.Model) ||
				(q.KeyID != "" && r.KeyID != q.KeyID) {
				continue
			}
			k := groupKey{group: dim(r)}
			if q.Bucket > 0 {
				k.bucket = r.Time.UTC().Truncate(q.Bucket)
			}
			g := groups[k]
			if g == nil {
				g = &group{agg: routex.Aggregate{Bucket: k.bucket, Group: k.group}}
				groups[k] = g
			}
			a := &g.agg
			a.Requests++
			if r.Failed() {
				a.Errors++
			}
			a.InputTokens += r.InputTokens
			a.OutputTokens += r.OutputTokens
			a.CacheReadTokens += r.CacheReadTokens
			a.CacheWriteTokens += r.CacheWriteTokens
			if r.Cost != nil && !math.IsNaN(*r.Cost) && !math.IsInf(*r.Cost, 0) {
				a.Cost += *r.Cost
			} else {
				a.Unpriced++
			}
			g.latency = append(g.latency, r.Latency)
			g.ttfb = append(g.ttfb, r.TTFB)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	out := make([]routex.Aggregate, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.latency)
		slices.Sort(g.ttfb)
		g.agg.LatencyP50 = percentile(g.latency, 50)
		g.agg.LatencyP95 = percentile(g.latency, 95)
		g.agg.LatencyP99 = percentile(g.latency, 99)
		g.agg.TTFBP50 = percentile(g.ttfb, 50)
		out = append(out, g.agg)
	}
	slices.SortFunc(out, func(a, b routex.Aggregate) int {
		if c := a.Bucket.Compare(b.Bucket); c != 0 {
			return c
		}
		return cmp.Compare(a.Group, b.Group)
	})
	return out, nil
}

// percentile returns the nearest-rank p-th percentile of sorted, computed
// in integers so that, say, the 95th of 100 values is exactly the 95th.
func percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100
	return sorted[max(rank, 1)-1]
}

// Watch calls fn after every successful change to channels, rules, the
// strategy, tokens, keys or settings, from the goroutine that made it, after the Store's lock is
// released and before the writing call returns. fn may read the Store but
// must not write channels, rules or the strategy. stop unregisters fn and
// may be called more than once; a call to fn already under way when stop
// is called still completes.
func (s *Store) Watch(fn func()) (stop func()) { return s.watchers.Add(fn) }

// Close discards the Store's data. Every later call returns ErrClosed;
// closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.channels, s.rules, s.sessions, s.records, s.head = nil, nil, nil, nil, 0
	s.tokens, s.keys, s.settings = nil, nil, nil
	s.responses, s.responseOrder = nil, nil
	return nil
}

func cloneChannel(c routex.Channel) routex.Channel {
	c.Models = slices.Clone(c.Models)
	c.ModelMap = maps.Clone(c.ModelMap)
	c.Headers = maps.Clone(c.Headers)
	return c
}

func cloneRule(r routex.Rule) routex.Rule {
	r.Matcher = nil
	c := &r.Condition
	c.Keywords = slices.Clone(c.Keywords)
	c.HasTools = cloneBool(c.HasTools)
	c.HasImages = cloneBool(c.HasImages)
	c.Thinking = cloneBool(c.Thinking)
	c.WebSearch = cloneBool(c.WebSearch)
	if c.Header != nil {
		h := *c.Header
		c.Header = &h
	}
	return r
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}
