package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
)

// authServer is a local OAuth authorization server: it trades the code
// "good-code" for a token, checking the PKCE verifier is there.
// Subscription sign-ins use it until the test ends.
func authServer(t *testing.T, access string) (*httptest.Server, *atomic.Int32) {
	var exchanges atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in["code"] != "good-code" || in["code_verifier"] == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		exchanges.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": access, "refresh_token": "refresh-" + secretMark,
			"token_type": "Bearer", "expires_in": 28800})
	}))
	t.Cleanup(srv.Close)
	// Subscription sign-ins go to it for the rest of the test.
	old := signInModes["subscription"]
	signInModes["subscription"] = func() oauth.Provider {
		p := oauth.AnthropicSubscription()
		p.AuthURL, p.TokenURL = srv.URL+"/authorize", srv.URL+"/token"
		return p
	}
	t.Cleanup(func() { signInModes["subscription"] = old })
	return srv, &exchanges
}

func TestAddAccount(t *testing.T) {
	access := "sk-ant-oat01-" + secretMark + "-access"
	_, exchanges := authServer(t, access)

	ts, c := setUp(t)
	acct := newMock(t, "account")
	_, key := makeKey(t, c, "k")
	// A channel without a key: the account signs it.
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "max", Name: "Claude Max", Type: routex.FormatAnthropic,
		BaseURL: acct.URL, Models: []string{"claude-opus-4-1"}}).want(t, http.StatusCreated)

	start := decodeAs[map[string]string](t, c.do(t, http.MethodPost, "/api/channels/max/signin", map[string]string{"mode": "subscription"}).want(t, http.StatusOK))
	u, err := url.Parse(start["url"])
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.NotEmpty(t, q.Get("code_challenge"))
	state := q.Get("state")
	require.NotEmpty(t, state)

	// A code pasted with another sign-in's state is refused before any
	// exchange.
	c.do(t, http.MethodPost, "/api/channels/max/signin/finish", map[string]string{"code": "good-code#not-the-state"}).
		wantError(t, http.StatusBadRequest, "sign_in_failed")
	assert.Zero(t, exchanges.Load())

	v := decodeAs[channelView](t, c.do(t, http.MethodPost, "/api/channels/max/signin/finish", map[string]string{"code": "good-code#" + state}).want(t, http.StatusOK))
	assert.True(t, v.OAuth)
	require.NotNil(t, v.Account)
	assert.Equal(t, oauth.StateOK, v.Account.State)
	assert.EqualValues(t, 1, exchanges.Load())
	// The flow is used up.
	c.do(t, http.MethodPost, "/api/channels/max/signin/finish", map[string]string{"code": "good-code#" + state}).
		wantError(t, http.StatusBadRequest, "sign_in_failed")

	// Requests for the account's model go out signed with its token.
	r := ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("claude-opus-4-1", false))
	r.want(t, http.StatusOK)
	last := acct.Last()
	assert.Equal(t, "Bearer "+access, last.Header.Get("Authorization"))
	assert.Contains(t, last.Header.Get("Anthropic-Beta"), oauth.AnthropicBeta)
	assert.Empty(t, last.Header.Get("X-Api-Key"))

	accounts := decodeAs[[]oauth.Status](t, c.do(t, http.MethodGet, "/api/accounts", nil).want(t, http.StatusOK))
	require.Len(t, accounts, 1)
	assert.Equal(t, "max", accounts[0].ChannelID)

	// Signing out takes the account out of rotation.
	c.do(t, http.MethodDelete, "/api/channels/max/signin", nil).want(t, http.StatusNoContent)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("claude-opus-4-1", false)).want(t, http.StatusServiceUnavailable)

	// Sign-in is for Anthropic channels, in a known mode.
	c.do(t, http.MethodPost, "/api/channels/main/signin", map[string]string{"mode": "sideways"}).wantError(t, http.StatusBadRequest, "bad_request")
	c.do(t, http.MethodPost, "/api/channels/nope/signin", map[string]string{}).wantError(t, http.StatusNotFound, "not_found")
}

func TestSignInCommand(t *testing.T) {
	access := "sk-ant-oat01-" + secretMark + "-terminal"
	auth, _ := authServer(t, access)

	data := t.TempDir()
	var out strings.Builder
	err := signInCommand([]string{"-channel", "max", "-data", data}, func(string) string { return "" },
		strings.NewReader("\n  good-code  \n"), &out, silent)
	require.NoError(t, err)
	assert.Contains(t, out.String(), auth.URL+"/authorize?")
	assert.NotContains(t, out.String(), secretMark)

	// The server started on that directory serves the account.
	cfg := testConfig(t)
	cfg.Data = data
	ts := newTestServer(t, cfg)
	chs, err := ts.srv.store.RevealChannels(t.Context())
	require.NoError(t, err)
	require.Len(t, chs, 1)
	assert.True(t, chs[0].OAuth)
	tok, err := ts.srv.store.RevealToken(t.Context(), "max")
	require.NoError(t, err)
	assert.Equal(t, access, tok.AccessToken)

	require.Error(t, signInCommand([]string{"-data", data}, func(string) string { return "" }, strings.NewReader(""), &out, silent))
	require.Error(t, signInCommand([]string{"-channel", "x", "-mode", "odd", "-data", data}, func(string) string { return "" }, strings.NewReader(""), &out, silent))
}

func TestAccountNeverSignedInShowsMissing(t *testing.T) {
	_, c := setUp(t)
	acct := newMock(t, "account")
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "max", Type: routex.FormatAnthropic, BaseURL: acct.URL, OAuth: true}).
		want(t, http.StatusCreated)
	v := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/max", nil).want(t, http.StatusOK))
	require.NotNil(t, v.Account)
	assert.Equal(t, oauth.StateMissing, v.Account.State)
	require.NotNil(t, v.Status)
	assert.False(t, v.Status.Available, "an account without a token takes no traffic")
}
