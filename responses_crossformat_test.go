package routex_test

import (
	"context"
	"encoding/json"
	"errors"
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

// The OpenAI Responses API through the Client: the official openai-go
// Responses client against upstreams of every format, and the clients of
// the other formats against a Responses upstream.

func responsesToolParams(model string) responses.ResponseNewParams {
	schema := func(prop string) map[string]any {
		return map[string]any{"type": "object", "properties": map[string]any{prop: map[string]any{"type": "string"}}}
	}
	return responses.ResponseNewParams{
		Model:        model,
		Instructions: openai.String("You are terse."),
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("weather and time in Paris?")},
		Tools: []responses.ToolUnionParam{
			{OfFunction: &responses.FunctionToolParam{Name: "get_weather", Parameters: schema("city")}},
			{OfFunction: &responses.FunctionToolParam{Name: "get_time", Parameters: schema("zone")}},
		},
	}
}

// usageFor is what a Responses caller must be told of the mock's usage:
// input_tokens count every prompt token, cached ones included.
func usageFor(f routex.Format, u mockupstream.Usage) (input, cached int64) {
	in := int64(u.Input + u.CacheRead)
	if f == routex.FormatAnthropic {
		in += int64(u.CacheWrite) // Anthropic's input excludes cache writes too
	}
	return in, int64(u.CacheRead)
}

// assertResponsesToolTurn checks a Responses answer to responsesToolParams
// from a mock with Text "Checking both." and crossTools.
func assertResponsesToolTurn(t *testing.T, f routex.Format, up *mockupstream.Server, resp *responses.Response) {
	t.Helper()
	assert.Equal(t, "Checking both.", resp.OutputText())
	var calls []responses.ResponseFunctionToolCall
	for _, item := range resp.Output {
		if item.Type == "function_call" {
			calls = append(calls, item.AsFunctionCall())
		}
	}
	require.Len(t, calls, len(crossTools), "both parallel calls, in one answer")
	for i, tc := range crossTools {
		assert.Equal(t, tc.ID, calls[i].CallID)
		assert.Equal(t, tc.Name, calls[i].Name)
		assert.JSONEq(t, tc.Args, calls[i].Arguments)
	}
	in, cached := usageFor(f, up.Usage)
	assert.Equal(t, in, resp.Usage.InputTokens)
	assert.Equal(t, cached, resp.Usage.InputTokensDetails.CachedTokens)
	assert.Equal(t, int64(up.Usage.Output), resp.Usage.OutputTokens)
	assert.Equal(t, in+int64(up.Usage.Output), resp.Usage.TotalTokens)
}

// streamResponseEvents streams a response, feeding every event to openai-go's
// ResponseAccumulator, and returns the response.completed event's
// response, the accumulator, the event types in order and the stream's
// error.
func streamResponseEvents(t *testing.T, sdk openai.Client, params responses.ResponseNewParams) (*responses.Response, *responses.ResponseAccumulator, []string, error) {
	t.Helper()
	stream := sdk.Responses.NewStreaming(context.Background(), params)
	defer stream.Close()
	var (
		final *responses.Response
		acc   responses.ResponseAccumulator
		types []string
		seq   int64
	)
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		assert.Equal(t, seq, ev.SequenceNumber, "sequence_number counts every event from 0")
		seq++
		var sev responses.ResponsesServerEventUnion
		require.NoError(t, json.Unmarshal([]byte(ev.RawJSON()), &sev))
		require.NoError(t, acc.AddEvent(sev), "event %d (%s) fits the accumulator", seq-1, ev.Type)
		if ev.Type == "response.completed" || ev.Type == "response.failed" || ev.Type == "response.incomplete" {
			r := ev.Response
			final = &r
		}
	}
	return final, &acc, types, stream.Err()
}

