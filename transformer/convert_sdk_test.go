package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
)

// convertingServer stands in for routex and its upstream: it converts the
// SDK's request from the caller's format to the upstream's, checks it, and
// answers with reply (in the upstream's format) converted back, as a
// complete response or, for status ≥ 400, as an error.
func convertingServer(t *testing.T, from, to Format, status int, reply []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != EndpointPath(from) {
			t.Errorf("SDK posted to %s, want %s", r.URL.Path, EndpointPath(from))
		}
		body, _ := io.ReadAll(r.Body)
		up, c, err := ConvertRequest(from, to, body)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			t.Errorf("ConvertRequest: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(ErrorBody(from, http.StatusBadRequest, err.Error()))
			return
		}
		if !json.Valid(up) {
			t.Errorf("upstream request is not valid JSON: %s", up)
		}
		if to == Anthropic {
			checkAnthropicRequest(t, "SDK request", up)
		}
		if status >= 400 {
			st, b := ConvertError(c, status, reply)
			w.WriteHeader(st)
			_, _ = w.Write(b)
			return
		}
		out, err := ConvertResponse(c, reply)
		if err != nil {
			t.Errorf("ConvertResponse: %v", err)
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func goldenInput(t *testing.T, name string) []byte {
	t.Helper()
	return []byte(readConvGolden(t, filepath.Join("testdata", "request", name+".txt")).sections["input"])
}

func newOpenAIClient(url string) openai.Client {
	return openai.NewClient(openaioption.WithBaseURL(url+"/v1/"), openaioption.WithAPIKey("x"), openaioption.WithMaxRetries(0))
}

func newAnthropicClient(url string) anthropic.Client {
	return anthropic.NewClient(anthropicoption.WithoutEnvironmentDefaults(), anthropicoption.WithBaseURL(url),
		anthropicoption.WithAPIKey("x"), anthropicoption.WithMaxRetries(0))
}

// TestResponseOpenAISDK runs an OpenAI caller on an Anthropic upstream
// through openai-go.
func TestResponseOpenAISDK(t *testing.T) {
	reply := []byte(`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
		"content":[{"type":"thinking","thinking":"Filing it.","signature":"sig"},{"type":"text","text":"Filing the bug."},
		{"type":"tool_use","id":"toolu_01","name":"github_create_issue_a03beba8","input":{"title":"crash \"on\" start"}}],
		"stop_reason":"tool_use","stop_sequence":null,
		"usage":{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":30,"output_tokens":12}}`)
	srv := convertingServer(t, OpenAI, Anthropic, http.StatusOK, reply)
	client := newOpenAIClient(srv.URL)
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{},
		openaioption.WithRequestBody("application/json", goldenInput(t, "o2a_long_tool_names")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "gpt-4o" || resp.Object != "chat.completion" || len(resp.Choices) != 1 {
		t.Fatalf("completion: model %q, object %q, %d choices", resp.Model, resp.Object, len(resp.Choices))
	}
	ch := resp.Choices[0]
	if ch.FinishReason != "tool_calls" || ch.Message.Content != "Filing the bug." || len(ch.Message.ToolCalls) != 1 {
		t.Fatalf("choice: %+v", ch)
	}
	call := ch.Message.ToolCalls[0]
	if call.ID != "toolu_01" || call.Function.Name != "github.create_issue" {
		t.Errorf("tool call %q %q, want toolu_01 github.create_issue", call.ID, call.Function.Name)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil || args["title"] != `crash "on" start` {
		t.Errorf("arguments %q: %v", call.Function.Arguments, err)
	}
	if u := resp.Usage; u.PromptTokens != 180 || u.CompletionTokens != 12 || u.TotalTokens != 192 || u.PromptTokensDetails.CachedTokens != 30 {
		t.Errorf("usage %+v", u)
	}
}

// TestResponseAnthropicSDK runs an Anthropic caller on an OpenAI upstream
// through anthropic-sdk-go, with Claude Code's request.
func TestResponseAnthropicSDK(t *testing.T) {
	reply := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",
		"choices":[{"index":0,"message":{"role":"assistant","content":"Reading it.","reasoning_content":"Need main.go.","refusal":null,"annotations":[],
		"tool_calls":[{"id":"call_1","type":"function","function":{"name":"Read","arguments":"{\"file_path\":\"main.go\"}"}}]},
		"logprobs":null,"finish_reason":"tool_calls"}],
		"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}`)
	srv := convertingServer(t, Anthropic, OpenAI, http.StatusOK, reply)
	body := goldenInput(t, "a2o_claude_code")
	// Claude Code streams; this test reads a complete message.
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	delete(req, "stream")
	body, _ = json.Marshal(req)

	client := newAnthropicClient(srv.URL)
	msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{},
		anthropicoption.WithRequestBody("application/json", body))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Model != "claude-opus-4-1" || msg.StopReason != "tool_use" || len(msg.Content) != 3 {
		t.Fatalf("message: model %q, stop %q, %d blocks", msg.Model, msg.StopReason, len(msg.Content))
	}
	if b := msg.Content[0]; b.Type != "thinking" || b.Thinking != "Need main.go." {
		t.Errorf("block 0: %+v", b)
	}
	if b := msg.Content[1]; b.Type != "text" || b.Text != "Reading it." {
		t.Errorf("block 1: %+v", b)
	}
	if b := msg.Content[2]; b.Type != "tool_use" || b.ID != "call_1" || b.Name != "Read" || string(b.Input) != `{"file_path":"main.go"}` {
		t.Errorf("block 2: %+v", b)
	}
	if u := msg.Usage; u.InputTokens != 86 || u.CacheReadInputTokens != 1920 || u.CacheCreationInputTokens != 0 || u.OutputTokens != 300 {
		t.Errorf("usage %+v", u)
	}
}

// TestErrorSDKs checks that each SDK reads converted errors: status,
// message and type.
func TestErrorSDKs(t *testing.T) {
	t.Run("openai-go", func(t *testing.T) {
		srv := convertingServer(t, OpenAI, Anthropic, 529,
			[]byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
		client := newOpenAIClient(srv.URL)
		_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{},
			openaioption.WithRequestBody("application/json", goldenInput(t, "o2a_plain_text")))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *openai.Error", err)
		}
		if apiErr.StatusCode != 503 || apiErr.Message != "Overloaded" || apiErr.Type != "overloaded_error" {
			t.Errorf("error %d %q %q", apiErr.StatusCode, apiErr.Message, apiErr.Type)
		}
	})
	t.Run("anthropic-sdk-go", func(t *testing.T) {
		srv := convertingServer(t, Anthropic, OpenAI, 503, []byte("<html><body>Service Unavailable</body></html>"))
		client := newAnthropicClient(srv.URL)
		_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{},
			anthropicoption.WithRequestBody("application/json", goldenInput(t, "a2o_plain_text")))
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("err = %v, want *anthropic.Error", err)
		}
		if apiErr.StatusCode != 529 || apiErr.Type() != "overloaded_error" || apiErr.Message != "upstream returned HTTP 503: Service Unavailable" {
			t.Errorf("error %d %q %q", apiErr.StatusCode, apiErr.Type(), apiErr.Message)
		}
	})
}
