package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// TestMain makes password hashing cheap: the tests hash and check many
// passwords, and bcrypt's default cost takes seconds under the race detector.
func TestMain(m *testing.M) {
	bcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

// Every secret the tests hand the server contains secretMark, and no
// response may: see noSecrets.
const secretMark = "SECRET"

const (
	adminName     = "admin"
	adminPassword = "pw-SECRET-horse-battery"
	adminToken    = "tok-SECRET-for-scripts-0123456789"
	channelKey    = "sk-ant-SECRET-main-channel-0123456789"
	headerSecret  = "hdr-SECRET-value-0123456789"
	openaiKey     = "sk-oai-SECRET-openai-channel-0123456789"

	sonnet = "claude-sonnet-4-5"
	haiku  = "claude-haiku-4-5"
	gpt    = "gpt-4.1"
)

var silent = slog.New(slog.DiscardHandler)

// testConfig is the configuration main would build from "-data <tmp>":
// every default applied, plus an admin token.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := loadConfig([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-admin-token", adminToken},
		func(string) string { return "" })
	require.NoError(t, err)
	return cfg
}

// newMock starts a provider that is closed after the servers that use it.
func newMock(t *testing.T, name string) *mockupstream.Server {
	t.Helper()
	up := mockupstream.New(name)
	t.Cleanup(up.Close)
	return up
}

// mainChannel is the channel setUp creates: Anthropic, with a key and a
// secret header.
func mainChannel(up *mockupstream.Server) routex.Channel {
	return routex.Channel{ID: "main", Name: "Main", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: channelKey,
		Models: []string{sonnet, haiku}, Headers: map[string]string{"X-Custom-Key": headerSecret}}
}

// testServer is a Server behind an httptest.Server.
type testServer struct {
	srv   *Server
	cfg   Config
	url   string
	up    *mockupstream.Server // the provider of setUp's channel
	close func()
}

// newTestServer starts a Server on cfg; it is closed when the test ends,
// or earlier by close.
func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv, err := NewServer(t.Context(), cfg, silent)
	require.NoError(t, err)
	hs := httptest.NewServer(noSecrets(t, srv.Handler()))
	ts := &testServer{srv: srv, cfg: cfg, url: hs.URL}
	var once sync.Once
	ts.close = func() {
		once.Do(func() {
			srv.live.Close() // event streams would hold hs.Close
			hs.Close()
			require.NoError(t, srv.Close())
		})
	}
	t.Cleanup(ts.close)
	return ts
}

// setUp starts a server and runs the setup wizard's request, with the
// setup token the server made: channel "main" (mainChannel) on a mock
// provider, the priority strategy and the administrator, after edits change
// the configuration. The client it returns is logged in.
func setUp(t *testing.T, edits ...func(*Config)) (*testServer, *apiClient) {
	t.Helper()
	up := newMock(t, "main")
	cfg := testConfig(t)
	for _, edit := range edits {
		edit(&cfg)
	}
	ts := newTestServer(t, cfg)
	ts.up = up
	c := ts.client()
	r := c.withSetupToken(ts.srv.setupToken).do(t, http.MethodPost, "/api/setup", map[string]any{
		"channel": mainChannel(up), "strategy": "priority",
		"admin": credentials{Username: adminName, Password: adminPassword},
	}).want(t, http.StatusOK)
	c.csrf = decodeAs[map[string]string](t, r)["csrfToken"]
	require.NotEmpty(t, c.csrf)
	return ts, c
}

// noSecrets fails the test when a response, headers or body, contains
// secretMark.
func noSecrets(t *testing.T, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tee := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tee, r)
		for k, v := range w.Header() {
			fmt.Fprintf(&tee.buf, "\n%s: %s", k, strings.Join(v, ", "))
		}
		if strings.Contains(tee.buf.String(), secretMark) {
			t.Errorf("%s %s: the response shows a secret:\n%s", r.Method, r.URL.Path, tee.buf.String())
		}
	})
}

// teeWriter keeps a copy of what is written, and flushes like the writer
// it wraps.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// apiClient calls the management API like the dashboard (cookie jar and
// CSRF token) or a script (admin token).
type apiClient struct {
	base   string
	hc     *http.Client
	csrf   string // sent as X-CSRF-Token when set
	bearer string // sent as Authorization: Bearer when set
	setup  string // sent as X-Setup-Token when set
}

// client returns a client with an empty cookie jar.
func (ts *testServer) client() *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{base: ts.url, hc: &http.Client{Jar: jar}}
}

// with returns a copy of c, sharing its cookies, that sends csrf and bearer.
func (c *apiClient) with(csrf, bearer string) *apiClient {
	cp := *c
	cp.csrf, cp.bearer = csrf, bearer
	return &cp
}

// withSetupToken returns a copy of c, sharing its cookies, that sends the
// setup token.
func (c *apiClient) withSetupToken(token string) *apiClient {
	cp := *c
	cp.setup = token
	return &cp
}

