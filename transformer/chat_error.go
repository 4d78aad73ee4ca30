package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"net/http"
)

// decodeError reads an OpenAI error body,
// {"error":{"message","type","param","code"}}, or any other shape an
// upstream answered with. OpenAI's types do not say more than the status
// does; its code and param are kept.
func (chatCodec) decodeError(status int, body []byte) formError {
	return readErrorBody(status, body, false, true)
}

// appendError writes an OpenAI error body, Anthropic's 529 as 503.
func (chatCodec) appendError(dst []byte, e formError) ([]byte, int) {
	return appendOpenAIError(dst, e)
}

// appendOpenAIError writes the error body both OpenAI formats share. The
// type is the kind's Anthropic name, which OpenAI's SDKs show as they are.
func appendOpenAIError(dst []byte, e formError) ([]byte, int) {
	status := e.Status
	if status == StatusOverloaded {
		status = http.StatusServiceUnavailable
	}
	dst = append(dst, `{"error":{"message":`...)
	dst = jsonx.AppendString(dst, e.Message)
	dst = append(dst, `,"type":`...)
	dst = jsonx.AppendString(dst, e.Type.name())
	dst = append(dst, `,"param":`...)
	dst = appendStringOrNull(dst, e.Param)
	dst = append(dst, `,"code":`...)
	dst = appendStringOrNull(dst, e.Code)
	return append(dst, `}}`...), status
}

// appendStringOrNull appends s as a string literal, or null when empty.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return jsonx.AppendString(dst, s)
}
