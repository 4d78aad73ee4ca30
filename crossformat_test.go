package routex_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

var crossTools = []mockupstream.ToolCall{
	{ID: "call_weather_1", Name: "get_weather", Args: `{"city":"Paris","unit":"celsius"}`},
	{ID: "call_time_2", Name: "get_time", Args: `{"zone":"Europe/Paris"}`},
}

func anthropicToolParams(model string) anthropic.MessageNewParams {
	p := anthropicParams(model, "weather and time in Paris?")
	p.System = []anthropic.TextBlockParam{{Text: "You are terse."}}
	p.Tools = []anthropic.ToolUnionParam{
		{OfTool: &anthropic.ToolParam{Name: "get_weather", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}}},
		{OfTool: &anthropic.ToolParam{Name: "get_time", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"zone": map[string]any{"type": "string"}}}}},
	}
	return p
}

// assertAnthropicToolTurn checks what anthropic-sdk-go assembled from a
// converted OpenAI answer.
func assertAnthropicToolTurn(t *testing.T, msg anthropic.Message) {
	t.Helper()
	var text []string
	var tools []anthropic.ContentBlockUnion
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "tool_use":
			tools = append(tools, b)
		}
	}
	assert.Equal(t, []string{"Checking both."}, text)
	require.Len(t, tools, 2)
	for i, tc := range crossTools {
		assert.Equal(t, tc.ID, tools[i].ID)
		assert.Equal(t, tc.Name, tools[i].Name)
		assert.JSONEq(t, tc.Args, string(tools[i].Input))
	}
	assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	assert.Equal(t, int64(12), msg.Usage.InputTokens, "prompt tokens minus cached")
	assert.Equal(t, int64(30), msg.Usage.CacheReadInputTokens)
	assert.Equal(t, int64(7), msg.Usage.OutputTokens)
}

func TestCrossFormatAnthropicSDKOverOpenAIChannel(t *testing.T) {
	up := mock(t, "openai")
	up.Text = "Checking both."
	up.Tools = crossTools
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("oa", routex.FormatOpenAI, up)), routex.WithRecorder(recs))
	sdk := anthropicSDK(c)
	ctx := context.Background()

	t.Run("message", func(t *testing.T) {
		msg, err := sdk.Messages.New(ctx, anthropicToolParams("gpt-4o"))
		require.NoError(t, err)
		assertAnthropicToolTurn(t, *msg)

		last := up.Last()
		assert.Equal(t, "/v1/chat/completions", last.Path)
		assert.Equal(t, "Bearer sk-oa-secret-key-0123456789", last.Header.Get("Authorization"))
		assert.Empty(t, last.Header.Get("Anthropic-Version"), "Anthropic headers stay behind")
		assert.Empty(t, last.Header.Get("X-Api-Key"))
		body := gjson.ParseBytes(last.Body)
		assert.Equal(t, "system", body.Get("messages.0.role").Str)
		assert.Equal(t, "You are terse.", body.Get("messages.0.content").Str)
		assert.Equal(t, "function", body.Get("tools.0.type").Str)
		assert.Equal(t, "get_weather", body.Get("tools.0.function.name").Str)

		rec := recs.last(t, 1)
		assert.Equal(t, "anthropic", rec.InboundFormat)
		assert.Equal(t, "openai", rec.UpstreamFormat)
		assert.Equal(t, int64(12), rec.InputTokens)
		assert.Equal(t, int64(30), rec.CacheReadTokens)
		assert.Equal(t, int64(7), rec.OutputTokens)
	})

	t.Run("stream", func(t *testing.T) {
		msg, err := streamMessage(t, &sdk, anthropicToolParams("gpt-4o"))
		require.NoError(t, err)
		assertAnthropicToolTurn(t, msg)
		assert.True(t, gjson.GetBytes(up.Last().Body, "stream_options.include_usage").Bool())
		rec := recs.last(t, 2)
		assert.Empty(t, rec.Error)
		assert.Equal(t, int64(7), rec.OutputTokens, "streamed usage is recorded")
		assert.Equal(t, int64(30), rec.CacheReadTokens)
	})

	t.Run("thinking", func(t *testing.T) {
		up.Thinking = "Two tools are needed."
		defer func() { up.Thinking = "" }()
		msg, err := streamMessage(t, &sdk, anthropicToolParams("gpt-4o"))
		require.NoError(t, err)
		require.NotEmpty(t, msg.Content)
		assert.Equal(t, "thinking", string(msg.Content[0].Type))
		assert.Equal(t, "Two tools are needed.", msg.Content[0].Thinking)
		assert.Equal(t, "Checking both.", msg.Content[1].Text)
	})

	t.Run("upstream error in the caller's format", func(t *testing.T) {
		up.Always(mockupstream.Behavior{Status: 400})
		defer up.Behave(nil)
		_, err := sdk.Messages.New(ctx, anthropicToolParams("gpt-4o"))
		var apiErr *anthropic.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 400, apiErr.StatusCode)
		assert.Contains(t, apiErr.RawJSON(), "invalid_request_error")
		assert.Contains(t, apiErr.RawJSON(), "mock openai status 400")
	})
}

func openaiToolParams(model string) openai.ChatCompletionNewParams {
	p := openaiParams(model, "weather and time in Paris?")
	p.Tools = []openai.ChatCompletionToolUnionParam{
		openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather", Parameters: openai.FunctionParameters{"type": "object"}}),
		openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_time", Parameters: openai.FunctionParameters{"type": "object"}}),
	}
	return p
}

