package analytics_test

import (
	"encoding/json"
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
	r := analytics.Record{Model: "sonnet", UpstreamModel: "claude-sonnet-4-5-20250929", InputTokens: 1_000_000}
	if c := p.RecordCost(&r); c == nil || *c != 3 {
		t.Errorf("RecordCost by upstream model = %v, want 3", c)
	}
	r = analytics.Record{Model: "gpt-4o", UpstreamModel: "my-deployment", OutputTokens: 1_000_000}
	if c := p.RecordCost(&r); c == nil || *c != 10 {
		t.Errorf("RecordCost falling back to Model = %v, want 10", c)
	}
	r = analytics.Record{Model: "mystery", InputTokens: 5}
	if c := p.RecordCost(&r); c != nil {
		t.Errorf("RecordCost of an unknown model = %v, want nil", *c)
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
		if got, ok := analytics.DefaultPricing().Lookup(name); !ok || got != pr {
			t.Errorf("%s: Lookup = %+v, %v", name, got, ok)
		}
	}
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
			r := analytics.Record{UpstreamModel: bb.model, InputTokens: 1200, OutputTokens: 300, CacheReadTokens: 4000}
			b.ReportAllocs()
			for b.Loop() {
				if p.RecordCost(&r) == nil {
					b.Fatal("no price")
				}
			}
		})
	}
}
