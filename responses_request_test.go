package routex

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every path a caller may send is taken for the endpoint and format it
// names, prefixes and doubled slashes included.
func TestClassify(t *testing.T) {
	upgrade := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Openai-Beta": {"responses_websockets=2026-02-06"}}
	anthropicHeader := http.Header{"X-Api-Key": {"k"}}
	cases := []struct {
		method, path string
		header       http.Header
		ep           endpoint
		format       Format
	}{
		{"POST", "/v1/messages", nil, endpointMessages, FormatAnthropic},
		{"POST", "/v1/chat/completions", nil, endpointChat, FormatOpenAI},
		{"POST", "/v1/responses", nil, endpointResponses, FormatResponses},
		{"POST", "/proxy/v1/responses", nil, endpointResponses, FormatResponses},
		{"POST", "/v1//responses", nil, endpointResponses, FormatResponses},
		{"POST", "/responses", nil, endpointResponses, FormatResponses},
		{"GET", "/v1/responses", upgrade, endpointWebSocket, FormatResponses},
		{"GET", "/v1/responses", http.Header{"Upgrade": {"h2c, WebSocket"}}, endpointWebSocket, FormatResponses},
		{"GET", "/v1/responses", http.Header{"Upgrade": {"h2c"}}, endpointResponses, FormatResponses},
		{"POST", "/v1/responses/input_tokens", nil, endpointInputTokens, FormatResponses},
		{"POST", "/v1/responses/compact", nil, endpointCompact, FormatResponses},
		{"POST", "/v1/messages/count_tokens", nil, endpointCountTokens, FormatAnthropic},
		{"POST", "/base/v1/messages/count_tokens", nil, endpointCountTokens, FormatAnthropic},
		{"GET", "/v1/models", nil, endpointModels, FormatOpenAI},
		{"GET", "/v1/models", anthropicHeader, endpointModels, FormatAnthropic},
		{"GET", "/v1/responses/resp_123", nil, endpointPassthrough, FormatResponses},
		{"GET", "/v1/responses/resp_123/input_items", nil, endpointPassthrough, FormatResponses},
		{"POST", "/v1/messages/batches", nil, endpointPassthrough, FormatAnthropic},
		{"POST", "/v1/embeddings", nil, endpointPassthrough, FormatOpenAI},
		{"POST", "/v1/embeddings", anthropicHeader, endpointPassthrough, FormatAnthropic},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			ep, f := classify(req)
			assert.Equal(t, tc.ep, ep)
			assert.Equal(t, tc.format, f)
			assert.Equal(t, tc.format, CallerFormat(req))
		})
	}
}

// byteCounter counts a byte as a token, so that estimates can be worked
// out by hand.
var byteCounter = TokenCounterFunc(func(b []byte) int { return len(b) })