func assertOpenAIToolTurn(t *testing.T, msg openai.ChatCompletionMessage, finish string, usage openai.CompletionUsage) {
	t.Helper()
	assertOpenAIToolCalls(t, msg, finish)
	assert.Equal(t, int64(92), usage.PromptTokens, "input + cache read + cache write")
	assert.Equal(t, int64(30), usage.PromptTokensDetails.CachedTokens)
	assert.Equal(t, int64(7), usage.CompletionTokens)
}

// assertOpenAIToolCalls checks the text and the two calls of a Chat answer.
func assertOpenAIToolCalls(t *testing.T, msg openai.ChatCompletionMessage, finish string) {
	t.Helper()
	assert.Equal(t, "Checking both.", msg.Content)
	require.Len(t, msg.ToolCalls, 2)
	for i, tc := range crossTools {
		assert.Equal(t, tc.ID, msg.ToolCalls[i].ID)
		assert.Equal(t, tc.Name, msg.ToolCalls[i].Function.Name)
		assert.JSONEq(t, tc.Args, msg.ToolCalls[i].Function.Arguments)
	}
	assert.Equal(t, "tool_calls", finish)
}

func TestCrossFormatOpenAISDKOverAnthropicChannel(t *testing.T) {
	up := mock(t, "claude")
	up.Text = "Checking both."
	up.Tools = crossTools
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("an", routex.FormatAnthropic, up)), routex.WithRecorder(recs))
	sdk := openaiSDK(c)
	ctx := context.Background()

	t.Run("completion", func(t *testing.T) {
		cc, err := sdk.Chat.Completions.New(ctx, openaiToolParams("claude-sonnet-4-5"))
		require.NoError(t, err)
		require.Len(t, cc.Choices, 1)
		assertOpenAIToolTurn(t, cc.Choices[0].Message, cc.Choices[0].FinishReason, cc.Usage)
		assert.Equal(t, "claude-sonnet-4-5", cc.Model)

		last := up.Last()
		assert.Equal(t, "/v1/messages", last.Path)
		assert.Equal(t, "sk-an-secret-key-0123456789", last.Header.Get("X-Api-Key"))
		assert.NotEmpty(t, last.Header.Get("Anthropic-Version"))
		assert.Empty(t, last.Header.Get("Authorization"), "the caller's key never reaches the upstream")
		body := gjson.ParseBytes(last.Body)
		assert.Positive(t, body.Get("max_tokens").Int(), "Anthropic requires max_tokens")
		assert.Equal(t, "get_weather", body.Get("tools.0.name").Str)
		rec := recs.last(t, 1)
		assert.Equal(t, int64(12), rec.InputTokens)
		assert.Equal(t, int64(50), rec.CacheWriteTokens)
	})

	t.Run("stream", func(t *testing.T) {
		params := openaiToolParams("claude-sonnet-4-5")
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := sdk.Chat.Completions.NewStreaming(ctx, params)
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			require.True(t, acc.AddChunk(stream.Current()), "every chunk fits the accumulator")
		}
		require.NoError(t, stream.Err())
		stream.Close()
		require.Len(t, acc.Choices, 1)
		assertOpenAIToolTurn(t, acc.Choices[0].Message, acc.Choices[0].FinishReason, acc.Usage)
		rec := recs.last(t, 2)
		assert.Empty(t, rec.Error)
		assert.Equal(t, int64(7), rec.OutputTokens)
		assert.Equal(t, int64(30), rec.CacheReadTokens)
	})

	t.Run("go-openai", func(t *testing.T) {
		cl := goOpenAI(c)
		req := goopenai.ChatCompletionRequest{Model: "claude-sonnet-4-5", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}
		resp, err := cl.CreateChatCompletion(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, "Checking both.", resp.Choices[0].Message.Content)
		require.Len(t, resp.Choices[0].Message.ToolCalls, 2)
		assert.Equal(t, 92, resp.Usage.PromptTokens)

		stream, err := cl.CreateChatCompletionStream(ctx, req)
		require.NoError(t, err)
		defer stream.Close()
		var text strings.Builder
		args := map[int]string{}
		for {
			chunk, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			for _, ch := range chunk.Choices {
				text.WriteString(ch.Delta.Content)
				for _, tc := range ch.Delta.ToolCalls {
					args[*tc.Index] += tc.Function.Arguments
				}
			}
		}
		assert.Equal(t, "Checking both.", text.String())
		assert.JSONEq(t, crossTools[0].Args, args[0])
		assert.JSONEq(t, crossTools[1].Args, args[1])
	})

	t.Run("rate limit answer in the caller's format", func(t *testing.T) {
		up.Always(mockupstream.Behavior{Status: 529})
		defer up.Behave(nil)
		_, err := sdk.Chat.Completions.New(ctx, openaiToolParams("claude-sonnet-4-5"))
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode, "529 becomes OpenAI's 503")
		var body map[string]any
		require.NoError(t, json.Unmarshal([]byte(apiErr.RawJSON()), &body))
	})
}

func TestCrossFormatStreamCutEndsWellFormed(t *testing.T) {
	up := mock(t, "openai")
	up.Text = "one two three four five six"
	up.Always(mockupstream.Behavior{CutAfter: 3})
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("oa", routex.FormatOpenAI, up)), routex.WithRecorder(recs))
	sdk := anthropicSDK(c)
	_, err := streamMessage(t, &sdk, anthropicParams("gpt-4o", "hi"))
	require.Error(t, err, "the caller learns that the stream was cut")
	assert.Contains(t, recs.last(t, 1).Error, "ended before")
}
