package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

// codexBinary finds the Codex CLI: ROUTEX_CODEX, else codex on PATH.
func codexBinary(t *testing.T) string {
	return agentBinary(t, "ROUTEX_CODEX", "codex", "the Codex CLI", "@openai/codex")
}

// codexModel is a model Codex knows: it declares its usual tools for it,
// apply_patch as a freeform custom tool and a client-side tool_search
// among them. For a model it does not know (claudeModel) it falls back to
// other tools: no apply_patch, and its sub-agent tools in a namespace.
const (
	codexModel  = "gpt-5.5"
	claudeModel = "claude-sonnet-4-5"
)

// The usage every mock reports for each answer, in its own format's terms;
// all three mean 100 fresh input tokens, 30 read from the cache and 20
// output tokens, which is what the server must record.
const (
	mockFreshInput = 100
	mockCacheRead  = 30
	mockOutput     = 20
)

// TestCodexThroughServer runs the real Codex CLI against the server, which
// routes its Responses API requests to a channel whose upstream is a
// scripted provider of each format. The provider first asks for a shell
// command; Codex runs it and sends its output back under the same call id;
// the provider then answers with text, which Codex prints.
func TestCodexThroughServer(t *testing.T) {
	exe := codexBinary(t)
	t.Parallel()
	for _, tc := range []struct {
		name       string
		format     routex.Format
		model      string
		websockets bool // Codex first tries a WebSocket on GET /v1/responses
	}{
		{name: "responses upstream", format: routex.FormatResponses, model: codexModel},
		{name: "anthropic upstream", format: routex.FormatAnthropic, model: codexModel},
		{name: "chat upstream", format: routex.FormatOpenAI, model: codexModel},
		{name: "anthropic upstream, a model Codex does not know", format: routex.FormatAnthropic, model: claudeModel},
		{name: "responses upstream, websocket first", format: routex.FormatResponses, model: codexModel, websockets: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newAgentChannel(t, "codex", tc.format, tc.model, nil)
			run := runCodex(t, exe, c.ts.url+"/v1", c.key, tc.model, tc.websockets, agentPrompt)

			// Codex ran the command the provider asked for, which saw the
			// tool call answered, and printed the final answer.
			reqs := c.checkTurn(t, run)
			assert.Contains(t, run.stdout, c.up.finalText(), "Codex's final message\n%s", run)
			if tc.model == codexModel {
				for i, r := range reqs {
					assert.Contains(t, r.tools, "apply_patch", "request %d: Codex's freeform apply_patch tool, carried", i)
				}
			}
			if tc.websockets {
				// Served, or refused with the one answer (426) after which
				// Codex uses HTTP for the session at once; any other answer
				// makes it retry and then warn that it falls back.
				assert.LessOrEqual(t, strings.Count(run.stderr, "failed to connect to Responses WebSocket"), 1, "WebSocket attempts\n%s", run)
				assert.NotContains(t, run.stderr, "Reconnecting", "Codex retried the WebSocket\n%s", run)
				assert.NotContains(t, run.stderr, "Falling back from WebSockets", "Codex fell back only after failing\n%s", run)
			}

			// The server recorded each answer's usage on the channel.
			c.records(t, routex.FormatResponses, tc.model, len(reqs))
		})
	}
}

