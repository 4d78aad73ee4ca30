package routex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/balancer"
	"github.com/routex/routex/internal/jsonx"
	"github.com/routex/routex/transformer"
)

// exchange carries one request through the pipeline.
type exchange struct {
	ep    endpoint
	path  string // a pass-through endpoint's path, from "/v1/" on
	req   *http.Request
	r     *Request
	cfg   *config
	start time.Time
	rule  *compiledRule
	// sticky is the channel the session was on when the request arrived.
	sticky string
	// chain is a Responses API request's place in its conversation; nil
	// for other formats.
	chain *responseChain
	// passed, when not nil, collects the rules that matched but could
	// not take the request (Explain).
	passed *[]PassedRule
	rec    analytics.Record
	try    attempt // the attempt under way

	// routes in the order they will be tried, and the balancer's view of
	// them; pooled, because every request needs them.
	routes []*route
	cands  []balancer.Candidate
}

var exchangePool = sync.Pool{New: func() any {
	return &exchange{routes: make([]*route, 0, 8), cands: make([]balancer.Candidate, 0, 8)}
}}

// plan fills x.routes with the channels to try, in order: a matching rule's
// target, else (and after it, for failover) the sticky session's channel,
// then the balancer's order.
func (c *Client) plan(x *exchange) *refusal {
	cfg, r := x.cfg, x.r
	serving := 0
	for _, rt := range cfg.routes {
		if !rt.Enabled() || !c.compatible(x, rt.Type) || (r.Model != "" && !rt.Serves(r.Model)) {
			continue
		}
		serving++
		if c.ready(rt) {
			x.cands = append(x.cands, rt.candidate())
		}
	}

	// Rules pick a first channel, which need not be among the model's
	// servers when the rule rewrites the model.
	var first *route
	for _, cr := range cfg.rules {
		ok, err := cr.match(r)
		if err != nil {
			c.s.logger.Warn("routex: rule matcher failed", "rule", cr.ID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		rt := cfg.byID[cr.Target.Channel]
		model := r.Model
		if cr.Target.Model != "" {
			model = cr.Target.Model
		}
		if why := c.targetState(x, rt, model); why != targetReady {
			// Unavailable target: the next rule, or the balancer.
			if x.passed != nil {
				*x.passed = append(*x.passed, PassedRule{Rule: cr.ID, Reason: why.reason(cr.Target.Channel, x, rt, model)})
			}
			continue
		}
		x.rule, first = cr, rt
		x.rec.Rule = cr.ID
		break
	}
	if first == nil && len(x.cands) == 0 {
		if serving == 0 {
			return &refusal{status: http.StatusNotFound, code: "model_not_found", err: ErrNoChannel,
				msg: fmt.Sprintf("no channel serves model %q", r.Model)}
		}
		return &refusal{status: http.StatusServiceUnavailable, code: "channels_unavailable", err: ErrUnavailable,
			retryAfter: c.retryAfter(x),
			msg:        fmt.Sprintf("all %d channels serving model %q are unavailable (circuit open, rate-limited or over quota); try again later", serving, r.Model)}
	}

	// A session keeps its channel while that channel is a candidate.
	sticky := -1
	if r.SessionKey != "" {
		id, ok := c.sessions.Get(r.SessionKey)
		if ok {
			sticky = candidateIndex(x.cands, id)
		}
		if sticky < 0 && c.shared != nil {
			// Unknown here, or its channel is not a candidate here: another
			// instance may have bound it, or moved it on.
			id, ok = c.sharedSession(x.req.Context(), r.SessionKey)
			if ok {
				sticky = candidateIndex(x.cands, id)
			}
		}
		if ok {
			x.sticky = id
		}
	}
	// A response chain keeps to the channel that produced its last answer,
	// before any session: that channel holds its state and prompt cache.
	if id := x.chain.channel(); id != "" {
		if i := candidateIndex(x.cands, id); i >= 0 {
			sticky = i
		}
	}
	rest := x.cands
	if sticky >= 0 {
		x.cands[0], x.cands[sticky] = x.cands[sticky], x.cands[0]
		rest = x.cands[1:]
	}
	if len(rest) > 1 {
		cfg.balancer.Order(rest)
		c.preferRoom(rest)
	}
	if first != nil {
		x.routes = append(x.routes, first)
	}
	for _, cd := range x.cands {
		if rt := cfg.byID[cd.ID]; rt != nil && rt != first {
			x.routes = append(x.routes, rt)
		}
	}
	return nil
}

// targetState is whether a rule's target channel can take a request, or
// the first reason it cannot.
type targetState uint8

const (
	targetReady targetState = iota
	targetMissing
	targetDisabled
	targetFormat
	targetModel
	targetCooling // circuit open or rate-limited
	targetQuota
	targetSignedOut
)

// targetState checks rt (nil when no such channel) as the target of a rule
// for x's request, sent as model.
func (c *Client) targetState(x *exchange, rt *route, model string) targetState {
	switch {
	case rt == nil:
		return targetMissing
	case !rt.Enabled():
		return targetDisabled
	case !c.compatible(x, rt.Type):
		return targetFormat
	case !rt.Serves(model):
		return targetModel
	}
	return c.readiness(rt)
}

// ready reports whether rt's breaker, rate limit and quotas let it take a
// request now.
func (c *Client) ready(rt *route) bool { return c.readiness(rt) == targetReady }

// readiness says whether rt's breaker, rate limit, quotas and credentials
// let it take a request now, or the first that does not.
func (c *Client) readiness(rt *route) targetState {
	switch {
	case !c.breakers.Ready(rt.ID):
		return targetCooling
	case len(rt.Limits) > 0 && !c.quotas.Until(rt.ID, rt.Limits, c.s.now()).IsZero():
		return targetQuota
	case !c.authorized(rt):
		return targetSignedOut
	}
	return targetReady
}

// compatible reports whether x's caller can be served by a channel speaking
// to: in its own format always, in another through conversion, except on
// endpoints that only the caller's own format has.
func (c *Client) compatible(x *exchange, to Format) bool {
	return x.r.Format == to || !x.ep.forwarded()
}

// retryAfter returns the seconds until the first of x's model's channels
// comes out of its rate limit, quota or open circuit, or 0 when none is
// in one.
func (c *Client) retryAfter(x *exchange) int {
	var soonest time.Time
	for _, rt := range x.cfg.routes {
		if !rt.Enabled() || !rt.Serves(x.r.Model) {
			continue
		}
		st := c.breakers.Status(rt.ID)
		for _, u := range [...]time.Time{st.RateLimitedUntil, st.ProbeAt} {
			if !u.IsZero() && (soonest.IsZero() || u.Before(soonest)) {
				soonest = u
			}
		}
		if u := c.quotas.Until(rt.ID, rt.Limits, c.s.now()); !u.IsZero() && (soonest.IsZero() || u.Before(soonest)) {
			soonest = u
		}
	}
	if soonest.IsZero() {
		return 0
	}
	return max(1, int(math.Ceil(soonest.Sub(c.s.now()).Seconds())))
}

// errTimeout is the cause of an attempt cancelled by its channel's timeout.
var errTimeout = errors.New("upstream did not answer within the channel's timeout")

// errMalformed reports a 2xx answer whose body is not JSON.
var errMalformed = errors.New("upstream answered 200 with a body that is not JSON")

// errStreamEnded reports an upstream stream cut before its final event.
var errStreamEnded = errors.New("upstream stream ended before its final event")

// failure describes why an attempt did not produce the answer.
type failure struct {
	rt      *route
	conv    *transformer.Conversion // the attempt's conversion, for its error body
	invalid bool                    // the request could not be converted for rt
	err     error                   // transport error, or nil for an upstream status
	resp    *http.Response          // upstream error response, body buffered
	body    []byte                  // that body
	status  int
}

// attempt tries x.routes in order until one answers or attempts run out.
func (c *Client) attempt(x *exchange) (*http.Response, error) {
	ctx := x.req.Context()
	max := c.s.retry.MaxAttempts
	if max == 0 {
		max = len(x.routes)
	}
	var last *failure
	for i := 0; i < max; i++ {
		rt := x.routes[i%len(x.routes)]
		if i >= len(x.routes) {
			// Every channel has been tried once: wait before trying again.
			d := c.s.retry.Backoff(i - len(x.routes) + 1)
			if d < 0 {
				break
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return c.finishCanceled(x, ctx.Err())
			case <-t.C:
			}
		}
		if !c.begin(x, rt) {
			continue // opened, rate-limited or over quota since planning
		}
		x.rec.Attempts++
		resp, f := c.send(x, rt)
		if resp != nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			if f.resp != nil {
				f.resp.Body.Close()
			}
			return c.finishCanceled(x, ctx.Err())
		}
		if last != nil && last.resp != nil {
			last.resp.Body.Close()
		}
		last = f
		if f.resp == nil && !f.invalid && !c.s.retry.CheckRetry(ctx, &rt.Channel, nil, f.err) {
			break
		}
		if f.invalid {
			c.s.logger.Info("routex: the request cannot be sent in this channel's format; trying the next", append(logAttrs(rt, x), "reason", describe(f))...)
		} else {
			c.s.logger.Warn("routex: attempt failed, failing over", append(logAttrs(rt, x), "reason", describe(f))...)
		}
	}
	if last == nil {
		return c.refuse(x, &refusal{status: http.StatusServiceUnavailable, code: "channels_unavailable", err: ErrUnavailable,
			retryAfter: c.retryAfter(x),
			msg:        fmt.Sprintf("no channel for model %q could take the request (circuit open, rate-limited or over quota); try again later", x.r.Model)}), nil
	}
	if last.resp != nil {
		// The caller understands the upstream's own error best, Retry-After
		// included.
		return c.upstreamError(x, last), nil
	}
	if last.invalid {
		return c.refuse(x, &refusal{status: http.StatusBadRequest, code: "invalid_request", err: ErrBadRequest,
			msg: last.err.Error()}), nil
	}
	status := http.StatusBadGateway
	if errors.Is(last.err, errTimeout) {
		status = http.StatusGatewayTimeout
	}
	// The caller learns what went wrong, not where: upstream addresses
	// and channel names stay in the log and the record.
	return c.refuse(x, &refusal{status: status, code: "upstream_failed", err: ErrUpstream,
		msg:    fmt.Sprintf("all %d upstream attempts failed; the last: %s", x.rec.Attempts, publicError(last.err, last.status)),
		detail: fmt.Sprintf("all %d upstream attempts failed; last (channel %q): %s", x.rec.Attempts, last.rt.ID, describe(last))}), nil
}

func describe(f *failure) string {
	if f.err != nil {
		return f.err.Error()
	}
	return fmt.Sprintf("HTTP %d", f.status)
}

// send makes x.try, the attempt on rt. It returns the response to give the
// caller, or nil and why not; the attempt is ended (or, for a stream, will
// be by its body) either way.
func (c *Client) send(x *exchange, rt *route) (*http.Response, *failure) {
	a := &x.try
	model := x.r.Model
	if x.rule != nil && rt == x.cfg.byID[x.rule.Target.Channel] && x.rule.Target.Model != "" {
		model = x.rule.Target.Model
	}
	upModel := rt.UpstreamModel(model)
	r, err := c.chainedRequest(x, rt)
	if err != nil {
		a.skip()
		return nil, &failure{rt: rt, err: err, invalid: true}
	}
	body, conv, err := c.upstreamBody(r, rt, upModel)
	if err != nil {
		// The caller's request cannot be put into this channel's format.
		a.skip()
		return nil, &failure{rt: rt, err: err, invalid: true}
	}
	cross := conv.From != conv.To
	x.rec.ChannelID, x.rec.ChannelName = rt.ID, rt.Name
	x.rec.UpstreamModel, x.rec.UpstreamFormat = upModel, string(rt.Type)

	ctx, cancel := context.WithCancelCause(x.req.Context())
	timer := time.AfterFunc(rt.timeout, func() { cancel(errTimeout) })
	var in io.Reader // a whole answer's request: net/http's own in-memory body
	if !x.r.Stream && len(body) > 0 {
		in = bytes.NewReader(body)
	}
	out, err := http.NewRequestWithContext(ctx, x.req.Method, "", in)
	if err != nil {
		timer.Stop()
		cancel(nil)
		a.skip()
		return nil, &failure{rt: rt, err: err}
	}
	// Only the endpoint goes upstream, never the caller's own path: a
	// pass-through's is cleaned and allowed (passthroughPath), token
	// counting and compaction have theirs (endpoint.path), the rest are
	// the channel's own endpoint for the format.
	path := x.path
	switch {
	case rt.Type == FormatGemini && x.ep != endpointPassthrough:
		// Gemini's path names the model; the caller's may have named
		// another (a rule's, the channel's own name for it).
		if path = geminiUpstreamPath(x, upModel); path == "" {
			timer.Stop()
			cancel(nil)
			a.skip()
			return nil, &failure{rt: rt, invalid: true, err: fmt.Errorf("the model %q cannot be named in a Gemini request's path", truncate(upModel, 100))}
		}
	case path == "":
		path = transformer.EndpointPath(rt.Type)
	}
	out.URL = rt.upstreamURL(path, upstreamQuery(x, rt, cross))
	out.Host = out.URL.Host
	out.Header = upstreamHeader(x.req.Header, rt, cross)
	if rt.Type == FormatGemini && !cross && rt.APIKey == "" && !rt.OAuth && out.Header.Get("X-Goog-Api-Key") == "" {
		// A caller's own Google key, given as ?key=, goes as the header:
		// the query it came in is not forwarded.
		if k := x.req.URL.Query().Get("key"); k != "" {
			out.Header.Set("X-Goog-Api-Key", k)
		}
	}
	if rt.OAuth {
		if err := c.authorize(ctx, rt, out.Header); err != nil {
			timer.Stop()
			cancel(nil)
			a.skip()
			return nil, &failure{rt: rt, err: err}
		}
	}
	var rw *rewinder
	switch {
	case len(body) == 0:
		out.Body = http.NoBody
	case in == nil:
		// A stream can outlast its request by minutes, and the transport
		// keeps the request until the response ends: its body lets go of
		// the bytes once they are sent. The transport does not know it
		// for an in-memory body, so it writes the headers apart; a
		// whole answer is not worth that.
		rw = &rewinder{b: body}
		out.Body, out.GetBody, out.ContentLength = &sentBody{b: body}, rw.get, int64(len(body))
	}

	credential := ""
	if rt.OAuth {
		credential = out.Header.Get("Authorization")
	}
	a.send(credential)
	// fail ends the attempt as a failure of the channel (or not, when the
	// caller went away).
	fail := func(resp *http.Response, status int, err error) (*http.Response, *failure) {
		timer.Stop()
		if cause := context.Cause(ctx); err != nil && cause != nil && errors.Is(cause, errTimeout) {
			err = errTimeout
		}
		o := outcome{err: err, status: status}
		if resp != nil {
			o.header = resp.Header
		}
		if x.req.Context().Err() != nil {
			o.err = context.Canceled
		}
		a.end(o)
		cancel(nil)
		return nil, &failure{rt: rt, err: sanitize(err), resp: resp, status: status, conv: conv}
	}

	resp, err := c.s.transport.RoundTrip(out)
	if rw != nil {
		rw.b = nil // the transport retries no more
	}
	if err != nil {
		return fail(nil, 0, err)
	}
	x.rec.Status = resp.StatusCode
	if resp.StatusCode < 300 {
		c.noteHeadroom(rt.ID, resp.Header)
	}
	if resp.StatusCode >= 400 && c.s.retry.CheckRetry(x.req.Context(), &rt.Channel, resp, nil) {
		b, err := bufferBody(resp, 64<<10, false)
		if err != nil {
			return fail(nil, 0, err)
		}
		_, f := fail(resp, resp.StatusCode, nil)
		f.body = b
		return nil, f
	}

	if isEventStream(resp) && resp.StatusCode < 300 {
		sb := newStreamBody(c, rt, resp.Body, conv, ctx, cancel, timer)
		sb.link = c.chainLink(x, rt) // before the first event, which may be the last
		if err := sb.awaitFirstEvent(); err != nil {
			// Nothing reached the caller yet: another channel may answer.
			resp.Body.Close()
			return fail(nil, 0, err)
		}
		// The stream's body ends the attempt from now on.
		sb.try, sb.status, x.try.ended = x.try, resp.StatusCode, true
		timer.Stop()
		idle := rt.StreamIdleTimeout
		if idle == 0 {
			idle = c.s.streamIdle
		}
		sb.watchIdle(idle)
		x.rec.TTFB = c.s.now().Sub(x.start)
		sb.rec = x.rec
		// The balancer hears of the stream when it ends: it is in flight
		// until then, and its latency is the wait for the first event.
		sb.firstEvent = c.s.now().Sub(sb.try.sent)
		c.stick(x, rt)
		resp.Body = sb
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		if conv.JSONArray {
			resp.Header.Set("Content-Type", "application/json")
		}
		c.decorate(x, resp)
		return resp, nil
	}

	// A whole body: read it now, so that a reset mid-body can still fail
	// over and its usage is known.
	x.rec.TTFB = c.s.now().Sub(x.start)
	whole, err := bufferBody(resp, c.s.maxResponse, true)
	if err != nil {
		return fail(nil, 0, err)
	}
	if resp.StatusCode < 300 && x.ep != endpointPassthrough && !jsonx.ValidBytes(whole) {
		// A success that is not JSON is a broken upstream (a captive
		// portal, a proxy's HTML page): try the next channel.
		return fail(nil, 0, errMalformed)
	}
	timer.Stop()
	cancel(nil)
	a.end(outcome{status: resp.StatusCode, header: resp.Header})
	if resp.StatusCode >= 400 {
		x.rec.Error = fmt.Sprintf("upstream status %d", resp.StatusCode)
	} else {
		c.stick(x, rt)
		if u, ok := transformer.ParseUsage(rt.Type, whole); ok {
			x.rec.InputTokens, x.rec.OutputTokens = u.Input, u.Output
			x.rec.CacheReadTokens, x.rec.CacheWriteTokens = u.CacheRead, u.CacheWrite
		}
		if len(rt.chain) > 0 {
			if edited, err := rt.chain.TransformResponse(conv, whole); err == nil {
				whole = edited
				setBody(resp, whole)
			} else {
				x.rec.Error = "response transformer: " + err.Error()
			}
		}
		if cross {
			convert := transformer.ConvertResponse
			if resp.StatusCode < 300 && len(rt.chain) == 0 {
				// Checked above, and no transformer has edited it since.
				convert = transformer.ConvertResponseValidated
			}
			converted, err := convert(conv, whole)
			if err != nil {
				// A 2xx body that is not the format it claims: the upstream
				// is broken, and nothing has reached the caller.
				x.rec.Error = "upstream response could not be converted: " + err.Error()
				setBody(resp, ErrorBody(x.r.Format, http.StatusBadGateway, "upstream_invalid", x.rec.Error))
				resp.StatusCode, resp.Status = http.StatusBadGateway, statusLine(http.StatusBadGateway)
				x.rec.Status = http.StatusBadGateway
			} else {
				setBody(resp, converted)
			}
		}
		if x.chain != nil && x.rec.Status < 300 {
			c.keepAnswer(x, rt, resp)
		}
	}
	if resp.StatusCode >= 400 && cross {
		convertError(resp, conv, whole)
		x.rec.Status = resp.StatusCode
	}
	x.rec.Latency = c.s.now().Sub(x.start)
	c.decorate(x, resp)
	c.record(&x.rec)
	return resp, nil
}

// upstreamBody returns the body to send to rt: the caller's, converted to
// the channel's format when it speaks another, with the model renamed when
// it must be, and stream usage requested from OpenAI upstreams so that
// streamed tokens are never lost. The caller's bytes are never written to.
func (c *Client) upstreamBody(r *Request, rt *route, upModel string) ([]byte, *transformer.Conversion, error) {
	body := r.Body
	var conv *transformer.Conversion
	if rt.Type != r.Format {
		var err error
		// parseRequest validated the body: the converter need not again.
		// A Gemini caller's model and stream flag are in its path.
		if body, conv, err = transformer.ConvertRequestFor(r.Format, rt.Type, body, r.Model, r.Stream); err != nil {
			return nil, nil, err
		}
	} else {
		conv = &transformer.Conversion{From: r.Format, To: rt.Type, Model: r.Model, Stream: r.Stream, IncludeUsage: r.streamUsage}
	}
	conv.JSONArray = r.Format == FormatGemini && r.Stream && geminiArray(r.HTTP)
	if r.Model == "" || len(body) == 0 {
		return body, conv, nil
	}
	owned := conv.From != conv.To
	set := func(path string, v any) error {
		if !owned {
			body, owned = bytes.Clone(body), true
		}
		var err error
		body, err = sjson.SetBytes(body, path, v)
		return err
	}
	if upModel != r.Model && rt.Type != FormatGemini { // Gemini's model is in the path
		if err := set("model", upModel); err != nil {
			return nil, nil, err
		}
	}
	if conv.From == FormatAnthropic && conv.To == FormatAnthropic && r.unsignedThinking {
		// Thinking that came from an OpenAI-format channel has no
		// signature, and Anthropic refuses it: a conversation that moves
		// back to Anthropic leaves it behind.
		if !owned {
			body, owned = bytes.Clone(body), true
		}
		body = dropUnsignedThinking(body)
	}
	if rt.Type == FormatOpenAI && r.Format == FormatOpenAI && r.Stream && !r.streamUsage {
		if err := set("stream_options.include_usage", true); err != nil {
			return nil, nil, err
		}
	}
	if len(rt.chain) > 0 {
		if !owned {
			body = bytes.Clone(body)
		}
		var err error
		if body, err = rt.chain.TransformRequest(conv, body); err != nil {
			return nil, nil, err
		}
	}
	return body, conv, nil
}

// dropUnsignedThinking removes thinking blocks whose signature is empty
// from an Anthropic request's messages.
func dropUnsignedThinking(body []byte) []byte {
	var paths []string
	i := 0
	gjson.GetBytes(body, "messages").ForEach(func(_, m gjson.Result) bool {
		j := 0
		m.Get("content").ForEach(func(_, b gjson.Result) bool {
			if b.Get("type").Str == "thinking" && b.Get("signature").Str == "" {
				paths = append(paths, fmt.Sprintf("messages.%d.content.%d", i, j))
			}
			j++
			return true
		})
		i++
		return true
	})
	// Last first, so that earlier indices stay valid.
	for k := len(paths) - 1; k >= 0; k-- {
		if out, err := sjson.DeleteBytes(body, paths[k]); err == nil {
			body = out
		}
	}
	return body
}

// sentBody is an outbound request body that lets go of its bytes once they
// are sent.
type sentBody struct{ b []byte }

func (s *sentBody) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	if s.b = s.b[n:]; len(s.b) == 0 {
		s.b = nil
	}
	return n, nil
}

