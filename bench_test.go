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
	up, c := benchClient(b, routex.FormatAnthropic)
	body := []byte(fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":%q}]}`,
		strings.Repeat("Summarise the design of a token bucket rate limiter. ", 36)))
	header := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"k"}, "Anthropic-Version": {"2023-06-01"}}

	bare := &http.Transport{MaxIdleConnsPerHost: 64}
	defer bare.CloseIdleConnections()
	b.Run("bare-transport", func(b *testing.B) { benchRoundTrips(b, bare, up.URL+"/v1/messages", header, body) })
	b.Run("routex", func(b *testing.B) { benchRoundTrips(b, c, "http://routex.invalid/v1/messages", header, body) })
}

// benchClient starts a mock upstream and a Client whose one channel, of
// type format, sends to it with the key "k"; both close when b ends.
func benchClient(b *testing.B, format routex.Format) (*mockupstream.Server, *routex.Client) {
	b.Helper()
	up := mockupstream.New("bench")
	b.Cleanup(up.Close)
	c, err := routex.New(routex.WithChannels(routex.Channel{ID: "bench", Type: format, BaseURL: up.URL, APIKey: "k"}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return up, c
}

// benchRoundTrips sends body with header to url through rt once per
// iteration, reads each answer whole and fails on any but a 200.
func benchRoundTrips(b *testing.B, rt http.RoundTripper, url string, header http.Header, body []byte) {
	b.Helper()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header = header.Clone()
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
