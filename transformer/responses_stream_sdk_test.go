package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
)

// convertingStreamServer plays an upstream speaking conv.To and converts
// its stream inside the handler, as the router does: the upstream's bytes
// reach the Decoder in pieces of piece bytes (splitting SSE lines and
// UTF-8 sequences anywhere), and every converted event is flushed at once.
func convertingStreamServer(t *testing.T, conv Conversion, input []byte, piece int, endErr error) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := conv
		sc := newStreamConverter(&c, streamClock)
		w.Header().Set("Content-Type", "text/event-stream")
		var dec Decoder
		var out []byte
		fn := func(ev Event) error {
			out, _ = sc.Event(out[:0], ev)
			if _, err := w.Write(out); err != nil {
				return err
			}
			w.(http.Flusher).Flush()
			return nil
		}
		for in := input; len(in) > 0; {
			n := min(piece, len(in))
			if err := dec.Feed(in[:n], fn); err != nil {
				t.Errorf("feed: %v", err)
				return
			}
			in = in[n:]
		}
		if err := dec.Flush(fn); err != nil {
			t.Errorf("flush: %v", err)
		}
		_, _ = w.Write(sc.End(out[:0], endErr))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// responsesSDKResult is what the official Responses client made of a stream.
type responsesSDKResult struct {
	events   []string // event types, in order
	text     string   // the output_text deltas
	final    *responses.Response
	finalTyp string
	err      error
}

