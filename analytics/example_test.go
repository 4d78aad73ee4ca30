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
