package transformer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"google.golang.org/genai"

	"github.com/routex/routex/internal/jsonx"
)

// geminiBody is what a Gemini request body may hold, in genai's own types:
// decoding an encoder's output into it with unknown fields refused proves
// that every member written is one the official client knows.
type geminiBody struct {
	Contents          []*genai.Content        `json:"contents"`
	SystemInstruction *genai.Content          `json:"systemInstruction,omitempty"`
	Tools             []*genai.Tool           `json:"tools,omitempty"`
	ToolConfig        *genai.ToolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *genai.GenerationConfig `json:"generationConfig,omitempty"`
	SafetySettings    []*genai.SafetySetting  `json:"safetySettings,omitempty"`
}

func decodeGeminiBody(t *testing.T, b []byte) *geminiBody {
	t.Helper()
	var body geminiBody
	// Google's JSON reads bytes in either base64 alphabet, genai's types in
	// the standard one only: the skip value is URL-safe.
	b = bytes.ReplaceAll(b, []byte(`"`+geminiSkipSignature+`"`), []byte(`"c2tpcA=="`))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("not a Gemini request genai knows: %v\n%s", err, b)
	}
	return &body
}

// TestGeminiRequestGoldenShape checks every golden output toward Gemini
// against genai's types, and the rules Gemini enforces on a conversation.
func TestGeminiRequestGoldenShape(t *testing.T) {
	for _, path := range convGoldenFiles(t, "request") {
		if _, to, ok := goldenPrefix(path); !ok || to != Gemini {
			continue
		}
		t.Run(path, func(t *testing.T) {
			g := readConvGolden(t, path)
			from, _ := convGoldenDirection(t, path)
			out, _, err := ConvertRequest(from, Gemini, []byte(g.sections["input"]))
			if err != nil {
				t.Fatal(err)
			}
			checkGeminiRequest(t, out)
		})
	}
}

// checkGeminiRequest checks what Gemini refuses: turns of the same role in
// a row, turns without parts, calls answered by a different number of
// results, results named after no call, ids Gemini does not take.
func checkGeminiRequest(t *testing.T, out []byte) {
	t.Helper()
	body := decodeGeminiBody(t, out)
	if bytes.Contains(out, []byte(`"model":"`)) && !bytes.Contains(out, []byte(`"role":"model"`)) {
		t.Errorf("a model in the body: %s", out)
	}
	for i, c := range body.Contents {
		if c.Role != "user" && c.Role != "model" {
			t.Errorf("contents[%d]: role %q", i, c.Role)
		}
		if len(c.Parts) == 0 {
			t.Errorf("contents[%d]: no parts", i)
		}
		if i > 0 && body.Contents[i-1].Role == c.Role {
			t.Errorf("contents[%d]: a second %s turn in a row", i, c.Role)
		}
		var calls []string
		if i > 0 && body.Contents[i-1].Role == "model" {
			for _, p := range body.Contents[i-1].Parts {
				if p.FunctionCall != nil {
					calls = append(calls, p.FunctionCall.Name)
				}
			}
		}
		var results []string
		for _, p := range c.Parts {
			if p.FunctionCall != nil && p.FunctionCall.ID != "" {
				t.Errorf("contents[%d]: a call with an id %q", i, p.FunctionCall.ID)
			}
			if p.FunctionResponse != nil {
				results = append(results, p.FunctionResponse.Name)
			}
		}
		if len(results) > 0 && strings.Join(results, ",") != strings.Join(calls, ",") {
			t.Errorf("contents[%d]: results %v answer calls %v", i, results, calls)
		}
	}
}

