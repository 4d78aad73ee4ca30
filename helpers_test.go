package routex_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/fakeclock"
	"github.com/routex/routex/internal/mockupstream"
)

func newFakeClock() *fakeclock.Clock { return fakeclock.New() }

// records collects usage records and lets a test wait for them.
type records struct {
	mu   sync.Mutex
	recs []analytics.Record
	sig  chan struct{}
}

func newRecords() *records { return &records{sig: make(chan struct{}, 1024)} }

func (r *records) Record(rec analytics.Record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	r.sig <- struct{}{}
}

// wait returns the first n records, failing the test if they do not come.
func (r *records) wait(t *testing.T, n int) []analytics.Record {
	t.Helper()
	for {
		r.mu.Lock()
		if len(r.recs) >= n {
			out := append([]analytics.Record(nil), r.recs...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.sig:
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for %d records, have %d", n, len(r.recs))
		}
	}
}

func (r *records) last(t *testing.T, n int) analytics.Record {
	t.Helper()
	recs := r.wait(t, n)
	return recs[n-1]
}

// mock starts a mock provider closed at the end of the test.
func mock(t *testing.T, name string) *mockupstream.Server {
	t.Helper()
	s := mockupstream.New(name)
	t.Cleanup(s.Close)
	return s
}

func channel(id string, typ routex.Format, srv *mockupstream.Server) routex.Channel {
	return routex.Channel{ID: id, Type: typ, BaseURL: srv.URL, APIKey: "sk-" + id + "-secret-key-0123456789"}
}

// newClient builds a Client closed at the end of the test.
func newClient(t *testing.T, opts ...routex.Option) *routex.Client {
	t.Helper()
	c, err := routex.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// channelOf returns which channel served a response.
func channelOf(resp *http.Response) string { return resp.Header.Get("X-Routex-Channel") }
