package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/storage/sqlite"
	"github.com/routex/routex/transformer"
)

func TestSetup(t *testing.T) {
	t.Parallel()
	up := newMock(t, "wizard")
	bad := newMock(t, "refusing")
	bad.Always(mockupstream.Behavior{Status: http.StatusUnauthorized})
	ts := newTestServer(t, testConfig(t))
	c := ts.client()
	session := func(t *testing.T, c *apiClient) map[string]any {
		return decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
	}

	r := c.do(t, http.MethodGet, "/health", nil).want(t, http.StatusOK)
	assert.JSONEq(t, `{"status":"ok","setupNeeded":true}`, string(r.body))
	assert.Equal(t, map[string]any{"setupNeeded": true, "authenticated": false}, session(t, c))
	c.do(t, http.MethodGet, "/api/channels", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).wantError(t, http.StatusUnauthorized, "unauthorized")

	ch := routex.Channel{Name: "Anthropic (primary)", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: channelKey, Models: []string{sonnet}}

	t.Run("needs the setup token", func(t *testing.T) {
		body := map[string]any{"channel": ch, "admin": credentials{adminName, adminPassword}}
		wrong := ts.srv.setupToken[:len(ts.srv.setupToken)-1] + "x"
		for _, cl := range []*apiClient{c, c.withSetupToken(wrong), c.with("", adminToken)} {
			cl.do(t, http.MethodPost, "/api/setup/token", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
			msg := cl.do(t, http.MethodPost, "/api/setup/test-channel", ch).wantError(t, http.StatusUnauthorized, "unauthorized")
			assert.Contains(t, msg, setupTokenHeader)
			cl.do(t, http.MethodPost, "/api/setup", body).wantError(t, http.StatusUnauthorized, "unauthorized")
		}
		assert.Zero(t, up.Calls(), "nothing was tested without the token")
		assert.Equal(t, true, session(t, c)["setupNeeded"])
		c.withSetupToken(ts.srv.setupToken).do(t, http.MethodPost, "/api/setup/token", nil).want(t, http.StatusNoContent)
	})
	c.setup = ts.srv.setupToken

	t.Run("test channel", func(t *testing.T) {
		res := decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/setup/test-channel", ch).want(t, http.StatusOK))
		assert.Equal(t, testResult{ChannelID: "new", OK: true, Status: http.StatusOK, LatencyMs: res.LatencyMs, Model: sonnet}, res)
		last := up.Last()
		assert.Equal(t, "/v1/messages", last.Path)
		assert.Equal(t, channelKey, last.Header.Get("X-Api-Key"))
		assert.Contains(t, string(last.Body), `"max_tokens":1`)

		c.do(t, http.MethodPost, "/api/setup/test-channel", `{"type":`).wantError(t, http.StatusBadRequest, "bad_request")
	})

	t.Run("test channel errors say what to fix, not what came back", func(t *testing.T) {
		failing := newMock(t, "failing")
		failing.Always(mockupstream.Behavior{Status: http.StatusInternalServerError})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "http://" + ln.Addr().String()
		ln.Close()
		tests := []struct {
			name, baseURL string
			status        int
			want          string
		}{
			{"refused key", bad.URL, http.StatusUnauthorized, "HTTP 401: the provider refused the API key"},
			{"provider failing", failing.URL, http.StatusInternalServerError, "HTTP 500: the provider failed"},
			{"nothing listening", closed, 0, "no answer from the provider: check the base URL"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				probe := ch
				probe.BaseURL = tt.baseURL
				res := decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/setup/test-channel", probe).want(t, http.StatusOK))
				assert.Equal(t, testResult{ChannelID: "new", Status: tt.status, Model: sonnet, Error: tt.want}, res)
			})
		}
		// The upstream's own words stay out, whatever it sends.
		assert.NotContains(t, string(c.do(t, http.MethodPost, "/api/setup/test-channel", withURL(ch, bad.URL)).body), "mock")
		// A channel that names no model is tested with one all the same,
		// and the answer says which.
		noModel := ch
		noModel.Models = nil
		res := decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/setup/test-channel", noModel).want(t, http.StatusOK))
		assert.NotEmpty(t, res.Model)
		assert.Contains(t, res.Notice, "tested with "+res.Model)
	})

	t.Run("refused", func(t *testing.T) {
		admin := credentials{adminName, adminPassword}
		noType := ch
		noType.Type = "palm"
		noURL := ch
		noURL.BaseURL = "ftp://example.com"
		tests := []struct {
			name       string
			body       any
			code, text string
		}{
			{"channel type", map[string]any{"channel": noType, "admin": admin}, "invalid_channel", "type"},
			{"channel url", map[string]any{"channel": noURL, "admin": admin}, "invalid_channel", "baseUrl"},
			{"strategy", map[string]any{"channel": ch, "strategy": "fastest", "admin": admin}, "invalid_strategy", "fastest"},
			{"short password", map[string]any{"channel": ch, "admin": credentials{adminName, "short"}}, "bad_request", "at least 8"},
			{"no name", map[string]any{"channel": ch, "admin": credentials{" ", adminPassword}}, "bad_request", "name"},
			{"unknown field", map[string]any{"channel": ch, "admin": admin, "extra": 1}, "bad_request", "extra"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg := c.do(t, http.MethodPost, "/api/setup", tt.body).wantError(t, http.StatusBadRequest, tt.code)
				assert.Contains(t, msg, tt.text)
			})
		}
		// Nothing was written: setup can still be done.
		chs, err := ts.srv.store.Channels(t.Context())
		require.NoError(t, err)
		assert.Empty(t, chs)
		assert.Equal(t, true, session(t, c)["setupNeeded"])
	})

	t.Run("done", func(t *testing.T) {
		r := c.do(t, http.MethodPost, "/api/setup", map[string]any{"channel": ch, "strategy": "round_robin",
			"admin": credentials{adminName, adminPassword}}).want(t, http.StatusOK)
		done := decodeAs[map[string]string](t, r)
		assert.Equal(t, adminName, done["username"])
		cookies := (&http.Response{Header: r.header}).Cookies()
		require.Len(t, cookies, 1)
		ck := cookies[0]
		assert.Equal(t, sessionCookie, ck.Name)
		assert.True(t, ck.HttpOnly)
		assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
		assert.Equal(t, "/", ck.Path)
		assert.False(t, ck.Secure, "plain HTTP")

		// The wizard's client is logged in by the setup.
		s := session(t, c)
		assert.Equal(t, false, s["setupNeeded"])
		assert.Equal(t, true, s["authenticated"])
		assert.Equal(t, adminName, s["username"])
		assert.Equal(t, done["csrfToken"], s["csrfToken"])
		c.csrf = done["csrfToken"]

		got := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/anthropic-primary", nil).want(t, http.StatusOK))
		assert.Equal(t, "Anthropic (primary)", got.Name, "the id is made from the name")
		st := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
		assert.Equal(t, "round_robin", st["strategy"])
		settings := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/settings", nil).want(t, http.StatusOK))
		assert.Equal(t, adminName, settings["username"])
		r = c.do(t, http.MethodGet, "/health", nil).want(t, http.StatusOK)
		assert.JSONEq(t, `{"status":"ok","setupNeeded":false}`, string(r.body))
	})

	t.Run("only once", func(t *testing.T) {
		body := map[string]any{"channel": ch, "admin": credentials{"intruder", "intruder-password"}}
		for _, cl := range []*apiClient{ts.client(), c, c.with("", adminToken)} {
			cl.do(t, http.MethodPost, "/api/setup", body).wantError(t, http.StatusForbidden, "forbidden")
			cl.do(t, http.MethodPost, "/api/setup/test-channel", ch).wantError(t, http.StatusForbidden, "forbidden")
		}
		ts.client().do(t, http.MethodPost, "/api/login", credentials{"intruder", "intruder-password"}).
			wantError(t, http.StatusUnauthorized, "unauthorized")
	})
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	ts, admin := setUp(t)
	anon := ts.client()

	wrongPassword := anon.do(t, http.MethodPost, "/api/login", credentials{adminName, "not-the-password"})
	unknownUser := anon.do(t, http.MethodPost, "/api/login", credentials{"root", adminPassword})
	wrongPassword.wantError(t, http.StatusUnauthorized, "unauthorized")
	unknownUser.wantError(t, http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, string(wrongPassword.body), string(unknownUser.body), "the answers must not tell which was wrong")
	assert.Empty(t, wrongPassword.header.Values("Set-Cookie"))
	anon.do(t, http.MethodPost, "/api/login", `{"username":`).wantError(t, http.StatusBadRequest, "bad_request")

	second := ts.client()
	r := second.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	login := decodeAs[map[string]string](t, r)
	assert.Equal(t, adminName, login["username"])
	second.csrf = login["csrfToken"]
	assert.NotEqual(t, admin.csrf, second.csrf, "each session has its own CSRF token")
	second.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	second.with(admin.csrf, "").do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "priority"}).
		wantError(t, http.StatusForbidden, "forbidden")

	u := mustURL(t, ts.url)
	cookies := second.hc.Jar.Cookies(u)
	require.Len(t, cookies, 1)
	r = second.do(t, http.MethodPost, "/api/logout", nil).want(t, http.StatusNoContent)
	cleared := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cleared, 1)
	assert.Equal(t, sessionCookie, cleared[0].Name)
	assert.Negative(t, cleared[0].MaxAge)
	second.do(t, http.MethodGet, "/api/channels", nil).wantError(t, http.StatusUnauthorized, "unauthorized")

	// The session is over on the server too, not only in the browser.
	replay := ts.client()
	replay.hc.Jar.SetCookies(u, cookies)
	replay.do(t, http.MethodGet, "/api/channels", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	s := decodeAs[map[string]any](t, replay.do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
	assert.Equal(t, false, s["authenticated"])

	// Other sessions live on.
	admin.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	ts, admin := setUp(t)
	other := ts.client()
	other.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	const newPassword = "pw-SECRET-new-password"

	msg := admin.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": "wrong-password", "new": newPassword}).
		wantError(t, http.StatusUnauthorized, "unauthorized")
	assert.Contains(t, msg, "current password")
	admin.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": "short"}).
		wantError(t, http.StatusBadRequest, "bad_request")
	admin.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	ts.srv.auth.mu.Lock()
	sessions := len(ts.srv.auth.sessions)
	ts.srv.auth.mu.Unlock()
	assert.Equal(t, 2, sessions, "checking the password opens no session")

	admin.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": newPassword}).
		want(t, http.StatusNoContent)
	admin.do(t, http.MethodGet, "/api/channels", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	other.do(t, http.MethodGet, "/api/channels", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	ts.client().with("", adminToken).do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)

	ts.client().do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).
		wantError(t, http.StatusUnauthorized, "unauthorized")
	ts.client().do(t, http.MethodPost, "/api/login", credentials{adminName, newPassword}).want(t, http.StatusOK)
}

// adminRoutes is every endpoint behind administrator authentication, with
// a request that reaches its handler, and the status the handler answers.
var adminRoutes = []struct {
	method, path string
	body         any
	status       int
}{
	{"GET", "/api/channels", nil, 200},
	{"POST", "/api/channels", `{}`, 400},
	{"GET", "/api/channels/export", nil, 200},
	{"POST", "/api/channels/import", `{"channels":[]}`, 200},
	{"POST", "/api/channels/test", nil, 200},
	{"GET", "/api/channels/nope", nil, 404},
	{"PUT", "/api/channels/nope", `{}`, 404},
	{"DELETE", "/api/channels/nope", nil, 404},
	{"POST", "/api/channels/nope/test", nil, 404},
	{"POST", "/api/channels/nope/reset", nil, 404},
	{"GET", "/api/rules", nil, 200},
	{"POST", "/api/rules", `{}`, 400},
	{"POST", "/api/rules/test", `{}`, 200},
	{"GET", "/api/rules/nope", nil, 404},
	{"PUT", "/api/rules/nope", `{}`, 404},
	{"DELETE", "/api/rules/nope", nil, 404},
	{"POST", "/api/rules/nope/enable", nil, 404},
	{"POST", "/api/rules/nope/disable", nil, 404},
	{"GET", "/api/transformers", nil, 200},
	{"POST", "/api/transformers/test", `{}`, 400},
	{"GET", "/api/strategy", nil, 200},
	{"PUT", "/api/strategy", `{}`, 400},
	{"GET", "/api/sessions", nil, 200},
	{"DELETE", "/api/sessions/nope", nil, 404},
	{"GET", "/api/status", nil, 200},
	{"GET", "/api/analytics", nil, 200},
	{"GET", "/api/overview", nil, 200},
	{"GET", "/api/requests", nil, 200},
	{"GET", "/api/events", nil, 200},
	{"GET", "/api/keys", nil, 200},
	{"POST", "/api/keys", `{"name":"auth test"}`, 201},
	{"PUT", "/api/keys/nope", `{}`, 404},
	{"DELETE", "/api/keys/nope", nil, 404},
	{"GET", "/api/settings", nil, 200},
	{"PUT", "/api/settings/password", `{"current":"wrong","new":"whatever-password"}`, 401}, // the handler's 401
	{"GET", "/metrics", nil, 200},
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	ts, admin := setUp(t)
	// An event stream is read only as far as the status: it never ends.
	call := func(t *testing.T, c *apiClient, method, path string, body any) reply {
		t.Helper()
		if path != "/api/events" {
			return c.do(t, method, path, body)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		resp, err := c.hc.Do(c.request(t, method, path, body).WithContext(ctx))
		require.NoError(t, err)
		defer resp.Body.Close()
		r := reply{status: resp.StatusCode, header: resp.Header}
		if resp.StatusCode != http.StatusOK {
			r.body, err = io.ReadAll(resp.Body)
			require.NoError(t, err)
		}
		return r
	}

	for _, rt := range adminRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			call(t, ts.client(), rt.method, rt.path, rt.body).wantError(t, http.StatusUnauthorized, "unauthorized")
			call(t, ts.client().with("", "wrong-token"), rt.method, rt.path, rt.body).wantError(t, http.StatusUnauthorized, "unauthorized")
			call(t, ts.client().with(admin.csrf, ""), rt.method, rt.path, rt.body).wantError(t, http.StatusUnauthorized, "unauthorized")
			if rt.method != http.MethodGet {
				call(t, admin.with("", ""), rt.method, rt.path, rt.body).wantError(t, http.StatusForbidden, "forbidden")
				call(t, admin.with("wrong-csrf", ""), rt.method, rt.path, rt.body).wantError(t, http.StatusForbidden, "forbidden")
				// A wrong token falls back to the cookie, and to its CSRF check.
				call(t, admin.with("wrong-csrf", "wrong-token"), rt.method, rt.path, rt.body).wantError(t, http.StatusForbidden, "forbidden")
			}
			r := call(t, admin, rt.method, rt.path, rt.body).want(t, rt.status)
			tok := call(t, ts.client().with("", adminToken), rt.method, rt.path, rt.body).want(t, rt.status)
			if rt.status == http.StatusUnauthorized {
				assert.Equal(t, string(r.body), string(tok.body))
				assert.NotContains(t, string(tok.body), "admin token")
			}
		})
	}

	t.Run("session is open", func(t *testing.T) {
		s := decodeAs[map[string]any](t, ts.client().do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
		assert.Equal(t, map[string]any{"setupNeeded": false, "authenticated": false}, s)
		s = decodeAs[map[string]any](t, ts.client().with("", adminToken).do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
		assert.Equal(t, true, s["authenticated"])
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)
	keyID, _ := makeKey(t, c, "bad input")
	c.do(t, http.MethodPost, "/api/rules", routex.Rule{ID: "r", Target: routex.Target{Channel: "main"}}).want(t, http.StatusCreated)

	endpoints := []struct{ method, path string }{
		{"POST", "/api/login"},
		{"POST", "/api/channels"},
		{"PUT", "/api/channels/main"},
		{"POST", "/api/channels/import"},
		{"POST", "/api/rules"},
		{"PUT", "/api/rules/r"},
		{"POST", "/api/rules/test"},
		{"POST", "/api/transformers/test"},
		{"PUT", "/api/strategy"},
		{"POST", "/api/keys"},
		{"PUT", "/api/keys/" + keyID},
		{"PUT", "/api/settings/password"},
	}
	huge := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	bodies := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"invalid JSON", `{"name":`, 400, "bad_request"},
		{"not an object", `["name"]`, 400, "bad_request"},
		{"unknown field", `{"bogus":1}`, 400, "bad_request"},
		{"trailing value", `{} {}`, 400, "bad_request"},
		{"trailing brace", `{}}`, 400, "bad_request"},
		{"trailing garbage", `{} x`, 400, "bad_request"},
		{"empty", ``, 400, "bad_request"},
		{"over 1 MiB", huge, 413, "too_large"},
	}
	for _, ep := range endpoints {
		for _, b := range bodies {
			t.Run(ep.method+" "+ep.path+"/"+b.name, func(t *testing.T) {
				c.do(t, ep.method, ep.path, b.body).wantError(t, b.status, b.code)
			})
		}
	}
	// Trailing white space is not data.
	c.do(t, http.MethodPut, "/api/strategy", "{\"strategy\":\"priority\"}\n\t ").want(t, http.StatusOK)

	t.Run("unknown ids", func(t *testing.T) {
		for _, rt := range adminRoutes {
			if rt.status == http.StatusNotFound {
				c.do(t, rt.method, rt.path, rt.body).wantError(t, http.StatusNotFound, "not_found")
			}
		}
	})
	t.Run("unknown endpoint", func(t *testing.T) {
		msg := c.do(t, http.MethodGet, "/api/nothing-here", nil).wantError(t, http.StatusNotFound, "not_found")
		assert.Contains(t, msg, "/api/nothing-here")
		c.do(t, http.MethodPatch, "/api/channels", `{}`).wantError(t, http.StatusNotFound, "not_found")
	})
}

