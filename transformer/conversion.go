package transformer

// Conversion carries what converting one request learned that converting
// its response needs: which formats are involved, the model the caller
// asked for, and how tool names were mapped. It is created by
// ConvertRequest and read by ConvertResponse and the stream converter of
// the same request. A Conversion is not safe for concurrent use.
type Conversion struct {
	// From is the caller's format; To is the upstream's.
	From, To Format
	// Model is the model the caller asked for; responses echo it back.
	Model string
	// Stream reports whether the caller asked for a stream.
	Stream bool
	// IncludeUsage reports whether an OpenAI caller asked for the usage
	// chunk (stream_options.include_usage); it is sent only then.
	IncludeUsage bool
	// JSONArray reports whether a Gemini caller asked for its stream as one
	// JSON array of chunks (streamGenerateContent without alt=sse) rather
	// than as server-sent events.
	JSONArray bool
	// ToolNames maps a tool name sent upstream back to the caller's name,
	// for names the upstream format would not accept as they were.
	ToolNames map[string]string
	// Freeform names the caller's freeform tools (the Responses API's
	// "custom" tools), as the caller named them. Formats without such tools
	// carry each as a function taking one string parameter, "input", and a
	// call of one goes back to the caller as a freeform call.
	Freeform []string
	// Namespaces maps the caller's name of a tool it declared inside a
	// Responses namespace (Codex's multi_agent_v1) to that namespace. Other
	// formats have none: the tools go flat, and a call of one goes back to
	// the caller with its namespace.
	Namespaces map[string]string
}

// Namespace returns the namespace the caller declared the tool name in,
// or "".
func (c *Conversion) Namespace(name string) string { return c.Namespaces[name] }

// IsFreeform reports whether the caller declared the tool it names name
// as a freeform tool.
func (c *Conversion) IsFreeform(name string) bool {
	for _, n := range c.Freeform {
		if n == name {
			return true
		}
	}
	return false
}

// CallerToolName returns the caller's name for a tool the upstream named.
func (c *Conversion) CallerToolName(upstream string) string {
	if n, ok := c.ToolNames[upstream]; ok {
		return n
	}
	return upstream
}

// StreamConverter converts one upstream event stream into the caller's
// format, event by event. Create one per response with NewStreamConverter.
// It is not safe for concurrent use.
type StreamConverter interface {
	// Event converts one upstream event and appends zero or more complete,
	// SSE-framed caller events to dst.
	Event(dst []byte, ev Event) ([]byte, error)
	// End finishes the stream and appends what the caller still needs for a
	// well-formed end. err is nil when the upstream ended normally (EOF
	// after its final event), otherwise why it ended early; then an error
	// event in the caller's format comes last.
	End(dst []byte, err error) []byte
	// Usage returns the usage seen so far, in Anthropic's terms.
	Usage() Usage
}
