package routex

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/balancer"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/session"
)

// Client routes AI API requests across channels. It is an http.RoundTripper:
// put it in an http.Client (HTTPClient does) or hand that client to an
// official SDK, and every request is routed by rules and the balancer, sent
// with the channel's credentials, retried and failed over, and recorded.
//
// RoundTrip follows the http.RoundTripper contract: it returns an error only
// when no response was obtained, never modifies the caller's request, always
// closes its body and leaves GetBody usable for the caller's own retries.
// Upstream errors that reach the caller are responses. When routex itself
// must refuse (no channel serves the model, a malformed body, a body over
// the limit, every attempt failed) it answers an error response in the
// caller's format.
//
// A Client is safe for concurrent use. Configuration changes (SetChannels,
// SetRules, SetStrategy, or writes to its Store) take effect on the next
// request.
type Client struct {
	s        settings
	cfg      atomic.Pointer[config]
	breakers *breaker.Set
	quotas   quotas
	headroom headroom
	sessions *session.Table
	chains   *chainStore // stored responses, for previous_response_id
	shared   *shared     // state kept with other instances; nil when alone
	recorder analytics.Recorder
	async    *analytics.Async // writes records to the Store; nil without one
	persist  chan Session     // sessions waiting to be saved to the Store; no channel ID: delete
	// persistMu guards sends on persist against Close closing it.
	persistMu     sync.RWMutex
	persistClosed bool
	persistWG     sync.WaitGroup
	// unpersisted counts sessions not saved since the last warning of it,
	// warned of at most every unpersistedWarn.
	unpersisted    atomic.Int64
	unpersistedLog atomic.Int64 // unix nanoseconds of the last warning
	stopWatch      func()

	listings modelListings // providers' model listings, for GET /v1/models

	mu         sync.Mutex // serialises configuration updates
	codeCh     []Channel
	codeRules  []*compiledRule
	storeCh    []Channel
	storeRules []Rule
	strategy   string // from the Store, else the option
	bal        map[string]balancer.Balancer

	closed    atomic.Bool
	closeOnce sync.Once
	idPrefix  string
	idSeq     atomic.Uint64
}

var _ http.RoundTripper = (*Client)(nil)

