package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// makeAdminToken creates an admin token through c and returns its answer.
func makeAdminToken(t *testing.T, c *apiClient, name string) adminTokenView {
	t.Helper()
	v := decodeAs[adminTokenView](t, c.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": name}).
		want(t, http.StatusCreated))
	require.NotEmpty(t, v.Token)
	return v
}

// listAdminTokens returns the listing's raw body and its entries.
func listAdminTokens(t *testing.T, c *apiClient) (string, []map[string]any) {
	t.Helper()
	r := c.do(t, http.MethodGet, "/api/settings/tokens", nil).want(t, http.StatusOK)
	return string(r.body), decodeAs[[]map[string]any](t, r)
}

// wantUnauthorized checks the 401 of /api and that it says how to get in.
func wantUnauthorized(t *testing.T, r reply) {
	t.Helper()
	msg := r.wantError(t, http.StatusUnauthorized, "unauthorized")
	assert.Contains(t, msg, "Settings → Admin tokens")
	assert.Contains(t, msg, "-admin-token")
	assert.Contains(t, msg, "Authorization: Bearer")
}

func TestAdminTokens(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)

	body, list := listAdminTokens(t, c)
	assert.Equal(t, "[]\n", body, "no tokens is an empty list, not null")
	assert.Empty(t, list)

	created := makeAdminToken(t, c, "ci")
	assert.True(t, strings.HasPrefix(created.Token, adminTokenPrefix), created.Token)
	assert.GreaterOrEqual(t, len(created.Token)-len(adminTokenPrefix), 43, "32 random bytes in base64")
	assert.Equal(t, created.Token[:adminTokenShown], created.Prefix)
	assert.NotEmpty(t, created.ID)
	assert.Equal(t, "ci", created.Name)
	assert.False(t, created.CreatedAt.IsZero())
	assert.Nil(t, created.LastUsedAt)
	other := makeAdminToken(t, c, "deploy")
	assert.NotEqual(t, created.Token, other.Token)
	assert.NotEqual(t, created.ID, other.ID)

	script := ts.client().with("", created.Token)
	t.Run("used like the admin token", func(t *testing.T) {
		script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
		// No CSRF token: a script has no session.
		script.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "priority"}).want(t, http.StatusOK)
		s := decodeAs[map[string]any](t, script.do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
		assert.Equal(t, true, s["authenticated"])
	})

	t.Run("listed without the secret", func(t *testing.T) {
		body, list := listAdminTokens(t, script)
		for _, secret := range []string{created.Token, other.Token, routex.HashKey(created.Token), routex.HashKey(other.Token)} {
			assert.NotContains(t, body, secret)
		}
		require.Len(t, list, 2)
		for i, e := range list {
			keys := make([]string, 0, len(e))
			for k := range e {
				keys = append(keys, k)
			}
			want := []string{"id", "name", "prefix", "createdAt", "lastUsedAt"}
			if i == 1 {
				want = want[:4] // never used: no lastUsedAt
			}
			assert.ElementsMatch(t, want, keys)
		}
		assert.Equal(t, []any{created.ID, "ci", created.Prefix}, []any{list[0]["id"], list[0]["name"], list[0]["prefix"]})
		assert.NotNil(t, list[0]["lastUsedAt"], "ci was used")
		assert.Equal(t, "deploy", list[1]["name"])
		assert.NotContains(t, list[1], "lastUsedAt", "deploy was never used")
		// Nor does any setting the API shows hold it.
		settings := c.do(t, http.MethodGet, "/api/settings", nil).want(t, http.StatusOK)
		assert.NotContains(t, string(settings.body), created.Token[len(adminTokenPrefix):])
	})

	t.Run("a token makes and revokes tokens", func(t *testing.T) {
		v := makeAdminToken(t, script, "made-by-script")
		script.do(t, http.MethodDelete, "/api/settings/tokens/"+v.ID, nil).want(t, http.StatusNoContent)
		wantUnauthorized(t, ts.client().with("", v.Token).do(t, http.MethodGet, "/api/channels", nil))
	})

	t.Run("revoked", func(t *testing.T) {
		c.do(t, http.MethodDelete, "/api/settings/tokens/"+created.ID, nil).want(t, http.StatusNoContent)
		wantUnauthorized(t, script.do(t, http.MethodGet, "/api/channels", nil))
		s := decodeAs[map[string]any](t, script.do(t, http.MethodGet, "/api/session", nil).want(t, http.StatusOK))
		assert.Equal(t, false, s["authenticated"])
		c.do(t, http.MethodDelete, "/api/settings/tokens/"+created.ID, nil).wantError(t, http.StatusNotFound, "not_found")
		c.do(t, http.MethodDelete, "/api/settings/tokens/adm_nosuchtoken", nil).wantError(t, http.StatusNotFound, "not_found")
		// The other token still works, and the name is free again.
		ts.client().with("", other.Token).do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
		again := makeAdminToken(t, c, "ci")
		assert.NotEqual(t, created.Token, again.Token)
		wantUnauthorized(t, script.do(t, http.MethodGet, "/api/channels", nil))

		c.do(t, http.MethodDelete, "/api/settings/tokens/"+again.ID, nil).want(t, http.StatusNoContent)
		c.do(t, http.MethodDelete, "/api/settings/tokens/"+other.ID, nil).want(t, http.StatusNoContent)
		body, _ := listAdminTokens(t, c)
		assert.Equal(t, "[]\n", body)
		wantUnauthorized(t, ts.client().with("", other.Token).do(t, http.MethodGet, "/api/channels", nil))
	})

	t.Run("needs an admin", func(t *testing.T) {
		anon := ts.client()
		wantUnauthorized(t, anon.do(t, http.MethodGet, "/api/settings/tokens", nil))
		wantUnauthorized(t, anon.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "x"}))
		wantUnauthorized(t, anon.do(t, http.MethodDelete, "/api/settings/tokens/"+other.ID, nil))
		// A session without its CSRF token may not make one.
		c.with("", "").do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "x"}).
			wantError(t, http.StatusForbidden, "forbidden")
		// Nor a proxy API key.
		_, key := makeKey(t, c, "proxy")
		wantUnauthorized(t, ts.client().with("", key).do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "x"}))
		_, list := listAdminTokens(t, c)
		assert.Empty(t, list)
	})
}

