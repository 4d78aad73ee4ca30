// Package transformer converts requests, responses, errors and streams
// between the wire formats routex speaks — Anthropic Messages, OpenAI Chat
// Completions, OpenAI Responses and Google Gemini — through one intermediate
// form: each
// format is a codec that decodes into the form and encodes from it. It also
// runs the transformer chains channels declare.
package transformer

// Format names a wire format: the API dialect a caller or a channel speaks.
type Format string

// The wire formats routex understands.
const (
	// Anthropic is the Anthropic Messages API (POST /v1/messages).
	Anthropic Format = "anthropic"
	// OpenAI is the OpenAI Chat Completions API (POST /v1/chat/completions).
	OpenAI Format = "openai"
	// Responses is the OpenAI Responses API (POST /v1/responses).
	Responses Format = "openai-responses"
	// Gemini is the Google Gemini API (POST
	// /v1beta/models/{model}:generateContent and :streamGenerateContent).
	// Its bodies name neither the model nor whether to stream: the path
	// does (ConvertRequestFor, GeminiPath).
	Gemini Format = "gemini"
)

// Formats lists every format routex speaks.
var Formats = []Format{Anthropic, OpenAI, Responses, Gemini}

// Valid reports whether f is a format routex can speak.
func (f Format) Valid() bool { return f == Anthropic || f == OpenAI || f == Responses || f == Gemini }

// String returns the format's name.
func (f Format) String() string { return string(f) }
