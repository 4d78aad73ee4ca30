package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
)

func tokenA() oauth.Token {
	return oauth.Token{
		ChannelID:    "a",
		AccessToken:  "sk-ant-oat01-access-secret-0001",
		RefreshToken: "sk-ant-ort01-refresh-secret-0001",
		TokenType:    "Bearer",
		Expiry:       t0.Add(8 * time.Hour),
		Scope:        "user:inference user:profile",
		UpdatedAt:    t0,
	}
}

func tokenB() oauth.Token {
	// Only what a provider must send: no refresh token, no expiry.
	return oauth.Token{ChannelID: "b", AccessToken: "access-secret-0002-long-enough"}
}

// tokenStore returns s's oauth.TokenStore, or skips the test when it has
// none.
func tokenStore(t *testing.T, s routex.Store) oauth.TokenStore {
	t.Helper()
	ts, ok := s.(oauth.TokenStore)
	if !ok {
		t.Skip("the Store does not implement oauth.TokenStore")
	}
	return ts
}

// mustNoToken checks that err wraps oauth.ErrNoToken.
func mustNoToken(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, oauth.ErrNoToken) {
		t.Errorf("%s: err = %v, want one wrapping oauth.ErrNoToken", what, err)
	}
}

func tokens(t *testing.T, s oauth.TokenStore) []oauth.Token {
	t.Helper()
	ts, err := s.Tokens(t.Context())
	must(t, err)
	return ts
}

func revealToken(t *testing.T, s oauth.TokenStore, channelID string) oauth.Token {
	t.Helper()
	tok, err := s.RevealToken(t.Context(), channelID)
	must(t, err)
	return tok
}

// sameToken compares tokens with their times at the millisecond, the
// precision the suite allows.
func sameToken(t *testing.T, what string, got, want oauth.Token) {
	t.Helper()
	if !got.Expiry.Equal(want.Expiry.Truncate(time.Millisecond)) || !got.UpdatedAt.Equal(want.UpdatedAt.Truncate(time.Millisecond)) {
		t.Errorf("%s: times %v, %v; want %v, %v", what, got.Expiry, got.UpdatedAt, want.Expiry, want.UpdatedAt)
	}
	got.Expiry, got.UpdatedAt, want.Expiry, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	equal(t, what, got, want)
}

func testTokens(t *testing.T, st routex.Store) {
	ctx := t.Context()
	s := tokenStore(t, st)
	if ts := tokens(t, s); len(ts) != 0 {
		t.Fatalf("new store has tokens: %+v", ts)
	}
	_, err := s.RevealToken(ctx, "a")
	mustNoToken(t, "RevealToken of a channel without one", err)

	must(t, st.PutChannel(ctx, channelA()))
	must(t, st.PutChannel(ctx, channelB()))
	must(t, s.PutToken(ctx, tokenB()))
	must(t, s.PutToken(ctx, tokenA()))
	sameToken(t, "RevealToken a", revealToken(t, s, "a"), tokenA())
	sameToken(t, "RevealToken b", revealToken(t, s, "b"), tokenB())

	// The listing is ordered by channel and shows no secret.
	ts := tokens(t, s)
	if len(ts) != 2 || ts[0].ChannelID != "a" || ts[1].ChannelID != "b" {
		t.Fatalf("Tokens = %+v, want a then b", ts)
	}
	sameToken(t, "Tokens[0]", ts[0], tokenA().Redacted())
	sameToken(t, "Tokens[1]", ts[1], tokenB().Redacted())
	for _, tok := range ts {
		if strings.Contains(tok.AccessToken, "secret") || strings.Contains(tok.RefreshToken, "secret") {
			t.Errorf("Tokens shows a secret: %+v", tok)
		}
	}

	// A refresh replaces the token.
	refreshed := tokenA()
	refreshed.AccessToken = "sk-ant-oat01-access-secret-0003"
	refreshed.Expiry = t0.Add(16 * time.Hour)
	refreshed.UpdatedAt = t0.Add(8 * time.Hour)
	must(t, s.PutToken(ctx, refreshed))
	sameToken(t, "RevealToken after refresh", revealToken(t, s, "a"), refreshed)

	must(t, s.DeleteToken(ctx, "b"))
	mustNoToken(t, "DeleteToken of a deleted token", s.DeleteToken(ctx, "b"))
	_, err = s.RevealToken(ctx, "b")
	mustNoToken(t, "RevealToken of a deleted token", err)

	// A channel takes its token with it.
	must(t, st.DeleteChannel(ctx, "a"))
	_, err = s.RevealToken(ctx, "a")
	mustNoToken(t, "RevealToken after DeleteChannel", err)
	if ts := tokens(t, s); len(ts) != 0 {
		t.Errorf("Tokens after deleting every channel = %+v", ts)
	}
}

