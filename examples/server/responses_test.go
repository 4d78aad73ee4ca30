package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/mockupstream"
)

const (
	gpt5    = "gpt-5"
	respKey = "sk-resp-SECRET-responses-channel-0123456789"
)

// weatherCall is the call the Responses provider makes when a test has it
// call the weather function it offers.
var weatherCall = mockupstream.ToolCall{ID: "call_1", Name: "get_weather", Args: `{"city":"Paris"}`}

// addResponsesChannel adds a channel of type openai-responses for gpt-5*.
func addResponsesChannel(t *testing.T, c *apiClient, p *mockupstream.Server) {
	t.Helper()
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "resp", Name: "Responses", Type: routex.FormatResponses,
		BaseURL: p.URL, APIKey: respKey, Models: []string{gpt5 + "*"}}).want(t, http.StatusCreated)
}

// authSince returns the Authorization header of the one request p
// received after the first before, failing unless exactly one arrived.
func authSince(t *testing.T, p *mockupstream.Server, before int) string {
	t.Helper()
	reqs := p.Requests()
	require.Len(t, reqs, before+1, "requests that reached the provider")
	return reqs[before].Header.Get("Authorization")
}

// responsesSDK is openai-go aimed at the server's proxy with key.
func responsesSDK(ts *testServer, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(ts.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func weatherParams(tool bool) responses.ResponseNewParams {
	p := responses.ResponseNewParams{Model: gpt5,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("What is the weather in Paris?")}}
	if tool {
		p.Tools = []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	}
	return p
}

// openai-go's Responses client reaches a Responses channel through the
// server with a proxy key, whole and streamed, text and a function call;
// the provider sees the channel's key, never the proxy's, and each request
// is recorded.
func TestResponsesThroughServer(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	p := newMock(t, "resp")
	reply := p.Text
	addResponsesChannel(t, c, p)
	keyID, key := makeKey(t, c, "codex")
	sdk := responsesSDK(ts, key)

	streamed := map[bool]error{}
	for _, tool := range []bool{false, true} {
		p.Text, p.Tools = reply, nil
		if tool {
			p.Text, p.Tools = "", []mockupstream.ToolCall{weatherCall}
		}
		before := p.Calls()
		resp, err := sdk.Responses.New(t.Context(), weatherParams(tool))
		require.NoError(t, err)
		require.Len(t, resp.Output, 1)
		if tool {
			call := resp.Output[0].AsFunctionCall()
			assert.Equal(t, weatherCall.Name, call.Name)
			assert.JSONEq(t, weatherCall.Args, call.Arguments)
		} else {
			assert.Equal(t, reply, resp.OutputText())
		}
		assert.Equal(t, "Bearer "+respKey, authSince(t, p, before))
		assert.Equal(t, tool, gjson.GetBytes(p.Last().Body, `tools.#(name=="get_weather")`).Exists(), "the function offered reaches the provider")

		before = p.Calls()
		stream := sdk.Responses.NewStreaming(t.Context(), weatherParams(tool))
		var done *responses.Response
		var text, args strings.Builder
		for stream.Next() {
			switch ev := stream.Current(); ev.Type {
			case "response.output_text.delta":
				text.WriteString(ev.Delta)
			case "response.function_call_arguments.delta":
				args.WriteString(ev.Delta)
			case "response.completed":
				r := ev.Response
				done = &r
			}
		}
		streamed[tool] = stream.Err()
		stream.Close()
		require.NotNil(t, done, "the stream reached response.completed")
		if tool {
			assert.JSONEq(t, weatherCall.Args, args.String())
			assert.Equal(t, args.String(), done.Output[0].AsFunctionCall().Arguments)
		} else {
			assert.Equal(t, reply, text.String())
			assert.Equal(t, text.String(), done.OutputText())
		}
		assert.Equal(t, "Bearer "+respKey, authSince(t, p, before))
	}

	ts.drain(t)
	recs := decodeAs[struct{ Records []analytics.Record }](t, c.do(t, http.MethodGet, "/api/requests", nil).want(t, http.StatusOK)).Records
	require.Len(t, recs, 4)
	for _, r := range recs {
		assert.Equal(t, "openai-responses", r.InboundFormat)
		assert.Equal(t, "openai-responses", r.UpstreamFormat)
		assert.Equal(t, "resp", r.ChannelID)
		assert.Equal(t, keyID, r.KeyID)
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Empty(t, r.Error, "the stream's end was seen")
	}
	for tool, err := range streamed {
		assert.NoError(t, err, "the stream ends clean, tool=%t", tool)
	}
	for _, r := range recs {
		assert.EqualValues(t, p.Usage.Input, r.InputTokens)
		assert.EqualValues(t, p.Usage.CacheRead, r.CacheReadTokens)
		assert.EqualValues(t, p.Usage.Output, r.OutputTokens)
	}
}

// /v1/responses is held to the proxy's keys, allowlists and body limit
// like the other endpoints, with refusals in OpenAI's error shape; the
// WebSocket upgrade Codex tries first is answered 426 once the key is
// good; token counting for a model without an Anthropic channel is
// answered from the estimate.
func TestResponsesHeldToProxyRules(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t, func(cfg *Config) { cfg.MaxBodyBytes = 4 << 10 })
	p := newMock(t, "resp")
	addResponsesChannel(t, c, p)
	_, open := makeKey(t, c, "any model")
	_, limited := makeKey(t, c, "haiku only", haiku)
	body := `{"model":"` + gpt5 + `","input":"hi"}`

	openaiError := func(t *testing.T, r reply, status int, typ string) string {
		t.Helper()
		r.want(t, status)
		assert.False(t, gjson.GetBytes(r.body, "type").Exists(), "OpenAI's shape: %s", r.body)
		assert.Equal(t, typ, gjson.GetBytes(r.body, "error.type").Str, "%s", r.body)
		return gjson.GetBytes(r.body, "error.message").Str
	}
	openaiError(t, ts.send(t, http.MethodPost, "/v1/responses", "", body), http.StatusUnauthorized, "authentication_error")
	openaiError(t, ts.send(t, http.MethodPost, "/v1/responses", "sk-wrong", body), http.StatusUnauthorized, "authentication_error")
	msg := openaiError(t, ts.send(t, http.MethodPost, "/v1/responses", limited, body), http.StatusForbidden, "permission_error")
	assert.Equal(t, fmt.Sprintf("this API key may not use model %q", gpt5), msg)
	msg = openaiError(t, ts.send(t, http.MethodPost, "/v1/responses", limited, `{"model":"`+haiku+`","mod\u0065l":"`+gpt5+`","input":"hi"}`),
		http.StatusBadRequest, "invalid_request_error")
	assert.Contains(t, msg, `"model" more than once`)
	openaiError(t, ts.send(t, http.MethodPost, "/v1/responses", open, `{"model":"`+gpt5+`","input":"`+strings.Repeat("a", 8<<10)+`"}`),
		http.StatusRequestEntityTooLarge, "request_too_large")

	upgrade := []string{"Upgrade", "websocket", "Connection", "Upgrade", "Sec-Websocket-Version", "13",
		"Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Openai-Beta", "responses_websockets=2026-02-06"}
	openaiError(t, ts.send(t, http.MethodGet, "/v1/responses", "", "", upgrade...), http.StatusUnauthorized, "authentication_error")
	r := ts.send(t, http.MethodGet, "/v1/responses", open, "", upgrade...)
	msg = openaiError(t, r, http.StatusUpgradeRequired, "invalid_request_error")
	assert.Equal(t, "websocket_not_supported", gjson.GetBytes(r.body, "error.code").Str)
	assert.Contains(t, msg, "POST /v1/responses")
	assert.Zero(t, p.Calls(), "nothing refused reached the provider")

	ts.send(t, http.MethodPost, "/v1/responses", open, body).want(t, http.StatusOK)
	assert.Equal(t, "Bearer "+respKey, authSince(t, p, 0))

	// Claude Code counts before it sends: the main channel serves Claude
	// models, no Anthropic channel serves gpt-5.
	calls := ts.up.Calls()
	r = ts.send(t, http.MethodPost, "/v1/messages/count_tokens", open, `{"model":"`+gpt5+`","messages":[{"role":"user","content":"How many tokens is this?"}]}`).
		want(t, http.StatusOK)
	assert.Positive(t, gjson.GetBytes(r.body, "input_tokens").Int(), "%s", r.body)
	assert.Equal(t, "estimate", r.header.Get("X-Routex-Token-Count"))
	assert.Equal(t, calls, ts.up.Calls())
	ts.send(t, http.MethodPost, "/v1/messages/count_tokens", open, `{"model":"`+sonnet+`","messages":[]}`).want(t, http.StatusOK)
	assert.Equal(t, calls+1, ts.up.Calls(), "the Anthropic channel counts its own models")

	// The Responses API's token counting, from openai-go: this provider
	// has no such endpoint (no TokenCount), so the estimate answers.
	sdk := responsesSDK(ts, open)
	n, err := sdk.Responses.InputTokens.Count(context.Background(), responses.InputTokenCountParams{
		Model: openai.String(gpt5), Input: responses.InputTokenCountParamsInputUnion{OfString: openai.String("How many tokens is this?")}})
	require.NoError(t, err)
	assert.Positive(t, n.InputTokens)
	assert.Equal(t, "Bearer "+respKey, authSince(t, p, 1), "asked first")
	assert.Equal(t, "/v1/responses/input_tokens", p.Last().Path)
}
