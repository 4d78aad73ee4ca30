package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// serveStream serves body as an event stream to every request.
func serveStream(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// anthropicSDKRead feeds a converted stream to anthropic-sdk-go and returns
// the message it assembled and the stream's error.
func anthropicSDKRead(t *testing.T, body []byte) (anthropic.Message, error) {
	t.Helper()
	srv := serveStream(t, body)
	client := anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithBaseURL(srv.URL),
		option.WithAPIKey("x"), option.WithMaxRetries(0))
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model: "caller-model", MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	defer stream.Close()
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("accumulate: %v", err)
		}
	}
	return msg, stream.Err()
}

func toolInputOf(t *testing.T, b anthropic.ContentBlockUnion) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b.Input, &m); err != nil {
		t.Fatalf("tool input %s: %v", b.Input, err)
	}
	return m
}

func TestStreamOpenAIToAnthropicSDK(t *testing.T) {
	type block struct{ typ, text, name, id, input string }
	tests := []struct {
		file    string
		blocks  []block
		stop    anthropic.StopReason
		usage   [4]int64 // input, cache read, cache write, output
		errType string   // the error the stream ends with, if any
	}{
		{file: "o2a_text", blocks: []block{{typ: "text", text: "Hello, \"world\"\nGrüße 👋"}},
			stop: "end_turn", usage: [4]int64{150, 30, 0, 12}},
		{file: "o2a_reasoning_text_tool", blocks: []block{
			{typ: "thinking", text: "The user wants the weather."},
			{typ: "text", text: "Let me check."},
			{typ: "tool_use", name: "get.weather", id: "call_0_weather", input: `{"location":"Paris"}`},
		}, stop: "tool_use", usage: [4]int64{44, 256, 0, 120}},
		{file: "o2a_interleaved_tools", blocks: []block{
			{typ: "tool_use", name: "add", id: "call_1", input: `{"a":1,"b":2}`},
			{typ: "tool_use", name: "mul", id: "call_2", input: `{"a":3,"b":4}`},
		}, stop: "tool_use"},
		{file: "o2a_missing_index", blocks: []block{
			{typ: "tool_use", name: "ls", id: "call_x", input: `{"dir":"/tmp"}`},
			{typ: "tool_use", name: "ls", id: "call_y", input: `{"dir":"/var"}`},
			{typ: "tool_use", name: "cat", id: "call_z", input: `{"f":"x"}`},
			{typ: "tool_use", name: "cat", id: "call_w", input: `{"f":"y"}`},
		}, stop: "tool_use"},
		{file: "o2a_args_with_name", blocks: []block{
			{typ: "tool_use", name: "get_weather", id: "functions_get_weather_0_2298bf8d", input: `{"city":"Oslo"}`},
			{typ: "tool_use", name: "get_time", id: "functions_get_time_1_b17280bd", input: `{"tz":"CET"}`},
		}, stop: "tool_use", usage: [4]int64{40, 0, 0, 20}},
		{file: "o2a_usage_every_chunk", blocks: []block{{typ: "text", text: "AB"}},
			stop: "end_turn", usage: [4]int64{30, 20, 0, 4}},
		{file: "o2a_content_filter", blocks: []block{{typ: "text", text: "I'm sorry, I can't help with that."}},
			stop: "refusal"},
		{file: "o2a_error", blocks: []block{{typ: "text", text: "Partial"}}, errType: "overloaded_error"},
		{file: "o2a_cut", blocks: []block{{typ: "tool_use", name: "write", id: "call_cut", input: `{}`}},
			errType: "api_error"},
		{file: "o2a_eof_no_finish", blocks: []block{{typ: "text", text: "Trunc"}}, errType: "api_error"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
			out, _ := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			msg, err := anthropicSDKRead(t, out)
			if tt.errType == "" && err != nil {
				t.Fatalf("stream error: %v", err)
			}
			if tt.errType != "" {
				var apiErr *anthropic.Error
				if !errors.As(err, &apiErr) {
					t.Fatalf("stream error %v, want an *anthropic.Error", err)
				}
				if string(apiErr.Type()) != tt.errType {
					t.Errorf("error type %q, want %q", apiErr.Type(), tt.errType)
				}
			}
			if len(msg.Content) != len(tt.blocks) {
				t.Fatalf("%d blocks, want %d: %+v", len(msg.Content), len(tt.blocks), msg.Content)
			}
			for i, want := range tt.blocks {
				got := msg.Content[i]
				if got.Type != want.typ {
					t.Errorf("block %d type %q, want %q", i, got.Type, want.typ)
				}
				switch want.typ {
				case "text":
					if got.Text != want.text {
						t.Errorf("block %d text %q, want %q", i, got.Text, want.text)
					}
				case "thinking":
					if got.Thinking != want.text {
						t.Errorf("block %d thinking %q, want %q", i, got.Thinking, want.text)
					}
				case "tool_use":
					if got.Name != want.name || got.ID != want.id {
						t.Errorf("block %d tool %s/%s, want %s/%s", i, got.Name, got.ID, want.name, want.id)
					}
					var w map[string]any
					_ = json.Unmarshal([]byte(want.input), &w)
					if g := toolInputOf(t, got); !streamSameValue(g, w) {
						t.Errorf("block %d input %v, want %v", i, g, w)
					}
				}
			}
			if tt.stop != "" && msg.StopReason != tt.stop {
				t.Errorf("stop reason %q, want %q", msg.StopReason, tt.stop)
			}
			if msg.Model != "caller-model" {
				t.Errorf("model %q", msg.Model)
			}
			u := msg.Usage
			if got := [4]int64{u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens, u.OutputTokens}; got != tt.usage {
				t.Errorf("usage %v, want %v", got, tt.usage)
			}
		})
	}
}

func streamSameValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestStreamOpenAIToAnthropicUsage(t *testing.T) {
	sc := loadStreamCase(t, "testdata/stream/o2a_text.txt")
	_, u := convertStream(t, &sc.conv, sc.input, 0, nil)
	if want := (Usage{Input: 150, CacheRead: 30, Output: 12}); u != want {
		t.Errorf("Usage() = %+v, want %+v", u, want)
	}
}

// TestStreamOpenAIToAnthropicFirstEvent checks that nothing is held back:
// the first chunk yields message_start at once, and each delta its event.
func TestStreamOpenAIToAnthropicFirstEvent(t *testing.T) {
	sc := newStreamConverter(&Conversion{From: Anthropic, To: OpenAI, Model: "m"}, streamClock)
	out, _ := sc.Event(nil, Event{Data: []byte(`{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`)})
	if evs, err := decodeStreamEvents(out); err != nil || len(evs) != 1 || evs[0].Type != "message_start" {
		t.Fatalf("first chunk gave %q", out)
	}
	out, _ = sc.Event(nil, Event{Data: []byte(`{"id":"a","choices":[{"index":0,"delta":{"content":"x"}}]}`)})
	if evs, err := decodeStreamEvents(out); err != nil || len(evs) != 2 || evs[1].Type != "content_block_delta" {
		t.Fatalf("first text gave %q", out)
	}
}

// TestStreamEndOnce checks that End after a complete stream, or a second
// End, adds nothing, and that events after the end are ignored.
func TestStreamEndOnce(t *testing.T) {
	for _, file := range []string{"o2a_text", "a2o_text", "o2a_error", "a2o_error", "a2a_complete"} {
		t.Run(file, func(t *testing.T) {
			sc := loadStreamCase(t, "testdata/stream/"+file+".txt")
			conv := sc.conv
			c := newStreamConverter(&conv, streamClock)
			var dec Decoder
			var out []byte
			fn := func(ev Event) error {
				out, _ = c.Event(out, ev)
				return nil
			}
			_ = dec.Feed(sc.input, fn)
			_ = dec.Flush(fn)
			n := len(out)
			out = c.End(out, nil)
			out = c.End(out, errors.New("late"))
			if conv.From != conv.To {
				out, _ = c.Event(out, Event{Type: "message_stop", Data: []byte(`{"type":"message_stop"}`)})
				out, _ = c.Event(out, Event{Data: []byte(`[DONE]`)})
			}
			if len(out) != n {
				t.Errorf("after the end: %q", out[n:])
			}
		})
	}
}

func TestStreamConverterNilConversion(t *testing.T) {
	c := NewStreamConverter(nil)
	out, err := c.Event(nil, Event{Data: []byte(`{"x":1}`)})
	if err != nil || string(out) != "data: {\"x\":1}\n\n" {
		t.Fatalf("Event = %q, %v", out, err)
	}
	out = c.End(nil, nil)
	if _, err := decodeStreamEvents(out); err != nil {
		t.Fatal(err)
	}
}

func TestAnthropicStreamErrorType(t *testing.T) {
	tests := []struct{ typ, code, want string }{
		{"server_error", "server_overloaded", "overloaded_error"},
		{"service_unavailable", "", "overloaded_error"},
		{"requests", "rate_limit_exceeded", "rate_limit_error"},
		{"insufficient_quota", "insufficient_quota", "rate_limit_error"},
		{"invalid_request_error", "context_length_exceeded", "invalid_request_error"},
		{"server_error", "", "api_error"},
		{"", "", "api_error"},
	}
	for _, tt := range tests {
		if got := anthropicStreamErrorType(tt.typ, tt.code); got != tt.want {
			t.Errorf("anthropicStreamErrorType(%q, %q) = %q, want %q", tt.typ, tt.code, got, tt.want)
		}
	}
}