func TestResponsesSDKOverEveryChannel(t *testing.T) {
	for _, f := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI, routex.FormatResponses} {
		t.Run(string(f), func(t *testing.T) {
			up := mock(t, string(f))
			up.Text = "Checking both."
			up.Tools = crossTools
			recs := newRecords()
			c := newClient(t, routex.WithChannels(channel("up", f, up)), routex.WithRecorder(recs))
			sdk := openaiSDK(c)
			ctx := context.Background()
			n := 0

			t.Run("response", func(t *testing.T) {
				resp, err := sdk.Responses.New(ctx, responsesToolParams("some-model"))
				require.NoError(t, err)
				assertResponsesToolTurn(t, f, up, resp)
				assert.Equal(t, "some-model", resp.Model)
				assert.Equal(t, responses.ResponseStatusCompleted, resp.Status)

				last := up.Last()
				body := gjson.ParseBytes(last.Body)
				switch f {
				case routex.FormatAnthropic:
					assert.Equal(t, "/v1/messages", last.Path)
					assert.Equal(t, "You are terse.", body.Get("system").String()+body.Get("system.0.text").String())
					assert.Equal(t, "get_weather", body.Get("tools.0.name").Str)
				case routex.FormatOpenAI:
					assert.Equal(t, "/v1/chat/completions", last.Path)
					assert.Equal(t, "system", body.Get("messages.0.role").Str)
					assert.Equal(t, "get_weather", body.Get("tools.0.function.name").Str)
				case routex.FormatResponses:
					assert.Equal(t, "/v1/responses", last.Path)
					assert.Equal(t, "You are terse.", body.Get("instructions").Str)
				}
				n++
				rec := recs.last(t, n)
				assert.Equal(t, "openai-responses", rec.InboundFormat)
				assert.Equal(t, string(f), rec.UpstreamFormat)
				assert.Equal(t, int64(up.Usage.Output), rec.OutputTokens)
				assert.Equal(t, int64(up.Usage.CacheRead), rec.CacheReadTokens)
			})

			t.Run("stream", func(t *testing.T) {
				final, acc, types, err := streamResponseEvents(t, sdk, responsesToolParams("some-model"))
				require.NoError(t, err)
				require.NotEmpty(t, types)
				assert.Equal(t, "response.created", types[0])
				assert.Equal(t, "response.completed", types[len(types)-1])
				require.NotNil(t, final)
				assertResponsesToolTurn(t, f, up, final)
				snap := acc.Snapshot()
				assert.Equal(t, "response.completed", snap.TerminalEvent)
				assert.Equal(t, "Checking both.", snap.OutputText(), "what was streamed is what completed")
				var args []string
				for _, o := range snap.Output {
					if o.Type == "function_call" {
						args = append(args, o.Arguments)
					}
				}
				require.Len(t, args, 2)
				assert.JSONEq(t, crossTools[0].Args, args[0])
				assert.JSONEq(t, crossTools[1].Args, args[1])
				n++
				rec := recs.last(t, n)
				assert.Empty(t, rec.Error)
				assert.Equal(t, int64(up.Usage.Output), rec.OutputTokens, "streamed usage is recorded")
			})

			t.Run("tool round trip keeps the ids", func(t *testing.T) {
				params := responsesToolParams("some-model")
				params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
					responses.ResponseInputItemParamOfMessage("weather and time in Paris?", responses.EasyInputMessageRoleUser),
					responses.ResponseInputItemParamOfFunctionCall(crossTools[0].Args, crossTools[0].ID, crossTools[0].Name),
					responses.ResponseInputItemParamOfFunctionCall(crossTools[1].Args, crossTools[1].ID, crossTools[1].Name),
					functionOutput(crossTools[0].ID, "18°C"),
					functionOutput(crossTools[1].ID, "14:05"),
				}}
				_, err := sdk.Responses.New(ctx, params)
				require.NoError(t, err)
				n++
				body := gjson.ParseBytes(up.Last().Body)
				switch f {
				case routex.FormatAnthropic:
					msgs := body.Get("messages").Array()
					require.Len(t, msgs, 3, "user, assistant with both calls, user with both results: %s", body.Get("messages").Raw)
					assert.Equal(t, crossTools[0].ID, msgs[1].Get(`content.#(type=="tool_use").id`).Str)
					assert.Len(t, msgs[1].Get(`content.#(type=="tool_use")#`).Array(), 2)
					results := msgs[2].Get(`content.#(type=="tool_result")#`).Array()
					require.Len(t, results, 2)
					assert.Equal(t, crossTools[0].ID, results[0].Get("tool_use_id").Str)
					assert.Equal(t, crossTools[1].ID, results[1].Get("tool_use_id").Str)
				case routex.FormatOpenAI:
					msgs := body.Get("messages").Array()
					require.Len(t, msgs, 5, "system, user, assistant with both calls, two tool messages: %s", body.Get("messages").Raw)
					assert.Len(t, msgs[2].Get("tool_calls").Array(), 2)
					assert.Equal(t, crossTools[0].ID, msgs[3].Get("tool_call_id").Str)
					assert.Equal(t, "18°C", msgs[3].Get("content").Str)
					assert.Equal(t, crossTools[1].ID, msgs[4].Get("tool_call_id").Str)
				case routex.FormatResponses:
					assert.Equal(t, crossTools[1].ID, body.Get("input.4.call_id").Str, "passed through untouched")
				}
			})

			t.Run("upstream error in the caller's format", func(t *testing.T) {
				up.Always(mockupstream.Behavior{Status: 400})
				defer up.Behave(nil)
				_, err := sdk.Responses.New(ctx, responsesToolParams("some-model"))
				var apiErr *openai.Error
				require.True(t, errors.As(err, &apiErr), "err = %v", err)
				assert.Equal(t, 400, apiErr.StatusCode)
				assert.Contains(t, apiErr.Message, "mock")
				n++
			})

			t.Run("a failure mid-stream is no completion", func(t *testing.T) {
				up.Always(mockupstream.Behavior{ErrorEvent: true})
				defer up.Behave(nil)
				final, _, types, err := streamResponseEvents(t, sdk, responsesToolParams("some-model"))
				n++
				assert.NotContains(t, types, "response.completed")
				if err == nil {
					require.NotNil(t, final, "the stream ends with response.failed: %v", types)
					assert.Equal(t, responses.ResponseStatusFailed, final.Status)
				}
			})
		})
	}
}

