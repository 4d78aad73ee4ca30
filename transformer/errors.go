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
// (Anthropic's 529 and OpenAI's 503 map to each other; Responses callers
// are OpenAI callers here) and a body the caller's SDK understands, keeping
// the upstream's message. A body that is not JSON, or has no message, is
// quoted: "upstream returned HTTP 502: <its first 200 bytes>". With a nil
// Conversion or c.From == c.To, status and body are returned unchanged.
func ConvertError(c *Conversion, status int, body []byte) (int, []byte) {
	if c == nil || c.From == c.To {
		return status, body
	}
	dec, ok1 := errorCodecs[c.To]
	enc, ok2 := errorCodecs[c.From]
	if !ok1 || !ok2 {
		return status, body
	}
	out, st := enc.appendError(nil, dec.decodeError(status, body))
	return st, out
}

// ErrorBody returns an error body in format f for status and message, the
// shape the SDKs of f read: {"type":"error","error":{"type","message"}} for
// Anthropic, {"error":{"message","type","param","code"}} for OpenAI Chat
// and the Responses API, {"error":{"code","message","status"}} with the
// google.rpc status name for Gemini. The same JSON is the data of an error
// event in a stream of format f (Anthropic, Chat).
func ErrorBody(f Format, status int, message string) []byte {
	enc, ok := errorCodecs[f]
	if !ok {
		enc = anthropicCodec{}
	}
	e := formError{Status: status, Type: errorKindForStatus(status), Message: message}
	body, _ := enc.appendError(nil, e)
	return body
}

// AnthropicErrorType returns the Anthropic error type for an HTTP status.
// Statuses without a type of their own get invalid_request_error (4xx) or
// api_error.
func AnthropicErrorType(status int) string { return errorKindForStatus(status).name() }

// errorCodec is what a format's codec does with error answers.
type errorCodec interface {
	// decodeError reads an error answer, whatever the body holds.
	decodeError(status int, body []byte) formError
	// appendError appends e as an error body and returns the status to
	// answer with.
	appendError(dst []byte, e formError) ([]byte, int)
}

var errorCodecs = map[Format]errorCodec{
	Anthropic: anthropicCodec{},
	OpenAI:    chatCodec{},
	Responses: responsesCodec{},
	Gemini:    geminiCodec{},
}

// errorKindForStatus is the kind of error an HTTP status says.
func errorKindForStatus(status int) errorKind {
	switch status {
	case http.StatusBadRequest:
		return errKindInvalidRequest
	case http.StatusUnauthorized:
		return errKindAuthentication
	case http.StatusForbidden:
		return errKindPermission
	case http.StatusNotFound:
		return errKindNotFound
	case http.StatusRequestEntityTooLarge:
		return errKindTooLarge
	case http.StatusTooManyRequests:
		return errKindRateLimit
	case StatusOverloaded, http.StatusServiceUnavailable:
		return errKindOverloaded
	}
	if status >= 400 && status < 500 {
		return errKindInvalidRequest
	}
	return errKindAPI
}

// errorKindNames are the kinds' names, Anthropic's error types.
var errorKindNames = [...]string{
	errKindAPI:            "api_error",
	errKindInvalidRequest: "invalid_request_error",
	errKindAuthentication: "authentication_error",
	errKindPermission:     "permission_error",
	errKindNotFound:       "not_found_error",
	errKindTooLarge:       "request_too_large",
	errKindRateLimit:      "rate_limit_error",
	errKindOverloaded:     "overloaded_error",
	errKindTimeout:        "timeout_error",
}

func (k errorKind) name() string {
	if int(k) < len(errorKindNames) {
		return errorKindNames[k]
	}
	return "api_error"
}

// errorKindNamed returns the kind an Anthropic error type names.
func errorKindNamed(typ string) (errorKind, bool) {
	for k, n := range errorKindNames {
		if n == typ {
			return errorKind(k), true
		}
	}
	return 0, false
}

// codeContextLength is OpenAI's error code for a prompt that does not fit
// the model's context window; the decoders set it on any error that says
// so, in whatever words.
const codeContextLength = "context_length_exceeded"

// readErrorBody reads the message of an error body in any of the shapes
// upstreams use: Anthropic's and OpenAI's, {"error":"…"}, {"message":"…"}
// (vLLM, FastAPI) or {"detail":"…"}. typed takes Anthropic's error type
// from an Anthropic-shaped body, openAI OpenAI's code and param from an
// OpenAI-shaped one; otherwise the kind comes from the status.
func readErrorBody(status int, body []byte, typed, openAI bool) formError {
	e := formError{Status: status, Type: errorKindForStatus(status)}
	s := strings.TrimSpace(jsonx.BytesString(body))
	var code string
	if jsonx.Valid(s) {
		root := gjson.Parse(s)
		errv := root.Get("error")
		switch {
		case errv.IsObject():
			e.Message = errv.Get("message").String()
			if v := errv.Get("code"); v.Type == gjson.String {
				code = v.Str
			}
			if v := errv.Get("param"); openAI && v.Type == gjson.String {
				e.Param = v.Str
			}
			if typed && root.Get("type").Str == "error" {
				if k, ok := errorKindNamed(errv.Get("type").Str); ok {
					e.Type = k
				}
			}
		case errv.Type == gjson.String:
			e.Message = errv.Str
		}
		for _, k := range [...]string{"message", "detail", "error_description"} {
			if e.Message != "" {
				break
			}
			if v := root.Get(k); v.Type == gjson.String {
				e.Message = v.Str
			}
		}
	}
	if e.Message == "" {
		e.Message = "upstream returned HTTP " + strconv.Itoa(status)
		if snip := errorSnippet(s); snip != "" {
			e.Message += ": " + snip
		}
	}
	if openAI {
		e.Code = code
	}
	lower := strings.ToLower(e.Message)
	if code == codeContextLength ||
		strings.HasPrefix(lower, promptTooLong) ||
		strings.Contains(lower, "maximum context length") ||
		strings.Contains(lower, "context window") {
		e.Code = codeContextLength
	}
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
