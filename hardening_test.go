package routex_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/internal/mockupstream"
)

// upstream starts a raw httptest server closed at the end of the test.
func upstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func rawChannel(id string, typ routex.Format, srv *httptest.Server) routex.Channel {
	return routex.Channel{ID: id, Type: typ, BaseURL: srv.URL, APIKey: "sk-" + id + "-secret-key-0123456789"}
}

func failures(c *routex.Client, id string) int {
	for _, st := range c.Status() {
		if st.ID == id {
			return st.Failures
		}
	}
	return -1
}

// A Content-Length a peer states decides no allocation: a terabyte, or
// max-int64, with one byte behind it is the channel's failure, the next
// channel answers, and the process lives.
func TestLyingContentLength(t *testing.T) {
	for _, length := range []string{"1099511627776", "9223372036854775807", "33554433"} {
		t.Run(length, func(t *testing.T) {
			liar := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", length)
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("{"))
			})
			good := mock(t, "good")
			recs := newRecords()
			liarCh := rawChannel("liar", routex.FormatAnthropic, liar)
			goodCh := channel("good", routex.FormatAnthropic, good)
			goodCh.Priority = 1
			c := newClient(t, routex.WithChannels(liarCh, goodCh), routex.WithRecorder(recs))

			resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Equal(t, "good", channelOf(resp))
			assert.Equal(t, 1, failures(c, "liar"), "the liar's breaker hears of it")
			rec := recs.last(t, 1)
			assert.Equal(t, 2, rec.Attempts)

			// Alone, the liar gets the caller a 502 in its own format.
			c2 := newClient(t, routex.WithChannels(liarCh))
			resp, body = post(t, c2, openaiPath, `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}`)
			assert.Equal(t, http.StatusBadGateway, resp.StatusCode, body)
			assert.True(t, gjson.Get(body, "error.message").Exists(), body)
		})
	}
}

// A whole answer is read up to WithMaxResponseBytes and no further.
func TestWholeAnswerCapped(t *testing.T) {
	big := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`)
		for i := 0; i < 64; i++ { // 4 MiB, chunked: no length said
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	recs := newRecords()
	c := newClient(t, routex.WithChannels(rawChannel("big", routex.FormatAnthropic, big)),
		routex.WithMaxResponseBytes(1<<20), routex.WithRecorder(recs))
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "error", gjson.Get(body, "type").Str, body)
	assert.Contains(t, gjson.Get(body, "error.message").Str, "larger than the response size limit")
	assert.Equal(t, 1, failures(c, "big"))
	assert.Contains(t, recs.last(t, 1).Error, "response size limit")

	// Pass-through endpoints are capped alike.
	resp, body = post(t, c, "/v1/messages/count_tokens", `{"model":"claude-x","messages":[]}`)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode, body)
}

// The channel's timeout holds while a body dribbles in: it is not a wait
// between reads.
func TestTimeoutWhileBodyDribbles(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	slow := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"pad":"`))
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
	ch := rawChannel("slow", routex.FormatOpenAI, slow)
	ch.Timeout = 200 * time.Millisecond
	c := newClient(t, routex.WithChannels(ch))
	resp, body := post(t, c, openaiPath, `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
	assert.Contains(t, gjson.Get(body, "error.message").Str, "did not answer within")
}

// sseHandler sends events, then goes silent until the client leaves.
func sseHandler(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, e := range events {
			io.WriteString(w, e)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

var silentAnthropic = sseHandler(
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hel\"}}\n\n",
)

// A stream that goes silent after it started ends, well-formed, with an
// error event in the caller's format, and the channel is charged.
func TestStreamIdleTimeout(t *testing.T) {
	cases := []struct {
		name, path, body, wantEnd string
	}{
		{"same-format", anthropicPath, `{"model":"claude-x","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "event: error"},
		{"cross-format", openaiPath, `{"model":"claude-x","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `data: {"error"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := upstream(t, silentAnthropic)
			ch := rawChannel("quiet", routex.FormatAnthropic, srv)
			ch.StreamIdleTimeout = 150 * time.Millisecond
			recs := newRecords()
			c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
			resp, body := post(t, c, tc.path, tc.body)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, body, "hel")
			assert.Contains(t, body, tc.wantEnd)
			assert.Contains(t, body, "stream idle timeout")
			rec := recs.last(t, 1)
			assert.Contains(t, rec.Error, "stream idle timeout")
			assert.Equal(t, 1, failures(c, "quiet"), "a silent stream is the channel's failure, not the caller's")
		})
	}

	// The Client-wide setting applies to channels that set none.
	srv := upstream(t, silentAnthropic)
	c := newClient(t, routex.WithChannels(rawChannel("quiet", routex.FormatAnthropic, srv)),
		routex.WithStreamIdleTimeout(100*time.Millisecond))
	_, body := post(t, c, anthropicPath, cases[0].body)
	assert.Contains(t, body, "stream idle timeout")
}

