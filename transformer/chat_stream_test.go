package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	goopenai "github.com/sashabaranov/go-openai"
	"github.com/tidwall/gjson"
)

// openaiSDKRead feeds a converted stream to openai-go and returns what
// ChatCompletionAccumulator assembled, the reasoning text (which the SDK
// has no field for) and the stream's error.
func openaiSDKRead(t *testing.T, body []byte) (openai.ChatCompletionAccumulator, string, error) {
	t.Helper()
	srv := serveStream(t, body)
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "caller-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	var reasoning strings.Builder
	for stream.Next() {
		chunk := stream.Current()
		if !acc.AddChunk(chunk) {
			t.Fatalf("AddChunk refused %s", chunk.RawJSON())
		}
		reasoning.WriteString(gjson.Get(chunk.RawJSON(), "choices.0.delta.reasoning_content").String())
	}
	return acc, reasoning.String(), stream.Err()
}

func TestStreamAnthropicToOpenAISDK(t *testing.T) {
	type call struct{ id, name, args string }
	tests := []struct {
		file      string
		content   string
		reasoning string
		calls     []call
		finish    string
		usage     [3]int64 // prompt, cached, completion; zero when not asked for
		errText   string   // in the stream's error, if it fails
	}{
		{file: "a2o_text", content: "Hello, \"world\"\nGrüße 👋", finish: "stop", usage: [3]int64{180, 30, 15}},
		{file: "a2o_thinking_text_tool", content: "Let me check.", reasoning: "The user wants the weather. I should call the tool.",
			calls:  []call{{"toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get.weather", `{"location":"San Francisco, CA"}`}},
			finish: "tool_calls", usage: [3]int64{412, 0, 89}},
		{file: "a2o_tool", calls: []call{{"toolu_A", "search", `{"q":"go sse"}`}}, finish: "tool_calls"},
		{file: "a2o_parallel_tools", content: "Checking both.", calls: []call{
			{"toolu_1", "read_file", `{"path":"a.go"}`},
			{"toolu_2", "read_file", `{"path":"b.go"}`},
		}, finish: "tool_calls", usage: [3]int64{100, 90, 40}},
		{file: "a2o_refusal", content: "I can't help with that.", finish: "content_filter"},
		{file: "a2o_max_tokens", calls: []call{{"toolu_max", "write_file", ""}}, finish: "length", usage: [3]int64{7, 0, 16}},
		{file: "a2o_server_tools", content: "It is sunny.", finish: "stop"},
		{file: "a2o_error", content: "Partial", errText: "Overloaded"},
		{file: "a2o_cut", content: "Half an ans", errText: "connection reset by peer"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
			out, _ := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			acc, reasoning, err := openaiSDKRead(t, out)
			if tt.errText == "" && err != nil {
				t.Fatalf("stream error: %v", err)
			}
			if tt.errText != "" {
				var se *ssestream.StreamError
				if !errors.As(err, &se) || !strings.Contains(se.Message, tt.errText) {
					t.Fatalf("stream error %v, want a StreamError about %q", err, tt.errText)
				}
			}
			if len(acc.Choices) != 1 {
				t.Fatalf("%d choices", len(acc.Choices))
			}
			m := acc.Choices[0].Message
			if m.Content != tt.content {
				t.Errorf("content %q, want %q", m.Content, tt.content)
			}
			if reasoning != tt.reasoning {
				t.Errorf("reasoning %q, want %q", reasoning, tt.reasoning)
			}
			if len(m.ToolCalls) != len(tt.calls) {
				t.Fatalf("%d tool calls, want %d", len(m.ToolCalls), len(tt.calls))
			}
			for i, want := range tt.calls {
				got := m.ToolCalls[i]
				if got.ID != want.id || got.Function.Name != want.name {
					t.Errorf("call %d: %s %s, want %s %s", i, got.ID, got.Function.Name, want.id, want.name)
				}
				if want.args == "" {
					continue // cut short: not JSON
				}
				var g, w any
				if err := json.Unmarshal([]byte(got.Function.Arguments), &g); err != nil {
					t.Errorf("call %d arguments %q: %v", i, got.Function.Arguments, err)
				}
				_ = json.Unmarshal([]byte(want.args), &w)
				if !streamSameValue(g, w) {
					t.Errorf("call %d arguments %s, want %s", i, got.Function.Arguments, want.args)
				}
			}
			if string(acc.Choices[0].FinishReason) != tt.finish {
				t.Errorf("finish_reason %q, want %q", acc.Choices[0].FinishReason, tt.finish)
			}
			u := acc.Usage
			if got := [3]int64{u.PromptTokens, u.PromptTokensDetails.CachedTokens, u.CompletionTokens}; got != tt.usage {
				t.Errorf("usage %v, want %v", got, tt.usage)
			}
			if tt.usage != [3]int64{} && u.TotalTokens != u.PromptTokens+u.CompletionTokens {
				t.Errorf("total_tokens %d", u.TotalTokens)
			}
			if !strings.HasPrefix(acc.ID, "chatcmpl-msg_") {
				t.Errorf("id %q", acc.ID)
			}
			if acc.Model != "caller-model" {
				t.Errorf("model %q", acc.Model)
			}
		})
	}
}

