package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// claudeCodeBinary finds Claude Code: ROUTEX_CLAUDE_CODE, else claude on
// PATH.
func claudeCodeBinary(t *testing.T) string {
	return agentBinary(t, "ROUTEX_CLAUDE_CODE", "claude", "Claude Code", "@anthropic-ai/claude-code")
}

// claudeCodeShellTool is Claude Code's shell tool; it takes the command
// line as "command".
const claudeCodeShellTool = "Bash"

// TestClaudeCodeThroughServer runs the real Claude Code CLI, headless,
// against the server, which takes its Anthropic Messages requests and
// routes them to a channel whose upstream is a scripted provider of each
// format. The provider first asks for a shell command; the CLI runs it and
// sends its output back as a tool_result, which must reach the provider
// under the provider's call id; the provider then answers with text, which
// the CLI prints.
func TestClaudeCodeThroughServer(t *testing.T) {
	exe := claudeCodeBinary(t)
	t.Parallel()
	for _, format := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI, routex.FormatResponses} {
		t.Run(string(format), func(t *testing.T) {
			turn := claudeCodeShellTurn(t, exe, format, "ANTHROPIC_API_KEY")
			res, reqs := turn.result, turn.upstream
			assert.Contains(t, res.Result, turn.up.finalText(), "the CLI's final message\n%s", turn.run)
			assert.Equal(t, len(reqs), res.NumTurns, "model turns the CLI counted\n%s", turn.run)

			// The CLI read each answer's usage, converted to Anthropic's
			// terms, where input tokens exclude cache reads.
			require.Contains(t, res.ModelUsage, claudeModel, "the CLI's usage\n%s", turn.run)
			usage := res.ModelUsage[claudeModel]
			n := int64(len(reqs))
			assert.Equal(t, n*mockFreshInput, usage.InputTokens, "input tokens the CLI counted")
			assert.Equal(t, n*mockCacheRead, usage.CacheReadInputTokens, "cache reads the CLI counted")
			assert.Equal(t, n*mockOutput, usage.OutputTokens, "output tokens the CLI counted")

			// Across formats, what only Anthropic reads stays behind: the
			// CLI's ?beta=true and its anthropic-* headers.
			if format != routex.FormatAnthropic {
				for i, r := range turn.got.list() {
					assert.NotContains(t, r.query, "beta", "upstream request %d: the query", i)
					for name := range r.header {
						assert.False(t, strings.HasPrefix(name, "Anthropic-"), "upstream request %d: the %s header", i, name)
					}
				}
			}

			// The server recorded each answer's usage on the channel.
			turn.records(t)
		})
	}

	// Claude Code's gateway protocol, as the CLI speaks it: an Anthropic
	// upstream gets anthropic-version and anthropic-beta exactly as the CLI
	// sent them, and its query (?beta=true), and the CLI's session id keys
	// the session of each request. The proxy key goes as a bearer token
	// here, as the README has it.
	t.Run("gateway headers and session", func(t *testing.T) {
		turn := claudeCodeShellTurn(t, exe, routex.FormatAnthropic, "ANTHROPIC_AUTH_TOKEN")
		sent, got := turn.sent.list(), turn.got.list()
		require.Len(t, got, len(sent), "requests the upstream got for those the CLI sent")
		session := turn.result.SessionID
		require.NotEmpty(t, session, "the CLI's session id\n%s", turn.run)
		for i, r := range sent {
			assert.Equal(t, session, r.header.Get("X-Claude-Code-Session-Id"), "request %d: the CLI's session header", i)
			assert.Equal(t, r.query, got[i].query, "request %d: the query", i)
			for _, name := range []string{"Anthropic-Version", "Anthropic-Beta"} {
				require.NotEmpty(t, r.header.Values(name), "request %d: the CLI sent no %s", i, name)
				assert.Equal(t, r.header.Values(name), got[i].header.Values(name), "request %d: %s", i, name)
			}
		}
		records := turn.records(t)
		for i, rec := range records {
			assert.Equal(t, session, rec.Session, "record %d: the session key", i)
		}
		sessions := decodeAs[[]struct {
			Key       string `json:"key"`
			ChannelID string `json:"channelId"`
		}](t, turn.ts.client().with("", adminToken).do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK))
		require.Len(t, sessions, 1, "the sessions the server keeps")
		assert.Equal(t, session, sessions[0].Key)
		assert.Equal(t, "claude", sessions[0].ChannelID)
	})
}

// claudeCodeTurn is one shell turn of Claude Code through the server: what
// the CLI sent to the server and what the upstream got, in order, and what
// the scripted provider read.
type claudeCodeTurn struct {
	agentChannel
	run      agentRun
	result   claudeCodeResult
	upstream []scriptedRequest
	sent     *requestLog // what the CLI sent to the server
	got      *requestLog // what the server sent to the upstream
}