func responsesSDKRead(t *testing.T, url string) responsesSDKResult {
	t.Helper()
	client := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
	stream := client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "caller-model",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
	})
	defer stream.Close()
	var r responsesSDKResult
	var seq int64
	for stream.Next() {
		ev := stream.Current()
		if ev.SequenceNumber != seq {
			t.Errorf("%s: sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq++
		r.events = append(r.events, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			r.text += ev.Delta
		case "response.completed", "response.incomplete":
			resp := ev.AsResponseCompleted().Response
			r.final, r.finalTyp = &resp, ev.Type
		case "response.failed":
			resp := ev.AsResponseFailed().Response
			r.final, r.finalTyp = &resp, ev.Type
		}
	}
	r.err = stream.Err()
	return r
}

// TestStreamToResponsesSDK converts Anthropic and Chat upstreams for the
// official openai-go Responses client, fed in odd-sized pieces.
func TestStreamToResponsesSDK(t *testing.T) {
	type call struct {
		typ, callID, name string
		args              map[string]any // a function call's parsed arguments
		input             string         // a custom tool call's input
	}
	tests := []struct {
		file      string
		text      string
		reasoning string
		encrypted string
		calls     []call
		final     string
		usage     [4]int64 // input, cached, output, reasoning
		errText   string   // in response.error.message, for response.failed
	}{
		{file: "a2r_text", text: "Hello, \"world\"\nGrüße 👋", final: "response.completed", usage: [4]int64{180, 30, 15, 0}},
		{file: "a2r_thinking_text_tool", text: "Let me check.", reasoning: "The user wants the weather. I should call the tool.",
			encrypted: carriedPrefix + "at:EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
			calls: []call{{typ: "function_call", callID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get.weather",
				args: map[string]any{"location": "San Francisco, CA"}}},
			final: "response.completed", usage: [4]int64{412, 0, 89, 0}},
		{file: "a2r_parallel_tools", text: "Checking both.", calls: []call{
			{typ: "function_call", callID: "toolu_1", name: "read_file", args: map[string]any{"path": "a.go"}},
			{typ: "function_call", callID: "toolu_2", name: "read_file", args: map[string]any{"path": "b.go"}},
		}, final: "response.completed", usage: [4]int64{100, 90, 40, 0}},
		{file: "a2r_freeform", calls: []call{{typ: "custom_tool_call", callID: "toolu_FF1", name: "apply_patch",
			input: "*** Begin Patch\n-\tfmt.Println(\"old\")\n+\tfmt.Println(\"new\")\n*** End Patch"}},
			final: "response.completed", usage: [4]int64{50, 10, 33, 0}},
		{file: "a2r_max_tokens", final: "response.incomplete", calls: []call{{typ: "function_call", callID: "toolu_max", name: "write_file"}}},
		{file: "a2r_error", text: "Partial", final: "response.failed", errText: "Overloaded"},
		{file: "a2r_cut", text: "Half an ans", final: "response.failed", errText: "connection reset by peer"},
		{file: "o2r_text", final: "response.completed"},
		{file: "o2r_parallel_tools", calls: []call{
			{typ: "function_call", callID: "call_A", name: "read_file", args: map[string]any{"path": "a.go"}},
			{typ: "function_call", callID: "call_B", name: "read_file", args: map[string]any{"path": "b.go"}},
		}, final: "response.completed", usage: [4]int64{60, 0, 30, 0}},
		{file: "o2r_freeform", calls: []call{
			{typ: "custom_tool_call", callID: "call_FF", name: "apply_patch", input: "*** Begin Patch\n*** End Patch"},
			{typ: "function_call", callID: "call_GG", name: "shell", args: map[string]any{"cmd": []any{"ls"}}},
		}, final: "response.completed", usage: [4]int64{90, 64, 20, 8}},
		{file: "o2r_error", text: "Partial", final: "response.failed", errText: "overloaded"},
		{file: "o2r_cut", final: "response.failed", errText: "unexpected EOF"},
	}
	for _, tt := range tests {
		for _, piece := range []int{1, 3, 17, 1 << 20} {
			t.Run(tt.file, func(t *testing.T) {
				sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
				srv := convertingStreamServer(t, sc.conv, sc.input, piece, sc.endErr)
				r := responsesSDKRead(t, srv.URL)
				if r.err != nil {
					t.Fatalf("stream error: %v (events %v)", r.err, r.events)
				}
				if len(r.events) < 3 || r.events[0] != "response.created" || r.events[1] != "response.in_progress" {
					t.Fatalf("events %v", r.events)
				}
				if r.finalTyp != tt.final || r.events[len(r.events)-1] != tt.final {
					t.Fatalf("ends with %q (%v), want %s", r.finalTyp, r.events, tt.final)
				}
				resp := r.final
				if tt.errText != "" {
					if resp.Status != "failed" || !strings.Contains(resp.Error.Message, tt.errText) || resp.Error.Code == "" {
						t.Fatalf("failed response %s", resp.RawJSON())
					}
					if r.text != tt.text {
						t.Errorf("streamed text %q, want %q", r.text, tt.text)
					}
					return
				}
				if tt.text != "" && (r.text != tt.text || resp.OutputText() != tt.text) {
					t.Errorf("text: streamed %q, final %q, want %q", r.text, resp.OutputText(), tt.text)
				}
				var calls []call
				for _, it := range resp.Output {
					switch it.Type {
					case "reasoning":
						rs := it.AsReasoning()
						if len(rs.Summary) != 1 || rs.Summary[0].Text != tt.reasoning || rs.EncryptedContent != tt.encrypted {
							t.Errorf("reasoning %s", it.RawJSON())
						}
					case "function_call":
						fc := it.AsFunctionCall()
						c := call{typ: it.Type, callID: fc.CallID, name: fc.Name}
						if fc.Arguments != "" || tt.final != "response.incomplete" {
							if err := json.Unmarshal([]byte(fc.Arguments), &c.args); err != nil && tt.final != "response.incomplete" {
								t.Errorf("arguments %q: %v", fc.Arguments, err)
							}
						}
						calls = append(calls, c)
					case "custom_tool_call":
						cc := it.AsCustomToolCall()
						calls = append(calls, call{typ: it.Type, callID: cc.CallID, name: cc.Name, input: cc.Input})
					}
				}
				if tt.final == "response.incomplete" {
					for i := range calls {
						calls[i].args = nil
					}
					if resp.IncompleteDetails.Reason != "max_output_tokens" {
						t.Errorf("incomplete_details %s", resp.IncompleteDetails.RawJSON())
					}
				}
				if !streamSameValue(calls, tt.calls) {
					t.Errorf("calls %+v, want %+v", calls, tt.calls)
				}
				u := resp.Usage
				if tt.usage != [4]int64{} && [4]int64{u.InputTokens, u.InputTokensDetails.CachedTokens, u.OutputTokens, u.OutputTokensDetails.ReasoningTokens} != tt.usage {
					t.Errorf("usage %s, want %v", u.RawJSON(), tt.usage)
				}
			})
		}
	}
}

// TestStreamFromResponsesSDK converts a Responses upstream for
// anthropic-sdk-go (Message.Accumulate) and openai-go Chat
// (ChatCompletionAccumulator).
func TestStreamFromResponsesSDK(t *testing.T) {
	t.Run("anthropic", func(t *testing.T) {
		for _, tt := range []struct {
			file    string
			blocks  []string // type:text or type:name:input
			stop    string
			errText string
		}{
			{file: "r2a_text", blocks: []string{"text:Hello, \"world\"\nGrüße 👋"}, stop: "end_turn"},
			{file: "r2a_reasoning_tools", blocks: []string{
				"thinking:The user wants **both files**.\nRead them in parallel.", "text:Reading both.",
				`tool_use:read_file:{"path":"a.go"}`, `tool_use:read_file:{"path":"b.go"}`}, stop: "tool_use"},
			{file: "r2a_carried_thinking", blocks: []string{"thinking:Thinking carried through.", "redacted_thinking:", "text:Done."}, stop: "end_turn"},
			{file: "r2a_custom_tool", blocks: []string{`tool_use:apply_patch:{"input":"*** Begin Patch\n*** Update File: a.go\n-\tfmt.Println(\"old\")\n+\tfmt.Println(\"new\")\n*** End Patch"}`}, stop: "tool_use"},
			{file: "r2a_incomplete", blocks: []string{"text:The list is: 1, 2, 3,"}, stop: "max_tokens"},
			{file: "r2a_failed", errText: "invalid content"},
			{file: "r2a_error", errText: "Rate limit"},
			{file: "r2a_cut", errText: "unexpected EOF"},
		} {
			t.Run(tt.file, func(t *testing.T) {
				sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
				out, _ := convertStream(t, &sc.conv, sc.input, 5, sc.endErr)
				msg, err := anthropicSDKRead(t, out)
				if tt.errText != "" {
					if err == nil || !strings.Contains(err.Error(), tt.errText) {
						t.Fatalf("stream error %v, want one about %q", err, tt.errText)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, b := range msg.Content {
					switch b.Type {
					case "text":
						got = append(got, "text:"+b.Text)
					case "thinking":
						got = append(got, "thinking:"+b.Thinking)
					case "redacted_thinking":
						got = append(got, "redacted_thinking:")
					case "tool_use":
						var in any
						_ = json.Unmarshal(b.Input, &in)
						norm, _ := json.Marshal(in)
						got = append(got, "tool_use:"+b.Name+":"+string(norm))
					}
				}
				want := make([]string, len(tt.blocks))
				for i, b := range tt.blocks {
					if name, rest, ok := strings.Cut(strings.TrimPrefix(b, "tool_use:"), ":"); ok && strings.HasPrefix(b, "tool_use:") {
						var in any
						if err := json.Unmarshal([]byte(rest), &in); err != nil {
							t.Fatal(err)
						}
						norm, _ := json.Marshal(in)
						b = "tool_use:" + name + ":" + string(norm)
					}
					want[i] = b
				}
				if !streamSameValue(got, want) {
					t.Errorf("blocks %q, want %q", got, want)
				}
				if string(msg.StopReason) != tt.stop {
					t.Errorf("stop_reason %q, want %q", msg.StopReason, tt.stop)
				}
				if tt.file == "r2a_reasoning_tools" && (msg.Usage.InputTokens != 300 || msg.Usage.CacheReadInputTokens != 1800 || msg.Usage.OutputTokens != 240) {
					t.Errorf("usage %+v", msg.Usage)
				}
				if tt.file == "r2a_carried_thinking" && msg.Content[0].Signature != "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" {
					t.Errorf("signature %q", msg.Content[0].Signature)
				}
			})
		}
	})
	t.Run("chat", func(t *testing.T) {
		type fc struct{ id, name, args string }
		for _, tt := range []struct {
			file    string
			content string
			calls   []fc
			finish  string
			usage   [3]int64 // prompt, cached, completion
			errText string
		}{
			{file: "r2o_text", content: "Hello, \"world\"\nGrüße 👋", finish: "stop", usage: [3]int64{180, 30, 15}},
			{file: "r2o_reasoning_tools", content: "Reading both.", calls: []fc{
				{"call_A", "read_file", `{"path":"a.go"}`}, {"call_B", "read_file", `{"path":"b.go"}`}},
				finish: "tool_calls", usage: [3]int64{2100, 1800, 240}},
			{file: "r2o_custom_tool", calls: []fc{{"call_P", "apply_patch",
				`{"input":"*** Begin Patch\n*** Update File: a.go\n-\tfmt.Println(\"old\")\n+\tfmt.Println(\"new\")\n*** End Patch"}`}}, finish: "tool_calls"},
			{file: "r2o_incomplete", content: "The list is: 1, 2, 3,", finish: "length"},
			{file: "r2o_failed", errText: "invalid content"},
			{file: "r2o_error", errText: "Rate limit"},
			{file: "r2o_cut", errText: "unexpected EOF"},
		} {
			t.Run(tt.file, func(t *testing.T) {
				sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
				out, _ := convertStream(t, &sc.conv, sc.input, 7, sc.endErr)
				acc, _, err := openaiSDKRead(t, out)
				if tt.errText != "" {
					var se *ssestream.StreamError
					if !errors.As(err, &se) || !strings.Contains(se.Message, tt.errText) {
						t.Fatalf("stream error %v, want a StreamError about %q", err, tt.errText)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				ch := acc.Choices[0]
				if ch.Message.Content != tt.content || ch.FinishReason != tt.finish {
					t.Errorf("content %q finish %q", ch.Message.Content, ch.FinishReason)
				}
				var calls []fc
				for _, c := range ch.Message.ToolCalls {
					var v any
					if err := json.Unmarshal([]byte(c.Function.Arguments), &v); err != nil {
						t.Errorf("arguments %q: %v", c.Function.Arguments, err)
					}
					norm, _ := json.Marshal(v)
					calls = append(calls, fc{c.ID, c.Function.Name, string(norm)})
				}
				for i := range tt.calls {
					var v any
					_ = json.Unmarshal([]byte(tt.calls[i].args), &v)
					norm, _ := json.Marshal(v)
					tt.calls[i].args = string(norm)
				}
				if !streamSameValue(calls, tt.calls) {
					t.Errorf("calls %+v, want %+v", calls, tt.calls)
				}
				if tt.usage != [3]int64{} {
					u := acc.Usage
					if [3]int64{u.PromptTokens, u.PromptTokensDetails.CachedTokens, u.CompletionTokens} != tt.usage {
						t.Errorf("usage %+v, want %v", u, tt.usage)
					}
				}
			})
		}
	})
}

// A Responses pass-through cut short ends with response.failed numbered
// after the last event, which the official client yields as an event.
func TestStreamResponsesPassThroughCut(t *testing.T) {
	sc := loadStreamCase(t, "testdata/stream/r2r_cut.txt")
	srv := convertingStreamServer(t, sc.conv, sc.input, 9, sc.endErr)
	r := responsesSDKRead(t, srv.URL)
	if r.err != nil || r.finalTyp != "response.failed" || r.final.ID != "resp_68a1" || !strings.Contains(r.final.Error.Message, "connection reset") {
		t.Fatalf("err %v, final %s %+v", r.err, r.finalTyp, r.final)
	}
	if r.text != "Half an ans" {
		t.Errorf("text %q", r.text)
	}
}
