package transformer

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/routex/routex/internal/jsonx"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
)

// TestResponsesRequestBuiltinTools checks that a tool only its own
// provider runs is refused with an error naming it, never dropped, except
// Anthropic's server tools toward Chat, which have always been left out.
func TestResponsesRequestBuiltinTools(t *testing.T) {
	const rInput = `"input":"hi"`
	const aMessages = `"max_tokens":10,"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name     string
		from, to Format
		body     string
		refused  string // the tool the error names; "" when accepted
	}{
		{"web_search to Anthropic", Responses, Anthropic, `{"model":"m",` + rInput + `,"tools":[{"type":"web_search"}]}`, "web_search"},
		{"file_search to Chat", Responses, OpenAI, `{"model":"m",` + rInput + `,"tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]}`, "file_search"},
		{"code_interpreter beside a function", Responses, Anthropic, `{"model":"m",` + rInput + `,"tools":[{"type":"function","name":"f","parameters":{}},{"type":"code_interpreter","container":{"type":"auto"}}]}`, "code_interpreter"},
		{"mcp to Chat", Responses, OpenAI, `{"model":"m",` + rInput + `,"tools":[{"type":"mcp","server_label":"x"}]}`, "mcp"},
		{"Anthropic web search to Responses", Anthropic, Responses, `{"model":"m",` + aMessages + `,"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, "web_search_20250305"},
		{"Anthropic web search to Chat is left out", Anthropic, OpenAI, `{"model":"m",` + aMessages + `,"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, ""},
		{"function and custom tools pass", Responses, Anthropic, `{"model":"m",` + rInput + `,"tools":[{"type":"function","name":"f"},{"type":"custom","name":"apply_patch"}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, c, err := ConvertRequest(tt.from, tt.to, []byte(tt.body))
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("ConvertRequest: %v", err)
				}
				if c == nil || !json.Valid(out) {
					t.Fatalf("invalid output %s", out)
				}
				return
			}
			var re *RequestError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v, want a *RequestError", err)
			}
			if !strings.Contains(re.Msg, tt.refused) || !strings.Contains(re.Msg, "cannot run it") {
				t.Errorf("message %q does not name the %s tool", re.Msg, tt.refused)
			}
			if out != nil || c != nil {
				t.Errorf("output or Conversion returned beside the error")
			}
		})
	}
}

// TestResponsesRequestFromOpenAIGo sends a conversation through the
// official openai-go Responses client, captures the body it writes and
// converts it to both other formats: every call keeps its id and its
// result, parallel calls stay in one assistant turn, the custom tool is
// recorded as freeform.
func TestResponsesRequestFromOpenAIGo(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"m","output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}`)
	}))
	defer srv.Close()
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test"), option.WithMaxRetries(0))

	output := responses.ResponseInputItemParamOfFunctionCallOutput("18°C")
	output.OfFunctionCallOutput.CallID = openai.String("call_w")
	output2 := responses.ResponseInputItemParamOfFunctionCallOutput("14:05")
	output2.OfFunctionCallOutput.CallID = openai.String("call_t")
	params := responses.ResponseNewParams{
		Model:           "gpt-5",
		Instructions:    openai.String("Be brief."),
		MaxOutputTokens: openai.Int(500),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("Weather and time?", responses.EasyInputMessageRoleUser),
			responses.ResponseInputItemParamOfMessage("Checking.", responses.EasyInputMessageRoleAssistant),
			responses.ResponseInputItemParamOfFunctionCall(`{"city":"Paris"}`, "call_w", "get_weather"),
			responses.ResponseInputItemParamOfFunctionCall(`{"tz":"CET"}`, "call_t", "get_time"),
			output, output2,
			responses.ResponseInputItemParamOfCustomToolCall("call_p", "*** Begin Patch\n*** End Patch", "apply_patch"),
			responses.ResponseInputItemParamOfCustomToolCallOutput("call_p", "Done"),
			responses.ResponseInputItemParamOfMessage("Thanks", responses.EasyInputMessageRoleUser),
		}},
		Tools: []responses.ToolUnionParam{
			responses.ToolParamOfFunction("get_weather", map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, false),
			responses.ToolParamOfFunction("get_time", map[string]any{"type": "object", "properties": map[string]any{"tz": map[string]any{"type": "string"}}}, false),
			responses.ToolParamOfCustom("apply_patch"),
		},
		ToolChoice: responses.ResponseNewParamsToolChoiceUnion{OfFunctionTool: &responses.ToolChoiceFunctionParam{Name: "get_time"}},
	}
	if _, err := client.Responses.New(context.Background(), params); err != nil {
		t.Fatalf("Responses.New: %v", err)
	}

	t.Run("anthropic", func(t *testing.T) {
		out, c, err := ConvertRequest(Responses, Anthropic, body)
		if err != nil {
			t.Fatal(err)
		}
		checkAnthropicShape(t, out)
		if !c.IsFreeform("apply_patch") || c.IsFreeform("get_time") {
			t.Errorf("Freeform = %v, want [apply_patch]", c.Freeform)
		}
		msgs := gjson.GetBytes(out, "messages").Array()
		roles := make([]string, len(msgs))
		for i, m := range msgs {
			roles[i] = m.Get("role").Str
		}
		// The parallel calls are one turn; the freeform call after their
		// outputs is the next.
		if want := []string{"user", "assistant", "user", "assistant", "user"}; !slices.Equal(roles, want) {
			t.Fatalf("roles %v, want %v: %s", roles, want, out)
		}
		if n := len(msgs[1].Get(`content.#(type=="tool_use")#`).Array()); n != 2 {
			t.Errorf("%d calls in the first assistant turn, want 2", n)
		}
		calls := gjson.GetBytes(out, `messages.#.content.#(type=="tool_use")#.id|@flatten`).Array()
		results := gjson.GetBytes(out, `messages.#.content.#(type=="tool_result")#.tool_use_id|@flatten`).Array()
		if len(calls) != 3 || len(results) != 3 {
			t.Fatalf("%d calls and %d results, want 3 each: %s", len(calls), len(results), out)
		}
		for i := range calls {
			if calls[i].Str != results[i].Str {
				t.Errorf("call %d id %q answered by %q", i, calls[i].Str, results[i].Str)
			}
		}
		if got := msgs[3].Get(`content.#(name=="apply_patch").input.input`).Str; got != "*** Begin Patch\n*** End Patch" {
			t.Errorf("freeform input %q", got)
		}
		if got := gjson.GetBytes(out, "tool_choice.name").Str; got != "get_time" {
			t.Errorf("tool_choice %s", gjson.GetBytes(out, "tool_choice").Raw)
		}
		if got := gjson.GetBytes(out, "system").Str; got != "Be brief." {
			t.Errorf("system %q", got)
		}
	})
	t.Run("chat", func(t *testing.T) {
		out, _, err := ConvertRequest(Responses, OpenAI, body)
		if err != nil {
			t.Fatal(err)
		}
		checkOpenAIShape(t, out)
		var roles []string
		gjson.GetBytes(out, "messages.#.role").ForEach(func(_, r gjson.Result) bool {
			roles = append(roles, r.Str)
			return true
		})
		if want := []string{"system", "user", "assistant", "tool", "tool", "assistant", "tool", "user"}; !slices.Equal(roles, want) {
			t.Fatalf("roles %v, want %v: %s", roles, want, out)
		}
		if n := len(gjson.GetBytes(out, "messages.2.tool_calls").Array()); n != 2 {
			t.Errorf("%d tool calls in the assistant message, want 2", n)
		}
	})
}