func functionOutput(callID, output string) responses.ResponseInputItemUnionParam {
	item := responses.ResponseInputItemParamOfFunctionCallOutput(output)
	item.OfFunctionCallOutput.CallID = openai.String(callID)
	return item
}

func TestSDKsOverResponsesChannel(t *testing.T) {
	up := mock(t, "responses")
	up.Text = "Checking both."
	up.Tools = crossTools
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("rs", routex.FormatResponses, up)), routex.WithRecorder(recs))
	ctx := context.Background()
	n := 0
	wantIn, _ := usageFor(routex.FormatResponses, up.Usage)

	t.Run("anthropic", func(t *testing.T) {
		sdk := anthropicSDK(c)
		msg, err := sdk.Messages.New(ctx, anthropicToolParams("gpt-5"))
		require.NoError(t, err)
		assertAnthropicToolTurn(t, *msg)
		last := up.Last()
		assert.Equal(t, "/v1/responses", last.Path)
		assert.Equal(t, "Bearer sk-rs-secret-key-0123456789", last.Header.Get("Authorization"))
		body := gjson.ParseBytes(last.Body)
		assert.Equal(t, "function", body.Get("tools.0.type").Str)
		assert.Equal(t, "get_weather", body.Get("tools.0.name").Str, "flat tools, not the Chat shape")
		assert.Equal(t, "You are terse.", body.Get("instructions").Str)
		n++
		rec := recs.last(t, n)
		assert.Equal(t, "anthropic", rec.InboundFormat)
		assert.Equal(t, "openai-responses", rec.UpstreamFormat)

		msg2, err := streamMessage(t, &sdk, anthropicToolParams("gpt-5"))
		require.NoError(t, err)
		assertAnthropicToolTurn(t, msg2)
		n++
		assert.Equal(t, int64(up.Usage.Output), recs.last(t, n).OutputTokens)
	})

	t.Run("openai chat", func(t *testing.T) {
		sdk := openaiSDK(c)
		cc, err := sdk.Chat.Completions.New(ctx, openaiToolParams("gpt-5"))
		require.NoError(t, err)
		require.Len(t, cc.Choices, 1)
		assertOpenAIToolCalls(t, cc.Choices[0].Message, cc.Choices[0].FinishReason)
		assert.Equal(t, wantIn, cc.Usage.PromptTokens, "the Responses API's input_tokens, cached ones included")
		assert.Equal(t, int64(up.Usage.CacheRead), cc.Usage.PromptTokensDetails.CachedTokens)
		assert.Equal(t, int64(up.Usage.Output), cc.Usage.CompletionTokens)
		n++

		params := openaiToolParams("gpt-5")
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := sdk.Chat.Completions.NewStreaming(ctx, params)
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			require.True(t, acc.AddChunk(stream.Current()), "every chunk fits the accumulator")
		}
		require.NoError(t, stream.Err())
		stream.Close()
		require.Len(t, acc.Choices, 1)
		assertOpenAIToolCalls(t, acc.Choices[0].Message, acc.Choices[0].FinishReason)
		assert.Equal(t, wantIn, acc.Usage.PromptTokens)
		assert.Equal(t, int64(up.Usage.Output), acc.Usage.CompletionTokens)
		n++
	})

	t.Run("go-openai", func(t *testing.T) {
		cl := goOpenAI(c)
		resp, err := cl.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
			Model:    "gpt-5",
			Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "weather?"}},
		})
		require.NoError(t, err)
		require.Len(t, resp.Choices, 1)
		assert.Equal(t, "Checking both.", resp.Choices[0].Message.Content)
		require.Len(t, resp.Choices[0].Message.ToolCalls, 2)
		assert.Equal(t, crossTools[1].ID, resp.Choices[0].Message.ToolCalls[1].ID)
		assert.Equal(t, int(wantIn), resp.Usage.PromptTokens)
		n++
	})

	t.Run("reasoning becomes thinking", func(t *testing.T) {
		up.Thinking = "Two tools are needed."
		defer func() { up.Thinking = "" }()
		sdk := anthropicSDK(c)
		msg, err := streamMessage(t, &sdk, anthropicToolParams("gpt-5"))
		require.NoError(t, err)
		require.NotEmpty(t, msg.Content)
		assert.Equal(t, "thinking", string(msg.Content[0].Type))
		assert.Equal(t, "Two tools are needed.", msg.Content[0].Thinking)
		assert.Equal(t, "Checking both.", msg.Content[1].Text)
		n++
	})

	t.Run("errors in the caller's format", func(t *testing.T) {
		up.Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"Retry-After": "1"}})
		defer up.Behave(nil)
		sdk := anthropicSDK(c)
		_, err := sdk.Messages.New(ctx, anthropicToolParams("gpt-5"))
		var apiErr *anthropic.Error
		require.True(t, errors.As(err, &apiErr), "err = %v", err)
		assert.Equal(t, 429, apiErr.StatusCode)
		assert.Equal(t, "rate_limit_error", gjson.Get(apiErr.RawJSON(), "error.type").Str)
	})
}