// TestGeminiRequestThroughForm decodes Gemini bodies into the form and
// encodes them as Gemini again: signatures stay on the part they came with.
func TestGeminiRequestThroughForm(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		not      []string
	}{
		{
			name: "signature on a call",
			in:   `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"SIG1"},{"functionCall":{"name":"f","args":{"a":2}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"one"}}},{"functionResponse":{"name":"f","response":{"output":"two"}}}]}]}`,
			want: []string{`{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"SIG1"}`, `{"functionCall":{"name":"f","args":{"a":2}}}`, `{"functionResponse":{"name":"f","response":{"output":"one"}}},{"functionResponse":{"name":"f","response":{"output":"two"}}}`},
			not:  []string{`"id"`, `call_`},
		},
		{
			name: "thought and text signatures",
			in:   `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"thought":true,"text":"hmm","thoughtSignature":"VDE="},{"text":"hello","thoughtSignature":"VDI="}]},{"role":"user","parts":[{"text":"again"}]}]}`,
			want: []string{`{"thought":true,"text":"hmm","thoughtSignature":"VDE="}`, `{"text":"hello","thoughtSignature":"VDI="}`},
		},
		{
			name: "a lone signature part",
			in:   `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"ok"},{"thoughtSignature":"U0lH"}]}]}`,
			want: []string{`{"thought":true,"thoughtSignature":"U0lH"}`},
		},
		{
			name: "built-in tools kept",
			in:   `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}},{"functionDeclarations":[{"name":"f"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`,
			want: []string{`"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object","properties":{}}}]},{"googleSearch":{}}]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r formRequest
			var s requestScratch
			c := &Conversion{From: Gemini, To: Gemini}
			if err := (geminiCodec{}).decodeRequest(jsonx.Value(tt.in), &r, c); err != nil {
				t.Fatal(err)
			}
			out, err := (geminiCodec{}).encodeRequest(nil, &r, &s, c)
			if err != nil {
				t.Fatal(err)
			}
			checkGeminiRequest(t, out)
			for _, w := range tt.want {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("no %s in\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if bytes.Contains(out, []byte(n)) {
					t.Errorf("%s in\n%s", n, out)
				}
			}
		})
	}
}

// TestGeminiRequestForeignSignatures checks that signatures of other
// providers never reach Gemini.
func TestGeminiRequestForeignSignatures(t *testing.T) {
	in := `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"ANTHROPIC"},{"type":"redacted_thinking","data":"REDACTED"},{"type":"text","text":"ok"}]},{"role":"user","content":"go"}]}`
	out, _, err := ConvertRequest(Anthropic, Gemini, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	checkGeminiRequest(t, out)
	for _, n := range []string{"ANTHROPIC", "REDACTED", "thoughtSignature", `"thought"`} {
		if bytes.Contains(out, []byte(n)) {
			t.Errorf("%s reached Gemini:\n%s", n, out)
		}
	}
}

// TestGeminiRequestIDs checks the ids given to Gemini's calls and their
// results: by turn and position, results matched by name and order, a
// result without a call given an id of its own.
func TestGeminiRequestIDs(t *testing.T) {
	in := `{"contents":[
	{"role":"user","parts":[{"text":"go"}]},
	{"role":"model","parts":[{"text":"ok"},{"functionCall":{"name":"a","args":{}}},{"functionCall":{"name":"b","args":{}}},{"functionCall":{"name":"a","args":{"n":2}}}]},
	{"role":"user","parts":[{"functionResponse":{"name":"b","response":{"output":"B"}}},{"functionResponse":{"name":"a","response":{"output":"A1"}}},{"functionResponse":{"name":"a","response":{"output":"A2"}}},{"functionResponse":{"name":"c","response":{"output":"C"}}}]}]}`
	out, _, err := ConvertRequest(Gemini, Anthropic, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Messages []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	var calls, results []string
	for _, m := range got.Messages {
		for _, b := range m.Content {
			switch b["type"] {
			case "tool_use":
				calls = append(calls, b["name"].(string)+"="+b["id"].(string))
			case "tool_result":
				results = append(results, b["tool_use_id"].(string))
			}
		}
	}
	if want := "a=call_1_1 b=call_1_2 a=call_1_3"; strings.Join(calls, " ") != want {
		t.Errorf("calls %v, want %s", calls, want)
	}
	if want := "call_1_2 call_1_1 call_1_3 call_2_3"; strings.Join(results, " ") != want {
		t.Errorf("results %v, want %s", results, want)
	}

	// Ids the caller gave (Gemini CLI names its calls) are kept: a result
	// with its own id answers that call; one without, the first unanswered
	// call of its name, under that call's id.
	in = `{"contents":[
	{"role":"user","parts":[{"text":"go"}]},
	{"role":"model","parts":[{"functionCall":{"id":"sh_1","name":"sh","args":{}}},{"functionCall":{"id":"sh_2","name":"sh","args":{}}},{"functionCall":{"name":"b","args":{}}}]},
	{"role":"user","parts":[{"functionResponse":{"id":"sh_2","name":"sh","response":{"output":"2"}}},{"functionResponse":{"name":"sh","response":{"output":"1"}}},{"functionResponse":{"name":"b","response":{"output":"B"}}}]}]}`
	out, _, err = ConvertRequest(Gemini, Anthropic, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	calls, results = nil, nil
	for _, b := range gjson.GetBytes(out, "messages.1.content").Array() {
		calls = append(calls, b.Get("id").Str)
	}
	for _, b := range gjson.GetBytes(out, "messages.2.content").Array() {
		results = append(results, b.Get("tool_use_id").Str)
	}
	if want := "sh_1 sh_2 call_1_2"; strings.Join(calls, " ") != want {
		t.Errorf("calls %v, want %s", calls, want)
	}
	if want := "sh_2 sh_1 call_1_2"; strings.Join(results, " ") != want {
		t.Errorf("results %v, want %s", results, want)
	}
}

// TestGeminiSchemaCleaning checks what toward Gemini becomes of schemas.
func TestGeminiSchemaCleaning(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"drops", `{"$schema":"x","$comment":"c","type":"object","additionalProperties":false,"properties":{"a":{"type":"string","format":"email"}}}`, `{"type":"object","properties":{"a":{"type":"string"}}}`},
		{"const", `{"const":"x"}`, `{"enum":["x"]}`},
		{"numeric const", `{"type":"integer","const":3}`, `{"type":"string","enum":["3"]}`},
		{"numeric enum", `{"enum":[1,2.5,true]}`, `{"enum":["1","2.5","true"],"type":"string"}`},
		{"kept formats", `{"type":"string","format":"date-time"}`, `{"type":"string","format":"date-time"}`},
		{"nested", `{"anyOf":[{"type":"object","additionalProperties":{"type":"string"}}],"items":{"$comment":"x","type":"number"},"$defs":{"d":{"const":1}}}`, `{"anyOf":[{"type":"object"}],"items":{"type":"number"},"$defs":{"d":{"enum":["1"],"type":"string"}}}`},
		{"deep", strings.Repeat(`{"items":`, 100) + `{}` + strings.Repeat(`}`, 100), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendSchemaForGemini(nil, jsonx.Value(tt.in), 0)
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			if tt.want != "" && string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestGeminiSchemaFromGoogle checks Google's dialect read as JSON Schema.
func TestGeminiSchemaFromGoogle(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"types", `{"type":"OBJECT","properties":{"a":{"type":"INTEGER","format":"int32"},"b":{"type":"STRING","format":"enum","enum":["x"]}},"propertyOrdering":["a","b"]}`, `{"type":"object","properties":{"a":{"type":"integer","format":"int32"},"b":{"type":"string","enum":["x"]}}}`},
		{"nullable", `{"type":"STRING","nullable":true}`, `{"type":["string","null"]}`},
		{"int64 strings", `{"type":"ARRAY","items":{"type":"NUMBER"},"minItems":"1","maxItems":"9"}`, `{"type":"array","items":{"type":"number"},"minItems":1,"maxItems":9}`},
		{"anyOf", `{"anyOf":[{"type":"BOOLEAN"},{"type":"NULL"}]}`, `{"anyOf":[{"type":"boolean"},{"type":"null"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := appendSchemaFromGoogle(nil, jsonx.Value(tt.in), 0); string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestGeminiRequestFromGenai converts what the official client sends.
func TestGeminiRequestFromGenai(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP"}]}`)
	}))
	defer srv.Close()
	for _, version := range []string{"v1", "v1beta"} {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			client, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "test-key", Backend: genai.BackendGeminiAPI,
				HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL, APIVersion: version}})
			if err != nil {
				t.Fatal(err)
			}
			budget := int32(1024)
			contents := []*genai.Content{
				genai.NewContentFromText("weather in Paris?", genai.RoleUser),
				{Role: genai.RoleModel, Parts: []*genai.Part{
					{FunctionCall: &genai.FunctionCall{Name: "get_weather", Args: map[string]any{"city": "Paris"}}, ThoughtSignature: []byte("sig")},
				}},
				{Role: genai.RoleUser, Parts: []*genai.Part{genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "sunny"})}},
			}
			cfg := &genai.GenerateContentConfig{
				SystemInstruction: genai.NewContentFromText("be brief", genai.RoleUser),
				MaxOutputTokens:   300,
				Temperature:       genai.Ptr[float32](0.5),
				StopSequences:     []string{"END"},
				ThinkingConfig:    &genai.ThinkingConfig{ThinkingBudget: &budget, IncludeThoughts: true},
				Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
					Name: "get_weather", Description: "Weather now",
					Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}}, Required: []string{"city"}},
				}}}},
				ToolConfig: &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{"get_weather"}}},
			}
			if _, err := client.Models.GenerateContent(ctx, "gemini-2.5-pro", contents, cfg); err != nil {
				t.Fatal(err)
			}
			out, c, err := ConvertRequest(Gemini, Anthropic, body)
			if err != nil {
				t.Fatalf("%v\n%s", err, body)
			}
			if c.Model != "" {
				t.Errorf("model %q from the body", c.Model)
			}
			checkAnthropicRequest(t, "genai "+version, out)
			var got struct {
				System string `json:"system"`
				Tools  []struct {
					Name   string         `json:"name"`
					Schema map[string]any `json:"input_schema"`
				} `json:"tools"`
				ToolChoice struct{ Type, Name string } `json:"tool_choice"`
				MaxTokens  int                         `json:"max_tokens"`
				Messages   []struct {
					Role    string           `json:"role"`
					Content []map[string]any `json:"content"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if got.System != "be brief" || got.MaxTokens != 300 || got.ToolChoice.Type != "tool" || got.ToolChoice.Name != "get_weather" {
				t.Errorf("system %q, max_tokens %d, tool_choice %+v", got.System, got.MaxTokens, got.ToolChoice)
			}
			if len(got.Tools) != 1 || got.Tools[0].Schema["type"] != "object" {
				t.Errorf("tools %+v", got.Tools)
			}
			if len(got.Messages) != 3 {
				t.Fatalf("messages %+v", got.Messages)
			}
			call, result := got.Messages[1].Content[0], got.Messages[2].Content[0]
			if call["type"] != "tool_use" || result["type"] != "tool_result" || call["id"] != result["tool_use_id"] || call["id"] == "" {
				t.Errorf("call %v, result %v", call, result)
			}
		})
	}
}

// FuzzGeminiDecodeRequest feeds arbitrary bodies to the Gemini request
// decoder toward every format: it must never panic, and what it writes
// must be JSON.
func FuzzGeminiDecodeRequest(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "request", "g2*.txt"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		_, in, _ := strings.Cut(string(data), "-- input --\n")
		in, _, _ = strings.Cut(in, "-- output --")
		f.Add([]byte(in))
	}
	f.Add([]byte(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f"}},{"functionResponse":{"name":"f","response":[]}}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"nullable":true}}}}]}]}`))
	f.Add([]byte(`{"contents":[],"generationConfig":{"responseSchema":{"items":{"items":{}}},"thinkingConfig":{"thinkingBudget":-1}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, to := range []Format{Anthropic, OpenAI, Responses} {
			out, _, err := ConvertRequest(Gemini, to, body)
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("to %s: invalid JSON\n%s\nfrom\n%s", to, out, body)
			}
		}
	})
}

// TestGeminiRequestCarriedSignatures checks that a Gemini signature that
// came back inside another format's opaque field goes back to Gemini on
// the part after it, and that other providers' signatures do not.
func TestGeminiRequestCarriedSignatures(t *testing.T) {
	tests := []struct {
		name string
		from Format
		in   string
		want string
	}{
		{
			name: "anthropic thinking block",
			from: Anthropic,
			in:   `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"thinking","thinking":"","signature":"rtx1:gt:U0lH"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`,
			want: `{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"U0lH"}`,
		},
		{
			name: "responses reasoning item",
			from: Responses,
			in:   `{"model":"m","input":[{"role":"user","content":"go"},{"type":"reasoning","summary":[],"encrypted_content":"rtx1:gt:U0lH"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"},{"type":"function_call_output","call_id":"c1","output":"ok"}]}`,
			want: `{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"U0lH"}`,
		},
		{
			name: "a carried signature with nothing after it",
			from: Anthropic,
			in:   `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"text","text":"done"},{"type":"thinking","thinking":"","signature":"rtx1:gt:U0lH"}]},{"role":"user","content":"more"}]}`,
			want: `{"text":"done"},{"thought":true,"thoughtSignature":"U0lH"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := ConvertRequest(tt.from, Gemini, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			checkGeminiRequest(t, out)
			if !bytes.Contains(out, []byte(tt.want)) {
				t.Errorf("no %s in\n%s", tt.want, out)
			}
			if bytes.Contains(out, []byte("rtx1:")) {
				t.Errorf("an envelope reached Gemini:\n%s", out)
			}
		})
	}
}

// TestGeminiRequestMedia checks which media reach the other formats.
func TestGeminiRequestMedia(t *testing.T) {
	in := []byte(`{"contents":[{"role":"user","parts":[{"text":"look"},{"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},{"inlineData":{"mimeType":"image/gif","data":"R0lGOD"}},{"fileData":{"mimeType":"video/mp4","fileUri":"https://example.com/v.mp4"}},{"fileData":{"mimeType":"application/pdf","fileUri":"https://example.com/d.pdf"}}]}]}`)
	out, _, err := ConvertRequest(Gemini, Anthropic, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"media_type":"image/gif"`, `"url":"https://example.com/d.pdf"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	for _, not := range []string{"audio/wav", "v.mp4"} {
		if bytes.Contains(out, []byte(not)) {
			t.Errorf("%s reached Anthropic:\n%s", not, out)
		}
	}
}

// TestGeminiRequestBuiltinTools checks that a tool Gemini runs itself is
// refused, by name, by the formats that cannot run it.
func TestGeminiRequestBuiltinTools(t *testing.T) {
	in := []byte(`{"contents":[{"role":"user","parts":[{"text":"search"}]}],"tools":[{"googleSearch":{}}]}`)
	for _, to := range []Format{Anthropic, OpenAI, Responses} {
		t.Run(string(to), func(t *testing.T) {
			_, _, err := ConvertRequest(Gemini, to, in)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "googleSearch") {
				t.Errorf("err = %v, want a refusal naming googleSearch", err)
			}
		})
	}
}

func BenchmarkGeminiRequest(b *testing.B) {
	for _, size := range []int{2 << 10, 200 << 10} {
		a, o, r := benchAnthropicRequest(size), benchOpenAIRequest(size), benchResponsesRequest(size)
		g, _, err := ConvertRequest(Anthropic, Gemini, a)
		if err != nil {
			b.Fatal(err)
		}
		for _, tt := range []struct {
			name     string
			from, to Format
			body     []byte
		}{
			{"G2A", Gemini, Anthropic, g},
			{"G2O", Gemini, OpenAI, g},
			{"G2R", Gemini, Responses, g},
			{"A2G", Anthropic, Gemini, a},
			{"O2G", OpenAI, Gemini, o},
			{"R2G", Responses, Gemini, r},
		} {
			b.Run(fmt.Sprintf("%s/%dKB", tt.name, (len(tt.body)+512)>>10), func(b *testing.B) { benchRequest(b, tt.from, tt.to, tt.body) })
		}
	}
}

// TestGeminiSignatureThroughChat sends back a tool call a Gemini channel
// signed, as a Chat caller gets it (extra_content, as Google's
// OpenAI-compatible API gives it): Gemini gets its own signature again.
// Without it, the turn carries the skip value; to any other format the
// signature is nothing.
func TestGeminiSignatureThroughChat(t *testing.T) {
	const call = `{"id":"call_0","type":"function","function":{"name":"f","arguments":"{}"}%s}`
	body := func(extra string) []byte {
		return []byte(`{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":null,"tool_calls":[` +
			fmt.Sprintf(call, extra) + `]},{"role":"tool","tool_call_id":"call_0","content":"done"}]}`)
	}
	out, _, err := ConvertRequest(OpenAI, Gemini, body(`,"extra_content":{"google":{"thought_signature":"c2lnLTE="}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(out, "contents.1.parts.0.thoughtSignature").Str; got != "c2lnLTE=" {
		t.Errorf("signature %q\n%s", got, out)
	}
	out, _, err = ConvertRequest(OpenAI, Gemini, body(""))
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(out, "contents.1.parts.0.thoughtSignature").Str; got != geminiSkipSignature {
		t.Errorf("signature %q\n%s", got, out)
	}
	out, _, err = ConvertRequest(OpenAI, Anthropic, body(`,"extra_content":{"google":{"thought_signature":"c2lnLTE="}}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "c2lnLTE") {
		t.Errorf("a Gemini signature reached Anthropic: %s", out)
	}
}
