package routex

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// refusal is routex's own answer to a request it cannot route: it becomes an
// error response in the caller's format, never a Go error.
type refusal struct {
	status     int
	code       string // machine-readable reason, e.g. "model_not_found"
	msg        string // what a person can act on
	retryAfter int    // seconds; 0 when not known
	err        error  // sentinel for errors.Is, carried into the record
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

func errBody(msg string) *refusal {
	return &refusal{status: http.StatusBadRequest, code: "invalid_request", msg: msg, err: ErrBadRequest}
}

// errorType returns the error type each format uses for a status.
func errorType(f Format, status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
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
	case http.StatusServiceUnavailable, 529:
		if f == FormatAnthropic {
			return "overloaded_error"
		}
		return "service_unavailable_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	}
	return "api_error"
}

// ErrorBody returns an error body in format f: Anthropic's
// {"type":"error","error":{...}} or OpenAI's {"error":{...}}.
func ErrorBody(f Format, status int, code, msg string) []byte {
	type anthropicErr struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	type openaiErr struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	var v any
	if f == FormatAnthropic {
		v = struct {
			Type  string       `json:"type"`
			Error anthropicErr `json:"error"`
		}{"error", anthropicErr{errorType(f, status), msg}}
	} else {
		var c *string
		if code != "" {
			c = &code
		}
		v = struct {
			Error openaiErr `json:"error"`
		}{openaiErr{msg, errorType(f, status), nil, c}}
	}
	b, _ := json.Marshal(v) // plain structs of strings cannot fail
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
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
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
