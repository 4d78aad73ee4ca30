// Package analytics holds the per-request usage Record and the asynchronous
// Recorder that delivers records without holding up the request path.
package analytics

import "time"

// Record describes one request that went through routex: where it went, what
// it cost in tokens and how long it took. Token counts come from the
// upstream's own usage report, for streams too.
type Record struct {
	Time      time.Time `json:"time"`      // when the request arrived
	RequestID string    `json:"requestId"` // unique per request

	ChannelID   string `json:"channelId,omitempty"`   // channel that answered (or last tried)
	ChannelName string `json:"channelName,omitempty"` // its name at the time
	KeyID       string `json:"keyId,omitempty"`       // caller's key id, set by embedding programs; never a secret

	Model          string `json:"model"`                   // model the caller asked for
	UpstreamModel  string `json:"upstreamModel,omitempty"` // model name sent upstream
	InboundFormat  string `json:"inboundFormat"`           // caller's wire format
	UpstreamFormat string `json:"upstreamFormat,omitempty"`
	Stream         bool   `json:"stream"`

	Status   int           `json:"status"`          // HTTP status returned to the caller
	Latency  time.Duration `json:"latency"`         // arrival to last byte
	TTFB     time.Duration `json:"ttfb"`            // arrival to response headers (first event for streams)
	Attempts int           `json:"attempts"`        // upstream attempts made
	Error    string        `json:"error,omitempty"` // why it failed, if it did; never contains secrets

	InputTokens      int64 `json:"inputTokens"`      // input tokens excluding cache reads and writes
	OutputTokens     int64 `json:"outputTokens"`     // output tokens
	CacheReadTokens  int64 `json:"cacheReadTokens"`  // input tokens served from the prompt cache
	CacheWriteTokens int64 `json:"cacheWriteTokens"` // input tokens written to the prompt cache

	Rule    string `json:"rule,omitempty"`    // routing rule that chose the channel, if any
	Session string `json:"session,omitempty"` // session key, if any

	// Cost is what the request cost in USD, from the token counts and a
	// Pricing table. Nil means unknown (a model without a price), which is
	// not the same as free.
	Cost *float64 `json:"cost,omitempty"`
}

// Failed reports whether the request ended in an error.
func (r *Record) Failed() bool { return r.Status >= 400 || r.Error != "" }