func TestAdminTokenWrong(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	good := makeAdminToken(t, c, "ci")
	for name, bearer := range map[string]string{
		"made up":          adminTokenPrefix + strings.Repeat("A", 43),
		"prefix only":      adminTokenPrefix,
		"the shown prefix": good.Prefix,
		"one more char":    good.Token + "x",
		"one char less":    good.Token[:len(good.Token)-1],
		"another case":     strings.ToUpper(good.Token),
		"without prefix":   strings.TrimPrefix(good.Token, adminTokenPrefix),
		"the hash":         routex.HashKey(good.Token),
		"empty":            "",
	} {
		t.Run(name, func(t *testing.T) {
			req := ts.client()
			r := roundTrip(t, req.hc, func() *http.Request {
				rq := req.request(t, http.MethodGet, "/api/channels", nil)
				rq.Header.Set("Authorization", "Bearer "+bearer)
				return rq
			}())
			wantUnauthorized(t, r)
		})
	}
	t.Run("not bearer", func(t *testing.T) {
		req := ts.client().request(t, http.MethodGet, "/api/channels", nil)
		req.Header.Set("Authorization", "Basic "+good.Token)
		wantUnauthorized(t, roundTrip(t, http.DefaultClient, req))
	})
	ts.client().with("", good.Token).do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
}

