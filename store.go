package routex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/routex/routex/analytics"
)

// Store keeps what a Client must remember: channels, rules, the balancing
// strategy, sticky sessions and usage records. storage/memory and
// storage/sqlite implement it, and beside it KeyStore, SettingStore and
// oauth.TokenStore, for the programs that keep proxy keys, settings and
// OAuth tokens (examples/server); storage/storetest is the conformance
// suite every implementation passes.
//
// Implementations must be safe for concurrent use. Reads return copies the
// caller may keep. A Client works from an in-memory snapshot and never reads
// the Store on the request path; it learns of changes through Watch.
type Store interface {
	// Channels returns every channel, ordered by ID, with its secrets
	// redacted as Channel.Redacted does: the listing for people and APIs.
	Channels(ctx context.Context) ([]Channel, error)
	// RevealChannels returns every channel, ordered by ID, secrets
	// included: the Client calls it to send requests with them, and
	// nothing that shows channels should.
	RevealChannels(ctx context.Context) ([]Channel, error)
	// Channel returns the channel with this ID, its secrets redacted;
	// ErrNotFound if there is none.
	Channel(ctx context.Context, id string) (Channel, error)
	// RevealChannel returns the channel with this ID, secrets included;
	// ErrNotFound if there is none.
	RevealChannel(ctx context.Context, id string) (Channel, error)
	// PutChannel creates or replaces the channel with c.ID.
	PutChannel(ctx context.Context, c Channel) error
	// DeleteChannel removes a channel; ErrNotFound if there is none.
	DeleteChannel(ctx context.Context, id string) error

	// Rules returns every rule, ordered by ID. Go Matchers are not stored.
	Rules(ctx context.Context) ([]Rule, error)
	// Rule returns the rule with this ID; ErrNotFound if there is none.
	Rule(ctx context.Context, id string) (Rule, error)
	// PutRule creates or replaces the rule with r.ID.
	PutRule(ctx context.Context, r Rule) error
	// DeleteRule removes a rule; ErrNotFound if there is none.
	DeleteRule(ctx context.Context, id string) error

	// Strategy returns the balancing strategy's name, "" if never set.
	Strategy(ctx context.Context) (string, error)
	// SetStrategy records the balancing strategy's name.
	SetStrategy(ctx context.Context, name string) error

	// Sessions returns the sessions that have not expired at now.
	Sessions(ctx context.Context, now time.Time) ([]Session, error)
	// PutSession creates or replaces the session with s.Key.
	PutSession(ctx context.Context, s Session) error
	// DeleteSession removes a session; ErrNotFound if there is none.
	DeleteSession(ctx context.Context, key string) error

	// AddRecords appends usage records.
	AddRecords(ctx context.Context, recs []analytics.Record) error
	// Records returns the records matching q, newest first.
	Records(ctx context.Context, q RecordQuery) ([]analytics.Record, error)
	// Aggregate sums the records matching q per group and time bucket.
	Aggregate(ctx context.Context, q AggregateQuery) ([]Aggregate, error)

	// Watch calls fn after every change to channels, rules, the strategy,
	// and, in a Store that keeps them, tokens, keys or settings, once the change is visible to readers and before the writing call
	// returns. fn must not call back into the Store's write methods. The
	// returned func stops the calls.
	Watch(fn func()) (stop func())

	// Close releases the Store's resources.
	Close() error
}

// KeyStore keeps proxy API keys, beside a Store.
type KeyStore interface {
	// Keys returns the proxy API keys, ordered by ID.
	Keys(ctx context.Context) ([]Key, error)
	// Key returns the key with this ID; ErrNotFound if there is none.
	Key(ctx context.Context, id string) (Key, error)
	// PutKey creates or replaces the key with k.ID.
	PutKey(ctx context.Context, k Key) error
	// DeleteKey removes a key; ErrNotFound if there is none.
	DeleteKey(ctx context.Context, id string) error
}

// SettingStore keeps named values, beside a Store: a program's own
// settings, such as an administrator's password hash.
type SettingStore interface {
	// Setting returns the value stored under name, "" if none is.
	Setting(ctx context.Context, name string) (string, error)
	// PutSetting stores value under name; an empty value removes it.
	PutSetting(ctx context.Context, name, value string) error
}

// Session ties a session key to the channel that serves it.
type Session struct {
	Key       string    `json:"key"`
	ChannelID string    `json:"channelId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Key is a proxy API key: a credential that callers of a routex server
// present, to which their usage is attributed (analytics.Record.KeyID). The
// key itself is never stored, only its hash (HashKey).
type Key struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Hash      string    `json:"hash"`             // HashKey of the key
	Hint      string    `json:"hint,omitempty"`   // enough of the key to recognise it
	Models    []string  `json:"models,omitempty"` // allowed models; empty allows all
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

// Allows reports whether k may be used for model.
func (k *Key) Allows(model string) bool {
	return len(k.Models) == 0 || slices.Contains(k.Models, model)
}

// HashKey returns the hex SHA-256 of a proxy API key, as Key.Hash holds it.
// Keys are long random strings, so a fast hash is enough: there is no
// dictionary to try.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// RecordQuery selects usage records. Zero fields do not filter.
type RecordQuery struct {
	From, To  time.Time // Time in [From, To)
	ChannelID string
	Model     string
	KeyID     string
	Status    int  // exact HTTP status
	Failed    bool // only records that failed
	Limit     int  // page size; 0 means 100
	Offset    int  // records to skip, for paging
}

// GroupBy names the dimension an aggregate is split by.
type GroupBy string

// The dimensions usage can be grouped by.
const (
	GroupNone    GroupBy = ""
	GroupChannel GroupBy = "channel"
	GroupModel   GroupBy = "model"
	GroupKey     GroupBy = "key"
)

// AggregateQuery selects and groups records for Aggregate.
type AggregateQuery struct {
	From, To  time.Time     // Time in [From, To); zero means unbounded
	ChannelID string        // filters, as in RecordQuery
	Model     string        //
	KeyID     string        //
	GroupBy   GroupBy       // dimension to split by
	Bucket    time.Duration // time bucket (time.Minute, time.Hour, 24*time.Hour); 0 means one bucket
}

// Aggregate is the sum of the records in one group and time bucket.
//
// Latency and TTFB percentiles use the nearest-rank method over every record
// in the group. A Store may compute them from histograms rather than from
// the exact values, within this precision: below 1 ms, the value truncated
// to the microsecond; from 1 ms to 1024 ms, truncated to the millisecond, so
// that whole milliseconds are exact; above, within 1% of the exact value.
// storage/memory's percentiles are exact; storage/sqlite's come from histograms.
type Aggregate struct {
	Bucket time.Time `json:"bucket"` // bucket start (UTC); zero when not bucketed
	Group  string    `json:"group"`  // the group's channel id, model or key id

	Requests         int64 `json:"requests"`
	Errors           int64 `json:"errors"`
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens"`
	CacheWriteTokens int64 `json:"cacheWriteTokens"`

	// Cost is the sum in USD of the records' costs where known. Unpriced
	// counts the records whose cost is unknown (analytics.Record.Cost nil),
	// which Cost leaves out: when it is not zero, Cost is incomplete.
	Cost     float64 `json:"cost"`
	Unpriced int64   `json:"unpriced"`

	LatencyP50 time.Duration `json:"latencyP50"`
	LatencyP95 time.Duration `json:"latencyP95"`
	LatencyP99 time.Duration `json:"latencyP99"`
	TTFBP50    time.Duration `json:"ttfbP50"`
}
