package routex

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/routex/routex/transformer"
)

// refusal is routex's own answer to a request it cannot route: it becomes an
// error response in the caller's format, never a Go error.
type refusal struct {
	status     int
	code       string // machine-readable reason, e.g. "model_not_found"
	msg        string // what a person can act on
	retryAfter int    // seconds; 0 when not known
	err        error  // sentinel for errors.Is, carried into the record
	// detail, when set, is what the record and log keep instead of msg:
	// the internals (channels, upstream addresses) the caller is not told.
	detail string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

func errBody(msg string) *refusal {
	return &refusal{status: http.StatusBadRequest, code: "invalid_request", msg: msg, err: ErrBadRequest}
}

// ErrorBody returns an error body in format f: Anthropic's
// {"type":"error","error":{...}}, Google's {"error":{"code","message",
// "status"}}, or OpenAI's {"error":{...}} for Chat and Responses callers
// alike, whose code field carries code when it is not empty.
func ErrorBody(f Format, status int, code, msg string) []byte {
	if f == FormatResponses {
		f = FormatOpenAI // the Responses API answers errors in Chat's shape
	}
	if f == FormatAnthropic || f == FormatGemini || code == "" {
		return transformer.ErrorBody(f, status, msg)
	}
	type openaiErr struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	}
	b, _ := json.Marshal(struct {
		Error openaiErr `json:"error"`
	}{openaiErr{msg, transformer.AnthropicErrorType(status), nil, code}}) // strings only: cannot fail
	return b
}

// respond builds a response to req that routex produced itself.
func respond(req *http.Request, status int, header http.Header, body []byte) *http.Response {
	if header == nil {
		header = make(http.Header, 2)
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	header["Content-Length"] = []string{strconv.Itoa(len(body))}
	return &http.Response{
		Status:        statusLine(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// statusLine returns the text of http.Response.Status for a status code,
// naming the statuses net/http does not know (Anthropic's 529).
func statusLine(status int) string {
	text := http.StatusText(status)
	if status == 529 {
		text = "Overloaded"
	}
	if text == "" {
		return strconv.Itoa(status)
	}
	return strconv.Itoa(status) + " " + text
}

// refuse answers req with rf in format f.
func refuse(req *http.Request, f Format, rf *refusal) *http.Response {
	h := make(http.Header, 4)
	h.Set("Content-Type", "application/json")
	h.Set("X-Routex-Error", rf.code)
	if rf.status < 500 || rf.status == http.StatusNotImplemented {
		// The SDKs retry what they are told is worth retrying; these are not.
		h.Set("X-Should-Retry", "false")
	}
	if rf.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(rf.retryAfter))
	}
	return respond(req, rf.status, h, ErrorBody(f, rf.status, rf.code, rf.msg))
}

// asRefusal returns err as a refusal, if it is one.
func asRefusal(err error) (*refusal, bool) {
	var rf *refusal
	ok := errors.As(err, &rf)
	return rf, ok
}
