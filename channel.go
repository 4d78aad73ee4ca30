package routex

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/routex/routex/internal/secret"
	"github.com/routex/routex/transformer"
)

// Format names the wire format a caller or a channel speaks.
type Format = transformer.Format

// The wire formats a Channel can speak.
const (
	FormatAnthropic = transformer.Anthropic
	FormatOpenAI    = transformer.OpenAI
	FormatResponses = transformer.Responses
	FormatGemini    = transformer.Gemini
)

// Channel is one upstream routex can send requests to: a provider endpoint
// with its credentials. A Channel is a plain value; routex copies it when it
// is configured, so changing a Channel after handing it over has no effect.
type Channel struct {
	// ID identifies the channel in rules, sessions and records. Required, unique.
	ID string `json:"id"`
	// Name is shown to people; it defaults to ID.
	Name string `json:"name,omitempty"`
	// Type is the wire format the channel speaks. Required.
	Type Format `json:"type"`
	// BaseURL is the provider's API root, such as "https://api.anthropic.com"
	// or "https://openrouter.ai/api/v1". When it has a path, the endpoint path
	// after "/v1" is appended to it ("/chat/completions"); when it is a bare
	// host, the whole path is ("/v1/chat/completions"). A gemini channel's
	// path may end in its API version ("…/v1beta", "…/v1"); without one,
	// "/v1beta" is used. An endpoint at its end ("…/v1/chat/completions")
	// is taken off (TrimEndpoint): routex appends it. Required.
	BaseURL string `json:"baseUrl"`
	// APIKey is sent as x-api-key (anthropic), x-goog-api-key (gemini) or
	// Authorization: Bearer (openai, openai-responses).
	// It never appears in logs, errors or records.
	APIKey string `json:"apiKey,omitempty"`
	// Models lists the models the channel serves, as exact names or
	// path.Match globs ("claude-*"). Empty means any model.
	Models []string `json:"models,omitempty"`
	// SyncModels asks a program that keeps channels (examples/server) to
	// replace Models, from time to time, with the models the channel's
	// provider lists (Client.FetchModels). The Client itself does not act
	// on it.
	SyncModels bool `json:"syncModels,omitempty"`
	// ModelMap renames a requested model to the channel's own name for it.
	ModelMap map[string]string `json:"modelMap,omitempty"`
	// Priority orders channels for the priority strategy: lower first.
	Priority int `json:"priority,omitempty"`
	// Weight is the channel's share for the weighted strategy; 0 means 1.
	Weight int `json:"weight,omitempty"`
	// Disabled takes the channel out of rotation. The zero value is enabled.
	Disabled bool `json:"disabled,omitempty"`
	// Headers are added to every upstream request, replacing the caller's.
	Headers map[string]string `json:"headers,omitempty"`
	// ForwardHeaders names caller headers that scope a request to an
	// account ("OpenAI-Organization", "OpenAI-Project", "Cookie") to pass
	// on although the channel brings its own credentials; by default they
	// are held back, so a caller cannot pick among the organizations of
	// the channel's key.
	ForwardHeaders []string `json:"forwardHeaders,omitempty"`
	// ForwardQuery passes the caller's whole query string on. By default
	// only Anthropic's "beta" flag is; the BaseURL's own query always is.
	ForwardQuery bool `json:"forwardQuery,omitempty"`
	// Timeout bounds the wait for the upstream's response headers and, for
	// streams, its first event; past it the next candidate is tried.
	// Zero means the Client's default (see WithDefaultTimeout).
	Timeout time.Duration `json:"timeout,omitempty"`
	// StreamIdleTimeout bounds the wait between two reads of a stream
	// that has started; past it the stream ends with an error event and
	// the channel is charged a failure. Zero means the Client's (see
	// WithStreamIdleTimeout).
	StreamIdleTimeout time.Duration `json:"streamIdleTimeout,omitempty"`
	// Transformers edit requests and responses on their way to and from
	// this channel, in order: "maxtoken", "sampling", "cleancache" or any
	// name registered with transformer.Register. Conversion between the
	// caller's format and Type needs no entry.
	Transformers transformer.Specs `json:"transformers,omitempty"`
	// OAuth makes the Client's Authorizer (WithAuthorizer) sign the
	// channel's requests, with an OAuth access token kept in the Store,
	// instead of APIKey. Without an Authorizer the channel takes no traffic.
	OAuth bool `json:"oauth,omitempty"`
	// Limits are the channel's quotas: requests and tokens per minute,
	// hour or day. A channel over one is skipped until its window rolls.
	Limits []Limit `json:"limits,omitempty"`
}

