package memory_test

import (
	"context"
	"fmt"

	"github.com/routex/routex"
	"github.com/routex/routex/storage/memory"
)

func ExampleNew() {
	ctx := context.Background()
	s := memory.New(memory.WithMaxRecords(100_000))
	defer s.Close()

	stop := s.Watch(func() { fmt.Println("configuration changed") })
	defer stop()

	_ = s.PutChannel(ctx, routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com"})
	chans, _ := s.Channels(ctx)
	for _, c := range chans {
		fmt.Println(c.ID, c.Type)
	}
	// Output:
	// configuration changed
	// anthropic anthropic
}
