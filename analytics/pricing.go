package analytics

import (
	_ "embed"
	"encoding/json"
	"maps"
	"regexp"
	"strings"
	"sync"
)

// Price is what a model costs, in USD per million tokens of each kind. The
// kinds match Record's token counts: Input excludes tokens read from or
// written to the prompt cache.
//
// A model that charges more for long prompts has a LongContext tier; its
// zero value means the model has one price whatever the prompt's size.
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cacheRead"`
	CacheWrite float64 `json:"cacheWrite"`

	LongContext Tier `json:"longContext,omitzero"`
}

// Tier is the price of a request whose prompt is longer than Above tokens,
// in USD per million tokens of each kind, as in Price. The prompt is all
// the request's input: its Input, CacheRead and CacheWrite tokens together.
// When a request is over the threshold, every one of its tokens, output
// included, is priced at the tier, which is how Google bills Gemini prompts
// over 200k tokens and Anthropic bills Claude prompts over 200k tokens in a
// 1M-token context window. A prompt of exactly Above tokens is priced at
// the base Price. A Tier whose Above is 0 is no tier.
type Tier struct {
	Above      int64   `json:"above"`
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cacheRead"`
	CacheWrite float64 `json:"cacheWrite"`
}

// Cost returns what the given token counts of one request cost at p, in
// USD: at p's LongContext tier when the prompt, in+cacheRead+cacheWrite, is
// longer than the tier's threshold, and at p's base prices otherwise.
func (p Price) Cost(in, out, cacheRead, cacheWrite int64) float64 {
	return p.cost(in, out, cacheRead, cacheWrite)
}

// cost is Cost on a pointer: Pricing prices every request with it, and
// copying a Price with its tier would cost more than the arithmetic.
func (p *Price) cost(in, out, cacheRead, cacheWrite int64) float64 {
	if t := &p.LongContext; t.Above > 0 && in+cacheRead+cacheWrite > t.Above {
		return (float64(in)*t.Input + float64(out)*t.Output +
			float64(cacheRead)*t.CacheRead + float64(cacheWrite)*t.CacheWrite) / 1e6
	}
	// One division at the end keeps round prices exact: 1000 tokens at $3
	// is 0.003, not 0.0030000000000000005.
	return (float64(in)*p.Input + float64(out)*p.Output +
		float64(cacheRead)*p.CacheRead + float64(cacheWrite)*p.CacheWrite) / 1e6
}

// Pricing prices models by name. It is immutable: With returns a new
// Pricing. The zero value has no prices.
//
// Names match loosely, so that the names providers and gateways report find
// the listed model: case is ignored, "." and "-" are the same ("gpt-4.1",
// "claude-sonnet-4.5"), a provider or region prefix is dropped
// ("anthropic/claude-…", "openai/gpt-4o", "models/gemini-…",
// "us.anthropic.claude-…"), and so are "@…" and ":…" suffixes and dated or
// numbered snapshots ("claude-sonnet-4-5-20250929", "gpt-4o-2024-08-06",
// "gemini-2.0-flash-001", "-latest"). An exact entry wins over a loose one,
// so a snapshot priced differently from its family can be listed on its own.
// Nothing else is guessed: a model that is not listed has no price.
//
// Pricing is safe for concurrent use.
type Pricing struct {
	prices map[string]*Price // by normalized name
}

//go:embed pricing.json
var pricingJSON []byte

var defaultPricing = sync.OnceValue(func() *Pricing {
	var file struct {
		Models map[string]Price `json:"models"`
	}
	if err := json.Unmarshal(pricingJSON, &file); err != nil {
		panic("analytics: embedded pricing.json: " + err.Error())
	}
	return (&Pricing{}).With(file.Models)
})

// DefaultPricing returns the pricing table embedded in routex: list prices
// of current Anthropic, OpenAI and Google models at standard API rates,
// with the long-context tier of the models that have one (Gemini 2.5 Pro,
// 3 Pro and 3.1 Pro; Claude Sonnet 4 and 4.5). Prices change and contracts
// differ, so programs should override what they know better with With.
func DefaultPricing() *Pricing { return defaultPricing() }

// With returns a Pricing with the prices of p, replaced or added to by
// overrides, which are keyed by model name. p is not changed. An override
// replaces a model's whole Price, its LongContext tier too: an override
// without a tier prices every prompt at its base prices.
func (p *Pricing) With(overrides map[string]Price) *Pricing {
	out := &Pricing{prices: make(map[string]*Price, len(p.prices)+len(overrides))}
	maps.Copy(out.prices, p.prices) // shared: a Pricing never changes a price it holds
	for name, price := range overrides {
		out.prices[normalizeModel(name)] = &price
	}
	return out
}

// Lookup returns the price of model, and whether it has one.
func (p *Pricing) Lookup(model string) (Price, bool) {
	if price := p.find(model); price != nil {
		return *price, true
	}
	return Price{}, false
}

// Cost returns what the token counts of one request cost on model, in USD,
// and whether the model has a price. An unknown model's cost is unknown,
// not zero. The counts must be one request's: a long-context tier is
// chosen by the size of each prompt, not of a sum of them.
func (p *Pricing) Cost(model string, in, out, cacheRead, cacheWrite int64) (usd float64, ok bool) {
	price := p.find(model)
	if price == nil {
		return 0, false
	}
	return price.cost(in, out, cacheRead, cacheWrite), true
}

// find returns the price of model, or nil.
func (p *Pricing) find(model string) *Price {
	if p == nil || len(p.prices) == 0 {
		return nil
	}
	if price, ok := p.prices[model]; ok {
		return price // the common case: a canonical name, no rewriting
	}
	name := normalizeModel(model)
	for {
		if price, ok := p.prices[name]; ok {
			return price
		}
		loc := snapshotSuffix.FindStringIndex(name)
		if loc == nil {
			return nil
		}
		name = name[:loc[0]]
	}
}

// RecordCost returns the cost of r: priced by r.UpstreamModel, the name the
// provider bills, or by r.Model when that has no price. It returns nil, an
// unknown cost, when neither has one. A request refused before any
// upstream attempt (Attempts 0) cost nothing, priced model or not. Assign
// it to r.Cost.
func (p *Pricing) RecordCost(r *Record) *float64 {
	if r.Attempts == 0 {
		return new(float64)
	}
	for _, m := range []string{r.UpstreamModel, r.Model} {
		if m == "" {
			continue
		}
		if usd, ok := p.Cost(m, r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens); ok {
			return &usd
		}
	}
	return nil
}

// snapshotSuffix matches one dated or numbered snapshot suffix: Anthropic's
// -20250929, OpenAI's -2024-08-06 and -0613, Google's -001, and -latest.
var snapshotSuffix = regexp.MustCompile(`-(\d{8}|\d{4}-\d{2}-\d{2}|\d{4}|\d{3}|latest)$`)

// bedrockVersion matches the version Amazon Bedrock appends to model ids.
var bedrockVersion = regexp.MustCompile(`-v\d+$`)

// namePrefixes are dropped from the front of a model name: Bedrock's
// cross-region and vendor prefixes.
var namePrefixes = []string{"global.", "us.", "eu.", "apac.", "anthropic.", "openai.", "google."}

func normalizeModel(name string) string {
	s := strings.ToLower(strings.TrimSpace(name))
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	for _, prefix := range namePrefixes {
		s = strings.TrimPrefix(s, prefix)
	}
	if i := strings.IndexAny(s, "@:"); i >= 0 {
		s = s[:i]
	}
	s = bedrockVersion.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, ".", "-")
}
