package routex_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

// Every spelling under which some JSON decoder reads a second "model" is
// one reading too many, in both caller formats and on pass-through.
func TestAdmitDuplicateSpellings(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	const rest = `"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`
	cases := []struct {
		name, body string
		model      bool // the member given twice is the model, which pass-through reads too
	}{
		{"repeated", `{"model":"claude-haiku","model":"claude-opus",` + rest, true},
		{"escaped", `{"model":"claude-haiku","mod\u0065l":"claude-opus",` + rest, true},
		{"escaped first", `{"\u006dodel":"claude-haiku","model":"claude-opus",` + rest, true},
		{"other case", `{"model":"claude-haiku","Model":"claude-opus",` + rest, true},
		{"unicode fold", `{"stream":false,"ſtream":true,"model":"claude-haiku",` + rest, false},
		{"kelvin fold", `{"thinking":{"type":"disabled"},"thin\u212aing":{"type":"enabled"},"model":"claude-haiku",` + rest, false},
		{"session member", `{"metadata":{"user_id":"a"},"METADATA":{"user_id":"b"},"model":"claude-haiku",` + rest, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			paths := []string{anthropicPath, openaiPath}
			if tc.model {
				paths = append(paths, "/v1/messages/count_tokens")
			}
			for _, path := range paths {
				resp, out := post(t, c, path, tc.body)
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", path, out)
				msg := gjson.Get(out, "error.message").Str
				assert.Contains(t, msg, "more than once", path)
				if path == openaiPath {
					assert.False(t, gjson.Get(out, "type").Exists(), "OpenAI error shape: %s", out)
				} else {
					assert.Equal(t, "error", gjson.Get(out, "type").Str, "Anthropic error shape: %s", out)
				}
			}
		})
	}
	assert.Zero(t, up.Calls(), "no duplicate reaches the provider")

	// One escaped spelling alone is the member itself, and names routed by
	// it are not mistaken for duplicates.
	resp, out := post(t, c, anthropicPath, `{"mod\u0065l":"claude-haiku",`+rest)
	assert.Equal(t, http.StatusOK, resp.StatusCode, out)
	resp, out = post(t, c, anthropicPath, `{"model":"claude-haiku","Temperature":1,"MAX_TOKENS":3,`+rest)
	assert.Equal(t, http.StatusOK, resp.StatusCode, out)
}