func (s *sentBody) Close() error { return nil }

// rewinder is an outbound request's GetBody: a fresh copy of the body for
// the transport to retry with, until the round trip is over.
type rewinder struct{ b []byte }

func (r *rewinder) get() (io.ReadCloser, error) { return &sentBody{b: r.b}, nil }

// setBody replaces a response's buffered body.
func setBody(resp *http.Response, b []byte) {
	resp.Body = io.NopCloser(bytes.NewReader(b))
	setLength(resp, len(b))
	resp.Header.Set("Content-Type", "application/json")
}

// setLength states the length of a buffered body, in the field and in the
// header as a transport's response has it, so that a server passing the
// response on sends it with a Content-Length rather than chunked.
func setLength(resp *http.Response, n int) {
	resp.ContentLength = int64(n)
	resp.Header["Content-Length"] = []string{strconv.Itoa(n)}
}

// convertError turns an upstream error response (body buffered in whole)
// into the caller's format, status included.
func convertError(resp *http.Response, conv *transformer.Conversion, whole []byte) {
	status, b := transformer.ConvertError(conv, resp.StatusCode, whole)
	if status != resp.StatusCode {
		resp.StatusCode, resp.Status = status, statusLine(status)
	}
	setBody(resp, b)
}

// passthroughPath returns the endpoint a pass-through request asks for,
// from "/v1/" on and cleaned, or a refusal when it is not one the Client
// forwards (WithPassthrough). "/v1/%2e%2e/admin" arrives decoded as
// "/v1/../admin": dot segments are refused, not resolved, so that nothing
// a caller writes reaches outside the channel's API root.
func (c *Client) passthroughPath(req *http.Request) (string, *refusal) {
	p := req.URL.Path
	i := strings.Index(p, "/v1/")
	if i >= 0 {
		p = p[i:]
	}
	notServed := &refusal{status: http.StatusNotFound, code: "not_found", err: ErrBadRequest,
		msg: fmt.Sprintf("routex does not serve %s %s", req.Method, truncate(p, 200))}
	if i < 0 || strings.ContainsAny(p, "\x00\\") {
		return "", notServed
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", errBody("the request path has dot segments")
		}
	}
	p = path.Clean(p) // doubled slashes
	for _, allowed := range c.s.passthrough {
		if allowed == p || (strings.HasSuffix(allowed, "/") && strings.HasPrefix(p, allowed)) {
			return p, nil
		}
	}
	return "", notServed
}

