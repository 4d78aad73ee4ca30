package storetest

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routex/routex"
)

func responseA() routex.StoredResponse {
	return routex.StoredResponse{
		ID: "resp_a", KeyID: "k1", ChannelID: "ch1", Model: "gpt-5", Store: true,
		Instructions: []byte(`"Be brief."`),
		Input:        []byte(`[{"type":"message","role":"user","content":"hi \"there\" ✓"}]`),
		Output:       []byte(`[{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"enc"},{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"hello"}]}]`),
		CreatedAt:    t0, ExpiresAt: t0.Add(time.Hour),
	}
}

func responseB() routex.StoredResponse {
	return routex.StoredResponse{
		ID: "resp_b", PreviousID: "resp_a", ChannelID: "ch2", Model: "gpt-5",
		Input: []byte(`[]`), Output: []byte(`[]`),
		CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour),
	}
}

func sameResponse(t *testing.T, what string, got, want routex.StoredResponse) {
	t.Helper()
	if got.ID != want.ID || got.PreviousID != want.PreviousID || got.KeyID != want.KeyID ||
		got.ChannelID != want.ChannelID || got.Model != want.Model || got.Store != want.Store ||
		!bytes.Equal(got.Instructions, want.Instructions) || !bytes.Equal(got.Input, want.Input) ||
		!bytes.Equal(got.Output, want.Output) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// responses returns s as a ResponseStore, skipping the test when it is not
// one: the capability is optional.
func responses(t *testing.T, s routex.Store) routex.ResponseStore {
	t.Helper()
	rs, ok := s.(routex.ResponseStore)
	if !ok {
		t.Skip("the Store does not implement routex.ResponseStore")
	}
	return rs
}

func testResponses(t *testing.T, s routex.Store) {
	rs := responses(t, s)
	ctx := t.Context()
	_, err := rs.Response(ctx, "resp_a", t0)
	mustNotFound(t, "Response in a new store", err)

	a, b := responseA(), responseB()
	must(t, rs.PutResponse(ctx, a))
	must(t, rs.PutResponse(ctx, b))
	for _, tt := range []struct {
		id   string
		now  time.Time
		want *routex.StoredResponse
	}{
		{"resp_a", t0, &a},
		{"resp_b", t0, &b},
		{"resp_a", t0.Add(time.Hour - time.Millisecond), &a},
		{"resp_a", t0.Add(time.Hour), nil}, // expired at exactly ExpiresAt
		{"resp_b", t0.Add(90 * time.Minute), &b},
		{"resp_b", t0.Add(3 * time.Hour), nil},
		{"resp_unknown", t0, nil},
		{"RESP_A", t0, nil}, // ids are exact
	} {
		got, err := rs.Response(ctx, tt.id, tt.now)
		what := "Response(" + tt.id + ", " + tt.now.Format(time.TimeOnly) + ")"
		if tt.want == nil {
			mustNotFound(t, what, err)
			continue
		}
		must(t, err)
		sameResponse(t, what, got, *tt.want)
	}

	// Replacing moves everything, the expiry included.
	a2 := a
	a2.ChannelID, a2.Store, a2.Instructions = "ch3", false, nil
	a2.Output = []byte(`[{"type":"message","role":"assistant","content":[]}]`)
	a2.ExpiresAt = t0.Add(5 * time.Hour)
	must(t, rs.PutResponse(ctx, a2))
	got, err := rs.Response(ctx, "resp_a", t0.Add(4*time.Hour))
	must(t, err)
	sameResponse(t, "Response after replace", got, a2)
}

// testResponseCopies checks that neither side can change the other's bytes.
func testResponseCopies(t *testing.T, s routex.Store) {
	rs := responses(t, s)
	ctx := t.Context()
	a := responseA()
	must(t, rs.PutResponse(ctx, a))
	a.Input[0], a.Output[0], a.Instructions[0] = 'X', 'X', 'X'
	got, err := rs.Response(ctx, "resp_a", t0)
	must(t, err)
	sameResponse(t, "after the caller changed what it put", got, responseA())
	got.Input[0], got.Output[0] = 'Y', 'Y'
	again, err := rs.Response(ctx, "resp_a", t0)
	must(t, err)
	sameResponse(t, "after the caller changed what it read", again, responseA())
}

// testResponseLarge stores an answer of several megabytes, as a long
// agent turn makes, and many at once from several goroutines.
func testResponseLarge(t *testing.T, s routex.Store) {
	rs := responses(t, s)
	ctx := t.Context()
	big := responseA()
	big.ID = "resp_big"
	big.Output = []byte(`[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"` +
		strings.Repeat("0123456789abcdef", 256<<10) + `"}]}]`)
	must(t, rs.PutResponse(ctx, big))
	got, err := rs.Response(ctx, "resp_big", t0)
	must(t, err)
	sameResponse(t, "a 4 MiB response", got, big)

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				r := responseB()
				r.ID = "resp_" + string(rune('a'+g)) + string(rune('a'+i))
				if err := rs.PutResponse(context.Background(), r); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for g := range 8 {
		id := "resp_" + string(rune('a'+g)) + "h"
		if _, err := rs.Response(ctx, id, t0); err != nil {
			t.Errorf("Response(%s) after concurrent puts: %v", id, err)
		}
	}
}

func testResponsesClosed(t *testing.T, s routex.Store) {
	rs := responses(t, s)
	must(t, s.Close())
	if err := rs.PutResponse(context.Background(), responseA()); err == nil {
		t.Error("PutResponse after Close succeeded")
	}
	if _, err := rs.Response(context.Background(), "resp_a", t0); err == nil {
		t.Error("Response after Close succeeded")
	}
}