// TestResponsesRequestDecodesWithOpenAIGo checks that what the Responses
// encoder writes is what openai-go's own request type reads: flat tools and
// tool choice, typed input items.
func TestResponsesRequestDecodesWithOpenAIGo(t *testing.T) {
	for _, from := range []Format{Anthropic, OpenAI} {
		for _, path := range convGoldenFiles(t, "request") {
			in, out, _ := goldenPrefix(path)
			if in != from || out != Responses {
				continue
			}
			t.Run(filepath.Base(path), func(t *testing.T) {
				g := readConvGolden(t, path)
				body, _, err := ConvertRequest(from, Responses, []byte(g.sections["input"]))
				if err != nil {
					t.Fatal(err)
				}
				var p responses.ResponseNewParams
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatalf("openai-go cannot read %s: %v", body, err)
				}
				checkResponsesShape(t, body)
				for i, item := range p.Input.OfInputItemList {
					if item.OfMessage == nil && item.OfFunctionCall == nil && item.OfFunctionCallOutput == nil &&
						item.OfReasoning == nil && item.OfCustomToolCall == nil && item.OfInputMessage == nil && item.OfOutputMessage == nil {
						t.Errorf("input item %d is of no known type: %s", i, gjson.GetBytes(body, "input."+string(appendInt(nil, int64(i)))).Raw)
					}
				}
				for i, tool := range p.Tools {
					if tool.OfFunction == nil && tool.OfCustom == nil {
						t.Errorf("tool %d is neither a function nor a custom tool", i)
					}
				}
			})
		}
	}
}

