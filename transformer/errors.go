package transformer

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// StatusOverloaded is the status Anthropic answers with when it is
// overloaded; OpenAI uses 503 for the same.
const StatusOverloaded = 529

// maxErrorSnippet bounds how much of a non-JSON error body is quoted.
const maxErrorSnippet = 200

// promptTooLong starts the message Anthropic sends, and Claude Code looks
// for, when the prompt does not fit the context window: with it the client
// compacts the conversation instead of failing.
const promptTooLong = "prompt is too long"

// ConvertError converts an upstream error response, status and body in
// c.To's format, into c.From's. It returns the status to give the caller
// (Anthropic's 529 and OpenAI's 503 map to each other) and a body the
// caller's SDK understands, keeping the upstream's message. A body that is
// not JSON, or has no message, is quoted: "upstream returned HTTP 502:
// <its first 200 bytes>". With a nil Conversion or c.From == c.To,
// status and body are returned unchanged.
func ConvertError(c *Conversion, status int, body []byte) (int, []byte) {
	if c == nil || c.From == c.To || !c.From.Valid() || !c.To.Valid() {
		return status, body
	}
	e := parseUpstreamError(status, body)
	if c.From == OpenAI {
		if status == StatusOverloaded {
			status = http.StatusServiceUnavailable
		}
		typ := e.typ
		if typ == "" {
			typ = AnthropicErrorType(status)
		}
		code := ""
		if e.contextExceeded {
			code = "context_length_exceeded"
		}
		return status, appendOpenAIErrorBody(nil, e.message, typ, code)
	}
	if status == http.StatusServiceUnavailable {
		status = StatusOverloaded
	}
	msg := e.message
	if e.contextExceeded && !strings.HasPrefix(strings.ToLower(msg), promptTooLong) {
		msg = promptTooLong + ": " + msg
	}
	return status, appendAnthropicErrorBody(nil, AnthropicErrorType(status), msg)
}

// ErrorBody returns an error body in format f for status and message, the
// shape the SDKs of f read: {"type":"error","error":{"type","message"}} for
// Anthropic, {"error":{"message","type","param","code"}} for OpenAI. The
// same JSON is the data of an error event in a stream of format f.
func ErrorBody(f Format, status int, message string) []byte {
	if f == OpenAI {
		return appendOpenAIErrorBody(nil, message, AnthropicErrorType(status), "")
	}
	return appendAnthropicErrorBody(nil, AnthropicErrorType(status), message)
}

// AnthropicErrorType returns the Anthropic error type for an HTTP status.
// Statuses without a type of their own get invalid_request_error (4xx) or
// api_error.
func AnthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case StatusOverloaded, http.StatusServiceUnavailable:
		return "overloaded_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

func appendAnthropicErrorBody(dst []byte, typ, message string) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, message)
	return append(dst, `}}`...)
}

func appendOpenAIErrorBody(dst []byte, message, typ, code string) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = appendJSONString(dst, message)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"param":null,"code":`...)
	if code == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, code)
	}
	return append(dst, `}}`...)
}

// upstreamError is what ConvertError learned from an error body.
type upstreamError struct {
	message         string
	typ             string // the Anthropic error type, when the body had one
	contextExceeded bool   // the prompt did not fit the model's context
}

// parseUpstreamError reads the message of an error body in either format,
// and in the shapes OpenAI-compatible servers use instead: {"error":"…"},
// {"message":"…"} (vLLM, FastAPI) or {"detail":"…"}.
func parseUpstreamError(status int, body []byte) upstreamError {
	var e upstreamError
	s := strings.TrimSpace(bytesString(body))
	var code string
	if jsonx.Valid(s) {
		root := gjson.Parse(s)
		errv := root.Get("error")
		switch {
		case errv.IsObject():
			e.message = errv.Get("message").String()
			code = errv.Get("code").String()
			if root.Get("type").Str == "error" {
				e.typ = errv.Get("type").String()
			}
		case errv.Type == gjson.String:
			e.message = errv.Str
		}
		for _, k := range [...]string{"message", "detail", "error_description"} {
			if e.message != "" {
				break
			}
			if v := root.Get(k); v.Type == gjson.String {
				e.message = v.Str
			}
		}
	}
	if e.message == "" {
		e.message = "upstream returned HTTP " + strconv.Itoa(status)
		if snip := errorSnippet(s); snip != "" {
			e.message += ": " + snip
		}
	}
	lower := strings.ToLower(e.message)
	e.contextExceeded = code == "context_length_exceeded" ||
		strings.HasPrefix(lower, promptTooLong) ||
		strings.Contains(lower, "maximum context length") ||
		strings.Contains(lower, "context window")
	return e
}

// errorSnippet returns the start of a non-JSON error body fit to quote in
// a message: markup tags removed (proxies answer with HTML pages),
// control characters and runs of white space folded to one space, cut at
// a rune boundary.
func errorSnippet(s string) string {
	var b strings.Builder
	html := strings.HasPrefix(s, "<")
	space, inTag := false, false
	for i := 0; i < len(s) && b.Len() < maxErrorSnippet; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '<' && html:
			inTag = true
			continue
		case inTag:
			if r == '>' {
				inTag = false
				space = b.Len() > 0
			}
			continue
		case r == utf8.RuneError && size == 1:
			continue
		case r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+size > maxErrorSnippet {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
