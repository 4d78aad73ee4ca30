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
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cacheRead"`
	CacheWrite float64 `json:"cacheWrite"`
}

// Cost returns what the given token counts cost at p, in USD.
func (p Price) Cost(in, out, cacheRead, cacheWrite int64) float64 {
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
	prices map[string]Price // by normalized name
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
// of current Anthropic, OpenAI and Google models at standard API rates for
// prompts under each provider's long-context threshold. Prices change and
// contracts differ, so programs should override what they know better with
// With.
func DefaultPricing() *Pricing { return defaultPricing() }

// With returns a Pricing with the prices of p, replaced or added to by
// overrides, which are keyed by model name. p is not changed.
func (p *Pricing) With(overrides map[string]Price) *Pricing {
	out := &Pricing{prices: make(map[string]Price, len(p.prices)+len(overrides))}
	maps.Copy(out.prices, p.prices)
	for name, price := range overrides {
		out.prices[normalizeModel(name)] = price
	}
	return out
}

// Lookup returns the price of model, and whether it has one.
func (p *Pricing) Lookup(model string) (Price, bool) {
	if p == nil || len(p.prices) == 0 {
		return Price{}, false
	}
	if price, ok := p.prices[model]; ok {
		return price, true // the common case: a canonical name, no rewriting
	}
	name := normalizeModel(model)
	for {
		if price, ok := p.prices[name]; ok {
			return price, true
		}
		loc := snapshotSuffix.FindStringIndex(name)
		if loc == nil {
			return Price{}, false
		}
		name = name[:loc[0]]
	}
}

// Cost returns what the token counts cost on model, in USD, and whether
// the model has a price. An unknown model's cost is unknown, not zero.
func (p *Pricing) Cost(model string, in, out, cacheRead, cacheWrite int64) (usd float64, ok bool) {
	price, ok := p.Lookup(model)
	if !ok {
		return 0, false
	}
	return price.Cost(in, out, cacheRead, cacheWrite), true
}

// RecordCost returns the cost of r: priced by r.UpstreamModel, the name the
// provider bills, or by r.Model when that has no price. It returns nil, an
// unknown cost, when neither has one. Assign it to r.Cost.
func (p *Pricing) RecordCost(r *Record) *float64 {
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
