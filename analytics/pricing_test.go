package analytics_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"testing"

	"github.com/routex/routex/analytics"
)

func TestPricingKnownModelExact(t *testing.T) {
	p := analytics.DefaultPricing()
	for _, tt := range []struct {
		model           string
		in, out, cr, cw int64
		want            float64
	}{
		// 2000×$3 + 500×$15 + 10000×$0.30 + 1000×$3.75 = $20250 per million
		{"claude-sonnet-4-5", 2000, 500, 10_000, 1000, 0.02025},
		{"claude-opus-4-1", 1_000_000, 1_000_000, 0, 0, 90},
		{"claude-haiku-4-5", 1000, 1000, 0, 0, 0.006},
		{"gpt-4o", 1_000_000, 0, 1_000_000, 0, 3.75},
		{"gpt-4o-mini", 1_000_000, 1_000_000, 0, 0, 0.75},
		{"gemini-2.5-pro", 0, 1_000_000, 0, 0, 10},
		{"o4-mini", 0, 0, 0, 0, 0},
	} {
		got, ok := p.Cost(tt.model, tt.in, tt.out, tt.cr, tt.cw)
		if !ok || got != tt.want {
			t.Errorf("Cost(%s, %d, %d, %d, %d) = %v, %v; want %v, true", tt.model, tt.in, tt.out, tt.cr, tt.cw, got, ok, tt.want)
		}
	}
}

func TestPricingUnknownModel(t *testing.T) {
	p := analytics.DefaultPricing()
	for _, m := range []string{
		"", "my-finetune", "claude", "gpt", "claude-sonnet-9",
		// A listed family with an unlisted variant is not guessed at.
		"gpt-4o-audio-preview", "gpt-4o-mini-realtime-preview", "gemini-2.5-flash-preview-04-17",
	} {
		if usd, ok := p.Cost(m, 1000, 1000, 0, 0); ok {
			t.Errorf("Cost(%q) = %v, true; want unknown", m, usd)
		}
	}
	var zero analytics.Pricing
	if _, ok := zero.Cost("gpt-4o", 1, 1, 0, 0); ok {
		t.Error("the zero Pricing priced a model")
	}
}

