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

// geminiCLIBinary finds the Gemini CLI: ROUTEX_GEMINI_CLI, else gemini on
// PATH.
func geminiCLIBinary(t *testing.T) string {
	return agentBinary(t, "ROUTEX_GEMINI_CLI", "gemini", "the Gemini CLI", "@google/gemini-cli")
}

// geminiCLIModel is the model the CLI is started with. Given one, the CLI
// sends every turn to it; without one it first asks a small model to
// classify the prompt, in requests of their own.
const geminiCLIModel = "gemini-2.5-pro"

// geminiShellTool is the Gemini CLI's shell tool; it takes the command
// line as "command".
const geminiShellTool = "run_shell_command"

// TestGeminiCLIThroughServer runs the real Gemini CLI against the server,
// which takes its Gemini API requests (streamGenerateContent, the key in
// x-goog-api-key) and routes them to a channel whose upstream is a scripted
// provider of each format. The provider first asks for a shell command;
// the CLI runs it and sends its output back as a functionResponse, which
// must reach the provider under the provider's call id; the provider then
// answers with text, which the CLI prints.
func TestGeminiCLIThroughServer(t *testing.T) {
	exe := geminiCLIBinary(t)
	t.Parallel()
	for _, format := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI, routex.FormatResponses} {
		t.Run(string(format), func(t *testing.T) {
			token := "routex-gemini-" + randomHex(t)
			up := newScriptedUpstream(t, format, token)
			front := httptest.NewServer(geminiShell(up))
			t.Cleanup(front.Close)
			const channelKey = "sk-SECRET-gemini-channel-0123456789"
			ts, key := agentServer(t, "gemini", format, front.URL, channelKey, geminiCLIModel)

			run := runGeminiCLI(t, exe, ts.url, key, geminiCLIModel,
				"Write the marker file with a shell command, then say that you are done.")

			// The CLI ran the command the provider asked for, which saw the
			// call answered under its id, and printed the final answer.
			reqs := checkShellTurn(t, up, run.workdir, token, run)
			for i, r := range reqs {
				// exec_command is the CLI's run_shell_command, renamed by geminiShell.
				assert.Contains(t, r.tools, "exec_command", "request %d: the CLI's shell tool", i)
				assert.Equal(t, channelKey, r.credential, "request %d: the channel's key", i)
				assert.NotContains(t, string(r.raw), key, "request %d: the caller's key reached the provider", i)
			}
			res := run.result(t)
			assert.Contains(t, res.Response, up.finalText(), "the CLI's final message\n%s", run)
			tools := res.Stats.Tools.ByName[geminiShellTool]
			assert.Equal(t, 1, tools.Count, "shell calls the CLI made\n%s", run)
			assert.Equal(t, 1, tools.Success, "shell calls that succeeded\n%s", run)

			// The CLI read each answer's usage in Gemini's terms, where the
			// prompt count includes cache reads.
			require.Contains(t, res.Stats.Models, geminiCLIModel, "the CLI's stats\n%s", run)
			stats := res.Stats.Models[geminiCLIModel]
			n := int64(len(reqs))
			assert.Equal(t, int(n), stats.API.TotalRequests, "requests the CLI counted")
			assert.Zero(t, stats.API.TotalErrors, "errors the CLI counted")
			assert.Equal(t, n*(mockFreshInput+mockCacheRead), stats.Tokens.Prompt, "prompt tokens the CLI counted")
			assert.Equal(t, n*mockCacheRead, stats.Tokens.Cached, "cached tokens the CLI counted")
			assert.Equal(t, n*mockOutput, stats.Tokens.Candidates, "output tokens the CLI counted")

			// The server recorded each answer's usage on the channel, under
			// the model named in the path.
			ts.waitWritten(t, uint64(n))
			records := decodeAs[struct {
				Records []struct {
					ChannelID       string `json:"channelId"`
					Model           string `json:"model"`
					InboundFormat   string `json:"inboundFormat"`
					UpstreamFormat  string `json:"upstreamFormat"`
					Stream          bool   `json:"stream"`
					Status          int    `json:"status"`
					InputTokens     int64  `json:"inputTokens"`
					OutputTokens    int64  `json:"outputTokens"`
					CacheReadTokens int64  `json:"cacheReadTokens"`
				} `json:"records"`
			}](t, ts.client().with("", adminToken).do(t, http.MethodGet, "/api/requests?channel=gemini", nil).want(t, http.StatusOK)).Records
			require.Len(t, records, len(reqs), "one record per answer")
			for i, rec := range records {
				assert.Equal(t, "gemini", rec.ChannelID, "record %d", i)
				assert.Equal(t, geminiCLIModel, rec.Model, "record %d: the model", i)
				assert.Equal(t, string(routex.FormatGemini), rec.InboundFormat, "record %d", i)
				assert.Equal(t, string(format), rec.UpstreamFormat, "record %d", i)
				assert.True(t, rec.Stream, "record %d: streamed", i)
				assert.Equal(t, http.StatusOK, rec.Status, "record %d", i)
				assert.Equal(t, int64(mockFreshInput), rec.InputTokens, "record %d: input tokens", i)
				assert.Equal(t, int64(mockCacheRead), rec.CacheReadTokens, "record %d: cache reads", i)
				assert.Equal(t, int64(mockOutput), rec.OutputTokens, "record %d: output tokens", i)
			}
		})
	}
}

