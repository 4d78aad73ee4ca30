package payload

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tidwall/gjson"
)

func TestBuild(t *testing.T) {
	for _, f := range Formats {
		for _, size := range []int{200, 2 << 10, 100 << 10} {
			for _, stream := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/%v", f, size, stream), func(t *testing.T) {
					b := Build(f, "claude-sonnet-4-5", size, stream)
					if !json.Valid(b) {
						t.Fatalf("not JSON: %s", b)
					}
					if d := len(b) - size; d < -4 || d > 4 {
						t.Errorf("len = %d, want %d ± 4", len(b), size)
					}
					r := gjson.ParseBytes(b)
					if f == Gemini {
						checkGemini(t, r, size)
						return
					}
					if r.Get("model").String() != "claude-sonnet-4-5" || r.Get("stream").Bool() != stream {
						t.Errorf("model %q stream %v", r.Get("model"), r.Get("stream"))
					}
					turns := "messages"
					if f == Responses {
						turns = "input"
						if r.Get("max_output_tokens").Int() == 0 || r.Get("messages").Exists() || r.Get("max_tokens").Exists() {
							t.Errorf("not a Responses request: %.200s", b)
						}
					}
					last := r.Get(turns + ".@reverse.0")
					if last.Get("role").String() != "user" || last.Get("content").String() == "" {
						t.Errorf("last turn %s, want the user's", last.Raw)
					}
					if f == OpenAI && stream && !r.Get("stream_options.include_usage").Bool() {
						t.Error("OpenAI stream without include_usage")
					}
				})
			}
		}
	}
}

func checkGemini(t *testing.T, r gjson.Result, size int) {
	t.Helper()
	if r.Get("model").Exists() || r.Get("stream").Exists() || r.Get("generationConfig.maxOutputTokens").Int() == 0 {
		t.Errorf("not a Gemini request: %.200s", r.Raw)
	}
	turns := r.Get("contents").Array()
	last := turns[len(turns)-1]
	if last.Get("role").Str != "user" || last.Get("parts.0.text").Str == "" {
		t.Errorf("last turn %.200s, want the user's", last.Raw)
	}
	for i, c := range turns {
		if want := []string{"user", "model"}[i%2]; c.Get("role").Str != want && i != len(turns)-1 {
			t.Errorf("turn %d role %q, want %q", i, c.Get("role").Str, want)
		}
	}
	rich := size >= 1024
	if r.Get("systemInstruction.parts.0.text").Exists() != rich || r.Get("tools.0.functionDeclarations.0.parameters.type").Str != map[bool]string{true: "OBJECT"}[rich] {
		t.Errorf("system instruction and tool: %.300s", r.Raw)
	}
	if rich && len(turns) < 3 && size > 2000 {
		t.Errorf("%d turns", len(turns))
	}
}

func TestEndpoint(t *testing.T) {
	for _, tt := range []struct {
		f      Format
		stream bool
		want   string
	}{
		{Anthropic, true, "/v1/messages"},
		{OpenAI, false, "/v1/chat/completions"},
		{Responses, false, "/v1/responses"},
		{Gemini, false, "/v1beta/models/gemini-2.5-flash:generateContent"},
		{Gemini, true, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
	} {
		if got := tt.f.Endpoint("gemini-2.5-flash", tt.stream); got != tt.want {
			t.Errorf("%s stream=%v: %s, want %s", tt.f, tt.stream, got, tt.want)
		}
	}
}
