package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPprofFlag(t *testing.T) {
	env := func(string) string { return "" }
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "example.com:6060", "6060"} {
		_, err := loadConfig([]string{"-pprof", addr}, env)
		assert.Error(t, err, "-pprof %s must be refused", addr)
	}
	cfg, err := loadConfig([]string{"-pprof", "127.0.0.1:0"}, env)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", cfg.PprofAddr)

	addr, stop, err := serveProfiles("127.0.0.1:0", silent)
	require.NoError(t, err)
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.Contains(string(b), "goroutine profile"), "%.200s", b)
}

// A refused proxy call is answered in the format of its path, whichever
// header carried the key.
func TestRefusalFollowsThePath(t *testing.T) {
	ts, _ := setUp(t)
	r := ts.send(t, http.MethodPost, "/v1/chat/completions", "", openaiBody(sonnet, false), "X-Api-Key", "rx-wrong")
	r.want(t, http.StatusUnauthorized)
	assert.NotContains(t, string(r.body), `"type":"error"`, "OpenAI path, Anthropic-shaped error: %s", r.body)
	assert.Contains(t, string(r.body), `"error":{`)
	r = ts.send(t, http.MethodPost, "/v1/messages", "", anthropicBody(sonnet, false), "Authorization", "Bearer rx-wrong")
	r.want(t, http.StatusUnauthorized)
	assert.Contains(t, string(r.body), `"type":"error"`)
}
