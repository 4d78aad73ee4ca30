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
// difference. BenchmarkGeminiLibrary has the Gemini cells.
func BenchmarkLibrary(b *testing.B) {
	up, bare, c := library(b)
	// The same format's model, then another format's; callers of the two
	// older formats are also served by the Responses channel.
	models := map[payload.Format][2]string{
		payload.Anthropic: {"claude-sonnet-4-5", "gpt-4o"},
		payload.OpenAI:    {"gpt-4o", "claude-sonnet-4-5"},
		payload.Responses: {"o3-mini", "claude-sonnet-4-5"},
	}
	for _, f := range []payload.Format{payload.Anthropic, payload.OpenAI, payload.Responses} {
		cells(b, f, func(name string, cell cellFunc) {
			b.Run(name+"/bare", cell(bare, up.URL, models[f][0]))
			b.Run(name+"/routex", cell(c, via, models[f][0]))
			b.Run(name+"/routex-cross", cell(c, via, models[f][1]))
			if f != payload.Responses {
				b.Run(name+"/routex-responses", cell(c, via, "o3-mini"))
			}
		})
	}
}

// BenchmarkGeminiLibrary is BenchmarkLibrary's matrix for Gemini: a Gemini
// caller (its model and stream flag in the path) to the mock ("bare"), to
// a gemini channel ("routex"), to an Anthropic channel ("routex-cross"),
// an OpenAI Chat channel ("routex-openai") and a Responses channel
// ("routex-responses"); then callers of the other formats to a gemini
// channel ("routex-gemini").
func BenchmarkGeminiLibrary(b *testing.B) {
	up, bare, c := library(b)
	const model = "gemini-2.5-flash"
	cells(b, payload.Gemini, func(name string, cell cellFunc) {
		b.Run(name+"/bare", cell(bare, up.URL, model))
		b.Run(name+"/routex", cell(c, via, model))
		b.Run(name+"/routex-cross", cell(c, via, "claude-sonnet-4-5"))
		b.Run(name+"/routex-openai", cell(c, via, "gpt-4o"))
		b.Run(name+"/routex-responses", cell(c, via, "o3-mini"))
	})
	for _, f := range []payload.Format{payload.Anthropic, payload.OpenAI, payload.Responses} {
		cells(b, f, func(name string, cell cellFunc) {
			b.Run(name+"/routex-gemini", cell(c, via, model))
		})
	}
}

// via is the base URL of requests sent through a routex.Client, which
// routes them by format and model, not by host.
const via = "http://routex.invalid"

// library starts the mock upstream and returns it, a bare transport to it
// and a routex.Client with a channel of each format on it, all closed when
// b ends.
func library(b *testing.B) (*httptest.Server, *http.Transport, *routex.Client) {
	up := httptest.NewServer(mockllm.New(mockllm.Settings{Events: 20}))
	b.Cleanup(up.Close)
	bare := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(bare.CloseIdleConnections)
	c, err := routex.New(
		routex.WithChannels(
			routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "k", Models: []string{"claude-*"}},
			routex.Channel{ID: "openai", Type: routex.FormatOpenAI, BaseURL: up.URL + "/v1", APIKey: "k", Models: []string{"gpt-*"}},
			routex.Channel{ID: "responses", Type: routex.FormatResponses, BaseURL: up.URL + "/v1", APIKey: "k", Models: []string{"o3-*"}},
			routex.Channel{ID: "gemini", Type: routex.FormatGemini, BaseURL: up.URL, APIKey: "k", Models: []string{"gemini-*"}},
		),
		routex.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return up, bare, c
}

// cellFunc returns the benchmark of f's request for model, sent through rt
// to base.
type cellFunc func(rt http.RoundTripper, base, model string) func(*testing.B)

// cells calls run with each size and kind of f's requests, named
// "<format>/<size>/<json|stream>".
func cells(b *testing.B, f payload.Format, run func(name string, cell cellFunc)) {
	sizes := []struct {
		name  string
		bytes int
	}{{"200B", 200}, {"2KB", 2 << 10}, {"100KB", 100 << 10}}
	for _, size := range sizes {
		for _, stream := range []bool{false, true} {
			kind := "json"
			if stream {
				kind = "stream"
			}
			run(fmt.Sprintf("%s/%s/%s", f, size.name, kind), func(rt http.RoundTripper, base, model string) func(*testing.B) {
				body := payload.Build(f, model, size.bytes, stream)
				url := base + f.Endpoint(model, stream)
				return func(b *testing.B) { roundTrips(b, rt, url, f, body) }
			})
		}
	}
}

func roundTrips(b *testing.B, rt http.RoundTripper, url string, f payload.Format, body []byte) {
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		switch f {
		case payload.Anthropic:
			req.Header.Set("X-Api-Key", "k")
			req.Header.Set("Anthropic-Version", "2023-06-01")
		case payload.Gemini:
			req.Header.Set("X-Goog-Api-Key", "k")
		default:
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
