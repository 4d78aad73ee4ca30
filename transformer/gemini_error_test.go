package transformer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"

	"github.com/routex/routex/internal/jsonx"
)

// TestGeminiErrorBody checks Google's error shape for each HTTP status: code
// the status, status the google.rpc name of google/rpc/code.proto's HTTP
// mapping.
func TestGeminiErrorBody(t *testing.T) {
	cases := []struct {
		status int
		want   int
		name   string
	}{
		{400, 400, "INVALID_ARGUMENT"},
		{401, 401, "UNAUTHENTICATED"},
		{403, 403, "PERMISSION_DENIED"},
		{404, 404, "NOT_FOUND"},
		{409, 409, "ABORTED"},
		{413, 413, "INVALID_ARGUMENT"},
		{422, 422, "FAILED_PRECONDITION"},
		{429, 429, "RESOURCE_EXHAUSTED"},
		{500, 500, "INTERNAL"},
		{501, 501, "UNIMPLEMENTED"},
		{502, 502, "INTERNAL"},
		{503, 503, "UNAVAILABLE"},
		{StatusOverloaded, 503, "UNAVAILABLE"},
		{504, 504, "DEADLINE_EXCEEDED"},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status)+tc.name, func(t *testing.T) {
			body := ErrorBody(Gemini, tc.status, `quota "exceeded"`)
			v := jsonx.Value(body).Get("error")
			if !jsonx.ValidBytes(body) || v.Get("code") != jsonx.Value(itoa(tc.want)) ||
				v.Get("status").Str() != tc.name || v.Get("message").Text() != `quota "exceeded"` {
				t.Errorf("ErrorBody = %s, want code %d status %s", body, tc.want, tc.name)
			}
		})
	}
}

func itoa(n int) string { return string(appendInt(nil, int64(n))) }

// TestConvertGeminiErrors converts errors both ways: Google's bodies to the
// other formats' kinds, theirs to Google's status names.
func TestConvertGeminiErrors(t *testing.T) {
	googleBody := func(code int, status, msg string) string {
		return `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}`
	}
	cases := []struct {
		name         string
		from, to     Format
		status       int
		body         string
		wantStatus   int
		wantType     string // the caller's error type or google.rpc status
		wantInMessag string
	}{
		{"429 to anthropic", Anthropic, Gemini, 429, googleBody(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), 429, "rate_limit_error", "Quota exceeded"},
		{"503 to anthropic is overloaded", Anthropic, Gemini, 503, googleBody(503, "UNAVAILABLE", "The model is overloaded."), 529, "overloaded_error", "overloaded"},
		{"504 to anthropic is a timeout", Anthropic, Gemini, 504, googleBody(504, "DEADLINE_EXCEEDED", "Deadline expired"), 504, "timeout_error", "Deadline"},
		{"400 to chat", OpenAI, Gemini, 400, googleBody(400, "INVALID_ARGUMENT", "Invalid JSON payload"), 400, "invalid_request_error", "Invalid JSON"},
		{"array-wrapped to chat", OpenAI, Gemini, 404, "[" + googleBody(404, "NOT_FOUND", "models/x is not found") + "]", 404, "not_found_error", "models/x"},
		{"html to responses", Responses, Gemini, 502, "<html><body>Bad gateway</body></html>", 502, "api_error", "Bad gateway"},
		{"anthropic 529 to gemini", Gemini, Anthropic, 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 503, "UNAVAILABLE", "Overloaded"},
		{"chat 429 to gemini", Gemini, OpenAI, 429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, 429, "RESOURCE_EXHAUSTED", "Rate limit"},
		{"responses 401 to gemini", Gemini, Responses, 401, `{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}`, 401, "UNAUTHENTICATED", "Incorrect API key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, out := ConvertError(&Conversion{From: tc.from, To: tc.to}, tc.status, []byte(tc.body))
			if st != tc.wantStatus {
				t.Errorf("status %d, want %d", st, tc.wantStatus)
			}
			e := jsonx.Value(out).Get("error")
			typ := e.Get("type").Str()
			if tc.from == Gemini {
				typ = e.Get("status").Str()
			}
			if typ != tc.wantType || !strings.Contains(e.Get("message").Text(), tc.wantInMessag) {
				t.Errorf("body %s, want %s saying %q", out, tc.wantType, tc.wantInMessag)
			}
		})
	}
}

// TestSDKErrorsFromGemini has each official client read an error that a
// Gemini upstream answered, and genai read errors other formats answered.
func TestSDKErrorsFromGemini(t *testing.T) {
	ctx := context.Background()
	quota := `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`
	t.Run("genai", func(t *testing.T) {
		srv := geminiAnsweringServer(t, Gemini, Anthropic, http.StatusTooManyRequests,
			`{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`)
		_, err := genaiClient(t, srv.URL, "v1beta").Models.GenerateContent(ctx, "gemini-2.5-pro", genai.Text("hi"), nil)
		var apiErr genai.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" ||
			!strings.Contains(apiErr.Message, "per-minute rate limit") {
			t.Errorf("err = %#v", err)
		}
	})
	t.Run("anthropic", func(t *testing.T) {
		srv := geminiAnsweringServer(t, Anthropic, Gemini, http.StatusTooManyRequests, quota)
		client := newAnthropicClient(srv.URL)
		_, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "m", MaxTokens: 1,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || !strings.Contains(apiErr.RawJSON(), "rate_limit_error") ||
			!strings.Contains(apiErr.RawJSON(), "Resource has been exhausted") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("chat", func(t *testing.T) {
		srv := geminiAnsweringServer(t, OpenAI, Gemini, http.StatusTooManyRequests, quota)
		client := newOpenAIClient(srv.URL)
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "m",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || !strings.Contains(apiErr.Message, "Resource has been exhausted") {
			t.Errorf("err = %v", err)
		}
	})
}
