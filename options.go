package routex

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/balancer"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/tokens"
)

// Option configures a Client in New.
type Option func(*settings) error

// TokenCounter estimates the number of tokens in a piece of text. The
// Client uses it for Request.InputTokens, which tokenThreshold rules read.
// Implementations must be safe for concurrent use and fast: it runs on the
// request path.
type TokenCounter interface {
	CountTokens(text []byte) int
}

// TokenCounterFunc adapts a function to a TokenCounter.
type TokenCounterFunc func(text []byte) int

// CountTokens calls f(text).
func (f TokenCounterFunc) CountTokens(text []byte) int { return f(text) }

// RetryPolicy says how many upstream attempts one request may make and how
// long to wait before trying a channel again. Moving on to a channel not yet
// tried for this request does not wait: another provider's health does not
// depend on how long ago the last one failed.
type RetryPolicy struct {
	// MaxAttempts caps the upstream attempts per request. 0 means one per
	// candidate channel; a value above the number of candidates tries them
	// again, in order, waiting as Backoff says.
	MaxAttempts int
	// Backoff returns the wait before the n-th attempt on a channel this
	// request already tried (n from 1); a negative wait ends the retries.
	// nil means DefaultBackoff.
	Backoff func(n int) time.Duration
	// CheckRetry reports whether an attempt that did not succeed moves the
	// request on to the next candidate. ch is the channel tried; resp is
	// its answer when it sent one with a status of 400 or above (status
	// and headers: the body is not read yet), and err the transport error,
	// timeout or broken stream start otherwise. When it reports false the
	// caller gets the upstream's answer, in the caller's format, or a 502
	// for an error. nil means DefaultCheckRetry.
	CheckRetry func(ctx context.Context, ch *Channel, resp *http.Response, err error) bool
}

// DefaultCheckRetry moves a request on after a transport error, a timeout
// or a stream that broke before its first event; after a status that says
// the upstream cannot answer now (408, 409, 429, 500, 502, 503, 504, 529);
// and after a refused token (401) on an OAuth channel, whose next account
// may not share the fault. Other statuses are the request's own fault, which
// another channel would repeat: the caller gets them. Nothing moves on once
// ctx is done.
func DefaultCheckRetry(ctx context.Context, ch *Channel, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if resp == nil {
		return err != nil
	}
	switch resp.StatusCode {
	case 408, 409, 429, 500, 502, 503, 504, 529:
		return true
	case http.StatusUnauthorized:
		return ch.OAuth
	}
	return false
}

// DefaultBackoff waits 100 ms before the first retry of a channel, doubling
// up to 2 s, each wait drawn within ±50%: retries from many requests spread
// out instead of arriving together.
func DefaultBackoff(n int) time.Duration {
	d := 2 * time.Second
	if n < 6 { // 100 ms << 5 passes 2 s
		d = min(100*time.Millisecond<<max(n-1, 0), d)
	}
	return d/2 + rand.N(d)
}

// DefaultMaxBodyBytes is the largest request body accepted unless
// WithMaxBodyBytes says otherwise.
const DefaultMaxBodyBytes = 32 << 20

// DefaultTimeout is the wait for an upstream's answer (response headers and,
// for streams, the first event; the whole body otherwise) when a channel
// sets none. Long non-streamed generations take minutes.
const DefaultTimeout = 10 * time.Minute

// DefaultMaxResponseBytes is the largest whole (not streamed) upstream
// answer read unless WithMaxResponseBytes says otherwise.
const DefaultMaxResponseBytes = 32 << 20

// DefaultStreamIdleTimeout is the longest a started stream may go without a
// byte from its upstream when neither the channel nor WithStreamIdleTimeout
// sets one. Providers send keep-alive events well within it (Anthropic's
// ping every few seconds), and a reasoning model thinking before its first
// token is covered by the channel's Timeout instead.
const DefaultStreamIdleTimeout = 90 * time.Second

type settings struct {
	channels     []Channel
	rules        []Rule
	strategy     string
	balancer     balancer.Balancer
	store        Store
	shared       Shared
	sessionTTL   time.Duration
	sessionSize  int
	breaker      breaker.Settings
	retry        RetryPolicy
	transport    http.RoundTripper
	authorizer   Authorizer
	logger       *slog.Logger
	recorder     analytics.Recorder
	counter      TokenCounter
	maxBody      int64
	maxResponse  int64
	timeout      time.Duration
	streamIdle   time.Duration
	passthrough  []string
	customs      map[string]Matcher
	now          func() time.Time
	recorderOpts analytics.Settings
	pricing      *analytics.Pricing
	pricingSet   bool

	responseRetention time.Duration // WithResponseRetention
	responseMemory    int64
}

