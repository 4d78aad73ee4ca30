package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/sqlite"
)

// rawFile returns the bytes of the database and its WAL, where a recent
// write may still be.
func rawFile(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestSecretsEncryptedAtRest(t *testing.T) {
	ctx := t.Context()
	c := fullChannel()
	tok := oauth.Token{ChannelID: c.ID, AccessToken: "oauth-access-0123456789", RefreshToken: "oauth-refresh-0123456789"}
	secrets := []string{c.APIKey, c.Headers["X-Goog-Api-Key"], tok.AccessToken, tok.RefreshToken}

	t.Run("encrypted", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "routex.db")
		s := open(t, path, sqlite.WithEncryptionKey(testKey(t)))
		must(t, s.PutChannel(ctx, c))
		must(t, s.PutToken(ctx, tok))
		// Replacing the channel must not leave the old value readable
		// either, in the WAL or a freed page.
		must(t, s.PutChannel(ctx, c))
		must(t, s.PutToken(ctx, tok))
		if got, err := s.RevealToken(ctx, c.ID); err != nil || got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken {
			t.Errorf("RevealToken = %+v, %v; want the secrets back", got, err)
		}
		raw := rawFile(t, path)
		must(t, s.Close())
		raw = append(raw, rawFile(t, path)...)
		for _, secret := range secrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("the database file holds %q in clear", secret)
			}
		}
		if !bytes.Contains(raw, []byte(c.BaseURL)) {
			t.Error("the channel's base URL is not in the file: is the test looking at the right file?")
		}
	})

	t.Run("plaintext, the control", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "routex.db")
		s := open(t, path, sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
		must(t, s.PutChannel(ctx, c))
		must(t, s.PutToken(ctx, tok))
		must(t, s.Close())
		if raw := rawFile(t, path); !bytes.Contains(raw, []byte(c.APIKey)) || !bytes.Contains(raw, []byte(tok.AccessToken)) {
			t.Error("a plaintext database does not hold the key in clear: the encrypted test proves nothing")
		}
	})
}

func TestWrongKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	s := open(t, path, sqlite.WithEncryptionKey(testKey(t)))
	c := fullChannel()
	must(t, s.PutChannel(ctx, c))
	must(t, s.Close())

	for _, tt := range []struct {
		name string
		opt  sqlite.Option
		want string
		is   error
	}{
		{"another key", sqlite.WithEncryptionKey(testKey(t)), `channel "c"`, sqlite.ErrDecrypt},
		{"no key", sqlite.WithPlaintextSecrets(), "no encryption key", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, path, tt.opt, sqlite.WithLogger(slog.New(slog.DiscardHandler)))
			defer s.Close()
			_, err := s.Channels(ctx)
			if err == nil {
				t.Fatal("Channels succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `channel "c"`) {
				t.Errorf("error %q does not name the channel or say %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			for _, secret := range []string{c.APIKey, c.Headers["X-Goog-Api-Key"]} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds a secret", err)
				}
			}
			// Rules and records do not depend on the key.
			if _, err := s.Rules(ctx); err != nil {
				t.Errorf("Rules: %v", err)
			}
		})
	}
}

// A database written without a key can be opened with one: existing
// secrets are read as they are and encrypted when next written.
func TestPlaintextToEncrypted(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	s := open(t, path, sqlite.WithPlaintextSecrets(), sqlite.WithLogger(slog.New(slog.DiscardHandler)))
	c := fullChannel()
	must(t, s.PutChannel(ctx, c))
	must(t, s.Close())

	s = open(t, path, sqlite.WithEncryptionKey(testKey(t)))
	defer s.Close()
	cs, err := s.RevealChannels(ctx)
	must(t, err)
	if len(cs) != 1 || !reflect.DeepEqual(cs[0], c) {
		t.Fatalf("Channels = %+v, want %+v", cs, c)
	}
	must(t, s.PutChannel(ctx, cs[0]))
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	var data string
	must(t, db.QueryRowContext(ctx, "SELECT data FROM channels WHERE id = 'c'").Scan(&data))
	if strings.Contains(data, c.APIKey) || !strings.Contains(data, "enc:v1:") {
		t.Errorf("after rewriting, the stored channel is %s", data)
	}
}

// A sealed value moved to another channel does not decrypt there.
func TestSecretBoundToChannel(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "routex.db")
	s := open(t, path, sqlite.WithEncryptionKey(testKey(t)))
	defer s.Close()
	a, b := fullChannel(), fullChannel()
	b.ID = "d"
	must(t, s.PutChannel(ctx, a))
	must(t, s.PutChannel(ctx, b))

	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "UPDATE channels SET data = (SELECT data FROM channels WHERE id = 'c') WHERE id = 'd'")
	must(t, err)
	_, err = s.Channels(ctx)
	if !errors.Is(err, sqlite.ErrDecrypt) || !strings.Contains(err.Error(), `channel "d"`) {
		t.Errorf("Channels after moving a sealed value = %v, want ErrDecrypt naming channel d", err)
	}
}

// makeForeign creates a SQLite database that some other program owns.
func makeForeign(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	_, err = db.ExecContext(t.Context(), "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('x')")
	must(t, err)
}

var _ routex.Store = (*sqlite.Store)(nil)
