package transformer

import (
	"fmt"
	"strings"
	"testing"
)

// benchAnthropicReply is an Anthropic answer of about size bytes: thinking
// with a signature, text with escapes, and two tool calls, the mix an agent
// receives.
func benchAnthropicReply(size int) []byte {
	build := func(lines int) string {
		text := strings.Repeat(`Line of the answer with \"quotes\", a tab\t and a newline.\n`, lines)
		return `{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5",` +
			`"content":[{"type":"thinking","thinking":"The user wants the weather in Paris and Oslo; I will call the tool twice.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},` +
			`{"type":"text","text":"` + text + `"},` +
			`{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"Paris, France","unit":"celsius"}},` +
			`{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lr0","name":"get_weather","input":{"location":"Oslo, Norway","unit":"celsius"}}],` +
			`"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":91}}`
	}
	base := len(build(0))
	per := len(build(1)) - base
	return []byte(build(max(0, size-base) / per))
}

// benchReplies returns a 2 KB answer in each format, the Chat and
// Responses ones converted from the Anthropic one.
func benchReplies(b *testing.B, size int) map[Format][]byte {
	a := benchAnthropicReply(size)
	replies := map[Format][]byte{Anthropic: a}
	for _, f := range []Format{OpenAI, Responses} {
		out, err := ConvertResponse(&Conversion{From: f, To: Anthropic, Model: "m"}, a)
		if err != nil {
			b.Fatal(err)
		}
		replies[f] = out
	}
	return replies
}

var formatLetters = map[Format]string{Anthropic: "A", OpenAI: "O", Responses: "R"}

// BenchmarkConvertResponseDirections converts a 2 KB answer in every
// direction; the name is upstream 2 caller, as the golden files' are.
func BenchmarkConvertResponseDirections(b *testing.B) {
	replies := benchReplies(b, 2<<10)
	for _, up := range Formats {
		for _, caller := range Formats {
			if up == caller {
				continue
			}
			body := replies[up]
			c := &Conversion{From: caller, To: up, Model: "caller-model"}
			b.Run(fmt.Sprintf("%s2%s/%dKB", formatLetters[up], formatLetters[caller], (len(body)+512)>>10), func(b *testing.B) {
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

// BenchmarkConvertErrorDirections converts an error body in every
// direction.
func BenchmarkConvertErrorDirections(b *testing.B) {
	bodies := map[Format][]byte{
		Anthropic: []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`),
		OpenAI:    []byte(`{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`),
		Responses: []byte(`{"error":{"message":"Rate limit reached for gpt-5","type":"requests","param":null,"code":"rate_limit_exceeded"}}`),
	}
	for _, up := range Formats {
		for _, caller := range Formats {
			if up == caller {
				continue
			}
			c := &Conversion{From: caller, To: up}
			body := bodies[up]
			b.Run(formatLetters[up]+"2"+formatLetters[caller], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ConvertError(c, 429, body)
				}
			})
		}
	}
}
