package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"net/http"
	"strings"
)

// decodeError reads an Anthropic error body,
// {"type":"error","error":{"type","message"}}, or any other shape an
// upstream answered with.
func (anthropicCodec) decodeError(status int, body []byte) formError {
	return readErrorBody(status, body, true, false)
}

// appendError writes an Anthropic error body. OpenAI's 503 becomes
// Anthropic's 529, and a prompt too long for the context says so in the
// words Claude Code looks for, so that it compacts the conversation.
func (anthropicCodec) appendError(dst []byte, e formError) ([]byte, int) {
	status := e.Status
	if status == http.StatusServiceUnavailable {
		status = StatusOverloaded
	}
	msg := e.Message
	if e.Code == codeContextLength && !strings.HasPrefix(strings.ToLower(msg), promptTooLong) {
		msg = promptTooLong + ": " + msg
	}
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = jsonx.AppendString(dst, e.Type.name())
	dst = append(dst, `,"message":`...)
	dst = jsonx.AppendString(dst, msg)
	return append(dst, `}}`...), status
}
