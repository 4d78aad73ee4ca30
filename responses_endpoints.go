package routex

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// refuseWebSocket answers a WebSocket upgrade on the Responses endpoint.
// Codex CLI tries a WebSocket first and, on 426 Upgrade Required, moves the
// session to HTTP at once and for good; any other refusal makes it retry
// the upgrade as often as it retries a broken stream before it falls back.
func refuseWebSocket(req *http.Request) *http.Response {
	return refuse(req, FormatResponses, &refusal{status: http.StatusUpgradeRequired, code: "websocket_not_supported", err: ErrBadRequest,
		msg: "routex serves the Responses API over HTTP only, not over a WebSocket: send the request as POST /v1/responses"})
}

// countLocally answers a token-counting request from the Client's own
// estimate, in the shape of the endpoint's provider: when no channel of the
// caller's format serves the model, or the one that does has no such
// endpoint. Clients count before they send (Claude Code dozens of times as
// it starts), and an estimate serves them better than an error.
func (c *Client) countLocally(x *exchange) *http.Response {
	// The forwarded view read the model only; the estimate needs the rest.
	body := x.r.Body
	if x.ep == endpointGeminiCount {
		// Google counts either a conversation or a whole request.
		if g := gjson.GetBytes(body, "generateContentRequest"); g.IsObject() {
			body = jsonx.StringBytes(g.Raw)
		}
	}
	r, err := parseRequest(x.r.Format, body, x.req, c.s.counter)
	if err != nil {
		rf, _ := asRefusal(err)
		return c.refuse(x, rf)
	}
	n := r.InputTokens()
	var b []byte
	switch x.ep {
	case endpointInputTokens:
		b = append(b, `{"object":"response.input_tokens","input_tokens":`...)
	case endpointGeminiCount:
		b = append(b, `{"totalTokens":`...)
	default:
		b = append(b, `{"input_tokens":`...)
	}
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '}')
	h := make(http.Header, 3)
	h.Set("Content-Type", "application/json")
	h.Set("X-Routex-Token-Count", "estimate")
	return respond(x.req, http.StatusOK, h, b)
}

// notServed reports whether resp is a provider saying that it has no such
// endpoint, rather than routex refusing or the provider failing.
func notServed(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return resp.Header.Get("X-Routex-Error") == ""
	}
	return false
}

// endpointRefusal words plan's refusal for the endpoint x asks for: a
// request that names no model is told which endpoint found no channel.
func (c *Client) endpointRefusal(x *exchange, rf *refusal) *refusal {
	if !errors.Is(rf, ErrNoChannel) {
		return rf
	}
	switch {
	case x.r.Model == "" && x.ep.forwarded():
		return &refusal{status: rf.status, code: rf.code, err: rf.err,
			msg: fmt.Sprintf("no channel of type %q serves %s %s", x.r.Format, x.req.Method, truncate(x.path, 200))}
	}
	return rf
}

// servedAs reports whether an enabled channel of format f serves x's model.
func (c *Client) servedAs(x *exchange, f Format) bool {
	for _, rt := range x.cfg.routes {
		if rt.Enabled() && rt.Type == f && rt.Serves(x.r.Model) {
			return true
		}
	}
	return false
}

// servedElsewhere reports whether a channel of a format other than the
// caller's serves x's model.
func (c *Client) servedElsewhere(x *exchange) bool {
	for _, rt := range x.cfg.routes {
		if rt.Enabled() && rt.Type != x.r.Format && rt.Serves(x.r.Model) {
			return true
		}
	}
	return false
}
