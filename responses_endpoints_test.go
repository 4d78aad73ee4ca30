package routex_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// endpointChannels are one channel of each format: Anthropic for claude-*,
// Chat for gpt-4*, Responses for gpt-5*.
type endpointChannels struct {
	claude, chat, resp *mockupstream.Server
	chs                []routex.Channel
}

func newEndpointChannels(t *testing.T) *endpointChannels {
	e := &endpointChannels{claude: mock(t, "claude"), chat: mock(t, "chat"), resp: responsesMock(t, "resp")}
	a := channel("claude", routex.FormatAnthropic, e.claude)
	a.Models = []string{"claude-*"}
	o := channel("chat", routex.FormatOpenAI, e.chat)
	o.Models = []string{"gpt-4*"}
	r := channel("resp", routex.FormatResponses, e.resp)
	r.Models = []string{"gpt-5*"}
	e.chs = []routex.Channel{a, o, r}
	return e
}

// calls counts the requests every provider has received.
func (e *endpointChannels) calls() int { return e.claude.Calls() + e.chat.Calls() + e.resp.Calls() }

// wantOpenAIError checks an error body in OpenAI's shape (Chat and
// Responses callers read the same) and returns its message.
func wantOpenAIError(t *testing.T, body, code string) string {
	t.Helper()
	assert.False(t, gjson.Get(body, "type").Exists(), "OpenAI's shape has no top-level type: %s", body)
	e := gjson.Get(body, "error")
	require.True(t, e.IsObject(), body)
	for _, k := range []string{"message", "type", "param", "code"} {
		assert.True(t, e.Get(k).Exists(), "error.%s in %s", k, body)
	}
	assert.Equal(t, code, e.Get("code").Str, body)
	return e.Get("message").Str
}

// wantAnthropicError checks an error body in Anthropic's shape and
// returns its message.
func wantAnthropicError(t *testing.T, body, typ string) string {
	t.Helper()
	assert.Equal(t, "error", gjson.Get(body, "type").Str, body)
	assert.Equal(t, typ, gjson.Get(body, "error.type").Str, body)
	return gjson.Get(body, "error.message").Str
}

// Each endpoint goes where it belongs: the Responses API and its token
// counting and compaction to Responses channels (under the channel's own
// path), Anthropic's token counting to Anthropic channels, and the formats
// to one another, converted.
func TestResponsesEndpointsRouting(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t, routex.WithChannels(e.chs...))
	respBody := func(model string) string { return fmt.Sprintf(`{"model":%q,"input":"hi"}`, model) }
	cases := []struct {
		name, path, body string
		channel          string // the channel that answers
		upstreamPath     string // where the request reached it
	}{
		{"responses", "/v1/responses", respBody("gpt-5"), "resp", "/v1/responses"},
		{"responses under a prefix", "/proxy/v1/responses", respBody("gpt-5"), "resp", "/v1/responses"},
		{"input tokens", "/v1/responses/input_tokens", respBody("gpt-5"), "resp", "/v1/responses/input_tokens"},
		{"compact", "/v1/responses/compact", respBody("gpt-5"), "resp", "/v1/responses/compact"},
		{"count tokens", "/v1/messages/count_tokens", `{"model":"claude-x","messages":[]}`, "claude", "/v1/messages/count_tokens"},
		{"responses to anthropic", "/v1/responses", respBody("claude-x"), "claude", "/v1/messages"},
		{"responses to chat", "/v1/responses", respBody("gpt-4.1"), "chat", "/v1/chat/completions"},
		{"anthropic to responses", "/v1/messages", anthropicBody("gpt-5", "hi"), "resp", "/v1/responses"},
		{"chat to responses", "/v1/chat/completions", `{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}`, "resp", "/v1/responses"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.resp.Calls()
			resp, body := post(t, c, tc.path, tc.body, "Authorization", "Bearer caller-key")
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, tc.channel, channelOf(resp))
			var got string
			switch tc.channel {
			case "resp":
				s := requestSince(t, e.resp, before)
				got = s.Path
				assert.Equal(t, "Bearer "+e.chs[2].APIKey, s.Header.Get("Authorization"), "the channel's key, as a bearer token")
			case "claude":
				got = e.claude.Last().Path
				assert.Equal(t, e.chs[0].APIKey, e.claude.Last().Header.Get("X-Api-Key"))
			case "chat":
				got = e.chat.Last().Path
			}
			assert.Equal(t, tc.upstreamPath, got)
		})
	}
}

