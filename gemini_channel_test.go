package routex_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// geminiMock is a Gemini provider answering text, thinking and the two
// calls of crossTools; Gemini gives the calls no ids.
func geminiMock(t *testing.T) *mockupstream.Server {
	srv := mock(t, "gem")
	srv.Text, srv.Thinking, srv.Tools = "Checking both: café ☕", "Two lookups.", crossTools
	return srv
}

// checkGeminiUpstream checks what the Gemini channel received: the model
// in the path, the channel's key in Google's header, the caller's nowhere.
func checkGeminiUpstream(t *testing.T, srv *mockupstream.Server, model string, stream bool) {
	t.Helper()
	got := srv.Last()
	method := ":generateContent"
	if stream {
		method = ":streamGenerateContent"
	}
	assert.Equal(t, "/v1beta/models/"+model+method, got.Path)
	assert.Equal(t, "sk-gem-secret-key-0123456789", got.Header.Get("X-Goog-Api-Key"))
	assert.Empty(t, got.Header.Get("Authorization"))
	assert.Empty(t, got.Header.Get("X-Api-Key"))
	assert.False(t, gjson.GetBytes(got.Body, "model").Exists(), "Gemini's model is in the path")
	assert.True(t, gjson.GetBytes(got.Body, "contents").IsArray(), "%s", got.Body)
}

// TestSDKsOverGeminiChannel sends each SDK's request to a gemini channel:
// the calls Gemini made without ids come with stable ids, their object
// arguments intact, the turn a tool turn though Gemini ended it with STOP,
// and the usage read from the last chunk, never summed.
func TestSDKsOverGeminiChannel(t *testing.T) {
	ctx := context.Background()
	for _, stream := range []bool{false, true} {
		name := "whole"
		if stream {
			name = "stream"
		}
		t.Run("anthropic/"+name, func(t *testing.T) {
			srv := geminiMock(t)
			recs := newRecords()
			c := newClient(t, routex.WithChannels(channel("gem", routex.FormatGemini, srv)), routex.WithRecorder(recs))
			sdk := anthropicSDK(c)
			var msg anthropic.Message
			var err error
			if stream {
				msg, err = streamMessage(t, &sdk, anthropicToolParams("gemini-2.5-pro"))
			} else {
				var m *anthropic.Message
				if m, err = sdk.Messages.New(ctx, anthropicToolParams("gemini-2.5-pro")); err == nil {
					msg = *m
				}
			}
			require.NoError(t, err)
			var text []string
			var calls []anthropic.ContentBlockUnion
			for _, b := range msg.Content {
				switch b.Type {
				case "text":
					text = append(text, b.Text)
				case "tool_use":
					calls = append(calls, b)
				}
			}
			assert.Equal(t, []string{srv.Text}, text)
			require.Len(t, calls, 2)
			for i, tc := range crossTools {
				assert.Equal(t, tc.Name, calls[i].Name)
				assert.JSONEq(t, tc.Args, string(calls[i].Input))
				assert.NotEmpty(t, calls[i].ID)
			}
			assert.NotEqual(t, calls[0].ID, calls[1].ID)
			assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason, "a tool turn, though Gemini said STOP")
			// 12 fresh and 30 cached: Google counts them together, routex
			// apart.
			assert.Equal(t, int64(12), msg.Usage.InputTokens)
			assert.Equal(t, int64(30), msg.Usage.CacheReadInputTokens)
			assert.Equal(t, int64(7), msg.Usage.OutputTokens)
			checkGeminiUpstream(t, srv, "gemini-2.5-pro", stream)
			rec := recs.last(t, 1)
			assert.Equal(t, "gemini", rec.UpstreamFormat)
			assert.Equal(t, 12, int(rec.InputTokens))
			assert.Equal(t, 30, int(rec.CacheReadTokens))
			assert.Equal(t, 7, int(rec.OutputTokens))
		})
		t.Run("openai/"+name, func(t *testing.T) {
			srv := geminiMock(t)
			c := newClient(t, routex.WithChannels(channel("gem", routex.FormatGemini, srv)))
			sdk := openaiSDK(c)
			p := openaiParams("gemini-2.5-flash", "weather and time in Paris?")
			p.Tools = []openai.ChatCompletionToolUnionParam{
				openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather"}),
				openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_time"}),
			}
			var cc openai.ChatCompletion
			if stream {
				p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				s := sdk.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				require.NoError(t, s.Err())
				cc = acc.ChatCompletion
			} else {
				got, err := sdk.Chat.Completions.New(ctx, p)
				require.NoError(t, err)
				cc = *got
			}
			require.Len(t, cc.Choices, 1)
			m := cc.Choices[0].Message
			assert.Equal(t, srv.Text, m.Content)
			require.Len(t, m.ToolCalls, 2)
			for i, tc := range crossTools {
				assert.Equal(t, tc.Name, m.ToolCalls[i].Function.Name)
				assert.JSONEq(t, tc.Args, m.ToolCalls[i].Function.Arguments)
				assert.NotEmpty(t, m.ToolCalls[i].ID)
			}
			assert.Equal(t, "tool_calls", cc.Choices[0].FinishReason)
			assert.Equal(t, int64(42), cc.Usage.PromptTokens, "fresh and cached")
			assert.Equal(t, int64(30), cc.Usage.PromptTokensDetails.CachedTokens)
			checkGeminiUpstream(t, srv, "gemini-2.5-flash", stream)
		})
		t.Run("responses/"+name, func(t *testing.T) {
			srv := geminiMock(t)
			c := newClient(t, routex.WithChannels(channel("gem", routex.FormatGemini, srv)))
			p := responsesParams("gemini-3-pro-preview", true)
			var resp *responses.Response
			if stream {
				completed, _, _, err := streamResponse(t, openaiSDK(c), p)
				require.NoError(t, err)
				resp = completed
			} else {
				sdk := openaiSDK(c)
				var err error
				resp, err = sdk.Responses.New(ctx, p)
				require.NoError(t, err)
			}
			require.NotNil(t, resp)
			assert.Equal(t, srv.Text, resp.OutputText())
			var calls []responses.ResponseFunctionToolCall
			for _, it := range resp.Output {
				if it.Type == "function_call" {
					calls = append(calls, it.AsFunctionCall())
				}
			}
			require.Len(t, calls, 2)
			for i, tc := range crossTools {
				assert.Equal(t, tc.Name, calls[i].Name)
				assert.JSONEq(t, tc.Args, calls[i].Arguments)
				assert.NotEmpty(t, calls[i].CallID)
			}
			assert.Equal(t, int64(42), resp.Usage.InputTokens)
			assert.Equal(t, int64(30), resp.Usage.InputTokensDetails.CachedTokens)
			checkGeminiUpstream(t, srv, "gemini-3-pro-preview", stream)
		})
	}
	t.Run("go-openai", func(t *testing.T) {
		srv := geminiMock(t)
		c := newClient(t, routex.WithChannels(channel("gem", routex.FormatGemini, srv)))
		resp, err := goOpenAI(c).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
			Model:    "gemini-2.5-pro",
			Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "weather?"}},
		})
		require.NoError(t, err)
		require.Len(t, resp.Choices, 1)
		assert.Equal(t, srv.Text, resp.Choices[0].Message.Content)
		require.Len(t, resp.Choices[0].Message.ToolCalls, 2)
		assert.JSONEq(t, crossTools[0].Args, resp.Choices[0].Message.ToolCalls[0].Function.Arguments)
		checkGeminiUpstream(t, srv, "gemini-2.5-pro", false)
	})
}

