package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// What the end-to-end tests of the real agents (Codex, Claude Code, the
// Gemini CLI) share: finding the binary, a server whose one channel is a
// scripted provider, running the agent, and the checks of its shell turn.

// agentBinary finds an agent's command line program: the path in the
// environment variable env, else name on PATH. Without one the test is
// skipped, unless ROUTEX_E2E=1 (set by .ci/run, which installs the npm
// package pkg) makes the missing binary a failure.
func agentBinary(t *testing.T, env, name, what, pkg string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("ROUTEX_E2E") == "1" {
		t.Fatalf("ROUTEX_E2E=1 but %s is not installed (set %s or put %s on PATH)", what, env, name)
	}
	t.Skipf("no %s; .ci/run installs it (npm %s) and sets %s", what, pkg, env)
	return ""
}

// agentPrompt is what every agent is asked to do.
const agentPrompt = "Write the marker file with a shell command, then say that you are done."

// agentChannel is a server whose one channel, named after the agent, has
// a scripted provider for upstream.
type agentChannel struct {
	id         string
	ts         *testServer
	up         *scriptedUpstream
	token      string // the marker the provider's shell command writes
	channelKey string // the channel's API key, which only the provider may see
	key        string // the proxy key the agent is given
}

// newAgentChannel starts a scripted provider of format and a server whose
// channel id serves model from it. front, when not nil, serves the
// provider to the server in its place (to rename an agent's shell tool, or
// to log what reaches it).
func newAgentChannel(t *testing.T, id string, format routex.Format, model string, front func(*scriptedUpstream) http.Handler) agentChannel {
	t.Helper()
	c := agentChannel{id: id, token: "routex-" + id + "-" + randomHex(t), channelKey: "sk-SECRET-" + id + "-channel-0123456789"}
	c.up = newScriptedUpstream(t, format, c.token)
	base := c.up.URL
	if front != nil {
		srv := httptest.NewServer(front(c.up))
		t.Cleanup(srv.Close)
		base = srv.URL
	}
	c.ts, c.key = agentServer(t, id, format, base, c.channelKey, model)
	return c
}

// agentServer starts a server whose one channel, id, of type format, serves
// model at base with key, and returns it with a proxy key named id.
func agentServer(t *testing.T, id string, format routex.Format, base, key, model string) (*testServer, string) {
	t.Helper()
	cfg := testConfig(t)
	cfg.AdminUser, cfg.AdminPassword = adminName, adminPassword
	cfg.Channels = docChannels([]routex.Channel{{ID: id, Type: format, BaseURL: base, APIKey: key, Models: []string{model}}})
	ts := newTestServer(t, cfg)
	_, proxyKey := makeKey(t, ts.client().with("", adminToken), id)
	return ts, proxyKey
}

// checkTurn checks the agent's shell turn through c (checkShellTurn), and
// that each request reached the provider declaring the shell tool (as
// exec_command: the agent's own name, renamed by agentShell), with the
// channel's key and without the agent's. It returns what the provider
// received.
func (c agentChannel) checkTurn(t *testing.T, run agentRun) []scriptedRequest {
	t.Helper()
	reqs := checkShellTurn(t, c.up, run.workdir, c.token, run)
	for i, r := range reqs {
		assert.Contains(t, r.tools, "exec_command", "request %d: the agent's shell tool", i)
		assert.Equal(t, c.channelKey, r.credential, "request %d: the channel's key", i)
		assert.NotContains(t, string(r.raw), c.key, "request %d: the caller's key reached the provider", i)
	}
	return reqs
}

// checkShellTurn checks that an agent ran, in workdir, the command the
// provider up asked for, and that up saw the call answered under its id
// with the command's output. It returns what up received.
func checkShellTurn(t *testing.T, up *scriptedUpstream, workdir, token string, run fmt.Stringer) []scriptedRequest {
	t.Helper()
	out, err := os.ReadFile(filepath.Join(workdir, "out.txt"))
	require.NoError(t, err, "the command did not run\n%s", run)
	assert.Equal(t, token+"\n", string(out))
	reqs := up.received()
	require.GreaterOrEqual(t, len(reqs), 2, "the provider got %d requests\n%s", len(reqs), run)
	first, answered := reqs[0], reqs[len(reqs)-1]
	assert.Empty(t, first.toolOutput, "the first request already answers a tool call")
	assert.Equal(t, up.callID, answered.toolOutputID, "the tool result's id")
	assert.Contains(t, answered.toolOutput, token, "the tool result carries the command's output")
	return reqs
}

