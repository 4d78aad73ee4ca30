package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// A key's model allowlist is checked against the model the Client routes
// by, read once from the body: no spelling of a second "model" gets a
// haiku-only key to sonnet, in either caller format, streamed or not, and
// pass-through endpoints are held to the same rule.
func TestAllowlistOneReading(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, limited := makeKey(t, c, "haiku only", haiku)
	_, open := makeKey(t, c, "any model")

	// body gives model first, then rest of a request in format path.
	body := func(path, members string, stream bool) string {
		if path == "/v1/chat/completions" {
			return fmt.Sprintf(`{%s,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, members, stream)
		}
		return fmt.Sprintf(`{%s,"max_tokens":16,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, members, stream)
	}
	// wantError checks an error in the caller's format and returns its
	// message.
	wantError := func(t *testing.T, path string, r reply, status int, typ string) string {
		t.Helper()
		r.want(t, status)
		if path == "/v1/chat/completions" {
			assert.False(t, gjson.GetBytes(r.body, "type").Exists(), "OpenAI error shape: %s", r.body)
		} else {
			assert.Equal(t, "error", gjson.GetBytes(r.body, "type").Str, "Anthropic error shape: %s", r.body)
		}
		assert.Equal(t, typ, gjson.GetBytes(r.body, "error.type").Str, "%s", r.body)
		return gjson.GetBytes(r.body, "error.message").Str
	}

	calls := ts.up.Calls()
	for _, path := range []string{"/v1/messages", "/v1/chat/completions"} {
		for _, stream := range []bool{false, true} {
			name := fmt.Sprintf("%s stream=%t", path, stream)
			t.Run(name, func(t *testing.T) {
				// The reported bypasses: the allowed model first, the one
				// routed (by a reader that takes the last) after it.
				for _, members := range []string{
					`"model":"` + haiku + `","model":"` + sonnet + `"`,
					`"model":"` + haiku + `","mod\u0065l":"` + sonnet + `"`,
					`"mod\u0065l":"` + haiku + `","model":"` + sonnet + `"`,
					`"model":"` + haiku + `","Model":"` + sonnet + `"`,
				} {
					for _, key := range []string{limited, open} {
						msg := wantError(t, path, ts.send(t, http.MethodPost, path, key, body(path, members, stream)),
							http.StatusBadRequest, "invalid_request_error")
						assert.Contains(t, msg, `"model" more than once`, members)
					}
				}
				// One escaped spelling is the model itself, checked as such.
				msg := wantError(t, path, ts.send(t, http.MethodPost, path, limited, body(path, `"mod\u0065l":"`+sonnet+`"`, stream)),
					http.StatusForbidden, "permission_error")
				assert.Equal(t, fmt.Sprintf("this API key may not use model %q", sonnet), msg)
				wantError(t, path, ts.send(t, http.MethodPost, path, limited, body(path, `"model":"`+sonnet+`"`, stream)),
					http.StatusForbidden, "permission_error")
			})
		}
	}
	t.Run("pass-through", func(t *testing.T) {
		const path = "/v1/messages/count_tokens"
		for _, b := range []string{
			`{"model":"` + haiku + `","model":"` + sonnet + `","messages":[]}`,
			`{"model":"` + haiku + `","mod\u0065l":"` + sonnet + `","messages":[]}`,
		} {
			msg := wantError(t, path, ts.send(t, http.MethodPost, path, limited, b), http.StatusBadRequest, "invalid_request_error")
			assert.Contains(t, msg, `"model" more than once`)
		}
		for _, b := range []string{`{"model":"` + sonnet + `","messages":[]}`, `{"messages":[]}`, `{"model":"` + haiku + `"`} {
			wantError(t, path, ts.send(t, http.MethodPost, path, limited, b), http.StatusForbidden, "permission_error")
		}
	})
	assert.Equal(t, calls, ts.up.Calls(), "no refused request reaches the provider")

	// The allowed model goes through, as sent, in both formats.
	for _, path := range []string{"/v1/messages", "/v1/chat/completions"} {
		for _, stream := range []bool{false, true} {
			r := ts.send(t, http.MethodPost, path, limited, body(path, `"mod\u0065l":"`+haiku+`"`, stream)).want(t, http.StatusOK)
			if !stream {
				assert.Equal(t, haiku, gjson.GetBytes(r.body, "model").Str, "%s", r.body)
			}
			sent := ts.up.Last()
			require.True(t, strings.HasSuffix(sent.Path, "/v1/messages"), sent.Path)
			assert.Equal(t, haiku, gjson.GetBytes(sent.Body, "model").Str, "%s", sent.Body)
		}
	}
	r := ts.send(t, http.MethodPost, "/v1/messages/count_tokens", limited, `{"model":"`+haiku+`","messages":[]}`)
	assert.NotEqual(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, calls+5, ts.up.Calls())
}
