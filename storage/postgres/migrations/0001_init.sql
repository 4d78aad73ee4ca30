-- Schema version 1. Times are unix milliseconds (UTC) in bigint columns,
-- as in storage/sqlite, so that rollup periods are integer arithmetic;
-- durations are nanoseconds, so that a time.Duration round-trips exactly.

-- Channels, rules, tokens and keys are stored as the JSON of their routex
-- type, so that a field the root package adds is kept without a migration.
-- It is text, not jsonb: jsonb would reorder keys and respace transformer
-- options, which must come back byte for byte. Channel secrets and OAuth
-- tokens inside it are encrypted (see secrets.go).
CREATE TABLE channels (
	id   text PRIMARY KEY,
	data text NOT NULL
);

CREATE TABLE rules (
	id   text PRIMARY KEY,
	data text NOT NULL
);

-- One token per channel; DeleteChannel removes it.
CREATE TABLE tokens (
	channel_id text PRIMARY KEY,
	data       text NOT NULL
);

-- Proxy API keys: the key's hash, never the key.
CREATE TABLE keys (
	id   text PRIMARY KEY,
	data text NOT NULL
);

-- Single values: the balancing strategy, and the program's settings.
CREATE TABLE settings (
	name  text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE sessions (
	key        text   PRIMARY KEY,
	channel_id text   NOT NULL,
	expires_at bigint NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- The id orders records added with the same time: newest added last.
CREATE TABLE records (
	id                 bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time               bigint  NOT NULL,
	request_id         text    NOT NULL DEFAULT '',
	channel_id         text    NOT NULL DEFAULT '',
	channel_name       text    NOT NULL DEFAULT '',
	key_id             text    NOT NULL DEFAULT '',
	model              text    NOT NULL DEFAULT '',
	upstream_model     text    NOT NULL DEFAULT '',
	inbound_format     text    NOT NULL DEFAULT '',
	upstream_format    text    NOT NULL DEFAULT '',
	stream             boolean NOT NULL DEFAULT false,
	status             integer NOT NULL DEFAULT 0,
	failed             boolean NOT NULL DEFAULT false,
	latency            bigint  NOT NULL DEFAULT 0,
	ttfb               bigint  NOT NULL DEFAULT 0,
	attempts           integer NOT NULL DEFAULT 0,
	error              text    NOT NULL DEFAULT '',
	input_tokens       bigint  NOT NULL DEFAULT 0,
	output_tokens      bigint  NOT NULL DEFAULT 0,
	cache_read_tokens  bigint  NOT NULL DEFAULT 0,
	cache_write_tokens bigint  NOT NULL DEFAULT 0,
	rule               text    NOT NULL DEFAULT '',
	session            text    NOT NULL DEFAULT '',
	cost               double precision -- USD; NULL when unknown
);

-- As in storage/sqlite: queries by channel or model (few distinct values)
-- walk the time index and filter; a caller's key can be one of thousands,
-- so it has its own; failures are few, and the error log reads only them.
CREATE INDEX records_time ON records (time);
CREATE INDEX records_key_time ON records (key_id, time);
CREATE INDEX records_failed_time ON records (time) WHERE failed;

-- The records summed per minute, hour and day for each channel, model and
-- key (see rollup.go): a row counts the records whose time is in
-- [start, start + period). cost_pico is the sum of the known costs in
-- whole picodollars (1e-12 USD), unpriced the number of records whose cost
-- is unknown; latency and ttfb are histograms (see histogram.go).
CREATE TABLE rollups_minute (
	start              bigint NOT NULL,
	channel_id         text   NOT NULL,
	model              text   NOT NULL,
	key_id             text   NOT NULL,
	requests           bigint NOT NULL,
	errors             bigint NOT NULL,
	input_tokens       bigint NOT NULL,
	output_tokens      bigint NOT NULL,
	cache_read_tokens  bigint NOT NULL,
	cache_write_tokens bigint NOT NULL,
	cost_pico          bigint NOT NULL,
	unpriced           bigint NOT NULL,
	latency            bytea  NOT NULL,
	ttfb               bytea  NOT NULL,
	PRIMARY KEY (start, channel_id, model, key_id)
);

CREATE TABLE rollups_hour (LIKE rollups_minute INCLUDING ALL);
CREATE TABLE rollups_day (LIKE rollups_minute INCLUDING ALL);

CREATE INDEX rollups_minute_key_start ON rollups_minute (key_id, start);
CREATE INDEX rollups_hour_key_start ON rollups_hour (key_id, start);
CREATE INDEX rollups_day_key_start ON rollups_day (key_id, start);

-- Answers to OpenAI Responses API requests (routex.StoredResponse). input
-- and output hold JSON arrays of items as the Client gave them, kept as
-- bytes; instructions the request's instructions as JSON, empty when it
-- had none.
CREATE TABLE responses (
	id           text    PRIMARY KEY,
	previous_id  text    NOT NULL DEFAULT '',
	key_id       text    NOT NULL DEFAULT '',
	channel_id   text    NOT NULL DEFAULT '',
	model        text    NOT NULL DEFAULT '',
	store        boolean NOT NULL DEFAULT true,
	created_at   bigint  NOT NULL,
	expires_at   bigint  NOT NULL,
	instructions bytea   NOT NULL DEFAULT '',
	input        bytea   NOT NULL,
	output       bytea   NOT NULL
);

CREATE INDEX responses_expires_at ON responses (expires_at);
