package routex_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/mockupstream"
)

// The host the SDKs aim at does not exist: channels decide where requests go.
const sdkBase = "http://routex.invalid/"

func anthropicSDK(c *routex.Client, opts ...aoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]aoption.RequestOption{
		aoption.WithoutEnvironmentDefaults(),
		aoption.WithBaseURL(sdkBase), aoption.WithAPIKey("caller-key"),
		aoption.WithHTTPClient(c.HTTPClient()), aoption.WithMaxRetries(0),
	}, opts...)...)
}

func openaiSDK(c *routex.Client, opts ...ooption.RequestOption) openai.Client {
	return openai.NewClient(append([]ooption.RequestOption{
		ooption.WithBaseURL(sdkBase + "v1/"), ooption.WithAPIKey("caller-key"),
		ooption.WithHTTPClient(c.HTTPClient()), ooption.WithMaxRetries(0),
	}, opts...)...)
}

func goOpenAI(c *routex.Client) *goopenai.Client {
	cfg := goopenai.DefaultConfig("caller-key")
	cfg.BaseURL = sdkBase + "v1"
	cfg.HTTPClient = c.HTTPClient()
	return goopenai.NewClientWithConfig(cfg)
}

// streamMessage streams a message through sdk, assembles it with
// Message.Accumulate (every event must fit) and closes the stream; the
// error is the stream's.
func streamMessage(t *testing.T, sdk *anthropic.Client, params anthropic.MessageNewParams) (anthropic.Message, error) {
	t.Helper()
	stream := sdk.Messages.NewStreaming(context.Background(), params)
	defer func() { require.NoError(t, stream.Close()) }()
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	return msg, stream.Err()
}

func anthropicParams(model, text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model: anthropic.Model(model), MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
	}
}

func openaiParams(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    openai.ChatModel(model),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

func TestSDKAnthropicSameFormat(t *testing.T) {
	up := mock(t, "claude")
	recs := newRecords()
	ch := channel("claude", routex.FormatAnthropic, up)
	ch.ModelMap = map[string]string{"claude-fast": "claude-haiku-4-5"}
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
	sdk := anthropicSDK(c)
	ctx := context.Background()

	t.Run("message", func(t *testing.T) {
		msg, err := sdk.Messages.New(ctx, anthropicParams("claude-fast", "hi"))
		require.NoError(t, err)
		require.Len(t, msg.Content, 1)
		assert.Equal(t, "hello from claude", msg.Content[0].Text)
		assert.Equal(t, int64(12), msg.Usage.InputTokens)
		assert.Equal(t, int64(30), msg.Usage.CacheReadInputTokens)

		last := up.Last()
		assert.Equal(t, "/v1/messages", last.Path)
		assert.Equal(t, ch.APIKey, last.Header.Get("X-Api-Key"), "the channel's key replaces the caller's")
		assert.NotContains(t, last.Header.Get("Authorization"), "caller-key")
		assert.NotEmpty(t, last.Header.Get("Anthropic-Version"), "the caller's API version is kept")
		assert.Contains(t, string(last.Body), `"model":"claude-haiku-4-5"`, "ModelMap renames upstream")

		rec := recs.last(t, 1)
		assert.Equal(t, "claude", rec.ChannelID)
		assert.Equal(t, "claude-fast", rec.Model)
		assert.Equal(t, "claude-haiku-4-5", rec.UpstreamModel)
		assert.Equal(t, 200, rec.Status)
		assert.Equal(t, 1, rec.Attempts)
		assert.Equal(t, int64(12), rec.InputTokens)
		assert.Equal(t, int64(7), rec.OutputTokens)
		assert.Equal(t, int64(30), rec.CacheReadTokens)
		assert.Equal(t, int64(50), rec.CacheWriteTokens)
	})

	t.Run("stream", func(t *testing.T) {
		up.Text = "one two three four"
		msg, err := streamMessage(t, &sdk, anthropicParams("claude-fast", "hi"))
		require.NoError(t, err)
		require.Len(t, msg.Content, 1)
		assert.Equal(t, "one two three four", msg.Content[0].Text)
		assert.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)

		rec := recs.last(t, 2)
		assert.True(t, rec.Stream)
		assert.Empty(t, rec.Error)
		assert.Equal(t, int64(12), rec.InputTokens)
		assert.Equal(t, int64(7), rec.OutputTokens, "output tokens from message_delta")
		assert.Equal(t, int64(30), rec.CacheReadTokens)
		assert.Equal(t, int64(50), rec.CacheWriteTokens)
		assert.Greater(t, rec.TTFB, time.Duration(0))
	})

	t.Run("models", func(t *testing.T) {
		page, err := sdk.Models.List(ctx, anthropic.ModelListParams{})
		require.NoError(t, err)
		require.Len(t, page.Data, 1)
		assert.Equal(t, "claude-fast", page.Data[0].ID)
	})
}