// truncate shortens s to at most n bytes, at a rune boundary, marking the
// cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// upstreamQuery returns the caller's query as rt receives it: all of it
// when rt forwards the query (Channel.ForwardQuery), else only Anthropic's
// beta flag, to Anthropic channels. Google's clients give their key as
// "key", a credential that stays behind where the caller's headers would
// (cross-format, or with a channel's own credentials), and choose a
// stream's framing with "alt", which routex chooses toward a gemini
// channel: events (alt=sse), whatever the caller asked for.
func upstreamQuery(x *exchange, rt *route, cross bool) string {
	raw := x.req.URL.RawQuery
	if raw != "" {
		q := x.req.URL.Query()
		kept := q
		if !rt.ForwardQuery {
			kept = url.Values{}
			if v, ok := q["beta"]; ok && rt.Type == FormatAnthropic {
				kept["beta"] = v
			}
		}
		if x.r.Format == FormatGemini || rt.Type == FormatGemini {
			delete(kept, "alt")
		}
		if cross || rt.APIKey != "" || rt.OAuth {
			delete(kept, "key")
		}
		raw = kept.Encode()
	}
	if rt.Type == FormatGemini && x.r.Stream && !x.ep.forwarded() {
		// Google streams a JSON array unless asked for events.
		if raw != "" {
			return raw + "&alt=sse"
		}
		return "alt=sse"
	}
	return raw
}