// New returns a Client configured by opts. Invalid options, channels or
// rules are refused with a *ConfigError naming the item and field at fault.
func New(opts ...Option) (*Client, error) {
	c := &Client{bal: map[string]balancer.Balancer{}}
	for _, o := range opts {
		if err := o(&c.s); err != nil {
			return nil, err
		}
	}
	defaults(&c.s)
	s := &c.s
	seen := map[string]bool{}
	for i := range s.channels {
		if err := s.channels[i].Validate(); err != nil {
			return nil, err
		}
		if seen[s.channels[i].ID] {
			return nil, &ConfigError{Kind: "channel", ID: s.channels[i].ID, Field: "id", Err: errors.New("duplicate id")}
		}
		seen[s.channels[i].ID] = true
	}
	c.codeCh = s.channels
	rules, err := c.compileRules(s.rules)
	if err != nil {
		return nil, err
	}
	c.codeRules = rules
	c.strategy = s.strategy

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	c.idPrefix = "rx_" + hex.EncodeToString(rnd[:]) + "_"

	bs := s.breaker
	userHook := bs.OnStateChange
	bs.OnStateChange = func(key string, from, to breaker.State) {
		s.logger.Warn("routex: breaker state changed", "channel", key, "from", from.String(), "to", to.String())
		c.noteBreaker(key, to)
		if userHook != nil {
			userHook(key, from, to)
		}
	}
	c.breakers = breaker.NewSet(bs)
	c.sessions = session.New(session.Settings{TTL: s.sessionTTL, Size: s.sessionSize, Now: s.now})
	c.chains = newChainStore(s)
	c.shared = newShared(c, s.shared)
	c.chains.writeThrough = c.shared != nil

	var recs []analytics.Recorder
	if s.recorder != nil {
		recs = append(recs, s.recorder)
	}
	if s.store != nil {
		ctx := context.Background()
		if c.storeCh, err = s.store.RevealChannels(ctx); err != nil {
			return nil, fmt.Errorf("routex: loading channels: %w", err)
		}
		if c.storeRules, err = s.store.Rules(ctx); err != nil {
			return nil, fmt.Errorf("routex: loading rules: %w", err)
		}
		if name, err := s.store.Strategy(ctx); err != nil {
			return nil, fmt.Errorf("routex: loading strategy: %w", err)
		} else if name != "" {
			c.strategy = name
		}
		sessions, err := s.store.Sessions(ctx, s.now())
		if err != nil {
			return nil, fmt.Errorf("routex: loading sessions: %w", err)
		}
		for _, ss := range sessions {
			if len(ss.Key) > MaxSessionKeyBytes {
				// Saved before long keys were kept as digests: no request
				// can name it again, and holding it would cost its size.
				continue
			}
			c.sessions.Restore(session.Entry{Key: ss.Key, ChannelID: ss.ChannelID, ExpiresAt: ss.ExpiresAt})
		}
		opts := s.recorderOpts
		if opts.BatchSize == 0 {
			// Large batches are what lets a disk-backed Store keep up with
			// tens of thousands of requests a second.
			opts.BatchSize = 4096
		}
		if opts.FlushInterval == 0 {
			// Records wait in memory until written, so a crash (SIGKILL,
			// OOM) loses those of the last interval: at a busy rate a
			// second's worth is thousands of paid requests. Ten small
			// transactions a second cost SQLite little (BENCHMARKS.md).
			opts.FlushInterval = 100 * time.Millisecond
		}
		if opts.RetryFor == 0 {
			// A database that restarts, or fails over, keeps every record
			// the queue can hold meanwhile.
			opts.RetryFor = 15 * time.Minute
		}
		userErr := opts.OnError
		opts.OnError = func(err error, dropped int) {
			s.logger.Error("routex: saving usage records failed", "err", err, "records", dropped)
			if userErr != nil {
				userErr(err, dropped)
			}
		}
		c.async = analytics.NewAsync(s.store.AddRecords, opts)
		recs = append(recs, c.async)
		c.persist = make(chan Session, 1024)
		c.persistWG.Add(1)
		go c.persistSessions()
	}
	switch len(recs) {
	case 0:
		c.recorder = analytics.RecorderFunc(func(analytics.Record) {})
	case 1:
		c.recorder = recs[0]
	default:
		c.recorder = analytics.Multi(recs...)
	}
	if err := c.rebuild(); err != nil {
		return nil, err
	}
	if s.store != nil {
		c.stopWatch = s.store.Watch(c.reloadFromStore)
	}
	if c.shared != nil {
		c.shared.start()
	}
	return c, nil
}

// HTTPClient returns an http.Client that sends every request through c.
// Give it to an SDK (option.WithHTTPClient) or use it directly. It sets no
// overall timeout: channels' timeouts and the request's context bound it.
func (c *Client) HTTPClient() *http.Client { return &http.Client{Transport: c} }

// RoundTrip routes one request, through the steps of the flow in order (see
// Client for the contract):
//
//  1. the caller's format, from the path;
//  2. the body, read and parsed once;
//     3–6. rules, candidates, session affinity and the balancer (plan);
//  7. one attempt per candidate until one answers (attempt);
//  8. the answer, converted, whole or event by event;
//  9. the usage record, written once the answer has ended.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	start := c.s.now()
	if c.closed.Load() {
		closeBody(req)
		return nil, ErrClosed
	}
	ep, format := classify(req)
	if resp := c.answerAtOnce(req, ep, format); resp != nil {
		return resp, nil
	}
	r, path, resp, err := c.read(req, start, ep, format)
	if r == nil {
		return resp, err
	}
	x := c.newExchange(req, start, ep, path, r)
	resp, err = c.serve(x)
	releaseExchange(x)
	return resp, err
}