// claudeCodeShellTurn runs Claude Code through a server whose channel is a
// scripted provider of format, with the proxy key in the environment
// variable keyEnv (ANTHROPIC_API_KEY, sent as x-api-key, or
// ANTHROPIC_AUTH_TOKEN, sent as a bearer token), and checks that the CLI ran the shell
// command the provider asked for and sent its output back under the call's
// id, that every request it made was answered with success, and that
// neither its key nor the channel's went where they do not belong.
func claudeCodeShellTurn(t *testing.T, exe string, format routex.Format, keyEnv string) claudeCodeTurn {
	t.Helper()
	turn := claudeCodeTurn{sent: &requestLog{}, got: &requestLog{}}
	turn.agentChannel = newAgentChannel(t, "claude", format, claudeModel, func(up *scriptedUpstream) http.Handler {
		return turn.got.record(agentShell(up, claudeCodeShellTool))
	})
	key := turn.key
	target, err := url.Parse(turn.ts.url)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	front := httptest.NewServer(turn.sent.record(proxy))
	t.Cleanup(front.Close)

	turn.run = runClaudeCode(t, exe, front.URL, keyEnv+"="+key, claudeModel, agentPrompt)
	turn.result = agentResult[claudeCodeResult](t, turn.run)
	assert.False(t, turn.result.IsError, "the CLI reported an error\n%s", turn.run)

	turn.upstream = turn.checkTurn(t, turn.run)
	keyHeader, keyValue, otherHeader := "X-Api-Key", key, "Authorization"
	if keyEnv == "ANTHROPIC_AUTH_TOKEN" {
		keyHeader, keyValue, otherHeader = "Authorization", "Bearer "+key, "X-Api-Key"
	}
	for i, r := range turn.sent.list() {
		assert.Equal(t, http.StatusOK, r.status, "CLI request %d, %s %s?%s, was refused\n%s", i, r.method, r.path, r.query, turn.run)
		assert.Equal(t, keyValue, r.header.Get(keyHeader), "CLI request %d: the proxy key", i)
		assert.Empty(t, r.header.Get(otherHeader), "CLI request %d: a second credential", i)
	}
	for i, r := range turn.got.list() {
		assert.NotContains(t, fmt.Sprint(r.header), key, "upstream request %d: the caller's key in a header", i)
	}
	return turn
}

// records returns the server's usage records of the turn's channel, one
// per request the upstream answered, checked by agentChannel.records.
func (turn claudeCodeTurn) records(t *testing.T) []agentRecord {
	t.Helper()
	return turn.agentChannel.records(t, routex.FormatAnthropic, claudeModel, len(turn.upstream))
}

// requestLog keeps the method, path, query and headers of each request a
// handler serves, and the status it answered with.
type requestLog struct {
	mu   sync.Mutex
	reqs []loggedRequest
}

type loggedRequest struct {
	method, path, query string
	header              http.Header
	status              int
}

func (l *requestLog) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.reqs = append(l.reqs, loggedRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), status: sw.status})
	})
}

func (l *requestLog) list() []loggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loggedRequest(nil), l.reqs...)
}

// statusWriter notes the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// claudeCodeResult is the part of the CLI's JSON output (--output-format
// json) the test reads.
type claudeCodeResult struct {
	Result     string `json:"result"`
	IsError    bool   `json:"is_error"`
	NumTurns   int    `json:"num_turns"`
	SessionID  string `json:"session_id"`
	ModelUsage map[string]struct {
		InputTokens          int64 `json:"inputTokens"`
		OutputTokens         int64 `json:"outputTokens"`
		CacheReadInputTokens int64 `json:"cacheReadInputTokens"`
	} `json:"modelUsage"`
}

// runClaudeCode runs `claude -p prompt` with model in a new directory,
// pointed at baseURL with keyVar, the proxy key's environment variable
// (NAME=value), and fails the test if the CLI does not
// finish cleanly.
func runClaudeCode(t *testing.T, exe, baseURL, keyVar, model, prompt string) agentRun {
	t.Helper()
	home, workdir, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	configDir := filepath.Join(home, ".claude")
	// Only the shell tool is allowed, without asking (the CLI refuses
	// --dangerously-skip-permissions to root, which CI may be).
	//
	// Only what the CLI needs: no ANTHROPIC_* or proxy settings of the
	// machine's, and a HOME, config directory and TMPDIR of its own. One
	// attempt per request, so that a failure shows at once. Nothing may
	// leave the machine: the nonessential traffic switch turns off
	// telemetry (sent to Anthropic), error reports, update checks and a
	// reachability probe (HEAD /api/hello on the base URL); the first
	// three have switches of their own as well, set too.
	run := agentCommand{name: "claude", exe: exe, home: home, workdir: workdir, timeout: 2 * time.Minute,
		args: []string{"-p", prompt, "--output-format", "json", "--model", model, "--allowedTools", claudeCodeShellTool},
		env: []string{"TMPDIR=" + tmp, "CLAUDE_CONFIG_DIR=" + configDir,
			"ANTHROPIC_BASE_URL=" + baseURL, keyVar,
			"CLAUDE_CODE_MAX_RETRIES=0",
			"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1", "DISABLE_AUTOUPDATER=1"},
	}.run(t)
	// Events the CLI failed to send wait there to be sent again.
	queued, err := filepath.Glob(filepath.Join(configDir, "telemetry", "*"))
	require.NoError(t, err)
	assert.Empty(t, queued, "telemetry the CLI tried to send\n%s", run)
	return run
}
