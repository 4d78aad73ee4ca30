package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
)

// answeringServer stands in for routex and its upstream for a caller's
// SDK: whatever the SDK asks, it answers with reply, an upstream answer in
// c.To's format, converted to c.From's (an error for status ≥ 400).
func answeringServer(t *testing.T, c *Conversion, status int, reply []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != EndpointPath(c.From) {
			t.Errorf("SDK posted to %s, want %s", r.URL.Path, EndpointPath(c.From))
		}
		w.Header().Set("Content-Type", "application/json")
		if status >= 400 {
			st, b := ConvertError(c, status, reply)
			w.WriteHeader(st)
			_, _ = w.Write(b)
			return
		}
		out, err := ConvertResponse(c, reply)
		if err != nil {
			t.Errorf("ConvertResponse: %v", err)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func goldenReply(t *testing.T, name string) []byte {
	t.Helper()
	return []byte(readConvGolden(t, filepath.Join("testdata", "response", name+".txt")).sections["input"])
}

func newResponse(t *testing.T, url string) (*responses.Response, error) {
	t.Helper()
	client := newOpenAIClient(url)
	return client.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "gpt-5", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Hi")},
	})
}

// TestResponsesSDKReadsAnswers runs openai-go's Responses client on
// answers from Anthropic and Chat upstreams.
func TestResponsesSDKReadsAnswers(t *testing.T) {
	type call struct{ typ, callID, name, args, input string }
	tests := []struct {
		name      string
		c         *Conversion
		reply     []byte
		status    responses.ResponseStatus
		text      string
		items     []string
		calls     []call
		reasoning string
		encrypted string
		usage     responses.ResponseUsage
	}{
		{
			name: "anthropic thinking text calls", c: &Conversion{From: Responses, To: Anthropic, Model: "gpt-5",
				ToolNames: map[string]string{"github_create_issue_a03beba8": "github.create_issue"}},
			reply: goldenReply(t, "a2r_thinking_text_tool"), status: "completed", text: "Let me check.",
			items: []string{"reasoning", "reasoning", "message", "function_call", "function_call"},
			calls: []call{{"function_call", "toolu_01", "get_weather", `{"city":"Oslo","units":{"temp":"C"}}`, ""},
				{"function_call", "toolu_02", "github.create_issue", `{"title":"say \"hi\"\n"}`, ""}},
			reasoning: "Need the weather and an issue.", encrypted: carriedPrefix + "at:EqQBCgIYAhIM",
			usage: responses.ResponseUsage{InputTokens: 50, OutputTokens: 80, TotalTokens: 130},
		},
		{
			name: "anthropic cache usage", c: &Conversion{From: Responses, To: Anthropic, Model: "gpt-5"},
			reply: goldenReply(t, "a2r_text_cache_usage"), status: "completed", text: "Hello!", items: []string{"message"},
			usage: responses.ResponseUsage{InputTokens: 180, OutputTokens: 12, TotalTokens: 192,
				InputTokensDetails: responses.ResponseUsageInputTokensDetails{CachedTokens: 30, CacheWriteTokens: 50}},
		},
		{
			name: "anthropic freeform call", c: &Conversion{From: Responses, To: Anthropic, Model: "gpt-5", Freeform: []string{"apply_patch"}},
			reply: []byte(`{"id":"msg_p","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[` +
				`{"type":"text","text":"Patching."},{"type":"tool_use","id":"toolu_p","name":"apply_patch","input":{"input":"*** Begin Patch\n*** End Patch\n"}},` +
				`{"type":"tool_use","id":"toolu_s","name":"shell","input":{"cmd":["ls"]}}],"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":7}}`),
			status: "completed", text: "Patching.", items: []string{"message", "custom_tool_call", "function_call"},
			calls: []call{{"custom_tool_call", "toolu_p", "apply_patch", "", "*** Begin Patch\n*** End Patch\n"},
				{"function_call", "toolu_s", "shell", `{"cmd":["ls"]}`, ""}},
			usage: responses.ResponseUsage{InputTokens: 5, OutputTokens: 7, TotalTokens: 12},
		},
		{
			name: "anthropic max tokens", c: &Conversion{From: Responses, To: Anthropic, Model: "gpt-5"},
			reply: goldenReply(t, "a2r_max_tokens"), status: "incomplete", text: "Once upon", items: []string{"message"},
			usage: responses.ResponseUsage{InputTokens: 20, OutputTokens: 2, TotalTokens: 22},
		},
		{
			name: "chat reasoning parallel calls", c: &Conversion{From: Responses, To: OpenAI, Model: "gpt-5",
				ToolNames: map[string]string{"files_read_feef3122": "files.read"}},
			reply: goldenReply(t, "o2r_reasoning_parallel_calls"), status: "completed", text: "Checking both.",
			items: []string{"reasoning", "message", "function_call", "function_call"},
			calls: []call{{"function_call", "call_1", "get_weather", `{"city":"Paris"}`, ""},
				{"function_call", "call_2", "files.read", `{"path": "/tmp/x"}`, ""}},
			reasoning: "Two lookups are needed.",
			usage: responses.ResponseUsage{InputTokens: 100, OutputTokens: 20, TotalTokens: 120,
				InputTokensDetails:  responses.ResponseUsageInputTokensDetails{CachedTokens: 64},
				OutputTokensDetails: responses.ResponseUsageOutputTokensDetails{ReasoningTokens: 12}},
		},
		{
			name: "chat freeform call", c: &Conversion{From: Responses, To: OpenAI, Model: "gpt-5", Freeform: []string{"apply_patch"}},
			reply: []byte(`{"id":"chatcmpl-p","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,` +
				`"tool_calls":[{"id":"call_p","type":"function","function":{"name":"apply_patch","arguments":"{\"input\":\"*** Begin Patch\\n\\\"q\\\"\\n*** End Patch\\n\"}"}}]},"finish_reason":"tool_calls"}],` +
				`"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`),
			status: "completed", items: []string{"custom_tool_call"},
			calls: []call{{"custom_tool_call", "call_p", "apply_patch", "", "*** Begin Patch\n\"q\"\n*** End Patch\n"}},
			usage: responses.ResponseUsage{InputTokens: 9, OutputTokens: 3, TotalTokens: 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := newResponse(t, answeringServer(t, tt.c, http.StatusOK, tt.reply).URL)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(resp.ID, "resp_") || resp.Object != "response" || resp.Model != "gpt-5" || resp.Status != tt.status {
				t.Errorf("response: id %q, object %q, model %q, status %q", resp.ID, resp.Object, resp.Model, resp.Status)
			}
			if got := resp.OutputText(); got != tt.text {
				t.Errorf("OutputText() = %q, want %q", got, tt.text)
			}
			var types []string
			var calls []call
			var reasoning, encrypted string
			for _, item := range resp.Output {
				types = append(types, item.Type)
				if item.ID == "" {
					t.Errorf("%s item without an id", item.Type)
				}
				switch item.Type {
				case "function_call":
					calls = append(calls, call{item.Type, item.CallID, item.Name, item.Arguments.OfString, ""})
				case "custom_tool_call":
					calls = append(calls, call{item.Type, item.CallID, item.Name, "", item.Input})
				case "reasoning":
					if reasoning == "" && len(item.Summary) > 0 {
						reasoning, encrypted = item.Summary[0].Text, item.EncryptedContent
					}
				}
			}
			if strings.Join(types, ",") != strings.Join(tt.items, ",") {
				t.Errorf("items %v, want %v", types, tt.items)
			}
			if len(calls) != len(tt.calls) {
				t.Fatalf("calls %+v, want %+v", calls, tt.calls)
			}
			for i := range calls {
				g, w := calls[i], tt.calls[i]
				if g.typ != w.typ || g.callID != w.callID || g.name != w.name || g.input != w.input || !sameArguments(g.args, w.args) {
					t.Errorf("call %d: %+v, want %+v", i, g, w)
				}
			}
			if reasoning != tt.reasoning || encrypted != tt.encrypted {
				t.Errorf("reasoning %q %q, want %q %q", reasoning, encrypted, tt.reasoning, tt.encrypted)
			}
			u := resp.Usage
			if u.InputTokens != tt.usage.InputTokens || u.OutputTokens != tt.usage.OutputTokens || u.TotalTokens != tt.usage.TotalTokens ||
				u.InputTokensDetails.CachedTokens != tt.usage.InputTokensDetails.CachedTokens ||
				u.InputTokensDetails.CacheWriteTokens != tt.usage.InputTokensDetails.CacheWriteTokens ||
				u.OutputTokensDetails.ReasoningTokens != tt.usage.OutputTokensDetails.ReasoningTokens {
				t.Errorf("usage %+v, want %+v", u, tt.usage)
			}
		})
	}
}

