package routex_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/mockupstream"
)

func inputTokenParams(model string) responses.InputTokenCountParams {
	return responses.InputTokenCountParams{Model: openai.String(model),
		Input: responses.InputTokenCountParamsInputUnion{OfString: openai.String("How many tokens is this sentence?")}}
}

// responsesParams asks model about the weather, offering a weather
// function when tool is set.
func responsesParams(model string, tool bool) responses.ResponseNewParams {
	p := responses.ResponseNewParams{Model: model, PromptCacheKey: openai.String("conv-1"),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("What is the weather in Paris?")}}
	if tool {
		p.Tools = []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	}
	return p
}

// streamResponse streams a response through sdk and returns its completed
// form, what the accumulator assembled from the events before it, the
// sequence numbers in order, and the stream's error.
func streamResponse(t *testing.T, sdk openai.Client, p responses.ResponseNewParams) (*responses.Response, responses.ResponseAccumulatorSnapshot, []int64, error) {
	t.Helper()
	stream := sdk.Responses.NewStreaming(context.Background(), p)
	defer stream.Close()
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
	return completed, acc.Snapshot(), seq, stream.Err()
}

// wantResponsesUsage checks a record's usage against what up reported, in
// the record's terms (input excludes cached tokens).
func wantResponsesUsage(t *testing.T, up *mockupstream.Server, rec analytics.Record) {
	t.Helper()
	assert.EqualValues(t, up.Usage.Input, rec.InputTokens)
	assert.EqualValues(t, up.Usage.CacheRead, rec.CacheReadTokens)
	assert.EqualValues(t, up.Usage.Output, rec.OutputTokens)
}

// openai-go's Responses client, through the Client to a Responses channel:
// reasoning then a text or a function call, whole and streamed, passed
// through as the provider sent them, with the channel's key, the session
// from prompt_cache_key, and the record of each.
func TestSDKResponsesSameFormat(t *testing.T) {
	up := mock(t, "resp")
	up.Thinking = "The user wants the weather."
	text := up.Text
	recs := newRecords()
	ch := channel("resp", routex.FormatResponses, up)
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
	sdk := openaiSDK(c)
	n := 0
	for _, tool := range []bool{false, true} {
		name := "text"
		up.Text, up.Tools = text, nil
		if tool {
			name = "function call"
			up.Text, up.Tools = "", []mockupstream.ToolCall{weatherCall}
		}
		t.Run(name, func(t *testing.T) {
			resp, err := sdk.Responses.New(context.Background(), responsesParams("gpt-5", tool))
			require.NoError(t, err)
			got := requestSince(t, up, n)
			assert.Equal(t, "/v1/responses", got.Path)
			assert.Equal(t, "Bearer "+ch.APIKey, got.Header.Get("Authorization"))
			assert.False(t, gjson.GetBytes(got.Body, "stream").Bool())
			assert.Equal(t, tool, gjson.GetBytes(got.Body, `tools.#(name=="get_weather")`).Exists(), "the function offered reaches the provider")
			require.Len(t, resp.Output, 2)
			require.NotEmpty(t, resp.Output[0].AsReasoning().Summary)
			assert.Equal(t, up.Thinking, resp.Output[0].AsReasoning().Summary[0].Text)
			if tool {
				call := resp.Output[1].AsFunctionCall()
				assert.Equal(t, weatherCall.Name, call.Name)
				assert.JSONEq(t, weatherCall.Args, call.Arguments)
				assert.Equal(t, weatherCall.ID, call.CallID)
			} else {
				assert.Equal(t, text, resp.OutputText())
			}
			assert.EqualValues(t, up.Usage.Input+up.Usage.CacheRead, resp.Usage.InputTokens)
			assert.EqualValues(t, up.Usage.CacheRead, resp.Usage.InputTokensDetails.CachedTokens)
			assert.EqualValues(t, up.Usage.Reasoning, resp.Usage.OutputTokensDetails.ReasoningTokens)
			n++
			rec := recs.last(t, n)
			assert.Equal(t, "openai-responses", rec.InboundFormat)
			assert.Equal(t, "openai-responses", rec.UpstreamFormat)
			assert.Equal(t, "resp", rec.ChannelID)
			assert.Equal(t, "conv-1", rec.Session)
			assert.Empty(t, rec.Error)
			wantResponsesUsage(t, up, rec)

			completed, snap, seq, err := streamResponse(t, sdk, responsesParams("gpt-5", tool))
			got = requestSince(t, up, n)
			assert.True(t, gjson.GetBytes(got.Body, "stream").Bool())
			require.NotNil(t, completed, "the stream reached response.completed")
			for i, s := range seq {
				assert.EqualValues(t, i, s, "sequence numbers from 0 up by one")
			}
			assert.Equal(t, "response.completed", snap.TerminalEvent)
			require.Len(t, snap.Output, 2)
			require.Len(t, completed.Output, 2)
			assert.Equal(t, "reasoning", snap.Output[0].Type)
			require.NotEmpty(t, completed.Output[0].AsReasoning().Summary)
			assert.Equal(t, up.Thinking, completed.Output[0].AsReasoning().Summary[0].Text)
			if tool {
				assert.Equal(t, completed.Output[1].AsFunctionCall().Arguments, snap.Output[1].Arguments)
				assert.JSONEq(t, weatherCall.Args, snap.Output[1].Arguments)
			} else {
				assert.Equal(t, completed.OutputText(), snap.OutputText())
				assert.Equal(t, text, snap.OutputText())
			}
			n++
			rec = recs.last(t, n)
			assert.True(t, rec.Stream)
			// The pipeline saw the stream's final event: no error recorded.
			assert.Empty(t, rec.Error)
			assert.NoError(t, err, "the stream ends clean")
			wantResponsesUsage(t, up, rec)
		})
	}
}
