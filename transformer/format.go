// Package transformer converts requests, responses and streams between the
// wire formats routex speaks, and reads and writes Server-Sent Events.
package transformer

// Format names a wire format: the API dialect a caller or a channel speaks.
type Format string

// The wire formats routex understands.
const (
	// Anthropic is the Anthropic Messages API (POST /v1/messages).
	Anthropic Format = "anthropic"
	// OpenAI is the OpenAI Chat Completions API (POST /v1/chat/completions).
	OpenAI Format = "openai"
)

// Valid reports whether f is a format routex can speak.
func (f Format) Valid() bool { return f == Anthropic || f == OpenAI }

// String returns the format's name.
func (f Format) String() string { return string(f) }