// sameArguments compares two arguments strings as JSON, both empty alike.
func sameArguments(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && jsonEqual(x, y)
}

func jsonEqual(x, y any) bool {
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(bx) == string(by)
}

// TestResponsesUpstreamSDKs runs anthropic-sdk-go and openai-go's Chat
// client on answers from a Responses upstream.
func TestResponsesUpstreamSDKs(t *testing.T) {
	t.Run("anthropic-sdk-go", func(t *testing.T) {
		c := &Conversion{From: Anthropic, To: Responses, Model: "claude-sonnet-4-5", ToolNames: map[string]string{"files_read_feef3122": "files.read"}}
		srv := answeringServer(t, c, http.StatusOK, goldenReply(t, "r2a_reasoning_parallel_calls"))
		client := newAnthropicClient(srv.URL)
		msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
			Model: "claude-sonnet-4-5", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Model != "claude-sonnet-4-5" || msg.StopReason != "tool_use" || len(msg.Content) != 6 {
			t.Fatalf("message: model %q, stop %q, %d blocks", msg.Model, msg.StopReason, len(msg.Content))
		}
		if b := msg.Content[0]; b.Type != "thinking" || b.Thinking != "Two lookups." || b.Signature != "" {
			t.Errorf("block 0: %+v", b)
		}
		if b := msg.Content[2]; b.Type != "text" || b.Text != "Checking both." {
			t.Errorf("block 2: %+v", b)
		}
		for i, want := range []struct{ id, name, input string }{
			{"call_1", "get_weather", `{"city":"Paris"}`}, {"call_2", "files.read", `{"path": "/tmp/x"}`}, {"call_3", "get_weather", `{}`},
		} {
			b := msg.Content[3+i]
			if b.Type != "tool_use" || b.ID != want.id || b.Name != want.name || string(b.Input) != want.input {
				t.Errorf("call %d: %s %s %s %s", i, b.Type, b.ID, b.Name, b.Input)
			}
		}
		if u := msg.Usage; u.InputTokens != 100 || u.OutputTokens != 40 || u.CacheReadInputTokens != 0 {
			t.Errorf("usage %+v", u)
		}
	})
	t.Run("anthropic-sdk-go carried thinking", func(t *testing.T) {
		c := &Conversion{From: Anthropic, To: Responses, Model: "claude-sonnet-4-5"}
		srv := answeringServer(t, c, http.StatusOK, goldenReply(t, "r2a_carried_thinking"))
		client := newAnthropicClient(srv.URL)
		msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
			Model: "claude-sonnet-4-5", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 3 || msg.Content[0].Signature != "EqQBCgIYAhIM" || msg.Content[1].Type != "redacted_thinking" ||
			msg.Content[1].Data != "EmwKAhgBEgy3" || msg.Content[2].Text != "Sunny." {
			t.Errorf("content %+v", msg.Content)
		}
	})
	t.Run("openai-go chat", func(t *testing.T) {
		c := &Conversion{From: OpenAI, To: Responses, Model: "gpt-4o"}
		srv := answeringServer(t, c, http.StatusOK, goldenReply(t, "r2o_reasoning_text_tools"))
		client := newOpenAIClient(srv.URL)
		resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
		})
		if err != nil {
			t.Fatal(err)
		}
		ch := resp.Choices[0]
		if resp.Model != "gpt-4o" || ch.FinishReason != "tool_calls" || ch.Message.Content != "Checking." || len(ch.Message.ToolCalls) != 2 {
			t.Fatalf("completion: %+v", resp)
		}
		for i, id := range []string{"call_1", "call_2"} {
			if tc := ch.Message.ToolCalls[i]; tc.ID != id || tc.Function.Name != "get_weather" || !json.Valid([]byte(tc.Function.Arguments)) {
				t.Errorf("call %d: %+v", i, tc)
			}
		}
		if got := gjson.Get(ch.Message.RawJSON(), "reasoning_content").Str; got != "Look it up." {
			t.Errorf("reasoning_content %q", got)
		}
		if u := resp.Usage; u.PromptTokens != 2006 || u.PromptTokensDetails.CachedTokens != 1920 || u.CompletionTokens != 300 ||
			u.CompletionTokensDetails.ReasoningTokens != 128 || u.TotalTokens != 2306 {
			t.Errorf("usage %+v", u)
		}
	})
}