// runCodex runs `codex exec prompt` with model in a new directory, with a
// CODEX_HOME of its own whose config points Codex at baseURL with key. It fails the
// test if Codex does not finish cleanly.
func runCodex(t *testing.T, exe, baseURL, key, model string, websockets bool, prompt string) agentRun {
	t.Helper()
	home, workdir := t.TempDir(), t.TempDir()
	codexHome := filepath.Join(home, ".codex")
	require.NoError(t, os.Mkdir(codexHome, 0o700))
	// A custom provider speaking the Responses API, with the key from the
	// environment. No retries, so that a failure shows at once. Nothing
	// may leave the machine: the hosted web_search tool is off (no channel
	// but OpenAI's could run it), and so are analytics (events to
	// ab.chatgpt.com) and plugins (a git clone of the plugin marketplace
	// from github.com, and chatgpt.com) that Codex starts by default.
	config := fmt.Sprintf(`model = %q
model_provider = "routex"
web_search = "disabled"

[analytics]
enabled = false

[features]
plugins = false

[model_providers.routex]
name = "routex"
base_url = %q
env_key = "ROUTEX_E2E_API_KEY"
wire_api = "responses"
supports_websockets = %t
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 60000
`, model, baseURL, websockets)
	require.NoError(t, os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(config), 0o600))

	// Only what Codex needs: no OPENAI_API_KEY or proxy settings of the
	// machine's, and a HOME of its own.
	return agentCommand{name: "codex", exe: exe, home: home, workdir: workdir, timeout: 3 * time.Minute,
		args: []string{"exec",
			"--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--ephemeral",
			"--color", "never", "-C", workdir, prompt},
		env: []string{"CODEX_HOME=" + codexHome, "ROUTEX_E2E_API_KEY=" + key},
	}.run(t)
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// scriptedUpstream is a provider of one format that answers what arrives:
// a request that does not yet answer its shell call gets the call (after a
// line of text, as models do), one that does gets a text answer. It
// streams, and reports usage, as the real provider does.
type scriptedUpstream struct {
	*httptest.Server
	t      *testing.T
	format routex.Format
	token  string
	callID string

	mu   sync.Mutex
	reqs []scriptedRequest
}

// scriptedRequest is what the provider read from one request.
type scriptedRequest struct {
	raw          []byte
	credential   string   // the API key it was sent
	tools        []string // the names of the tools it declares
	toolOutputID string   // the id of the tool result it carries, if any
	toolOutput   string   // that result's text
}

func newScriptedUpstream(t *testing.T, format routex.Format, token string) *scriptedUpstream {
	u := &scriptedUpstream{t: t, format: format, token: token}
	switch format {
	case routex.FormatAnthropic:
		u.callID = "toolu_routex_e2e_01"
	default:
		u.callID = "call_routex_e2e_01"
	}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

// command is the shell command the provider asks Codex to run.
func (u *scriptedUpstream) command() string {
	return "printf '%s\\n' " + u.token + " > out.txt && cat out.txt"
}

func (u *scriptedUpstream) finalText() string { return "Done: the marker " + u.token + " is written." }

func (u *scriptedUpstream) received() []scriptedRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]scriptedRequest(nil), u.reqs...)
}

