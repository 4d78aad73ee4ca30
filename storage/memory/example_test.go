package memory_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

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

// Two Clients in one process act as two instances of one router: a quota
// counted through one is spent for the other.
func ExampleShared() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":3,"output_tokens":1}}`)
	}))
	defer upstream.Close()

	shared := memory.NewShared()
	account := routex.Channel{ID: "account", Type: routex.FormatAnthropic, BaseURL: upstream.URL, APIKey: "sk-ant-example",
		Limits: []routex.Limit{{Per: time.Hour, Requests: 1}}}
	var instances []*routex.Client
	for range 2 {
		c, err := routex.New(routex.WithChannels(account), routex.WithShared(shared.Instance().Shared()))
		if err != nil {
			panic(err)
		}
		defer c.Close()
		instances = append(instances, c)
	}
	for _, c := range instances {
		resp, err := c.HTTPClient().Post("http://api.anthropic.com/v1/messages", "application/json",
			strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}`))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 200
	// 503
}