// geminiShell serves a scripted upstream as a provider that asks for the
// Gemini CLI's shell tool.
func geminiShell(up *scriptedUpstream) http.Handler { return agentShell(up, geminiShellTool) }

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

// geminiCLIRun is what one `gemini --prompt` left behind.
type geminiCLIRun struct {
	workdir        string
	stdout, stderr string
}

func (r geminiCLIRun) String() string {
	return fmt.Sprintf("gemini stdout:\n%s\ngemini stderr:\n%s", r.stdout, r.stderr)
}

// geminiCLIResult is the part of the CLI's JSON output (--output-format
// json) the test reads.
type geminiCLIResult struct {
	Response string `json:"response"`
	Stats    struct {
		Models map[string]struct {
			API struct {
				TotalRequests int `json:"totalRequests"`
				TotalErrors   int `json:"totalErrors"`
			} `json:"api"`
			Tokens struct {
				Prompt     int64 `json:"prompt"`
				Candidates int64 `json:"candidates"`
				Cached     int64 `json:"cached"`
			} `json:"tokens"`
		} `json:"models"`
		Tools struct {
			ByName map[string]struct {
				Count   int `json:"count"`
				Success int `json:"success"`
			} `json:"byName"`
		} `json:"tools"`
	} `json:"stats"`
}

func (r geminiCLIRun) result(t *testing.T) geminiCLIResult {
	t.Helper()
	var res geminiCLIResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), "the CLI's JSON output\n%s", r)
	return res
}

// runGeminiCLI runs `gemini --prompt prompt` with model in a new directory,
// with a HOME of its own whose settings point the CLI at baseURL with key,
// and fails the test if the CLI does not finish cleanly.
func runGeminiCLI(t *testing.T, exe, baseURL, key, model, prompt string) geminiCLIRun {
	t.Helper()
	home, workdir, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	settingsDir := filepath.Join(home, ".gemini")
	require.NoError(t, os.Mkdir(settingsDir, 0o700))
	// The key is a Gemini API key: with GOOGLE_GEMINI_BASE_URL set and no
	// auth type chosen, the CLI takes itself to be behind a gateway, which
	// it refuses to run headless with. The workspace is trusted (else yolo
	// falls back to asking). One attempt per request, so that a failure
	// shows at once. Nothing may leave the machine: usage statistics (sent
	// to Google's logging service), telemetry and update checks are off.
	settings := `{
  "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},
  "general": {"maxAttempts": 1, "retryFetchErrors": false, "enableAutoUpdate": false, "enableAutoUpdateNotification": false},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false}
}
`
	require.NoError(t, os.WriteFile(filepath.Join(settingsDir, "settings.json"), []byte(settings), 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--model", model, "--approval-mode", "yolo", "--output-format", "json", "--prompt", prompt)
	cmd.Dir = workdir
	cmd.Stdin = strings.NewReader("")
	// Only what the CLI needs: no GEMINI_API_KEY or proxy settings of the
	// machine's, and a HOME and TMPDIR (where it writes its error reports)
	// of its own. GEMINI_CLI_NO_RELAUNCH keeps it one process rather than
	// a parent waiting on a relaunched child.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + tmp, "LANG=C.UTF-8",
		"GOOGLE_GEMINI_BASE_URL=" + baseURL, "GEMINI_API_KEY=" + key, "GEMINI_CLI_NO_RELAUNCH=true"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	run := geminiCLIRun{workdir: workdir, stdout: stdout.String(), stderr: stderr.String()}
	require.NoError(t, err, "gemini --prompt\n%s", run)
	return run
}