func TestChannels(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	backupUp := newMock(t, "backup")
	_, key := makeKey(t, c, "channels")
	const backupKey = "sk-ant-SECRET-backup-channel-0123456789"
	hint := routex.RedactSecret(channelKey)
	require.Equal(t, "****6789", hint)
	// proxied sends a request through the proxy and returns what the
	// provider of channel main received.
	proxied := func(t *testing.T) mockupstream.Request {
		t.Helper()
		n := ts.up.Calls()
		ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
		require.Equal(t, n+1, ts.up.Calls())
		return ts.up.Last()
	}

	t.Run("list and get", func(t *testing.T) {
		list := decodeAs[[]channelView](t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
		require.Len(t, list, 1)
		got := list[0]
		assert.Equal(t, "main", got.ID)
		assert.Equal(t, hint, got.APIKey)
		assert.Equal(t, hint, got.Headers["X-Custom-Key"])
		require.NotNil(t, got.Status)
		assert.Equal(t, "closed", got.Status.Breaker.String())
		assert.True(t, got.Status.Available)
		one := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/main", nil).want(t, http.StatusOK))
		assert.Equal(t, got, one)
	})

	t.Run("create", func(t *testing.T) {
		backup := routex.Channel{Name: "Backup", Type: routex.FormatAnthropic, BaseURL: backupUp.URL, APIKey: backupKey,
			Models: []string{"claude-*", "claude-opus-4-1"}, Priority: 5}
		got := decodeAs[channelView](t, c.do(t, http.MethodPost, "/api/channels", backup).want(t, http.StatusCreated))
		assert.Equal(t, "backup", got.ID)
		assert.Equal(t, routex.RedactSecret(backupKey), got.APIKey)
		again := decodeAs[channelView](t, c.do(t, http.MethodPost, "/api/channels", backup).want(t, http.StatusCreated))
		assert.Equal(t, "backup-2", again.ID)
		c.do(t, http.MethodDelete, "/api/channels/backup-2", nil).want(t, http.StatusNoContent)

		dup := mainChannel(ts.up)
		msg := c.do(t, http.MethodPost, "/api/channels", dup).wantError(t, http.StatusConflict, "conflict")
		assert.Contains(t, msg, `"main"`)
		list := decodeAs[[]channelView](t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
		assert.Equal(t, []string{"backup", "main"}, ids(list))
	})

	t.Run("invalid", func(t *testing.T) {
		valid := routex.Channel{ID: "x", Type: routex.FormatOpenAI, BaseURL: "https://api.example.com/v1"}
		tests := []struct {
			field string
			edit  func(*routex.Channel)
		}{
			{"type", func(c *routex.Channel) { c.Type = "" }},
			{"type", func(c *routex.Channel) { c.Type = "palm" }},
			{"baseUrl", func(c *routex.Channel) { c.BaseURL = "" }},
			{"baseUrl", func(c *routex.Channel) { c.BaseURL = "api.example.com" }},
			{"models", func(c *routex.Channel) { c.Models = []string{"gpt-["} }},
			{"weight", func(c *routex.Channel) { c.Weight = -1 }},
			{"timeout", func(c *routex.Channel) { c.Timeout = -time.Second }},
			{"transformers", func(c *routex.Channel) { c.Transformers = []transformer.Spec{{Name: "nope"}} }},
			{"transformers", func(c *routex.Channel) { c.Transformers = []transformer.Spec{{Name: "maxtoken"}} }},
		}
		for _, tt := range tests {
			ch := valid
			tt.edit(&ch)
			t.Run(tt.field, func(t *testing.T) {
				msg := c.do(t, http.MethodPost, "/api/channels", docChannel(ch)).wantError(t, http.StatusBadRequest, "invalid_channel")
				assert.Contains(t, msg, tt.field)
				msg = c.do(t, http.MethodPut, "/api/channels/main", docChannel(withID(ch, "main"))).wantError(t, http.StatusBadRequest, "invalid_channel")
				assert.Contains(t, msg, tt.field)
			})
		}
		t.Run("nanoseconds", func(t *testing.T) {
			msg := c.do(t, http.MethodPost, "/api/channels", map[string]any{"type": "openai", "baseUrl": "https://api.example.com/v1", "timeout": 5e9}).wantError(t, http.StatusBadRequest, "bad_request")
			assert.Contains(t, msg, "timeoutMs")
		})
		t.Run("milliseconds", func(t *testing.T) {
			in := map[string]any{"id": "slow", "type": "openai", "baseUrl": "https://api.example.com/v1", "timeoutMs": 2500, "streamIdleTimeoutMs": 40000,
				"limits": []map[string]any{{"perMs": 60000, "requests": 50}}}
			got := decodeAs[channelView](t, c.do(t, http.MethodPost, "/api/channels", in).want(t, http.StatusCreated))
			assert.Equal(t, [3]float64{2500, 40000, 60000}, [3]float64{got.TimeoutMs, got.StreamIdleTimeoutMs, got.Limits[0].PerMs})
			stored, err := ts.srv.store.Channels(context.Background())
			require.NoError(t, err)
			i := slices.IndexFunc(stored, func(c routex.Channel) bool { return c.ID == "slow" })
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, [3]time.Duration{2500 * time.Millisecond, 40 * time.Second, time.Minute}, [3]time.Duration{stored[i].Timeout, stored[i].StreamIdleTimeout, stored[i].Limits[0].Per})
			c.do(t, http.MethodDelete, "/api/channels/slow", nil).want(t, http.StatusNoContent)
		})
		c.do(t, http.MethodGet, "/api/channels/x", nil).wantError(t, http.StatusNotFound, "not_found")
		assert.Equal(t, channelKey, proxied(t).Header.Get("X-Api-Key"), "main is unchanged")
	})

	t.Run("put keeps hidden secrets", func(t *testing.T) {
		for i, apiKey := range []string{"", hint} {
			ch := mainChannel(ts.up)
			ch.ID, ch.Name, ch.APIKey = "", fmt.Sprintf("Main %d", i), apiKey
			ch.Headers = map[string]string{"X-Custom-Key": hint, "X-Team": "infra"}
			got := decodeAs[channelView](t, c.do(t, http.MethodPut, "/api/channels/main", ch).want(t, http.StatusOK))
			assert.Equal(t, ch.Name, got.Name)
			assert.Equal(t, hint, got.APIKey)

			up := proxied(t)
			assert.Equal(t, channelKey, up.Header.Get("X-Api-Key"), "apiKey %q keeps the stored key", apiKey)
			assert.Equal(t, headerSecret, up.Header.Get("X-Custom-Key"))
			assert.Equal(t, "infra", up.Header.Get("X-Team"))
		}

		other := mainChannel(ts.up)
		other.ID = "other"
		msg := c.do(t, http.MethodPut, "/api/channels/main", other).wantError(t, http.StatusBadRequest, "invalid_channel")
		assert.Contains(t, msg, "other")
		c.do(t, http.MethodPut, "/api/channels/nope", withID(mainChannel(ts.up), "")).wantError(t, http.StatusNotFound, "not_found")

		const rotated = "sk-ant-SECRET-rotated-key-0123456789"
		ch := mainChannel(ts.up)
		ch.APIKey = rotated
		c.do(t, http.MethodPut, "/api/channels/main", ch).want(t, http.StatusOK)
		assert.Equal(t, rotated, proxied(t).Header.Get("X-Api-Key"))
		c.do(t, http.MethodPut, "/api/channels/main", mainChannel(ts.up)).want(t, http.StatusOK)
		assert.Equal(t, channelKey, proxied(t).Header.Get("X-Api-Key"))
	})

	t.Run("test one", func(t *testing.T) {
		res := decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/channels/main/test", nil).want(t, http.StatusOK))
		assert.Equal(t, testResult{ChannelID: "main", OK: true, Status: 200, LatencyMs: res.LatencyMs, Model: sonnet}, res)
		last := ts.up.Last()
		assert.Equal(t, channelKey, last.Header.Get("X-Api-Key"))
		assert.Contains(t, string(last.Body), `"max_tokens":1`)

		res = decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/channels/main/test?model="+haiku, nil).want(t, http.StatusOK))
		assert.Equal(t, haiku, res.Model)
		assert.Contains(t, string(ts.up.Last().Body), haiku)

		ts.up.Always(mockupstream.Behavior{Status: http.StatusInternalServerError})
		defer ts.up.Behave(nil)
		res = decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/channels/main/test", nil).want(t, http.StatusOK))
		assert.False(t, res.OK)
		assert.Equal(t, 500, res.Status)
		assert.Contains(t, res.Error, "HTTP 500")
	})

	t.Run("test all", func(t *testing.T) {
		backupUp.Always(mockupstream.Behavior{Status: http.StatusUnauthorized})
		defer backupUp.Behave(nil)
		res := decodeAs[[]testResult](t, c.do(t, http.MethodPost, "/api/channels/test", nil).want(t, http.StatusOK))
		require.Len(t, res, 2)
		slices.SortFunc(res, func(a, b testResult) int { return strings.Compare(a.ChannelID, b.ChannelID) })
		assert.Equal(t, "backup", res[0].ChannelID)
		assert.False(t, res[0].OK)
		assert.Equal(t, 401, res[0].Status)
		assert.Equal(t, "main", res[1].ChannelID)
		assert.True(t, res[1].OK)
		assert.Equal(t, "claude-opus-4-1", res[0].Model, "the first model that is not a pattern")
		assert.Equal(t, backupKey, backupUp.Last().Header.Get("X-Api-Key"))
	})

	t.Run("reset", func(t *testing.T) {
		ts.up.Always(mockupstream.Behavior{Status: http.StatusInternalServerError})
		for range 5 {
			// The backup answers each of them.
			ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
		}
		ts.up.Behave(nil)
		got := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/main", nil).want(t, http.StatusOK))
		assert.Equal(t, "open", got.Status.Breaker.String())
		assert.False(t, got.Status.Available)
		assert.Equal(t, 5, got.Status.Failures)

		st := decodeAs[routex.ChannelStatus](t, c.do(t, http.MethodPost, "/api/channels/main/reset", nil).want(t, http.StatusOK))
		assert.Equal(t, "main", st.ID)
		assert.Equal(t, "closed", st.Breaker.String())
		assert.True(t, st.Available)
		assert.Zero(t, st.Failures)
		proxied(t)
	})

	t.Run("export", func(t *testing.T) {
		r := c.do(t, http.MethodGet, "/api/channels/export", nil).want(t, http.StatusOK)
		assert.Contains(t, r.header.Get("Content-Disposition"), "attachment")
		exp := decodeAs[struct{ Channels []routex.Channel }](t, r)
		require.Len(t, exp.Channels, 2)
		for _, ch := range exp.Channels {
			assert.True(t, strings.HasPrefix(ch.APIKey, "****"), ch.APIKey)
		}
		assert.NotContains(t, string(r.body), secretMark)
	})

	t.Run("import", func(t *testing.T) {
		exp := decodeAs[struct{ Channels []routex.Channel }](t, c.do(t, http.MethodGet, "/api/channels/export", nil).want(t, http.StatusOK))
		for i := range exp.Channels {
			exp.Channels[i].Name += " (imported)"
		}
		added := routex.Channel{ID: "imported", Type: routex.FormatOpenAI, BaseURL: "https://api.example.com/v1",
			APIKey: "sk-oai-SECRET-imported-0123456789"}
		exp.Channels = append(exp.Channels, added)
		r := c.do(t, http.MethodPost, "/api/channels/import", exp).want(t, http.StatusOK)
		assert.JSONEq(t, `{"imported":3}`, string(r.body))
		got := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/main", nil).want(t, http.StatusOK))
		assert.Equal(t, "Main (imported)", got.Name)
		up := proxied(t)
		assert.Equal(t, channelKey, up.Header.Get("X-Api-Key"), "hidden keys are kept")
		assert.Equal(t, headerSecret, up.Header.Get("X-Custom-Key"))

		bad := map[string]any{"channels": []routex.Channel{
			{ID: "valid-new", Type: routex.FormatOpenAI, BaseURL: "https://api.example.com/v1"},
			{ID: "broken", Type: "palm", BaseURL: "https://api.example.com/v1"},
		}}
		msg := c.do(t, http.MethodPost, "/api/channels/import", bad).wantError(t, http.StatusBadRequest, "invalid_channel")
		assert.Contains(t, msg, "channels[1]")
		c.do(t, http.MethodGet, "/api/channels/valid-new", nil).wantError(t, http.StatusNotFound, "not_found")

		twice := map[string]any{"channels": []routex.Channel{
			{ID: "valid-new", Type: routex.FormatOpenAI, BaseURL: "https://api.example.com/v1"},
			{ID: "valid-new", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com"},
		}}
		msg = c.do(t, http.MethodPost, "/api/channels/import", twice).wantError(t, http.StatusBadRequest, "invalid_channel")
		assert.Contains(t, msg, "channels[1]")
		c.do(t, http.MethodGet, "/api/channels/valid-new", nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodDelete, "/api/channels/imported", nil).want(t, http.StatusNoContent)
	})

	t.Run("delete", func(t *testing.T) {
		c.do(t, http.MethodDelete, "/api/channels/backup", nil).want(t, http.StatusNoContent)
		c.do(t, http.MethodGet, "/api/channels/backup", nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodDelete, "/api/channels/backup", nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodPost, "/api/channels/backup/reset", nil).wantError(t, http.StatusNotFound, "not_found")
		status := decodeAs[map[string]json.RawMessage](t, c.do(t, http.MethodGet, "/api/status", nil).want(t, http.StatusOK))
		assert.NotContains(t, string(status["channels"]), `"backup"`)
	})
}

func TestRules(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	oa := newMock(t, "openai")
	_, key := makeKey(t, c, "rules")
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "openai-main", Type: routex.FormatOpenAI, BaseURL: oa.URL,
		APIKey: openaiKey, Models: []string{gpt}, Priority: 1}).want(t, http.StatusCreated)
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "backup", Type: routex.FormatAnthropic, BaseURL: ts.up.URL,
		Models: []string{"claude-*"}, Priority: 5}).want(t, http.StatusCreated)

	research := routex.Rule{ID: "research", Name: "Research to GPT", Priority: 10,
		Condition: routex.Condition{Header: &routex.HeaderCondition{Name: "x-team", Pattern: "^research$"}},
		Target:    routex.Target{Channel: "openai-main", Model: gpt}}

	t.Run("create", func(t *testing.T) {
		got := decodeAs[routex.Rule](t, c.do(t, http.MethodPost, "/api/rules", research).want(t, http.StatusCreated))
		assert.Equal(t, research, got)
		msg := c.do(t, http.MethodPost, "/api/rules", research).wantError(t, http.StatusConflict, "conflict")
		assert.Contains(t, msg, `"research"`)

		named := routex.Rule{Name: "Long prompts!", Condition: routex.Condition{TokenThreshold: 50000}, Target: routex.Target{Channel: "backup"}}
		first := decodeAs[routex.Rule](t, c.do(t, http.MethodPost, "/api/rules", named).want(t, http.StatusCreated))
		second := decodeAs[routex.Rule](t, c.do(t, http.MethodPost, "/api/rules", named).want(t, http.StatusCreated))
		assert.Equal(t, "long-prompts", first.ID)
		assert.Equal(t, "long-prompts-2", second.ID)

		list := decodeAs[[]routex.Rule](t, c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK))
		var names []string
		for _, r := range list {
			names = append(names, r.ID)
		}
		assert.Equal(t, []string{"long-prompts", "long-prompts-2", "research"}, names)
		c.do(t, http.MethodDelete, "/api/rules/long-prompts-2", nil).want(t, http.StatusNoContent)
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			field string
			edit  func(*routex.Rule)
		}{
			{"condition.userPattern", func(r *routex.Rule) { r.Condition.UserPattern = "(" }},
			{"condition.modelPattern", func(r *routex.Rule) { r.Condition.ModelPattern = "/[/" }},
			{"condition.modelPattern", func(r *routex.Rule) { r.Condition.ModelPattern = "claude-[" }},
			{"condition.header.name", func(r *routex.Rule) { r.Condition.Header = &routex.HeaderCondition{Pattern: "x"} }},
			{"condition.header.pattern", func(r *routex.Rule) { r.Condition.Header = &routex.HeaderCondition{Name: "x", Pattern: "("} }},
			{"condition.keywords", func(r *routex.Rule) { r.Condition.Keywords = []string{" "} }},
			{"condition.tokenThreshold", func(r *routex.Rule) { r.Condition.TokenThreshold = -1 }},
			{"condition.custom", func(r *routex.Rule) { r.Condition.Custom = "not-registered" }},
			{"target.channel", func(r *routex.Rule) { r.Target.Channel = "" }},
		}
		for _, tt := range tests {
			r := routex.Rule{ID: "bad", Target: routex.Target{Channel: "main"}}
			tt.edit(&r)
			t.Run(tt.field, func(t *testing.T) {
				msg := c.do(t, http.MethodPost, "/api/rules", r).wantError(t, http.StatusBadRequest, "invalid_rule")
				assert.Contains(t, msg, tt.field)
				msg = c.do(t, http.MethodPut, "/api/rules/research", withRuleID(r, "")).wantError(t, http.StatusBadRequest, "invalid_rule")
				assert.Contains(t, msg, tt.field)
			})
		}
		c.do(t, http.MethodGet, "/api/rules/bad", nil).wantError(t, http.StatusNotFound, "not_found")
		got := decodeAs[routex.Rule](t, c.do(t, http.MethodGet, "/api/rules/research", nil).want(t, http.StatusOK))
		assert.Equal(t, research, got, "a refused PUT changes nothing")
	})

	t.Run("put", func(t *testing.T) {
		changed := research
		changed.ID, changed.Priority = "", 20
		got := decodeAs[routex.Rule](t, c.do(t, http.MethodPut, "/api/rules/research", changed).want(t, http.StatusOK))
		assert.Equal(t, 20, got.Priority)
		assert.Equal(t, "research", got.ID)
		msg := c.do(t, http.MethodPut, "/api/rules/research", withRuleID(research, "other")).wantError(t, http.StatusBadRequest, "invalid_rule")
		assert.Contains(t, msg, "other")
		c.do(t, http.MethodPut, "/api/rules/nope", withRuleID(research, "")).wantError(t, http.StatusNotFound, "not_found")
	})

	type decision struct {
		Format, Model, Rule, TargetModel, Error string
		Channels                                []string
	}
	dryRun := func(t *testing.T, path string, headers map[string]string, body string) decision {
		t.Helper()
		in := map[string]any{"path": path, "headers": headers, "body": json.RawMessage(body)}
		return decodeAs[decision](t, c.do(t, http.MethodPost, "/api/rules/test", in).want(t, http.StatusOK))
	}
	team := map[string]string{"x-team": "research"}

	t.Run("dry run", func(t *testing.T) {
		tests := []struct {
			name    string
			path    string
			headers map[string]string
			body    string
			want    decision
		}{
			{"rule", "/v1/messages", team, anthropicBody(sonnet, false),
				decision{Format: "anthropic", Model: sonnet, Rule: "research", TargetModel: gpt, Channels: []string{"openai-main", "main", "backup"}}},
			{"rule from openai", "/v1/chat/completions", team, openaiBody(sonnet, true),
				decision{Format: "openai", Model: sonnet, Rule: "research", TargetModel: gpt, Channels: []string{"openai-main", "main", "backup"}}},
			{"balancer", "/v1/messages", nil, anthropicBody(sonnet, false),
				decision{Format: "anthropic", Model: sonnet, TargetModel: sonnet, Channels: []string{"main", "backup"}}},
			{"other team", "/v1/messages", map[string]string{"x-team": "sales"}, anthropicBody(haiku, false),
				decision{Format: "anthropic", Model: haiku, TargetModel: haiku, Channels: []string{"main", "backup"}}},
			{"glob only", "", nil, anthropicBody("claude-opus-4-1", false),
				decision{Format: "anthropic", Model: "claude-opus-4-1", TargetModel: "claude-opus-4-1", Channels: []string{"backup"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.Equal(t, tt.want, dryRun(t, tt.path, tt.headers, tt.body))
			})
		}

		got := dryRun(t, "/v1/messages", nil, anthropicBody("llama-3", false))
		assert.Contains(t, got.Error, "llama-3")
		assert.Empty(t, got.Channels)
		got = decodeAs[decision](t, c.do(t, http.MethodPost, "/api/rules/test", map[string]any{"path": "/v1/messages"}).want(t, http.StatusOK))
		assert.NotEmpty(t, got.Error, "no body")
		c.do(t, http.MethodPost, "/api/rules/test", map[string]any{"path": "v1/messages"}).wantError(t, http.StatusBadRequest, "bad_request")
	})

	t.Run("applies to traffic", func(t *testing.T) {
		r := ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false), "X-Team", "research").want(t, http.StatusOK)
		assert.Equal(t, "research", r.header.Get("X-Routex-Rule"))
		assert.Equal(t, "openai-main", r.header.Get("X-Routex-Channel"))
		assert.Contains(t, string(oa.Last().Body), `"model":"`+gpt+`"`)
	})

	t.Run("disable and enable", func(t *testing.T) {
		got := decodeAs[routex.Rule](t, c.do(t, http.MethodPost, "/api/rules/research/disable", nil).want(t, http.StatusOK))
		assert.True(t, got.Disabled)
		assert.Empty(t, dryRun(t, "/v1/messages", team, anthropicBody(sonnet, false)).Rule)
		got = decodeAs[routex.Rule](t, c.do(t, http.MethodGet, "/api/rules/research", nil).want(t, http.StatusOK))
		assert.True(t, got.Disabled)

		got = decodeAs[routex.Rule](t, c.do(t, http.MethodPost, "/api/rules/research/enable", nil).want(t, http.StatusOK))
		assert.False(t, got.Disabled)
		assert.Equal(t, "research", dryRun(t, "/v1/messages", team, anthropicBody(sonnet, false)).Rule)
	})

	t.Run("delete", func(t *testing.T) {
		c.do(t, http.MethodDelete, "/api/rules/research", nil).want(t, http.StatusNoContent)
		c.do(t, http.MethodGet, "/api/rules/research", nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodDelete, "/api/rules/research", nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodPost, "/api/rules/research/enable", nil).wantError(t, http.StatusNotFound, "not_found")
		assert.Empty(t, dryRun(t, "/v1/messages", team, anthropicBody(sonnet, false)).Rule)
	})
}

