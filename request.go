package routex

import "net/http"

// Request is the read-only view of one inbound request that rules and
// matchers see. It is built once per request by parsing the body a single
// time; the costlier views (text, tools, token estimate) are computed on
// first use. A Request is not safe for concurrent use.
type Request struct {
	// Format is the caller's wire format, from the request path.
	Format Format
	// Model is the model the caller asked for.
	Model string
	// Stream reports whether the caller asked for a streamed answer.
	Stream bool
	// SessionKey identifies the caller's session, if it has one.
	SessionKey string
	// Body is the raw request body. Do not modify it.
	Body []byte
	// HTTP is the caller's request. Its body has been consumed; use Body.
	HTTP *http.Request
}

func (r *Request) HasTools() bool   { return false }
func (r *Request) HasImages() bool  { return false }
func (r *Request) Thinking() bool   { return false }
func (r *Request) WebSearch() bool  { return false }
func (r *Request) UserText() string { return "" }
func (r *Request) InputTokens() int { return 0 }