// Enabled reports whether the channel takes traffic.
func (c *Channel) Enabled() bool { return !c.Disabled }

// Validate reports the first problem with the channel's configuration,
// naming the channel and the field.
func (c *Channel) Validate() error {
	if c.ID == "" {
		return &ConfigError{Kind: "channel", ID: c.Name, Field: "id", Err: errRequired}
	}
	if err := validID(c.ID); err != nil {
		return &ConfigError{Kind: "channel", ID: strconv.Quote(c.ID), Field: "id", Err: err}
	}
	if !c.Type.Valid() {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "type", Err: fmt.Errorf("unknown format %q (want %q, %q, %q or %q)", c.Type, FormatAnthropic, FormatOpenAI, FormatResponses, FormatGemini)}
	}
	if c.BaseURL == "" {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "baseUrl", Err: errRequired}
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "baseUrl", Err: fmt.Errorf("%q is not an http(s) URL", c.BaseURL)}
	}
	for _, m := range c.Models {
		if _, err := path.Match(m, ""); err != nil {
			return &ConfigError{Kind: "channel", ID: c.ID, Field: "models", Err: fmt.Errorf("bad pattern %q: %w", m, err)}
		}
	}
	if c.Weight < 0 {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "weight", Err: fmt.Errorf("must not be negative")}
	}
	if c.Timeout < 0 {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "timeout", Err: fmt.Errorf("must not be negative")}
	}
	if c.StreamIdleTimeout < 0 {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "streamIdleTimeout", Err: fmt.Errorf("must not be negative")}
	}
	for k, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return &ConfigError{Kind: "channel", ID: c.ID, Field: "headers", Err: fmt.Errorf("%q is not a valid header name", k)}
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return &ConfigError{Kind: "channel", ID: c.ID, Field: "headers", Err: fmt.Errorf("the value of %s has characters a header cannot carry (line breaks, control characters)", k)}
		}
	}
	for _, k := range c.ForwardHeaders {
		if !httpguts.ValidHeaderFieldName(k) {
			return &ConfigError{Kind: "channel", ID: c.ID, Field: "forwardHeaders", Err: fmt.Errorf("%q is not a valid header name", k)}
		}
	}
	for i, l := range c.Limits {
		if err := l.validate(); err != nil {
			return &ConfigError{Kind: "channel", ID: c.ID, Field: fmt.Sprintf("limits[%d]", i), Err: err}
		}
	}
	if _, err := transformer.NewChain(c.Type, c.Transformers); err != nil {
		return &ConfigError{Kind: "channel", ID: c.ID, Field: "transformers", Err: err}
	}
	return nil
}

// validID accepts the IDs that are safe in a URL path segment, a log line,
// a file name and a metric label: printable, no slash or backslash, not a
// dot segment, at most 128 bytes.
func validID(id string) error {
	if len(id) > 128 {
		return fmt.Errorf("longer than 128 bytes")
	}
	if id == "." || id == ".." {
		return fmt.Errorf("must not be a dot segment")
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || unicode.IsControl(r) {
			return fmt.Errorf("must not hold %q", r)
		}
	}
	return nil
}

// forwards reports whether the channel passes the caller's header k on
// (ForwardHeaders).
func (c *Channel) forwards(k string) bool {
	for _, h := range c.ForwardHeaders {
		if strings.EqualFold(h, k) {
			return true
		}
	}
	return false
}

// Serves reports whether the channel serves model.
func (c *Channel) Serves(model string) bool {
	if len(c.Models) == 0 {
		return true
	}
	if _, ok := c.ModelMap[model]; ok {
		return true
	}
	for _, m := range c.Models {
		if m == model {
			return true
		}
		if isPattern(m) {
			if ok, _ := path.Match(m, model); ok {
				return true
			}
		}
	}
	return false
}

