package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// writeConfigFile writes v as the JSON config file of a server and returns
// its path.
func writeConfigFile(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "routex.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// rawList decodes a JSON list of objects, to see which members are there.
func rawList(t *testing.T, r reply) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, o := range decodeAs[[]map[string]any](t, r) {
		out[o["id"].(string)] = o
	}
	return out
}

// The config file owns the channels and rules it defines: they are written
// at every start and shown read-only; what the dashboard made is kept
// across restarts.
func TestConfigOwnership(t *testing.T) {
	t.Parallel()
	up := newMock(t, "owned")
	filed := withID(mainChannel(up), "filed")
	filed.Name = "From the file"
	filedRule := routex.Rule{ID: "filed-rule", Condition: routex.Condition{ModelPattern: "claude-haiku-*"}, Target: routex.Target{Channel: "filed"}}
	path := writeConfigFile(t, map[string]any{"channels": []routex.Channel{filed}, "rules": []routex.Rule{filedRule}})
	data := t.TempDir()
	cfg, err := loadConfig([]string{"-config", path, "-data", data, "-addr", "127.0.0.1:0", "-admin-token", adminToken},
		func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, path, cfg.File)

	ts := newTestServer(t, cfg)
	c := ts.client().with("", adminToken)
	channelMsg := fmt.Sprintf("channel %q is defined in %s; edit that file and restart", "filed", path)
	ruleMsg := fmt.Sprintf("rule %q is defined in %s; edit that file and restart", "filed-rule", path)

	// What the dashboard makes is its own to change.
	mine := withID(mainChannel(up), "mine")
	mine.Name = "Mine"
	c.do(t, http.MethodPost, "/api/channels", mine).want(t, http.StatusCreated)
	mine.Name, mine.APIKey = "Mine, renamed", ""
	c.do(t, http.MethodPut, "/api/channels/mine", mine).want(t, http.StatusOK)
	c.do(t, http.MethodPost, "/api/rules", routex.Rule{ID: "mine-rule", Condition: routex.Condition{ModelPattern: "gpt-*"},
		Target: routex.Target{Channel: "mine"}}).want(t, http.StatusCreated)
	c.do(t, http.MethodPost, "/api/rules/mine-rule/disable", nil).want(t, http.StatusOK)

	t.Run("marked", func(t *testing.T) {
		chs := rawList(t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
		assert.Equal(t, "config", chs["filed"]["source"])
		assert.NotContains(t, chs["mine"], "source")
		one := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/channels/filed", nil).want(t, http.StatusOK))
		assert.Equal(t, "config", one["source"])

		rules := rawList(t, c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK))
		assert.Equal(t, "config", rules["filed-rule"]["source"])
		assert.NotContains(t, rules["mine-rule"], "source")
		for _, base := range []string{"/api/rules/", "/api/routing/rules/"} {
			one := decodeAs[map[string]any](t, c.do(t, http.MethodGet, base+"filed-rule", nil).want(t, http.StatusOK))
			assert.Equal(t, "config", one["source"], base)
		}
	})

	t.Run("refused", func(t *testing.T) {
		edited := renamed(filed)
		tests := []struct {
			name, method, path string
			body               any
			want               string
		}{
			{"edit channel", http.MethodPut, "/api/channels/filed", edited, channelMsg},
			{"delete channel", http.MethodDelete, "/api/channels/filed", nil, channelMsg},
			{"import over channel", http.MethodPost, "/api/channels/import",
				map[string]any{"channels": []routex.Channel{withID(mainChannel(up), "new-one"), edited}}, channelMsg},
			{"edit rule", http.MethodPut, "/api/rules/filed-rule", withRuleID(filedRule, ""), ruleMsg},
			{"edit rule, documented path", http.MethodPut, "/api/routing/rules/filed-rule", withRuleID(filedRule, ""), ruleMsg},
			{"delete rule", http.MethodDelete, "/api/rules/filed-rule", nil, ruleMsg},
			{"disable rule", http.MethodPost, "/api/rules/filed-rule/disable", nil, ruleMsg},
			{"enable rule", http.MethodPost, "/api/routing/rules/filed-rule/enable", nil, ruleMsg},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg := c.do(t, tt.method, tt.path, tt.body).wantError(t, http.StatusConflict, "managed_by_config")
				assert.Equal(t, tt.want, msg)
			})
		}
		// Nothing of it was written: not the import's other channel either.
		chs := rawList(t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
		assert.Equal(t, "From the file", chs["filed"]["name"])
		assert.NotContains(t, chs, "new-one")
		rules := rawList(t, c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK))
		assert.Contains(t, rules, "filed-rule")
		assert.NotEqual(t, true, rules["filed-rule"]["disabled"])
		// An import that leaves the file's channels alone goes through.
		c.do(t, http.MethodPost, "/api/channels/import", map[string]any{"channels": []routex.Channel{withID(mainChannel(up), "imported")}}).
			want(t, http.StatusOK)
	})

	t.Run("restart keeps the dashboard's edits", func(t *testing.T) {
		ts.close()
		again := newTestServer(t, cfg)
		c := again.client().with("", adminToken)
		chs := rawList(t, c.do(t, http.MethodGet, "/api/channels", nil).want(t, http.StatusOK))
		assert.Equal(t, "Mine, renamed", chs["mine"]["name"])
		assert.Contains(t, chs, "imported")
		assert.Equal(t, "From the file", chs["filed"]["name"])
		assert.Equal(t, "config", chs["filed"]["source"])
		rules := rawList(t, c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK))
		assert.Equal(t, true, rules["mine-rule"]["disabled"])
		msg := c.do(t, http.MethodPut, "/api/channels/filed", renamed(filed)).wantError(t, http.StatusConflict, "managed_by_config")
		assert.Equal(t, channelMsg, msg)
		// The dashboard's channel is still its own to delete.
		c.do(t, http.MethodDelete, "/api/channels/mine", nil).want(t, http.StatusNoContent)
	})
}