// accountHeaders scope a request to an organization or project of the
// credentials it carries: a caller's must not choose among those of a
// channel's key (Channel.ForwardHeaders lets them through).
var accountHeaders = map[string]bool{"Openai-Organization": true, "Openai-Project": true, "Cookie": true}

// accountResponseHeaders describe the channel's account, or set state for
// it, and are not the caller's to see.
var accountResponseHeaders = []string{"Set-Cookie", "Openai-Organization", "Openai-Project", "Anthropic-Organization-Id"}

// hopHeaders are not forwarded: they describe one connection, or are set
// by routex or the transport.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Host": true, "Content-Length": true,
	// The transport negotiates compression and decompresses, so that
	// bodies stay readable for usage and conversion.
	"Accept-Encoding": true,
	// Session routing headers stay with routex.
	"X-Session-Id": true,
}

// upstreamHeader builds the headers for rt from the caller's: the caller's
// credentials are replaced by the channel's, when it has them. Across
// formats, the caller's format-specific headers stay behind.
func upstreamHeader(in http.Header, rt *route, cross bool) http.Header {
	h := make(http.Header, len(in)+2)
	for k, v := range in {
		if hopHeaders[k] || strings.HasPrefix(k, "X-Routex") {
			continue
		}
		if (rt.APIKey != "" || rt.OAuth || cross) && (k == "Authorization" || k == "X-Api-Key" || k == "X-Goog-Api-Key") {
			continue
		}
		if cross && (strings.HasPrefix(k, "Anthropic-") || strings.HasPrefix(k, "Openai-") || strings.HasPrefix(k, "X-Goog-")) {
			continue
		}
		if accountHeaders[k] && (rt.APIKey != "" || rt.OAuth) && !rt.forwards(k) {
			continue
		}
		h[k] = v
	}
	switch rt.Type {
	case FormatAnthropic:
		if rt.APIKey != "" {
			h["X-Api-Key"] = []string{rt.APIKey}
		}
		if h.Get("Anthropic-Version") == "" {
			h["Anthropic-Version"] = []string{"2023-06-01"}
		}
	case FormatOpenAI, FormatResponses:
		if rt.APIKey != "" {
			h["Authorization"] = []string{"Bearer " + rt.APIKey}
		}
	case FormatGemini:
		if rt.APIKey != "" {
			h["X-Goog-Api-Key"] = []string{rt.APIKey}
		}
	}
	if cross {
		// The body was written anew, as JSON, whatever the caller sent.
		h["Content-Type"] = []string{"application/json"}
	}
	for k, v := range rt.Headers {
		h.Set(k, v)
	}
	return h
}