// TestStreamAnthropicToGoOpenAI reads converted streams with
// sashabaranov/go-openai, which treats a data line starting {"error" as
// the stream's error and everything after it as part of that error.
func TestStreamAnthropicToGoOpenAI(t *testing.T) {
	for _, tt := range []struct{ file, content, errText string }{
		{"a2o_text", "Hello, \"world\"\nGrüße 👋", ""},
		{"a2o_error", "Partial", "Overloaded"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
			out, _ := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			srv := serveStream(t, out)
			cfg := goopenai.DefaultConfig("x")
			cfg.BaseURL = srv.URL + "/v1"
			stream, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletionStream(context.Background(),
				goopenai.ChatCompletionRequest{Model: "caller-model", Stream: true,
					Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			var content strings.Builder
			for {
				chunk, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					if tt.errText != "" {
						t.Fatal("clean end, want an error")
					}
					break
				}
				if err != nil {
					if tt.errText == "" || !strings.Contains(err.Error(), tt.errText) {
						t.Fatalf("Recv: %v", err)
					}
					break
				}
				if len(chunk.Choices) > 0 {
					content.WriteString(chunk.Choices[0].Delta.Content)
				}
			}
			if content.String() != tt.content {
				t.Errorf("content %q, want %q", content.String(), tt.content)
			}
		})
	}
}

func TestStreamAnthropicToOpenAIUsage(t *testing.T) {
	sc := loadStreamCase(t, "testdata/stream/a2o_text.txt")
	_, u := convertStream(t, &sc.conv, sc.input, 0, nil)
	if want := (Usage{Input: 100, CacheRead: 30, CacheWrite: 50, Output: 15}); u != want {
		t.Errorf("Usage() = %+v, want %+v", u, want)
	}
}

func TestOpenAIFinishReason(t *testing.T) {
	tests := []struct {
		stop  string
		tools bool
		want  string
	}{
		{"end_turn", false, "stop"},
		{"stop_sequence", false, "stop"},
		{"pause_turn", false, "stop"},
		{"max_tokens", false, "length"},
		{"model_context_window_exceeded", false, "length"},
		{"tool_use", false, "tool_calls"},
		{"refusal", false, "content_filter"},
		{"end_turn", true, "tool_calls"},
		{"max_tokens", true, "length"},
		{"something_new", false, "stop"},
	}
	for _, tt := range tests {
		if got := streamFinishReason(tt.stop, tt.tools); got != tt.want {
			t.Errorf("streamFinishReason(%q, %v) = %q, want %q", tt.stop, tt.tools, got, tt.want)
		}
	}
}