// reply is a whole response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends body: nothing when nil, a string or []byte as is, anything
// else as JSON.
func (c *apiClient) do(t *testing.T, method, path string, body any) reply {
	t.Helper()
	return roundTrip(t, c.hc, c.request(t, method, path, body))
}

// request builds a request with c's headers; the jar adds the cookie.
func (c *apiClient) request(t *testing.T, method, path string, body any) *http.Request {
	t.Helper()
	req := newRequest(t, method, c.base+path, body)
	if c.csrf != "" {
		req.Header.Set(csrfHeader, c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.setup != "" {
		req.Header.Set(setupTokenHeader, c.setup)
	}
	return req
}

func newRequest(t *testing.T, method, url string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func roundTrip(t *testing.T, hc *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r reply) want(t *testing.T, status int) reply {
	t.Helper()
	require.Equalf(t, status, r.status, "body: %s", r.body)
	return r
}

// wantError checks a management error and returns its message.
func (r reply) wantError(t *testing.T, status int, code string) string {
	t.Helper()
	r.want(t, status)
	var e struct {
		Error struct{ Code, Message string }
	}
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	require.Equalf(t, code, e.Error.Code, "body: %s", r.body)
	return e.Error.Message
}

func decodeAs[T any](t *testing.T, r reply) T {
	t.Helper()
	return parse[T](t, r.body)
}

func parse[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoErrorf(t, json.Unmarshal(data, &v), "JSON: %s", data)
	return v
}

// send is a proxy request: key as x-api-key on Anthropic paths, as
// Authorization: Bearer on the others; header adds name, value pairs.
func (ts *testServer) send(t *testing.T, method, path, key, body string, header ...string) reply {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	req := newRequest(t, method, ts.url+path, b)
	if key != "" {
		if strings.HasPrefix(path, "/v1/messages") {
			req.Header.Set("X-Api-Key", key)
			req.Header.Set("Anthropic-Version", "2023-06-01")
		} else {
			req.Header.Set("Authorization", "Bearer "+key)
		}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return roundTrip(t, http.DefaultClient, req)
}

func anthropicBody(model string, stream bool) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":16,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
}

func openaiBody(model string, stream bool) string {
	return fmt.Sprintf(`{"model":%q,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
}

// makeKey creates a proxy API key and returns its id and the key.
func makeKey(t *testing.T, c *apiClient, name string, models ...string) (id, key string) {
	t.Helper()
	if models == nil {
		models = []string{}
	}
	k := decodeAs[keyView](t, c.do(t, http.MethodPost, "/api/keys", map[string]any{"name": name, "models": models}).
		want(t, http.StatusCreated))
	require.NotEmpty(t, k.Key)
	return k.ID, k.Key
}

// drain closes the Client, which writes every usage record to the Store;
// the management API keeps working, the proxy does not.
func (ts *testServer) drain(t *testing.T) {
	t.Helper()
	require.NoError(t, ts.srv.client.Close())
}

// waitWritten waits until the background writer has saved n usage records.
func (ts *testServer) waitWritten(t *testing.T, n uint64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for ts.srv.client.RecordStats().Written < n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited for %d records to be written, have %d", n, ts.srv.client.RecordStats().Written)
		}
	}
}

// noKeyUpstream checks that no request the provider received carries key
// in any header.
func noKeyUpstream(t *testing.T, up *mockupstream.Server, key string) {
	t.Helper()
	require.NotEmpty(t, up.Requests())
	for _, r := range up.Requests() {
		for name, vals := range r.Header {
			for _, v := range vals {
				require.NotContainsf(t, v, key, "the caller's key reached the provider in %s", name)
			}
		}
	}
}

// metricValue returns the value of the sample of metric name whose labels
// include labels (name="value" pairs), or -1.
func metricValue(t *testing.T, text, name string, labels ...string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && strings.Contains(line, labels[i]+"="+strconv.Quote(labels[i+1]))
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		require.NoError(t, err, line)
		return v
	}
	return -1
}

// sseReader reads Server-Sent Events.
type sseReader struct {
	sc *bufio.Scanner
}

// next returns the next event's name and data.
func (r *sseReader) next(t *testing.T) (name, data string) {
	t.Helper()
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("event stream ended: %v", r.sc.Err())
	return "", ""
}

// until returns the data of the next event called name.
func (r *sseReader) until(t *testing.T, name string) []byte {
	t.Helper()
	for {
		if n, d := r.next(t); n == name {
			return []byte(d)
		}
	}
}

// openEvents opens /api/events; the stream ends with ctx.
func (c *apiClient) openEvents(t *testing.T, ctx context.Context) *sseReader {
	t.Helper()
	resp, err := c.hc.Do(c.request(t, http.MethodGet, "/api/events", nil).WithContext(ctx))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &sseReader{sc: bufio.NewScanner(resp.Body)}
}

func withURL(c routex.Channel, baseURL string) routex.Channel {
	c.BaseURL = baseURL
	return c
}

func withID(c routex.Channel, id string) routex.Channel {
	c.ID = id
	return c
}

func ids(list []channelView) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.ID
	}
	return out
}

func withRuleID(r routex.Rule, id string) routex.Rule {
	r.ID = id
	return r
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