// agentRecord is the part of a usage record the agent tests read.
type agentRecord struct {
	ChannelID       string `json:"channelId"`
	Model           string `json:"model"`
	InboundFormat   string `json:"inboundFormat"`
	UpstreamFormat  string `json:"upstreamFormat"`
	Stream          bool   `json:"stream"`
	Status          int    `json:"status"`
	InputTokens     int64  `json:"inputTokens"`
	OutputTokens    int64  `json:"outputTokens"`
	CacheReadTokens int64  `json:"cacheReadTokens"`
	Session         string `json:"session"`
}

// records returns the server's usage records of the channel, n of them,
// one per answer of the provider, and checks each: a streamed request in
// the inbound format for model, sent on in the provider's, answered, with
// the usage every mock reports.
func (c agentChannel) records(t *testing.T, inbound routex.Format, model string, n int) []agentRecord {
	t.Helper()
	c.ts.waitWritten(t, uint64(n))
	records := decodeAs[struct {
		Records []agentRecord `json:"records"`
	}](t, c.ts.client().with("", adminToken).do(t, http.MethodGet, "/api/requests?channel="+c.id, nil).want(t, http.StatusOK)).Records
	require.Len(t, records, n, "one record per answer")
	for i, rec := range records {
		assert.Equal(t, c.id, rec.ChannelID, "record %d", i)
		assert.Equal(t, model, rec.Model, "record %d: the model", i)
		assert.Equal(t, string(inbound), rec.InboundFormat, "record %d", i)
		assert.Equal(t, string(c.up.format), rec.UpstreamFormat, "record %d", i)
		assert.True(t, rec.Stream, "record %d: streamed", i)
		assert.Equal(t, http.StatusOK, rec.Status, "record %d", i)
		assert.Equal(t, int64(mockFreshInput), rec.InputTokens, "record %d: input tokens", i)
		assert.Equal(t, int64(mockCacheRead), rec.CacheReadTokens, "record %d: cache reads", i)
		assert.Equal(t, int64(mockOutput), rec.OutputTokens, "record %d: output tokens", i)
	}
	return records
}

// agentShell serves a scripted upstream, which asks for Codex's shell tool
// (exec_command, taking "cmd"), as a provider that asks for an agent's
// shell tool, named tool and taking "command", instead: the agent's tool
// is renamed in each request before the upstream reads it, and the call in
// each answer renamed back.
func agentShell(up *scriptedUpstream, tool string) http.Handler {
	// In an answer the call's arguments are JSON inside a JSON string, so
	// the quotes around their key are escaped.
	toAgent := strings.NewReplacer(`"exec_command"`, `"`+tool+`"`, `\"cmd\"`, `\"command\"`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(bytes.ReplaceAll(body, []byte(`"`+tool+`"`), []byte(`"exec_command"`))))
		r.ContentLength = -1
		answer := httptest.NewRecorder()
		up.serve(answer, r)
		for k, v := range answer.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(answer.Code)
		io.WriteString(w, toAgent.Replace(answer.Body.String()))
	})
}

// agentCommand is one run of an agent's command line, headless.
type agentCommand struct {
	name          string // the program, for messages
	exe           string
	args          []string
	home, workdir string   // its HOME, and the directory it runs in
	env           []string // besides PATH, HOME and LANG: nothing of the machine's
	timeout       time.Duration
}

// agentRun is what one run of an agent left behind.
type agentRun struct {
	name           string
	workdir        string
	stdout, stderr string
}

func (r agentRun) String() string {
	return fmt.Sprintf("%s stdout:\n%s\n%s stderr:\n%s", r.name, r.stdout, r.name, r.stderr)
}

// run runs the command with no input and fails the test if it does not
// finish cleanly within the timeout.
func (c agentCommand) run(t *testing.T) agentRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.exe, c.args...)
	cmd.Dir = c.workdir
	cmd.Stdin = strings.NewReader("")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.home, "LANG=C.UTF-8"}, c.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	run := agentRun{name: c.name, workdir: c.workdir, stdout: stdout.String(), stderr: stderr.String()}
	require.NoError(t, err, "%s %s\n%s", c.name, c.args[0], run)
	return run
}

// agentResult decodes the JSON an agent printed (its --output-format
// json) into T, the part of it a test reads.
func agentResult[T any](t *testing.T, run agentRun) T {
	t.Helper()
	var res T
	require.NoError(t, json.Unmarshal([]byte(run.stdout), &res), "the agent's JSON output\n%s", run)
	return res
}