// seen records what reached an upstream.
type seen struct {
	path, query string
	header      http.Header
	method      string
}

func recordingUpstream(t *testing.T, got chan<- seen, extra http.Header) *httptest.Server {
	return upstream(t, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.URL.Path, r.URL.RawQuery, r.Header.Clone(), r.Method}
		for k, v := range extra {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			io.WriteString(w, `{"id":"c1","object":"chat.completion","model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
			return
		}
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)
	})
}

func send(t *testing.T, c *routex.Client, method, rawURL, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A proxy key reaches the endpoints routex serves and the pass-through
// endpoints allowed, under the channel's API root, and nothing else.
func TestUpstreamPathsAreConfined(t *testing.T) {
	got := make(chan seen, 16)
	srv := recordingUpstream(t, got, nil)
	ch := rawChannel("a", routex.FormatAnthropic, srv)
	ch.BaseURL = srv.URL + "/base/v1"
	c := newClient(t, routex.WithChannels(ch))

	for _, p := range []string{"/v1/%2e%2e/%2e%2e/admin", "/v1/messages/%2e%2e/%2e%2e/admin", "/v1/messages/../x"} {
		resp, body := send(t, c, http.MethodPost, "http://routex.invalid"+p, `{"model":"claude-x"}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, p+": "+body)
		assert.Contains(t, body, "dot segments")
	}
	resp, body := send(t, c, http.MethodDelete, "http://routex.invalid/v1/files/file-123", "", "X-Api-Key", "caller")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	assert.Equal(t, "error", gjson.Get(body, "type").Str, "refused in the caller's format: "+body)
	assert.Len(t, got, 0, "nothing reached the upstream")

	// A known endpoint's own path goes up, not the caller's prefix.
	resp, body = send(t, c, http.MethodPost, "http://routex.invalid/anything/../v1/messages", anthropicBody("claude-x", "hi"))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "/base/v1/messages", (<-got).path)

	// Doubled slashes are cleaned; count_tokens is allowed by default.
	resp, body = send(t, c, http.MethodPost, "http://routex.invalid/v1//messages/count_tokens", `{"model":"claude-x","messages":[]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "/base/v1/messages/count_tokens", (<-got).path)

	// An operator can open more.
	c = newClient(t, routex.WithChannels(ch), routex.WithPassthrough("/v1/files/"))
	resp, body = send(t, c, http.MethodDelete, "http://routex.invalid/v1/files/file-123", "", "X-Api-Key", "caller")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	s := <-got
	assert.Equal(t, "/base/v1/files/file-123", s.path)
	assert.Equal(t, http.MethodDelete, s.method)

	_, err := routex.New(routex.WithPassthrough("/v1/../admin"))
	assert.Error(t, err)
}

// The caller's query and account-scoping headers stay behind unless the
// channel says so; the upstream's account headers and cookies do not reach
// the caller.
func TestQueryAndAccountHeaders(t *testing.T) {
	got := make(chan seen, 16)
	srv := recordingUpstream(t, got, http.Header{
		"Set-Cookie":                {"session=upstream; Path=/"},
		"Openai-Organization":       {"org-channel"},
		"Anthropic-Organization-Id": {"org-uuid"},
	})
	ch := rawChannel("o", routex.FormatOpenAI, srv)
	ch.BaseURL = srv.URL + "/v1?api-version=2024-10-01"
	c := newClient(t, routex.WithChannels(ch))
	caller := []string{"Content-Type", "application/json", "OpenAI-Organization", "org-other", "OpenAI-Project", "proj-other", "Cookie", "a=b"}
	body := `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}`

	resp, out := send(t, c, http.MethodPost, "http://routex.invalid/v1/chat/completions?beta=true&key=x&limit=9", body, caller...)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	s := <-got
	// Anthropic's beta flag means nothing to an OpenAI channel, and some
	// OpenAI-compatible servers refuse parameters they do not know.
	assert.Equal(t, "api-version=2024-10-01", s.query)
	for _, h := range []string{"Openai-Organization", "Openai-Project", "Cookie"} {
		assert.Empty(t, s.header.Get(h), h)
	}
	for _, h := range []string{"Set-Cookie", "Openai-Organization", "Anthropic-Organization-Id"} {
		assert.Empty(t, resp.Header.Get(h), h)
	}

	ch.ForwardQuery, ch.ForwardHeaders = true, []string{"openai-organization"}
	require.NoError(t, c.SetChannels(ch))
	_, _ = send(t, c, http.MethodPost, "http://routex.invalid/v1/chat/completions?beta=true&limit=9", body, caller...)
	s = <-got
	assert.Equal(t, "api-version=2024-10-01&beta=true&limit=9", s.query)
	assert.Equal(t, "org-other", s.header.Get("Openai-Organization"))
	assert.Empty(t, s.header.Get("Openai-Project"))
}

// Callers learn what failed, not where: no upstream address, no channel.
func TestErrorBodiesHideInternals(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // a closed port: connection refused
	recs := newRecords()
	ch := routex.Channel{ID: "secret-channel-name", Type: routex.FormatAnthropic, BaseURL: "http://" + addr, APIKey: "sk-0123456789abcdef"}
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, body, "could not connect to the upstream")
	for _, leak := range []string{"127.0.0.1", addr, "secret-channel-name", "dial", "sk-"} {
		assert.NotContains(t, body, leak)
	}
	rec := recs.last(t, 1)
	assert.Contains(t, rec.Error, "secret-channel-name", "the record keeps the detail")

	// Mid-stream, too: a reset after the first event.
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	})
	c = newClient(t, routex.WithChannels(rawChannel("s", routex.FormatAnthropic, srv)))
	_, body = post(t, c, anthropicPath, `{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	assert.Contains(t, body, "event: error")
	assert.NotContains(t, body, "127.0.0.1")
}