// A model filter in the context is applied to the model the Client routes
// by, for every spelling, format and endpoint; a refusal is a 403
// permission_error in the caller's format.
func TestAdmitModelFilter(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	ctx := routex.ContextWithModelFilter(context.Background(), func(m string) bool { return m == "claude-haiku" })
	do := func(path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://routex.invalid"+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := c.HTTPClient().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	const rest = `"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`
	for _, path := range []string{anthropicPath, openaiPath} {
		for _, body := range []string{
			`{"model":"claude-opus",` + rest,
			`{"mod\u0065l":"claude-opus",` + rest,
			`{"model":"claude-opus","stream":true,` + rest,
		} {
			status, out := do(path, body)
			assert.Equal(t, http.StatusForbidden, status, "%s %s", path, body)
			if path == openaiPath {
				assert.Equal(t, "permission_error", gjson.Get(out, "error.type").Str, out)
			} else {
				assert.Equal(t, "permission_error", gjson.Get(out, "error.type").Str, out)
				assert.Equal(t, "error", gjson.Get(out, "type").Str, out)
			}
			assert.Contains(t, gjson.Get(out, "error.message").Str, `this API key may not use model "claude-opus"`)
		}
	}
	// Pass-through: the body's one top-level model decides; none, or a
	// body that is not a JSON object, is no allowed model.
	for _, body := range []string{`{"model":"claude-opus","messages":[]}`, `{"messages":[]}`, `{"model":"claude-haiku"`, `not json`} {
		status, out := do("/v1/messages/count_tokens", body)
		assert.Equal(t, http.StatusForbidden, status, "%s: %s", body, out)
	}
	assert.Zero(t, up.Calls())

	status, out := do(anthropicPath, `{"model":"claude-haiku",`+rest)
	assert.Equal(t, http.StatusOK, status, out)
	status, out = do("/v1/messages/count_tokens", `{"model":"claude-haiku","messages":[]}`)
	assert.NotEqual(t, http.StatusForbidden, status, out)
	// Without a filter, nothing is refused for its model.
	resp, out := post(t, c, anthropicPath, anthropicBody("claude-opus", "x"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, out)
}

// Names that are not UTF-8 are refused before anything labels with them:
// the model, and the session key from whichever source it comes.
func TestAdmitInvalidUTF8(t *testing.T) {
	up := mock(t, "a")
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)), routex.WithRecorder(recs))
	bad := "s\xff\xfe"
	cases := []struct {
		name, path, body string
		header           []string
		msg              string
	}{
		{"model", anthropicPath, `{"model":"claude-` + bad + `","max_tokens":5,"messages":[]}`, nil, `"model" is not valid UTF-8`},
		{"model OpenAI", openaiPath, `{"model":"gpt-` + bad + `","messages":[]}`, nil, `"model" is not valid UTF-8`},
		{"model pass-through", "/v1/messages/count_tokens", `{"model":"claude-` + bad + `","messages":[]}`, nil, `"model" is not valid UTF-8`},
		{"metadata.user_id", anthropicPath, `{"model":"claude-a","max_tokens":5,"metadata":{"user_id":"` + bad + `"},"messages":[]}`, nil, `"metadata.user_id" is not valid UTF-8`},
		{"user", openaiPath, `{"model":"claude-a","user":"` + bad + `","messages":[]}`, nil, `"user" is not valid UTF-8`},
		{"x-session-id", anthropicPath, anthropicBody("claude-a", "x"), []string{"X-Session-Id", bad}, "x-session-id header is not valid UTF-8"},
		{"x-claude-code-session-id", anthropicPath, anthropicBody("claude-a", "x"), []string{"X-Claude-Code-Session-Id", bad}, "x-claude-code-session-id header is not valid UTF-8"},
		{"x-session-id pass-through", "/v1/messages/count_tokens", `{"model":"claude-a","messages":[]}`, []string{"X-Session-Id", bad}, "x-session-id header is not valid UTF-8"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := post(t, c, tc.path, tc.body, tc.header...)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, out)
			assert.Contains(t, gjson.Get(out, "error.message").Str, tc.msg)
			rec := recs.last(t, i+1)
			assert.True(t, strings.ToValidUTF8(rec.Model, "") == rec.Model, "recorded model %q", rec.Model)
			assert.True(t, strings.ToValidUTF8(rec.Session, "") == rec.Session, "recorded session %q", rec.Session)
		})
	}
	// A session key that is not used is not read: the header wins.
	resp, out := post(t, c, anthropicPath, `{"model":"claude-a","max_tokens":5,"metadata":{"user_id":"`+bad+`"},"messages":[{"role":"user","content":"x"}]}`, "X-Session-Id", "s1")
	assert.Equal(t, http.StatusOK, resp.StatusCode, out)
	assert.Equal(t, 1, up.Calls())
}

// A model name is bounded: it is kept in every record.
func TestAdmitLongModel(t *testing.T) {
	up := mock(t, "a")
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)), routex.WithRecorder(recs))
	long := "claude-" + strings.Repeat("x", 10<<20)
	for i, path := range []string{anthropicPath, openaiPath, "/v1/messages/count_tokens"} {
		resp, out := post(t, c, path, `{"model":"`+long+`","max_tokens":5,"messages":[]}`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, path)
		assert.Contains(t, out, "longer than 256 bytes")
		assert.LessOrEqual(t, len(recs.last(t, i+1).Model), routex.MaxModelBytes)
	}
	assert.Zero(t, up.Calls())
}

// A session key of any length costs the same: a 10 MB metadata.user_id,
// user or header becomes a short digest, the same for the same key.
func TestAdmitLongSessionKey(t *testing.T) {
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, mock(t, "a")), channel("o", routex.FormatOpenAI, mock(t, "o"))),
		routex.WithRecorder(recs))
	huge := strings.Repeat("u", 10<<20)
	bodies := []struct{ path, body string }{
		{anthropicPath, `{"model":"claude-a","max_tokens":5,"metadata":{"user_id":"` + huge + `"},"messages":[{"role":"user","content":"x"}]}`},
		{openaiPath, `{"model":"gpt-a","user":"` + huge + `","messages":[{"role":"user","content":"x"}]}`},
	}
	var keys []string
	for _, b := range bodies {
		resp, out := post(t, c, b.path, b.body)
		require.Equal(t, http.StatusOK, resp.StatusCode, out)
		keys = append(keys, recs.last(t, len(keys)+1).Session)
	}
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-a", "x"), "X-Session-Id", huge)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	keys = append(keys, recs.last(t, 3).Session)
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, "sha256:"), k)
		assert.Len(t, k, len("sha256:")+32)
	}
	assert.Equal(t, keys[0], keys[1], "the same key, the same digest")
	assert.Equal(t, keys[0], keys[2])

	// Up to the bound, a key stays as sent.
	short := strings.Repeat("k", routex.MaxSessionKeyBytes)
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-a", "x"), "X-Session-Id", short)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, short, recs.last(t, 4).Session)
}