// WithChannels adds channels defined in code. They are fixed for the
// Client's life (update them with SetChannels); channels in a Store are
// added to them, and on an ID clash the code's channel wins.
func WithChannels(chs ...Channel) Option {
	return func(s *settings) error {
		for i := range chs {
			s.channels = append(s.channels, chs[i].clone())
		}
		return nil
	}
}

// WithRules adds routing rules defined in code; they may carry Go Matchers.
// Rules in a Store are added to them; on an ID clash the code's rule wins.
func WithRules(rules ...Rule) Option {
	return func(s *settings) error {
		s.rules = append(s.rules, rules...)
		return nil
	}
}

// WithCondition registers a Go condition that rules name in
// Condition.Custom. Register conditions before the rules that use them.
func WithCondition(name string, m Matcher) Option {
	return func(s *settings) error {
		if name == "" || m == nil {
			return &ConfigError{Kind: "option", ID: "WithCondition", Field: "name", Err: errRequired}
		}
		if s.customs == nil {
			s.customs = map[string]Matcher{}
		}
		s.customs[name] = m
		return nil
	}
}

// WithStrategy selects the balancing strategy by name: "priority" (the
// default), "round_robin", "weighted", "least_used" or "latency". A
// strategy saved in the Store takes precedence.
func WithStrategy(name string) Option {
	return func(s *settings) error {
		if _, err := balancer.New(name); err != nil {
			return &ConfigError{Kind: "option", ID: "WithStrategy", Field: "name", Err: err}
		}
		s.strategy = name
		return nil
	}
}

// WithBalancer sets a balancer of the caller's own. It takes precedence over
// any strategy name, including one saved in the Store.
func WithBalancer(b balancer.Balancer) Option {
	return func(s *settings) error {
		s.balancer = b
		return nil
	}
}

// WithStore makes the Client load channels, rules, the strategy and sessions
// from st, follow its changes, persist sessions to it, and write usage
// records to it in the background. The Client does not close st.
func WithStore(st Store) Option {
	return func(s *settings) error {
		s.store = st
		return nil
	}
}

// WithSessionTTL sets how long a session sticks to its channel (default 5 h)
// and, if size > 0, how many sessions are kept (default 100 000).
func WithSessionTTL(ttl time.Duration, size int) Option {
	return func(s *settings) error {
		if ttl < 0 || size < 0 {
			return &ConfigError{Kind: "option", ID: "WithSessionTTL", Field: "ttl", Err: fmt.Errorf("must not be negative")}
		}
		s.sessionTTL, s.sessionSize = ttl, size
		return nil
	}
}

// WithBreaker sets the circuit breaker and rate-limit settings shared by
// every channel.
func WithBreaker(b breaker.Settings) Option {
	return func(s *settings) error {
		s.breaker = b
		return nil
	}
}

// WithRetry sets the retry and failover policy.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error {
		if p.MaxAttempts < 0 {
			return &ConfigError{Kind: "option", ID: "WithRetry", Field: "MaxAttempts", Err: fmt.Errorf("must not be negative")}
		}
		s.retry = p
		return nil
	}
}

// WithTransport sets the RoundTripper that carries requests upstream. The
// default is an http.Transport tuned for many concurrent streams to few
// hosts.
func WithTransport(rt http.RoundTripper) Option {
	return func(s *settings) error {
		s.transport = rt
		return nil
	}
}

// WithLogger sets where the Client logs failovers, breaker changes and
// dropped records. The default discards logs. Secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithRecorder sends every usage record to r as well as to the Store, if
// one is set. r.Record must not block.
func WithRecorder(r analytics.Recorder) Option {
	return func(s *settings) error {
		s.recorder = r
		return nil
	}
}

// WithPricing sets the price table that gives every record its Cost. The
// default is analytics.DefaultPricing(); use its With method to override
// prices per model, or pass nil to leave costs unknown.
func WithPricing(p *analytics.Pricing) Option {
	return func(s *settings) error {
		s.pricing = p
		s.pricingSet = true
		return nil
	}
}

// WithRecordQueue tunes the background writer that saves records to the
// Store. Zero fields take the writer's defaults: batches of 4096 records,
// written at least every 100 ms, which is also about what a crash (a
// SIGKILL) can lose; a batch the Store refuses is tried again for 15
// minutes (RetryFor), the queue's 65 536 records waiting meanwhile.
func WithRecordQueue(a analytics.Settings) Option {
	return func(s *settings) error {
		s.recorderOpts = a
		return nil
	}
}

// WithTokenCounter replaces the default token estimator (tokens.Estimate,
// within about 15% of a BPE tokenizer, at several hundred MB/s).
func WithTokenCounter(tc TokenCounter) Option {
	return func(s *settings) error {
		s.counter = tc
		return nil
	}
}

