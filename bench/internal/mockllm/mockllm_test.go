package mockllm

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(New(Settings{Events: 3}))
	defer srv.Close()
	tests := []struct {
		path, body string
		// want: the JSON answer's text, or the stream's data lines in order
		wantText string
		wantData []string
	}{
		{path: "/v1/messages", body: `{"model":"m"}`, wantText: "lorem lorem lorem "},
		{path: "/v1/chat/completions", body: `{"model":"m"}`, wantText: "lorem lorem lorem "},
		{path: "/v1/responses", body: `{"model":"m"}`, wantText: "lorem lorem lorem "},
		{path: "/v1/responses", body: `{"model":"m","stream":true}`, wantData: []string{
			`"response.created","sequence_number":0`, "response.output_item.added", "response.content_part.added",
			"response.output_text.delta", "response.output_text.delta", `"response.output_text.delta","sequence_number":5`,
			`"text":"lorem lorem lorem "`, "response.content_part.done", "response.output_item.done",
			`"output":[{"type":"message","id":"msg_mock","status":"completed","role":"assistant","content":[{"type":"output_text","text":"lorem lorem lorem "`}},
		{path: "/v1/messages", body: `{"model":"m","stream":true}`, wantData: []string{
			"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
			"content_block_stop", "message_delta", "message_stop"}},
		{path: "/v1/chat/completions", body: `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, wantData: []string{
			"chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk",
			"usage", "[DONE]"}},
		{path: "/v1beta/models/m:generateContent", body: `{"contents":[]}`, wantText: "lorem lorem lorem "},
		{path: "/v1beta/models/m:streamGenerateContent?alt=sse", body: `{"contents":[]}`, wantData: []string{
			`"text":"lorem "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":42,"candidatesTokenCount":1,`,
			`"candidatesTokenCount":2,`, `"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":42,"candidatesTokenCount":3,`}},
		{path: "/v1/chat/completions", body: `{"model":"m","stream":true}`, wantData: []string{
			"chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk", "chat.completion.chunk",
			"[DONE]"}},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.body, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tt.wantData == nil {
				b, _ := io.ReadAll(resp.Body)
				text := gjson.GetBytes(b, "content.0.text").String() + gjson.GetBytes(b, "choices.0.message.content").String() +
					gjson.GetBytes(b, "output.0.content.0.text").String() + gjson.GetBytes(b, "candidates.0.content.parts.0.text").String()
				model := gjson.GetBytes(b, "model").String() + gjson.GetBytes(b, "modelVersion").String()
				if text != tt.wantText || model != "m" {
					t.Errorf("answer %s", b)
				}
				return
			}
			var data []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					data = append(data, d)
				}
			}
			if len(data) != len(tt.wantData) {
				t.Fatalf("%d events, want %d:\n%s", len(data), len(tt.wantData), strings.Join(data, "\n"))
			}
			for i, d := range data {
				if !strings.Contains(d, tt.wantData[i]) {
					t.Errorf("event %d = %s, want it to hold %q", i, d, tt.wantData[i])
				}
				if d != "[DONE]" && !gjson.Valid(d) {
					t.Errorf("event %d is not JSON: %s", i, d)
				}
			}
		})
	}
}

// Without alt=sse a Gemini stream is one JSON array, sent element by
// element.
func TestGeminiArray(t *testing.T) {
	srv := httptest.NewServer(New(Settings{Events: 3}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := gjson.ParseBytes(b)
	if !strings.HasPrefix(string(b), "[{") || strings.Count(string(b), "}\n,\r\n{") != 2 || !strings.HasSuffix(string(b), "}\n]") ||
		len(r.Array()) != 3 || r.Get("2.candidates.0.finishReason").Str != "STOP" || r.Get("2.usageMetadata.candidatesTokenCount").Int() != 3 ||
		r.Get("0.modelVersion").Str != "gemini-2.5-flash" {
		t.Errorf("answer %q", b)
	}
}