// An open circuit says when to come back.
func TestOpenBreakerRetryAfter(t *testing.T) {
	up := mock(t, "down")
	up.Always(mockupstream.Behavior{Status: http.StatusInternalServerError})
	c := newClient(t, routex.WithChannels(channel("down", routex.FormatAnthropic, up)),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 1, CoolDown: 30 * time.Second}))
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	ra := resp.Header.Get("Retry-After")
	require.NotEmpty(t, ra)
	var secs int
	_, err := fmt.Sscan(ra, &secs)
	require.NoError(t, err)
	assert.True(t, secs >= 1 && secs <= 30, ra)
}

func TestChannelValidateRefusesUnsafeValues(t *testing.T) {
	base := routex.Channel{ID: "ok", Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com"}
	bad := map[string]func(*routex.Channel){
		"id with dots":      func(c *routex.Channel) { c.ID = "../../x" },
		"id with NUL":       func(c *routex.Channel) { c.ID = "a\x00b" },
		"id dot segment":    func(c *routex.Channel) { c.ID = ".." },
		"id with newline":   func(c *routex.Channel) { c.ID = "a\nb" },
		"header value CRLF": func(c *routex.Channel) { c.Headers = map[string]string{"X-A": "v\r\nX-Injected: 1"} },
		"header name CRLF":  func(c *routex.Channel) { c.Headers = map[string]string{"X-A\r\nB": "v"} },
		"header name space": func(c *routex.Channel) { c.Headers = map[string]string{"X A": "v"} },
		"forward header":    func(c *routex.Channel) { c.ForwardHeaders = []string{"bad header"} },
		"idle negative":     func(c *routex.Channel) { c.StreamIdleTimeout = -1 },
	}
	for name, mut := range bad {
		ch := base
		mut(&ch)
		assert.Error(t, ch.Validate(), name)
	}
	ok := base
	ok.ID, ok.Headers = "team-a.claude_1", map[string]string{"X-Title": "routex"}
	assert.NoError(t, ok.Validate())
}

func TestRedactedHidesURLSecrets(t *testing.T) {
	ch := routex.Channel{ID: "g", Type: routex.FormatOpenAI,
		BaseURL: "https://user:hunter2@example.com/v1?key=AIzaSECRET&api-version=2024-10-01"}
	red := ch.Redacted()
	assert.NotContains(t, red.BaseURL, "hunter2")
	assert.NotContains(t, red.BaseURL, "AIzaSECRET")
	assert.NotContains(t, red.BaseURL, "user")
	assert.Contains(t, red.BaseURL, "api-version=2024-10-01")
	assert.Equal(t, "https://example.com/v1", routex.RedactURL("https://example.com/v1"))
}

type brokenBody struct{ sent bool }

func (b *brokenBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, `{"model":`), nil
	}
	return 0, errors.New("http: malformed chunked encoding")
}

// A body that breaks on its way in is the caller's fault: 400, not 502.
func TestBrokenRequestBody(t *testing.T) {
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, mock(t, "a"))))
	req, err := http.NewRequest(http.MethodPost, "http://routex.invalid/v1/messages", &brokenBody{})
	require.NoError(t, err)
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(b), "chunked encoding is malformed")
}

// A raw server for the bad-chunk case through a real listener: the body's
// chunk size line is not hex.
func TestMalformedChunkedThroughServer(t *testing.T) {
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, mock(t, "a"))))
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		resp, err := c.RoundTrip(r.Clone(context.Background()))
		if err != nil {
			w.WriteHeader(599)
			return
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
