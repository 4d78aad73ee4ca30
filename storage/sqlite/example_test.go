package sqlite_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "routex")
	defer os.RemoveAll(dir)

	// The key would come from the environment or a secret manager; it
	// must be the same every time the database is opened.
	key, _ := base64.StdEncoding.DecodeString("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")
	store, err := sqlite.Open(ctx, filepath.Join(dir, "routex.db"),
		sqlite.WithEncryptionKey(key),
		sqlite.WithRetention(30*24*time.Hour, 10_000_000))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	err = store.PutChannel(ctx, routex.Channel{
		ID: "anthropic", Type: routex.FormatAnthropic,
		BaseURL: "https://api.anthropic.com", APIKey: "sk-ant-example",
	})
	if err != nil {
		log.Fatal(err)
	}

	// Usage records reach the store in batches, off the request path.
	recorder := analytics.NewAsync(store.AddRecords, analytics.Settings{})
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		recorder.Record(analytics.Record{
			Time: t0.Add(time.Duration(i) * time.Second), RequestID: fmt.Sprint("req-", i),
			ChannelID: "anthropic", Model: "claude-sonnet-4-5", Status: 200,
			InputTokens: 1000, OutputTokens: 200, Latency: time.Duration(i+1) * 100 * time.Millisecond,
		})
	}
	if err := recorder.Close(); err != nil {
		log.Fatal(err)
	}

	aggs, err := store.Aggregate(ctx, routex.AggregateQuery{GroupBy: routex.GroupChannel})
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range aggs {
		fmt.Printf("%s: %d requests, %d input tokens, p50 %v\n", a.Group, a.Requests, a.InputTokens, a.LatencyP50)
	}
	// Output:
	// anthropic: 3 requests, 3000 input tokens, p50 200ms
}
