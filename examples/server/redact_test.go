package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// Credentials in a base URL (user info, "?key=") are secrets like the API
// key: listings and the export hide them, and saving the listing's form
// back keeps the stored URL.
func TestBaseURLSecretsRedacted(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "k")
	up := newMock(t, "q")
	base := strings.Replace(up.URL, "http://", "http://user:pa55word@", 1) + "?key=AIzaURLSECRET"
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "q", Type: routex.FormatOpenAI, BaseURL: base,
		APIKey: "sk-q-0123456789abcdef", Models: []string{"gpt-q"}}).want(t, http.StatusCreated)

	for _, path := range []string{"/api/channels", "/api/channels/export", "/api/channels/q"} {
		body := string(c.do(t, http.MethodGet, path, nil).want(t, http.StatusOK).body)
		assert.NotContains(t, body, "pa55word", path)
		assert.NotContains(t, body, "AIzaURLSECRET", path)
	}
	shown := decodeAs[routex.Channel](t, c.do(t, http.MethodGet, "/api/channels/q", nil).want(t, http.StatusOK))
	shown.Priority = 3
	c.do(t, http.MethodPut, "/api/channels/q", shown).want(t, http.StatusOK)

	ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody("gpt-q", false)).want(t, http.StatusOK)
	last := up.Last()
	require.NotEmpty(t, last.Header.Get("Authorization"))
	stored, err := ts.srv.store.RevealChannels(t.Context())
	require.NoError(t, err)
	for _, ch := range stored {
		if ch.ID == "q" {
			assert.Equal(t, base, ch.BaseURL, "the stored URL stands")
		}
	}
}
