package routex_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/jsonx"
)

// FuzzUpstreamAnswer hands the Client upstream answers with any status,
// content type, stated length and body, for both caller formats and both
// channel formats: the caller always gets a response (never a Go error or
// a panic), a whole answer's body is within the cap, and routex's own
// answers and converted successes are JSON.
func FuzzUpstreamAnswer(f *testing.F) {
	f.Add(200, "application/json", int64(-1), []byte(`{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":1,"output_tokens":2}}`), true, false, false)
	f.Add(200, "application/json", int64(1099511627776), []byte(`{`), true, true, false)
	f.Add(200, "application/json", int64(9223372036854775807), []byte(`{}`), false, true, false)
	f.Add(200, "text/event-stream", int64(-1), []byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\nevent: message_stop\ndata: {}\n\n"), true, false, true)
	f.Add(200, "text/event-stream", int64(-1), []byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n"), false, true, true)
	f.Add(429, "application/json", int64(3), []byte(`{"error":{"message":"slow down"}}`), false, false, false)
	f.Add(500, "text/html", int64(-1), []byte(`<html>`), true, true, false)
	f.Add(200, "application/json", int64(5), []byte(`{"id":"x","choices":[]}`), false, false, false)
	f.Fuzz(func(t *testing.T, status int, contentType string, length int64, body []byte, anthropicCaller, anthropicChannel, stream bool) {
		if status < 100 || status > 599 {
			status = 200
		}
		const maxResponse = 4 << 10
		transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Body != nil {
				io.Copy(io.Discard, req.Body)
				req.Body.Close()
			}
			h := http.Header{"Content-Type": {contentType}}
			if length >= 0 {
				h.Set("Content-Length", strconv.FormatInt(length, 10))
			}
			return &http.Response{StatusCode: status, Status: strconv.Itoa(status), Header: h,
				Body: io.NopCloser(bytes.NewReader(body)), ContentLength: length, Request: req}, nil
		})
		chType := routex.FormatOpenAI
		if anthropicChannel {
			chType = routex.FormatAnthropic
		}
		c, err := routex.New(routex.WithChannels(routex.Channel{ID: "up", Type: chType, BaseURL: "http://up.invalid", APIKey: "sk-0123456789abcdef"}),
			routex.WithTransport(transport), routex.WithMaxResponseBytes(maxResponse))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		path, in := "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]`
		if anthropicCaller {
			path, in = "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]`
		}
		if stream {
			in += `,"stream":true`
		}
		req, _ := http.NewRequest(http.MethodPost, "http://routex.invalid"+path, strings.NewReader(in+"}"))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip error: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if resp.Header.Get("Content-Type") == "text/event-stream" {
			return
		}
		if len(out) > maxResponse+(64<<10) {
			t.Fatalf("a whole answer of %d bytes passed a %d-byte cap", len(out), maxResponse)
		}
		if resp.Header.Get("X-Routex-Error") != "" && !jsonx.ValidBytes(out) {
			t.Fatalf("routex's own answer is not JSON: %q", out)
		}
		if resp.StatusCode < 300 && anthropicCaller != anthropicChannel && !jsonx.ValidBytes(out) {
			t.Fatalf("a converted success is not JSON: %q", out)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