// TestGeminiChannelToolRoundTrip answers the calls of a Gemini answer
// through anthropic-sdk-go: Gemini gets both results in one turn, under
// the names of the calls, and the first call signed.
func TestGeminiChannelToolRoundTrip(t *testing.T) {
	srv := geminiMock(t)
	c := newClient(t, routex.WithChannels(channel("gem", routex.FormatGemini, srv)))
	sdk := anthropicSDK(c)
	p := anthropicToolParams("gemini-3-pro-preview")
	msg, err := streamMessage(t, &sdk, p)
	require.NoError(t, err)
	var results []anthropic.ContentBlockParamUnion
	for _, b := range msg.Content {
		if b.Type == "tool_use" {
			results = append(results, anthropic.NewToolResultBlock(b.ID, "result of "+b.Name, false))
		}
	}
	require.Len(t, results, 2)
	p.Messages = append(p.Messages, msg.ToParam(), anthropic.NewUserMessage(results...))
	_, err = sdk.Messages.New(context.Background(), p)
	require.NoError(t, err)

	contents := gjson.GetBytes(srv.Last().Body, "contents").Array()
	require.Len(t, contents, 3, "%s", srv.Last().Body)
	var calls []gjson.Result
	for _, part := range contents[1].Get("parts").Array() {
		if part.Get("functionCall").Exists() {
			calls = append(calls, part)
		}
	}
	require.Len(t, calls, 2)
	// Anthropic's format has no place for a signature on a tool call, and
	// a thinking block carrying Gemini's would be refused by Anthropic if
	// the conversation moved there: the call goes back with the value
	// Google documents for unsigned calls, which Gemini 3 accepts.
	sig := base64.StdEncoding.EncodeToString([]byte("sig-" + crossTools[0].Name))
	assert.NotContains(t, string(srv.Last().Body), `"thoughtSignature":"`+sig+`"`)
	assert.Equal(t, "skip_thought_signature_validator", calls[0].Get("thoughtSignature").Str, "the first call is signed")
	assert.False(t, calls[1].Get("thoughtSignature").Exists())
	answers := contents[2].Get("parts").Array()
	require.Len(t, answers, 2, "N calls, one turn of N answers")
	for i, tc := range crossTools {
		assert.Equal(t, tc.Name, calls[i].Get("functionCall.name").Str)
		assert.Equal(t, tc.Name, answers[i].Get("functionResponse.name").Str)
		assert.Equal(t, "result of "+tc.Name, answers[i].Get("functionResponse.response.output").Str)
	}
}

