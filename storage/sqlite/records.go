package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

const recordColumns = `time, request_id, channel_id, channel_name, key_id, model, upstream_model,
	inbound_format, upstream_format, stream, status, failed, latency, ttfb, attempts, error,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, rule, session, cost`

// recordsPerInsert is how many records one INSERT statement carries. One
// statement per record spends more time crossing database/sql and the driver
// than SQLite spends storing the row; 64 rows of 23 columns stay well within
// SQLite's limit on bound parameters.
const recordsPerInsert = 64

var recordColumnCount = strings.Count(recordColumns, ",") + 1

// insertRecords returns an INSERT of n records.
func insertRecords(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", recordColumnCount), ", ") + ")"
	return "INSERT INTO records (" + recordColumns + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// AddRecords appends usage records in one transaction, which also adds
// them to the rollups that Aggregate reads. Times are kept to the
// millisecond; Latency and TTFB exactly. Records may arrive in any time
// order.
func (s *Store) AddRecords(ctx context.Context, recs []analytics.Record) error {
	if len(recs) == 0 {
		return s.usable(ctx)
	}
	return s.writeTx(ctx, "adding records", func(tx *sql.Tx) error {
		many := tx.StmtContext(ctx, s.insertMany)
		defer many.Close()
		one := tx.StmtContext(ctx, s.insertOne)
		defer one.Close()
		args := make([]any, 0, recordsPerInsert*recordColumnCount)
		all := recs
		for len(recs) > 0 {
			stmt, n := many, recordsPerInsert
			if len(recs) < recordsPerInsert {
				stmt, n = one, 1
			}
			args = args[:0]
			for i := range recs[:n] {
				args = appendRecord(args, &recs[i])
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return s.fail("adding records", err)
			}
			recs = recs[n:]
		}
		return s.addRollups(ctx, tx, all)
	})
}

// appendRecord appends r's values in the order of recordColumns.
func appendRecord(args []any, r *analytics.Record) []any {
	var cost any // NULL
	if r.Cost != nil {
		cost = *r.Cost
	}
	return append(args,
		r.Time.UnixMilli(), r.RequestID, r.ChannelID, r.ChannelName, r.KeyID, r.Model, r.UpstreamModel,
		r.InboundFormat, r.UpstreamFormat, r.Stream, r.Status, r.Failed(), int64(r.Latency), int64(r.TTFB), r.Attempts, r.Error,
		r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.Rule, r.Session, cost)
}

// filter builds the WHERE clause shared by Records and Aggregate.
func filter(from, to time.Time, channel, model, key string) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if !from.IsZero() {
		add("time >= ?", from.UnixMilli())
	}
	if !to.IsZero() {
		add("time < ?", to.UnixMilli())
	}
	if channel != "" {
		add("channel_id = ?", channel)
	}
	if model != "" {
		add("model = ?", model)
	}
	if key != "" {
		add("key_id = ?", key)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
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
	where, args := filter(q.From, q.To, q.ChannelID, q.Model, q.KeyID)
	var more []string
	if q.Status != 0 {
		more = append(more, "status = ?")
		args = append(args, q.Status)
	}
	if q.Failed {
		more = append(more, "failed")
	}
	if len(more) > 0 {
		if where == "" {
			where = " WHERE " + strings.Join(more, " AND ")
		} else {
			where += " AND " + strings.Join(more, " AND ")
		}
	}
	args = append(args, limit, max(q.Offset, 0))
	rows, err := s.r.QueryContext(ctx, "SELECT "+recordColumns+" FROM records"+where+" ORDER BY time DESC, id DESC LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, s.fail("reading records", err)
	}
	defer rows.Close()
	out := make([]analytics.Record, 0, min(limit, 1024))
	for rows.Next() {
		var r analytics.Record
		var ms, latency, ttfb int64
		var failed bool
		var cost sql.NullFloat64
		err := rows.Scan(&ms, &r.RequestID, &r.ChannelID, &r.ChannelName, &r.KeyID, &r.Model, &r.UpstreamModel,
			&r.InboundFormat, &r.UpstreamFormat, &r.Stream, &r.Status, &failed, &latency, &ttfb, &r.Attempts, &r.Error,
			&r.InputTokens, &r.OutputTokens, &r.CacheReadTokens, &r.CacheWriteTokens, &r.Rule, &r.Session, &cost)
		if err != nil {
			return nil, s.fail("reading records", err)
		}
		r.Time = time.UnixMilli(ms).UTC()
		r.Latency, r.TTFB = time.Duration(latency), time.Duration(ttfb)
		if cost.Valid {
			r.Cost = &cost.Float64
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("reading records", err)
	}
	return out, nil
}
