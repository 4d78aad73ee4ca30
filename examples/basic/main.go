// Command basic embeds routex in a program: two channels with failover, a
// rule for long prompts, and an http.Client that sends through them.
//
// With ANTHROPIC_API_KEY and/or OPENAI_API_KEY set it calls the real APIs;
// without, it starts two local stand-ins so that it runs anywhere:
//
//	go run ./examples/basic
package main

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
)

func main() {
	primary, backup := channels()
	c, err := routex.New(
		routex.WithChannels(primary, backup),
		routex.WithRules(routex.Rule{
			ID:        "long-prompts",
			Condition: routex.Condition{TokenThreshold: 20_000},
			Target:    routex.Target{Channel: backup.ID},
		}),
		routex.WithRecorder(analytics.RecorderFunc(func(r analytics.Record) {
			fmt.Printf("record: channel=%s status=%d attempts=%d tokens in/out=%d/%d latency=%s\n",
				r.ChannelID, r.Status, r.Attempts, r.InputTokens, r.OutputTokens, r.Latency)
		})),
		routex.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	hc := c.HTTPClient()
	body := `{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Say hello in five words."}]}`
	resp, err := hc.Post("http://api.anthropic.com/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Printf("HTTP %d via channel %q\n%s\n", resp.StatusCode, resp.Header.Get("X-Routex-Channel"), out)
}

// channels returns the real Anthropic API when a key is set, else two local
// stand-ins, the first of which is down so that failover shows.
func channels() (primary, backup routex.Channel) {
	if key := os.Getenv("ANTHROPIC_API_KEY"); key != "" {
		return routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com", APIKey: key},
			routex.Channel{ID: "anthropic-backup", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com", APIKey: key, Priority: 1}
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(529)
		io.WriteString(w, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	}))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_local","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello from the local stand-in."}],"stop_reason":"end_turn","usage":{"input_tokens":14,"output_tokens":7}}`)
	}))
	fmt.Println("no ANTHROPIC_API_KEY: using local stand-ins (the first answers 529)")
	return routex.Channel{ID: "primary", Type: routex.FormatAnthropic, BaseURL: down.URL, APIKey: "local"},
		routex.Channel{ID: "backup", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "local", Priority: 1}
}