// TestResponsesErrorSDKs checks that each SDK reads the errors converted
// from and to the Responses API: status, message, type and code.
func TestResponsesErrorSDKs(t *testing.T) {
	t.Run("openai-go responses, anthropic upstream", func(t *testing.T) {
		c := &Conversion{From: Responses, To: Anthropic}
		srv := answeringServer(t, c, StatusOverloaded, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
		_, err := newResponse(t, srv.URL)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *openai.Error", err)
		}
		if apiErr.StatusCode != 503 || apiErr.Message != "Overloaded" || apiErr.Type != "overloaded_error" {
			t.Errorf("error %d %q %q", apiErr.StatusCode, apiErr.Message, apiErr.Type)
		}
	})
	t.Run("openai-go responses, chat upstream", func(t *testing.T) {
		c := &Conversion{From: Responses, To: OpenAI}
		srv := answeringServer(t, c, 400, []byte(`{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`))
		_, err := newResponse(t, srv.URL)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *openai.Error", err)
		}
		if apiErr.StatusCode != 400 || apiErr.Code != "context_length_exceeded" || apiErr.Param != "messages" || apiErr.Type != "invalid_request_error" {
			t.Errorf("error %d %q %q %q", apiErr.StatusCode, apiErr.Code, apiErr.Param, apiErr.Type)
		}
	})
	t.Run("anthropic-sdk-go, responses upstream", func(t *testing.T) {
		c := &Conversion{From: Anthropic, To: Responses}
		srv := answeringServer(t, c, 503, []byte(`{"error":{"message":"Slow down","type":"server_error","param":null,"code":null}}`))
		client := newAnthropicClient(srv.URL)
		_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
			Model: "claude-sonnet-4-5", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
		}, anthropicoption.WithMaxRetries(0))
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *anthropic.Error", err)
		}
		if apiErr.StatusCode != 529 || apiErr.Type() != "overloaded_error" || apiErr.Message != "Slow down" {
			t.Errorf("error %d %q %q", apiErr.StatusCode, apiErr.Type(), apiErr.Message)
		}
	})
	t.Run("openai-go chat, responses upstream", func(t *testing.T) {
		c := &Conversion{From: OpenAI, To: Responses}
		srv := answeringServer(t, c, 401, []byte(`{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`))
		client := newOpenAIClient(srv.URL)
		_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
		}, openaioption.WithMaxRetries(0))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *openai.Error", err)
		}
		if apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" || apiErr.Message != "Incorrect API key provided." {
			t.Errorf("error %d %q %q", apiErr.StatusCode, apiErr.Code, apiErr.Message)
		}
	})
}