// candidateIndex returns the index of channel id among cands, or -1.
func candidateIndex(cands []balancer.Candidate, id string) int {
	for i := range cands {
		if cands[i].ID == id {
			return i
		}
	}
	return -1
}

// stick assigns x's session to rt when it is not already there.
func (c *Client) stick(x *exchange, rt *route) {
	key := x.r.SessionKey
	if key == "" || x.ep.countsTokens() {
		// Counting tokens is no turn of the conversation: the session
		// stays where its turns go.
		return
	}
	if x.sticky == rt.ID {
		return // plan found the session already there
	}
	e := c.sessions.Set(key, rt.ID)
	c.shareSession(x.req.Context(), e)
	if c.persist != nil && !c.queueSession(Session{Key: e.Key, ChannelID: e.ChannelID, ExpiresAt: e.ExpiresAt}, false) {
		c.warnUnpersisted()
	}
}

// unpersistedWarn is the least time between two warnings of sessions not
// saved: under a burst of new sessions every request would warn.
const unpersistedWarn = 10 * time.Second

func (c *Client) warnUnpersisted() {
	c.unpersisted.Add(1)
	now := c.s.now().UnixNano()
	last := c.unpersistedLog.Load()
	if now-last < int64(unpersistedWarn) || !c.unpersistedLog.CompareAndSwap(last, now) {
		return
	}
	n := c.unpersisted.Swap(0)
	c.s.logger.Warn("routex: sessions not persisted, queue full or Client closed; they stay bound in memory", "sessions", n)
}

