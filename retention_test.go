package routex_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/routex/routex"
)

// Usage records and session tables outlive their requests: the strings they
// keep (model, session key) must not be views into the request body, or
// every queued record would hold a whole body alive.
func TestRecordsDoNotHoldRequestBodies(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"m","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)
	}))
	defer up.Close()
	recs := newRecords()
	c := newClient(t, routex.WithChannels(routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "k"}),
		routex.WithRecorder(recs))

	const n, size = 32, 1 << 19
	text := strings.Repeat("x", size)
	for i := range n {
		for _, body := range []string{
			fmt.Sprintf(`{"model":"claude-x","max_tokens":1,"metadata":{"user_id":"user-%d"},"messages":[{"role":"user","content":%q}]}`, i, text),
			fmt.Sprintf(`{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":%q}]}`, text),
		} {
			resp, _ := post(t, c, anthropicPath, body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	got := recs.wait(t, 2*n)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > n*size/2 {
		t.Errorf("%d records hold %d MiB of heap: request bodies are kept alive", len(got), ms.HeapInuse>>20)
	}
	if got[0].Model != "claude-x" || got[0].Session != "user-0" {
		t.Errorf("record: model %q, session %q", got[0].Model, got[0].Session)
	}
	runtime.KeepAlive(recs)
}

// A stream can outlast its request by minutes: once the request is sent,
// neither routex nor the transport may keep its body.
func TestStreamDoesNotHoldRequestBody(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}))
	defer up.Close()
	defer close(release)
	c := newClient(t, routex.WithChannels(routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "k"}))

	const size = 16 << 20
	resp := func() *http.Response {
		body := fmt.Sprintf(`{"model":"claude-x","max_tokens":1,"stream":true,"messages":[{"role":"user","content":%q}]}`, strings.Repeat("x", size))
		// A MultiReader lets go of a reader it has read to its end, so
		// the caller's side keeps nothing either.
		req, err := http.NewRequest(http.MethodPost, "http://routex.invalid"+anthropicPath, io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.RoundTrip(req)
		if err != nil || resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %v, err %v: %s", resp.StatusCode, err, b)
		}
		return resp
	}()
	defer resp.Body.Close()
	buf := make([]byte, 512)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > size/2 {
		t.Errorf("a waiting stream holds %d MiB of heap: its request body is kept alive", ms.HeapInuse>>20)
	}
}