// A WebSocket upgrade on the Responses endpoint is answered 426 in
// OpenAI's error shape, which makes Codex go over HTTP at once, and
// nothing reaches a provider.
func TestResponsesWebSocketUpgradeRefused(t *testing.T) {
	e := newEndpointChannels(t)
	recs := newRecords()
	c := newClient(t, routex.WithChannels(e.chs...), routex.WithRecorder(recs))
	for _, path := range []string{"/v1/responses", "/codex/v1/responses"} {
		resp, body := send(t, c, http.MethodGet, "http://routex.invalid"+path, "",
			"Upgrade", "websocket", "Connection", "Upgrade", "Sec-Websocket-Version", "13",
			"Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Openai-Beta", "responses_websockets=2026-02-06",
			"Authorization", "Bearer caller-key")
		assert.Equal(t, http.StatusUpgradeRequired, resp.StatusCode, body)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.Equal(t, "false", resp.Header.Get("X-Should-Retry"))
		msg := wantOpenAIError(t, body, "websocket_not_supported")
		assert.Contains(t, msg, "POST /v1/responses")
	}
	assert.Zero(t, e.calls())
	// Nothing was routed: the client's probe is no request to record.
	resp, _ := post(t, c, "/v1/responses", `{"model":"gpt-5","input":"hi"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "openai-responses", recs.last(t, 1).InboundFormat)
}

// Token counting is answered from the Client's own estimate when no
// channel of the caller's format serves the model, or when the one that
// does has no such endpoint; with one that has, the provider counts.
func TestTokenCountingAnsweredLocally(t *testing.T) {
	e := newEndpointChannels(t)
	// The estimate the Client makes of a request is what a rule sees as
	// Request.InputTokens: captured from the same bodies sent as turns.
	estimates := map[string]int{}
	capture := routex.MatcherFunc(func(r *routex.Request) (bool, error) {
		if p := r.HTTP.URL.Path; p == "/v1/messages" || p == "/v1/responses" {
			estimates[string(r.Format)+" "+r.Model] = r.InputTokens()
		}
		return false, nil
	})
	c := newClient(t, routex.WithChannels(e.chs...), routex.WithCondition("capture", capture),
		routex.WithRules(routex.Rule{ID: "capture", Condition: routex.Condition{Custom: "capture"}, Target: routex.Target{Channel: "claude"}}))
	const anthropicReq = `{"model":%q,"system":"Be brief.","messages":[{"role":"user","content":"Count the tokens of this sentence, please."}],"tools":[{"name":"t","input_schema":{"type":"object"}}]}`
	const responsesReq = `{"model":%q,"instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"Count the tokens of this sentence, please."}]}]}`
	for _, m := range []string{"gpt-4.1", "claude-x"} {
		post(t, c, "/v1/messages", fmt.Sprintf(anthropicReq, m))
	}
	post(t, c, "/v1/responses", fmt.Sprintf(responsesReq, "gpt-4.1"))
	require.Len(t, estimates, 3)

	calls := e.calls()
	cases := []struct {
		name, path, body string
		want             string
	}{
		{"count_tokens, no Anthropic channel", "/v1/messages/count_tokens", fmt.Sprintf(anthropicReq, "gpt-4.1"),
			fmt.Sprintf(`{"input_tokens":%d}`, estimates["anthropic gpt-4.1"])},
		{"count_tokens, no channel at all", "/v1/messages/count_tokens", fmt.Sprintf(anthropicReq, "llama-3"),
			fmt.Sprintf(`{"input_tokens":%d}`, estimates["anthropic gpt-4.1"])},
		{"input_tokens, no Responses channel", "/v1/responses/input_tokens", fmt.Sprintf(responsesReq, "gpt-4.1"),
			fmt.Sprintf(`{"object":"response.input_tokens","input_tokens":%d}`, estimates["openai-responses gpt-4.1"])},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, c, tc.path, tc.body)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.JSONEq(t, tc.want, body)
			assert.Equal(t, "estimate", resp.Header.Get("X-Routex-Token-Count"))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		})
	}
	assert.Equal(t, calls, e.calls(), "counted without a provider")
	assert.Positive(t, estimates["anthropic gpt-4.1"])

	t.Run("the provider counts when it can", func(t *testing.T) {
		before := e.resp.Calls()
		resp, body := post(t, c, "/v1/responses/input_tokens", fmt.Sprintf(responsesReq, "gpt-5"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.EqualValues(t, upstreamTokenCount, gjson.Get(body, "input_tokens").Int())
		assert.Empty(t, resp.Header.Get("X-Routex-Token-Count"))
		assert.Equal(t, "/v1/responses/input_tokens", requestSince(t, e.resp, before).Path)
	})
	t.Run("a provider without the endpoint", func(t *testing.T) {
		e.claude.Always(mockupstream.Behavior{Status: http.StatusNotFound})
		defer e.claude.Always(mockupstream.Behavior{})
		before := e.claude.Calls()
		resp, body := post(t, c, "/v1/messages/count_tokens", fmt.Sprintf(anthropicReq, "claude-x"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.JSONEq(t, fmt.Sprintf(`{"input_tokens":%d}`, estimates["anthropic claude-x"]), body)
		assert.Equal(t, before+1, e.claude.Calls(), "asked first")
	})
	t.Run("a provider's other errors reach the caller", func(t *testing.T) {
		e.claude.Always(mockupstream.Behavior{Status: http.StatusUnauthorized})
		defer e.claude.Always(mockupstream.Behavior{})
		resp, body := post(t, c, "/v1/messages/count_tokens", fmt.Sprintf(anthropicReq, "claude-x"))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	})
	t.Run("with the official SDK", func(t *testing.T) {
		sdk := openaiSDK(c)
		n, err := sdk.Responses.InputTokens.Count(context.Background(), inputTokenParams("gpt-4.1"))
		require.NoError(t, err)
		assert.Positive(t, n.InputTokens)
		assert.Equal(t, "response.input_tokens", string(n.Object))
		before := e.resp.Calls()
		n, err = sdk.Responses.InputTokens.Count(context.Background(), inputTokenParams("gpt-5"))
		require.NoError(t, err)
		assert.EqualValues(t, upstreamTokenCount, n.InputTokens)
		assert.Equal(t, "/v1/responses/input_tokens", requestSince(t, e.resp, before).Path)
	})
}

// Compaction goes to a Responses channel only; where none serves the model
// the caller learns why in its own format, and is never told 404 for a
// model that channels do serve.
func TestResponsesCompact(t *testing.T) {
	e := newEndpointChannels(t)
	recs := newRecords()
	c := newClient(t, routex.WithChannels(e.chs...), routex.WithRecorder(recs))
	body := func(model string) string {
		return fmt.Sprintf(`{"model":%q,"instructions":"Be brief.","input":[{"role":"user","content":"hello"},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]}],"tools":[],"parallel_tool_calls":false,"prompt_cache_key":"conv-9"}`, model)
	}
	resp, out := post(t, c, "/v1/responses/compact", body("gpt-5"))
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	items := gjson.Get(out, "output").Array()
	require.Len(t, items, 2, out)
	assert.Equal(t, "compaction", items[1].Get("type").Str)
	got := requestSince(t, e.resp, 0)
	assert.Equal(t, "/v1/responses/compact", got.Path)
	assert.JSONEq(t, body("gpt-5"), string(got.Body), "passed through as sent")
	rec := recs.last(t, 1)
	assert.Equal(t, "resp", rec.ChannelID)
	assert.Equal(t, "conv-9", rec.Session)
	assert.EqualValues(t, e.resp.Usage.Output, rec.OutputTokens)

	// Served by a channel of another format: routex asks the model for a
	// summary and carries it in the compaction item, which a later turn
	// sends back and the channel then reads as text.
	resp, out = post(t, c, "/v1/responses/compact", body("claude-x"))
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	assert.Equal(t, "claude", resp.Header.Get("X-Routex-Channel"))
	assert.Equal(t, "response.compaction", gjson.Get(out, "object").Str)
	items = gjson.Get(out, "output").Array()
	require.Len(t, items, 2, "the user message, then one compaction item: %s", out)
	assert.Equal(t, "user", items[0].Get("role").Str)
	assert.Equal(t, "hello", items[0].Get("content").Str)
	assert.Equal(t, "compaction", items[1].Get("type").Str)
	assert.NotContains(t, items[1].Get("encrypted_content").Str, e.claude.Text, "opaque to the caller")
	asked := gjson.ParseBytes(e.claude.Last().Body)
	assert.Equal(t, "/v1/messages", e.claude.Last().Path)
	assert.Contains(t, asked.Get("messages.@reverse.0.content").Raw, "Summarize the conversation")
	assert.Equal(t, "Be brief.", asked.Get("system").String()+asked.Get("system.0.text").String())

	next := fmt.Sprintf(`{"model":"claude-x","input":[%s,%s,{"role":"user","content":"go on"}]}`, items[0].Raw, items[1].Raw)
	resp, out = post(t, c, "/v1/responses", next)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	sent := string(e.claude.Last().Body)
	assert.Contains(t, sent, e.claude.Text, "the summary reaches the channel as text")
	assert.NotContains(t, sent, "rtx1:", "never the carrier")

	before := e.claude.Calls() + e.chat.Calls()
	resp, out = post(t, c, "/v1/responses/compact", body("llama-3"))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, out)
	wantOpenAIError(t, out, "model_not_found")
	assert.Equal(t, before, e.claude.Calls()+e.chat.Calls())
}

// A /v1/ path routex does not serve is refused 404 in the caller's own
// format, naming the path and nothing of the channels; one the operator
// opened goes to a channel of the caller's format, and with none there
// the caller is told which endpoint found no channel.
func TestUnknownEndpointsRefused(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t, routex.WithChannels(e.chs...))
	cases := []struct {
		name, method, path string
		header             []string
		anthropic          bool
	}{
		{"anthropic caller", http.MethodPost, "/v1/unknown", []string{"X-Api-Key", "k"}, true},
		{"anthropic beta endpoint", http.MethodPost, "/v1/messages/batches", nil, true},
		{"chat caller", http.MethodPost, "/v1/unknown", []string{"Authorization", "Bearer k"}, false},
		{"responses caller", http.MethodGet, "/v1/responses/resp_123", nil, false},
		{"responses input items", http.MethodGet, "/v1/responses/resp_123/input_items", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, c, tc.method, "http://routex.invalid"+tc.path, `{"model":"gpt-5"}`, tc.header...)
			require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
			var msg string
			if tc.anthropic {
				msg = wantAnthropicError(t, body, "not_found_error")
			} else {
				msg = wantOpenAIError(t, body, "not_found")
			}
			assert.Equal(t, fmt.Sprintf("routex does not serve %s %s", tc.method, tc.path), msg)
			assert.NotContains(t, body, "127.0.0.1")
		})
	}
	assert.Zero(t, e.calls())

	c = newClient(t, routex.WithChannels(e.chs...), routex.WithPassthrough("/v1/responses/", "/v1/files/"))
	resp, body := send(t, c, http.MethodGet, "http://routex.invalid/v1/responses/resp_123", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	assert.Equal(t, "resp", channelOf(resp), "the Responses channel's own answer")
	assert.Equal(t, "/v1/responses/resp_123", requestSince(t, e.resp, 0).Path)

	e.resp.Close()
	only := newClient(t, routex.WithChannels(e.chs[0]), routex.WithPassthrough("/v1/responses/", "/v1/files/"))
	resp, body = send(t, only, http.MethodGet, "http://routex.invalid/v1/responses/resp_123", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	assert.Equal(t, `no channel of type "openai-responses" serves GET /v1/responses/resp_123`, wantOpenAIError(t, body, "model_not_found"))
	resp, body = send(t, only, http.MethodDelete, "http://routex.invalid/v1/files/file-1", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	assert.Equal(t, `no channel of type "openai" serves DELETE /v1/files/file-1`, wantOpenAIError(t, body, "model_not_found"))
}

// routex's own refusals reach a Responses caller in OpenAI's error shape,
// code included.
func TestResponsesRefusalsInCallersFormat(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t, routex.WithChannels(e.chs...), routex.WithMaxBodyBytes(1024))
	cases := []struct {
		name, body string
		status     int
		code       string
		msg        string
	}{
		{"malformed", `{"model":`, 400, "invalid_request", "not valid JSON"},
		{"no model", `{"input":"hi"}`, 400, "invalid_request", `no "model"`},
		{"duplicate", `{"model":"gpt-5","input":"a","input":"b"}`, 400, "invalid_request", `"input" more than once`},
		{"unknown model", `{"model":"llama-3","input":"hi"}`, 404, "model_not_found", `no channel serves model "llama-3"`},
		{"too large", `{"model":"gpt-5","input":"` + strings.Repeat("a", 2000) + `"}`, 413, "request_too_large", "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, c, "/v1/responses", tc.body)
			assert.Equal(t, tc.status, resp.StatusCode, body)
			assert.Contains(t, wantOpenAIError(t, body, tc.code), tc.msg)
		})
	}
	assert.Zero(t, e.calls())
}

