package routex

import (
	"context"
	"fmt"
	"net/http"
)

type modelFilterKey struct{}

// ContextWithModelFilter returns a context under which the Client serves
// only the models allow accepts: a server in front of it restricts a
// caller (a proxy key's allowlist) this way. The Client applies allow to
// its own reading of the request (Request.Model), the one it routes by,
// so that a body read differently by the server cannot pass one model
// and route another. A refused model gets 403 in the caller's format.
func ContextWithModelFilter(ctx context.Context, allow func(model string) bool) context.Context {
	return context.WithValue(ctx, modelFilterKey{}, allow)
}

// admit checks a parsed request against what its caller may do, before it
// is routed; nil admits it.
func admit(req *http.Request, r *Request) *refusal {
	if r.refused != nil {
		return r.refused
	}
	allow := modelFilter(req)
	if allow == nil || allow(r.Model) {
		return nil
	}
	msg := fmt.Sprintf("this API key may not use model %q", truncate(r.Model, 200))
	if r.Model == "" {
		msg = "this API key may use only some models, and the request names none"
	}
	return &refusal{status: http.StatusForbidden, code: "permission_error", err: ErrForbidden, msg: msg}
}

// modelFilter returns the filter ContextWithModelFilter put in req's
// context, or nil when every model is allowed.
func modelFilter(req *http.Request) func(model string) bool {
	allow, _ := req.Context().Value(modelFilterKey{}).(func(string) bool)
	return allow
}