func TestSDKOpenAISameFormat(t *testing.T) {
	up := mock(t, "gpt")
	up.Text = "alpha beta gamma"
	recs := newRecords()
	ch := channel("gpt", routex.FormatOpenAI, up)
	ch.Models = []string{"gpt-4o", "gpt-5*"}
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
	sdk := openaiSDK(c)
	ctx := context.Background()

	t.Run("completion", func(t *testing.T) {
		cc, err := sdk.Chat.Completions.New(ctx, openaiParams("gpt-4o", "hi"))
		require.NoError(t, err)
		assert.Equal(t, "alpha beta gamma", cc.Choices[0].Message.Content)
		assert.Equal(t, "Bearer "+ch.APIKey, up.Last().Header.Get("Authorization"))
		rec := recs.last(t, 1)
		assert.Equal(t, int64(12), rec.InputTokens, "prompt_tokens minus cached")
		assert.Equal(t, int64(30), rec.CacheReadTokens)
		assert.Equal(t, int64(7), rec.OutputTokens)
	})

	t.Run("stream", func(t *testing.T) {
		stream := sdk.Chat.Completions.NewStreaming(ctx, openaiParams("gpt-5-mini", "hi"))
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		require.NoError(t, stream.Err())
		require.NoError(t, stream.Close())
		assert.Equal(t, "alpha beta gamma", acc.Choices[0].Message.Content)
		assert.Equal(t, "stop", acc.Choices[0].FinishReason)
		assert.Contains(t, string(up.Last().Body), `"include_usage":true`, "usage is requested so it is never lost")
		assert.Equal(t, int64(7), acc.Usage.CompletionTokens)

		rec := recs.last(t, 2)
		assert.Empty(t, rec.Error)
		assert.Equal(t, int64(7), rec.OutputTokens)
		assert.Equal(t, int64(30), rec.CacheReadTokens)
	})

	t.Run("models", func(t *testing.T) {
		page, err := sdk.Models.List(ctx)
		require.NoError(t, err)
		require.Len(t, page.Data, 1, "globs are not listed")
		assert.Equal(t, "gpt-4o", page.Data[0].ID)
	})

	t.Run("unknown model", func(t *testing.T) {
		_, err := sdk.Chat.Completions.New(ctx, openaiParams("llama-3", "hi"))
		var apiErr *openai.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
		assert.Contains(t, apiErr.Message, `"llama-3"`)
	})
}

