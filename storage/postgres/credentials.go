package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
)

// Tokens returns the OAuth tokens, ordered by channel ID, with the access and
// refresh tokens redacted.
func (s *Store) Tokens(ctx context.Context) ([]oauth.Token, error) {
	out := []oauth.Token{}
	err := s.scanRows(ctx, "reading tokens", "SELECT channel_id, data FROM tokens ORDER BY channel_id", func(id string, data []byte) error {
		t, err := s.secret.DecodeToken(id, data)
		if err != nil {
			return err
		}
		out = append(out, t.Redacted())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevealToken returns the token of the channel with its secrets decrypted,
// or an error wrapping oauth.ErrNoToken.
func (s *Store) RevealToken(ctx context.Context, channelID string) (oauth.Token, error) {
	data, err := s.rowData(ctx, "SELECT data FROM tokens WHERE channel_id = $1", "token of channel", channelID)
	if errors.Is(err, routex.ErrNotFound) {
		return oauth.Token{}, fmt.Errorf("postgres: token of channel %q: %w", channelID, oauth.ErrNoToken)
	}
	if err != nil {
		return oauth.Token{}, err
	}
	return s.secret.DecodeToken(channelID, data)
}

// PutToken creates or replaces the token of t.ChannelID, its secrets sealed.
func (s *Store) PutToken(ctx context.Context, t oauth.Token) error {
	data, err := s.secret.EncodeToken(t)
	if err != nil {
		return err
	}
	what := "writing token of channel " + quote(t.ChannelID)
	return s.change(ctx, what, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO tokens (channel_id, data) VALUES ($1, $2) ON CONFLICT (channel_id) DO UPDATE SET data = excluded.data", t.ChannelID, string(data))
		return s.failed(what, err)
	})
}

// DeleteToken removes the token of the channel, or returns an error wrapping
// oauth.ErrNoToken.
func (s *Store) DeleteToken(ctx context.Context, channelID string) error {
	err := s.change(ctx, "deleting token of channel "+quote(channelID), func(tx pgx.Tx) error {
		return s.deleteRow(ctx, tx, "DELETE FROM tokens WHERE channel_id = $1", channelID, "token of channel")
	})
	if errors.Is(err, routex.ErrNotFound) {
		return fmt.Errorf("postgres: token of channel %q: %w", channelID, oauth.ErrNoToken)
	}
	return err
}

// Keys returns the proxy API keys, ordered by ID.
func (s *Store) Keys(ctx context.Context) ([]routex.Key, error) {
	out := []routex.Key{}
	err := s.scanRows(ctx, "reading keys", "SELECT id, data FROM keys ORDER BY id", func(id string, data []byte) error {
		var k routex.Key
		if err := json.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("postgres: key %q: reading stored value: %w", id, err)
		}
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Key returns the key with this ID, or an error wrapping
// routex.ErrNotFound.
func (s *Store) Key(ctx context.Context, id string) (routex.Key, error) {
	data, err := s.rowData(ctx, "SELECT data FROM keys WHERE id = $1", "key", id)
	if err != nil {
		return routex.Key{}, err
	}
	var k routex.Key
	if err := json.Unmarshal(data, &k); err != nil {
		return routex.Key{}, fmt.Errorf("postgres: key %q: reading stored value: %w", id, err)
	}
	return k, nil
}

// PutKey creates or replaces the key with k.ID.
func (s *Store) PutKey(ctx context.Context, k routex.Key) error {
	data, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("postgres: key %q: %w", k.ID, err)
	}
	what := "writing key " + quote(k.ID)
	return s.change(ctx, what, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO keys (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data", k.ID, string(data))
		return s.failed(what, err)
	})
}

// DeleteKey removes the key with the given id, or returns an error wrapping
// routex.ErrNotFound.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	return s.change(ctx, "deleting key "+quote(id), func(tx pgx.Tx) error {
		return s.deleteRow(ctx, tx, "DELETE FROM keys WHERE id = $1", id, "key")
	})
}

// settingPrefix keeps the embedding program's settings apart from the
// Store's own entries (the strategy) in the settings table.
const settingPrefix = "setting:"

// Setting returns the value stored under name, "" if none is.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	return s.settingValue(ctx, settingPrefix+name)
}

// PutSetting stores value under name; an empty value removes it.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	return s.putSettingValue(ctx, settingPrefix+name, value)
}

func (s *Store) settingValue(ctx context.Context, name string) (string, error) {
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM settings WHERE name = $1", name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.fail("reading setting "+quote(name), err)
	}
	return v, nil
}

func (s *Store) putSettingValue(ctx context.Context, name, value string) error {
	what := "writing setting " + quote(name)
	return s.change(ctx, what, func(tx pgx.Tx) error {
		var err error
		if value == "" {
			_, err = tx.Exec(ctx, "DELETE FROM settings WHERE name = $1", name)
		} else {
			_, err = tx.Exec(ctx, "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value)
		}
		return s.failed(what, err)
	})
}