// renamed is c edited as the dashboard sends it: a new name, the key left
// out (unchanged).
func renamed(c routex.Channel) routex.Channel {
	c.Name, c.APIKey = "Edited", ""
	return c
}

// The administrator's password set outside the dashboard cannot be changed
// in Settings, which the next start would undo; set in Settings, it
// survives a restart.
func TestPasswordOwnership(t *testing.T) {
	t.Parallel()
	const newPassword = "pw-SECRET-changed-in-settings"
	login := func(t *testing.T, ts *testServer, user, password string) *apiClient {
		t.Helper()
		c := ts.client()
		r := c.do(t, http.MethodPost, "/api/login", credentials{user, password}).want(t, http.StatusOK)
		c.csrf = decodeAs[map[string]string](t, r)["csrfToken"]
		return c
	}
	settings := func(t *testing.T, c *apiClient) map[string]any {
		t.Helper()
		return decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/settings", nil).want(t, http.StatusOK))
	}

	t.Run("set by the environment", func(t *testing.T) {
		env := map[string]string{"ROUTEX_ADMIN_USER": "ops", "ROUTEX_ADMIN_PASSWORD": adminPassword}
		cfg, err := loadConfig([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, func(k string) string { return env[k] })
		require.NoError(t, err)
		ts := newTestServer(t, cfg)
		c := login(t, ts, "ops", adminPassword)
		assert.Equal(t, true, settings(t, c)["passwordFromEnv"])
		msg := c.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": newPassword}).
			wantError(t, http.StatusConflict, "managed_by_env")
		assert.Contains(t, msg, "ROUTEX_ADMIN_PASSWORD")
		// Unchanged, and the session still open.
		settings(t, c)
		login(t, ts, "ops", adminPassword)
	})

	t.Run("set by the config file", func(t *testing.T) {
		path := writeConfigFile(t, map[string]any{"adminUser": "ops", "adminPassword": adminPassword})
		cfg, err := loadConfig([]string{"-config", path, "-data", t.TempDir(), "-addr", "127.0.0.1:0"}, func(string) string { return "" })
		require.NoError(t, err)
		ts := newTestServer(t, cfg)
		c := login(t, ts, "ops", adminPassword)
		assert.Equal(t, false, settings(t, c)["passwordFromEnv"])
		msg := c.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": newPassword}).
			wantError(t, http.StatusConflict, "managed_by_config")
		assert.Equal(t, "the administrator's password is set in "+path+"; edit that file and restart", msg)
	})

	t.Run("set in Settings", func(t *testing.T) {
		ts, c := setUp(t)
		assert.Equal(t, false, settings(t, c)["passwordFromEnv"])
		c.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": newPassword}).
			want(t, http.StatusNoContent)
		ts.close()
		again := newTestServer(t, ts.cfg)
		again.client().do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).wantError(t, http.StatusUnauthorized, "unauthorized")
		login(t, again, adminName, newPassword)
	})
}