func (u *scriptedUpstream) serve(w http.ResponseWriter, r *http.Request) {
	path := map[routex.Format]string{
		routex.FormatAnthropic: "/v1/messages",
		routex.FormatOpenAI:    "/v1/chat/completions",
		routex.FormatResponses: "/v1/responses",
	}[u.format]
	if r.Method != http.MethodPost || r.URL.Path != path {
		u.t.Errorf("%s upstream: unexpected %s %s", u.format, r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || !gjson.ValidBytes(body) {
		u.t.Errorf("%s upstream: unreadable body (%v): %.300s", u.format, err, body)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !gjson.GetBytes(body, "stream").Bool() {
		u.t.Errorf("%s upstream: Codex streams, and the request was not streamed", u.format)
		http.Error(w, "not streamed", http.StatusBadRequest)
		return
	}
	req := scriptedRequest{raw: body}
	switch u.format {
	case routex.FormatAnthropic:
		req.credential = r.Header.Get("X-Api-Key")
		for _, tool := range gjson.GetBytes(body, "tools").Array() {
			req.tools = append(req.tools, tool.Get("name").String())
		}
		for _, m := range gjson.GetBytes(body, "messages").Array() {
			for _, part := range m.Get("content").Array() {
				if part.Get("type").String() == "tool_result" {
					req.toolOutputID, req.toolOutput = part.Get("tool_use_id").String(), contentText(part.Get("content"))
				}
			}
		}
	case routex.FormatOpenAI:
		req.credential, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		for _, tool := range gjson.GetBytes(body, "tools").Array() {
			req.tools = append(req.tools, tool.Get("function.name").String())
		}
		for _, m := range gjson.GetBytes(body, "messages").Array() {
			if m.Get("role").String() == "tool" {
				req.toolOutputID, req.toolOutput = m.Get("tool_call_id").String(), contentText(m.Get("content"))
			}
		}
	case routex.FormatResponses:
		req.credential, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		for _, tool := range gjson.GetBytes(body, "tools").Array() {
			req.tools = append(req.tools, tool.Get("name").String())
		}
		for _, item := range gjson.GetBytes(body, "input").Array() {
			if item.Get("type").String() == "function_call_output" {
				req.toolOutputID, req.toolOutput = item.Get("call_id").String(), contentText(item.Get("output"))
			}
		}
	}
	u.mu.Lock()
	u.reqs = append(u.reqs, req)
	u.mu.Unlock()

	answered := req.toolOutputID != ""
	if answered && req.toolOutputID != u.callID {
		u.t.Errorf("%s upstream: a tool result for %q, but the call was %q", u.format, req.toolOutputID, u.callID)
	}
	if !answered && !containsString(req.tools, "exec_command") {
		u.t.Errorf("%s upstream: the request declares no exec_command tool (tools: %v)", u.format, req.tools)
	}
	model := gjson.GetBytes(body, "model").String()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	sse := &sseWriter{t: u.t, w: w}
	switch u.format {
	case routex.FormatAnthropic:
		u.streamAnthropic(sse, model, answered)
	case routex.FormatOpenAI:
		u.streamChat(sse, model, answered, gjson.GetBytes(body, "stream_options.include_usage").Bool())
	case routex.FormatResponses:
		u.streamResponses(sse, model, answered)
	}
}

// contentText is the text of a tool result: a string, or a list of parts
// with text.
func contentText(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.String()
	}
	var b strings.Builder
	for _, part := range v.Array() {
		b.WriteString(part.Get("text").String())
	}
	return b.String()
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sseWriter writes server-sent events, each flushed at once.
type sseWriter struct {
	t *testing.T
	w http.ResponseWriter
}

// event writes one event; name is left out when empty (Chat streams have
// none).
func (s *sseWriter) event(name string, data any) {
	b, ok := data.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(data); err != nil {
			s.t.Errorf("marshalling an event: %v", err)
			return
		}
	}
	if name != "" {
		fmt.Fprintf(s.w, "event: %s\n", name)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	http.NewResponseController(s.w).Flush()
}

// halves splits s in two, so that a value arrives over two deltas.
func halves(s string) [2]string { return [2]string{s[:len(s)/2], s[len(s)/2:]} }

type obj = map[string]any

func (u *scriptedUpstream) callArguments() string {
	b, _ := json.Marshal(obj{"cmd": u.command()})
	return string(b)
}

func (u *scriptedUpstream) streamAnthropic(sse *sseWriter, model string, answered bool) {
	sse.event("message_start", obj{"type": "message_start", "message": obj{
		"id": "msg_routex_e2e", "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": obj{"input_tokens": mockFreshInput, "cache_read_input_tokens": mockCacheRead, "cache_creation_input_tokens": 0, "output_tokens": 1},
	}})
	text := "I will write the marker file."
	if answered {
		text = u.finalText()
	}
	sse.event("content_block_start", obj{"type": "content_block_start", "index": 0, "content_block": obj{"type": "text", "text": ""}})
	for _, part := range halves(text) {
		sse.event("content_block_delta", obj{"type": "content_block_delta", "index": 0, "delta": obj{"type": "text_delta", "text": part}})
	}
	sse.event("content_block_stop", obj{"type": "content_block_stop", "index": 0})
	stop := "end_turn"
	if !answered {
		stop = "tool_use"
		sse.event("content_block_start", obj{"type": "content_block_start", "index": 1,
			"content_block": obj{"type": "tool_use", "id": u.callID, "name": "exec_command", "input": obj{}}})
		for _, part := range halves(u.callArguments()) {
			sse.event("content_block_delta", obj{"type": "content_block_delta", "index": 1, "delta": obj{"type": "input_json_delta", "partial_json": part}})
		}
		sse.event("content_block_stop", obj{"type": "content_block_stop", "index": 1})
	}
	sse.event("message_delta", obj{"type": "message_delta", "delta": obj{"stop_reason": stop, "stop_sequence": nil},
		"usage": obj{"output_tokens": mockOutput}})
	sse.event("message_stop", obj{"type": "message_stop"})
}

func (u *scriptedUpstream) streamChat(sse *sseWriter, model string, answered, includeUsage bool) {
	chunk := func(choices []any, usage any) obj {
		c := obj{"id": "chatcmpl-routex-e2e", "object": "chat.completion.chunk", "created": 1767225600, "model": model, "choices": choices}
		if usage != nil {
			c["usage"] = usage
		}
		return c
	}
	delta := func(d obj, finish any) []any {
		return []any{obj{"index": 0, "delta": d, "finish_reason": finish, "logprobs": nil}}
	}
	sse.event("", chunk(delta(obj{"role": "assistant", "content": ""}, nil), nil))
	text := "I will write the marker file."
	if answered {
		text = u.finalText()
	}
	for _, part := range halves(text) {
		sse.event("", chunk(delta(obj{"content": part}, nil), nil))
	}
	finish := "stop"
	if !answered {
		finish = "tool_calls"
		args := halves(u.callArguments())
		sse.event("", chunk(delta(obj{"tool_calls": []any{obj{"index": 0, "id": u.callID, "type": "function",
			"function": obj{"name": "exec_command", "arguments": ""}}}}, nil), nil))
		for _, part := range args {
			sse.event("", chunk(delta(obj{"tool_calls": []any{obj{"index": 0, "function": obj{"arguments": part}}}}, nil), nil))
		}
	}
	sse.event("", chunk(delta(obj{}, finish), nil))
	if includeUsage {
		sse.event("", chunk([]any{}, obj{"prompt_tokens": mockFreshInput + mockCacheRead, "completion_tokens": mockOutput,
			"total_tokens": mockFreshInput + mockCacheRead + mockOutput, "prompt_tokens_details": obj{"cached_tokens": mockCacheRead}}))
	}
	sse.event("", []byte("[DONE]"))
}

func (u *scriptedUpstream) streamResponses(sse *sseWriter, model string, answered bool) {
	seq := 0
	event := func(name string, fields obj) {
		fields["type"], fields["sequence_number"] = name, seq
		seq++
		sse.event(name, fields)
	}
	response := func(status string, output []any, usage any) obj {
		return obj{"id": "resp_routex_e2e", "object": "response", "created_at": 1767225600, "status": status,
			"model": model, "output": output, "usage": usage}
	}
	event("response.created", obj{"response": response("in_progress", []any{}, nil)})
	event("response.in_progress", obj{"response": response("in_progress", []any{}, nil)})

	text := "I will write the marker file."
	if answered {
		text = u.finalText()
	}
	msgID := "msg_routex_e2e"
	textPart := func(s string) obj { return obj{"type": "output_text", "text": s, "annotations": []any{}} }
	message := func(status, s string) obj {
		content := []any{}
		if status == "completed" {
			content = []any{textPart(s)}
		}
		return obj{"type": "message", "id": msgID, "status": status, "role": "assistant", "content": content}
	}
	event("response.output_item.added", obj{"output_index": 0, "item": message("in_progress", "")})
	event("response.content_part.added", obj{"item_id": msgID, "output_index": 0, "content_index": 0, "part": textPart("")})
	for _, part := range halves(text) {
		event("response.output_text.delta", obj{"item_id": msgID, "output_index": 0, "content_index": 0, "delta": part, "logprobs": []any{}})
	}
	event("response.output_text.done", obj{"item_id": msgID, "output_index": 0, "content_index": 0, "text": text, "logprobs": []any{}})
	event("response.content_part.done", obj{"item_id": msgID, "output_index": 0, "content_index": 0, "part": textPart(text)})
	event("response.output_item.done", obj{"output_index": 0, "item": message("completed", text)})
	output := []any{message("completed", text)}

	if !answered {
		fcID, args := "fc_routex_e2e", u.callArguments()
		call := func(status, arguments string) obj {
			return obj{"type": "function_call", "id": fcID, "call_id": u.callID, "name": "exec_command", "arguments": arguments, "status": status}
		}
		event("response.output_item.added", obj{"output_index": 1, "item": call("in_progress", "")})
		for _, part := range halves(args) {
			event("response.function_call_arguments.delta", obj{"item_id": fcID, "output_index": 1, "delta": part})
		}
		event("response.function_call_arguments.done", obj{"item_id": fcID, "output_index": 1, "arguments": args})
		event("response.output_item.done", obj{"output_index": 1, "item": call("completed", args)})
		output = append(output, call("completed", args))
	}
	event("response.completed", obj{"response": response("completed", output, obj{
		"input_tokens": mockFreshInput + mockCacheRead, "input_tokens_details": obj{"cached_tokens": mockCacheRead},
		"output_tokens": mockOutput, "output_tokens_details": obj{"reasoning_tokens": 0},
		"total_tokens": mockFreshInput + mockCacheRead + mockOutput,
	})})
}

// sdkTurn is what an official SDK assembled from one streamed answer of a
// scripted upstream.
type sdkTurn struct {
	text                      string
	callID, callName, callCmd string
	input, cacheRead, output  int64 // in the record's terms: input excludes cache reads
}

// The scripted upstreams speak their formats as the official SDKs read
// them: each streams a text and the shell call, then, given the call's
// result, the final text, with usage. TestCodexThroughServer relies on
// that; this holds it without Codex.
func TestScriptedUpstreamsSpeakTheirFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format routex.Format
		turn   func(t *testing.T, baseURL, callID, output string) sdkTurn // callID == "": the first turn
	}{
		{routex.FormatAnthropic, anthropicTurn},
		{routex.FormatOpenAI, chatTurn},
		{routex.FormatResponses, responsesTurn},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			t.Parallel()
			token := "routex-e2e-" + randomHex(t)
			up := newScriptedUpstream(t, tc.format, token)
			first := tc.turn(t, up.URL, "", "")
			assert.Equal(t, "I will write the marker file.", first.text)
			assert.Equal(t, up.callID, first.callID)
			assert.Equal(t, "exec_command", first.callName)
			assert.Equal(t, up.command(), first.callCmd)
			final := tc.turn(t, up.URL, first.callID, token+"\n")
			assert.Equal(t, up.finalText(), final.text)
			assert.Empty(t, final.callID)
			for _, turn := range []sdkTurn{first, final} {
				assert.Equal(t, sdkTurn{input: mockFreshInput, cacheRead: mockCacheRead, output: mockOutput},
					sdkTurn{input: turn.input, cacheRead: turn.cacheRead, output: turn.output}, "usage")
			}
			reqs := up.received()
			require.Len(t, reqs, 2)
			assert.Equal(t, first.callID, reqs[1].toolOutputID)
			assert.Equal(t, token+"\n", reqs[1].toolOutput)
		})
	}
}

