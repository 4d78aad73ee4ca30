package routex_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/memory"
)

// tokenServer is an OAuth token endpoint: each refresh issues the next
// access token, unless told to fail.
type tokenServer struct {
	*httptest.Server
	refreshes atomic.Int32
	failing   atomic.Bool
	mu        sync.Mutex
	current   map[string]string // refresh token → the access token it last gave
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{current: map[string]string{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "refresh_token" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if ts.failing.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"temporarily_unavailable"}`))
			return
		}
		n := ts.refreshes.Add(1)
		rt := r.Form.Get("refresh_token")
		access := fmt.Sprintf("%s-access-SECRET-%d", strings.TrimSuffix(rt, "-refresh-SECRET"), n)
		ts.mu.Lock()
		ts.current[rt] = access
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": rt})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// valid reports whether an Authorization header carries the newest token
// of its account (or the account's first token, before any refresh).
func (ts *tokenServer) valid(account, auth string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	cur, ok := ts.current[account+"-refresh-SECRET"]
	if !ok {
		cur = account + "-access-SECRET-0"
	}
	return auth == "Bearer "+cur
}

type oauthPool struct {
	client  *routex.Client
	manager *oauth.Manager
	tokens  *tokenServer
	ups     map[string]*mockupstream.Server
	logs    *bytes.Buffer
	records *records
	clock   interface{ Advance(time.Duration) }
}

// newOAuthPool puts accounts signed in with OAuth behind a Client; their
// tokens expire in expiresIn.
func newOAuthPool(t *testing.T, expiresIn time.Duration, accounts ...string) *oauthPool {
	clock := newFakeClock()
	p := &oauthPool{tokens: newTokenServer(t), ups: map[string]*mockupstream.Server{}, logs: &bytes.Buffer{}, records: newRecords(), clock: clock}
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	for _, id := range accounts {
		up := mock(t, id)
		p.ups[id] = up
		// The mock provider accepts only an account's newest token.
		up.Behave(func(_ int, r *mockupstream.Request) mockupstream.Behavior {
			if !p.tokens.valid(id, r.Header.Get("Authorization")) || r.Header.Get("Anthropic-Beta") != oauth.AnthropicBeta {
				return mockupstream.Behavior{Status: 401}
			}
			return mockupstream.Behavior{}
		})
		require.NoError(t, st.PutChannel(t.Context(), routex.Channel{ID: id, Type: routex.FormatAnthropic, BaseURL: up.URL, OAuth: true}))
		require.NoError(t, st.PutToken(t.Context(), oauth.Token{ChannelID: id, AccessToken: id + "-access-SECRET-0",
			RefreshToken: id + "-refresh-SECRET", Expiry: clock.Now().Add(expiresIn)}))
	}
	provider := oauth.Generic("test", oauth2.Config{ClientID: "routex-test", Endpoint: oauth2.Endpoint{TokenURL: p.tokens.URL + "/token"}})
	provider.Header = http.Header{"Anthropic-Beta": {oauth.AnthropicBeta}}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: p.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	p.manager, err = oauth.NewManager(st, oauth.Fixed(provider), oauth.Settings{Now: clock.Now, Logger: logger, MaxFailures: 3,
		MinBackoff: time.Second, MaxBackoff: time.Second})
	require.NoError(t, err)
	p.client = newClient(t, routex.WithStore(st), routex.WithAuthorizer(p.manager), routex.WithClock(clock.Now),
		routex.WithStrategy("round_robin"), routex.WithLogger(logger), routex.WithRecorder(p.records))
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// noSecrets checks that no token reached the logs or the records.
func (p *oauthPool) noSecrets(t *testing.T, bodies ...string) {
	t.Helper()
	p.records.mu.Lock()
	recs, _ := json.Marshal(p.records.recs)
	p.records.mu.Unlock()
	for what, text := range map[string]string{"logs": p.logs.String(), "records": string(recs), "responses": strings.Join(bodies, "\n")} {
		assert.NotContains(t, text, "SECRET", "a token appears in the %s", what)
	}
}

func TestOAuthOneRefreshForManyRequests(t *testing.T) {
	p := newOAuthPool(t, time.Minute, "acct") // inside the refresh margin
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bodies []string
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := post(t, p.client, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, http.StatusOK, resp.StatusCode, body)
			mu.Lock()
			bodies = append(bodies, body)
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, p.tokens.refreshes.Load(), "50 requests on an expiring token refresh it once")
	assert.Equal(t, "Bearer acct-access-SECRET-1", p.ups["acct"].Last().Header.Get("Authorization"))
	assert.Empty(t, p.ups["acct"].Last().Header.Get("X-Api-Key"))
	p.noSecrets(t, bodies...)
}

func TestOAuthRevokedTokenFailsOverAndRefreshes(t *testing.T) {
	p := newOAuthPool(t, time.Hour, "a", "b")
	// a's token is revoked upstream: the provider now wants a newer one.
	p.tokens.mu.Lock()
	p.tokens.current["a-refresh-SECRET"] = "a-access-SECRET-revoked"
	p.tokens.mu.Unlock()

	var bodies []string
	for range 4 {
		resp, body := post(t, p.client, anthropicPath, anthropicBody("claude-x", "hi"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		bodies = append(bodies, body)
	}
	// The 401 made the Manager refresh a's token, and a serves again.
	assert.EqualValues(t, 1, p.tokens.refreshes.Load())
	assert.Equal(t, "Bearer a-access-SECRET-1", p.ups["a"].Last().Header.Get("Authorization"))
	assert.Equal(t, routex.ChannelStatus{}.Breaker, statusOf(p.client, "a").Breaker, "a refused token is not the channel's fault")
	p.noSecrets(t, bodies...)
}

func TestOAuthFailingRefreshTakesTheAccountOut(t *testing.T) {
	p := newOAuthPool(t, time.Minute, "a", "b")
	p.tokens.failing.Store(true)
	// Until the old tokens expire, they still work; then a and b need
	// refreshes that keep failing.
	p.clock.Advance(2 * time.Minute)
	var bodies []string
	for i := range 8 {
		resp, body := post(t, p.client, anthropicPath, anthropicBody("claude-x", "hi"))
		bodies = append(bodies, body)
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "request %d succeeded with expired tokens", i)
		p.clock.Advance(2 * time.Second) // past each back-off
	}
	for _, id := range []string{"a", "b"} {
		st := p.manager.Status(id)
		assert.Equal(t, oauth.StateFailed, st.State, "%s: %+v", id, st)
		assert.False(t, statusOf(p.client, id).Available, "%s is out of rotation", id)
	}
	resp, body := post(t, p.client, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	assert.LessOrEqual(t, p.tokens.refreshes.Load(), int32(0), "no refresh succeeded")
	p.noSecrets(t, append(bodies, body)...)

	// A new sign-in puts the account back.
	p.tokens.failing.Store(false)
	require.NoError(t, p.manager.Put(t.Context(), oauth.Token{ChannelID: "a", AccessToken: "a-access-SECRET-0", RefreshToken: "a-refresh-SECRET",
		Expiry: time.Now().Add(24 * time.Hour)}))
	resp, body = post(t, p.client, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "a", channelOf(resp))
}

var _ analytics.Recorder = (*records)(nil)
