package analytics_test

import (
	"context"
	"fmt"
	"time"

	"github.com/routex/routex/analytics"
)

func ExampleNewAsync() {
	sink := func(_ context.Context, batch []analytics.Record) error {
		// A real sink would call Store.AddRecords(ctx, batch).
		fmt.Println("writing", len(batch), "records")
		return nil
	}
	rec := analytics.NewAsync(sink, analytics.Settings{BatchSize: 100, FlushInterval: time.Hour})
	for i := range 3 {
		rec.Record(analytics.Record{RequestID: fmt.Sprint(i), Model: "claude-sonnet-4-5", Status: 200})
	}
	// Close writes what is still queued before it returns.
	if err := rec.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("written:", rec.Written(), "dropped:", rec.Dropped())
	// Output:
	// writing 3 records
	// written: 3 dropped: 0
}

func ExamplePricing_Cost() {
	pricing := analytics.DefaultPricing().With(map[string]analytics.Price{
		// A negotiated rate, and a model the table does not know.
		"gpt-4o":      {Input: 2, Output: 8, CacheRead: 1, CacheWrite: 2},
		"my-finetune": {Input: 4, Output: 16},
	})
	for _, model := range []string{"claude-sonnet-4-5-20250929", "openai/gpt-4o", "my-finetune", "mystery-model"} {
		usd, ok := pricing.Cost(model, 10_000, 2_000, 0, 0)
		if !ok {
			fmt.Printf("%s: unknown\n", model)
			continue
		}
		fmt.Printf("%s: $%.4f\n", model, usd)
	}
	// Output:
	// claude-sonnet-4-5-20250929: $0.0600
	// openai/gpt-4o: $0.0360
	// my-finetune: $0.0720
	// mystery-model: unknown
}
