package transformer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchAnthropicRequest builds an Anthropic request of about size bytes:
// a system prompt, tools, and turns of text, tool calls and tool results,
// the mix an agent sends.
func benchAnthropicRequest(size int) []byte {
	tool := func(i int) map[string]any {
		return map[string]any{
			"name": fmt.Sprintf("tool_%d", i), "description": "Does a thing with a path and a pattern.",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{
				"path": map[string]any{"type": "string"}, "pattern": map[string]any{"type": "string"}},
				"required": []string{"path"}},
		}
	}
	text := strings.Repeat("Some source code line with \"quotes\" and a tab\t.\n", 4)
	turn := func(i int) []any {
		return []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Please look at file " + fmt.Sprint(i)}}},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "Reading it."},
				map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_%04d", i), "name": "tool_0", "input": map[string]any{"path": "/src/main.go"}}}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": fmt.Sprintf("toolu_%04d", i), "content": text}}},
		}
	}
	build := func(turns, tools int) []byte {
		req := map[string]any{
			"model": "claude-sonnet-4-5", "max_tokens": 8192, "stream": true,
			"system":   []any{map[string]any{"type": "text", "text": "You are a coding agent.", "cache_control": map[string]any{"type": "ephemeral"}}},
			"metadata": map[string]any{"user_id": "user-1"},
		}
		var ts, msgs []any
		for i := range tools {
			ts = append(ts, tool(i))
		}
		for i := range turns {
			msgs = append(msgs, turn(i)...)
		}
		req["tools"], req["messages"] = ts, msgs
		b, _ := json.Marshal(req)
		return b
	}
	// Size one turn and one tool, then build the request in one go.
	base := len(build(1, 2))
	perTurn := len(build(2, 2)) - base
	turns := 1 + (max(0, size-base)+perTurn-1)/perTurn
	return build(turns, 2+turns/8)
}

func benchOpenAIRequest(size int) []byte {
	out, _, err := ConvertRequest(Anthropic, OpenAI, benchAnthropicRequest(size))
	if err != nil {
		panic(err)
	}
	return out
}

// benchResponsesRequest builds a Responses request of about size bytes,
// the mix Codex sends: instructions, function and custom tools, and turns
// of text, reasoning, function calls and their outputs.
func benchResponsesRequest(size int) []byte {
	text := strings.Repeat("Some source code line with \"quotes\" and a tab\t.\n", 4)
	turn := func(i int) []any {
		id := fmt.Sprintf("call_%04d", i)
		return []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_text", "text": "Please look at file " + fmt.Sprint(i)}}},
			map[string]any{"type": "message", "role": "assistant", "content": []any{map[string]any{"type": "output_text", "text": "Reading it."}}},
			map[string]any{"type": "function_call", "call_id": id, "name": "tool_0", "arguments": `{"path":"/src/main.go"}`},
			map[string]any{"type": "function_call_output", "call_id": id, "output": text},
		}
	}
	build := func(turns, tools int) []byte {
		req := map[string]any{
			"model": "gpt-5-codex", "max_output_tokens": 8192, "stream": true, "store": false,
			"instructions": "You are a coding agent.", "parallel_tool_calls": true,
			"reasoning": map[string]any{"effort": "medium", "summary": "auto"}, "prompt_cache_key": "session-1",
		}
		ts := []any{map[string]any{"type": "custom", "name": "apply_patch", "description": "Edit files.",
			"format": map[string]any{"type": "grammar", "syntax": "lark", "definition": "start: patch"}}}
		for i := range tools {
			ts = append(ts, map[string]any{"type": "function", "name": fmt.Sprintf("tool_%d", i), "description": "Does a thing with a path and a pattern.",
				"strict": false, "parameters": map[string]any{"type": "object", "properties": map[string]any{
					"path": map[string]any{"type": "string"}, "pattern": map[string]any{"type": "string"}}, "required": []string{"path"}}})
		}
		var items []any
		for i := range turns {
			items = append(items, turn(i)...)
		}
		req["tools"], req["input"] = ts, items
		b, _ := json.Marshal(req)
		return b
	}
	base := len(build(1, 2))
	perTurn := len(build(2, 2)) - base
	turns := 1 + (max(0, size-base)+perTurn-1)/perTurn
	return build(turns, 2+turns/8)
}

func benchRequest(b *testing.B, from, to Format, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := ConvertRequest(from, to, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertRequest(b *testing.B) {
	for _, size := range []int{2 << 10, 200 << 10} {
		a, o, r := benchAnthropicRequest(size), benchOpenAIRequest(size), benchResponsesRequest(size)
		for _, tt := range []struct {
			name     string
			from, to Format
			body     []byte
		}{
			{"A2O", Anthropic, OpenAI, a},
			{"O2A", OpenAI, Anthropic, o},
			{"R2A", Responses, Anthropic, r},
			{"R2O", Responses, OpenAI, r},
			{"A2R", Anthropic, Responses, a},
			{"O2R", OpenAI, Responses, o},
		} {
			b.Run(fmt.Sprintf("%s/%dKB", tt.name, (len(tt.body)+512)>>10), func(b *testing.B) { benchRequest(b, tt.from, tt.to, tt.body) })
		}
	}
}

// BenchmarkConvertRequestValidated measures the conversion of a body the
// router has already validated.
func BenchmarkConvertRequestValidated(b *testing.B) {
	for _, size := range []int{2 << 10, 200 << 10} {
		a, o := benchAnthropicRequest(size), benchOpenAIRequest(size)
		for _, tt := range []struct {
			name     string
			from, to Format
			body     []byte
		}{
			{fmt.Sprintf("A2O/%dKB", (len(a)+512)>>10), Anthropic, OpenAI, a},
			{fmt.Sprintf("O2A/%dKB", (len(o)+512)>>10), OpenAI, Anthropic, o},
		} {
			b.Run(tt.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(tt.body)))
				for b.Loop() {
					if _, _, err := ConvertRequestValidated(tt.from, tt.to, tt.body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkConvertResponse(b *testing.B) {
	anthropicReply := []byte(`{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5",` +
		`"content":[{"type":"thinking","thinking":"The user wants the weather in Paris; I will call the tool.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},` +
		`{"type":"text","text":"Let me check the weather in Paris for you."},` +
		`{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"Paris, France","unit":"celsius"}}],` +
		`"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":91}}`)
	openAIReply := []byte(`{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Let me check the weather in Paris for you.","refusal":null,"annotations":[],` +
		`"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris, France\",\"unit\":\"celsius\"}"}}]},` +
		`"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":2520,"completion_tokens":91,"total_tokens":2611,` +
		`"prompt_tokens_details":{"cached_tokens":2048,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_fc9f1d7035"}`)
	for _, tt := range []struct {
		name string
		c    *Conversion
		body []byte
	}{
		{"A2O", &Conversion{From: OpenAI, To: Anthropic, Model: "gpt-4o"}, anthropicReply},
		{"O2A", &Conversion{From: Anthropic, To: OpenAI, Model: "claude-sonnet-4-5"}, openAIReply},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.body)))
			for b.Loop() {
				if _, err := ConvertResponse(tt.c, tt.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConvertError(b *testing.B) {
	c := &Conversion{From: OpenAI, To: Anthropic}
	body := []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`)
	b.ReportAllocs()
	for b.Loop() {
		ConvertError(c, 529, body)
	}
}