// TestResponsesFailed checks that a failed or cancelled Responses answer
// is an error, never a clean empty answer.
func TestResponsesFailed(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"The model crashed."},"output":[]}`, "The model crashed."},
		{`{"id":"resp_1","object":"response","status":"cancelled","error":null,"output":[]}`, "status cancelled"},
	} {
		for _, from := range []Format{Anthropic, OpenAI} {
			_, err := ConvertResponse(&Conversion{From: from, To: Responses}, []byte(tt.body))
			if !errors.Is(err, ErrResponseFailed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: err = %v, want ErrResponseFailed with %q", from, err, tt.want)
			}
		}
	}
}

// TestResponsesDecoderStopReasons checks how the status, the incomplete
// details and the items of a Responses answer make the stop reason.
func TestResponsesDecoderStopReasons(t *testing.T) {
	text := `{"type":"message","content":[{"type":"output_text","text":"x"}]}`
	call := `{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}`
	refusal := `{"type":"message","content":[{"type":"refusal","refusal":"no"}]}`
	for _, tt := range []struct {
		name, status, incomplete, output, want string
	}{
		{"completed", "completed", "null", text, "end_turn"},
		{"call", "completed", "null", text + "," + call, "tool_use"},
		{"max output tokens", "incomplete", `{"reason":"max_output_tokens"}`, text, "max_tokens"},
		{"content filter", "incomplete", `{"reason":"content_filter"}`, text, "refusal"},
		{"refusal part", "completed", "null", refusal, "refusal"},
		{"other incomplete", "incomplete", `{"reason":"max_messages"}`, text, "end_turn"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"id":"resp_1","status":"` + tt.status + `","incomplete_details":` + tt.incomplete + `,"output":[` + tt.output + `]}`
			out, err := ConvertResponse(&Conversion{From: Anthropic, To: Responses}, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := gjson.GetBytes(out, "stop_reason").Str; got != tt.want {
				t.Errorf("stop_reason %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzConvertResponseResponses checks that no Responses upstream answer
// panics and that a valid JSON answer converts into valid JSON for every
// caller format, and that no answer to a Responses caller does either.
func FuzzConvertResponseResponses(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "*.txt"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if _, in, ok := strings.Cut(string(data), "-- input --\n"); ok {
			in, _, _ = strings.Cut(in, "\n-- ")
			f.Add([]byte(in), uint8(0))
		}
	}
	f.Add([]byte(`{"output":[{"type":"reasoning","summary":[{"text":"\u0000"}],"encrypted_content":"rtx1:at:"},{"type":"reasoning","encrypted_content":"rtx1:ar:x\"y"}]}`), uint8(1))
	f.Add([]byte(`{"output":[{"type":"custom_tool_call","input":{"a":1}},{"type":"function_call","arguments":{"a":1}}]}`), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, dir uint8) {
		pairs := [...][2]Format{{Anthropic, Responses}, {OpenAI, Responses}, {Responses, Anthropic}, {Responses, OpenAI}}
		p := pairs[int(dir)%len(pairs)]
		c := &Conversion{From: p[0], To: p[1], Model: "m", ToolNames: map[string]string{"a_1": "a.1"}, Freeform: []string{"a.1", "f"}}
		out, err := ConvertResponse(c, body)
		if err != nil {
			return
		}
		if json.Valid(body) && !json.Valid(out) {
			t.Fatalf("%s→%s: valid answer converted to invalid JSON:\n%s\n→\n%s", c.To, c.From, body, out)
		}
		// The validated path must not panic either, whatever it is given.
		_, _ = ConvertResponseValidated(c, body)
	})
}
