package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/routex/routex"
)

// Channels returns every channel, ordered by ID, secrets redacted.
func (s *Store) Channels(ctx context.Context) ([]routex.Channel, error) {
	return s.channelList(ctx, routex.Channel.Redacted)
}

// RevealChannels returns every channel, ordered by ID, secrets decrypted. It
// fails, naming the channel, when a secret cannot be decrypted.
func (s *Store) RevealChannels(ctx context.Context) ([]routex.Channel, error) {
	return s.channelList(ctx, nil)
}

// Channel returns the channel with this ID, secrets redacted, or an error
// wrapping routex.ErrNotFound.
func (s *Store) Channel(ctx context.Context, id string) (routex.Channel, error) {
	c, err := s.RevealChannel(ctx, id)
	if err != nil {
		return routex.Channel{}, err
	}
	return c.Redacted(), nil
}

// RevealChannel returns the channel with this ID, secrets decrypted, or an
// error wrapping routex.ErrNotFound.
func (s *Store) RevealChannel(ctx context.Context, id string) (routex.Channel, error) {
	data, err := s.rowData(ctx, "SELECT data FROM channels WHERE id = ?", "channel", id)
	if err != nil {
		return routex.Channel{}, err
	}
	return s.secret.DecodeChannel(id, data)
}

// rowData reads the one row query selects by id, or returns an error
// wrapping routex.ErrNotFound naming the kind of row.
func (s *Store) rowData(ctx context.Context, query, kind, id string) ([]byte, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	var data []byte
	err := s.r.QueryRowContext(ctx, query, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s %q: %w", kind, id, routex.ErrNotFound)
	}
	if err != nil {
		return nil, s.fail("reading "+kind+" "+quote(id), err)
	}
	return data, nil
}

func (s *Store) channelList(ctx context.Context, show func(routex.Channel) routex.Channel) ([]routex.Channel, error) {
	out := []routex.Channel{}
	err := s.scanRows(ctx, "reading channels", "SELECT id, data FROM channels ORDER BY id", func(id string, data []byte) error {
		c, err := s.secret.DecodeChannel(id, data)
		if err != nil {
			return err
		}
		if show != nil {
			c = show(c)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutChannel creates or replaces the channel with c.ID. It does not validate
// c; routex does that before it stores a channel.
func (s *Store) PutChannel(ctx context.Context, c routex.Channel) error {
	data, err := s.secret.EncodeChannel(c)
	if err != nil {
		return err
	}
	return s.change(ctx, "writing channel "+quote(c.ID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO channels (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data", c.ID, data)
		return s.failed("writing channel "+quote(c.ID), err)
	})
}

// DeleteChannel removes the channel with the given id and its token, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteChannel(ctx context.Context, id string) error {
	return s.change(ctx, "deleting channel "+quote(id), func(tx *sql.Tx) error {
		if err := s.deleteRow(ctx, tx, "DELETE FROM channels WHERE id = ?", id, "channel"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM tokens WHERE channel_id = ?", id)
		return s.failed("deleting token of channel "+quote(id), err)
	})
}

// Rules returns every rule, ordered by ID. Matcher is always nil: Go code is
// not stored.
func (s *Store) Rules(ctx context.Context) ([]routex.Rule, error) {
	out := []routex.Rule{}
	err := s.scanRows(ctx, "reading rules", "SELECT id, data FROM rules ORDER BY id", func(id string, data []byte) error {
		var r routex.Rule
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("sqlite: rule %q: reading stored value: %w", id, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Rule returns the rule with this ID, or an error wrapping
// routex.ErrNotFound.
func (s *Store) Rule(ctx context.Context, id string) (routex.Rule, error) {
	data, err := s.rowData(ctx, "SELECT data FROM rules WHERE id = ?", "rule", id)
	if err != nil {
		return routex.Rule{}, err
	}
	var r routex.Rule
	if err := json.Unmarshal(data, &r); err != nil {
		return routex.Rule{}, fmt.Errorf("sqlite: rule %q: reading stored value: %w", id, err)
	}
	return r, nil
}

// PutRule creates or replaces the rule with r.ID. The rule's Matcher is Go
// code and is not stored.
func (s *Store) PutRule(ctx context.Context, r routex.Rule) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("sqlite: rule %q: %w", r.ID, err)
	}
	return s.change(ctx, "writing rule "+quote(r.ID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO rules (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data", r.ID, data)
		return s.failed("writing rule "+quote(r.ID), err)
	})
}

// DeleteRule removes the rule with the given id, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return s.change(ctx, "deleting rule "+quote(id), func(tx *sql.Tx) error {
		return s.deleteRow(ctx, tx, "DELETE FROM rules WHERE id = ?", id, "rule")
	})
}

const strategyKey = "strategy"

// Strategy returns the balancing strategy's name, "" if it was never set.
func (s *Store) Strategy(ctx context.Context) (string, error) {
	return s.settingValue(ctx, strategyKey)
}

// SetStrategy records the balancing strategy's name.
func (s *Store) SetStrategy(ctx context.Context, name string) error {
	return s.putSettingValue(ctx, strategyKey, name)
}

// Sessions returns the sessions whose ExpiresAt is after now, ordered by
// key. Expired sessions stay until they are replaced, deleted or pruned
// (see Prune). Times are kept to the millisecond.
func (s *Store) Sessions(ctx context.Context, now time.Time) ([]routex.Session, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT key, channel_id, expires_at FROM sessions WHERE expires_at > ? ORDER BY key", now.UnixMilli())
	if err != nil {
		return nil, s.fail("reading sessions", err)
	}
	defer rows.Close()
	out := []routex.Session{}
	for rows.Next() {
		var se routex.Session
		var exp int64
		if err := rows.Scan(&se.Key, &se.ChannelID, &exp); err != nil {
			return nil, s.fail("reading sessions", err)
		}
		se.ExpiresAt = time.UnixMilli(exp).UTC()
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("reading sessions", err)
	}
	return out, nil
}

// PutSession creates or replaces the session with se.Key.
func (s *Store) PutSession(ctx context.Context, se routex.Session) error {
	return s.writeTx(ctx, "writing session", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (key, channel_id, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET channel_id = excluded.channel_id, expires_at = excluded.expires_at`,
			se.Key, se.ChannelID, se.ExpiresAt.UnixMilli())
		return s.failed("writing session", err)
	})
}

// DeleteSession removes the session with the given key, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	return s.writeTx(ctx, "deleting session", func(tx *sql.Tx) error {
		return s.deleteRow(ctx, tx, "DELETE FROM sessions WHERE key = ?", key, "session")
	})
}

func (s *Store) deleteRow(ctx context.Context, tx *sql.Tx, query, id, kind string) error {
	res, err := tx.ExecContext(ctx, query, id)
	if err != nil {
		return s.fail("deleting "+kind+" "+quote(id), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail("deleting "+kind+" "+quote(id), err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: %s %q: %w", kind, id, routex.ErrNotFound)
	}
	return nil
}

// failed is fail for a nil-able error.
func (s *Store) failed(what string, err error) error {
	if err == nil {
		return nil
	}
	return s.fail(what, err)
}

func quote(id string) string { return fmt.Sprintf("%q", id) }