// An Anthropic upstream's thinking reaches a Responses caller as a
// reasoning item; sent back, it reaches Anthropic again with its
// signature, and another format's channel never sees the signature.
func TestResponsesReasoningRoundTrip(t *testing.T) {
	up := mock(t, "claude")
	up.Thinking = "Let me think."
	up.Text = "Done."
	c := newClient(t, routex.WithChannels(channel("an", routex.FormatAnthropic, up)))
	sdk := openaiSDK(c)
	ctx := context.Background()

	resp, err := sdk.Responses.New(ctx, responses.ResponseNewParams{
		Model: "claude-sonnet-4-5",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("think")},
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(resp.Output), 2)
	require.Equal(t, "reasoning", resp.Output[0].Type)
	reasoning := resp.Output[0].AsReasoning()
	require.Len(t, reasoning.Summary, 1)
	assert.Equal(t, "Let me think.", reasoning.Summary[0].Text)
	require.NotEmpty(t, reasoning.EncryptedContent, "the signature rides along")
	assert.NotContains(t, reasoning.EncryptedContent, "Let me think.")

	// The next turn replays the reasoning item as Codex does (store:false).
	var replay responses.ResponseInputItemUnionParam
	require.NoError(t, json.Unmarshal([]byte(resp.Output[0].RawJSON()), &replay))
	var msg responses.ResponseInputItemUnionParam
	require.NoError(t, json.Unmarshal([]byte(resp.Output[1].RawJSON()), &msg))
	_, err = sdk.Responses.New(ctx, responses.ResponseNewParams{
		Model: "claude-sonnet-4-5",
		Store: openai.Bool(false),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("think", responses.EasyInputMessageRoleUser),
			replay, msg,
			responses.ResponseInputItemParamOfMessage("again", responses.EasyInputMessageRoleUser),
		}},
	})
	require.NoError(t, err)
	body := gjson.ParseBytes(up.Last().Body)
	thinking := body.Get(`messages.1.content.#(type=="thinking")`)
	require.True(t, thinking.Exists(), "the assistant turn carries its thinking back: %s", body.Get("messages").Raw)
	assert.Equal(t, "Let me think.", thinking.Get("thinking").Str)
	assert.Equal(t, "sig-mock", thinking.Get("signature").Str)
}
