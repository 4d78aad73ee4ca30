package transformer

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// decodeError reads a Google error body,
// {"error":{"code","message","status","details"}}, also when a stream
// without alt=sse wrapped it in an array, or any other shape an upstream
// answered with. The google.rpc status name says the kind more precisely
// than the HTTP status (a 504 is DEADLINE_EXCEEDED, a timeout).
func (geminiCodec) decodeError(status int, body []byte) formError {
	s := strings.TrimSpace(jsonx.BytesString(body))
	if strings.HasPrefix(s, "[") && jsonx.Valid(s) {
		if first := gjson.Get(s, "0"); first.IsObject() {
			s = first.Raw
		}
	}
	e := readErrorBody(status, jsonx.StringBytes(s), false, false)
	if jsonx.Valid(s) {
		if k, ok := geminiErrorKind(gjson.Get(s, "error.status").Str); ok {
			e.Type = k
		}
	}
	return e
}

// geminiErrorKind returns the kind a google.rpc status name says.
func geminiErrorKind(name string) (errorKind, bool) {
	switch name {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		return errKindInvalidRequest, true
	case "UNAUTHENTICATED":
		return errKindAuthentication, true
	case "PERMISSION_DENIED":
		return errKindPermission, true
	case "NOT_FOUND":
		return errKindNotFound, true
	case "RESOURCE_EXHAUSTED":
		return errKindRateLimit, true
	case "UNAVAILABLE":
		return errKindOverloaded, true
	case "DEADLINE_EXCEEDED":
		return errKindTimeout, true
	case "INTERNAL", "UNKNOWN", "DATA_LOSS":
		return errKindAPI, true
	}
	return 0, false
}

// appendError writes a Google error body, its code the HTTP status and its
// status the google.rpc name the HTTP mapping of google/rpc/code.proto gives
// that status. Anthropic's 529 becomes 503 UNAVAILABLE, the status Google
// answers with when overloaded.
func (geminiCodec) appendError(dst []byte, e formError) ([]byte, int) {
	status := e.Status
	if status == StatusOverloaded {
		status = http.StatusServiceUnavailable
	}
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	dst = append(dst, `{"error":{"code":`...)
	dst = appendInt(dst, int64(status))
	dst = append(dst, `,"message":`...)
	dst = jsonx.AppendString(dst, e.Message)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, geminiStatusName(status)...)
	return append(dst, `"}}`...), status
}

// geminiStatusName is the google.rpc status name for an HTTP status.
// code.proto maps no code to 413: a request too large is an invalid
// argument, the name Google gives it.
func geminiStatusName(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if status < 500 {
		return "FAILED_PRECONDITION"
	}
	return "INTERNAL"
}