func cmdOf(t *testing.T, args string) string {
	var v struct {
		Cmd string `json:"cmd"`
	}
	require.NoError(t, json.Unmarshal([]byte(args), &v), args)
	return v.Cmd
}

var shellSchema = map[string]any{"cmd": map[string]any{"type": "string"}}

func anthropicTurn(t *testing.T, baseURL, callID, output string) sdkTurn {
	sdk := anthropic.NewClient(option.WithBaseURL(baseURL), option.WithAPIKey("sk-test"), option.WithMaxRetries(0))
	p := anthropic.MessageNewParams{Model: codexModel, MaxTokens: 1024,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("write the marker"))},
		Tools:    []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "exec_command", InputSchema: anthropic.ToolInputSchemaParam{Properties: shellSchema}}}}}
	if callID != "" {
		p.Messages = append(p.Messages,
			anthropic.NewAssistantMessage(anthropic.NewToolUseBlock(callID, map[string]any{"cmd": "true"}, "exec_command")),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock(callID, output, false)))
	}
	stream := sdk.Messages.NewStreaming(t.Context(), p)
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	turn := sdkTurn{input: msg.Usage.InputTokens, cacheRead: msg.Usage.CacheReadInputTokens, output: msg.Usage.OutputTokens}
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			turn.text += b.Text
		case "tool_use":
			turn.callID, turn.callName, turn.callCmd = b.ID, b.Name, cmdOf(t, string(b.Input))
		}
	}
	wantStop := anthropic.StopReasonEndTurn
	if turn.callID != "" {
		wantStop = anthropic.StopReasonToolUse
	}
	assert.Equal(t, wantStop, msg.StopReason)
	return turn
}

