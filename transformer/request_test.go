package transformer

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/routex/routex/internal/jsonx"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestConvertRequestErrors(t *testing.T) {
	tests := []struct {
		name     string
		from, to Format
		body     string
		msg      string // part of the error message
	}{
		{"not JSON", Anthropic, OpenAI, `{"messages":[`, "not valid JSON"},
		{"empty", OpenAI, Anthropic, ``, "not valid JSON"},
		{"array", Anthropic, OpenAI, `[1,2]`, "must be a JSON object"},
		{"no messages A→O", Anthropic, OpenAI, `{"model":"m","max_tokens":1}`, "messages"},
		{"no messages O→A", OpenAI, Anthropic, `{"model":"m"}`, "messages"},
		{"messages not an array", OpenAI, Anthropic, `{"model":"m","messages":"hi"}`, "messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, c, err := ConvertRequest(tt.from, tt.to, []byte(tt.body))
			if err == nil {
				t.Fatalf("no error; output %s", out)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("error %v does not match ErrInvalidRequest", err)
			}
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(re.Msg, tt.msg) {
				t.Errorf("error %v: want a *RequestError mentioning %q", err, tt.msg)
			}
			if out != nil || c != nil {
				t.Errorf("output %q and conversion %v alongside an error", out, c)
			}
		})
	}
}

// A request without a model still converts to valid JSON: whatever member
// comes first in the output, none is written with a comma before it.
func TestConvertRequestWithoutModel(t *testing.T) {
	tests := []struct {
		name     string
		from, to Format
		body     string
	}{
		{"tools first", OpenAI, Anthropic, `{"tools":[{"function":{"name":{}}}],"messages":[]}`},
		{"named tool first", OpenAI, Anthropic, `{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","messages":[]}`},
		{"legacy function first", OpenAI, Anthropic, `{"functions":[{"name":"f"}],"messages":[]}`},
		{"thinking first", OpenAI, Anthropic, `{"reasoning_effort":"high","messages":[]}`},
		{"nothing but messages O→A", OpenAI, Anthropic, `{"messages":[]}`},
		{"nothing but messages A→O", Anthropic, OpenAI, `{"messages":[]}`},
		{"tools A→O", Anthropic, OpenAI, `{"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"any"},"stream":true,"messages":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := ConvertRequest(tt.from, tt.to, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("%s → invalid JSON %s", tt.body, out)
			}
		})
	}
}

func TestConvertRequestUnknownFormat(t *testing.T) {
	_, _, err := ConvertRequest("cohere", OpenAI, []byte(`{}`))
	if err == nil || errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("err = %v, want an error that is not the caller's fault", err)
	}
}

func TestConvertRequestSameFormat(t *testing.T) {
	body := []byte(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}`)
	out, c, err := ConvertRequest(OpenAI, OpenAI, body)
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &body[0] {
		t.Error("same-format body was copied, want it returned as it is")
	}
	want := Conversion{From: OpenAI, To: OpenAI, Model: "gpt-4o", Stream: true, IncludeUsage: true}
	if c.From != want.From || c.To != want.To || c.Model != want.Model || c.Stream != want.Stream || c.IncludeUsage != want.IncludeUsage {
		t.Errorf("Conversion = %+v, want %+v", *c, want)
	}
	// Not even validated: the upstream speaks the caller's format and
	// answers for itself.
	if _, _, err := ConvertRequest(Anthropic, Anthropic, []byte("not json")); err != nil {
		t.Errorf("same-format invalid body: %v", err)
	}
}

// TestConvertRequestDoesNotAlias checks that the output and the Conversion
// own their bytes: the router may reuse the caller's body buffer.
func TestConvertRequestDoesNotAlias(t *testing.T) {
	for _, tt := range []struct {
		from, to Format
		file     string
	}{
		{Anthropic, OpenAI, "a2o_long_tool_names"},
		{OpenAI, Anthropic, "o2a_long_tool_names"},
	} {
		g := readConvGolden(t, filepath.Join("testdata", "request", tt.file+".txt"))
		body := []byte(g.sections["input"])
		out, c, err := ConvertRequest(tt.from, tt.to, body)
		if err != nil {
			t.Fatal(err)
		}
		want := string(out)
		model := c.Model
		names := make(map[string]string)
		for k, v := range c.ToolNames {
			names[k] = v
		}
		for i := range body {
			body[i] = 'x'
		}
		if string(out) != want || c.Model != model {
			t.Errorf("%s: output or model changed with the input buffer", tt.file)
		}
		for k, v := range c.ToolNames {
			if names[k] != v {
				t.Errorf("%s: tool name %q changed to %q with the input buffer", tt.file, names[k], v)
			}
		}
	}
}

// TestConvertRequestValidated checks that skipping validation changes
// nothing for valid bodies, and that errors are still reported for
// bodies that are not objects or lack messages.
func TestConvertRequestValidated(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "request", "*.txt"))
	bodies := []string{
		`  {"model":"m","messages":[{"role":"user","content":"hi"}]} `,
		`{"model":"m\u0041","messages":[{"role":"user","content":[{"type":"te\u0078t","text":"\n\u0041\ud83d\ude00"}]}],"stop":"\n"}`,
	}
	for _, path := range files {
		bodies = append(bodies, readConvGolden(t, path).sections["input"])
	}
	for _, body := range bodies {
		for _, from := range []Format{Anthropic, OpenAI} {
			to := OpenAI
			if from == OpenAI {
				to = Anthropic
			}
			want, wc, werr := ConvertRequest(from, to, []byte(body))
			got, gc, gerr := ConvertRequestValidated(from, to, []byte(body))
			if (werr == nil) != (gerr == nil) || string(got) != string(want) {
				t.Errorf("%s→%s %.60q: validated %s, %v; want %s, %v", from, to, body, got, gerr, want, werr)
				continue
			}
			if werr == nil && (wc.Model != gc.Model || wc.Stream != gc.Stream || wc.IncludeUsage != gc.IncludeUsage || len(wc.ToolNames) != len(gc.ToolNames)) {
				t.Errorf("%s→%s %.60q: Conversion %+v, want %+v", from, to, body, *gc, *wc)
			}
		}
	}
	for _, body := range []string{``, `[1]`, `"x"`, `{"model":"m"}`} {
		if _, _, err := ConvertRequestValidated(Anthropic, OpenAI, []byte(body)); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q: err = %v, want ErrInvalidRequest", body, err)
		}
	}
}

