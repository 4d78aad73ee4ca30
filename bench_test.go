package routex_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// BenchmarkRoundTrip compares a request through the Client with the same
// request sent by a bare http.Transport to the same upstream. The ratio of
// the two is what routex costs a caller.
func BenchmarkRoundTrip(b *testing.B) {
	up := mockupstream.New("bench")
	defer up.Close()
	body := []byte(fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":%q}]}`,
		strings.Repeat("Summarise the design of a token bucket rate limiter. ", 36)))

	bare := &http.Transport{MaxIdleConnsPerHost: 64}
	defer bare.CloseIdleConnections()
	c, err := routex.New(routex.WithChannels(routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "k"}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	run := func(b *testing.B, rt http.RoundTripper, url string) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Api-Key", "k")
			req.Header.Set("Anthropic-Version", "2023-06-01")
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("bare-transport", func(b *testing.B) { run(b, bare, up.URL+"/v1/messages") })
	b.Run("routex", func(b *testing.B) { run(b, c, "http://routex.invalid/v1/messages") })
}