func TestSDKGoOpenAI(t *testing.T) {
	up := mock(t, "gpt")
	up.Text = "x y z"
	c := newClient(t, routex.WithChannels(channel("gpt", routex.FormatOpenAI, up)))
	cl := goOpenAI(c)
	ctx := context.Background()
	req := goopenai.ChatCompletionRequest{Model: "gpt-4o", Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}

	resp, err := cl.CreateChatCompletion(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "x y z", resp.Choices[0].Message.Content)
	assert.Equal(t, 7, resp.Usage.CompletionTokens)

	stream, err := cl.CreateChatCompletionStream(ctx, req)
	require.NoError(t, err)
	defer stream.Close()
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if len(chunk.Choices) > 0 {
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	assert.Equal(t, "x y z", text.String())
}

func TestSDKFailover(t *testing.T) {
	cases := []struct {
		name       string
		streamOnly bool
		prepare    func(t *testing.T, bad *mockupstream.Server) routex.Channel
	}{
		{"529 overloaded", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{Status: 529})
			return channel("bad", routex.FormatAnthropic, bad)
		}},
		{"503 unavailable", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{Status: 503})
			return channel("bad", routex.FormatAnthropic, bad)
		}},
		{"connection refused", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			ch := channel("bad", routex.FormatAnthropic, bad)
			bad.Close()
			return ch
		}},
		{"connection reset", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{Reset: true})
			return channel("bad", routex.FormatAnthropic, bad)
		}},
		{"hangs past its timeout", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{Hang: true})
			ch := channel("bad", routex.FormatAnthropic, bad)
			ch.Timeout = 100 * time.Millisecond
			return ch
		}},
		{"stream cut before its first event", true, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{CutAfter: -1})
			return channel("bad", routex.FormatAnthropic, bad)
		}},
		{"500 internal error", false, func(t *testing.T, bad *mockupstream.Server) routex.Channel {
			bad.Always(mockupstream.Behavior{Status: 500})
			return channel("bad", routex.FormatAnthropic, bad)
		}},
	}
	for _, tc := range cases {
		for _, streaming := range []bool{false, true} {
			if tc.streamOnly && !streaming {
				continue
			}
			name := tc.name
			if streaming {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				bad, good := mock(t, "bad"), mock(t, "good")
				badCh := tc.prepare(t, bad)
				goodCh := channel("good", routex.FormatAnthropic, good)
				goodCh.Priority = 1
				recs := newRecords()
				c := newClient(t, routex.WithChannels(badCh, goodCh), routex.WithRecorder(recs))
				sdk := anthropicSDK(c)
				ctx := context.Background()
				var text string
				if streaming {
					msg, err := streamMessage(t, &sdk, anthropicParams("claude-x", "hi"))
					require.NoError(t, err)
					require.NotEmpty(t, msg.Content)
					text = msg.Content[0].Text
				} else {
					msg, err := sdk.Messages.New(ctx, anthropicParams("claude-x", "hi"))
					require.NoError(t, err)
					text = msg.Content[0].Text
				}
				assert.Equal(t, "hello from good", text)
				rec := recs.last(t, 1)
				assert.Equal(t, "good", rec.ChannelID)
				assert.Equal(t, 2, rec.Attempts)
				assert.Equal(t, 1, good.Calls())
			})
		}
	}
}

func TestRecordsCarryCost(t *testing.T) {
	up := mock(t, "claude")
	recs := newRecords()
	ch := channel("claude", routex.FormatAnthropic, up)
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs),
		routex.WithPricing(analytics.DefaultPricing().With(map[string]analytics.Price{"claude-test": {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75}})))
	sdk := anthropicSDK(c)
	_, err := sdk.Messages.New(context.Background(), anthropicParams("claude-test", "hi"))
	require.NoError(t, err)
	rec := recs.last(t, 1)
	require.NotNil(t, rec.Cost)
	// 12 in, 7 out, 30 cache read, 50 cache write, per million tokens.
	assert.InDelta(t, (12*3+7*15+30*0.3+50*3.75)/1e6, *rec.Cost, 1e-12)

	_, err = sdk.Messages.New(context.Background(), anthropicParams("no-such-model", "hi"))
	require.NoError(t, err)
	assert.Nil(t, recs.last(t, 2).Cost, "an unknown model's cost is unknown, not zero")
}