// isPattern reports whether a name in Channel.Models is a path.Match
// glob rather than a model's name.
func isPattern(model string) bool { return strings.ContainsAny(model, "*?[") }

// UpstreamModel returns the name the channel knows model by.
func (c *Channel) UpstreamModel(model string) string {
	if m, ok := c.ModelMap[model]; ok && m != "" {
		return m
	}
	return model
}

// clone returns a deep copy, so the snapshot never shares maps or slices
// with a value the caller still holds.
func (c Channel) clone() Channel {
	if c.Models != nil {
		c.Models = append([]string(nil), c.Models...)
	}
	if c.ModelMap != nil {
		m := make(map[string]string, len(c.ModelMap))
		for k, v := range c.ModelMap {
			m[k] = v
		}
		c.ModelMap = m
	}
	if c.Transformers != nil {
		c.Transformers = append([]transformer.Spec(nil), c.Transformers...)
	}
	if c.Limits != nil {
		c.Limits = append([]Limit(nil), c.Limits...)
	}
	if c.ForwardHeaders != nil {
		c.ForwardHeaders = append([]string(nil), c.ForwardHeaders...)
	}
	if c.Headers != nil {
		h := make(map[string]string, len(c.Headers))
		for k, v := range c.Headers {
			h[k] = v
		}
		c.Headers = h
	}
	return c
}

// Redacted returns a copy of the channel safe to show: the API key is
// replaced by a hint of its last four characters.
func (c Channel) Redacted() Channel {
	c = c.clone()
	c.APIKey = RedactSecret(c.APIKey)
	c.BaseURL = RedactURL(c.BaseURL)
	for k := range c.Headers {
		if sensitiveHeader(k) {
			c.Headers[k] = RedactSecret(c.Headers[k])
		}
	}
	return c
}

// endpointPaths are the endpoints routex appends to a channel's BaseURL.
var endpointPaths = [...]string{"/chat/completions", "/messages", "/responses"}

// cutEndpoint returns a URL path without an endpoint routex appends itself
// at its end ("/api/v1/chat/completions" → "/api/v1"), and what it cut.
func cutEndpoint(p string) (string, string) {
	for _, e := range endpointPaths {
		if rest, ok := strings.CutSuffix(p, e); ok && rest != "" {
			return rest, e
		}
	}
	return p, ""
}

// TrimEndpoint returns baseURL without an endpoint path routex appends to
// it ("https://openrouter.ai/api/v1/chat/completions" →
// "https://openrouter.ai/api/v1"), and the path it took off, "" when it
// took none. The Client does the same to every channel's BaseURL, so an
// endpoint is never sent twice; a program that stores channels can use it
// to store, and show, the URL as it is used.
func TrimEndpoint(baseURL string) (string, string) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return baseURL, ""
	}
	p, cut := cutEndpoint(strings.TrimSuffix(u.Path, "/"))
	if cut == "" {
		return baseURL, ""
	}
	u.Path, u.RawPath = p, ""
	return u.String(), cut
}

// RedactURL hides the secrets a URL can carry: its user info and the
// values of query parameters named like credentials ("key", "api_key",
// "token", "sig", …; some providers take "?key="). A URL without either is returned as it is, so an unchanged
// redacted URL tells a form that the stored one stands.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	changed := false
	if u.User != nil {
		u.User, changed = url.User("redacted"), true
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if !sensitiveParam(k) {
				continue
			}
			for i := range vs {
				vs[i] = "redacted"
			}
			changed = true
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return s
	}
	return u.String()
}

// RedactSecret hides a secret, keeping only enough to tell keys apart.
func RedactSecret(s string) string { return secret.Redact(s) }

func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	return sensitiveHeader(n) || strings.Contains(n, "sig") || strings.Contains(n, "pass") ||
		strings.Contains(n, "auth") || strings.Contains(n, "credential")
}

func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "authorization" || n == "proxy-authorization" || n == "cookie" ||
		strings.Contains(n, "key") || strings.Contains(n, "token") || strings.Contains(n, "secret")
}
