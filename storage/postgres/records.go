package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

// recordColumns are the records table's columns that AddRecords writes and
// Records reads, in that order.
var recordColumns = []string{"time", "request_id", "channel_id", "channel_name", "key_id", "model", "upstream_model",
	"inbound_format", "upstream_format", "stream", "status", "failed", "latency", "ttfb", "attempts", "error",
	"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "rule", "session", "cost"}

// AddRecords appends usage records with one COPY, in a transaction that
// also adds them to the rollups Aggregate reads. Times are kept to the
// millisecond; Latency and TTFB exactly. Records may arrive in any time
// order. When the database cannot be reached, AddRecords returns an error
// and the batch is not written.
func (s *Store) AddRecords(ctx context.Context, recs []analytics.Record) error {
	if len(recs) == 0 {
		return s.usable(ctx)
	}
	// Summed before the transaction, which holds the rollup lock from the
	// moment it merges them until it commits.
	deltas := rollupDeltas(recs)
	return s.writeTx(ctx, "adding records", func(tx pgx.Tx) error {
		row := make([]any, len(recordColumns))
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordColumns, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
			recordValues(row, &recs[i])
			return row, nil
		}))
		if err != nil {
			return s.fail("adding records", err)
		}
		return s.mergeRollups(ctx, tx, deltas)
	})
}

// recordValues sets row to r's values in the order of recordColumns.
func recordValues(row []any, r *analytics.Record) {
	var cost any // NULL
	if r.Cost != nil && !math.IsNaN(*r.Cost) {
		// NaN is unknown, as storage/sqlite stores it.
		cost = *r.Cost
	}
	copy(row, []any{
		r.Time.UnixMilli(), text(r.RequestID), text(r.ChannelID), text(r.ChannelName), text(r.KeyID), text(r.Model), text(r.UpstreamModel),
		text(r.InboundFormat), text(r.UpstreamFormat), r.Stream, r.Status, r.Failed(), int64(r.Latency), int64(r.TTFB), r.Attempts, text(r.Error),
		r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, text(r.Rule), text(r.Session), cost,
	})
}

// text returns v as a PostgreSQL text value can hold it: valid UTF-8
// without NUL bytes, each offending byte replaced with U+FFFD. The server
// would refuse the whole batch for one such string, and a record's strings
// come from callers and upstreams (a model name, an error message).
func text(v string) string {
	if strings.IndexByte(v, 0) < 0 && utf8.ValidString(v) {
		return v
	}
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
}

// where builds a WHERE clause from conditions whose placeholders are
// numbered after the arguments already in args.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args))))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// filters adds the conditions shared by Records and Aggregate except time.
func (w *where) filters(channel, model, key string) {
	if channel != "" {
		w.add("channel_id = ?", channel)
	}
	if model != "" {
		w.add("model = ?", model)
	}
	if key != "" {
		w.add("key_id = ?", key)
	}
}

// Records returns the records matching q, newest first; records whose
// Times are in the same millisecond come most recently added first.
func (s *Store) Records(ctx context.Context, q routex.RecordQuery) ([]analytics.Record, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var w where
	if !q.From.IsZero() {
		w.add("time >= ?", q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		w.add("time < ?", q.To.UnixMilli())
	}
	w.filters(q.ChannelID, q.Model, q.KeyID)
	if q.Status != 0 {
		w.add("status = ?", q.Status)
	}
	if q.Failed {
		w.conds = append(w.conds, "failed")
	}
	args := append(w.args, limit, max(q.Offset, 0))
	query := fmt.Sprintf("SELECT %s FROM records%s ORDER BY time DESC, id DESC LIMIT $%d OFFSET $%d",
		strings.Join(recordColumns, ", "), w.String(), len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, s.fail("reading records", err)
	}
	out := make([]analytics.Record, 0, min(limit, 1024))
	var r analytics.Record
	var ms, latency, ttfb int64
	var failed bool
	var cost *float64
	_, err = pgx.ForEachRow(rows, []any{&ms, &r.RequestID, &r.ChannelID, &r.ChannelName, &r.KeyID, &r.Model, &r.UpstreamModel,
		&r.InboundFormat, &r.UpstreamFormat, &r.Stream, &r.Status, &failed, &latency, &ttfb, &r.Attempts, &r.Error,
		&r.InputTokens, &r.OutputTokens, &r.CacheReadTokens, &r.CacheWriteTokens, &r.Rule, &r.Session, &cost}, func() error {
		rec := r
		rec.Time = time.UnixMilli(ms).UTC()
		rec.Latency, rec.TTFB = time.Duration(latency), time.Duration(ttfb)
		rec.Cost = nil
		if cost != nil {
			c := *cost
			rec.Cost = &c
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, s.fail("reading records", err)
	}
	return out, nil
}