// decorate tells the caller where its request went, and keeps from it what
// the upstream said about the channel's account.
func (c *Client) decorate(x *exchange, resp *http.Response) {
	for _, k := range accountResponseHeaders {
		delete(resp.Header, k)
	}
	resp.Header.Set("X-Routex-Channel", x.rec.ChannelID)
	resp.Header.Set("X-Routex-Request-Id", x.rec.RequestID)
	if x.rule != nil {
		resp.Header.Set("X-Routex-Rule", x.rule.ID)
	}
	resp.Request = x.req
}

// upstreamError hands the caller an upstream's error response, in the
// caller's format.
func (c *Client) upstreamError(x *exchange, f *failure) *http.Response {
	x.rec.UpstreamFormat = string(f.rt.Type)
	if f.conv != nil && f.conv.From != f.conv.To {
		convertError(f.resp, f.conv, f.body)
	}
	x.rec.Status = f.status
	x.rec.ChannelID, x.rec.ChannelName = f.rt.ID, f.rt.Name
	x.rec.Error = fmt.Sprintf("upstream status %d", f.status)
	x.rec.Latency = c.s.now().Sub(x.start)
	c.decorate(x, f.resp)
	c.record(&x.rec)
	return f.resp
}

// refuse answers with routex's own error and records it.
func (c *Client) refuse(x *exchange, rf *refusal) *http.Response {
	format := FormatOpenAI
	if x.r != nil && x.r.Format != "" {
		format = x.r.Format
	}
	if x.rec.RequestID == "" {
		x.rec = analytics.Record{Time: x.start, RequestID: c.newRequestID(), InboundFormat: string(format),
			KeyID: KeyIDFromContext(x.req.Context())}
		if x.r != nil {
			x.rec.Model, x.rec.Stream = x.r.Model, x.r.Stream
		}
	}
	x.rec.Status, x.rec.Error = rf.status, rf.msg
	if rf.detail != "" {
		x.rec.Error = rf.detail
	}
	x.rec.Latency = c.s.now().Sub(x.start)
	c.record(&x.rec)
	resp := refuse(x.req, format, rf)
	resp.Header.Set("X-Routex-Request-Id", x.rec.RequestID)
	return resp
}