// A strategy the config file sets is the file's: the API shows where it
// comes from and refuses to change it; without one the API changes it.
func TestStrategyOwnership(t *testing.T) {
	t.Parallel()
	path := writeConfigFile(t, map[string]any{"strategy": "round_robin"})
	cfg, err := loadConfig([]string{"-config", path, "-data", t.TempDir(), "-addr", "127.0.0.1:0", "-admin-token", adminToken},
		func(string) string { return "" })
	require.NoError(t, err)
	ts := newTestServer(t, cfg)
	c := ts.client().with("", adminToken)
	up := newMock(t, "wizard")
	ts.client().withSetupToken(ts.srv.setupToken).do(t, http.MethodPost, "/api/setup", map[string]any{
		"channel": mainChannel(up), "strategy": "weighted",
		"admin": credentials{Username: adminName, Password: adminPassword},
	}).want(t, http.StatusOK)
	got := decodeAs[map[string]any](t, c.do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
	assert.Equal(t, "round_robin", got["strategy"])
	assert.Equal(t, "config", got["source"])
	msg := c.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "weighted"}).wantError(t, http.StatusConflict, "managed_by_config")
	assert.Equal(t, "the strategy is set in "+path+"; edit that file and restart", msg)

	_, own := setUp(t)
	own.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "weighted"}).want(t, http.StatusOK)
	got = decodeAs[map[string]any](t, own.do(t, http.MethodGet, "/api/strategy", nil).want(t, http.StatusOK))
	assert.Equal(t, "weighted", got["strategy"])
	assert.NotContains(t, got, "source")
}

// The config file gives durations in milliseconds, as the API does; a
// duration in the library's nanoseconds is refused, never taken in the
// wrong unit.
func TestConfigFileDurations(t *testing.T) {
	t.Parallel()
	load := func(v map[string]any) (Config, error) {
		return loadConfig([]string{"-config", writeConfigFile(t, v), "-data", t.TempDir()}, func(string) string { return "" })
	}
	cfg, err := load(map[string]any{"shutdownTimeoutMs": 1500, "bodyReadTimeoutMs": 2000, "modelsRefreshMs": 0})
	require.NoError(t, err)
	assert.Equal(t, [3]time.Duration{1500 * time.Millisecond, 2 * time.Second, 0}, [3]time.Duration{cfg.ShutdownTimeout, cfg.BodyReadTimeout, cfg.ModelsRefresh})
	for _, name := range []string{"shutdownTimeout", "bodyReadTimeout", "modelsRefresh"} {
		_, err := load(map[string]any{name: 5_000_000_000})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err = load(map[string]any{"channels": []map[string]any{{"id": "a", "type": "openai", "baseUrl": "https://x.example/v1", "timeout": 5e9}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timeoutMs")
}