// answerAtOnce answers the requests that need no channel and no body: the
// model list, and WebSockets, which routex does not speak. It returns nil
// for the others.
func (c *Client) answerAtOnce(req *http.Request, ep endpoint, format Format) *http.Response {
	switch ep {
	case endpointModels:
		closeBody(req)
		return c.models(req, format)
	case endpointWebSocket:
		closeBody(req)
		return refuseWebSocket(req)
	}
	return nil
}

// read reads and parses req's body, and checks what the caller may ask. It
// returns the request, and the endpoint's upstream path for a
// pass-through, or nil and the answer to give instead.
func (c *Client) read(req *http.Request, start time.Time, ep endpoint, format Format) (*Request, string, *http.Response, error) {
	path := ep.path()
	if ep == endpointPassthrough {
		var rf *refusal
		if path, rf = c.passthroughPath(req); rf != nil {
			closeBody(req)
			return nil, "", c.refuseEarly(req, start, &Request{Format: format}, rf), nil
		}
	}
	body, err := readBody(req, c.s.maxBody)
	if err != nil {
		if rf, ok := asRefusal(err); ok {
			return nil, "", c.refuseEarly(req, start, &Request{Format: format}, rf), nil
		}
		return nil, "", nil, err
	}
	var r *Request
	if ep.opaque() {
		r = parsePassthrough(format, body, req)
	} else if r, err = parseRequest(format, body, req, c.s.counter); err != nil {
		rf, _ := asRefusal(err)
		return nil, "", c.refuseEarly(req, start, r, rf), nil
	} else if r.Model == "" {
		return nil, "", c.refuseEarly(req, start, r, errBody(`the request has no "model"; name the model to use`)), nil
	}
	if rf := admit(req, r); rf != nil {
		return nil, "", c.refuseEarly(req, start, r, rf), nil
	}
	return r, path, nil, nil
}

// newExchange takes an exchange from the pool for r.
func (c *Client) newExchange(req *http.Request, start time.Time, ep endpoint, path string, r *Request) *exchange {
	// Filled in place, field by field: a composite literal would be built
	// on the stack first, and this frame is on every request's stack,
	// streams included.
	x := exchangePool.Get().(*exchange)
	routes, cands := x.routes[:0], x.cands[:0]
	*x = exchange{}
	x.ep, x.path, x.req, x.r, x.cfg, x.start, x.routes, x.cands = ep, path, req, r, c.cfg.Load(), start, routes, cands
	x.rec.Time, x.rec.RequestID, x.rec.Model = start, c.newRequestID(), r.Model
	x.rec.InboundFormat, x.rec.Stream, x.rec.Session = string(r.Format), r.Stream, r.SessionKey
	x.rec.KeyID = KeyIDFromContext(req.Context())
	return x
}

// releaseExchange returns x to the pool, holding nothing of its request.
func releaseExchange(x *exchange) {
	x.req, x.r, x.cfg, x.rule = nil, nil, nil, nil
	x.chain = nil // a conversation can be large: not kept in the pool
	clear(x.routes[:cap(x.routes)])
	exchangePool.Put(x)
}

// serve routes x: steps 3 to 9.
func (c *Client) serve(x *exchange) (*http.Response, error) {
	if x.r.Format == FormatResponses && x.ep != endpointPassthrough {
		if resp := c.continueChain(x); resp != nil {
			return resp, nil
		}
	}
	if x.ep == endpointResponses && compactTrigger(x.r.Body) && !c.servedAs(x, FormatResponses) {
		return c.compactTriggered(x), nil
	}
	if rf := c.plan(x); rf != nil {
		if x.ep.countsTokens() {
			return c.countLocally(x), nil
		}
		if x.ep == endpointCompact && errors.Is(rf, ErrNoChannel) && c.servedElsewhere(x) {
			return c.compactElsewhere(x), nil
		}
		return c.refuse(x, c.endpointRefusal(x, rf)), nil
	}
	resp, err := c.attempt(x)
	if err == nil && x.ep.countsTokens() && notServed(resp) {
		resp.Body.Close()
		return c.countLocally(x), nil
	}
	return resp, err
}

