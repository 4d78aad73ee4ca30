package routex_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/storage/memory"
)

// Members routex reads are read once: a duplicate, however spelled, is
// refused in the caller's format before anything is routed.
func TestDuplicateMembersRefused(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	for _, body := range []string{
		`{"model":"claude-a","model":"claude-b","max_tokens":5,"messages":[]}`,
		`{"model":"claude-a","mod\u0065l":"claude-b","max_tokens":5,"messages":[]}`,
		`{"model":"claude-a","stream":false,"stream":true,"messages":[]}`,
		`{"model":"claude-a","messages":[],"messages":[{"role":"user","content":"x"}]}`,
	} {
		resp, out := post(t, c, anthropicPath, body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.Contains(t, gjson.Get(out, "error.message").Str, "more than once", body)
		resp, out = post(t, c, openaiPath, body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.Contains(t, gjson.Get(out, "error.message").Str, "more than once", body)
	}
	assert.Zero(t, up.Calls())
	// Members routex does not read may repeat: the provider decides.
	resp, _ := post(t, c, anthropicPath, `{"model":"claude-a","max_tokens":5,"max_tokens":6,"messages":[{"role":"user","content":"x"}]}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestInvalidUTF8ModelRefused(t *testing.T) {
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, mock(t, "a"))), routex.WithRecorder(recs))
	resp, out := post(t, c, anthropicPath, "{\"model\":\"claude-\xff\xfe\",\"max_tokens\":5,\"messages\":[]}")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, out)
	assert.Contains(t, out, "not valid UTF-8")
	assert.True(t, strings.ToValidUTF8(recs.last(t, 1).Model, "") == recs.last(t, 1).Model)
}

// A model filter in the request's context is applied to the model the
// Client routes by.
func TestContextModelFilter(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	allow := func(m string) bool { return m == "claude-haiku" }
	do := func(path, body string) *http.Response {
		req, err := http.NewRequestWithContext(routex.ContextWithModelFilter(context.Background(), allow),
			http.MethodPost, "http://routex.invalid"+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := c.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, http.StatusOK, do(anthropicPath, anthropicBody("claude-haiku", "hi")).StatusCode)
	assert.Equal(t, http.StatusForbidden, do(anthropicPath, anthropicBody("claude-opus", "hi")).StatusCode)
	assert.Equal(t, http.StatusForbidden, do(anthropicPath, `{"mod\u0065l":"claude-opus","max_tokens":5,"messages":[]}`).StatusCode)
	assert.Equal(t, http.StatusForbidden, do("/v1/messages/count_tokens", `{"model":"claude-opus","messages":[]}`).StatusCode)
	assert.Equal(t, http.StatusForbidden, do("/v1/messages/count_tokens", `{"messages":[]}`).StatusCode)
	assert.Equal(t, 1, up.Calls())
}

// A session key of any size costs the same to keep: a long one is kept as
// its digest, a short one as sent.
func TestLongSessionKeysHashed(t *testing.T) {
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, mock(t, "a"))))
	huge := strings.Repeat("u", 10<<20)
	body := `{"model":"claude-a","max_tokens":5,"metadata":{"user_id":"` + huge + `"},"messages":[{"role":"user","content":"x"}]}`
	resp, _ := post(t, c, anthropicPath, body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-a", "x"), "X-Session-Id", "short-session")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-a", "x"), "X-Session-Id", strings.Repeat("h", 200))
	require.Equal(t, http.StatusOK, resp.StatusCode)

	keys := map[string]bool{}
	for _, s := range c.Sessions() {
		assert.LessOrEqual(t, len(s.Key), routex.MaxSessionKeyBytes, "kept key")
		keys[s.Key] = true
	}
	assert.Len(t, keys, 3)
	assert.True(t, keys["short-session"])
	// The same long key finds the same session, and an admin can end it by
	// the key the listing shows.
	for k := range keys {
		if strings.HasPrefix(k, "sha256:") {
			assert.True(t, c.ForgetSession(k))
		}
	}
	assert.Len(t, c.Sessions(), 1)
}

// Sessions saved with keys longer than any kept now are not reloaded.
func TestLongStoredSessionsNotRestored(t *testing.T) {
	st := memory.New()
	ctx := context.Background()
	require.NoError(t, st.PutChannel(ctx, channel("a", routex.FormatAnthropic, mock(t, "a"))))
	exp := time.Now().Add(time.Hour)
	require.NoError(t, st.PutSession(ctx, routex.Session{Key: strings.Repeat("k", 1<<20), ChannelID: "a", ExpiresAt: exp}))
	require.NoError(t, st.PutSession(ctx, routex.Session{Key: "short", ChannelID: "a", ExpiresAt: exp}))
	c := newClient(t, routex.WithStore(st))
	got := c.Sessions()
	require.Len(t, got, 1)
	assert.Equal(t, "short", got[0].Key)
}

// A caller restricted to some models is listed only those.
func TestModelListingFiltered(t *testing.T) {
	ch := channel("a", routex.FormatAnthropic, mock(t, "a"))
	ch.Models = []string{"claude-haiku", "claude-opus"}
	c := newClient(t, routex.WithChannels(ch))
	req, err := http.NewRequestWithContext(routex.ContextWithModelFilter(context.Background(), func(m string) bool { return m == "claude-haiku" }),
		http.MethodGet, "http://routex.invalid/v1/models", nil)
	require.NoError(t, err)
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), "claude-haiku")
	assert.NotContains(t, string(b), "claude-opus")
}
