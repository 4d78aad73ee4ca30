package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/routex/routex"
)

// A channel given with its endpoint in the base URL (OpenRouter documents
// "…/api/v1/chat/completions") is saved without it, the answer says so,
// and requests reach the endpoint once.
func TestChannelBaseURLWithEndpoint(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	up := newMock(t, "or")
	_, key := makeKey(t, c, "or")
	ch := routex.Channel{ID: "openrouter", Type: routex.FormatOpenAI, BaseURL: up.URL + "/api/v1/chat/completions",
		APIKey: openaiKey, Models: []string{"anthropic/claude-opus-4"}}
	got := decodeAs[channelView](t, c.do(t, http.MethodPost, "/api/channels", ch).want(t, http.StatusCreated))
	assert.Equal(t, up.URL+"/api/v1", got.BaseURL)
	assert.Contains(t, got.Notice, "/chat/completions")
	put := decodeAs[channelView](t, c.do(t, http.MethodPut, "/api/channels/openrouter", ch).want(t, http.StatusOK))
	assert.Equal(t, up.URL+"/api/v1", put.BaseURL)
	assert.NotEmpty(t, put.Notice)
	again := decodeAs[channelView](t, c.do(t, http.MethodGet, "/api/channels/openrouter", nil).want(t, http.StatusOK))
	assert.Empty(t, again.Notice)

	ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody("anthropic/claude-opus-4", false)).want(t, http.StatusOK)
	assert.Equal(t, "/api/v1/chat/completions", up.Last().Path)
}
