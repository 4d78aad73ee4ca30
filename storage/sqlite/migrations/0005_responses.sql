-- Schema version 5: answers to OpenAI Responses API requests, kept so that a
-- request naming one in previous_response_id can be served by any channel
-- (routex.StoredResponse). input and output hold JSON arrays of items as
-- the Client gave them; instructions the request's instructions as JSON, ''
-- when it had none. Rows expire at expires_at; Prune, and each PutResponse a
-- few at a time, delete them. Rows are large, so the table keeps its rowid
-- and the id is an index into it.
CREATE TABLE responses (
	id           TEXT    PRIMARY KEY,
	previous_id  TEXT    NOT NULL DEFAULT '',
	key_id       TEXT    NOT NULL DEFAULT '',
	channel_id   TEXT    NOT NULL DEFAULT '',
	model        TEXT    NOT NULL DEFAULT '',
	store        INTEGER NOT NULL DEFAULT 1,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	instructions TEXT    NOT NULL DEFAULT '',
	input        TEXT    NOT NULL,
	output       TEXT    NOT NULL
);

CREATE INDEX responses_expires_at ON responses (expires_at);
