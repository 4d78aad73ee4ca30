package main

import (
	"net/http"
	"os"
	"path/filepath"
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
			c := newAgentChannel(t, "gemini", format, geminiCLIModel, geminiShell)
			run := runGeminiCLI(t, exe, c.ts.url, c.key, geminiCLIModel, agentPrompt)

			// The CLI ran the command the provider asked for, which saw the
			// call answered under its id, and printed the final answer.
			reqs := c.checkTurn(t, run)
			res := agentResult[geminiCLIResult](t, run)
			assert.Contains(t, res.Response, c.up.finalText(), "the CLI's final message\n%s", run)
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
			c.records(t, routex.FormatGemini, geminiCLIModel, len(reqs))
		})
	}
}

// geminiShell serves a scripted upstream as a provider that asks for the
// Gemini CLI's shell tool.
func geminiShell(up *scriptedUpstream) http.Handler { return agentShell(up, geminiShellTool) }

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

// runGeminiCLI runs `gemini --prompt prompt` with model in a new directory,
// with a HOME of its own whose settings point the CLI at baseURL with key,
// and fails the test if the CLI does not finish cleanly.
func runGeminiCLI(t *testing.T, exe, baseURL, key, model, prompt string) agentRun {
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

	// Only what the CLI needs: no GEMINI_API_KEY or proxy settings of the
	// machine's, and a HOME and TMPDIR (where it writes its error reports)
	// of its own. GEMINI_CLI_NO_RELAUNCH keeps it one process rather than
	// a parent waiting on a relaunched child.
	return agentCommand{name: "gemini", exe: exe, home: home, workdir: workdir, timeout: 3 * time.Minute,
		args: []string{"--model", model, "--approval-mode", "yolo", "--output-format", "json", "--prompt", prompt},
		env:  []string{"TMPDIR=" + tmp, "GOOGLE_GEMINI_BASE_URL=" + baseURL, "GEMINI_API_KEY=" + key, "GEMINI_CLI_NO_RELAUNCH=true"},
	}.run(t)
}
