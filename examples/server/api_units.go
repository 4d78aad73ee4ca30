package main

import (
	"errors"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

// The library's types give durations as nanoseconds (time.Duration); the
// API gives every duration in milliseconds, in a field whose name ends in
// Ms. The views below put an ms field beside each library type's duration
// and shadow the nanosecond field, which a shallower field of the same
// JSON name hides from encoding/json.

// nanos stands where a library type has a nanosecond duration: it is never
// written, and reading one is refused with the field's millisecond name.
type nanos struct{}

func (*nanos) UnmarshalJSON([]byte) error {
	return errors.New("durations are given in milliseconds, in fields whose names end in Ms (timeoutMs, streamIdleTimeoutMs, perMs)")
}

// ms gives d in milliseconds, fractions kept.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fromMs reads a millisecond count into a duration.
func fromMs(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// recordView is a usage record as the API shows it.
type recordView struct {
	*analytics.Record
	Latency   *nanos  `json:"latency,omitempty"`
	TTFB      *nanos  `json:"ttfb,omitempty"`
	LatencyMs float64 `json:"latencyMs"`
	TTFBMs    float64 `json:"ttfbMs"`
}

func viewRecord(r *analytics.Record) recordView {
	return recordView{Record: r, LatencyMs: ms(r.Latency), TTFBMs: ms(r.TTFB)}
}

func viewRecords(recs []analytics.Record) []recordView {
	out := make([]recordView, len(recs))
	for i := range recs {
		out[i] = viewRecord(&recs[i])
	}
	return out
}

// aggregateView is an Aggregate as the API shows it.
type aggregateView struct {
	*routex.Aggregate
	LatencyP50   *nanos  `json:"latencyP50,omitempty"`
	LatencyP95   *nanos  `json:"latencyP95,omitempty"`
	LatencyP99   *nanos  `json:"latencyP99,omitempty"`
	TTFBP50      *nanos  `json:"ttfbP50,omitempty"`
	LatencyP50Ms float64 `json:"latencyP50Ms"`
	LatencyP95Ms float64 `json:"latencyP95Ms"`
	LatencyP99Ms float64 `json:"latencyP99Ms"`
	TTFBP50Ms    float64 `json:"ttfbP50Ms"`
}

func viewAggregate(a *routex.Aggregate) aggregateView {
	return aggregateView{Aggregate: a, LatencyP50Ms: ms(a.LatencyP50), LatencyP95Ms: ms(a.LatencyP95),
		LatencyP99Ms: ms(a.LatencyP99), TTFBP50Ms: ms(a.TTFBP50)}
}

func viewAggregates(aggs []routex.Aggregate) []aggregateView {
	out := make([]aggregateView, len(aggs))
	for i := range aggs {
		out[i] = viewAggregate(&aggs[i])
	}
	return out
}

// channelDoc is a channel as the API reads and writes it.
type channelDoc struct {
	routex.Channel
	Timeout             *nanos     `json:"timeout,omitempty"`
	StreamIdleTimeout   *nanos     `json:"streamIdleTimeout,omitempty"`
	Limits              []limitDoc `json:"limits,omitempty"`
	TimeoutMs           float64    `json:"timeoutMs,omitempty"`
	StreamIdleTimeoutMs float64    `json:"streamIdleTimeoutMs,omitempty"`
}

// limitDoc is a routex.Limit as the API reads and writes it.
type limitDoc struct {
	Per      *nanos  `json:"per,omitempty"`
	PerMs    float64 `json:"perMs"`
	Requests int64   `json:"requests,omitempty"`
	Tokens   int64   `json:"tokens,omitempty"`
}

func docChannel(c routex.Channel) channelDoc {
	d := channelDoc{Channel: c, TimeoutMs: ms(c.Timeout), StreamIdleTimeoutMs: ms(c.StreamIdleTimeout)}
	for _, l := range c.Limits {
		d.Limits = append(d.Limits, limitDoc{PerMs: ms(l.Per), Requests: l.Requests, Tokens: l.Tokens})
	}
	return d
}

// channel is the library's channel the document describes.
func (d channelDoc) channel() routex.Channel {
	c := d.Channel
	c.Timeout, c.StreamIdleTimeout = fromMs(d.TimeoutMs), fromMs(d.StreamIdleTimeoutMs)
	c.Limits = nil
	for _, l := range d.Limits {
		c.Limits = append(c.Limits, routex.Limit{Per: fromMs(l.PerMs), Requests: l.Requests, Tokens: l.Tokens})
	}
	return c
}

func docChannels(chs []routex.Channel) []channelDoc {
	out := make([]channelDoc, len(chs))
	for i, c := range chs {
		out[i] = docChannel(c)
	}
	return out
}
