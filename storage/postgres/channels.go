package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/routex/routex"
)

func (s *Store) encodeChannel(c routex.Channel) (string, error) {
	b, err := s.secret.EncodeChannel(c)
	return string(b), err
}

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
	data, err := s.rowData(ctx, "SELECT data FROM channels WHERE id = $1", "channel", id)
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
	err := s.pool.QueryRow(ctx, query, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: %s %q: %w", kind, id, routex.ErrNotFound)
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
	data, err := s.encodeChannel(c)
	if err != nil {
		return err
	}
	what := "writing channel " + quote(c.ID)
	return s.change(ctx, what, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO channels (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data", c.ID, data)
		return s.failed(what, err)
	})
}

// DeleteChannel removes the channel with the given id and its token, or
// returns an error wrapping routex.ErrNotFound.
func (s *Store) DeleteChannel(ctx context.Context, id string) error {
	return s.change(ctx, "deleting channel "+quote(id), func(tx pgx.Tx) error {
		if err := s.deleteRow(ctx, tx, "DELETE FROM channels WHERE id = $1", id, "channel"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM tokens WHERE channel_id = $1", id)
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
			return fmt.Errorf("postgres: rule %q: reading stored value: %w", id, err)
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
	data, err := s.rowData(ctx, "SELECT data FROM rules WHERE id = $1", "rule", id)
	if err != nil {
		return routex.Rule{}, err
	}
	var r routex.Rule
	if err := json.Unmarshal(data, &r); err != nil {
		return routex.Rule{}, fmt.Errorf("postgres: rule %q: reading stored value: %w", id, err)
	}
	return r, nil
}

// PutRule creates or replaces the rule with r.ID. The rule's Matcher is Go
// code and is not stored.
func (s *Store) PutRule(ctx context.Context, r routex.Rule) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("postgres: rule %q: %w", r.ID, err)
	}
	what := "writing rule " + quote(r.ID)
	return s.change(ctx, what, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO rules (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data", r.ID, string(data))
		return s.failed(what, err)
	})
}

// DeleteRule removes the rule with the given id, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return s.change(ctx, "deleting rule "+quote(id), func(tx pgx.Tx) error {
		return s.deleteRow(ctx, tx, "DELETE FROM rules WHERE id = $1", id, "rule")
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
	rows, err := s.pool.Query(ctx, "SELECT key, channel_id, expires_at FROM sessions WHERE expires_at > $1 ORDER BY key", now.UnixMilli())
	if err != nil {
		return nil, s.fail("reading sessions", err)
	}
	out := []routex.Session{}
	var se routex.Session
	var exp int64
	_, err = pgx.ForEachRow(rows, []any{&se.Key, &se.ChannelID, &exp}, func() error {
		se.ExpiresAt = time.UnixMilli(exp).UTC()
		out = append(out, se)
		return nil
	})
	if err != nil {
		return nil, s.fail("reading sessions", err)
	}
	return out, nil
}

// PutSession creates or replaces the session with se.Key.
func (s *Store) PutSession(ctx context.Context, se routex.Session) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (key, channel_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET channel_id = excluded.channel_id, expires_at = excluded.expires_at`,
		se.Key, se.ChannelID, se.ExpiresAt.UnixMilli())
	return s.failed("writing session", err)
}

// DeleteSession removes the session with the given key, or returns an error
// wrapping routex.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	return s.deleteRow(ctx, s.pool, "DELETE FROM sessions WHERE key = $1", key, "session")
}

// execer is what deleteRow runs its statement on: a transaction or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (s *Store) deleteRow(ctx context.Context, db execer, query, id, kind string) error {
	tag, err := db.Exec(ctx, query, id)
	if err != nil {
		return s.fail("deleting "+kind+" "+quote(id), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s %q: %w", kind, id, routex.ErrNotFound)
	}
	return nil
}

// scanRows runs a query of (id, data) rows and calls fn for each.
func (s *Store) scanRows(ctx context.Context, what, query string, fn func(id string, data []byte) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		return s.fail(what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return s.fail(what, err)
		}
		if err := fn(id, data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.fail(what, err)
	}
	return nil
}