// refuseEarly refuses a request before it has an exchange.
//
//go:noinline
func (c *Client) refuseEarly(req *http.Request, start time.Time, r *Request, rf *refusal) *http.Response {
	return c.refuse(&exchange{req: req, start: start, r: r}, rf)
}

// finishCanceled ends a request its caller gave up on.
func (c *Client) finishCanceled(x *exchange, err error) (*http.Response, error) {
	x.rec.Error = "canceled by the caller"
	x.rec.Latency = c.s.now().Sub(x.start)
	c.record(&x.rec)
	return nil, err
}

// readBody reads and closes the caller's body, refusing more than max bytes.
func readBody(req *http.Request, max int64) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	tooLarge := func() error {
		return &refusal{status: http.StatusRequestEntityTooLarge, code: "request_too_large", err: ErrBodyTooLarge,
			msg: fmt.Sprintf("the request body is larger than the %d-byte limit", max)}
	}
	if req.ContentLength > max {
		return nil, tooLarge()
	}
	size := req.ContentLength
	if size == 0 {
		// A client's request with a body of unknown length says 0, as
		// http.Request documents; a server's empty body is NoBody.
		size = -1
	}
	b, err := readAll(req.Body, size, max)
	if errors.Is(err, errTooLong) {
		return nil, tooLarge()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		// A broken chunked encoding, a body shorter than its length, a
		// read deadline: the caller's request is bad, not the upstream.
		return nil, &refusal{status: http.StatusBadRequest, code: "invalid_request", err: ErrBadRequest,
			msg: "the request body could not be read: " + bodyReadReason(err)}
	}
	return b, nil
}