func TestEndpointPath(t *testing.T) {
	for f, want := range map[Format]string{Anthropic: "/v1/messages", OpenAI: "/v1/chat/completions", "x": ""} {
		if got := EndpointPath(f); got != want {
			t.Errorf("EndpointPath(%q) = %q, want %q", f, got, want)
		}
	}
}

func TestRequestToolNameMapping(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name   string
		mapped bool
	}{
		{"get_weather", false},
		{"Get-Weather-2", false},
		{long, false},
		{long + "b", true},
		{"files.read", true},
		{"mcp:server/tool", true},
		{"ツール", true},
		{"", true},
	}
	for _, tt := range tests {
		c := &Conversion{}
		got := upstreamToolName(c, tt.name)
		if !validToolName(got) {
			t.Errorf("%q → %q: not a valid tool name", tt.name, got)
		}
		if (got != tt.name) != tt.mapped {
			t.Errorf("%q → %q: mapped = %v, want %v", tt.name, got, got != tt.name, tt.mapped)
		}
		if again := upstreamToolName(c, tt.name); again != got {
			t.Errorf("%q maps to %q, then %q", tt.name, got, again)
		}
		if back := c.CallerToolName(got); back != tt.name {
			t.Errorf("%q → %q → %q, want the original back", tt.name, got, back)
		}
	}
	// Names that share their first 55 characters stay apart.
	c := &Conversion{}
	a, b := upstreamToolName(c, long+"_one"), upstreamToolName(c, long+"_two")
	if a == b {
		t.Errorf("two long names both map to %q", a)
	}
}

func TestRequestToolIDs(t *testing.T) {
	for _, id := range []string{"call_abc", "", "toolu_" + strings.Repeat("x", 60), "functions.f:0", "a b", "é"} {
		o := openAIToolCallID(id)
		if o == "" || len(o) > maxToolCallID {
			t.Errorf("openAIToolCallID(%q) = %q: want 1 to 40 characters", id, o)
		}
		if id != "" && len(id) <= maxToolCallID && o != id {
			t.Errorf("openAIToolCallID(%q) = %q, want it unchanged", id, o)
		}
		a := anthropicToolID(id)
		if a == "" || !validToolID(a) {
			t.Errorf("anthropicToolID(%q) = %q: not ^[a-zA-Z0-9_-]+$", id, a)
		}
		if validToolID(id) && a != id {
			t.Errorf("anthropicToolID(%q) = %q, want it unchanged", id, a)
		}
		if openAIToolCallID(id) != o || anthropicToolID(id) != a {
			t.Errorf("id mapping of %q is not deterministic", id)
		}
	}
}