// Explain says where each endpoint would go, and what routex answers
// itself.
func TestExplainResponsesEndpoints(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t, routex.WithChannels(e.chs...))
	explain := func(method, path, body string, header ...string) (routex.Decision, error) {
		req, err := http.NewRequest(method, "http://routex.invalid"+path, strings.NewReader(body))
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return c.Explain(req)
	}
	for _, path := range []string{"/v1/responses", "/v1/responses/compact", "/v1/responses/input_tokens"} {
		d, err := explain(http.MethodPost, path, `{"model":"gpt-5","input":"hi"}`)
		require.NoError(t, err, path)
		assert.Equal(t, []string{"resp"}, d.Channels, path)
		assert.Equal(t, routex.FormatResponses, d.Format, path)
	}
	_, err := explain(http.MethodPost, "/v1/messages/count_tokens", `{"model":"gpt-4.1","messages":[]}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "token estimate")
	d, err := explain(http.MethodPost, "/v1/responses/compact", `{"model":"claude-x","input":"hi"}`)
	require.NoError(t, err, "compacted through a summary from the Anthropic channel")
	assert.Equal(t, []string{"claude"}, d.Channels)
	_, err = explain(http.MethodGet, "/v1/responses", "", "Upgrade", "websocket")
	assert.ErrorContains(t, err, "426")
	assert.Zero(t, e.calls())
}

// The channel test speaks the Responses API to a Responses channel.
func TestTestChannelResponses(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t)
	res := c.TestChannel(context.Background(), e.chs[2], "gpt-5")
	require.True(t, res.OK, res.Error)
	got := requestSince(t, e.resp, 0)
	assert.Equal(t, "/v1/responses", got.Path)
	assert.Equal(t, "gpt-5", gjson.GetBytes(got.Body, "model").Str)
	assert.Equal(t, "ping", gjson.GetBytes(got.Body, "input").Str)
	assert.GreaterOrEqual(t, gjson.GetBytes(got.Body, "max_output_tokens").Int(), int64(16))
	assert.False(t, gjson.GetBytes(got.Body, "messages").Exists())
	assert.Equal(t, "Bearer "+e.chs[2].APIKey, got.Header.Get("Authorization"))
}

// sseOnce answers every request with events and ends the stream.
func sseOnce(events []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			io.WriteString(w, e)
		}
	}
}

// A Responses stream ends with response.completed or response.incomplete;
// response.failed and error events are the provider failing, a stream cut
// before its end is a failure too, and a failure before any output fails
// over to the next channel.
func TestResponsesStreamEnds(t *testing.T) {
	const request = `{"model":"gpt-5","input":"hi","stream":true}`
	full := streamEvents(t, mock(t, "resp"), request)
	preamble, body, last := full[:2], full[2:len(full)-1], full[len(full)-1]
	incomplete := strings.Replace(strings.Replace(last, "response.completed", "response.incomplete", 2), `"status":"completed"`, `"status":"incomplete"`, 1)
	failed := "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":90,\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"the model broke\"}}}\n\n"
	errEvent := "event: error\ndata: {\"type\":\"error\",\"sequence_number\":90,\"code\":\"server_error\",\"message\":\"the model broke\",\"param\":null}\n\n"
	// Without event names the data's type says the same.
	bare := func(ev string) string { return ev[strings.Index(ev, "data: "):] }
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name    string
		events  []string
		channel string // the channel that answers
		err     string // in the record; "" for a clean end
	}{
		{"completed", full, "a", ""},
		{"incomplete", join(preamble, body, []string{incomplete}), "a", ""},
		{"completed without event names", join(preamble, body, []string{bare(last)}), "a", ""},
		{"failed mid-stream", join(preamble, body[:3], []string{failed}), "a", "the model broke"},
		{"error event mid-stream", join(preamble, body[:3], []string{errEvent}), "a", "the model broke"},
		{"failed without event name", join(preamble, body[:3], []string{bare(failed)}), "a", "the model broke"},
		{"cut before its end", join(preamble, body), "a", "ended before its final event"},
		{"failed before any output", join(preamble, []string{failed}), "b", ""},
		{"error before any output", join(preamble, []string{errEvent}), "b", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := rawChannel("a", routex.FormatResponses, upstream(t, sseOnce(tc.events)))
			b := rawChannel("b", routex.FormatResponses, upstream(t, sseOnce(full)))
			b.Priority = 10
			recs := newRecords()
			c := newClient(t, routex.WithChannels(a, b), routex.WithRecorder(recs))
			resp, out := post(t, c, "/v1/responses", request)
			require.Equal(t, http.StatusOK, resp.StatusCode, out)
			assert.Equal(t, tc.channel, channelOf(resp))
			rec := recs.last(t, 1)
			served := tc.events
			if tc.channel == "b" {
				served = full
			}
			if tc.err == "" {
				assert.Empty(t, rec.Error)
				assert.Contains(t, out, bare(served[len(served)-1]), "the final event reached the caller")
				assert.Zero(t, failures(c, tc.channel))
			} else {
				assert.Contains(t, rec.Error, tc.err)
				assert.Equal(t, 1, failures(c, "a"), "the channel is charged")
			}
			if tc.channel == "b" {
				assert.Equal(t, 2, rec.Attempts)
				assert.Equal(t, 1, failures(c, "a"), "the channel that failed is charged")
				assert.NotContains(t, out, "the model broke", "nothing of the failed attempt reached the caller")
			}
		})
	}
}

// ErrorBody writes OpenAI's shape for a Responses caller, with and
// without a code, as a server in front of the Client uses it.
func TestErrorBodyForResponses(t *testing.T) {
	for _, code := range []string{"", "rate_limited"} {
		body := string(routex.ErrorBody(routex.FormatResponses, http.StatusTooManyRequests, code, "slow down"))
		assert.Equal(t, "slow down", wantOpenAIError(t, body, code))
		assert.Equal(t, "rate_limit_error", gjson.Get(body, "error.type").Str)
		assert.Equal(t, string(routex.ErrorBody(routex.FormatOpenAI, http.StatusTooManyRequests, code, "slow down")), body)
	}
}

// Codex, taking routex for OpenAI itself, compacts by ending a turn's input
// with a compaction_trigger and expects exactly one compaction item back,
// streamed. Over a channel of another format routex makes it from the
// model's summary; the next turn's compaction item reaches the channel as
// the summary's text.
func TestResponsesCompactionTrigger(t *testing.T) {
	e := newEndpointChannels(t)
	c := newClient(t, routex.WithChannels(e.chs...))
	const history = `{"role":"user","content":"hello"},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]}`
	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"claude-x","stream":%v,"input":[%s,{"type":"compaction_trigger"}]}`, stream, history)
		resp, out := post(t, c, "/v1/responses", body)
		require.Equal(t, http.StatusOK, resp.StatusCode, out)
		asked := gjson.ParseBytes(e.claude.Last().Body)
		assert.Contains(t, asked.Get("messages.@reverse.0.content").Raw, "Summarize the conversation")
		assert.NotContains(t, string(e.claude.Last().Body), "compaction_trigger")

		final := out
		if stream {
			assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
			var types []string
			var seq []int64
			for _, line := range strings.Split(out, "\n") {
				if data, ok := strings.CutPrefix(line, "data: "); ok {
					types = append(types, gjson.Get(data, "type").Str)
					seq = append(seq, gjson.Get(data, "sequence_number").Int())
					final = gjson.Get(data, "response").Raw
				}
			}
			assert.Equal(t, []string{"response.created", "response.in_progress", "response.output_item.added",
				"response.output_item.done", "response.completed"}, types)
			assert.Equal(t, []int64{0, 1, 2, 3, 4}, seq)
		}
		assert.Equal(t, "completed", gjson.Get(final, "status").Str, final)
		items := gjson.Get(final, "output").Array()
		require.Len(t, items, 1, "exactly one compaction item: %s", final)
		assert.Equal(t, "compaction", items[0].Get("type").Str)

		next := fmt.Sprintf(`{"model":"claude-x","input":[%s,{"role":"user","content":"go on"}]}`, items[0].Raw)
		resp, out = post(t, c, "/v1/responses", next)
		require.Equal(t, http.StatusOK, resp.StatusCode, out)
		assert.Contains(t, string(e.claude.Last().Body), e.claude.Text, "the summary reaches the channel as text")
	}

	// A Responses channel compacts by itself: the request goes through.
	before := e.resp.Calls()
	resp, out := post(t, c, "/v1/responses", `{"model":"gpt-5","input":[{"role":"user","content":"hello"},{"type":"compaction_trigger"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	assert.Contains(t, string(requestSince(t, e.resp, before).Body), "compaction_trigger")
}
