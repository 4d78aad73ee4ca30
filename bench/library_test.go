// The in-process half of the load comparison: a routex.Client as an
// http.RoundTripper against a bare http.Transport, on the same mock
// upstream and payloads as bench/run.sh. BenchmarkRoundTrip in the root
// package makes the same comparison for one 2 KB request against
// internal/mockupstream; these cover the whole matrix.
package bench

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/routex/routex"
	"github.com/routex/routex/bench/internal/mockllm"
	"github.com/routex/routex/bench/internal/payload"
)

// BenchmarkLibrary sends one request per op and reads the answer to its
// end: through a bare http.Transport to the mock ("bare"), through a
// routex.Client to a channel of the caller's format ("routex"), and to a
// channel of another format ("routex-cross", and "routex-responses" for an
// OpenAI Responses channel). Allocations include the
// in-process mock's, which are the same in the three; compare them by
// difference.
func BenchmarkLibrary(b *testing.B) {
	up := httptest.NewServer(mockllm.New(mockllm.Settings{Events: 20}))
	defer up.Close()
	bare := &http.Transport{MaxIdleConnsPerHost: 64}
	defer bare.CloseIdleConnections()
	c, err := routex.New(
		routex.WithChannels(
			routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "k", Models: []string{"claude-*"}},
			routex.Channel{ID: "openai", Type: routex.FormatOpenAI, BaseURL: up.URL + "/v1", APIKey: "k", Models: []string{"gpt-*"}},
			routex.Channel{ID: "responses", Type: routex.FormatResponses, BaseURL: up.URL + "/v1", APIKey: "k", Models: []string{"o3-*"}},
		),
		routex.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	// The same format's model, then another format's; callers of the two
	// older formats are also served by the Responses channel.
	models := map[payload.Format][2]string{
		payload.Anthropic: {"claude-sonnet-4-5", "gpt-4o"},
		payload.OpenAI:    {"gpt-4o", "claude-sonnet-4-5"},
		payload.Responses: {"o3-mini", "claude-sonnet-4-5"},
	}
	sizes := []struct {
		name  string
		bytes int
	}{{"200B", 200}, {"2KB", 2 << 10}, {"100KB", 100 << 10}}
	for _, f := range payload.Formats {
		for _, size := range sizes {
			for _, stream := range []bool{false, true} {
				kind := "json"
				if stream {
					kind = "stream"
				}
				same := payload.Build(f, models[f][0], size.bytes, stream)
				cross := payload.Build(f, models[f][1], size.bytes, stream)
				name := fmt.Sprintf("%s/%s/%s", f, size.name, kind)
				b.Run(name+"/bare", func(b *testing.B) { roundTrips(b, bare, up.URL, f, same) })
				b.Run(name+"/routex", func(b *testing.B) { roundTrips(b, c, "http://routex.invalid", f, same) })
				b.Run(name+"/routex-cross", func(b *testing.B) { roundTrips(b, c, "http://routex.invalid", f, cross) })
				if f != payload.Responses {
					toResponses := payload.Build(f, "o3-mini", size.bytes, stream)
					b.Run(name+"/routex-responses", func(b *testing.B) { roundTrips(b, c, "http://routex.invalid", f, toResponses) })
				}
			}
		}
	}
}

func roundTrips(b *testing.B, rt http.RoundTripper, base string, f payload.Format, body []byte) {
	url := base + f.Path()
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if f == payload.Anthropic {
			req.Header.Set("X-Api-Key", "k")
			req.Header.Set("Anthropic-Version", "2023-06-01")
		} else {
			req.Header.Set("Authorization", "Bearer k")
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || n == 0 {
			b.Fatalf("status %d, %d bytes, err %v", resp.StatusCode, n, err)
		}
	}
}