func validToolID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func TestRequestReasoningEffort(t *testing.T) {
	tests := []struct {
		thinking, output, want string
	}{
		{`{"type":"enabled","budget_tokens":1024}`, ``, "low"},
		{`{"type":"enabled","budget_tokens":4095}`, ``, "low"},
		{`{"type":"enabled","budget_tokens":4096}`, ``, "medium"},
		{`{"type":"enabled","budget_tokens":16384}`, ``, "high"},
		{`{"type":"enabled","budget_tokens":63999}`, ``, "high"},
		{`{"type":"adaptive"}`, ``, ""},
		{`{"type":"adaptive"}`, `{"effort":"medium"}`, "medium"},
		{`{"type":"adaptive"}`, `{"effort":"max"}`, "high"},
		{``, `{"effort":"low"}`, "low"},
		{`{"type":"disabled"}`, `{"effort":"high"}`, ""},
		{`{"type":"enabled","budget_tokens":2000}`, `{"effort":"high"}`, "high"},
	}
	for _, tt := range tests {
		body := `{"messages":[]`
		if tt.thinking != "" {
			body += `,"thinking":` + tt.thinking
		}
		if tt.output != "" {
			body += `,"output_config":` + tt.output
		}
		var r formRequest
		if err := (anthropicCodec{}).decodeRequest(jsonx.Value(body+"}"), &r, &Conversion{}); err != nil {
			t.Fatal(err)
		}
		got := openAIEffort(&r.Reasoning)
		if got != tt.want {
			t.Errorf("thinking %s, output_config %s: %q, want %q", tt.thinking, tt.output, got, tt.want)
		}
	}
	// The O→A budgets map back to the effort they came from.
	for _, effort := range []string{"low", "medium", "high"} {
		budget := anthropicBudget(&formReasoning{Effort: effort})
		if got := openAIEffort(&formReasoning{Budget: budget}); got != effort {
			t.Errorf("%s → budget %d → %s", effort, budget, got)
		}
	}
}

func TestRequestThinkingBudgetBelowMaxTokens(t *testing.T) {
	for _, tt := range []struct {
		body      string
		maxTokens int64
	}{
		{`{"model":"m","reasoning_effort":"low","max_tokens":100,"messages":[{"role":"user","content":"x"}]}`, 1124},
		{`{"model":"m","reasoning_effort":"medium","max_completion_tokens":8000,"messages":[{"role":"user","content":"x"}]}`, 8000},
		{`{"model":"m","reasoning_effort":"high","messages":[{"role":"user","content":"x"}]}`, DefaultMaxTokens + budgetHigh},
		{`{"model":"m","reasoning":{"max_tokens":500},"max_tokens":300,"messages":[{"role":"user","content":"x"}]}`, 1324},
	} {
		out, _, err := ConvertRequest(OpenAI, Anthropic, []byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		budget := gjson.GetBytes(out, "thinking.budget_tokens").Int()
		maxTokens := gjson.GetBytes(out, "max_tokens").Int()
		if budget < budgetLow || budget >= maxTokens || maxTokens != tt.maxTokens {
			t.Errorf("%s\n→ budget %d, max_tokens %d; want 1024 ≤ budget < max_tokens = %d", tt.body, budget, maxTokens, tt.maxTokens)
		}
	}
}

func TestRequestUserID(t *testing.T) {
	short := `{"model":"m","max_tokens":1,"metadata":{"user_id":"u1"},"messages":[]}`
	out, _, _ := ConvertRequest(Anthropic, OpenAI, []byte(short))
	if got := gjson.GetBytes(out, "user").String(); got != "u1" {
		t.Errorf("user = %q, want u1", got)
	}
	long := strings.Repeat("u", 65)
	out, _, _ = ConvertRequest(Anthropic, OpenAI, []byte(`{"model":"m","metadata":{"user_id":"`+long+`"},"messages":[]}`))
	got := gjson.GetBytes(out, "user").String()
	if len(got) != 64 || got == long[:64] {
		t.Errorf("user = %q, want a 64-character digest", got)
	}
	out, _, _ = ConvertRequest(OpenAI, Anthropic, []byte(`{"model":"m","user":"`+strings.Repeat("v", 300)+`","messages":[]}`))
	if got := gjson.GetBytes(out, "metadata.user_id").String(); len(got) > maxAnthropicUser {
		t.Errorf("metadata.user_id has %d characters, want at most %d", len(got), maxAnthropicUser)
	}
}

// TestRequestNoEmptyTextToAnthropic walks every converted O→A golden
// input and checks the invariants Anthropic enforces with a 400.
func TestRequestNoEmptyTextToAnthropic(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "request", "o2a_*.txt"))
	for _, path := range files {
		g := readConvGolden(t, path)
		out, _, err := ConvertRequest(OpenAI, Anthropic, []byte(g.sections["input"]))
		if err != nil {
			t.Fatal(err)
		}
		checkAnthropicRequest(t, path, out)
	}
}