// WithMaxBodyBytes caps the request body size (default 32 MiB). Larger
// bodies are refused with 413 in the caller's format.
func WithMaxBodyBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return &ConfigError{Kind: "option", ID: "WithMaxBodyBytes", Field: "n", Err: fmt.Errorf("must be positive")}
		}
		s.maxBody = n
		return nil
	}
}

// WithMaxResponseBytes caps the size of a whole upstream answer (default 32
// MiB), read into memory to convert it and to read its usage; streams are
// not buffered and have no cap. An answer over the cap, or one whose
// Content-Length says it would be, is the channel's failure: the next
// channel is tried, and the caller gets 502 in its own format when none
// answers within the cap.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return &ConfigError{Kind: "option", ID: "WithMaxResponseBytes", Field: "n", Err: fmt.Errorf("must be positive")}
		}
		s.maxResponse = n
		return nil
	}
}

// WithStreamIdleTimeout sets how long a stream that has started may go
// without a byte from its upstream, for channels that set no
// StreamIdleTimeout (default DefaultStreamIdleTimeout). Past it the stream
// ends well-formed with an error event in the caller's format, and the
// channel is charged a failure.
func WithStreamIdleTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return &ConfigError{Kind: "option", ID: "WithStreamIdleTimeout", Field: "d", Err: fmt.Errorf("must be positive")}
		}
		s.streamIdle = d
		return nil
	}
}

// DefaultPassthrough lists the endpoints, besides those routex serves
// itself, that a caller may reach on a channel of its own format: OpenAI's
// embeddings. routex serves Messages, Chat Completions, Responses and the
// model listing, and always forwards token counting
// (/v1/messages/count_tokens, /v1/responses/input_tokens: answered from
// its own estimate when no channel of the caller's format serves the
// model) and compaction (/v1/responses/compact, to Responses channels).
var DefaultPassthrough = []string{"/v1/embeddings"}

// WithPassthrough replaces DefaultPassthrough: the endpoints routex
// forwards unread to a channel of the caller's format. Each is a path from
// "/v1" on, matched exactly ("/v1/embeddings"), or, ending in "/", a
// prefix ("/v1/files/" reaches every file endpoint, with any method;
// "/v1/responses/" the Responses API's stored responses). A path not
// listed is refused with 404 in the caller's format, naming the path: a
// proxy key must not reach what the channel's own key could do beyond
// routing, such as deleting files.
func WithPassthrough(paths ...string) Option {
	return func(s *settings) error {
		for _, p := range paths {
			if !strings.HasPrefix(p, "/v1/") || strings.Contains(p, "..") {
				return &ConfigError{Kind: "option", ID: "WithPassthrough", Field: "paths", Err: fmt.Errorf("%q is not a path from /v1/ on", p)}
			}
		}
		s.passthrough = append([]string{}, paths...)
		return nil
	}
}

// WithDefaultTimeout sets the upstream timeout of channels that set none.
func WithDefaultTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return &ConfigError{Kind: "option", ID: "WithDefaultTimeout", Field: "d", Err: fmt.Errorf("must be positive")}
		}
		s.timeout = d
		return nil
	}
}

// WithClock sets the Client's clock, which breakers, rate limits and
// sessions read. Tests inject a fake clock so that cool-downs pass without
// waiting. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		s.now = now
		return nil
	}
}

func defaults(s *settings) {
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.counter == nil {
		s.counter = TokenCounterFunc(tokens.Estimate)
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxResponse == 0 {
		s.maxResponse = DefaultMaxResponseBytes
	}
	if s.streamIdle == 0 {
		s.streamIdle = DefaultStreamIdleTimeout
	}
	if s.passthrough == nil {
		s.passthrough = DefaultPassthrough
	}
	if s.now == nil {
		s.now = time.Now
	}
	if !s.pricingSet {
		s.pricing = analytics.DefaultPricing()
	}
	if s.breaker.Now == nil {
		s.breaker.Now = s.now
	}
	if s.transport == nil {
		s.transport = newTransport()
	}
	if s.retry.Backoff == nil {
		s.retry.Backoff = DefaultBackoff
	}
	if s.retry.CheckRetry == nil {
		s.retry.CheckRetry = DefaultCheckRetry
	}
}

// newTransport returns an http.Transport for AI APIs: few hosts, many
// concurrent long-lived streams, and compression negotiated by the
// transport itself so that bodies arrive readable.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Per connection, and a proxy holds one per stream in flight,
		// most of them waiting. Large bodies bypass these buffers: a
		// request's goes to the connection in large writes once the
		// buffer is full, and large reads of a response go straight
		// into the reader's buffer.
		WriteBufferSize: 4 << 10,
		ReadBufferSize:  4 << 10,
	}
}