// Close stops the Client: it waits for queued usage records, sessions and
// stored responses to reach the Store, and then refuses new requests with
// ErrClosed. Streams already returned keep working. Close is idempotent.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.stopWatch != nil {
			c.stopWatch()
		}
		if c.persist != nil {
			c.persistMu.Lock()
			c.persistClosed = true
			close(c.persist)
			c.persistMu.Unlock()
			c.persistWG.Wait()
		}
		c.chains.close()
		if c.shared != nil {
			c.shared.close()
		}
		if c.async != nil {
			err = c.async.Close()
		}
	})
	return err
}

func (c *Client) compileRules(rules []Rule) ([]*compiledRule, error) {
	out := make([]*compiledRule, 0, len(rules))
	seen := map[string]bool{}
	for _, r := range rules {
		cr, err := compileRule(r, c.s.customs)
		if err != nil {
			return nil, err
		}
		if seen[r.ID] {
			return nil, &ConfigError{Kind: "rule", ID: r.ID, Field: "id", Err: errors.New("duplicate id")}
		}
		seen[r.ID] = true
		out = append(out, cr)
	}
	return out, nil
}

// SetChannels replaces the channels defined in code. Channels from the
// Store are kept.
func (c *Client) SetChannels(chs ...Channel) error {
	seen := map[string]bool{}
	cp := make([]Channel, len(chs))
	for i := range chs {
		if err := chs[i].Validate(); err != nil {
			return err
		}
		if seen[chs[i].ID] {
			return &ConfigError{Kind: "channel", ID: chs[i].ID, Field: "id", Err: errors.New("duplicate id")}
		}
		seen[chs[i].ID] = true
		cp[i] = chs[i].clone()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codeCh = cp
	return c.rebuildLocked()
}

// SetRules replaces the rules defined in code. Rules from the Store are
// kept. An invalid rule is refused with a *ConfigError and nothing changes.
func (c *Client) SetRules(rules ...Rule) error {
	compiled, err := c.compileRules(rules)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codeRules = compiled
	return c.rebuildLocked()
}

// SetStrategy switches the balancing strategy by name for this Client. With
// a Store, write the strategy there instead so that it persists.
func (c *Client) SetStrategy(name string) error {
	if _, err := balancer.New(name); err != nil {
		return &ConfigError{Kind: "option", ID: "strategy", Field: "name", Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.strategy = name
	return c.rebuildLocked()
}

// Strategy returns the name of the balancing strategy in use, or "" when a
// custom Balancer is set.
func (c *Client) Strategy() string { return c.cfg.Load().strategy }

// reloadFromStore is the Store's Watch callback: it runs inside the writing
// call, so the change is in force when that call returns.
func (c *Client) reloadFromStore() {
	ctx := context.Background()
	st := c.s.store
	chs, err := st.RevealChannels(ctx)
	if err != nil {
		c.s.logger.Error("routex: reloading channels", "err", err)
		return
	}
	rules, err := st.Rules(ctx)
	if err != nil {
		c.s.logger.Error("routex: reloading rules", "err", err)
		return
	}
	name, err := st.Strategy(ctx)
	if err != nil {
		c.s.logger.Error("routex: reloading strategy", "err", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.storeCh, c.storeRules = chs, rules
	if name != "" {
		if _, err := balancer.New(name); err == nil {
			c.strategy = name
		} else {
			c.s.logger.Error("routex: stored strategy ignored", "err", err)
		}
	}
	if err := c.rebuildLocked(); err != nil {
		c.s.logger.Error("routex: applying stored configuration", "err", err)
	}
}

func (c *Client) rebuild() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rebuildLocked()
}

func (c *Client) rebuildLocked() error {
	skip := func(err error) { c.s.logger.Error("routex: stored item skipped", "err", err) }
	cfg := buildConfig(c.codeCh, c.storeCh, c.codeRules, c.storeRules, c.s.customs, c.s.timeout, skip)
	if c.s.balancer != nil {
		cfg.balancer = c.s.balancer
	} else {
		name := c.strategy
		if name == "" {
			name = "priority"
		}
		b, ok := c.bal[name]
		if !ok {
			var err error
			if b, err = balancer.New(name); err != nil {
				return &ConfigError{Kind: "option", ID: "strategy", Field: "name", Err: err}
			}
			// Keep one instance per strategy so that its state (weights,
			// latencies) survives configuration changes.
			c.bal[name] = b
		}
		cfg.balancer, cfg.strategy = b, name
	}
	cfg.observer, _ = cfg.balancer.(balancer.Observer)
	if old := c.cfg.Load(); old != nil {
		for id := range old.byID {
			if _, ok := cfg.byID[id]; !ok {
				c.breakers.Forget(id)
				for _, b := range c.bal {
					if f, ok := b.(balancer.Forgetter); ok {
						f.Forget(id)
					}
				}
			}
		}
	}
	c.cfg.Store(cfg)
	return nil
}

// persistSessions saves new session assignments to the Store off the
// request path.
func (c *Client) persistSessions() {
	defer c.persistWG.Done()
	for s := range c.persist {
		if s.ChannelID == "" {
			err := c.s.store.DeleteSession(context.Background(), s.Key)
			if err != nil && !errors.Is(err, ErrNotFound) {
				c.s.logger.Error("routex: deleting session", "err", err)
			}
			continue
		}
		if err := c.s.store.PutSession(context.Background(), s); err != nil {
			c.s.logger.Error("routex: saving session", "err", err)
		}
	}
}

// queueSession hands s to the session saver, without waiting when block is
// false; it reports whether s was queued.
func (c *Client) queueSession(s Session, block bool) bool {
	c.persistMu.RLock()
	defer c.persistMu.RUnlock()
	if c.persistClosed {
		return false
	}
	if block {
		c.persist <- s
		return true
	}
	select {
	case c.persist <- s:
		return true
	default:
		return false
	}
}

// record prices a finished request and hands its record to the recorder.
func (c *Client) record(rec *analytics.Record) {
	if c.s.pricing != nil {
		rec.Cost = c.s.pricing.RecordCost(rec)
	}
	if rec.ChannelID != "" {
		if rt := c.cfg.Load().byID[rec.ChannelID]; rt != nil && len(rt.Limits) > 0 {
			c.addTokens(rt, rec.InputTokens+rec.OutputTokens+rec.CacheReadTokens+rec.CacheWriteTokens)
		}
	}
	c.recordSafely(rec)
}

// recordSafely hands rec to the recorder; a recorder's panic is logged, and
// never reaches the caller's answer.
func (c *Client) recordSafely(rec *analytics.Record) {
	defer func() {
		if p := recover(); p != nil {
			attrs := []any{"request_id", rec.RequestID, "panic", fmt.Sprint(p)}
			if pe, ok := p.(*analytics.PanicError); ok {
				attrs = append(attrs, "stack", string(pe.Stack))
			}
			c.s.logger.Error("routex: usage recorder panicked", attrs...)
		}
	}()
	c.recorder.Record(*rec)
}

// NamesModel reports whether channel id names model itself, in its Models
// (not through a pattern) or its ModelMap, as a requested or an upstream
// name. Such names are a bounded set chosen by the operator, where the
// models callers ask for are theirs to invent: a metrics label keeps to
// the first.
func (c *Client) NamesModel(id, model string) bool {
	rt := c.cfg.Load().byID[id]
	if rt == nil || model == "" {
		return false
	}
	if _, ok := rt.ModelMap[model]; ok {
		return true
	}
	for _, m := range rt.Models {
		if m == model {
			return true
		}
	}
	for _, m := range rt.ModelMap {
		if m == model {
			return true
		}
	}
	return false
}

// ChannelStatus is the live state of one channel.
type ChannelStatus struct {
	ID               string        `json:"id"`
	Name             string        `json:"name"`
	Type             Format        `json:"type"`
	Enabled          bool          `json:"enabled"`
	Breaker          breaker.State `json:"breaker"`
	Failures         int           `json:"consecutiveFailures"`
	RateLimitedUntil time.Time     `json:"rateLimitedUntil,omitzero"`
	OverQuotaUntil   time.Time     `json:"overQuotaUntil,omitzero"`   // when an exhausted Limit rolls
	LowHeadroomUntil time.Time     `json:"lowHeadroomUntil,omitzero"` // a rate limit is nearly used up until then
	Available        bool          `json:"available"`                 // would take a request now
}

// Status reports every channel's breaker and rate-limit state.
func (c *Client) Status() []ChannelStatus {
	cfg := c.cfg.Load()
	out := make([]ChannelStatus, 0, len(cfg.routes))
	now := c.s.now()
	for _, rt := range cfg.routes {
		st := c.breakers.Status(rt.ID)
		quota := c.quotas.Until(rt.ID, rt.Limits, now)
		out = append(out, ChannelStatus{
			ID: rt.ID, Name: rt.Name, Type: rt.Type, Enabled: rt.Enabled(),
			Breaker: st.State, Failures: st.ConsecutiveFailures, RateLimitedUntil: st.RateLimitedUntil,
			OverQuotaUntil: quota, LowHeadroomUntil: c.headroom.lowUntil(rt.ID, now),
			Available: rt.Enabled() && c.breakers.Ready(rt.ID) && quota.IsZero() && c.authorized(rt),
		})
	}
	return out
}

// ForgetSession ends a sticky session, in the Store too, so that its next
// request is balanced afresh. It reports whether the session existed. The
// Store's copy is deleted by the same queue that saves sessions, after any
// save of it still waiting, so a forgotten session does not come back.
func (c *Client) ForgetSession(key string) bool {
	_, ok := c.sessions.Get(key)
	c.sessions.Delete(key)
	c.forgetSharedSession(key)
	if c.persist != nil {
		c.queueSession(Session{Key: key}, true)
	}
	return ok
}

// RecordStats counts the usage records of a Client's background Store
// writer since New.
type RecordStats struct {
	Written uint64 `json:"written"` // saved to the Store
	Dropped uint64 `json:"dropped"` // not queued: the queue was full
	Failed  uint64 `json:"failed"`  // queued, but the Store refused them
}

// RecordStats reports what the background writer has done with usage
// records; all zero without a Store.
func (c *Client) RecordStats() RecordStats {
	if c.async == nil {
		return RecordStats{}
	}
	return RecordStats{Written: c.async.Written(), Dropped: c.async.Dropped(), Failed: c.async.Failed()}
}

// ResetChannel closes a channel's breaker and clears its rate limit.
func (c *Client) ResetChannel(id string) { c.breakers.Reset(id) }

// Sessions returns the live sticky sessions.
func (c *Client) Sessions() []Session {
	es := c.sessions.Entries()
	out := make([]Session, len(es))
	for i, e := range es {
		out[i] = Session{Key: e.Key, ChannelID: e.ChannelID, ExpiresAt: e.ExpiresAt}
	}
	return out
}

// endpoint is what the request path asks for.
type endpoint int

const (
	endpointPassthrough endpoint = iota
	endpointMessages             // Anthropic Messages
	endpointChat                 // OpenAI Chat Completions
	endpointResponses            // OpenAI Responses
	endpointModels               // model listing
	endpointCountTokens          // Anthropic's token counting
	endpointInputTokens          // the Responses API's token counting
	endpointCompact              // the Responses API's conversation compaction
	endpointWebSocket            // a WebSocket upgrade on the Responses endpoint
	endpointGenerate             // Gemini's generateContent and streamGenerateContent
	endpointGeminiCount          // Gemini's countTokens
)

// forwarded reports whether requests to e go only to channels of the
// caller's own format, body unconverted: endpoints that have no twin in
// another format.
func (e endpoint) forwarded() bool {
	switch e {
	case endpointPassthrough, endpointCountTokens, endpointInputTokens, endpointCompact, endpointGeminiCount:
		return true
	}
	return false
}

// opaque reports whether routex reads only the model (and the session
// header) of a request to e: the body is the provider's to understand.
func (e endpoint) opaque() bool {
	return e == endpointPassthrough || e.countsTokens()
}

// countsTokens reports whether e only counts a request's input tokens,
// which routex can answer itself from its estimate.
func (e endpoint) countsTokens() bool {
	return e == endpointCountTokens || e == endpointInputTokens || e == endpointGeminiCount
}

// path returns the upstream path of an endpoint that is forwarded to a
// fixed path, or "": the format's own endpoint, or the caller's path for a
// pass-through. Gemini's paths name the model: geminiUpstreamPath.
func (e endpoint) path() string {
	switch e {
	case endpointCountTokens:
		return "/v1/messages/count_tokens"
	case endpointInputTokens:
		return "/v1/responses/input_tokens"
	case endpointCompact:
		return "/v1/responses/compact"
	}
	return ""
}

// classify reads the endpoint and the caller's format from the path. Paths
// are matched by suffix, so base URLs with prefixes ("/proxy/v1/messages")
// work.
func classify(req *http.Request) (endpoint, Format) {
	p := path.Clean(req.URL.Path) // allocates only when there is something to clean
	if ep, ok := classifyGemini(req, p); ok {
		return ep, FormatGemini
	}
	switch {
	case strings.HasSuffix(p, "/v1/messages"):
		return endpointMessages, FormatAnthropic
	case strings.HasSuffix(p, "/chat/completions"):
		return endpointChat, FormatOpenAI
	case strings.HasSuffix(p, "/responses"):
		if isWebSocketUpgrade(req.Header) {
			return endpointWebSocket, FormatResponses
		}
		return endpointResponses, FormatResponses
	case strings.HasSuffix(p, "/v1/messages/count_tokens"):
		return endpointCountTokens, FormatAnthropic
	case strings.HasSuffix(p, "/responses/input_tokens"):
		return endpointInputTokens, FormatResponses
	case strings.HasSuffix(p, "/responses/compact"):
		return endpointCompact, FormatResponses
	case req.Method == http.MethodGet && (strings.HasSuffix(p, "/v1/models") || isModelPath(p)):
		return endpointModels, headerFormat(req)
	case strings.Contains(p, "/v1/messages/"), strings.Contains(p, "/v1/complete"):
		return endpointPassthrough, FormatAnthropic
	case strings.Contains(p, "/v1/responses/"):
		return endpointPassthrough, FormatResponses
	}
	return endpointPassthrough, headerFormat(req)
}

// isWebSocketUpgrade reports whether h asks to switch the connection to a
// WebSocket.
func isWebSocketUpgrade(h http.Header) bool {
	for _, v := range h["Upgrade"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// CallerFormat returns the wire format the Client takes req to be in, and
// answers it in: from the path (/v1/messages, …/chat/completions,
// …/responses and the endpoints beside them), else from its headers. A
// server in front of the Client uses it to refuse a request in the
// caller's own format before the Client sees it.
func CallerFormat(req *http.Request) Format {
	_, f := classify(req)
	return f
}

// headerFormat guesses the caller's format from its headers, for endpoints
// the formats share. A Responses caller is taken for a Chat one: both
// read OpenAI's error shape.
func headerFormat(req *http.Request) Format {
	if req.Header.Get("Anthropic-Version") != "" || req.Header.Get("X-Api-Key") != "" {
		return FormatAnthropic
	}
	if googleCaller(req) {
		return FormatGemini
	}
	return FormatOpenAI
}

func (c *Client) newRequestID() string {
	var b [32]byte
	out := append(b[:0], c.idPrefix...)
	out = strconv.AppendUint(out, c.idSeq.Add(1), 36)
	return string(out)
}

// logAttrs names an attempt in logs without secrets.
func logAttrs(rt *route, x *exchange) []any {
	return []any{slog.String("request_id", x.rec.RequestID), slog.String("channel", rt.ID), slog.String("model", x.r.Model)}
}
