package main

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

	"github.com/routex/routex"
)

// bodyDeadline is the short body deadline of these tests.
const bodyDeadline = 200 * time.Millisecond

// hangGuard only keeps a broken test from hanging: no test here waits for
// it to pass.
const hangGuard = time.Minute

// stalled opens a raw connection that sends the request head with the
// Content-Length of a larger body, and only part of the body.
func stalled(t *testing.T, base, head, partial string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", mustURL(t, base).Host)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, head+"\r\n"+partial)
	require.NoError(t, err)
	return conn
}

// waitDropped waits until the server answers a stalled request or closes
// its connection. It returns the status of the answer, or 0 when the
// server closed without one.
func waitDropped(t *testing.T, conn net.Conn) int {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(hangGuard)))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	status := 0
	if err == nil {
		status = resp.StatusCode
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The connection is of no more use: the server closes it.
		_, err = br.ReadByte()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still holds a connection whose body stalled, %s later", hangGuard)
	}
	return status
}

func TestBodyReadDeadline(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t, func(cfg *Config) { cfg.BodyReadTimeout = bodyDeadline })
	_, key := makeKey(t, c, "deadline")
	host := mustURL(t, ts.url).Host

	t.Run("login", func(t *testing.T) {
		// Several at once, as the review's 200 were.
		conns := make([]net.Conn, 8)
		for i := range conns {
			conns[i] = stalled(t, ts.url, "POST /api/login HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nContent-Length: 200\r\n",
				`{"username":"adm`)
		}
		for _, conn := range conns {
			status := waitDropped(t, conn)
			assert.Contains(t, []int{0, http.StatusRequestTimeout, http.StatusBadRequest}, status)
		}
	})

	t.Run("login dribbled", func(t *testing.T) {
		// A byte at a time does not move the deadline: it bounds the whole body.
		conn := stalled(t, ts.url, "POST /api/login HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n", "{")
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(bodyDeadline / 10)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := io.WriteString(conn, " "); err != nil {
						return
					}
				}
			}
		}()
		status := waitDropped(t, conn)
		assert.Contains(t, []int{0, http.StatusRequestTimeout, http.StatusBadRequest}, status)
	})

	t.Run("proxy", func(t *testing.T) {
		conn := stalled(t, ts.url, "POST /v1/messages HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nX-Api-Key: "+key+
			"\r\nAnthropic-Version: 2023-06-01\r\nContent-Length: 500\r\n", `{"model":"`+sonnet)
		status := waitDropped(t, conn)
		assert.Contains(t, []int{0, http.StatusRequestTimeout, http.StatusBadRequest}, status)
	})

	t.Run("whole bodies in time still work", func(t *testing.T) {
		ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
		ts.client().do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	})
}

// heldStream is an Anthropic provider whose streams send their first event,
// then wait for release before they finish.
func heldStream(t *testing.T, release <-chan struct{}) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		flush := func(event, data string) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
			http.NewResponseController(w).Flush()
		}
		flush("message_start", `{"type":"message_start","message":{"id":"msg_held","type":"message","role":"assistant","model":"claude-held","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		flush("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		flush("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"still here"}}`)
		flush("content_block_stop", `{"type":"content_block_stop","index":0}`)
		flush("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}`)
		flush("message_stop", `{"type":"message_stop"}`)
	}))
	t.Cleanup(up.Close)
	return up
}

// TestStreamsOutliveBodyDeadline: a proxied stream and the dashboard's
// event stream go on past the body deadline. Each is open before a
// stalled request is dropped, so its own deadline, had it kept one, has
// passed by then.
func TestStreamsOutliveBodyDeadline(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t, func(cfg *Config) { cfg.BodyReadTimeout = bodyDeadline })
	_, key := makeKey(t, c, "streams")
	release := make(chan struct{})
	up := heldStream(t, release)
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "held", Type: routex.FormatAnthropic, BaseURL: up.URL, Models: []string{"claude-held"}}).
		want(t, http.StatusCreated)

	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	events := c.openEvents(t, ctx)
	events.until(t, "stats")

	req := newRequest(t, http.MethodPost, ts.url+"/v1/messages", anthropicBody("claude-held", true))
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	stream := &sseReader{sc: bufio.NewScanner(resp.Body)}
	name, _ := stream.next(t)
	require.Equal(t, "message_start", name)

	conn := stalled(t, ts.url, "POST /api/login HTTP/1.1\r\nHost: "+mustURL(t, ts.url).Host+"\r\nContent-Length: 100\r\n", "{")
	waitDropped(t, conn)

	close(release)
	assert.Contains(t, string(stream.until(t, "content_block_delta")), "still here")
	stream.until(t, "message_stop")
	assert.True(t, strings.Contains(string(events.until(t, "request")), `"claude-held"`), "the stream's record reaches the event stream")
}
