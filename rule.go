package routex

import (
	"fmt"
	"net/textproto"
	"path"
	"regexp"
	"strings"
)

// Matcher decides whether a rule applies to a request. Implementations must
// be safe for concurrent use and must not modify the Request.
type Matcher interface {
	Match(r *Request) (bool, error)
}

// MatcherFunc adapts a function to a Matcher.
type MatcherFunc func(r *Request) (bool, error)

// Match calls f(r).
func (f MatcherFunc) Match(r *Request) (bool, error) { return f(r) }

// Rule sends the requests that match its Condition (and Matcher, if set) to a
// target channel, optionally under another model name. Rules are evaluated
// highest Priority first; the first that matches and whose target can take
// the request wins. When none does, the balancer chooses.
type Rule struct {
	// ID identifies the rule; it is reported in the X-Routex-Rule header and
	// in analytics records. Required, unique.
	ID string `json:"id"`
	// Name is shown to people; it defaults to ID.
	Name string `json:"name,omitempty"`
	// Priority orders evaluation: higher first; ties by ID.
	Priority int `json:"priority,omitempty"`
	// Disabled keeps the rule but skips it. The zero value is enabled.
	Disabled bool `json:"disabled,omitempty"`
	// Condition is the declarative part; all set fields must hold.
	Condition Condition `json:"condition"`
	// Matcher, if set, must match too. It is Go code, so it is not stored.
	Matcher Matcher `json:"-"`
	// Target says where matching requests go.
	Target Target `json:"target"`
}

// Target is where a rule sends a request.
type Target struct {
	// Channel is the ID of the channel to use. Required.
	Channel string `json:"channel"`
	// Model, if set, replaces the requested model.
	Model string `json:"model,omitempty"`
}

// Condition is a JSON-serialisable predicate over a Request. Every field that
// is set must hold (AND); a Condition with no field set matches everything.
type Condition struct {
	// TokenThreshold holds when the estimated input tokens are at least N.
	TokenThreshold int `json:"tokenThreshold,omitempty"`
	// Keywords holds when any keyword appears in the user text, ignoring case.
	Keywords []string `json:"keywords,omitempty"`
	// UserPattern is a regular expression (RE2) searched in the user text.
	UserPattern string `json:"userPattern,omitempty"`
	// ModelPattern matches the requested model: a glob ("claude-*") when it
	// contains no regexp-only syntax, otherwise a regular expression, which
	// may be written "/expr/" to be explicit. Globs match the whole name.
	ModelPattern string `json:"modelPattern,omitempty"`
	// HasTools, when set, requires the request to define tools (or not).
	HasTools *bool `json:"hasTools,omitempty"`
	// HasImages, when set, requires the request to carry images (or not).
	HasImages *bool `json:"hasImages,omitempty"`
	// Thinking, when set, requires extended thinking / reasoning to be
	// requested (or not).
	Thinking *bool `json:"thinking,omitempty"`
	// WebSearch, when set, requires a web search tool to be present (or not).
	WebSearch *bool `json:"webSearch,omitempty"`
	// Header holds when the named request header matches Pattern (RE2).
	Header *HeaderCondition `json:"header,omitempty"`
	// Custom names a Go condition registered with WithCondition.
	Custom string `json:"custom,omitempty"`
}

// HeaderCondition matches one request header.
type HeaderCondition struct {
	Name    string `json:"name"`
	Pattern string `json:"pattern"` // RE2, searched in each value; "" means present
}

// Bool returns a pointer to b, for the optional fields of Condition.
func Bool(b bool) *bool { return &b }

// compiledRule is a Rule with its patterns compiled, ready for the hot path.
type compiledRule struct {
	Rule
	keywords []string // lower-cased
	user     *regexp.Regexp
	model    *regexp.Regexp
	glob     string
	header   *regexp.Regexp
	hdrName  string // canonical
	custom   Matcher
}

