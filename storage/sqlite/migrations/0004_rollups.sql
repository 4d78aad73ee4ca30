-- Schema version 4: the records summed per minute, and per hour, for each
-- channel, model and key, so that Aggregate reads a row per period and
-- combination rather than one per request (see rollup.go). A row counts the
-- records whose time is in [start, start + period). cost_pico is the sum of
-- the known costs in whole picodollars (1e-12 USD) and unpriced the number
-- of records whose cost is unknown (NULL, or infinite); latency and ttfb
-- are histograms (see histogram.go).
CREATE TABLE rollups (
	minute             INTEGER NOT NULL,
	channel_id         TEXT    NOT NULL,
	model              TEXT    NOT NULL,
	key_id             TEXT    NOT NULL,
	requests           INTEGER NOT NULL,
	errors             INTEGER NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cache_read_tokens  INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	cost_pico          INTEGER NOT NULL,
	unpriced           INTEGER NOT NULL,
	latency            BLOB    NOT NULL,
	ttfb               BLOB    NOT NULL,
	PRIMARY KEY (minute, channel_id, model, key_id)
) WITHOUT ROWID;

CREATE TABLE rollups_hourly (
	hour               INTEGER NOT NULL,
	channel_id         TEXT    NOT NULL,
	model              TEXT    NOT NULL,
	key_id             TEXT    NOT NULL,
	requests           INTEGER NOT NULL,
	errors             INTEGER NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cache_read_tokens  INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	cost_pico          INTEGER NOT NULL,
	unpriced           INTEGER NOT NULL,
	latency            BLOB    NOT NULL,
	ttfb               BLOB    NOT NULL,
	PRIMARY KEY (hour, channel_id, model, key_id)
) WITHOUT ROWID;

-- As for the records, a caller's key can be one of thousands.
CREATE INDEX rollups_key_minute ON rollups (key_id, minute);
CREATE INDEX rollups_hourly_key_hour ON rollups_hourly (key_id, hour);

-- The records already there, then the hours of their minutes. The routex_
-- functions are the package's own, registered with the driver; the
-- statements are the rebuild statements of rollup.go over all time.
INSERT INTO rollups (minute, channel_id, model, key_id, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb)
SELECT time - ((time % 60000) + 60000) % 60000, channel_id, model, key_id, count(*), sum(failed),
	sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
	routex_cost_v1(cost), sum(cost IS NULL OR abs(cost) > 1.7976931348623157e308),
	routex_histogram_v1(latency), routex_histogram_v1(ttfb)
FROM records
GROUP BY 1, 2, 3, 4;

INSERT INTO rollups_hourly (hour, channel_id, model, key_id, requests, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_pico, unpriced, latency, ttfb)
SELECT minute - ((minute % 3600000) + 3600000) % 3600000, channel_id, model, key_id, sum(requests), sum(errors),
	sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
	routex_pico_sum_v1(cost_pico), sum(unpriced), routex_histogram_sum_v1(latency), routex_histogram_sum_v1(ttfb)
FROM rollups
GROUP BY 1, 2, 3, 4;
