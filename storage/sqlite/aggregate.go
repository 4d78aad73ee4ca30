package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/routex/routex"
)

// usageFunc names the SQL aggregate function that computes Aggregate.
//
// Aggregate needs exact percentiles, so every matching row's latency must be
// seen. Reading a million rows through database/sql costs several times
// what SQLite takes to scan them (each column read is a locked call into
// the driver), and SQLite's GROUP BY, ORDER BY and window functions sort
// every row in its sorter, slower still. An aggregate function written in
// Go sees each row in one call, groups in a map and sorts in Go, and hands
// back only the result.
//
// The driver registers functions for every connection it opens in the
// process, hence the prefix, and the version in case its arguments change.
const usageFunc = "routex_usage_v1"

func init() {
	msqlite.MustRegisterFunction(usageFunc, &msqlite.FunctionImpl{
		NArgs: 10,
		// Group strings are looked up without a copy and cloned only when
		// a new group is kept.
		VolatileArgs:  true,
		Deterministic: true,
		MakeAggregate: func(msqlite.FunctionContext) (msqlite.AggregateFunction, error) {
			return &usage{groups: make(map[string]map[int64]*usageGroup)}, nil
		},
	})
}

// zeroMilli is the zero time.Time in unix milliseconds. time.Time.Truncate
// counts buckets from it, not from the unix epoch, which matters for
// buckets that do not divide a day evenly.
var zeroMilli = time.Time{}.UnixMilli()

// Aggregate sums the records matching q per group and time bucket, ordered
// by bucket and then group. Buckets are q.Bucket-long intervals of UTC time
// (time.Time.Truncate); q.Bucket must be a whole number of milliseconds.
// Percentiles use the nearest-rank method over every record in the group:
// the p-th percentile of n sorted values is the ceil(p*n/100)-th.
func (s *Store) Aggregate(ctx context.Context, q routex.AggregateQuery) ([]routex.Aggregate, error) {
	var group string
	switch q.GroupBy {
	case routex.GroupNone:
		group = "''"
	case routex.GroupChannel:
		group = "channel_id"
	case routex.GroupModel:
		group = "model"
	case routex.GroupKey:
		group = "key_id"
	default:
		return nil, fmt.Errorf("sqlite: unknown group %q", q.GroupBy)
	}
	if q.Bucket < 0 || q.Bucket%time.Millisecond != 0 {
		return nil, fmt.Errorf("sqlite: bucket %v is not a positive whole number of milliseconds", q.Bucket)
	}
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	where, args := filter(q.From, q.To, q.ChannelID, q.Model, q.KeyID)
	query := "SELECT " + usageFunc + "(?, " + group + `, time, latency, ttfb, failed,
		input_tokens, output_tokens, cache_read_tokens, cache_write_tokens) FROM records` + where
	var out []byte
	if err := s.r.QueryRowContext(ctx, query, append([]any{q.Bucket.Milliseconds()}, args...)...).Scan(&out); err != nil {
		return nil, s.fail("aggregating records", err)
	}
	var aggs []routex.Aggregate
	if len(out) > 0 {
		if err := json.Unmarshal(out, &aggs); err != nil {
			return nil, s.fail("aggregating records", err)
		}
	}
	return aggs, nil
}

// usage is one evaluation of usageFunc. Its arguments are the bucket size in
// milliseconds (0 for none), then the group, time, latency, ttfb, failed and
// the four token counts of a record. Its value is the JSON of the
// []routex.Aggregate that Aggregate returns.
type usage struct {
	// By group, then bucket, so that a group is found from the driver's
	// volatile string without a copy.
	groups map[string]map[int64]*usageGroup
}

type usageGroup struct {
	agg     routex.Aggregate
	latency []int64
	ttfb    []int64
}

var _ msqlite.AggregateFunction = (*usage)(nil)

func (u *usage) Step(_ *msqlite.FunctionContext, args []driver.Value) error {
	var v [10]int64
	for i, a := range args {
		if i == 1 {
			continue
		}
		n, ok := a.(int64)
		if !ok {
			return fmt.Errorf("%s: argument %d is %T, want an integer", usageFunc, i, a)
		}
		v[i] = n
	}
	g, ok := args[1].(string)
	if !ok {
		return fmt.Errorf("%s: group is %T, want text", usageFunc, args[1])
	}
	bucket, ms := v[0], v[2]
	var b int64
	if bucket > 0 {
		// Positive for any time after year 1, so % is a true modulus and
		// this is Truncate in integers.
		b = ms - (ms-zeroMilli)%bucket
	}
	byBucket := u.groups[g]
	if byBucket == nil {
		g = strings.Clone(g)
		byBucket = make(map[int64]*usageGroup)
		u.groups[g] = byBucket
	}
	a := byBucket[b]
	if a == nil {
		a = &usageGroup{agg: routex.Aggregate{Group: strings.Clone(g)}}
		if bucket > 0 {
			a.agg.Bucket = time.UnixMilli(b).UTC()
		}
		byBucket[b] = a
	}
	a.agg.Requests++
	a.agg.Errors += v[5]
	a.agg.InputTokens += v[6]
	a.agg.OutputTokens += v[7]
	a.agg.CacheReadTokens += v[8]
	a.agg.CacheWriteTokens += v[9]
	a.latency = append(a.latency, v[3])
	a.ttfb = append(a.ttfb, v[4])
	return nil
}

func (u *usage) WindowInverse(*msqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("%s cannot be used as a window function", usageFunc)
}

func (u *usage) WindowValue(*msqlite.FunctionContext) (driver.Value, error) {
	var result []routex.Aggregate
	for _, byBucket := range u.groups {
		for _, a := range byBucket {
			slices.Sort(a.latency)
			slices.Sort(a.ttfb)
			a.agg.LatencyP50 = time.Duration(percentile(a.latency, 50))
			a.agg.LatencyP95 = time.Duration(percentile(a.latency, 95))
			a.agg.LatencyP99 = time.Duration(percentile(a.latency, 99))
			a.agg.TTFBP50 = time.Duration(percentile(a.ttfb, 50))
			result = append(result, a.agg)
		}
	}
	slices.SortFunc(result, func(a, b routex.Aggregate) int {
		if c := a.Bucket.Compare(b.Bucket); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	if result == nil {
		return nil, nil
	}
	return json.Marshal(result)
}

func (u *usage) Final(*msqlite.FunctionContext) { u.groups = nil }

// percentile returns the nearest-rank p-th percentile of sorted, computed
// in integers so that, say, the 95th of 100 values is exactly the 95th.
func percentile(sorted []int64, p int) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	return sorted[max((p*n+99)/100, 1)-1]
}