func TestPricingNameMatching(t *testing.T) {
	p := analytics.DefaultPricing()
	for _, tt := range []struct{ name, as string }{
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-sonnet-4-20250514", "claude-sonnet-4"},
		{"claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		{"Claude-Opus-4-1", "claude-opus-4-1"},
		{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"},
		{"openai/gpt-4o", "gpt-4o"},
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"gpt-4-0613", "gpt-4"},
		{"o3-2025-04-16", "o3"},
		{"models/gemini-2.5-flash", "gemini-2.5-flash"},
		{"google/gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"openrouter/anthropic/claude-haiku-4.5:beta", "claude-haiku-4-5"},
	} {
		got, ok := p.Lookup(tt.name)
		want, _ := p.Lookup(tt.as)
		if !ok || got != want {
			t.Errorf("Lookup(%q) = %+v, %v; want the price of %s, %+v", tt.name, got, ok, tt.as, want)
		}
	}
	// A snapshot listed on its own keeps its own price.
	old, _ := p.Lookup("gpt-4o-2024-05-13")
	cur, _ := p.Lookup("gpt-4o")
	if old == cur {
		t.Errorf("gpt-4o-2024-05-13 is priced as gpt-4o: %+v", old)
	}
}

func TestPricingWith(t *testing.T) {
	base := analytics.DefaultPricing()
	before, _ := base.Lookup("claude-sonnet-4-5")
	custom := analytics.Price{Input: 1, Output: 2, CacheRead: 0.5, CacheWrite: 1.5}
	p := base.With(map[string]analytics.Price{
		"Claude-Sonnet-4.5": custom, // names are matched as lookups are
		"my-finetune":       {Input: 10, Output: 20},
	})
	if got, _ := p.Lookup("claude-sonnet-4-5-20250929"); got != custom {
		t.Errorf("overridden price = %+v, want %+v", got, custom)
	}
	if usd, ok := p.Cost("my-finetune", 1_000_000, 500_000, 0, 0); !ok || usd != 20 {
		t.Errorf("added model costs %v, %v; want 20", usd, ok)
	}
	if got, ok := p.Lookup("gpt-4o"); !ok || got.Input != 2.5 {
		t.Errorf("untouched model = %+v, %v", got, ok)
	}
	if got, _ := base.Lookup("claude-sonnet-4-5"); got != before {
		t.Errorf("With changed the Pricing it was called on: %+v", got)
	}
	if _, ok := analytics.DefaultPricing().Lookup("my-finetune"); ok {
		t.Error("With changed DefaultPricing")
	}
}

func TestRecordCost(t *testing.T) {
	p := analytics.DefaultPricing()
	r := analytics.Record{Model: "sonnet", UpstreamModel: "claude-sonnet-4-5-20250929", InputTokens: 100_000, Attempts: 1}
	if c := p.RecordCost(&r); c == nil || *c != 0.3 {
		t.Errorf("RecordCost by upstream model = %v, want 0.3", c)
	}
	// A prompt over 200k tokens, most of it from the cache: 1000×$2.50 +
	// 250000×$0.25 + 2000×$15 = $95000 per million.
	r = analytics.Record{Model: "gemini", UpstreamModel: "models/gemini-2.5-pro", InputTokens: 1000, CacheReadTokens: 250_000, OutputTokens: 2000, Attempts: 1}
	if c := p.RecordCost(&r); c == nil || *c != 0.095 {
		t.Errorf("RecordCost of a long prompt = %v, want 0.095", c)
	}
	r = analytics.Record{Model: "gpt-4o", UpstreamModel: "my-deployment", OutputTokens: 1_000_000, Attempts: 2}
	if c := p.RecordCost(&r); c == nil || *c != 10 {
		t.Errorf("RecordCost falling back to Model = %v, want 10", c)
	}
	r = analytics.Record{Model: "mystery", InputTokens: 5, Attempts: 1}
	if c := p.RecordCost(&r); c != nil {
		t.Errorf("RecordCost of an unknown model = %v, want nil", *c)
	}
	// Refused before any upstream was asked: nothing was billed, whatever
	// the model.
	for _, m := range []string{"mystery", "gpt-4o", ""} {
		r = analytics.Record{Model: m, Status: 400}
		if c := p.RecordCost(&r); c == nil || *c != 0 {
			t.Errorf("RecordCost of %q refused before routing = %v, want 0", m, c)
		}
	}
}

// Every listed price is sane: no negative prices, output at least input,
// and a cache read no dearer than input.
func TestPricingTable(t *testing.T) {
	b, err := os.ReadFile("pricing.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Models map[string]analytics.Price `json:"models"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Models) < 40 {
		t.Errorf("only %d models", len(file.Models))
	}
	for name, pr := range file.Models {
		if pr.Input <= 0 || pr.Output < pr.Input || pr.CacheRead <= 0 || pr.CacheRead > pr.Input || pr.CacheWrite < pr.Input {
			t.Errorf("%s: implausible price %+v", name, pr)
		}
		// A long-context tier is dearer than the base price in every kind,
		// and starts where both providers start theirs.
		if lc := pr.LongContext; lc != (analytics.Tier{}) {
			if lc.Above != 200_000 || lc.Input <= pr.Input || lc.Output <= pr.Output ||
				lc.CacheRead <= pr.CacheRead || lc.CacheRead > lc.Input || lc.CacheWrite <= pr.CacheWrite || lc.CacheWrite < lc.Input {
				t.Errorf("%s: implausible long-context tier %+v of %+v", name, lc, pr)
			}
		}
		if got, ok := analytics.DefaultPricing().Lookup(name); !ok || got != pr {
			t.Errorf("%s: Lookup = %+v, %v", name, got, ok)
		}
	}
}

func TestPriceCostLongContext(t *testing.T) {
	p := analytics.DefaultPricing()
	for _, tt := range []struct {
		name            string
		model           string
		in, out, cr, cw int64
		want            float64
	}{
		// 150000×$1.25 + 10000×$10 + 40000×$0.125 = $292500 per million
		{"below", "gemini-2.5-pro", 150_000, 10_000, 40_000, 0, 0.2925},
		// A prompt of exactly 200k is not over it:
		// 160000×$1.25 + 10000×$10 + 40000×$0.125 = $305000 per million
		{"at", "gemini-2.5-pro", 160_000, 10_000, 40_000, 0, 0.305},
		// One token more and every token is at the tier, output too:
		// 160001×$2.50 + 10000×$15 + 40000×$0.25 = $560002.50 per million
		{"above", "gemini-2.5-pro", 160_001, 10_000, 40_000, 0, 0.5600025},
		// Cache writes are part of the prompt:
		// 100000×$2.50 + 100001×$2.50 = $500002.50 per million
		{"above by cache writes", "gemini-2.5-pro", 100_000, 0, 0, 100_001, 0.5000025},
		// So are cache reads, though input alone is far under:
		// 1000×$2.50 + 199001×$0.25 + 1000×$15 = $67250.25 per million
		{"above by cache reads", "models/gemini-2.5-pro", 1000, 1000, 199_001, 0, 0.06725025},
		// Output does not count towards the prompt:
		// 200000×$2 + 300000×$12 = $4000000 per million
		{"long output", "gemini-3-pro-preview", 200_000, 300_000, 0, 0, 4},
		// 250000×$4 + 20000×$18 = $1360000 per million
		{"above", "gemini-3-pro-preview", 250_000, 20_000, 0, 0, 1.36},
		{"above", "gemini-3.1-pro-preview", 250_000, 20_000, 0, 0, 1.36},
		// 200000×$3 + 10000×$15 = $750000 per million
		{"at", "claude-sonnet-4-5", 200_000, 10_000, 0, 0, 0.75},
		// 300000×$6 + 10000×$22.50 + 100000×$0.60 + 10000×$7.50
		// = $2160000 per million
		{"above", "claude-sonnet-4-5-20250929", 300_000, 10_000, 100_000, 10_000, 2.16},
		{"above", "claude-sonnet-4-20250514", 300_000, 10_000, 100_000, 10_000, 2.16},
		// Models without a tier keep one price: 1M×$0.30 + 1M×$2.50
		{"no tier", "gemini-2.5-flash", 1_000_000, 1_000_000, 0, 0, 2.8},
		// 300000×$3 = $900000 per million
		{"no tier", "claude-sonnet-4-6", 300_000, 0, 0, 0, 0.9},
	} {
		t.Run(tt.model+"/"+tt.name, func(t *testing.T) {
			got, ok := p.Cost(tt.model, tt.in, tt.out, tt.cr, tt.cw)
			if !ok || got != tt.want {
				t.Errorf("Cost(%d, %d, %d, %d) = %v, %v; want %v, true", tt.in, tt.out, tt.cr, tt.cw, got, ok, tt.want)
			}
		})
	}
}

// A price without a tier, or with a tier whose Above is 0, costs what the
// four base prices say, bit for bit, however long the prompt.
func TestPriceCostWithoutTier(t *testing.T) {
	base := analytics.Price{Input: 0.3, Output: 2.5, CacheRead: 0.03, CacheWrite: 0.3}
	noAbove := base
	noAbove.LongContext = analytics.Tier{Input: 100, Output: 100, CacheRead: 100, CacheWrite: 100}
	for _, n := range [][4]int64{{0, 0, 0, 0}, {1, 1, 1, 1}, {123_457, 9_871, 33_333, 7}, {5_000_000, 1_000_000, 3_000_000, 1}} {
		want := (float64(n[0])*0.3 + float64(n[1])*2.5 + float64(n[2])*0.03 + float64(n[3])*0.3) / 1e6
		for _, p := range []analytics.Price{base, noAbove} {
			if got := p.Cost(n[0], n[1], n[2], n[3]); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%+v.Cost%v = %v, want %v", p, n, got, want)
			}
		}
	}
}

func TestPricingWithLongContext(t *testing.T) {
	tier := analytics.Tier{Above: 100_000, Input: 2, Output: 4, CacheRead: 0.5, CacheWrite: 2}
	p := analytics.DefaultPricing().With(map[string]analytics.Price{
		// A contract with one price for every prompt drops the table's tier.
		"gemini-2.5-pro": {Input: 1, Output: 8, CacheRead: 0.1, CacheWrite: 1},
		// A program can give a tier of its own, to a model that had none.
		"claude-sonnet-4.6": {Input: 1, Output: 2, CacheRead: 0.25, CacheWrite: 1, LongContext: tier},
	})
	for _, tt := range []struct {
		model           string
		in, out, cr, cw int64
		want            float64
	}{
		// 300000×$1 + 10000×$8 = $380000 per million
		{"gemini-2.5-pro", 300_000, 10_000, 0, 0, 0.38},
		// 100000×$1 + 10000×$2 = $120000 per million
		{"claude-sonnet-4-6-20260101", 100_000, 10_000, 0, 0, 0.12},
		// 50000×$2 + 10000×$4 + 50001×$0.50 = $165000.50 per million
		{"claude-sonnet-4-6", 50_000, 10_000, 50_001, 0, 0.1650005},
		// Untouched: 300000×$4 + 10000×$18 = $1380000 per million
		{"gemini-3-pro-preview", 300_000, 10_000, 0, 0, 1.38},
	} {
		if got, ok := p.Cost(tt.model, tt.in, tt.out, tt.cr, tt.cw); !ok || got != tt.want {
			t.Errorf("Cost(%s, %d, %d, %d, %d) = %v, %v; want %v, true", tt.model, tt.in, tt.out, tt.cr, tt.cw, got, ok, tt.want)
		}
	}
	if got, _ := analytics.DefaultPricing().Lookup("gemini-2.5-pro"); got.LongContext.Above != 200_000 {
		t.Errorf("With changed DefaultPricing's tier: %+v", got)
	}
}

func TestPricingGeminiNames(t *testing.T) {
	p := analytics.DefaultPricing()
	for _, tt := range []struct{ name, as string }{
		{"models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"google/gemini-2.5-pro", "gemini-2.5-pro"},
		{"Gemini-2.5-Pro", "gemini-2.5-pro"},
		{"models/gemini-3.1-pro-preview", "gemini-3.1-pro-preview"},
		{"gemini-3-1-pro-preview", "gemini-3.1-pro-preview"},
		{"models/gemini-3-pro-preview", "gemini-3-pro-preview"},
		{"gemini-3-flash-preview", "gemini-3-flash-preview"},
		{"gemini-2.5-flash-lite", "gemini-2.5-flash-lite"},
		{"gemini-2.0-flash-lite-001", "gemini-2.0-flash-lite"},
	} {
		got, ok := p.Lookup(tt.name)
		want, _ := p.Lookup(tt.as)
		if !ok || got != want {
			t.Errorf("Lookup(%q) = %+v, %v; want the price of %s, %+v", tt.name, got, ok, tt.as, want)
		}
	}
	// 3 Pro and 3.1 Pro cost the same today, so tell them apart by giving
	// each a table of its own: neither name finds the other.
	for _, tt := range []struct{ listed, other string }{
		{"gemini-3-pro-preview", "gemini-3.1-pro-preview"},
		{"gemini-3.1-pro-preview", "gemini-3-pro-preview"},
		{"gemini-2.5-pro", "gemini-2.5-pro-preview-06-05"},
		{"gemini-2.5-flash", "gemini-2.5-flash-lite"},
	} {
		one := (&analytics.Pricing{}).With(map[string]analytics.Price{tt.listed: {Input: 1, Output: 1}})
		if _, ok := one.Lookup(tt.listed); !ok {
			t.Errorf("%s does not find itself", tt.listed)
		}
		if got, ok := one.Lookup(tt.other); ok {
			t.Errorf("%s is priced as %s: %+v", tt.other, tt.listed, got)
		}
	}
	// A dated preview of a model is a model of its own, which the table
	// does not list: it is not guessed at from the model it became.
	for _, m := range []string{"gemini-2.5-pro-preview-06-05", "models/gemini-2.5-pro-preview-03-25", "gemini-3-pro", "gemini-3.1-pro"} {
		if got, ok := p.Lookup(m); ok {
			t.Errorf("Lookup(%q) = %+v; want unknown", m, got)
		}
	}
}

// The table survives encoding and decoding with its tiers, and a price
// without a tier encodes as it did before tiers existed.
func TestPricingJSONRoundTrip(t *testing.T) {
	b, err := os.ReadFile("pricing.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Models map[string]analytics.Price `json:"models"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(file.Models)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]analytics.Price
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back, file.Models) {
		t.Errorf("round trip changed the table:\n%s", enc)
	}
	tiers := 0
	for _, pr := range back {
		if pr.LongContext.Above > 0 {
			tiers++
		}
	}
	if tiers != 6 { // Gemini 2.5 Pro, 3 Pro, 3.1 Pro; Claude Sonnet 4, 4-0, 4.5
		t.Errorf("%d prices with a long-context tier, want 6", tiers)
	}

	for _, tt := range []struct {
		price analytics.Price
		json  string
	}{
		{analytics.Price{Input: 0.3, Output: 2.5, CacheRead: 0.03, CacheWrite: 0.3},
			`{"input":0.3,"output":2.5,"cacheRead":0.03,"cacheWrite":0.3}`},
		{analytics.Price{Input: 1.25, Output: 10, CacheRead: 0.125, CacheWrite: 1.25,
			LongContext: analytics.Tier{Above: 200_000, Input: 2.5, Output: 15, CacheRead: 0.25, CacheWrite: 2.5}},
			`{"input":1.25,"output":10,"cacheRead":0.125,"cacheWrite":1.25,"longContext":{"above":200000,"input":2.5,"output":15,"cacheRead":0.25,"cacheWrite":2.5}}`},
	} {
		got, err := json.Marshal(tt.price)
		if err != nil || string(got) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.price, got, err, tt.json)
		}
		var dec analytics.Price
		if err := json.Unmarshal([]byte(tt.json), &dec); err != nil || dec != tt.price {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tt.json, dec, err, tt.price)
		}
	}
}

