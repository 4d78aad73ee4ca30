package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/storage/sqlite"
)

// TestClientOnSQLite runs a Client on a SQLite Store: a channel written to
// the Store serves the next request, and the usage records, with their
// cost, are on disk once the Client is closed.
func TestClientOnSQLite(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "routex.db"), sqlite.WithEncryptionKey(testKey(t)))
	up := mockupstream.New("disk")
	defer up.Close()

	c, err := routex.New(routex.WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	send := func() *http.Response {
		req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages",
			strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := send(); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no channel yet: status %d, want 404", resp.StatusCode)
	}
	if err := st.PutChannel(ctx, routex.Channel{ID: "disk", Type: routex.FormatAnthropic, BaseURL: up.URL, APIKey: "sk-disk-0123456789"}); err != nil {
		t.Fatal(err)
	}
	if resp := send(); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Routex-Channel") != "disk" {
		t.Fatalf("after PutChannel: status %d channel %q", resp.StatusCode, resp.Header.Get("X-Routex-Channel"))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Records(ctx, routex.RecordQuery{From: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records on disk, want 2", len(recs))
	}
	ok := recs[0]
	if ok.Status != 200 || ok.ChannelID != "disk" || ok.OutputTokens != 7 || ok.Cost == nil || *ok.Cost <= 0 {
		t.Fatalf("record %+v", ok)
	}
	if recs[1].Status != http.StatusNotFound {
		t.Fatalf("refusal record %+v", recs[1])
	}
}

// TestResponseChainAcrossRestart continues, through a new Client on the
// reopened database, a Responses conversation that an earlier Client
// answered: the answer reached the disk when that Client closed, and the
// conversation is rebuilt from it for a request the channel must get whole
// ("store":false).
func TestResponseChainAcrossRestart(t *testing.T) {
	key := testKey(t)
	var mu sync.Mutex
	var bodies []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"resp_%d","object":"response","status":"completed","model":"gpt-5",`+
			`"output":[{"type":"message","id":"msg_%[1]d","role":"assistant","content":[{"type":"output_text","text":"answer %[1]d"}]}]}`, n)
	}))
	defer up.Close()
	path := filepath.Join(t.TempDir(), "routex.db")
	ch := routex.Channel{ID: "resp", Type: routex.FormatResponses, BaseURL: up.URL}
	send := func(c *routex.Client, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://x/v1/responses", strings.NewReader(body))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	st := open(t, path, sqlite.WithEncryptionKey(key))
	c, err := routex.New(routex.WithStore(st), routex.WithChannels(ch))
	must(t, err)
	if status, body := send(c, `{"model":"gpt-5","instructions":"rules","input":"one"}`); status != http.StatusOK {
		t.Fatalf("first turn: %d %s", status, body)
	}
	must(t, c.Close())
	must(t, st.Close())

	st = open(t, path, sqlite.WithEncryptionKey(key))
	defer st.Close()
	c, err = routex.New(routex.WithStore(st), routex.WithChannels(ch))
	must(t, err)
	defer c.Close()
	if status, body := send(c, `{"model":"gpt-5","store":false,"previous_response_id":"resp_1","input":"two"}`); status != http.StatusOK {
		t.Fatalf("second turn: %d %s", status, body)
	}
	mu.Lock()
	sent := bodies[1]
	mu.Unlock()
	if gjson.Get(sent, "previous_response_id").Exists() || gjson.Get(sent, "instructions").Exists() {
		t.Errorf("rebuilt request kept previous_response_id or the old instructions: %s", sent)
	}
	var got []string
	gjson.Get(sent, "input").ForEach(func(_, item gjson.Result) bool {
		text := item.Get("content")
		if text.IsArray() {
			text = text.Get("0.text")
		}
		got = append(got, item.Get("role").Str+":"+text.Str)
		return true
	})
	if want := "user:one assistant:answer 1 user:two"; strings.Join(got, " ") != want {
		t.Errorf("rebuilt input %q, want %q", strings.Join(got, " "), want)
	}
	if status, body := send(c, `{"model":"gpt-5","previous_response_id":"resp_404","input":"x"}`); status != http.StatusBadRequest ||
		gjson.Get(body, "error.code").Str != "previous_response_not_found" {
		t.Errorf("unknown id: %d %s", status, body)
	}
}
