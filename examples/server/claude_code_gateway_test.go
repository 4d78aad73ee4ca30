package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

// gatewayUpstream is an Anthropic API that keeps every request as it
// arrived, byte for byte.
type gatewayUpstream struct {
	*httptest.Server
	name string
	mu   sync.Mutex
	got  []gatewayRequest
}

type gatewayRequest struct {
	method, path, query string
	header              http.Header
	body                []byte
}

func newGatewayUpstream(t *testing.T, name string) *gatewayUpstream {
	t.Helper()
	u := &gatewayUpstream{name: name}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, gatewayRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		u.mu.Unlock()
		w.Header().Set("Request-Id", "req_"+name)
		switch {
		case r.URL.Path == "/v1/models":
			io.WriteString(w, `{"data":[{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"}],"has_more":false}`)
		case r.URL.Path == "/v1/messages/count_tokens":
			io.WriteString(w, `{"input_tokens":42}`)
		case gjson.GetBytes(b, "stream").Bool():
			w.Header().Set("Content-Type", "text/event-stream")
			for _, ev := range []string{
				`event: message_start` + "\n" + `data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":5,"output_tokens":1}}}`,
				`event: content_block_start` + "\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
				`event: content_block_delta` + "\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"from ` + name + `"}}`,
				`event: content_block_stop` + "\n" + `data: {"type":"content_block_stop","index":0}`,
				`event: message_delta` + "\n" + `data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`,
				`event: message_stop` + "\n" + `data: {"type":"message_stop"}`,
			} {
				io.WriteString(w, ev+"\n\n")
			}
		default:
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"from `+name+`"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}`)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *gatewayUpstream) last(t *testing.T) gatewayRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	require.NotEmpty(t, u.got, "upstream %s was not asked", u.name)
	return u.got[len(u.got)-1]
}

func (u *gatewayUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.got)
}

// claudeCodeBody is a request as Claude Code sends it: the attribution
// block first in the system prompt, cache breakpoints, thinking, tools,
// context management and the session in metadata.
const claudeCodeBody = `{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,` +
	`"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.90; cc_entrypoint=cli;"},` +
	`{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],` +
	`"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],` +
	`"thinking":{"type":"enabled","budget_tokens":31999},` +
	`"tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}],` +
	`"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},` +
	`"metadata":{"user_id":"user_abc_account_def_session_0f1e"}}`

const claudeCodeBeta = "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14,context-management-2025-06-27"

// TestClaudeCodeGatewayContract checks the Anthropic Messages part of
// Claude Code's LLM gateway protocol through the server: each subtest is
// one requirement a gateway must meet for Claude Code pointed at it with
// ANTHROPIC_BASE_URL.
func TestClaudeCodeGatewayContract(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	a, b := newGatewayUpstream(t, "a"), newGatewayUpstream(t, "b")
	for _, u := range []*gatewayUpstream{a, b} {
		ch := routex.Channel{ID: "cc-" + u.name, Type: routex.FormatAnthropic, BaseURL: u.URL, APIKey: channelKey, Models: []string{"claude-*"}}
		c.do(t, http.MethodPost, "/api/channels", ch).want(t, http.StatusCreated)
	}
	c.do(t, http.MethodDelete, "/api/channels/main", nil).want(t, http.StatusNoContent)
	c.do(t, http.MethodPut, "/api/strategy", map[string]string{"strategy": "round_robin"}).want(t, http.StatusOK)
	_, key := makeKey(t, c, "claude-code")

	// send is Claude Code's request: its headers, and its key as
	// ANTHROPIC_API_KEY (x-api-key) or ANTHROPIC_AUTH_TOKEN (Bearer).
	send := func(t *testing.T, method, path, body string, bearer bool, extra ...string) *http.Response {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(t.Context(), method, ts.url+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Anthropic-Version", "2023-06-01")
		req.Header.Set("Anthropic-Beta", claudeCodeBeta)
		req.Header.Set("User-Agent", "claude-cli/2.1.90 (external, cli)")
		req.Header.Set("X-App", "cli")
		if bearer {
			req.Header.Set("Authorization", "Bearer "+key)
		} else {
			req.Header.Set("X-Api-Key", key)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	t.Run("serves /v1/messages streamed as Anthropic SSE", func(t *testing.T) {
		resp := send(t, http.MethodPost, "/v1/messages?beta=true", claudeCodeBody, false)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/event-stream")
		var events []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events = append(events, name)
			}
		}
		assert.Equal(t, []string{"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}, events)
	})

	t.Run("serves /v1/messages/count_tokens", func(t *testing.T) {
		resp := send(t, http.MethodPost, "/v1/messages/count_tokens?beta=true", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`, false)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, int64(42), gjson.GetBytes(body, "input_tokens").Int(), "the upstream's count: %s", body)
	})

	// The rest go to one channel, the session's, so that the upstream
	// request is the latest of that channel.
	session := "3f0e7a1c-5b8d-4e2a-9c61-0d7b2f4e8a90"
	post := func(t *testing.T, body string, bearer bool, extra ...string) (*http.Response, gatewayRequest) {
		t.Helper()
		na, nb := a.count(), b.count()
		resp := send(t, http.MethodPost, "/v1/messages?beta=true", body, bearer, append([]string{"X-Claude-Code-Session-Id", session}, extra...)...)
		io.Copy(io.Discard, resp.Body)
		switch {
		case a.count() > na:
			return resp, a.last(t)
		case b.count() > nb:
			return resp, b.last(t)
		}
		t.Fatal("no upstream was asked")
		return nil, gatewayRequest{}
	}

	t.Run("forwards anthropic-beta unchanged", func(t *testing.T) {
		_, got := post(t, claudeCodeBody, false)
		assert.Equal(t, []string{claudeCodeBeta}, got.header["Anthropic-Beta"])
	})

	t.Run("forwards anthropic-version unchanged", func(t *testing.T) {
		_, got := post(t, claudeCodeBody, false, "Anthropic-Version", "2023-06-01")
		assert.Equal(t, []string{"2023-06-01"}, got.header["Anthropic-Version"])
	})

	t.Run("forwards the request body unchanged", func(t *testing.T) {
		_, got := post(t, claudeCodeBody, false)
		assert.Equal(t, claudeCodeBody, string(got.body), "attribution block, cache_control, thinking, tools, context_management and metadata arrive byte for byte")
	})

	t.Run("forwards the beta query flag", func(t *testing.T) {
		_, got := post(t, claudeCodeBody, false)
		assert.Equal(t, "/v1/messages", got.path)
		assert.Equal(t, "beta=true", got.query)
	})

	t.Run("accepts the key as ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY, never forwarding it", func(t *testing.T) {
		for _, bearer := range []bool{true, false} {
			resp, got := post(t, claudeCodeBody, bearer)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, channelKey, got.header.Get("X-Api-Key"), "the channel's key goes upstream")
			assert.NotContains(t, got.header.Get("Authorization"), key)
		}
	})

	t.Run("X-Claude-Code-Session-Id keys the session", func(t *testing.T) {
		first, _ := post(t, claudeCodeBody, false)
		require.Equal(t, http.StatusOK, first.StatusCode)
		na, nb := a.count(), b.count()
		for range 6 {
			post(t, claudeCodeBody, false)
		}
		da, db := a.count()-na, b.count()-nb
		assert.True(t, da == 6 && db == 0 || da == 0 && db == 6, "the session's requests went to both channels: %d and %d", da, db)
		sticky := map[bool]string{true: "a", false: "b"}[da == 6]
		// Without the header, round robin spreads the same requests.
		na, nb = a.count(), b.count()
		for range 4 {
			resp := send(t, http.MethodPost, "/v1/messages", strings.Replace(claudeCodeBody, `"metadata":{"user_id":"user_abc_account_def_session_0f1e"}`, `"metadata":{}`, 1), false)
			io.Copy(io.Discard, resp.Body)
		}
		assert.Positive(t, a.count()-na, "round robin reached a")
		assert.Positive(t, b.count()-nb, "round robin reached b")
		sessions := c.do(t, http.MethodGet, "/api/sessions", nil).want(t, http.StatusOK)
		assert.Contains(t, string(sessions.body), `"key":"`+session+`"`)
		assert.Contains(t, string(sessions.body), `"channelId":"cc-`+sticky+`"`)
	})

	t.Run("answers the connectivity check HEAD /api/hello", func(t *testing.T) {
		for _, method := range []string{http.MethodHead, http.MethodGet} {
			resp := send(t, method, "/api/hello", "", false)
			assert.Equal(t, http.StatusOK, resp.StatusCode, method)
		}
	})

	t.Run("returns the provider's request-id", func(t *testing.T) {
		resp, _ := post(t, claudeCodeBody, false)
		assert.True(t, strings.HasPrefix(resp.Header.Get("Request-Id"), "req_"), "request-id: %q", resp.Header.Get("Request-Id"))
	})

	t.Run("model discovery answers GET /v1/models in Anthropic's shape", func(t *testing.T) {
		for _, bearer := range []bool{true, false} {
			resp := send(t, http.MethodGet, "/v1/models?limit=1000", "", bearer)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, "model", gjson.GetBytes(body, "data.0.type").Str, "%s", body)
			assert.Equal(t, "claude-opus-4-1", gjson.GetBytes(body, "data.0.id").Str, "the glob's model, as the provider lists it")
			assert.Equal(t, "Claude Opus 4.1", gjson.GetBytes(body, "data.0.display_name").Str)
			assert.Equal(t, "2025-08-05T00:00:00Z", gjson.GetBytes(body, "data.0.created_at").Str)
			assert.Equal(t, "claude-opus-4-1", gjson.GetBytes(body, "first_id").Str)
			assert.Equal(t, "claude-opus-4-1", gjson.GetBytes(body, "last_id").Str)
			assert.False(t, gjson.GetBytes(body, "has_more").Bool())
			assert.True(t, gjson.GetBytes(body, "has_more").Exists())
		}
	})
}