func TestTransformers(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)

	names := decodeAs[[]string](t, c.do(t, http.MethodGet, "/api/transformers", nil).want(t, http.StatusOK))
	assert.Subset(t, names, []string{"cleancache", "maxtoken", "sampling"})
	assert.True(t, slices.IsSorted(names), "%v", names)

	tests := []struct {
		name     string
		in       string
		contains string
	}{
		{"maxtoken caps", `{"name":"maxtoken","direction":"request","body":{"model":"m","max_tokens":50000},"options":{"max":1024}}`, `"max_tokens":1024`},
		{"maxtoken default", `{"name":"maxtoken","body":{"model":"m"},"options":{"default":256}}`, `"max_tokens":256`},
		{"conversion", `{"name":"anthropic-to-openai","body":{"model":"m","max_tokens":5,"system":"be brief","messages":[{"role":"user","content":"hi"}]}}`, `"role":"system"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decodeAs[struct{ Body json.RawMessage }](t, c.do(t, http.MethodPost, "/api/transformers/test", tt.in).want(t, http.StatusOK))
			assert.Contains(t, strings.ReplaceAll(string(out.Body), " ", ""), tt.contains)
		})
	}

	refused := []struct{ name, in string }{
		{"unknown name", `{"name":"nope","body":{}}`},
		{"bad options", `{"name":"maxtoken","body":{},"options":{"max":-1}}`},
		{"unknown option", `{"name":"maxtoken","body":{},"options":{"maximum":5}}`},
		{"direction", `{"name":"maxtoken","direction":"sideways","body":{},"options":{"max":5}}`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			c.do(t, http.MethodPost, "/api/transformers/test", tt.in).wantError(t, http.StatusBadRequest, "bad_request")
		})
	}
}

func TestStrategy(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	type strategy struct {
		Strategy  string
		Available []string
	}
	got := decodeAs[strategy](t, c.do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
	assert.Equal(t, "priority", got.Strategy)
	assert.ElementsMatch(t, []string{"priority", "round_robin", "weighted", "least_used", "latency"}, got.Available)

	got = decodeAs[strategy](t, c.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "round_robin"}).want(t, http.StatusOK))
	assert.Equal(t, "round_robin", got.Strategy)
	assert.NotEmpty(t, got.Available)
	assert.Equal(t, "round_robin", ts.srv.client.Strategy(), "in force at once")

	msg := c.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "fastest"}).wantError(t, http.StatusBadRequest, "invalid_strategy")
	assert.Contains(t, msg, "fastest")
	c.do(t, http.MethodPut, "/api/strategy", map[string]string{}).wantError(t, http.StatusBadRequest, "invalid_strategy")

	ts.close()
	again := newTestServer(t, ts.cfg)
	got = decodeAs[strategy](t, again.client().with("", adminToken).do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
	assert.Equal(t, "round_robin", got.Strategy)
	assert.Equal(t, "round_robin", again.srv.client.Strategy())

	// Sessions live in memory; the administrator and channels in the database.
	stale := again.client()
	stale.hc.Jar.SetCookies(mustURL(t, again.url), c.hc.Jar.Cookies(mustURL(t, ts.url)))
	stale.do(t, http.MethodGet, "/api/strategy", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	fresh := again.client()
	fresh.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	list := decodeAs[[]channelView](t, fresh.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
	assert.Equal(t, []string{"main"}, ids(list))
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "sessions")

	assert.Equal(t, "[]\n", string(c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK).body))
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false), "X-Session-Id", "sess-42").want(t, http.StatusOK)
	list := decodeAs[[]routex.Session](t, c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK))
	require.Len(t, list, 1)
	assert.Equal(t, "sess-42", list[0].Key)
	assert.Equal(t, "main", list[0].ChannelID)
	assert.True(t, list[0].ExpiresAt.After(time.Now()))

	// The Client saves sessions in the background; wait for it, so that the
	// delete below finds the saved one too.
	deadline := time.Now().Add(10 * time.Second)
	for {
		saved, err := ts.srv.store.Sessions(t.Context(), time.Now())
		require.NoError(t, err)
		if len(saved) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the session was never saved")
		select {
		case <-time.After(5 * time.Millisecond):
		case <-t.Context().Done():
		}
	}

	c.do(t, http.MethodDelete, "/api/sessions/sess-42", nil).want(t, http.StatusNoContent)
	assert.Equal(t, "[]\n", string(c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK).body))
	c.do(t, http.MethodDelete, "/api/sessions/sess-42", nil).wantError(t, http.StatusNotFound, "not_found")
}

// TestDeleteSessionAnyKey: every key the listing shows can be deleted,
// escaped into the path, and through the query.
func TestDeleteSessionAnyKey(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "sessions")
	byHeader := []string{"plain", "a/b", "with space", "100%", "100%2F", "q?x=1", "hash#frag", "+plus", "ünïcode", "/lead", "trail/",
		"a/../b", "..", ".", "sha256:abc", strings.Repeat("long-", 40)}
	// Keys from metadata.user_id may hold what a header cannot.
	byMetadata := []string{"line\nbreak", "tab\there"}
	open := func() map[string]bool {
		for _, k := range byHeader {
			ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false), "X-Session-Id", k).want(t, http.StatusOK)
		}
		for _, k := range byMetadata {
			id, err := json.Marshal(k)
			require.NoError(t, err)
			body := `{"model":"` + sonnet + `","max_tokens":16,"metadata":{"user_id":` + string(id) + `},"messages":[{"role":"user","content":"hi"}]}`
			ts.send(t, http.MethodPost, "/v1/messages", key, body).want(t, http.StatusOK)
		}
		listed := map[string]bool{}
		for _, s := range decodeAs[[]routex.Session](t, c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK)) {
			listed[s.Key] = true
		}
		require.Len(t, listed, len(byHeader)+len(byMetadata))
		require.True(t, listed["line\nbreak"])
		return listed
	}

	t.Run("in the path", func(t *testing.T) {
		for k := range open() {
			p := url.PathEscape(k)
			if k == "." || k == ".." {
				// A dot segment is resolved away unless its dots are escaped
				// too (which browsers resolve anyway: they use the query).
				p = strings.ReplaceAll(k, ".", "%2E")
			}
			c.do(t, http.MethodDelete, "/api/sessions/"+p, nil).want(t, http.StatusNoContent)
			c.do(t, http.MethodDelete, "/api/sessions/"+p, nil).wantError(t, http.StatusNotFound, "not_found")
		}
		assert.Equal(t, "[]\n", string(c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK).body))
	})

	t.Run("in the query", func(t *testing.T) {
		for k := range open() {
			c.do(t, http.MethodDelete, "/api/sessions?key="+url.QueryEscape(k), nil).want(t, http.StatusNoContent)
			c.do(t, http.MethodDelete, "/api/sessions?key="+url.QueryEscape(k), nil).wantError(t, http.StatusNotFound, "not_found")
		}
		assert.Equal(t, "[]\n", string(c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK).body))
		c.do(t, http.MethodDelete, "/api/sessions", nil).wantError(t, http.StatusBadRequest, "bad_request")
	})
}

func TestStatusAndSettings(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "status")
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	ts.waitWritten(t, 1)

	type statusReply struct {
		Channels []routex.ChannelStatus
		Records  routex.RecordStats
	}
	status := decodeAs[statusReply](t, c.do(t, http.MethodGet, "/api/status", nil).want(t, http.StatusOK))
	require.Len(t, status.Channels, 1)
	assert.Equal(t, routex.ChannelStatus{ID: "main", Name: "Main", Type: routex.FormatAnthropic, Enabled: true, Available: true}, status.Channels[0])
	assert.Equal(t, routex.RecordStats{Written: 1}, status.Records)

	settings := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/settings", nil).want(t, http.StatusOK))
	assert.Equal(t, adminName, settings["username"])
	assert.Equal(t, ts.cfg.Addr, settings["addr"])
	assert.Equal(t, ts.cfg.Data, settings["dataDir"])
	assert.Equal(t, version, settings["version"])
	assert.NotEmpty(t, settings["startedAt"])
}

func TestKeys(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	id, key := makeKey(t, c, "ci")
	messages := func(t *testing.T, key, model string) reply {
		return ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(model, false))
	}
	chat := func(t *testing.T, key, model string) reply {
		return ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody(model, false))
	}
	type anthropicError struct {
		Type  string
		Error struct{ Type, Message string }
	}
	type openaiError struct {
		Error struct{ Message, Type, Code string }
	}
	wantAnthropic := func(t *testing.T, r reply, status int, typ string) string {
		t.Helper()
		e := decodeAs[anthropicError](t, r.want(t, status))
		assert.Equal(t, "error", e.Type)
		assert.Equal(t, typ, e.Error.Type)
		return e.Error.Message
	}
	wantOpenAI := func(t *testing.T, r reply, status int, typ string) string {
		t.Helper()
		e := decodeAs[openaiError](t, r.want(t, status))
		assert.Equal(t, typ, e.Error.Type)
		assert.Equal(t, typ, e.Error.Code)
		return e.Error.Message
	}

	t.Run("shown once", func(t *testing.T) {
		assert.True(t, strings.HasPrefix(key, "rx-"), key)
		r := c.do(t, http.MethodGet, "/api/keys", nil).want(t, http.StatusOK)
		assert.NotContains(t, string(r.body), key)
		assert.NotContains(t, string(r.body), `"key"`)
		list := decodeAs[[]keyView](t, r)
		require.Len(t, list, 1)
		assert.Equal(t, id, list[0].ID)
		assert.Equal(t, "ci", list[0].Name)
		assert.Equal(t, key[:3]+"…"+key[len(key)-4:], list[0].Hint)
		assert.Equal(t, []string{}, list[0].Models)
		assert.False(t, list[0].CreatedAt.IsZero())
		stored, err := ts.srv.store.Keys(t.Context())
		require.NoError(t, err)
		assert.Equal(t, routex.HashKey(key), stored[0].Hash, "stored hashed")
	})

	t.Run("required", func(t *testing.T) {
		messages(t, key, sonnet).want(t, http.StatusOK)
		chat(t, key, sonnet).want(t, http.StatusOK)
		wantAnthropic(t, messages(t, "", sonnet), http.StatusUnauthorized, "authentication_error")
		wantAnthropic(t, messages(t, "rx-not-a-key", sonnet), http.StatusUnauthorized, "authentication_error")
		wantOpenAI(t, chat(t, "", sonnet), http.StatusUnauthorized, "authentication_error")
		wantOpenAI(t, chat(t, adminToken, sonnet), http.StatusUnauthorized, "authentication_error")
		ts.send(t, http.MethodGet, "/v1/models", "", "").want(t, http.StatusUnauthorized)
	})

	t.Run("disabled", func(t *testing.T) {
		got := decodeAs[keyView](t, c.do(t, http.MethodPut, "/api/keys/"+id, map[string]any{"name": "ci", "disabled": true}).want(t, http.StatusOK))
		assert.True(t, got.Disabled)
		assert.Empty(t, got.Key)
		wantAnthropic(t, messages(t, key, sonnet), http.StatusUnauthorized, "authentication_error")
		wantOpenAI(t, chat(t, key, sonnet), http.StatusUnauthorized, "authentication_error")
		c.do(t, http.MethodPut, "/api/keys/"+id, map[string]any{"name": "ci again"}).want(t, http.StatusOK)
		messages(t, key, sonnet).want(t, http.StatusOK)

		off := decodeAs[keyView](t, c.do(t, http.MethodPost, "/api/keys", map[string]any{"name": "off", "disabled": true}).want(t, http.StatusCreated))
		wantAnthropic(t, messages(t, off.Key, sonnet), http.StatusUnauthorized, "authentication_error")
	})

	t.Run("model allowlist", func(t *testing.T) {
		_, limited := makeKey(t, c, "sonnet only", " "+sonnet+" ", "")
		list := decodeAs[[]keyView](t, c.do(t, http.MethodGet, "/api/keys", nil).want(t, http.StatusOK))
		i := slices.IndexFunc(list, func(k keyView) bool { return k.Name == "sonnet only" })
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, []string{sonnet}, list[i].Models, "names are trimmed, blanks dropped")

		calls := ts.up.Calls()
		msg := wantAnthropic(t, messages(t, limited, haiku), http.StatusForbidden, "permission_error")
		assert.Contains(t, msg, haiku)
		msg = wantOpenAI(t, chat(t, limited, haiku), http.StatusForbidden, "permission_error")
		assert.Contains(t, msg, haiku)
		// Any method with a body is checked, since the Client forwards it.
		wantAnthropic(t, ts.send(t, http.MethodPut, "/v1/messages", limited, anthropicBody(haiku, false)), http.StatusForbidden, "permission_error")
		// One reading of the body decides: a second "model", or one
		// spelled with an escape, is refused, not read differently by the
		// key check and the router.
		for _, body := range []string{
			`{"model":"` + sonnet + `","model":"` + haiku + `","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"` + haiku + `","mod\u0065l":"` + sonnet + `","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
		} {
			msg := wantAnthropic(t, ts.send(t, http.MethodPost, "/v1/messages", limited, body), http.StatusBadRequest, "invalid_request_error")
			assert.Contains(t, msg, `"model" more than once`)
			e := decodeAs[openaiError](t, ts.send(t, http.MethodPost, "/v1/chat/completions", limited, body).want(t, http.StatusBadRequest))
			assert.Contains(t, e.Error.Message, `"model" more than once`)
		}
		escaped := `{"mod\u0065l":"` + haiku + `","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
		wantAnthropic(t, ts.send(t, http.MethodPost, "/v1/messages", limited, escaped), http.StatusForbidden, "permission_error")
		wantOpenAI(t, ts.send(t, http.MethodPost, "/v1/chat/completions", limited, escaped), http.StatusForbidden, "permission_error")
		// Pass-through endpoints are held to the allowlist as well.
		wantAnthropic(t, ts.send(t, http.MethodPost, "/v1/messages/count_tokens", limited, `{"model":"`+haiku+`","messages":[]}`), http.StatusForbidden, "permission_error")
		assert.Equal(t, calls, ts.up.Calls(), "refused requests never reach the provider")

		messages(t, limited, sonnet).want(t, http.StatusOK)
		chat(t, limited, sonnet).want(t, http.StatusOK)
		ts.send(t, http.MethodGet, "/v1/models", limited, "").want(t, http.StatusOK)
	})

	t.Run("deleted", func(t *testing.T) {
		c.do(t, http.MethodDelete, "/api/keys/"+id, nil).want(t, http.StatusNoContent)
		wantAnthropic(t, messages(t, key, sonnet), http.StatusUnauthorized, "authentication_error")
		c.do(t, http.MethodDelete, "/api/keys/"+id, nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodPut, "/api/keys/"+id, map[string]any{"name": "x"}).wantError(t, http.StatusNotFound, "not_found")
	})
}

func TestAnalytics(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	idA, keyA := makeKey(t, c, "a")
	idB, keyB := makeKey(t, c, "b")
	start := time.Now().Add(-time.Second)

	traffic := []struct {
		key, path, body string
		status          int
	}{
		{keyA, "/v1/messages", anthropicBody(sonnet, false), 200},
		{keyA, "/v1/messages", anthropicBody(sonnet, true), 200},
		{keyA, "/v1/chat/completions", openaiBody(sonnet, false), 200},
		{keyB, "/v1/messages", anthropicBody(haiku, false), 200},
		{keyB, "/v1/chat/completions", openaiBody(haiku, true), 200},
		{keyB, "/v1/messages", anthropicBody("llama-3", false), 404},
	}
	for _, tr := range traffic {
		ts.send(t, http.MethodPost, tr.path, tr.key, tr.body).want(t, tr.status)
	}
	ts.drain(t)

	type page struct {
		Records       []analytics.Record
		Limit, Offset int
	}
	records := func(t *testing.T, query string) page {
		t.Helper()
		return decodeAs[page](t, c.do(t, http.MethodGet, "/api/requests?"+query, nil).want(t, http.StatusOK))
	}

	t.Run("requests", func(t *testing.T) {
		all := records(t, "")
		assert.Equal(t, 50, all.Limit)
		assert.Equal(t, 0, all.Offset)
		require.Len(t, all.Records, len(traffic))
		assert.True(t, slices.IsSortedFunc(all.Records, func(a, b analytics.Record) int { return b.Time.Compare(a.Time) }), "newest first")
		byKey := map[string]int{}
		for _, r := range all.Records {
			byKey[r.KeyID]++
		}
		assert.Equal(t, map[string]int{idA: 3, idB: 3}, byKey)

		last := all.Records[len(all.Records)-1] // the first sent
		assert.Equal(t, idA, last.KeyID)
		assert.Equal(t, "main", last.ChannelID)
		assert.Equal(t, "Main", last.ChannelName)
		assert.Equal(t, sonnet, last.Model)
		assert.Equal(t, 200, last.Status)
		assert.Equal(t, 1, last.Attempts)
		assert.Equal(t, [4]int64{12, 7, 30, 50}, [4]int64{last.InputTokens, last.OutputTokens, last.CacheReadTokens, last.CacheWriteTokens})
		ms := decodeAs[struct {
			Records []struct {
				LatencyMs, TTFBMs float64
				Latency, TTFB     *int64
			}
		}](t, c.do(t, http.MethodGet, "/api/requests", nil).want(t, http.StatusOK)).Records
		require.Len(t, ms, len(all.Records))
		assert.Positive(t, ms[len(ms)-1].LatencyMs, "durations in milliseconds")
		assert.Positive(t, ms[len(ms)-1].TTFBMs)
		assert.Nil(t, ms[len(ms)-1].Latency, "no nanosecond field")
		assert.Nil(t, ms[len(ms)-1].TTFB)

		cross := all.Records[len(all.Records)-3]
		assert.Equal(t, "openai", cross.InboundFormat)
		assert.Equal(t, "anthropic", cross.UpstreamFormat)
		assert.True(t, all.Records[len(all.Records)-2].Stream)
	})

	t.Run("filters", func(t *testing.T) {
		from := url.QueryEscape(start.Format(time.RFC3339))
		future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
		tests := []struct {
			query string
			n     int
			check func(analytics.Record) bool
		}{
			{"key=" + idA, 3, func(r analytics.Record) bool { return r.KeyID == idA }},
			{"key=" + idB, 3, func(r analytics.Record) bool { return r.KeyID == idB }},
			{"key=nobody", 0, nil},
			{"model=" + haiku, 2, func(r analytics.Record) bool { return r.Model == haiku }},
			{"channel=main", 5, func(r analytics.Record) bool { return r.ChannelID == "main" }},
			{"failed=true", 1, func(r analytics.Record) bool { return r.Status == 404 && r.Model == "llama-3" && r.KeyID == idB }},
			{"status=404", 1, func(r analytics.Record) bool { return r.Status == 404 }},
			{"status=200&key=" + idB, 2, func(r analytics.Record) bool { return r.Status == 200 && r.KeyID == idB }},
			{"from=" + from + "&to=" + future, 6, nil},
			{"from=" + future, 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				got := records(t, tt.query).Records
				assert.Len(t, got, tt.n)
				for _, r := range got {
					if tt.check != nil {
						assert.True(t, tt.check(r), "%+v", r)
					}
				}
			})
		}
	})

	t.Run("pagination", func(t *testing.T) {
		all := records(t, "")
		p1 := records(t, "limit=4")
		p2 := records(t, "limit=4&offset=4")
		assert.Equal(t, 4, p1.Limit)
		assert.Equal(t, 4, p2.Offset)
		require.Len(t, p1.Records, 4)
		require.Len(t, p2.Records, 2)
		assert.Equal(t, all.Records, append(p1.Records, p2.Records...))
		assert.Empty(t, records(t, "offset=6").Records)
	})

	aggregates := func(t *testing.T, query string) map[string]aggregateView {
		t.Helper()
		list := decodeAs[[]aggregateView](t, c.do(t, http.MethodGet, "/api/analytics?"+query, nil).want(t, http.StatusOK))
		out := map[string]aggregateView{}
		for _, a := range list {
			out[a.Group] = a
		}
		require.Len(t, out, len(list), "one aggregate per group")
		return out
	}

	t.Run("analytics", func(t *testing.T) {
		total := aggregates(t, "")
		require.Len(t, total, 1)
		assert.Equal(t, int64(6), total[""].Requests)
		assert.Equal(t, int64(1), total[""].Errors)
		assert.Equal(t, int64(5*12), total[""].InputTokens)
		assert.Equal(t, int64(5*7), total[""].OutputTokens)
		assert.Positive(t, total[""].LatencyP50Ms)
		assert.Nil(t, total[""].LatencyP50, "no nanosecond field")

		byKey := aggregates(t, "group=key")
		assert.Equal(t, int64(3), byKey[idA].Requests)
		assert.Equal(t, int64(0), byKey[idA].Errors)
		assert.Equal(t, int64(3*12), byKey[idA].InputTokens)
		assert.Equal(t, int64(3*30), byKey[idA].CacheReadTokens)
		assert.Equal(t, int64(3), byKey[idB].Requests)
		assert.Equal(t, int64(1), byKey[idB].Errors)
		assert.Equal(t, int64(2*50), byKey[idB].CacheWriteTokens)

		byModel := aggregates(t, "group=model")
		assert.Equal(t, int64(3), byModel[sonnet].Requests)
		assert.Equal(t, int64(2), byModel[haiku].Requests)
		assert.Equal(t, int64(1), byModel["llama-3"].Requests)

		byChannel := aggregates(t, "group=channel&key="+idB)
		assert.Equal(t, int64(2), byChannel["main"].Requests)

		assert.Equal(t, int64(2), aggregates(t, "model="+haiku)[""].Requests)
		assert.Equal(t, int64(5), aggregates(t, "channel=main")[""].Requests)

		list := decodeAs[[]routex.Aggregate](t, c.do(t, http.MethodGet, "/api/analytics?bucket=minute", nil).want(t, http.StatusOK))
		var sum int64
		for _, a := range list {
			assert.Equal(t, a.Bucket.Truncate(time.Minute), a.Bucket)
			sum += a.Requests
		}
		assert.Equal(t, int64(6), sum)
		for _, b := range []string{"hour", "day"} {
			list := decodeAs[[]routex.Aggregate](t, c.do(t, http.MethodGet, "/api/analytics?bucket="+b, nil).want(t, http.StatusOK))
			assert.NotEmpty(t, list)
		}

		r := c.do(t, http.MethodGet, "/api/analytics?from="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil).want(t, http.StatusOK)
		assert.Equal(t, "[]\n", string(r.body))
	})

	t.Run("overview", func(t *testing.T) {
		type overview struct {
			Hour, Day aggregateView
			RPS       float64
			Channels  struct{ Total, Available int }
		}
		ov := decodeAs[overview](t, c.do(t, http.MethodGet, "/api/overview", nil).want(t, http.StatusOK))
		assert.Equal(t, int64(6), ov.Hour.Requests)
		assert.Equal(t, int64(1), ov.Hour.Errors)
		assert.Equal(t, int64(6), ov.Day.Requests)
		assert.InDelta(t, 6.0/window, ov.RPS, 1e-9)
		assert.Equal(t, 1, ov.Channels.Total)
		assert.Equal(t, 1, ov.Channels.Available)
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, q := range []string{
			"/api/analytics?bucket=week", "/api/analytics?group=planet", "/api/analytics?from=yesterday",
			"/api/analytics?to=2024-13-01T00:00:00Z",
			"/api/requests?limit=0", "/api/requests?limit=-1", "/api/requests?limit=abc", "/api/requests?limit=1001",
			"/api/requests?offset=-1", "/api/requests?offset=x", "/api/requests?status=abc", "/api/requests?status=1000",
			"/api/requests?from=yesterday", "/api/requests?to=now",
		} {
			t.Run(q, func(t *testing.T) {
				c.do(t, http.MethodGet, q, nil).wantError(t, http.StatusBadRequest, "bad_request")
			})
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "metrics")

	ts.client().do(t, http.MethodGet, "/metrics", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	ts.client().with("", "wrong").do(t, http.MethodGet, "/metrics", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	before := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	assert.Equal(t, -1.0, metricValue(t, before, "routex_requests_total"))

	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, true)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody(haiku, false)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("llama-3", false)).want(t, http.StatusNotFound)
	ts.drain(t)

	text := string(ts.client().with("", adminToken).do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"routex_requests_total", []string{"channel", "main", "model", sonnet, "status", "200"}, 2},
		{"routex_requests_total", []string{"channel", "main", "model", haiku, "status", "200"}, 1},
		{"routex_requests_total", []string{"channel", "", "model", "", "status", "404"}, 1},
		{"routex_tokens_total", []string{"channel", "main", "model", sonnet, "kind", "input"}, 24},
		{"routex_tokens_total", []string{"channel", "main", "model", sonnet, "kind", "output"}, 14},
		{"routex_tokens_total", []string{"channel", "main", "model", sonnet, "kind", "cache_read"}, 60},
		{"routex_tokens_total", []string{"channel", "main", "model", sonnet, "kind", "cache_write"}, 100},
		{"routex_request_duration_seconds_count", []string{"channel", "main"}, 3},
		{"routex_time_to_first_byte_seconds_count", []string{"channel", "main"}, 3},
		{"routex_channel_available", []string{"channel", "main"}, 1},
		{"routex_channel_breaker_open", []string{"channel", "main"}, 0},
		{"routex_records_written_total", nil, 4},
		{"routex_records_dropped_total", nil, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, metricValue(t, text, tt.name, tt.labels...), "%s %v", tt.name, tt.labels)
	}

	t.Run("public", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.MetricsPublic = true
		pub := newTestServer(t, cfg)
		text := string(pub.client().do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
		assert.Equal(t, 0.0, metricValue(t, text, "routex_records_written_total"))
		assert.Contains(t, text, "go_goroutines")
	})
}

func TestProxySDKs(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	oa := newMock(t, "openai")
	oa.Text = "alpha beta gamma"
	ts.up.Text = "one two three four"
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "openai-main", Type: routex.FormatOpenAI, BaseURL: oa.URL,
		APIKey: openaiKey, Models: []string{gpt}}).want(t, http.StatusCreated)
	_, key := makeKey(t, c, "sdk")
	_, haikuOnly := makeKey(t, c, "haiku only", haiku)
	ctx := t.Context()

	anthropicSDK := func(key string) anthropic.Client {
		return anthropic.NewClient(aoption.WithoutEnvironmentDefaults(), aoption.WithBaseURL(ts.url), aoption.WithAPIKey(key),
			aoption.WithMaxRetries(0))
	}
	openaiSDK := func(key string) openai.Client {
		return openai.NewClient(ooption.WithBaseURL(ts.url+"/v1/"), ooption.WithAPIKey(key), ooption.WithMaxRetries(0))
	}
	ant, oai := anthropicSDK(key), openaiSDK(key)
	anthropicParams := anthropic.MessageNewParams{Model: sonnet, MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}
	openaiParams := func(model string) openai.ChatCompletionNewParams {
		return openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	}
	fromMain := func(t *testing.T) {
		t.Helper()
		last := ts.up.Last()
		assert.Equal(t, "/v1/messages", last.Path)
		assert.Equal(t, channelKey, last.Header.Get("X-Api-Key"))
	}

	t.Run("anthropic", func(t *testing.T) {
		msg, err := ant.Messages.New(ctx, anthropicParams)
		require.NoError(t, err)
		require.Len(t, msg.Content, 1)
		assert.Equal(t, "one two three four", msg.Content[0].Text)
		assert.Equal(t, int64(12), msg.Usage.InputTokens)
		fromMain(t)
	})

	t.Run("anthropic stream", func(t *testing.T) {
		stream := ant.Messages.NewStreaming(ctx, anthropicParams)
		var msg anthropic.Message
		for stream.Next() {
			require.NoError(t, msg.Accumulate(stream.Current()))
		}
		require.NoError(t, stream.Err())
		require.NoError(t, stream.Close())
		require.Len(t, msg.Content, 1)
		assert.Equal(t, "one two three four", msg.Content[0].Text)
		assert.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
		assert.Equal(t, int64(7), msg.Usage.OutputTokens)
		fromMain(t)
	})

	t.Run("anthropic models", func(t *testing.T) {
		page, err := ant.Models.List(ctx, anthropic.ModelListParams{})
		require.NoError(t, err)
		var names []string
		for _, m := range page.Data {
			names = append(names, m.ID)
		}
		assert.ElementsMatch(t, []string{sonnet, haiku, gpt}, names)
	})

	t.Run("openai", func(t *testing.T) {
		cc, err := oai.Chat.Completions.New(ctx, openaiParams(gpt))
		require.NoError(t, err)
		assert.Equal(t, "alpha beta gamma", cc.Choices[0].Message.Content)
		assert.Equal(t, "Bearer "+openaiKey, oa.Last().Header.Get("Authorization"))
		assert.Equal(t, "/v1/chat/completions", oa.Last().Path)
	})

	t.Run("openai stream", func(t *testing.T) {
		stream := oai.Chat.Completions.NewStreaming(ctx, openaiParams(gpt))
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		require.NoError(t, stream.Err())
		require.NoError(t, stream.Close())
		assert.Equal(t, "alpha beta gamma", acc.Choices[0].Message.Content)
		assert.Equal(t, "stop", acc.Choices[0].FinishReason)
	})

	t.Run("openai to anthropic channel", func(t *testing.T) {
		cc, err := oai.Chat.Completions.New(ctx, openaiParams(sonnet))
		require.NoError(t, err)
		assert.Equal(t, "one two three four", cc.Choices[0].Message.Content)
		assert.Equal(t, int64(7), cc.Usage.CompletionTokens)
		fromMain(t)
		assert.Empty(t, ts.up.Last().Header.Get("Authorization"))
	})

	t.Run("openai stream to anthropic channel", func(t *testing.T) {
		stream := oai.Chat.Completions.NewStreaming(ctx, openaiParams(sonnet))
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		require.NoError(t, stream.Err())
		require.NoError(t, stream.Close())
		assert.Equal(t, "one two three four", acc.Choices[0].Message.Content)
		fromMain(t)
	})

	t.Run("refusals in the caller's format", func(t *testing.T) {
		limitedAnt, limitedOai := anthropicSDK(haikuOnly), openaiSDK(haikuOnly)
		wrongAnt, wrongOai := anthropicSDK("rx-wrong"), openaiSDK("rx-wrong")
		_, err := limitedAnt.Messages.New(ctx, anthropicParams)
		var aerr *anthropic.Error
		require.ErrorAs(t, err, &aerr)
		assert.Equal(t, http.StatusForbidden, aerr.StatusCode)
		assert.Equal(t, "permission_error", string(aerr.Type()))
		assert.Contains(t, aerr.Message, sonnet)

		_, err = limitedOai.Chat.Completions.New(ctx, openaiParams(sonnet))
		var oerr *openai.Error
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, http.StatusForbidden, oerr.StatusCode)
		assert.Equal(t, "permission_error", oerr.Code)

		_, err = wrongAnt.Messages.New(ctx, anthropicParams)
		require.ErrorAs(t, err, &aerr)
		assert.Equal(t, http.StatusUnauthorized, aerr.StatusCode)
		assert.Equal(t, "authentication_error", string(aerr.Type()))

		_, err = wrongOai.Chat.Completions.New(ctx, openaiParams(gpt))
		require.ErrorAs(t, err, &oerr)
		assert.Equal(t, http.StatusUnauthorized, oerr.StatusCode)
	})

	noKeyUpstream(t, ts.up, key)
	noKeyUpstream(t, oa, key)
}

func TestProxy(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t, func(cfg *Config) { cfg.MaxBodyBytes = 4 << 10 })
	_, key := makeKey(t, c, "proxy")

	t.Run("caller credentials stay behind", func(t *testing.T) {
		cookie := c.hc.Jar.Cookies(mustURL(t, ts.url))[0]
		ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody(sonnet, false),
			"Cookie", cookie.Name+"="+cookie.Value, "X-Api-Key", key).want(t, http.StatusOK)
		last := ts.up.Last()
		assert.Equal(t, channelKey, last.Header.Get("X-Api-Key"))
		assert.Empty(t, last.Header.Get("Cookie"), "the dashboard session must not reach a provider")
		assert.Empty(t, last.Header.Get("Authorization"))
		noKeyUpstream(t, ts.up, key)
	})

	t.Run("count tokens", func(t *testing.T) {
		ts.send(t, http.MethodPost, "/v1/messages/count_tokens", key, `{"model":"`+sonnet+`","messages":[]}`).want(t, http.StatusOK)
		last := ts.up.Last()
		assert.Equal(t, "/v1/messages/count_tokens", last.Path)
		assert.Equal(t, channelKey, last.Header.Get("X-Api-Key"))
	})

	t.Run("models", func(t *testing.T) {
		r := ts.send(t, http.MethodGet, "/v1/models", key, "").want(t, http.StatusOK)
		assert.Contains(t, string(r.body), sonnet)
	})

	t.Run("body too large", func(t *testing.T) {
		big := `{"model":"` + sonnet + `","max_tokens":5,"messages":[{"role":"user","content":"` + strings.Repeat("a", 8<<10) + `"}]}`
		r := ts.send(t, http.MethodPost, "/v1/messages", key, big).want(t, http.StatusRequestEntityTooLarge)
		assert.Contains(t, string(r.body), `"type":"error"`)
		assert.Contains(t, string(r.body), "request_too_large")
	})

	t.Run("upstream error", func(t *testing.T) {
		ts.up.Always(mockupstream.Behavior{Status: http.StatusBadRequest})
		defer ts.up.Behave(nil)
		r := ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody(sonnet, false)).want(t, http.StatusBadRequest)
		assert.Contains(t, string(r.body), "mock main status 400")
	})
}

func TestEvents(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	id, key := makeKey(t, c, "events")
	ts.client().do(t, http.MethodGet, "/api/events", nil).wantError(t, http.StatusUnauthorized, "unauthorized")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	events := c.openEvents(t, ctx)
	first := parse[stats](t, events.until(t, "stats"))
	assert.Zero(t, first.Requests)
	assert.False(t, first.Time.IsZero())

	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	rec := parse[analytics.Record](t, events.until(t, "request"))
	assert.Equal(t, sonnet, rec.Model)
	assert.Equal(t, "main", rec.ChannelID)
	assert.Equal(t, id, rec.KeyID)
	assert.Equal(t, 200, rec.Status)
	assert.Equal(t, int64(12), rec.InputTokens)

	// The next figures, at most a second away, count it.
	for {
		st := parse[stats](t, events.until(t, "stats"))
		if st.Requests == 0 {
			continue
		}
		assert.Equal(t, int64(1), st.Requests)
		assert.Zero(t, st.Errors)
		assert.Equal(t, int64(12), st.InputTokens)
		assert.Equal(t, int64(7), st.OutputTokens)
		assert.Positive(t, st.LatencyP50Ms)
		assert.InDelta(t, 1.0/window, st.RPS, 1e-9)
		break
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	up := newMock(t, "slow")
	up.Text = "one two three four five six seven eight"
	cfg := testConfig(t)
	cfg.AdminUser, cfg.AdminPassword = adminName, adminPassword
	cfg.Channels = docChannels([]routex.Channel{mainChannel(up)})
	cfg.ShutdownTimeout = 20 * time.Second

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, silent, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	base := "http://" + addr
	admin := &apiClient{base: base, hc: &http.Client{}, bearer: adminToken}
	admin.do(t, http.MethodGet, "/health", nil).want(t, http.StatusOK)
	keyID, key := makeKey(t, admin, "shutdown")

	up.Always(mockupstream.Behavior{EventGap: 20 * time.Millisecond})
	req := newRequest(t, http.MethodPost, base+"/v1/messages", anthropicBody(sonnet, true))
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	require.True(t, sc.Scan(), "the stream starts")
	require.Equal(t, "event: message_start", sc.Text())

	cancel()
	var text strings.Builder
	var stopped bool
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(data, "text_delta") {
			var ev struct{ Delta struct{ Text string } }
			require.NoError(t, json.Unmarshal([]byte(data), &ev))
			text.WriteString(ev.Delta.Text)
		}
		stopped = stopped || line == "event: message_stop"
	}
	require.NoError(t, sc.Err())
	assert.True(t, stopped, "the stream ran to its end")
	assert.Equal(t, up.Text, text.String())

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(cfg.ShutdownTimeout):
		t.Fatal("run did not return")
	}
	_, err = http.Get(base + "/health")
	require.Error(t, err, "the listener is closed")

	hexKey, err := os.ReadFile(filepath.Join(cfg.Data, "secret.key"))
	require.NoError(t, err)
	encKey, err := hex.DecodeString(strings.TrimSpace(string(hexKey)))
	require.NoError(t, err)
	st, err := sqlite.Open(t.Context(), filepath.Join(cfg.Data, "routex.db"), sqlite.WithEncryptionKey(encKey))
	require.NoError(t, err)
	defer st.Close()
	recs, err := st.Records(t.Context(), routex.RecordQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.True(t, rec.Stream)
	assert.Equal(t, 200, rec.Status)
	assert.Empty(t, rec.Error)
	assert.Equal(t, keyID, rec.KeyID)
	assert.Equal(t, int64(7), rec.OutputTokens)
	chs, err := st.RevealChannels(t.Context())
	require.NoError(t, err)
	require.Len(t, chs, 1)
	assert.Equal(t, channelKey, chs[0].APIKey, "secrets are encrypted with the key in secret.key")
}

func TestStoreFailure(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	require.NoError(t, ts.srv.store.Close())

	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/rules", routex.Rule{Name: "no id", Target: routex.Target{Channel: "main"}}},
		{"POST", "/api/channels", routex.Channel{Name: "no id", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com"}},
		{"GET", "/api/channels", nil},
		{"GET", "/api/requests", nil},
		{"PUT", "/api/settings/password", map[string]string{"current": adminPassword, "new": "another-password"}},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			msg := c.do(t, tt.method, tt.path, tt.body).wantError(t, http.StatusInternalServerError, "internal")
			assert.Contains(t, msg, "server log", "details stay in the log")
		})
	}
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, testConfig(t))
	c := ts.client()
	r := c.do(t, http.MethodGet, "/", nil).want(t, http.StatusOK)
	assert.Contains(t, r.header.Get("Content-Type"), "text/html")
	assert.Equal(t, "no-cache", r.header.Get("Cache-Control"))
	assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"))
	assert.NotEmpty(t, r.header.Get("Content-Security-Policy"))
	r = c.do(t, http.MethodPost, "/", nil).want(t, http.StatusMethodNotAllowed)
	assert.Equal(t, "GET, HEAD", r.header.Get("Allow"))
	c.do(t, http.MethodGet, "/no-such-file.js", nil).want(t, http.StatusNotFound)

	t.Run("files only, no directory listings", func(t *testing.T) {
		index := c.do(t, http.MethodGet, "/", nil).want(t, http.StatusOK)
		asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(string(index.body))
		require.NotEmpty(t, asset, "index.html names its script")
		got := c.do(t, http.MethodGet, asset, nil).want(t, http.StatusOK)
		assert.Equal(t, "public, max-age=31536000, immutable", got.header.Get("Cache-Control"))
		for _, path := range []string{"/assets/", "/assets", "/assets/./", "/assets//", "/%61ssets/"} {
			got := c.do(t, http.MethodGet, path, nil).want(t, http.StatusNotFound)
			assert.NotContains(t, string(got.body), ".js", path)
			assert.NotContains(t, got.header.Get("Cache-Control"), "immutable", "a 404 is not cached for a year: %s", path)
		}
		got = c.do(t, http.MethodGet, "/no-such-file.js", nil).want(t, http.StatusNotFound)
		assert.NotContains(t, got.header.Get("Cache-Control"), "immutable")
	})
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	yamlFile := write("routex.yaml", `
addr: ":1111"
data: /srv/file
adminToken: file-token
strategy: round_robin
metricsPublic: true
shutdownTimeoutMs: 5000
bodyReadTimeoutMs: 4000
retentionDays: 7
maxBodyBytes: 1024
channels:
  - id: a
    type: anthropic
    baseUrl: https://api.anthropic.com
    models: [claude-sonnet-4-5]
rules:
  - id: r
    condition: {modelPattern: "claude-*"}
    target: {channel: a}
`)
	jsonFile := write("routex.json", `{"addr": ":1111", "data": "/srv/file", "adminToken": "file-token", "strategy": "round_robin",
		"metricsPublic": true, "shutdownTimeoutMs": 5000, "bodyReadTimeoutMs": 4000, "retentionDays": 7, "maxBodyBytes": 1024,
		"channels": [{"id": "a", "type": "anthropic", "baseUrl": "https://api.anthropic.com", "models": ["claude-sonnet-4-5"]}],
		"rules": [{"id": "r", "condition": {"modelPattern": "claude-*"}, "target": {"channel": "a"}}]}`)
	bareFile := write("bare.yaml", "addr: \":1111\"\n")
	keepAllFile := write("keep.yaml", "retentionDays: 0\n")
	fromFile := func(t *testing.T, cfg Config) {
		assert.Equal(t, ":1111", cfg.Addr)
		assert.Equal(t, "/srv/file", cfg.Data)
		assert.Equal(t, "file-token", cfg.AdminToken)
		assert.Equal(t, "round_robin", cfg.Strategy)
		assert.True(t, cfg.MetricsPublic)
		assert.Equal(t, 5*time.Second, cfg.ShutdownTimeout)
		assert.Equal(t, 4*time.Second, cfg.BodyReadTimeout)
		assert.Equal(t, 7, cfg.RetentionDays)
		assert.Equal(t, int64(1024), cfg.MaxBodyBytes)
		require.Len(t, cfg.Channels, 1)
		assert.Equal(t, routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com", Models: []string{sonnet}}, cfg.Channels[0].channel())
		require.Len(t, cfg.Rules, 1)
		assert.Equal(t, "claude-*", cfg.Rules[0].Condition.ModelPattern)
		assert.Equal(t, "a", cfg.Rules[0].Target.Channel)
	}

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(*testing.T, Config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, cfg Config) {
			assert.Equal(t, Config{Addr: ":8080", Data: "data", ShutdownTimeout: 30 * time.Second, BodyReadTimeout: 30 * time.Second,
				RetentionDays: 90, MaxBodyBytes: 32 << 20, ModelsRefresh: 6 * time.Hour}, cfg)
		}},
		{name: "yaml file", args: []string{"-config", yamlFile}, check: fromFile},
		{name: "json file from env", env: map[string]string{"ROUTEX_CONFIG": jsonFile}, check: fromFile},
		{name: "flag names the file over env", args: []string{"-config", yamlFile}, env: map[string]string{"ROUTEX_CONFIG": "/nonexistent.yaml"}, check: fromFile},
		{name: "env over file", args: []string{"-config", yamlFile}, env: map[string]string{
			"ROUTEX_ADDR": ":2222", "ROUTEX_DATA": "/srv/env", "ROUTEX_ADMIN_TOKEN": "env-token", "ROUTEX_RETENTION_DAYS": "3",
			"ROUTEX_ENCRYPTION_KEY": "env-key", "ROUTEX_ADMIN_USER": "root", "ROUTEX_ADMIN_PASSWORD": "env-password",
		}, check: func(t *testing.T, cfg Config) {
			assert.Equal(t, ":2222", cfg.Addr)
			assert.Equal(t, "/srv/env", cfg.Data)
			assert.Equal(t, "env-token", cfg.AdminToken)
			assert.Equal(t, 3, cfg.RetentionDays)
			assert.Equal(t, "env-key", cfg.EncryptionKey)
			assert.Equal(t, "root", cfg.AdminUser)
			assert.Equal(t, "env-password", cfg.AdminPassword)
			assert.Equal(t, 5*time.Second, cfg.ShutdownTimeout, "from the file")
		}},
		{name: "flags over env", args: []string{"-config", yamlFile, "-addr", ":3333", "-data", "/srv/flag", "-admin-token", "flag-token",
			"-retention-days", "0", "-shutdown-timeout", "2s", "-body-read-timeout", "3s", "-admin-user", "flag-user"},
			env: map[string]string{"ROUTEX_ADDR": ":2222", "ROUTEX_DATA": "/srv/env", "ROUTEX_ADMIN_TOKEN": "env-token",
				"ROUTEX_RETENTION_DAYS": "3", "ROUTEX_ADMIN_USER": "env-user", "ROUTEX_ADMIN_PASSWORD": "env-password"},
			check: func(t *testing.T, cfg Config) {
				assert.Equal(t, ":3333", cfg.Addr)
				assert.Equal(t, "/srv/flag", cfg.Data)
				assert.Equal(t, "flag-token", cfg.AdminToken)
				assert.Equal(t, 0, cfg.RetentionDays)
				assert.Equal(t, 2*time.Second, cfg.ShutdownTimeout)
				assert.Equal(t, 3*time.Second, cfg.BodyReadTimeout)
				assert.Equal(t, "flag-user", cfg.AdminUser)
			}},
		{name: "metrics flag", args: []string{"-metrics-public"}, check: func(t *testing.T, cfg Config) { assert.True(t, cfg.MetricsPublic) }},
		{name: "file without retention keeps the default", args: []string{"-config", bareFile}, check: func(t *testing.T, cfg Config) {
			assert.Equal(t, 90, cfg.RetentionDays)
			assert.Equal(t, ":1111", cfg.Addr)
		}},
		{name: "file keeps everything", args: []string{"-config", keepAllFile}, check: func(t *testing.T, cfg Config) {
			assert.Equal(t, 0, cfg.RetentionDays)
		}},
		{name: "headless admin", env: map[string]string{"ROUTEX_ADMIN_USER": "root", "ROUTEX_ADMIN_PASSWORD": "long-enough"},
			check: func(t *testing.T, cfg Config) {
				assert.Equal(t, "root", cfg.AdminUser)
				assert.Equal(t, "long-enough", cfg.AdminPassword)
			}},
		{name: "setup token from env", env: map[string]string{"ROUTEX_SETUP_TOKEN": "env-setup-token-0123"},
			check: func(t *testing.T, cfg Config) { assert.Equal(t, "env-setup-token-0123", cfg.SetupToken) }},
		{name: "setup token from file", args: []string{"-config", write("token.yaml", "setupToken: file-setup-token-0123\n")},
			check: func(t *testing.T, cfg Config) { assert.Equal(t, "file-setup-token-0123", cfg.SetupToken) }},
		{name: "short setup token", env: map[string]string{"ROUTEX_SETUP_TOKEN": "guessable"}, wantErr: "at least 16"},
		{name: "admin without password", args: []string{"-admin-user", "root"}, wantErr: "ROUTEX_ADMIN_PASSWORD"},
		{name: "password without admin", env: map[string]string{"ROUTEX_ADMIN_PASSWORD": "long-enough"}, wantErr: "-admin-user"},
		{name: "short password", env: map[string]string{"ROUTEX_ADMIN_USER": "root", "ROUTEX_ADMIN_PASSWORD": "short"}, wantErr: "at least 8"},
		{name: "missing file", args: []string{"-config", filepath.Join(dir, "nope.yaml")}, wantErr: "config file"},
		{name: "malformed file", args: []string{"-config", write("bad.yaml", "addr: [\n")}, wantErr: "bad.yaml"},
		{name: "unknown field", args: []string{"-config", write("typo.yaml", "adress: \":1\"\n")}, wantErr: "adress"},
		{name: "wrong type", args: []string{"-config", write("type.json", `{"retentionDays": "many"}`)}, wantErr: "type.json"},
		{name: "unknown flag", args: []string{"-port", "80"}, wantErr: "-port"},
		{name: "bad retention env", env: map[string]string{"ROUTEX_RETENTION_DAYS": "a week"}, wantErr: "ROUTEX_RETENTION_DAYS"},
		{name: "negative retention env", env: map[string]string{"ROUTEX_RETENTION_DAYS": "-1"}, wantErr: "ROUTEX_RETENTION_DAYS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.args, func(name string) string { return tt.env[name] })
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestConfiguredServer(t *testing.T) {
	t.Parallel()
	up := newMock(t, "configured")
	cfg := testConfig(t)
	cfg.AdminUser, cfg.AdminPassword = "ops", "ops-SECRET-password"
	cfg.Channels = docChannels([]routex.Channel{mainChannel(up)})
	cfg.Rules = []routex.Rule{{ID: "haiku-to-main", Condition: routex.Condition{ModelPattern: "claude-haiku-*"}, Target: routex.Target{Channel: "main"}}}
	cfg.Strategy = "weighted"
	ts := newTestServer(t, cfg)

	ts.client().do(t, http.MethodGet, "/health", nil).want(t, http.StatusOK)
	c := ts.client()
	r := c.do(t, http.MethodPost, "/api/login", credentials{"ops", cfg.AdminPassword}).want(t, http.StatusOK)
	c.csrf = decodeAs[map[string]string](t, r)["csrfToken"]
	c.do(t, http.MethodPost, "/api/setup", map[string]any{}).wantError(t, http.StatusForbidden, "forbidden")
	list := decodeAs[[]channelView](t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
	assert.Equal(t, []string{"main"}, ids(list))
	rules := decodeAs[[]routex.Rule](t, c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK))
	require.Len(t, rules, 1)
	assert.Equal(t, "haiku-to-main", rules[0].ID)
	st := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
	assert.Equal(t, "weighted", st["strategy"])

	t.Run("restart replaces the password", func(t *testing.T) {
		ts.close()
		cfg := cfg
		cfg.AdminPassword = "ops-SECRET-rotated"
		again := newTestServer(t, cfg)
		again.client().do(t, http.MethodPost, "/api/login", credentials{"ops", "ops-SECRET-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
		again.client().do(t, http.MethodPost, "/api/login", credentials{"ops", cfg.AdminPassword}).want(t, http.StatusOK)
	})

	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name, want string
			edit       func(*Config)
		}{
			{"channel", "baseUrl", func(c *Config) { c.Channels = docChannels([]routex.Channel{{ID: "x", Type: routex.FormatOpenAI}}) }},
			{"rule", "condition.userPattern", func(c *Config) {
				c.Rules = []routex.Rule{{ID: "x", Condition: routex.Condition{UserPattern: "("}, Target: routex.Target{Channel: "main"}}}
			}},
			{"strategy", "fastest", func(c *Config) { c.Strategy = "fastest" }},
			{"encryption key", "32 bytes", func(c *Config) { c.EncryptionKey = "too-short" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cfg := testConfig(t)
				tt.edit(&cfg)
				_, err := NewServer(t.Context(), cfg, silent)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
			})
		}
	})
}

func TestEncryptionKey(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i)
	}
	t.Run("kept in the data directory", func(t *testing.T) {
		cfg := Config{Data: t.TempDir()}
		key, err := encryptionKey(cfg)
		require.NoError(t, err)
		assert.Len(t, key, 32)
		path := filepath.Join(cfg.Data, "secret.key")
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		again, err := encryptionKey(cfg)
		require.NoError(t, err)
		assert.Equal(t, key, again)

		require.NoError(t, os.WriteFile(path, []byte("garbage\n"), 0o600))
		_, err = encryptionKey(cfg)
		require.Error(t, err)
	})
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"hex", hex.EncodeToString(raw), true},
		{"base64", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true},
		{"short hex", hex.EncodeToString(raw[:16]), false},
		{"neither", "not a key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := encryptionKey(Config{EncryptionKey: tt.key, Data: "/nonexistent"})
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, raw, key)
		})
	}
}