// checkResponsesShape fails t when body breaks a rule of the Responses API:
// tools and a forced tool_choice are flat, arguments are JSON strings,
// calls and outputs have ids. (An output whose call the caller never made
// stays orphaned: the upstream's answer to that is the caller's to read.)
func checkResponsesShape(t *testing.T, body []byte) {
	t.Helper()
	gjson.GetBytes(body, "tools").ForEach(func(_, tool gjson.Result) bool {
		if tool.Get("function").Exists() {
			t.Fatalf("tool in the Chat shape: %s", tool.Raw)
		}
		if typ := tool.Get("type").Str; (typ == "function" || typ == "custom") && !validToolName(tool.Get("name").Str) {
			t.Fatalf("invalid tool name %s", tool.Raw)
		}
		return true
	})
	if tc := gjson.GetBytes(body, "tool_choice"); tc.Exists() {
		if tc.Get("function").Exists() {
			t.Fatalf("tool_choice in the Chat shape: %s", tc.Raw)
		}
		if !gjson.GetBytes(body, "tools").IsArray() {
			t.Fatalf("tool_choice without tools in %s", body)
		}
	}
	gjson.GetBytes(body, "input").ForEach(func(_, item gjson.Result) bool {
		switch item.Get("type").Str {
		case "function_call":
			args := item.Get("arguments")
			if args.Type != gjson.String || !gjson.Valid(args.Str) || item.Get("call_id").Str == "" {
				t.Fatalf("invalid function_call %s", item.Raw)
			}
		case "custom_tool_call", "function_call_output", "custom_tool_call_output":
			if item.Get("call_id").Str == "" {
				t.Fatalf("no call_id: %s in %s", item.Raw, body)
			}
		case "message":
			if len(item.Get("content").Array()) == 0 {
				t.Fatalf("message without content in %s", body)
			}
		}
		return true
	})
	if gjson.GetBytes(body, "store").Raw != "false" {
		t.Fatalf("store is not false in %s", body)
	}
}

