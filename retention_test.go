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