func TestAdminTokenNames(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)
	makeAdminToken(t, c, "ci")
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"missing", map[string]string{}, http.StatusBadRequest, "bad_request"},
		{"empty", map[string]string{"name": ""}, http.StatusBadRequest, "bad_request"},
		{"blank", map[string]string{"name": "  \t "}, http.StatusBadRequest, "bad_request"},
		{"too long", map[string]string{"name": strings.Repeat("n", maxTokenName+1)}, http.StatusBadRequest, "bad_request"},
		{"taken", map[string]string{"name": "ci"}, http.StatusConflict, "conflict"},
		{"taken with spaces", map[string]string{"name": " ci "}, http.StatusConflict, "conflict"},
		{"unknown field", map[string]string{"name": "x", "token": "rtx_admin_mine"}, http.StatusBadRequest, "bad_request"},
		{"not JSON", "name=x", http.StatusBadRequest, "bad_request"},
		{"longest", map[string]string{"name": strings.Repeat("é", maxTokenName)}, http.StatusCreated, ""},
		{"another", map[string]string{"name": "CI"}, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(t, http.MethodPost, "/api/settings/tokens", tt.body)
			if tt.code == "" {
				r.want(t, tt.status)
				return
			}
			msg := r.wantError(t, tt.status, tt.code)
			assert.NotEmpty(t, msg)
		})
	}
	_, list := listAdminTokens(t, c)
	names := make([]any, len(list))
	for i, e := range list {
		names[i] = e["name"]
	}
	assert.Equal(t, []any{"ci", strings.Repeat("é", maxTokenName), "CI"}, names)
}

func TestAdminTokenLimit(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)
	for i := range maxAdminTokens {
		c.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "t" + strings.Repeat("x", i)}).want(t, http.StatusCreated)
	}
	c.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "one more"}).wantError(t, http.StatusConflict, "conflict")
}

func TestAdminTokensKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	kept := makeAdminToken(t, c, "kept")
	revoked := makeAdminToken(t, c, "revoked")
	ts.client().with("", kept.Token).do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	c.do(t, http.MethodDelete, "/api/settings/tokens/"+revoked.ID, nil).want(t, http.StatusNoContent)
	_, before := listAdminTokens(t, c)
	require.Len(t, before, 1)
	require.NotNil(t, before[0]["lastUsedAt"])
	ts.close()

	again := newTestServer(t, ts.cfg)
	admin := again.client()
	r := admin.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	admin.csrf = decodeAs[map[string]string](t, r)["csrfToken"]
	_, after := listAdminTokens(t, admin)
	require.Len(t, after, 1)
	assert.Equal(t, before[0]["id"], after[0]["id"])
	assert.Equal(t, before[0]["prefix"], after[0]["prefix"])
	assert.Equal(t, before[0]["createdAt"], after[0]["createdAt"])
	assert.Equal(t, before[0]["lastUsedAt"], after[0]["lastUsedAt"], "the first use was written to the Store")
	wantUnauthorized(t, again.client().with("", revoked.Token).do(t, http.MethodGet, "/api/channels", nil))
	script := again.client().with("", kept.Token)
	script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	// Names stay unique across the restart.
	script.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "kept"}).wantError(t, http.StatusConflict, "conflict")
}

func TestAdminTokenLastUsed(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	clock := &testClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	ts.srv.auth.tokens.setClock(clock.Now)
	tok := makeAdminToken(t, c, "ci")
	script := ts.client().with("", tok.Token)

	stored := func() time.Time {
		t.Helper()
		v, err := ts.srv.store.Setting(t.Context(), settingAdminTokens)
		require.NoError(t, err)
		assert.NotContains(t, v, tok.Token)
		var list []storedAdminToken
		require.NoError(t, json.Unmarshal([]byte(v), &list))
		require.Len(t, list, 1)
		return list[0].LastUsedAt
	}
	listed := func() time.Time {
		t.Helper()
		_, list := listAdminTokens(t, c)
		require.Len(t, list, 1)
		last, err := time.Parse(time.RFC3339Nano, list[0]["lastUsedAt"].(string))
		require.NoError(t, err)
		return last
	}
	assert.True(t, stored().IsZero())

	start := clock.Now()
	script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	assert.Equal(t, start, stored(), "the first use is written")
	assert.Equal(t, start, listed())

	clock.Add(30 * time.Second)
	script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	assert.Equal(t, start, stored(), "uses within a minute of the written one are not written")
	assert.Equal(t, start.Add(30*time.Second), listed(), "the listing shows the latest use")

	clock.Add(31 * time.Second)
	script.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK)
	assert.Equal(t, start.Add(61*time.Second), stored(), "a minute later the use is written")
	assert.Equal(t, start.Add(61*time.Second), listed())
}