// checkAnthropicRequest fails t when body breaks a rule Anthropic's API
// enforces: non-blank text blocks, non-empty content, tool results first
// and answering the calls of the previous turn, valid ids and names.
func checkAnthropicRequest(t *testing.T, name string, body []byte) {
	t.Helper()
	var calls map[string]bool
	gjson.GetBytes(body, "messages").ForEach(func(_, m gjson.Result) bool {
		content := m.Get("content")
		if len(content.Array()) == 0 {
			t.Errorf("%s: a message with empty content: %s", name, m.Raw)
		}
		seenOther := false
		for _, b := range content.Array() {
			switch b.Get("type").Str {
			case "text":
				if strings.TrimSpace(b.Get("text").Str) == "" {
					t.Errorf("%s: blank text block: %s", name, b.Raw)
				}
				seenOther = true
			case "tool_use":
				if !validToolID(b.Get("id").Str) || !validToolName(b.Get("name").Str) {
					t.Errorf("%s: invalid tool_use id or name: %s", name, b.Raw)
				}
				if !b.Get("input").IsObject() {
					t.Errorf("%s: tool_use input is not an object: %s", name, b.Raw)
				}
			case "tool_result":
				if seenOther {
					t.Errorf("%s: tool_result after other content: %s", name, m.Raw)
				}
				if !calls[b.Get("tool_use_id").Str] {
					t.Errorf("%s: tool_result answers no call of the previous turn: %s", name, b.Raw)
				}
			default:
				seenOther = true
			}
		}
		calls = map[string]bool{}
		for _, b := range content.Array() {
			if b.Get("type").Str == "tool_use" {
				calls[b.Get("id").Str] = true
			}
		}
		return true
	})
}

func TestRequestJSONStringAppender(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "\x00\x01\x1f\x7f", "tab\tnl\ncr\r",
		"héllo 👋", "\u2028\u2029", "bad \xff utf8 \xc3", "<html>&amp;"} {
		got := jsonx.AppendString(nil, s)
		if !json.Valid(got) {
			t.Errorf("jsonx.AppendString(%q) = %s: not valid JSON", s, got)
			continue
		}
		// encoding/json is the reference: each invalid byte becomes U+FFFD.
		var back, want string
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Errorf("jsonx.AppendString(%q) decodes to %q, want %q", s, back, want)
		}
	}
}

