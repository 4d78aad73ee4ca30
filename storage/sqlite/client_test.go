package sqlite_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