// compileRule validates r and compiles its patterns. customs resolves
// Condition.Custom names.
func compileRule(r Rule, customs map[string]Matcher) (*compiledRule, error) {
	bad := func(field string, err error) error {
		return &ConfigError{Kind: "rule", ID: r.ID, Field: field, Err: err}
	}
	if r.ID == "" {
		return nil, &ConfigError{Kind: "rule", ID: r.Name, Field: "id", Err: errRequired}
	}
	if r.Target.Channel == "" {
		return nil, bad("target.channel", errRequired)
	}
	c := r.Condition
	cr := &compiledRule{Rule: r}
	if c.TokenThreshold < 0 {
		return nil, bad("condition.tokenThreshold", fmt.Errorf("must not be negative"))
	}
	for _, k := range c.Keywords {
		if k = strings.TrimSpace(k); k == "" {
			return nil, bad("condition.keywords", fmt.Errorf("empty keyword"))
		}
		cr.keywords = append(cr.keywords, strings.ToLower(k))
	}
	var err error
	if c.UserPattern != "" {
		if cr.user, err = regexp.Compile(c.UserPattern); err != nil {
			return nil, bad("condition.userPattern", err)
		}
	}
	if p := c.ModelPattern; p != "" {
		if len(p) > 2 && p[0] == '/' && p[len(p)-1] == '/' {
			if cr.model, err = regexp.Compile(p[1 : len(p)-1]); err != nil {
				return nil, bad("condition.modelPattern", err)
			}
		} else if isGlob(p) {
			if _, err := path.Match(p, ""); err != nil {
				return nil, bad("condition.modelPattern", err)
			}
			cr.glob = p
		} else if cr.model, err = regexp.Compile(p); err != nil {
			return nil, bad("condition.modelPattern", err)
		}
	}
	if h := c.Header; h != nil {
		if h.Name == "" {
			return nil, bad("condition.header.name", errRequired)
		}
		cr.hdrName = textproto.CanonicalMIMEHeaderKey(h.Name)
		if h.Pattern != "" {
			if cr.header, err = regexp.Compile(h.Pattern); err != nil {
				return nil, bad("condition.header.pattern", err)
			}
		}
	}
	if c.Custom != "" {
		m, ok := customs[c.Custom]
		if !ok {
			return nil, bad("condition.custom", fmt.Errorf("no condition registered as %q", c.Custom))
		}
		cr.custom = m
	}
	return cr, nil
}

// isGlob reports whether a model pattern reads as a glob: only name
// characters and the glob operators * ? and [...].
func isGlob(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '@':
		case c == '*' || c == '?' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// match reports whether the rule's condition and matcher hold for r.
// Cheap tests run first so that costly ones (text scans) are skipped when
// they cannot change the answer.
func (cr *compiledRule) match(r *Request) (bool, error) {
	c := &cr.Condition
	if cr.glob != "" {
		if ok, _ := path.Match(cr.glob, r.Model); !ok {
			return false, nil
		}
	} else if cr.model != nil && !cr.model.MatchString(r.Model) {
		return false, nil
	}
	if cr.hdrName != "" && !cr.matchHeader(r) {
		return false, nil
	}
	if c.HasTools != nil && *c.HasTools != r.HasTools() {
		return false, nil
	}
	if c.HasImages != nil && *c.HasImages != r.HasImages() {
		return false, nil
	}
	if c.Thinking != nil && *c.Thinking != r.Thinking() {
		return false, nil
	}
	if c.WebSearch != nil && *c.WebSearch != r.WebSearch() {
		return false, nil
	}
	if len(cr.keywords) > 0 && !containsAnyFold(r.UserText(), cr.keywords) {
		return false, nil
	}
	if cr.user != nil && !cr.user.MatchString(r.UserText()) {
		return false, nil
	}
	if c.TokenThreshold > 0 && r.InputTokens() < c.TokenThreshold {
		return false, nil
	}
	if cr.custom != nil {
		if ok, err := cr.custom.Match(r); err != nil || !ok {
			return false, err
		}
	}
	if cr.Matcher != nil {
		return cr.Matcher.Match(r)
	}
	return true, nil
}

func (cr *compiledRule) matchHeader(r *Request) bool {
	if r.HTTP == nil {
		return false
	}
	vals := r.HTTP.Header[cr.hdrName]
	if len(vals) == 0 {
		return false
	}
	if cr.header == nil {
		return true
	}
	for _, v := range vals {
		if cr.header.MatchString(v) {
			return true
		}
	}
	return false
}

// containsAnyFold reports whether s contains any of the lower-case needles,
// ignoring case, without allocating a lower-cased copy of s.
func containsAnyFold(s string, needles []string) bool {
	for _, n := range needles {
		if indexFold(s, n) >= 0 {
			return true
		}
	}
	return false
}

// indexFold is strings.Index with ASCII case folding on s; needle is
// already lower case. Non-ASCII bytes compare exactly.
func indexFold(s, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	first := needle[0]
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	// Fall back to Unicode folding when the needle has non-ASCII letters.
	for i := 0; i < n; i++ {
		if needle[i] >= 0x80 {
			return strings.Index(strings.ToLower(s), needle)
		}
	}
	return -1
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// CheckRule reports whether c would accept r, with the same *ConfigError
// New and SetRules give: every field is valid, every pattern compiles and
// a Custom condition names one registered with WithCondition. A program
// that writes rules to the Store checks them first, since the Client keeps
// its previous rules when a stored one is invalid.
func (c *Client) CheckRule(r Rule) error {
	_, err := compileRule(r, c.s.customs)
	return err
}