func TestRequestJSONAsString(t *testing.T) {
	for _, raw := range []string{`{}`, `{ "a" : 1 , "b" : [ 1, 2 ] }`, `{"s":"with \"quotes\" and \\ and \n"}`, "{\n\t\"x\": \"a b\"\n}"} {
		got := jsonx.AppendAsString(nil, raw)
		var s string
		if err := json.Unmarshal(got, &s); err != nil {
			t.Fatalf("%s → %s: %v", raw, got, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if s != compact.String() {
			t.Errorf("%s → string %s, want %s", raw, s, compact.String())
		}
	}
}

// FuzzConvertRequest checks, for every pair of formats, that no input
// panics and that a converter's output is valid JSON or an error: whatever
// the body for ConvertRequest, which validates it, and for any valid body
// for ConvertRequestValidated. The same format on both sides passes the
// body through untouched.
func FuzzConvertRequest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "request", "*.txt"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if _, in, ok := strings.Cut(string(data), "-- input --\n"); ok {
			in, _, _ = strings.Cut(in, "\n-- ")
			f.Add([]byte(in))
		}
	}
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"tool_result","content":[{"type":"image"}]}]}]}`))
	f.Add([]byte(`{"messages":[{"role":"tool","content":[{"type":"image_url","image_url":"data:;base64,"}]}]}`))
	// No model: the first member written is whatever comes next.
	f.Add([]byte(`{"tools":[{"function":{"name":{}}}],"messages":[]}`))
	f.Add([]byte(`{"reasoning_effort":"high","messages":[]}`))
	var pairs [][2]Format
	for _, from := range Formats {
		for _, to := range Formats {
			pairs = append(pairs, [2]Format{from, to})
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		for _, p := range pairs {
			from, to := p[0], p[1]
			for _, validated := range []bool{false, true} {
				if validated && !valid {
					continue // no promise about invalid input
				}
				convert := ConvertRequest
				if validated {
					convert = ConvertRequestValidated
				}
				out, c, err := convert(from, to, body)
				if err != nil {
					if !errors.Is(err, ErrInvalidRequest) {
						t.Fatalf("%s→%s: error %v is not ErrInvalidRequest", from, to, err)
					}
					continue
				}
				if c == nil {
					t.Fatalf("%s→%s: nil Conversion without an error", from, to)
				}
				if from == to {
					if !bytes.Equal(out, body) {
						t.Fatalf("%s→%s: the body was changed:\n%s\n→\n%s", from, to, body, out)
					}
					continue
				}
				if !json.Valid(out) {
					t.Fatalf("%s→%s (validated %v): invalid JSON:\n%s\n→\n%s", from, to, validated, body, out)
				}
				switch to {
				case Anthropic:
					checkAnthropicShape(t, out)
				case OpenAI:
					checkOpenAIShape(t, out)
				case Responses:
					checkResponsesShape(t, out)
				}
			}
		}
	})
}

// checkAnthropicShape fails t when body breaks a rule Anthropic enforces
// whatever the conversation: no empty content, no blank text, valid tool
// ids and names, object inputs.
func checkAnthropicShape(t *testing.T, body []byte) {
	t.Helper()
	gjson.GetBytes(body, "messages").ForEach(func(_, m gjson.Result) bool {
		blocks := m.Get("content").Array()
		if len(blocks) == 0 {
			t.Fatalf("message with empty content in %s", body)
		}
		for _, b := range blocks {
			switch b.Get("type").Str {
			case "text":
				if strings.TrimSpace(b.Get("text").Str) == "" {
					t.Fatalf("blank text block in %s", body)
				}
			case "tool_use":
				if !validToolID(b.Get("id").Str) || !validToolName(b.Get("name").Str) || !b.Get("input").IsObject() {
					t.Fatalf("invalid tool_use %s", b.Raw)
				}
			case "tool_result":
				if !validToolID(b.Get("tool_use_id").Str) {
					t.Fatalf("invalid tool_result id %s", b.Raw)
				}
			}
		}
		return true
	})
	if s := gjson.GetBytes(body, "system"); s.Exists() && strings.TrimSpace(s.Str) == "" {
		t.Fatalf("blank system in %s", body)
	}
	if tc := gjson.GetBytes(body, "tool_choice"); tc.Exists() && !gjson.GetBytes(body, "tools").IsArray() {
		t.Fatalf("tool_choice without tools in %s", body)
	}
}

// checkOpenAIShape fails t when body breaks a rule OpenAI enforces: string
// arguments, valid function names, short call ids, tool_choice only with
// tools.
func checkOpenAIShape(t *testing.T, body []byte) {
	t.Helper()
	gjson.GetBytes(body, "messages").ForEach(func(_, m gjson.Result) bool {
		m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
			args := tc.Get("function.arguments")
			if args.Type != gjson.String || !gjson.Valid(args.Str) {
				t.Fatalf("arguments not a JSON string: %s", tc.Raw)
			}
			if id := tc.Get("id").Str; id == "" || len(id) > maxToolCallID || !validToolName(tc.Get("function.name").Str) {
				t.Fatalf("invalid tool call %s", tc.Raw)
			}
			return true
		})
		if id := m.Get("tool_call_id"); id.Exists() && (id.Str == "" || len(id.Str) > maxToolCallID) {
			t.Fatalf("invalid tool_call_id %s", m.Raw)
		}
		return true
	})
	gjson.GetBytes(body, "tools.#.function.name").ForEach(func(_, n gjson.Result) bool {
		if !validToolName(n.Str) {
			t.Fatalf("invalid function name %s", n.Raw)
		}
		return true
	})
	if gjson.GetBytes(body, "tool_choice").Exists() && !gjson.GetBytes(body, "tools").IsArray() {
		t.Fatalf("tool_choice without tools in %s", body)
	}
	if u := gjson.GetBytes(body, "user"); u.Exists() && len(u.Str) > maxOpenAIUser {
		t.Fatalf("user longer than %d: %s", maxOpenAIUser, u.Raw)
	}
}
