package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/routex/routex/internal/jsonx"
)

// geminiAnsweringServer answers every request with reply, an answer in the
// upstream format up, converted for a caller of format from as routex
// would: ConvertResponse for status 200, ConvertError otherwise.
func geminiAnsweringServer(t *testing.T, from, up Format, status int, reply string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &Conversion{From: from, To: up, Model: "caller-model"}
		w.Header().Set("Content-Type", "application/json")
		if status != http.StatusOK {
			st, body := ConvertError(c, status, []byte(reply))
			w.WriteHeader(st)
			_, _ = w.Write(body)
			return
		}
		out, err := ConvertResponse(c, []byte(reply))
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

// genaiClient is the official Gemini client pointed at url.
func genaiClient(t *testing.T, url, version string) *genai.Client {
	t.Helper()
	cl, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "x", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: url, APIVersion: version},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// The same answer, text, thinking and two calls, as each format's upstream
// gives it.
var upstreamAnswers = map[Format]string{
	Anthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
		{"type":"thinking","thinking":"Both cities.","signature":"sig-anthropic"},
		{"type":"text","text":"Checking caf\u00e9s."},
		{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","days":[1,2]}},
		{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Oslo"}}],
		"stop_reason":"tool_use","stop_sequence":null,
		"usage":{"input_tokens":100,"cache_read_input_tokens":900,"output_tokens":60}}`,
	OpenAI: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,
		"message":{"role":"assistant","content":"Checking caf\u00e9s.","reasoning_content":"Both cities.","tool_calls":[
		{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}},
		{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
		"finish_reason":"tool_calls"}],
		"usage":{"prompt_tokens":1000,"completion_tokens":60,"prompt_tokens_details":{"cached_tokens":900},"completion_tokens_details":{"reasoning_tokens":20}}}`,
	Responses: `{"id":"resp_1","object":"response","status":"completed","model":"gpt-5","output":[
		{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Both cities."}]},
		{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Checking caf\u00e9s.","annotations":[]}]},
		{"id":"fc_1","type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}","status":"completed"},
		{"id":"fc_2","type":"function_call","call_id":"call_2","name":"get_weather","arguments":"{\"city\":\"Oslo\"}","status":"completed"}],
		"usage":{"input_tokens":1000,"input_tokens_details":{"cached_tokens":900},"output_tokens":60,"output_tokens_details":{"reasoning_tokens":20}}}`,
}

// TestGenaiReadsConvertedAnswers has the official Gemini client, over both
// API versions, read answers of every other format converted for it.
func TestGenaiReadsConvertedAnswers(t *testing.T) {
	for _, up := range []Format{Anthropic, OpenAI, Responses} {
		for _, version := range []string{"v1", "v1beta"} {
			t.Run(fmt.Sprintf("%s/%s", up, version), func(t *testing.T) {
				srv := geminiAnsweringServer(t, Gemini, up, http.StatusOK, upstreamAnswers[up])
				resp, err := genaiClient(t, srv.URL, version).Models.GenerateContent(context.Background(),
					"gemini-2.5-pro", genai.Text("weather?"), nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.ModelVersion != "caller-model" || resp.ResponseID == "" {
					t.Errorf("modelVersion %q, responseId %q", resp.ModelVersion, resp.ResponseID)
				}
				if len(resp.Candidates) != 1 {
					t.Fatalf("%d candidates", len(resp.Candidates))
				}
				cand := resp.Candidates[0]
				if cand.FinishReason != genai.FinishReasonStop || cand.Content.Role != "model" {
					t.Errorf("finishReason %q, role %q", cand.FinishReason, cand.Content.Role)
				}
				parts := cand.Content.Parts
				if len(parts) != 4 {
					t.Fatalf("%d parts, want thought, text and two calls", len(parts))
				}
				if !parts[0].Thought || parts[0].Text != "Both cities." {
					t.Errorf("part 0 = %+v, want the thought", parts[0])
				}
				if parts[0].ThoughtSignature != nil {
					t.Errorf("a %s signature reached a Gemini caller", up)
				}
				if parts[1].Thought || parts[1].Text != "Checking cafés." {
					t.Errorf("part 1 = %+v", parts[1])
				}
				if resp.Text() != "Checking cafés." {
					t.Errorf("Text() = %q", resp.Text())
				}
				calls := resp.FunctionCalls()
				if len(calls) != 2 || calls[0].Name != "get_weather" || calls[0].Args["city"] != "Paris" ||
					fmt.Sprint(calls[0].Args["days"]) != "[1 2]" || calls[1].Args["city"] != "Oslo" {
					t.Errorf("calls = %+v %+v", calls[0], calls[1])
				}
				u := resp.UsageMetadata
				wantCand, wantThoughts := int32(60), int32(0)
				if up != Anthropic {
					wantCand, wantThoughts = 40, 20
				}
				if u.PromptTokenCount != 1000 || u.CachedContentTokenCount != 900 ||
					u.CandidatesTokenCount != wantCand || u.ThoughtsTokenCount != wantThoughts || u.TotalTokenCount != 1060 {
					t.Errorf("usage = %+v", u)
				}
			})
		}
	}
}

// geminiToolAnswer is a Gemini turn of text and two calls ended with STOP,
// the second carrying Gemini 3's thoughtSignature.
const geminiToolAnswer = `{"candidates":[{"content":{"role":"model","parts":[
	{"text":"On it.","thoughtSignature":"c2lnLXRleHQ="},
	{"functionCall":{"name":"get_weather","args":{"city":"Paris","days":[1,2]}}},
	{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"c2lnLWNhbGw="}]},
	"finishReason":"STOP","index":0}],
	"usageMetadata":{"promptTokenCount":1000,"cachedContentTokenCount":900,"candidatesTokenCount":40,"thoughtsTokenCount":20,"totalTokenCount":1060},
	"modelVersion":"gemini-3-pro-preview","responseId":"resp-abc"}`

// TestSDKsReadConvertedGeminiAnswers has anthropic-sdk-go and openai-go
// (Chat and Responses) read a Gemini tool turn ended with STOP: each sees a
// tool turn, calls with ids it can answer and parsed arguments, and usage
// with the cached and reasoning tokens.
func TestSDKsReadConvertedGeminiAnswers(t *testing.T) {
	ctx := context.Background()
	t.Run("anthropic", func(t *testing.T) {
		srv := geminiAnsweringServer(t, Anthropic, Gemini, http.StatusOK, geminiToolAnswer)
		client := newAnthropicClient(srv.URL)
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
			Model: "caller-model", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather?"))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if msg.StopReason != anthropic.StopReasonToolUse {
			t.Errorf("stop_reason %q, want tool_use", msg.StopReason)
		}
		var ids []string
		for _, b := range msg.Content {
			if tu, ok := b.AsAny().(anthropic.ToolUseBlock); ok {
				ids = append(ids, tu.ID)
				if tu.Name != "get_weather" || !strings.Contains(string(tu.Input), `"city"`) {
					t.Errorf("tool_use %+v", tu)
				}
			}
		}
		if len(ids) != 2 || ids[0] == ids[1] || ids[0] == "" {
			t.Errorf("tool ids %v, want two distinct", ids)
		}
		if msg.Usage.InputTokens != 100 || msg.Usage.CacheReadInputTokens != 900 || msg.Usage.OutputTokens != 60 {
			t.Errorf("usage %+v", msg.Usage)
		}
	})
	t.Run("chat", func(t *testing.T) {
		srv := geminiAnsweringServer(t, OpenAI, Gemini, http.StatusOK, geminiToolAnswer)
		client := newOpenAIClient(srv.URL)
		cc, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "caller-model", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather?")},
		})
		if err != nil {
			t.Fatal(err)
		}
		ch := cc.Choices[0]
		if ch.FinishReason != "tool_calls" || ch.Message.Content != "On it." || len(ch.Message.ToolCalls) != 2 {
			t.Fatalf("choice %+v", ch)
		}
		if tc := ch.Message.ToolCalls[0]; tc.Function.Arguments != `{"city":"Paris","days":[1,2]}` || tc.ID == ch.Message.ToolCalls[1].ID {
			t.Errorf("tool calls %+v", ch.Message.ToolCalls)
		}
		if u := cc.Usage; u.PromptTokens != 1000 || u.PromptTokensDetails.CachedTokens != 900 ||
			u.CompletionTokens != 60 || u.CompletionTokensDetails.ReasoningTokens != 20 {
			t.Errorf("usage %+v", u)
		}
	})
	t.Run("responses", func(t *testing.T) {
		srv := geminiAnsweringServer(t, Responses, Gemini, http.StatusOK, geminiToolAnswer)
		client := newOpenAIClient(srv.URL)
		r, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "caller-model", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("weather?")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "completed" || r.OutputText() != "On it." {
			t.Errorf("status %q, text %q", r.Status, r.OutputText())
		}
		var calls []responses.ResponseFunctionToolCall
		for _, it := range r.Output {
			if it.Type == "function_call" {
				calls = append(calls, it.AsFunctionCall())
			}
		}
		if len(calls) != 2 || calls[1].Arguments != `{"city":"Oslo"}` || calls[0].CallID == calls[1].CallID {
			t.Errorf("calls %+v", calls)
		}
		if u := r.Usage; u.InputTokens != 1000 || u.InputTokensDetails.CachedTokens != 900 ||
			u.OutputTokens != 60 || u.OutputTokensDetails.ReasoningTokens != 20 {
			t.Errorf("usage %+v", u)
		}
	})
}