var errTooLong = errors.New("body over the limit")

// readAll reads r to its end, at most max bytes (max <= 0: no limit). A
// known size is read into an exactly sized buffer, so the common case
// allocates once.
func readAll(r io.Reader, size, max int64) ([]byte, error) {
	if size >= 0 && (max <= 0 || size <= max) {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	initial := int64(4096)
	if size > 0 {
		initial = size
	}
	buf := bytes.NewBuffer(make([]byte, 0, initial))
	var lr io.Reader = r
	if max > 0 {
		lr = io.LimitReader(r, max+1)
	}
	n, err := buf.ReadFrom(lr)
	if err != nil {
		return nil, err
	}
	if max > 0 && n > max {
		return nil, errTooLong
	}
	return buf.Bytes(), nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// errTooLarge reports a whole answer over the Client's cap.
var errTooLarge = errors.New("upstream answer is larger than the response size limit")

// trustedLength is the largest Content-Length a buffer is sized from at
// once; past it the buffer grows with what actually arrives, so that a
// peer's header never decides an allocation.
const trustedLength = 1 << 20

// bufferBody reads resp's body into memory, at most limit bytes, and
// replaces it with the buffered copy. Past the limit, strict refuses the
// answer (errTooLarge); otherwise the rest is left unread.
func bufferBody(resp *http.Response, limit int64, strict bool) ([]byte, error) {
	defer resp.Body.Close()
	size := resp.ContentLength
	if size > limit {
		if strict {
			return nil, errTooLarge
		}
		size = limit
	}
	if size > trustedLength {
		size = -1
	}
	max := limit
	r := io.Reader(resp.Body)
	if !strict {
		r, max = io.LimitReader(resp.Body, limit), 0
	}
	b, err := readAll(r, size, max)
	if errors.Is(err, errTooLong) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	setLength(resp, len(b))
	return b, nil
}

func isEventStream(resp *http.Response) bool {
	ct := resp.Header.Get("Content-Type")
	return len(ct) >= 17 && (ct[:17] == "text/event-stream" || ct[:17] == "TEXT/EVENT-STREAM")
}

// publicError says what went wrong with an upstream, for the caller: no
// address, no channel, nothing the transport knows about the network.
func publicError(err error, status int) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case err == nil:
		return fmt.Sprintf("HTTP %d", status)
	case errors.Is(err, errTimeout), errors.Is(err, errMalformed), errors.Is(err, errStreamEnded),
		errors.Is(err, errTooLarge), errors.Is(err, errStreamIdle):
		return err.Error()
	case errors.Is(err, errStreamError):
		return err.Error() // the provider's own error event
	case errors.As(err, &oe) && oe.Op == "dial", errors.Is(err, syscall.ECONNREFUSED):
		return "could not connect to the upstream"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the upstream closed the connection before answering in full"
	case errors.As(err, &ne) && ne.Timeout():
		return "the upstream connection timed out"
	}
	return "the upstream connection failed"
}

// bodyReadReason says why a caller's body could not be read, without the
// server's internals.
func bodyReadReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ended early"
	case errors.As(err, &ne) && ne.Timeout():
		return "it did not arrive in time"
	case strings.Contains(err.Error(), "chunk"):
		return "its chunked encoding is malformed"
	}
	return "the connection failed"
}

// sanitize drops the URL from transport errors: a BaseURL may carry a key
// in its query string.
func sanitize(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