func chatTurn(t *testing.T, baseURL, callID, output string) sdkTurn {
	sdk := openai.NewClient(ooption.WithBaseURL(baseURL+"/v1"), ooption.WithAPIKey("sk-test"), ooption.WithMaxRetries(0))
	p := openai.ChatCompletionNewParams{Model: codexModel,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("write the marker")},
		Tools:         []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "exec_command", Parameters: openai.FunctionParameters{"type": "object", "properties": shellSchema}})},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}}
	if callID != "" {
		p.Messages = append(p.Messages,
			openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{
				ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: callID, Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "exec_command", Arguments: `{"cmd":"true"}`}}}}}},
			openai.ToolMessage(output, callID))
	}
	stream := sdk.Chat.Completions.NewStreaming(t.Context(), p)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		require.True(t, acc.AddChunk(stream.Current()), "every chunk fits the accumulator")
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	require.Len(t, acc.Choices, 1)
	msg := acc.Choices[0].Message
	turn := sdkTurn{text: msg.Content, input: acc.Usage.PromptTokens - acc.Usage.PromptTokensDetails.CachedTokens,
		cacheRead: acc.Usage.PromptTokensDetails.CachedTokens, output: acc.Usage.CompletionTokens}
	wantFinish := "stop"
	if len(msg.ToolCalls) > 0 {
		require.Len(t, msg.ToolCalls, 1)
		c := msg.ToolCalls[0]
		turn.callID, turn.callName, turn.callCmd = c.ID, c.Function.Name, cmdOf(t, c.Function.Arguments)
		wantFinish = "tool_calls"
	}
	assert.Equal(t, wantFinish, acc.Choices[0].FinishReason)
	return turn
}