// TestGeminiCallIDsStable checks that the ids made for Gemini's calls
// depend only on the answer: converting it twice gives the same ids, and
// another answer gives others.
func TestGeminiCallIDsStable(t *testing.T) {
	c := &Conversion{From: OpenAI, To: Gemini}
	a, err1 := ConvertResponse(c, []byte(geminiToolAnswer))
	b, err2 := ConvertResponse(c, []byte(geminiToolAnswer))
	other, err3 := ConvertResponse(c, []byte(strings.Replace(geminiToolAnswer, "resp-abc", "resp-xyz", 1)))
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	ids := func(b []byte) string {
		i := strings.Index(string(b), `"tool_calls":`)
		return string(b)[i:]
	}
	if ids(a) != ids(b) {
		t.Errorf("ids differ between two conversions of one answer:\n%s\n%s", ids(a), ids(b))
	}
	if ids(a) == ids(other) {
		t.Errorf("two answers gave the same call ids")
	}
	given, err := ConvertResponse(c, []byte(strings.Replace(geminiToolAnswer, `"name":"get_weather"`, `"id":"fc-7","name":"get_weather"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ids(given), `"id":"fc-7"`) {
		t.Errorf("the id Gemini gave is not the caller's: %s", ids(given))
	}
}

// TestGeminiFinishReasons checks what each kind of Gemini stop becomes for
// the caller: failures an error, refusals a refusal with text, a tool turn
// a tool turn whatever the reason said.
func TestGeminiFinishReasons(t *testing.T) {
	answer := func(reason, parts string) string {
		return `{"candidates":[{"content":{"role":"model","parts":[` + parts + `]},"finishReason":"` + reason +
			`","finishMessage":"Malformed function call: print(x"}],"responseId":"r1"}`
	}
	text := `{"text":"Partial"}`
	call := `{"functionCall":{"name":"f","args":{}}}`
	cases := []struct {
		name, body string
		failed     bool
		stop       string // Anthropic's stop_reason
		text       string // a substring of the answer's text
	}{
		{"stop", answer("STOP", text), false, "end_turn", "Partial"},
		{"max tokens", answer("MAX_TOKENS", text), false, "max_tokens", "Partial"},
		{"tool turn ended with STOP", answer("STOP", call), false, "tool_use", ""},
		{"tool turn cut by MAX_TOKENS", answer("MAX_TOKENS", call), false, "tool_use", ""},
		{"safety, nothing said", answer("SAFETY", ""), false, "refusal", "SAFETY"},
		{"recitation after text", answer("RECITATION", text), false, "refusal", "Partial"},
		{"spii", answer("SPII", ""), false, "refusal", "SPII"},
		{"malformed function call", answer("MALFORMED_FUNCTION_CALL", ""), true, "", ""},
		{"unexpected tool call", answer("UNEXPECTED_TOOL_CALL", text), true, "", ""},
		{"prompt blocked", `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`, false, "refusal", "blocked (SAFETY)"},
		{"no candidates, no feedback", `{"usageMetadata":{"promptTokenCount":3}}`, false, "end_turn", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ConvertResponse(&Conversion{From: Anthropic, To: Gemini}, []byte(tc.body))
			if tc.failed {
				if !errors.Is(err, ErrResponseFailed) || !strings.Contains(err.Error(), "print(x") {
					t.Fatalf("err = %v, want ErrResponseFailed with Gemini's message", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := jsonx.Value(out)
			if got := m.Get("stop_reason").Str(); got != tc.stop {
				t.Errorf("stop_reason %q, want %q", got, tc.stop)
			}
			if !strings.Contains(string(m.Get("content")), tc.text) {
				t.Errorf("content %s does not say %q", m.Get("content"), tc.text)
			}
		})
	}
}

// TestGeminiSignaturesStayWithGemini decodes a Gemini answer into the form
// and checks that its thoughtSignatures are kept on their parts with origin
// gemini, written back by the Gemini encoder, and that a signature from
// another provider is not.
func TestGeminiSignaturesStayWithGemini(t *testing.T) {
	x := responsePool.Get().(*responseState)
	defer x.release()
	c := &Conversion{From: Gemini, To: Gemini}
	if err := (geminiCodec{}).decodeResponse(x, c, jsonx.Value(jsonx.TrimSpace(geminiToolAnswer))); err != nil {
		t.Fatal(err)
	}
	got := x.form.Content
	if len(got) != 3 || got[0].Signature != `"c2lnLXRleHQ="` || got[2].Signature != `"c2lnLWNhbGw="` ||
		got[0].Origin != Gemini || got[2].Origin != Gemini || got[1].Signature != "" {
		t.Fatalf("parts %+v", got)
	}
	x.form.Content = append(x.form.Content, formPart{Kind: blockThinking, Text: `"other"`, Signature: `"sig-a"`, Origin: Anthropic})
	out := (geminiCodec{}).appendResponse(nil, x, c)
	parts := jsonx.Value(out).Get("candidates").Values()
	cand, _ := parts.Next()
	ps := cand.Get("content").Get("parts").Values()
	var sigs []string
	for p, ok := ps.Next(); ok; p, ok = ps.Next() {
		sigs = append(sigs, p.Get("thoughtSignature").Str())
	}
	if strings.Join(sigs, ",") != "c2lnLXRleHQ=,,c2lnLWNhbGw=," {
		t.Errorf("signatures written %q, want Gemini's on their parts and no other\n%s", sigs, out)
	}
}

// TestGeminiUsage reads Gemini usage from a whole answer and from a stream
// whose chunks repeat it cumulatively.
func TestGeminiUsage(t *testing.T) {
	u, ok := ParseUsage(Gemini, []byte(geminiToolAnswer))
	if want := (Usage{Input: 100, CacheRead: 900, Output: 60, Reasoning: 20}); !ok || u != want {
		t.Errorf("ParseUsage = %+v %v, want %+v", u, ok, want)
	}
	if _, ok := ParseUsage(Gemini, []byte(`{"candidates":[]}`)); ok {
		t.Error("ParseUsage found usage in a body without usageMetadata")
	}
	chunks := []string{
		`{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":1,"totalTokenCount":51}}`,
		`{"candidates":[{"content":{"parts":[{"text":"b"}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"text":"c"}]}}],"usageMetadata":{"promptTokenCount":50,"cachedContentTokenCount":30,"candidatesTokenCount":9,"thoughtsTokenCount":4,"toolUsePromptTokenCount":5,"totalTokenCount":68}}`,
	}
	var m UsageMeter
	for _, ch := range chunks {
		m.Observe(Gemini, Event{Data: []byte(ch)})
	}
	if want := (Usage{Input: 25, CacheRead: 30, Output: 13, Reasoning: 4}); !m.Seen() || m.Usage != want {
		t.Errorf("meter = %+v, want %+v (the last chunk's, never a sum)", m.Usage, want)
	}
}

// BenchmarkConvertGeminiResponse converts a 2 KB answer from Gemini to
// every other format and back.
func BenchmarkConvertGeminiResponse(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)
	bodies := map[Format]string{
		Gemini:    strings.Replace(geminiToolAnswer, `"On it."`, `"`+text+`"`, 1),
		Anthropic: strings.Replace(upstreamAnswers[Anthropic], `"Checking caf\u00e9s."`, `"`+text+`"`, 1),
		OpenAI:    strings.Replace(upstreamAnswers[OpenAI], `"Checking caf\u00e9s."`, `"`+text+`"`, 1),
		Responses: strings.Replace(upstreamAnswers[Responses], `"Checking caf\u00e9s."`, `"`+text+`"`, 1),
	}
	for _, other := range []Format{Anthropic, OpenAI, Responses} {
		for _, dir := range [][2]Format{{other, Gemini}, {Gemini, other}} {
			caller, up := dir[0], dir[1]
			body := []byte(bodies[up])
			c := &Conversion{From: caller, To: up, Model: "caller-model"}
			b.Run(fmt.Sprintf("%s2%s", goldenLetter(up), goldenLetter(caller)), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if _, err := ConvertResponseValidated(c, body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// goldenLetter is f's letter in golden files' names.
func goldenLetter(f Format) string {
	for l, g := range goldenFormats {
		if g == f {
			return string(l)
		}
	}
	return string(f)
}

// FuzzConvertResponseGemini converts arbitrary bodies from Gemini to every
// other format and every format's answers to Gemini: a valid answer always
// converts to valid JSON, and nothing panics.
func FuzzConvertResponseGemini(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "*.txt"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if _, in, ok := strings.Cut(string(data), "-- input --\n"); ok {
			in, _, _ = strings.Cut(in, "\n-- ")
			f.Add([]byte(in), uint8(len(path)))
		}
	}
	f.Add([]byte(geminiToolAnswer), uint8(0))
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"thoughtSignature":"x"},{"functionCall":{"name":"a_1","args":[1]}},{"text":1,"thought":true}]},"finishReason":"SAFETY","finishMessage":"\"\u0000"}],"promptFeedback":{"blockReason":"\"\\"}}`), uint8(1))
	f.Add([]byte(`{"promptFeedback":{"blockReason":"a\"b\\c\u2028"},"usageMetadata":{"promptTokenCount":-5,"cachedContentTokenCount":9e99}}`), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, dir uint8) {
		pairs := [...][2]Format{{Anthropic, Gemini}, {OpenAI, Gemini}, {Responses, Gemini},
			{Gemini, Anthropic}, {Gemini, OpenAI}, {Gemini, Responses}}
		p := pairs[int(dir)%len(pairs)]
		c := &Conversion{From: p[0], To: p[1], Model: "m", ToolNames: map[string]string{"a_1": "a.1"}}
		out, err := ConvertResponse(c, body)
		if err != nil {
			return
		}
		if json.Valid(body) && !json.Valid(out) {
			t.Fatalf("%s→%s: valid answer converted to invalid JSON:\n%s\n→\n%s", c.To, c.From, body, out)
		}
		_, _ = ConvertResponseValidated(c, body)
		_, _ = ParseUsage(Gemini, body)
		var m UsageMeter
		m.Observe(Gemini, Event{Data: body})
	})
}
