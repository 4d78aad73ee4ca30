package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// logBuffer is a log the test reads while the server writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// setupTokenInLog is how a person finds the token: in the log line that
// says where to paste it.
var setupTokenInLog = regexp.MustCompile(`setup needed: open (\S+) and paste the setup token: ([A-Za-z0-9_-]+)`)

// TestSetupToken: a server that needs setup prints where to go and the token
// to paste there, and the token, read from the log, is what setup takes.
func TestSetupToken(t *testing.T) {
	t.Parallel()
	up := newMock(t, "wizard")
	var log logBuffer
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, log.logger(), ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	m := setupTokenInLog.FindStringSubmatch(log.String())
	require.NotNil(t, m, "no setup token in the log:\n%s", log.String())
	assert.Equal(t, "http://"+addr+"/", m[1])
	token := m[2]
	assert.Contains(t, log.String(), "level=WARN", "the line is seen at the default levels and above")

	c := &apiClient{base: "http://" + addr, hc: &http.Client{}}
	c.do(t, http.MethodPost, "/api/setup/token", nil).wantError(t, http.StatusUnauthorized, "unauthorized")
	c.withSetupToken(token).do(t, http.MethodPost, "/api/setup/token", nil).want(t, http.StatusNoContent)
	c.withSetupToken(token).do(t, http.MethodPost, "/api/setup", map[string]any{"channel": mainChannel(up),
		"admin": credentials{adminName, adminPassword}}).want(t, http.StatusOK)
	// Once is all it does.
	c.withSetupToken(token).do(t, http.MethodPost, "/api/setup/token", nil).wantError(t, http.StatusForbidden, "forbidden")
	c.withSetupToken(token).do(t, http.MethodPost, "/api/setup/test-channel", mainChannel(up)).wantError(t, http.StatusForbidden, "forbidden")
	assert.Contains(t, log.String(), "setup refused: missing or wrong setup token", "refusals are logged")
	assert.NotContains(t, log.String(), adminPassword)
}

func TestSetupTokenPreset(t *testing.T) {
	t.Parallel()
	const preset = "preset-setup-token-0123456789"
	var log logBuffer
	cfg := testConfig(t)
	cfg.SetupToken = preset
	srv, err := NewServer(t.Context(), cfg, log.logger())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	srv.announceSetup("http://localhost:8080/")
	assert.Contains(t, log.String(), "paste the setup token set in ROUTEX_SETUP_TOKEN")
	assert.NotContains(t, log.String(), preset, "a token the deploy chose is not repeated in the log")
	assert.Equal(t, preset, srv.setupToken)
}

func TestSetupTokenNotMadeWhenSetUp(t *testing.T) {
	t.Parallel()
	up := newMock(t, "configured")
	cfg := testConfig(t)
	cfg.AdminUser, cfg.AdminPassword = adminName, adminPassword
	cfg.Channels = docChannels([]routex.Channel{mainChannel(up)})
	srv, err := NewServer(t.Context(), cfg, silent)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	assert.Empty(t, srv.setupToken)
	req, _ := http.NewRequest(http.MethodPost, "/api/setup/token", nil)
	req.Header.Set(setupTokenHeader, "")
	assert.False(t, srv.setupTokenOK(req), "an empty token admits nothing")
}

func TestDashboardURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"[::]:8080":      "http://localhost:8080/",
		"0.0.0.0:80":     "http://localhost:80/",
		"[::1]:9000":     "http://[::1]:9000/",
		"10.1.2.3:443":   "http://10.1.2.3:443/",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		require.NoError(t, err)
		assert.Equal(t, want, dashboardURL(a), addr)
	}
}
