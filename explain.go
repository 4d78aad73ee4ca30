package routex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/sjson"

	"github.com/routex/routex/transformer"
)

type keyIDKey struct{}

// ContextWithKeyID returns a context that attributes the requests made with
// it to the proxy API key id: their usage records carry it as KeyID. A
// server that authenticates its callers sets it on each request before
// handing it to the Client.
func ContextWithKeyID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyIDKey{}, id)
}

// KeyIDFromContext returns the key id set by ContextWithKeyID, or "".
func KeyIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(keyIDKey{}).(string)
	return id
}

// Decision is what the Client would do with a request, as Explain tells it.
type Decision struct {
	Format Format `json:"format"` // the caller's format
	Model  string `json:"model"`  // the model the caller asked for
	// Rule is the ID of the rule that chose the first channel, "" when the
	// balancer did.
	Rule string `json:"rule,omitempty"`
	// TargetModel is the model sent to the first channel, after the rule's
	// rewrite and the channel's ModelMap.
	TargetModel string `json:"targetModel,omitempty"`
	// Channels are the IDs of the channels the request would try, in
	// order; failover moves down the list.
	Channels []string `json:"channels"`
	// Passed are the rules, highest priority first, that matched the
	// request but could not take it, each with the reason.
	Passed []PassedRule `json:"passedRules,omitempty"`
}

// PassedRule is a rule that matched a request whose target could not take
// it, so that a later rule or the balancer chose.
type PassedRule struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// reason says what st means for the target channel id, for the dry run.
func (st targetState) reason(id string, x *exchange, rt *route, model string) string {
	switch st {
	case targetMissing:
		return fmt.Sprintf("its target channel %q does not exist", id)
	case targetDisabled:
		return fmt.Sprintf("its target channel %q is disabled", id)
	case targetFormat:
		return fmt.Sprintf("its target channel %q speaks %s, and this endpoint goes only to channels of the caller's format (%s)", id, rt.Type, x.r.Format)
	case targetModel:
		return fmt.Sprintf("its target channel %q does not serve model %q", id, model)
	case targetCooling:
		return fmt.Sprintf("its target channel %q is unavailable: circuit open or rate-limited", id)
	case targetQuota:
		return fmt.Sprintf("its target channel %q is over one of its quotas", id)
	case targetSignedOut:
		return fmt.Sprintf("its target channel %q has no usable credentials (signed out)", id)
	}
	return ""
}

// Explain answers which rule and channels req would take, without sending
// anything upstream, recording usage or moving a session. It reads and
// closes req.Body. The error, when the Client would refuse req, is the
// message the caller would get; it wraps ErrNoChannel or ErrUnavailable
// where those apply. The balancer's order is its order at the moment of the
// call: a round-robin or random strategy may answer differently next time.
func (c *Client) Explain(req *http.Request) (Decision, error) {
	ep, format := classify(req)
	d := Decision{Format: format, Channels: []string{}}
	switch ep {
	case endpointModels:
		closeBody(req)
		return d, fmt.Errorf("routex: %s lists models and is answered by routex itself", req.URL.Path)
	case endpointWebSocket:
		closeBody(req)
		return d, fmt.Errorf("routex: %s asks for a WebSocket, which routex refuses with 426 so that the client uses HTTP", req.URL.Path)
	}
	path := ep.path()
	if ep == endpointPassthrough {
		var rf *refusal
		if path, rf = c.passthroughPath(req); rf != nil {
			closeBody(req)
			return d, rf
		}
	}
	body, err := readBody(req, c.s.maxBody)
	if err != nil {
		return d, err
	}
	var r *Request
	if ep.opaque() {
		r = parsePassthrough(format, body, req)
	} else if r, err = parseRequest(format, body, req, c.s.counter); err != nil {
		return d, err
	}
	if r.Model == "" && !ep.opaque() {
		return d, fmt.Errorf("routex: the request has no \"model\"")
	}
	if rf := admit(req, r); rf != nil {
		return d, rf
	}
	d.Model = r.Model
	x := &exchange{ep: ep, path: path, req: req, r: r, cfg: c.cfg.Load(), start: c.s.now(), passed: &d.Passed}
	rf := c.plan(x)
	if rf != nil && ep == endpointCompact && errors.Is(rf, ErrNoChannel) && c.servedElsewhere(x) {
		// Compacted through an ordinary request for a summary.
		d.Passed = nil
		x = &exchange{ep: endpointResponses, path: path, req: req, r: r, cfg: x.cfg, start: x.start, passed: &d.Passed}
		rf = c.plan(x)
	}
	if rf != nil {
		if ep.countsTokens() {
			return d, fmt.Errorf("routex: %w; routex answers %s itself from its token estimate", rf, ep.path())
		}
		return d, c.endpointRefusal(x, rf)
	}
	if x.rule != nil {
		d.Rule = x.rule.ID
	}
	for i, rt := range x.routes {
		if i == 0 {
			model := r.Model
			if x.rule != nil && x.rule.Target.Model != "" {
				model = x.rule.Target.Model
			}
			d.TargetModel = rt.UpstreamModel(model)
		}
		d.Channels = append(d.Channels, rt.ID)
	}
	return d, nil
}