func ExamplePrice_Cost() {
	// Billed at a higher rate for every token once the prompt is over 200k.
	price := analytics.Price{
		Input: 1.25, Output: 10, CacheRead: 0.125, CacheWrite: 1.25,
		LongContext: analytics.Tier{Above: 200_000, Input: 2.5, Output: 15, CacheRead: 0.25, CacheWrite: 2.5},
	}
	fmt.Printf("$%g\n", price.Cost(150_000, 2_000, 50_000, 0)) // a 200k prompt
	fmt.Printf("$%g\n", price.Cost(150_000, 2_000, 60_000, 0)) // a 210k prompt
	// Output:
	// $0.21375
	// $0.42
}

// BenchmarkRecordCost measures pricing one record, as the router does for
// every request: by a canonical name, and by a snapshot name that is
// normalized and trimmed before it is found.
func BenchmarkRecordCost(b *testing.B) {
	p := analytics.DefaultPricing()
	for _, bb := range []struct{ name, model string }{
		{"canonical", "claude-sonnet-4-5"},
		{"snapshot", "models/gemini-2.5-pro-001"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			r := analytics.Record{UpstreamModel: bb.model, InputTokens: 1200, OutputTokens: 300, CacheReadTokens: 4000, Attempts: 1}
			b.ReportAllocs()
			for b.Loop() {
				if p.RecordCost(&r) == nil {
					b.Fatal("no price")
				}
			}
		})
	}
}