// TestGeminiChannelRateLimit: a 429 with a google.rpc body moves the
// request to the next channel; alone, it is the caller's own 429, in the
// caller's format.
func TestGeminiChannelRateLimit(t *testing.T) {
	ctx := context.Background()
	bad, good := mock(t, "bad"), mock(t, "good")
	bad.Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"Retry-After": "9"}})
	goodCh := channel("good", routex.FormatAnthropic, good)
	goodCh.Priority = 1
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("bad", routex.FormatGemini, bad), goodCh), routex.WithRecorder(recs))
	sdk := anthropicSDK(c)
	msg, err := sdk.Messages.New(ctx, anthropicParams("gemini-2.5-pro", "hi"))
	require.NoError(t, err)
	assert.Equal(t, "hello from good", msg.Content[0].Text)
	assert.Equal(t, 2, recs.last(t, 1).Attempts)

	alone := newClient(t, routex.WithChannels(channel("bad", routex.FormatGemini, bad)))
	sdk = anthropicSDK(alone)
	_, err = sdk.Messages.New(ctx, anthropicParams("gemini-2.5-pro", "hi"))
	var ae *anthropic.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 429, ae.StatusCode)
	assert.Equal(t, "rate_limit_error", gjson.Get(ae.RawJSON(), "error.type").Str, ae.RawJSON())
	assert.Contains(t, gjson.Get(ae.RawJSON(), "error.message").Str, "mock bad status 429")
	assert.Equal(t, "9", ae.Response.Header.Get("Retry-After"))
}

// TestLongContextRuleToGemini is the product's own example: a rule sends
// prompts over 60000 tokens to a gemini channel as gemini-2.5-pro, and an
// Anthropic caller with a long prompt gets Gemini's answer in Anthropic's
// format, priced as Gemini 2.5 Pro; a short prompt stays on Claude.
func TestLongContextRuleToGemini(t *testing.T) {
	claude, gem := mock(t, "claude"), mock(t, "gemini")
	recs := newRecords()
	gemCh := channel("gemini-channel", routex.FormatGemini, gem)
	gemCh.Models = []string{"gemini-*"}
	claudeCh := channel("claude", routex.FormatAnthropic, claude)
	claudeCh.Models = []string{"claude-*"}
	c := newClient(t, routex.WithChannels(claudeCh, gemCh), routex.WithRecorder(recs),
		routex.WithRules(routex.Rule{ID: "long-context-to-gemini", Priority: 100,
			Condition: routex.Condition{TokenThreshold: 60000},
			Target:    routex.Target{Channel: "gemini-channel", Model: "gemini-2.5-pro"}}))
	sdk := anthropicSDK(c)

	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 9000) // ~90k tokens
	msg, err := streamMessage(t, &sdk, anthropicParams("claude-sonnet-4-5", long+"Summarize."))
	require.NoError(t, err)
	assert.Equal(t, "hello from gemini", msg.Content[0].Text)
	assert.Equal(t, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", gem.Last().Path)
	assert.Contains(t, gjson.GetBytes(gem.Last().Body, "contents.0.parts.0.text").Str, "Summarize.")
	rec := recs.last(t, 1)
	assert.Equal(t, "long-context-to-gemini", rec.Rule)
	assert.Equal(t, "claude-sonnet-4-5", rec.Model)
	assert.Equal(t, "gemini-2.5-pro", rec.UpstreamModel)
	assert.Equal(t, "gemini", rec.UpstreamFormat)
	require.NotNil(t, rec.Cost)
	// 12 fresh and 30 cached input, 7 output at 2.5 Pro's prices.
	assert.InDelta(t, (12*1.25+30*0.125+7*10)/1e6, *rec.Cost, 1e-12)

	msg, err = streamMessage(t, &sdk, anthropicParams("claude-sonnet-4-5", "Summarize a short text."))
	require.NoError(t, err)
	assert.Equal(t, "hello from claude", msg.Content[0].Text)
	assert.Empty(t, recs.last(t, 2).Rule)
	assert.Equal(t, 1, gem.Calls())
}
