package routex

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/routex/routex/balancer"
	"github.com/routex/routex/transformer"
)

// config is one immutable snapshot of what routing needs. A change builds a
// new snapshot and swaps the pointer, so the request path reads it without
// locks and a request sees one consistent configuration from start to end.
type config struct {
	routes   []*route          // every channel, code's first, then the Store's by ID
	byID     map[string]*route //
	rules    []*compiledRule   // enabled rules, highest priority first
	strategy string            // balancer's name, "" for a custom balancer
	balancer balancer.Balancer //
	observer balancer.Observer // balancer as an Observer, nil if it is not one
}

// route is a channel prepared for the request path.
type route struct {
	Channel
	base     url.URL // BaseURL parsed
	basePath string  // base.Path without its trailing slash
	timeout  time.Duration
	weight   int
	chain    transformer.Chain // validated with the channel
}

func newRoute(ch Channel, defTimeout time.Duration) *route {
	rt := &route{Channel: ch.clone(), timeout: ch.Timeout, weight: ch.Weight}
	if u, err := url.Parse(ch.BaseURL); err == nil {
		rt.base = *u
	}
	rt.basePath = strings.TrimSuffix(rt.base.Path, "/")
	// A BaseURL copied with its endpoint ("…/v1/chat/completions") would
	// have the endpoint twice.
	rt.basePath, _ = cutEndpoint(rt.basePath)
	if rt.timeout == 0 {
		rt.timeout = defTimeout
	}
	rt.chain, _ = transformer.NewChain(ch.Type, ch.Transformers)
	if rt.weight <= 0 {
		rt.weight = 1
	}
	if rt.Name == "" {
		rt.Name = rt.ID
	}
	return rt
}

// upstreamURL maps the caller's path onto the channel's BaseURL. The part
// from "/v1" on names the endpoint; a BaseURL with a path of its own
// ("https://openrouter.ai/api/v1") replaces "/v1", a bare host keeps it. A
// gemini channel's path is placed below its API version (geminiEndpoint).
func (rt *route) upstreamURL(path, rawQuery string) *url.URL {
	u := rt.base
	endpoint := path
	switch {
	case rt.Type == FormatGemini:
		endpoint = rt.geminiEndpoint(path)
	case strings.Contains(path, "/v1/"):
		endpoint = path[strings.Index(path, "/v1/"):]
	case strings.HasSuffix(path, "/v1"):
		endpoint = "/v1"
	}
	if rt.basePath != "" && rt.Type != FormatGemini {
		endpoint = rt.basePath + strings.TrimPrefix(endpoint, "/v1")
	}
	u.Path, u.RawPath = endpoint, ""
	if rawQuery != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&" + rawQuery
		} else {
			u.RawQuery = rawQuery
		}
	}
	return &u
}

func (rt *route) candidate() balancer.Candidate {
	return balancer.Candidate{ID: rt.ID, Priority: rt.Priority, Weight: rt.weight}
}

// buildConfig merges code and Store configuration into a snapshot. Code wins
// on ID clashes. A Store rule that does not compile is skipped and reported
// through skip, so that bad stored data cannot stop the Client.
func buildConfig(codeCh, storeCh []Channel, codeRules []*compiledRule, storeRules []Rule,
	customs map[string]Matcher, defTimeout time.Duration, skip func(error)) *config {
	cfg := &config{byID: make(map[string]*route, len(codeCh)+len(storeCh))}
	add := func(ch Channel) {
		if _, dup := cfg.byID[ch.ID]; dup {
			return
		}
		if err := ch.Validate(); err != nil {
			skip(err)
			return
		}
		rt := newRoute(ch, defTimeout)
		cfg.routes = append(cfg.routes, rt)
		cfg.byID[ch.ID] = rt
	}
	for _, ch := range codeCh {
		add(ch)
	}
	sorted := slices.Clone(storeCh)
	slices.SortFunc(sorted, func(a, b Channel) int { return strings.Compare(a.ID, b.ID) })
	for _, ch := range sorted {
		add(ch)
	}

	seen := make(map[string]bool, len(codeRules)+len(storeRules))
	for _, cr := range codeRules {
		seen[cr.ID] = true
		if !cr.Disabled {
			cfg.rules = append(cfg.rules, cr)
		}
	}
	for _, r := range storeRules {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		cr, err := compileRule(r, customs)
		if err != nil {
			skip(err)
			continue
		}
		if !cr.Disabled {
			cfg.rules = append(cfg.rules, cr)
		}
	}
	slices.SortStableFunc(cfg.rules, func(a, b *compiledRule) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		return strings.Compare(a.ID, b.ID)
	})
	return cfg
}
