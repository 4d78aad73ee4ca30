-- Schema version 3: OAuth tokens and proxy API keys.

-- One token per channel, stored as the JSON of routex.Token with the access
-- and refresh tokens sealed like channel secrets. No foreign key: channels
-- are JSON documents too, and DeleteChannel removes the token itself.
CREATE TABLE tokens (
	channel_id TEXT PRIMARY KEY,
	data       TEXT NOT NULL
) WITHOUT ROWID;

-- Proxy API keys as the JSON of routex.Key: the key's hash, never the key.
CREATE TABLE keys (
	id   TEXT PRIMARY KEY,
	data TEXT NOT NULL
) WITHOUT ROWID;
