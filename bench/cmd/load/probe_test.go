package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/routex/routex/bench/internal/payload"
)

// canned answers every request with a fixed status and body, which it
// hands over one byte per Read to split events across reads.
type canned struct {
	status int
	body   string
}

func (c canned) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Body: io.NopCloser(iotest.OneByteReader(strings.NewReader(c.body)))}, nil
}

func TestProbeVerdict(t *testing.T) {
	const (
		anthropicStream = "event: message_start\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
		openaiStream    = "data: {}\n\ndata: [DONE]\n\n"
		responsesStream = "event: response.created\ndata: {}\n\n" +
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"lorem lorem lorem lorem lorem lorem lorem lorem lorem lorem\"}]}]}}\n\n"
		responsesFailed = "event: response.created\ndata: {}\n\nevent: response.failed\ndata: {\"type\":\"response.failed\"}\n\n"
		geminiChunk     = `{"candidates":[{"content":{"parts":[{"text":"lorem "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":42,"candidatesTokenCount":1,"totalTokenCount":43},"modelVersion":"gemini-2.5-flash","responseId":"mock"}`
		geminiLast      = `{"candidates":[{"content":{"parts":[{"text":"lorem "}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":42,"candidatesTokenCount":2,"totalTokenCount":44},"modelVersion":"gemini-2.5-flash","responseId":"mock"}`
		responsesBody   = `{"object":"response","status":"completed","output":[{"type":"reasoning"},{"type":"message","content":[{"type":"output_text","text":"hi"}]}]}`
	)
	tests := []struct {
		name    string
		format  payload.Format
		stream  bool
		answer  canned
		wantErr string // substring; empty for a good answer
	}{
		{"anthropic message", payload.Anthropic, false, canned{200, `{"type":"message","content":[{"type":"text","text":"hi"}]}`}, ""},
		{"openai completion", payload.OpenAI, false, canned{200, `{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}`}, ""},
		{"anthropic error body", payload.Anthropic, false, canned{200, `{"type":"error","error":{}}`}, "not an Anthropic message"},
		{"openai as anthropic", payload.Anthropic, false, canned{200, `{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}`}, "not an Anthropic message"},
		{"status", payload.OpenAI, false, canned{429, `{"error":{}}`}, "status 429"},
		{"anthropic stream", payload.Anthropic, true, canned{200, anthropicStream}, ""},
		{"openai stream", payload.OpenAI, true, canned{200, openaiStream}, ""},
		{"cut anthropic stream", payload.Anthropic, true, canned{200, anthropicStream[:30]}, "did not end"},
		{"cut openai stream", payload.OpenAI, true, canned{200, "data: {}\n\n"}, "did not end"},
		{"no whole event", payload.OpenAI, true, canned{200, "data: [DONE]"}, "without a whole event"},
		{"responses body", payload.Responses, false, canned{200, responsesBody}, ""},
		{"incomplete response", payload.Responses, false, canned{200, strings.Replace(responsesBody, `"completed"`, `"incomplete"`, 1)}, "not a completed OpenAI response"},
		{"chat completion as response", payload.Responses, false, canned{200, `{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}`}, "not a completed OpenAI response"},
		{"responses stream", payload.Responses, true, canned{200, responsesStream}, ""},
		{"failed responses stream", payload.Responses, true, canned{200, responsesFailed}, "did not complete"},
		{"gemini answer", payload.Gemini, false, canned{200, geminiLast}, ""},
		{"unfinished gemini answer", payload.Gemini, false, canned{200, geminiChunk}, "not a finished Gemini answer"},
		{"gemini error", payload.Gemini, false, canned{200, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}`}, "not a finished Gemini answer"},
		{"gemini stream", payload.Gemini, true, canned{200, "data: " + geminiChunk + "\n\ndata: " + geminiLast + "\n\n"}, ""},
		{"cut gemini stream", payload.Gemini, true, canned{200, "data: " + geminiChunk + "\n\ndata: " + geminiChunk + "\n\n"}, "did not complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &probe{base: tt.answer, format: tt.format, stream: tt.stream}
			req, _ := http.NewRequest(http.MethodPost, "http://x"+tt.format.Endpoint("m", tt.stream), bytes.NewReader(nil))
			o := p.do(req)
			if tt.wantErr == "" && o.err != "" || !strings.Contains(o.err, tt.wantErr) {
				t.Fatalf("err = %q, want %q", o.err, tt.wantErr)
			}
			if o.err == "" && (o.ttfb <= 0 || o.end.Sub(o.start) < o.ttfb) {
				t.Errorf("ttfb %v, latency %v", o.ttfb, o.end.Sub(o.start))
			}
		})
	}
}