// TestResult is the outcome of TestChannel.
type TestResult struct {
	ChannelID string        `json:"channelId"`
	OK        bool          `json:"ok"`
	Status    int           `json:"status,omitempty"` // the upstream's HTTP status, 0 if none came
	Latency   time.Duration `json:"latency"`
	Model     string        `json:"model,omitempty"` // the model asked for
	Error     string        `json:"error,omitempty"` // why it failed, secrets left out
	// Picked says how Model was chosen for a channel that names none:
	// "listed" (its provider lists it, PickTestModel) or "default"
	// (DefaultTestModel, the listing having failed for ListingError).
	Picked       string `json:"picked,omitempty"`
	ListingError string `json:"listingError,omitempty"`
}

// TestChannel checks that ch answers: it sends a one-token request for its
// first model with a concrete name (or model, when that is not empty; or,
// for a channel that names none, the one PickTestModel picks) straight to
// the channel, in the channel's own format, bypassing rules,
// breakers and records. ch need not be one of the Client's channels, so a
// channel can be tried before it is saved. The request uses the Client's
// transport and ch.Timeout (the Client's default timeout when zero).
func (c *Client) TestChannel(ctx context.Context, ch Channel, model string) TestResult {
	res := TestResult{ChannelID: ch.ID}
	if err := ch.Validate(); err != nil {
		res.Error = err.Error()
		return res
	}
	if model == "" {
		model = testModel(ch)
	}
	if model == "" {
		picked, err := c.PickTestModel(ctx, ch)
		model, res.Picked = picked, "listed"
		if err != nil {
			res.Picked, res.ListingError = "default", err.Error()
		}
	}
	res.Model = model
	rt := newRoute(ch, c.s.timeout)
	// One request body serves Messages and Chat; the Responses API takes
	// its input apart, and no fewer than 16 output tokens.
	// A Gemini request names its model in the path.
	probe := `{"max_tokens":1,"messages":[{"role":"user","content":"ping"}]}`
	endpoint := transformer.EndpointPath(rt.Type)
	switch rt.Type {
	case FormatResponses:
		probe = `{"max_output_tokens":16,"input":"ping"}`
	case FormatGemini:
		probe = `{"contents":[{"role":"user","parts":[{"text":"ping"}]}],"generationConfig":{"maxOutputTokens":1}}`
		if endpoint = transformer.GeminiPath(rt.UpstreamModel(model), false); endpoint == "" {
			res.Error = fmt.Sprintf("the model %q cannot be named in a Gemini request's path", model)
			return res
		}
	}
	body := []byte(probe)
	if rt.Type != FormatGemini {
		var err error
		if body, err = sjson.SetBytes(body, "model", rt.UpstreamModel(model)); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	ctx, cancel := context.WithTimeout(ctx, rt.timeout)
	defer cancel()
	u := rt.upstreamURL(endpoint, "")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req.Header = upstreamHeader(http.Header{"Content-Type": {"application/json"}}, rt, false)
	if rt.OAuth {
		if err := c.authorize(ctx, rt, req.Header); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	start := time.Now()
	resp, err := c.s.transport.RoundTrip(req)
	res.Latency = time.Since(start)
	if err != nil {
		res.Error = sanitize(err).Error()
		return res
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	res.Status = resp.StatusCode
	if resp.StatusCode/100 == 2 {
		res.OK = true
		return res
	}
	res.Error = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	if ch.APIKey != "" {
		res.Error = strings.ReplaceAll(res.Error, ch.APIKey, RedactSecret(ch.APIKey))
	}
	return res
}

// testModel picks the first of ch's models that is a name rather than a
// pattern, else the ModelMap target of the first alias in sorted order.
func testModel(ch Channel) string {
	for _, m := range ch.Models {
		if !isPattern(m) {
			return m
		}
	}
	if len(ch.ModelMap) > 0 {
		return ch.ModelMap[slices.Min(slices.Collect(maps.Keys(ch.ModelMap)))]
	}
	return ""
}