// A Responses request is read in one pass for what rules and sessions
// need: instructions and input in either shape, flat and built-in tools,
// images, reasoning, the token estimate and the session key.
func TestParseResponsesRequest(t *testing.T) {
	type want struct {
		model, system, user, last string
		stream, thinking, images  bool
		webSearch                 bool
		tools                     []string
		session                   string
		tokens                    int
	}
	cases := []struct {
		name, body string
		header     []string
		want       want
	}{
		{"input as a string", `{"model":"gpt-5","input":"Hello there","instructions":"Be brief.","stream":true}`, nil,
			want{model: "gpt-5", system: "Be brief.", user: "Hello there", last: "Hello there", stream: true,
				tokens: len("Be brief.") + messageOverhead + len("Hello there")}},
		{"message items with and without type", `{"model":"gpt-5","input":[
			{"role":"developer","content":"Use tools."},
			{"role":"user","content":"first"},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]},
			{"type":"message","role":"user","content":[{"type":"input_text","text":"second"},{"type":"input_text","text":"part"}]}]}`, nil,
			want{model: "gpt-5", system: "Use tools.", user: "first\nsecond\npart", last: "second\npart",
				tokens: 4*messageOverhead + len("Use tools.") + len("first") + len("ok") + len("second") + len("part")}},
		{"tool calls and their outputs", `{"model":"gpt-5","input":[
			{"type":"function_call","call_id":"c1","name":"shell","arguments":"{\"cmd\":\"ls\"}"},
			{"type":"function_call_output","call_id":"c1","output":"a.go b.go"},
			{"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin Patch"},
			{"type":"custom_tool_call_output","call_id":"c2","output":[{"type":"input_text","text":"done"}]},
			{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"think"}],"encrypted_content":"opaque"}]}`, nil,
			want{model: "gpt-5",
				tokens: 5*messageOverhead + len("shell") + len(`{"cmd":"ls"}`) + len("a.go b.go") + len("apply_patch") +
					len("*** Begin Patch") + len("done") + len("think")}},
		{"tools flat, custom and built-in", `{"model":"gpt-5","input":"x","tools":[
			{"type":"function","name":"get_weather","parameters":{"type":"object"}},
			{"type":"custom","name":"apply_patch"},
			{"type":"web_search"}]}`, nil,
			want{model: "gpt-5", user: "x", last: "x", webSearch: true, tools: []string{"get_weather", "apply_patch"},
				tokens: messageOverhead + 1 + len(`{"type":"function","name":"get_weather","parameters":{"type":"object"}}`) +
					len(`{"type":"custom","name":"apply_patch"}`) + len(`{"type":"web_search"}`)}},
		{"dated web search", `{"model":"gpt-5","input":"x","tools":[{"type":"web_search_2025_08_26"}]}`, nil,
			want{model: "gpt-5", user: "x", last: "x", webSearch: true, tokens: messageOverhead + 1 + len(`{"type":"web_search_2025_08_26"}`)}},
		{"image in a message", `{"model":"gpt-5","input":[{"role":"user","content":[{"type":"input_text","text":"what is it"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}]}`, nil,
			want{model: "gpt-5", user: "what is it", last: "what is it", images: true, tokens: messageOverhead + len("what is it") + imageTokens}},
		{"image in a tool output", `{"model":"gpt-5","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x/y.png"}]}]}`, nil,
			want{model: "gpt-5", images: true, tokens: messageOverhead + imageTokens}},
		{"reasoning effort", `{"model":"gpt-5","input":"x","reasoning":{"effort":"high","summary":"auto"}}`, nil,
			want{model: "gpt-5", user: "x", last: "x", thinking: true, tokens: messageOverhead + 1}},
		{"minimal effort is no thinking", `{"model":"gpt-5","input":"x","reasoning":{"effort":"minimal"}}`, nil,
			want{model: "gpt-5", user: "x", last: "x", tokens: messageOverhead + 1}},
		{"no effort is no thinking", `{"model":"gpt-5","input":"x","reasoning":{"summary":"auto"}}`, nil,
			want{model: "gpt-5", user: "x", last: "x", tokens: messageOverhead + 1}},
		{"prompt_cache_key is the session", `{"model":"gpt-5","input":"x","prompt_cache_key":"conv-1","user":"u-1","metadata":{"user_id":"m-1"}}`, nil,
			want{model: "gpt-5", user: "x", last: "x", session: "conv-1", tokens: messageOverhead + 1}},
		{"user without prompt_cache_key", `{"model":"gpt-5","input":"x","user":"u-1","metadata":{"user_id":"m-1"}}`, nil,
			want{model: "gpt-5", user: "x", last: "x", session: "u-1", tokens: messageOverhead + 1}},
		{"the session header wins", `{"model":"gpt-5","input":"x","prompt_cache_key":"conv-1"}`, []string{"X-Session-Id", "s-1"},
			want{model: "gpt-5", user: "x", last: "x", session: "s-1", tokens: messageOverhead + 1}},
		{"members of the other APIs mean nothing", `{"model":"gpt-5","input":"x","messages":[{"role":"user","content":"no"}],"messages":[],"system":"no","thinking":{"type":"enabled"},"reasoning_effort":"high"}`, nil,
			want{model: "gpt-5", user: "x", last: "x", tokens: messageOverhead + 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hr := httptest.NewRequest("POST", "/v1/responses", nil)
			for i := 0; i+1 < len(tc.header); i += 2 {
				hr.Header.Set(tc.header[i], tc.header[i+1])
			}
			r, err := parseRequest(FormatResponses, []byte(tc.body), hr, byteCounter)
			require.NoError(t, err)
			w := tc.want
			assert.Equal(t, w.model, r.Model)
			assert.Equal(t, w.stream, r.Stream)
			assert.Equal(t, w.system, r.SystemText())
			assert.Equal(t, w.user, r.UserText())
			assert.Equal(t, w.last, r.LastUserText())
			assert.Equal(t, w.thinking, r.Thinking())
			assert.Equal(t, w.images, r.HasImages())
			assert.Equal(t, w.webSearch, r.WebSearch())
			assert.Equal(t, w.tools, r.ToolNames())
			assert.Equal(t, len(w.tools) > 0 || w.webSearch, r.HasTools())
			assert.Equal(t, w.session, r.SessionKey)
			assert.Equal(t, w.tokens, r.InputTokens())
		})
	}
}

