package routex

import (
	"net/http/httptest"
	"testing"
)

// FuzzParseRequest checks that no body, however malformed, makes the
// parser or any lazy view panic.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), true)
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"image"},{"type":"text","text":"x"},{"type":"tool_result","content":[{"type":"image_url"}]}]}],"tools":[{"type":"web_search_2025"}]}`), false)
	f.Add([]byte(`{"model":1,"stream":"yes","messages":{"role":"user"},"tools":"x","thinking":true,"system":[1,2]}`), true)
	f.Add([]byte(`[{"model":"m"}]`), false)
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"\u00e9\ud800"}]`), true)
	f.Add([]byte(benchBody(4<<10)), true)
	req := httptest.NewRequest("POST", "/v1/messages", nil)
	f.Fuzz(func(t *testing.T, body []byte, anthropic bool) {
		format := FormatOpenAI
		if anthropic {
			format = FormatAnthropic
		}
		r, err := parseRequest(format, body, req, TokenCounterFunc(func(b []byte) int { return len(b) / 4 }))
		if err != nil {
			return
		}
		_ = r.HasTools()
		_ = r.ToolNames()
		_ = r.HasImages()
		_ = r.WebSearch()
		_ = r.Thinking()
		_ = r.SystemText()
		_ = r.UserText()
		_ = r.LastUserText()
		if r.InputTokens() < 0 {
			t.Fatalf("negative token estimate")
		}
		_ = parsePassthrough(format, body, req)
	})
}