// FuzzResponsesRequest checks the Responses request codec in both
// directions: no input panics, every output is valid JSON in the shape its
// format demands, every failure is ErrInvalidRequest.
func FuzzResponsesRequest(f *testing.F) {
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
	f.Add([]byte(`{"input":[{"type":"reasoning","encrypted_content":"rtx1:at:"},{"type":"reasoning","encrypted_content":"rtx1:"}]}`))
	f.Add([]byte(`{"input":[{"type":"function_call_output","output":[{"type":"input_image"}]},{"type":"custom_tool_call","input":{}}]}`))
	f.Add([]byte(`{"input":"x","tools":[{"type":"custom","name":"p","format":{"definition":1}}],"tool_choice":{"type":"custom"}}`))
	pairs := [][2]Format{{Responses, Anthropic}, {Responses, OpenAI}, {Anthropic, Responses}, {OpenAI, Responses}}
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		for _, p := range pairs {
			if !valid {
				// No promise for ConvertRequestValidated; ConvertRequest
				// must refuse.
				if out, _, err := ConvertRequest(p[0], p[1], body); !errors.Is(err, ErrInvalidRequest) || out != nil {
					t.Fatalf("%s→%s: invalid JSON gave %v", p[0], p[1], err)
				}
				continue
			}
			for _, convert := range []func(Format, Format, []byte) ([]byte, *Conversion, error){ConvertRequest, ConvertRequestValidated} {
				out, c, err := convert(p[0], p[1], body)
				if err != nil {
					if !errors.Is(err, ErrInvalidRequest) {
						t.Fatalf("%s→%s: error %v is not ErrInvalidRequest", p[0], p[1], err)
					}
					continue
				}
				if c == nil || !json.Valid(out) {
					t.Fatalf("%s→%s: invalid JSON:\n%s\n→\n%s", p[0], p[1], body, out)
				}
				switch p[1] {
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

// TestResponsesRequestByName checks that a conversion named after formats
// whose names hold a dash ("openai-responses") is found by Test.
func TestResponsesRequestByName(t *testing.T) {
	for _, tt := range []struct{ name, body, want string }{
		{"openai-responses-to-anthropic", `{"model":"m","input":"hi"}`, "messages.0.content.0.text"},
		{"anthropic-to-openai-responses", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, "input.0.content.0.text"},
		{"openai-to-openai-responses", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "input.0.content.0.text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Test(tt.name, DirRequest, []byte(tt.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := gjson.GetBytes(out, tt.want).Str; got != "hi" {
				t.Errorf("%s = %q in %s", tt.want, got, out)
			}
		})
	}
}

// TestRequestStateRelease checks that a pooled form keeps no piece of the
// body it was decoded from, however many slots the conversation used.
func TestRequestStateRelease(t *testing.T) {
	for _, path := range convGoldenFiles(t, "request") {
		from, _, _ := goldenPrefix(path)
		g := readConvGolden(t, path)
		st := new(requestState)
		root := jsonx.Value(jsonx.TrimSpace(g.sections["input"]))
		if err := requestCodecs[from].decodeRequest(root, &st.form, &Conversion{}); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		st.release()
		if where := findText(reflect.ValueOf(st.form), "form"); where != "" {
			t.Errorf("%s: %s still holds text after release", filepath.Base(path), where)
		}
	}
}

// findText returns the path of the first non-empty string reachable from
// v, through slices up to their capacity, or "".
func findText(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			return path
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if p := findText(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice:
		full := v.Slice(0, v.Cap())
		for i := range full.Len() {
			if p := findText(full.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// TestResponsesRequestFromAnthropicSDK converts what anthropic-sdk-go
// sends for a tool round trip with parallel calls into a Responses body,
// which openai-go's request type must read with every call before its
// output and the ids kept.
func TestResponsesRequestFromAnthropicSDK(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}`)
	}))
	defer srv.Close()
	client := newAnthropicClient(srv.URL)
	schema := anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}
	_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model:     "gpt-5",
		MaxTokens: 1000,
		System:    []anthropic.TextBlockParam{{Text: "Be brief."}},
		Tools:     []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather", InputSchema: schema}}},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("Paris and Rome?")),
			anthropic.NewAssistantMessage(anthropic.NewTextBlock("Checking."),
				anthropic.NewToolUseBlock("toolu_a", map[string]any{"city": "Paris"}, "get_weather"),
				anthropic.NewToolUseBlock("toolu_b", map[string]any{"city": "Rome"}, "get_weather")),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_a", "18°C", false),
				anthropic.NewToolResultBlock("toolu_b", "down", true)),
		},
	})
	if err != nil {
		t.Fatalf("Messages.New: %v", err)
	}
	out, _, err := ConvertRequest(Anthropic, Responses, body)
	if err != nil {
		t.Fatal(err)
	}
	checkResponsesShape(t, out)
	var p responses.ResponseNewParams
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("openai-go cannot read %s: %v", out, err)
	}
	var kinds, ids []string
	for _, item := range p.Input.OfInputItemList {
		switch {
		case item.OfFunctionCall != nil:
			kinds = append(kinds, "call")
			ids = append(ids, item.OfFunctionCall.CallID)
			var args map[string]string
			if err := json.Unmarshal([]byte(item.OfFunctionCall.Arguments), &args); err != nil || args["city"] == "" {
				t.Errorf("arguments %q", item.OfFunctionCall.Arguments)
			}
		case item.OfFunctionCallOutput != nil:
			kinds = append(kinds, "output")
			ids = append(ids, item.OfFunctionCallOutput.CallID.Value)
		default:
			kinds = append(kinds, "message")
		}
	}
	if want := []string{"message", "message", "call", "call", "output", "output"}; !slices.Equal(kinds, want) {
		t.Fatalf("items %v, want %v: %s", kinds, want, out)
	}
	if want := []string{"toolu_a", "toolu_b", "toolu_a", "toolu_b"}; !slices.Equal(ids, want) {
		t.Errorf("call ids %v, want %v", ids, want)
	}
	if got := gjson.GetBytes(out, "instructions").Str; got != "Be brief." {
		t.Errorf("instructions %q", got)
	}
	if got := gjson.GetBytes(out, "input.5.output").Str; got != "Error: down" {
		t.Errorf("error output %q", got)
	}
}