// A member routex reads in a Responses request, given twice in any
// spelling a decoder could take for it, is refused, and so are names that
// are not UTF-8; members it does not read in the format are not its
// business.
func TestParseResponsesRequestRefusals(t *testing.T) {
	bad := "s\xff"
	cases := []struct {
		name, body, msg string
	}{
		{"model twice", `{"model":"gpt-5","model":"gpt-4","input":"x"}`, `"model" more than once`},
		{"model escaped", `{"model":"gpt-5","mod\u0065l":"gpt-4","input":"x"}`, `"model" more than once`},
		{"input twice", `{"model":"gpt-5","input":"x","input":[]}`, `"input" more than once`},
		{"input folded", `{"model":"gpt-5","input":"x","Input":"y"}`, `"input" more than once`},
		{"instructions twice", `{"model":"gpt-5","instructions":"a","instruct\u0069ons":"b"}`, `"instructions" more than once`},
		{"prompt_cache_key twice", `{"model":"gpt-5","prompt_cache_key":"a","PROMPT_CACHE_KEY":"b"}`, `"prompt_cache_key" more than once`},
		{"tools twice", `{"model":"gpt-5","tools":[],"tools":[]}`, `"tools" more than once`},
		{"reasoning twice", `{"model":"gpt-5","reasoning":{},"reasoning":{"effort":"high"}}`, `"reasoning" more than once`},
		{"stream twice", `{"model":"gpt-5","stream":false,"stream":true}`, `"stream" more than once`},
		{"user twice", `{"model":"gpt-5","user":"a","user":"b"}`, `"user" more than once`},
		{"model not UTF-8", `{"model":"gpt-` + bad + `","input":"x"}`, `"model" is not valid UTF-8`},
		{"model too long", `{"model":"` + strings.Repeat("m", MaxModelBytes+1) + `","input":"x"}`, "longer than"},
		{"prompt_cache_key not UTF-8", `{"model":"gpt-5","prompt_cache_key":"` + bad + `"}`, `"prompt_cache_key" is not valid UTF-8`},
		{"user not UTF-8", `{"model":"gpt-5","user":"` + bad + `"}`, `"user" is not valid UTF-8`},
		{"not JSON", `{"model":"gpt-5","input":`, "not valid JSON"},
		{"not an object", `["gpt-5"]`, "must be a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseRequest(FormatResponses, []byte(tc.body), nil, byteCounter)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.ErrorIs(t, err, ErrBadRequest)
			assert.LessOrEqual(t, len(r.Model), MaxModelBytes)
		})
	}
	// Messages and Chat requests are read as before: the Responses API's
	// member names mean nothing in them.
	for _, f := range []Format{FormatAnthropic, FormatOpenAI} {
		r, err := parseRequest(f, []byte(`{"model":"m","input":"x","input":"y","instructions":"a","Instructions":"b","prompt_cache_key":"k","messages":[{"role":"user","content":"hi"}]}`), nil, byteCounter)
		require.NoError(t, err, f)
		assert.Equal(t, "", r.SessionKey, f)
		assert.Equal(t, "hi", r.UserText(), f)
		assert.Equal(t, "", r.SystemText(), f)
	}
}

// BenchmarkParseResponsesRequest reads a Codex-like request of about 2 KB
// (instructions, a function and a custom tool, a conversation with a
// tool round trip) and the views a rule set reads.
func BenchmarkParseResponsesRequest(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-5-codex","instructions":"You are Codex, a coding agent. Be concise.","stream":true,"prompt_cache_key":"0199a7c2-conv",`)
	sb.WriteString(`"reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],"store":false,`)
	sb.WriteString(`"tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}}},{"type":"custom","name":"apply_patch","format":{"type":"grammar"}}],`)
	sb.WriteString(`"input":[`)
	for i := 0; sb.Len() < 2<<10-300; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"type":"message","role":"user","content":[{"type":"input_text","text":"Look at parseConfig in config.go and explain why the timeout is ignored."}]},`)
		sb.WriteString(`{"type":"function_call","call_id":"call_` + string(rune('a'+i)) + `","name":"shell","arguments":"{\"command\":[\"sed\",\"-n\",\"1,80p\",\"config.go\"]}"},`)
		sb.WriteString(`{"type":"function_call_output","call_id":"call_` + string(rune('a'+i)) + `","output":"func parseConfig() {}"}`)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	hr := httptest.NewRequest("POST", "/v1/responses", nil)
	for _, views := range []bool{false, true} {
		name := "parse"
		if views {
			name = "parse+views"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := parseRequest(FormatResponses, body, hr, byteCounter)
				if err != nil {
					b.Fatal(err)
				}
				if views && (r.InputTokens() == 0 || r.LastUserText() == "" || !r.Thinking()) {
					b.Fatal("views empty")
				}
			}
		})
	}
}