func keyA() routex.Key {
	return routex.Key{
		ID:        "key-a",
		Name:      "CI runners",
		Hash:      routex.HashKey("rx-test-key-a"),
		Hint:      "rx-…ey-a",
		Models:    []string{"claude-sonnet-4-5", "gpt-5"},
		CreatedAt: t0,
	}
}

// keyStore returns s's routex.KeyStore, or skips the test when it has none.
func keyStore(t *testing.T, s routex.Store) routex.KeyStore {
	t.Helper()
	ks, ok := s.(routex.KeyStore)
	if !ok {
		t.Skip("the Store does not implement routex.KeyStore")
	}
	return ks
}

// settingStore returns s's routex.SettingStore, or skips the test when it
// has none.
func settingStore(t *testing.T, s routex.Store) routex.SettingStore {
	t.Helper()
	ss, ok := s.(routex.SettingStore)
	if !ok {
		t.Skip("the Store does not implement routex.SettingStore")
	}
	return ss
}

func keys(t *testing.T, s routex.KeyStore) []routex.Key {
	t.Helper()
	ks, err := s.Keys(t.Context())
	must(t, err)
	for i := range ks {
		if !ks[i].CreatedAt.IsZero() {
			ks[i].CreatedAt = ks[i].CreatedAt.UTC()
		}
	}
	return ks
}

func testKeys(t *testing.T, st routex.Store) {
	ctx := t.Context()
	s := keyStore(t, st)
	if ks := keys(t, s); len(ks) != 0 {
		t.Fatalf("new store has keys: %+v", ks)
	}
	bare := routex.Key{ID: "key-0", Hash: routex.HashKey("rx-test-key-0")}
	must(t, s.PutKey(ctx, keyA()))
	must(t, s.PutKey(ctx, bare))
	equal(t, "Keys after put", keys(t, s), []routex.Key{bare, keyA()})

	in := keyA()
	in.Models[0] = "changed" // the store keeps its own copy
	got := keys(t, s)
	got[1].Models[1] = "changed"
	equal(t, "Keys after changing values", keys(t, s), []routex.Key{bare, keyA()})

	disabled := keyA()
	disabled.Disabled = true
	disabled.Models = nil
	must(t, s.PutKey(ctx, disabled))
	equal(t, "Keys after replace", keys(t, s), []routex.Key{bare, disabled})

	one, err := s.Key(ctx, disabled.ID)
	must(t, err)
	one.CreatedAt = one.CreatedAt.UTC()
	equal(t, "Key", one, disabled)
	one.Name = "changed" // the store keeps its own copy
	equal(t, "Keys after changing Key's", keys(t, s), []routex.Key{bare, disabled})

	must(t, s.DeleteKey(ctx, "key-0"))
	mustNotFound(t, "DeleteKey of a deleted key", s.DeleteKey(ctx, "key-0"))
	_, err = s.Key(ctx, "key-0")
	mustNotFound(t, "Key of a deleted key", err)
	equal(t, "Keys after delete", keys(t, s), []routex.Key{disabled})
}

func testSettings(t *testing.T, st routex.Store) {
	ctx := t.Context()
	s := settingStore(t, st)
	get := func(name string) string {
		t.Helper()
		v, err := s.Setting(ctx, name)
		must(t, err)
		return v
	}
	if v := get("admin.user"); v != "" {
		t.Errorf("Setting of a new store = %q, want \"\"", v)
	}
	must(t, s.PutSetting(ctx, "admin.user", "root"))
	must(t, s.PutSetting(ctx, "admin.hash", "$2a$10$abc"))
	must(t, s.PutSetting(ctx, "admin.user", "admin"))
	if v := get("admin.user"); v != "admin" {
		t.Errorf("Setting after replace = %q, want admin", v)
	}
	if v := get("admin.hash"); v != "$2a$10$abc" {
		t.Errorf("Setting = %q", v)
	}
	// Settings and the strategy do not collide.
	must(t, st.SetStrategy(ctx, "weighted"))
	must(t, s.PutSetting(ctx, "strategy", "priority"))
	if name, err := st.Strategy(ctx); err != nil || name != "weighted" {
		t.Errorf("Strategy after PutSetting(strategy) = %q, %v; want weighted", name, err)
	}
	must(t, s.PutSetting(ctx, "admin.user", ""))
	if v := get("admin.user"); v != "" {
		t.Errorf("Setting after removing = %q", v)
	}
}
