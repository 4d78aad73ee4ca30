// Package payload builds the request bodies the benchmarks send: Anthropic
// Messages, OpenAI Chat Completions or OpenAI Responses requests of a
// chosen size, shaped like what coding agents send (a system prompt, a
// tool, a conversation).
package payload

import (
	"fmt"
	"strings"
)

// Format is the wire format of a request: "anthropic", "openai" or
// "openai-responses".
type Format string

// The formats.
const (
	Anthropic Format = "anthropic"
	OpenAI    Format = "openai"
	Responses Format = "openai-responses"
)

// Formats lists every format.
var Formats = []Format{Anthropic, OpenAI, Responses}

// Valid reports whether f is one of Formats.
func (f Format) Valid() bool { return f == Anthropic || f == OpenAI || f == Responses }

// Path returns the endpoint path of f's requests.
func (f Format) Path() string {
	switch f {
	case Anthropic:
		return "/v1/messages"
	case Responses:
		return "/v1/responses"
	}
	return "/v1/chat/completions"
}

// Build returns a request in format f for model, of size bytes give or take
// a few (never less than the smallest well-formed request). Requests of
// 1 KiB or more carry a system prompt and a tool definition; smaller ones
// are a single user turn. stream asks for a streamed answer, with usage
// in the stream for OpenAI as the SDKs ask for it.
func Build(f Format, model string, size int, stream bool) []byte {
	var b strings.Builder
	b.Grow(size + 256)
	rich := size >= 1024
	if f == Responses {
		fmt.Fprintf(&b, `{"model":%q,"max_output_tokens":1024,`, model)
	} else {
		fmt.Fprintf(&b, `{"model":%q,"max_tokens":1024,`, model)
	}
	if stream {
		b.WriteString(`"stream":true,`)
		if f == OpenAI {
			b.WriteString(`"stream_options":{"include_usage":true},`)
		}
	}
	if rich {
		switch f {
		case Anthropic:
			b.WriteString(`"system":[{"type":"text","text":"You are a careful coding assistant. Answer briefly."}],`)
			b.WriteString(`"tools":[{"name":"read_file","description":"Read a file from the workspace","input_schema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}],`)
		case Responses:
			b.WriteString(`"instructions":"You are a careful coding assistant. Answer briefly.",`)
			b.WriteString(`"tools":[{"type":"function","name":"read_file","description":"Read a file from the workspace","parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}],`)
		default:
			b.WriteString(`"tools":[{"type":"function","function":{"name":"read_file","description":"Read a file from the workspace","parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}}],`)
		}
	}
	if f == Responses {
		b.WriteString(`"input":[`)
	} else {
		b.WriteString(`"messages":[`)
	}
	if rich && f == OpenAI {
		b.WriteString(`{"role":"system","content":"You are a careful coding assistant. Answer briefly."},`)
	}
	const turn = "Please look at the function parseConfig in config.go and explain why the timeout is ignored when the value is zero; then suggest a fix."
	const closing = `"}]}`
	// Whole turns while they fit, then one last user turn padded to size.
	for i := 0; rich; i++ {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		var t string
		if f == Anthropic {
			t = fmt.Sprintf(`{"role":%q,"content":[{"type":"text","text":"Turn %d: %s"}]},`, role, i, turn)
		} else {
			t = fmt.Sprintf(`{"role":%q,"content":"Turn %d: %s"},`, role, i, turn)
		}
		if i%2 == 0 && b.Len()+len(t)+len(turn)+64 > size {
			break
		}
		b.WriteString(t)
	}
	b.WriteString(`{"role":"user","content":"`)
	text := turn
	for b.Len()+len(text)+len(closing) < size {
		text += " " + turn
	}
	if over := b.Len() + len(text) + len(closing) - size; over > 0 && over < len(text)-16 {
		text = strings.TrimRight(text[:len(text)-over], " ")
	}
	b.WriteString(text)
	b.WriteString(closing)
	return []byte(b.String())
}
