-- Schema version 1. Times are unix milliseconds (UTC); durations are
-- nanoseconds, so that a time.Duration round-trips exactly.

-- Channels and rules are stored as the JSON of routex.Channel and
-- routex.Rule, so that a field the root package adds is kept without a
-- migration. Channel secrets inside the JSON are encrypted (see secrets.go).
CREATE TABLE channels (
	id   TEXT PRIMARY KEY,
	data TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE rules (
	id   TEXT PRIMARY KEY,
	data TEXT NOT NULL
) WITHOUT ROWID;

-- Single values, such as the balancing strategy.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
	key        TEXT PRIMARY KEY,
	channel_id TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- The rowid orders records added with the same time: newest added last.
CREATE TABLE records (
	id                 INTEGER PRIMARY KEY,
	time               INTEGER NOT NULL,
	request_id         TEXT    NOT NULL DEFAULT '',
	channel_id         TEXT    NOT NULL DEFAULT '',
	channel_name       TEXT    NOT NULL DEFAULT '',
	key_id             TEXT    NOT NULL DEFAULT '',
	model              TEXT    NOT NULL DEFAULT '',
	upstream_model     TEXT    NOT NULL DEFAULT '',
	inbound_format     TEXT    NOT NULL DEFAULT '',
	upstream_format    TEXT    NOT NULL DEFAULT '',
	stream             INTEGER NOT NULL DEFAULT 0,
	status             INTEGER NOT NULL DEFAULT 0,
	failed             INTEGER NOT NULL DEFAULT 0,
	latency            INTEGER NOT NULL DEFAULT 0,
	ttfb               INTEGER NOT NULL DEFAULT 0,
	attempts           INTEGER NOT NULL DEFAULT 0,
	error              TEXT    NOT NULL DEFAULT '',
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	rule               TEXT    NOT NULL DEFAULT '',
	session            TEXT    NOT NULL DEFAULT ''
);

-- Every index costs each insert a B-tree descent and dirty pages, and
-- inserts must keep up with traffic. Queries by channel or model (few
-- distinct values) walk the time index and filter; a caller's key can be one
-- of thousands, so it has its own.
CREATE INDEX records_time ON records (time);
CREATE INDEX records_key_time ON records (key_id, time);
-- Failures are few, so this index costs most inserts nothing, and it spares
-- the error log a scan of the whole table.
CREATE INDEX records_failed_time ON records (time) WHERE failed;
