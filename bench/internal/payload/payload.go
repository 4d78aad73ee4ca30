// Package payload builds the request bodies the benchmarks send: Anthropic
// Messages, OpenAI Chat Completions, OpenAI Responses or Google Gemini
// requests of a chosen size, shaped like what coding agents send (a system
// prompt, a tool, a conversation).
package payload

import (
	"fmt"
	"strings"
)

// Format is the wire format of a request: "anthropic", "openai",
// "openai-responses" or "gemini".
type Format string

// The formats.
const (
	Anthropic Format = "anthropic"
	OpenAI    Format = "openai"
	Responses Format = "openai-responses"
	Gemini    Format = "gemini"
)

// Formats lists every format.
var Formats = []Format{Anthropic, OpenAI, Responses, Gemini}

// Valid reports whether f is one of Formats.
func (f Format) Valid() bool { return f == Anthropic || f == OpenAI || f == Responses || f == Gemini }

// Endpoint returns the path of f's requests for model. Gemini's names the
// model and whether it streams, with alt=sse in the query for a stream of
// events; the other formats' are fixed.
func (f Format) Endpoint(model string, stream bool) string {
	switch f {
	case Anthropic:
		return "/v1/messages"
	case Responses:
		return "/v1/responses"
	case Gemini:
		if stream {
			return "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
		}
		return "/v1beta/models/" + model + ":generateContent"
	}
	return "/v1/chat/completions"
}

// Build returns a request in format f for model, of size bytes give or take
// a few (never less than the smallest well-formed request). Requests of
// 1 KiB or more carry a system prompt and a tool definition; smaller ones
// are a single user turn. stream asks for a streamed answer, with usage
// in the stream for OpenAI as the SDKs ask for it. A Gemini request names
// neither model nor stream, which are in its Endpoint.
func Build(f Format, model string, size int, stream bool) []byte {
	if f == Gemini {
		return buildGemini(size)
	}
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
	return pad(&b, size, closing)
}

// buildGemini returns a Gemini request of size bytes: the conversation in
// contents, its user and model turns, after the system instruction and a
// function declaration in Google's schema subset when size is 1 KiB or
// more.
func buildGemini(size int) []byte {
	var b strings.Builder
	b.Grow(size + 256)
	b.WriteString(`{"generationConfig":{"maxOutputTokens":1024},`)
	rich := size >= 1024
	if rich {
		b.WriteString(`"systemInstruction":{"parts":[{"text":"You are a careful coding assistant. Answer briefly."}]},`)
		b.WriteString(`"tools":[{"functionDeclarations":[{"name":"read_file","description":"Read a file from the workspace","parameters":{"type":"OBJECT","properties":{"path":{"type":"STRING"}},"required":["path"]}}]}],`)
	}
	b.WriteString(`"contents":[`)
	const closing = `"}]}]}`
	for i := 0; rich; i++ {
		role := "user"
		if i%2 == 1 {
			role = "model"
		}
		t := fmt.Sprintf(`{"role":%q,"parts":[{"text":"Turn %d: %s"}]},`, role, i, turn)
		if i%2 == 0 && b.Len()+len(t)+len(turn)+64 > size {
			break
		}
		b.WriteString(t)
	}
	b.WriteString(`{"role":"user","parts":[{"text":"`)
	return pad(&b, size, closing)
}

// turn is the text of each turn of a conversation.
const turn = "Please look at the function parseConfig in config.go and explain why the timeout is ignored when the value is zero; then suggest a fix."

// pad ends b with the last user turn's text, the turn repeated or cut so
// that the request, with closing, is size bytes.
func pad(b *strings.Builder, size int, closing string) []byte {
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