func responsesTurn(t *testing.T, baseURL, callID, output string) sdkTurn {
	sdk := openai.NewClient(ooption.WithBaseURL(baseURL+"/v1"), ooption.WithAPIKey("sk-test"), ooption.WithMaxRetries(0))
	input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("write the marker", responses.EasyInputMessageRoleUser)}
	if callID != "" {
		result := responses.ResponseInputItemParamOfFunctionCallOutput(output)
		result.OfFunctionCallOutput.CallID = openai.String(callID)
		input = append(input, responses.ResponseInputItemParamOfFunctionCall(`{"cmd":"true"}`, callID, "exec_command"), result)
	}
	p := responses.ResponseNewParams{Model: codexModel, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input},
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "exec_command",
			Parameters: map[string]any{"type": "object", "properties": shellSchema}}}}}
	stream := sdk.Responses.NewStreaming(t.Context(), p)
	var (
		acc       responses.ResponseAccumulator
		seq       []int64
		completed *responses.Response
	)
	for stream.Next() {
		ev := stream.Current()
		seq = append(seq, ev.SequenceNumber)
		var server responses.ResponsesServerEventUnion
		require.NoError(t, json.Unmarshal([]byte(ev.RawJSON()), &server))
		require.NoError(t, acc.AddEvent(server), ev.Type)
		if ev.Type == "response.completed" {
			r := ev.Response
			completed = &r
		}
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	require.NotNil(t, completed, "no response.completed")
	for i, n := range seq {
		require.EqualValues(t, i, n, "sequence numbers from 0 up by one")
	}
	snap := acc.Snapshot()
	assert.Equal(t, "response.completed", snap.TerminalEvent)
	u := completed.Usage
	turn := sdkTurn{text: completed.OutputText(), input: u.InputTokens - u.InputTokensDetails.CachedTokens,
		cacheRead: u.InputTokensDetails.CachedTokens, output: u.OutputTokens}
	require.Len(t, snap.Output, len(completed.Output), "what was streamed is what completed")
	for i, item := range completed.Output {
		assert.Equal(t, item.Type, snap.Output[i].Type)
		if item.Type == "function_call" {
			turn.callID, turn.callName, turn.callCmd = item.CallID, item.Name, cmdOf(t, item.Arguments.OfString)
			assert.Equal(t, item.Arguments.OfString, snap.Output[i].Arguments)
		}
	}
	return turn
}
