package routex_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// TestBaseURLWithEndpoint: a BaseURL copied with its endpoint
// ("…/v1/chat/completions", OpenRouter's documented URL) gets the endpoint
// once, never twice.
func TestBaseURLWithEndpoint(t *testing.T) {
	for _, tc := range []struct {
		typ  routex.Format
		path string
		want string
	}{
		{routex.FormatOpenAI, "/api/v1/chat/completions", "/api/v1/chat/completions"},
		{routex.FormatOpenAI, "/api/v1/chat/completions/", "/api/v1/chat/completions"},
		{routex.FormatAnthropic, "/v1/messages", "/v1/messages"},
		{routex.FormatResponses, "/openai/v1/responses", "/openai/v1/responses"},
		{routex.FormatOpenAI, "/api/v1", "/api/v1/chat/completions"},
	} {
		t.Run(string(tc.typ)+tc.path, func(t *testing.T) {
			srv := mock(t, "up")
			ch := channel("up", tc.typ, srv)
			ch.BaseURL += tc.path
			c := newClient(t, routex.WithChannels(ch))
			if tc.typ == routex.FormatAnthropic {
				sdk := anthropicSDK(c)
				_, err := sdk.Messages.New(context.Background(), anthropicParams("m", "hi"))
				require.NoError(t, err)
			} else {
				sdk := openaiSDK(c)
				_, err := sdk.Chat.Completions.New(context.Background(), openaiParams("m", "hi"))
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, srv.Last().Path)
		})
	}
	for in, want := range map[string][2]string{
		"https://openrouter.ai/api/v1/chat/completions": {"https://openrouter.ai/api/v1", "/chat/completions"},
		"https://api.anthropic.com/v1/messages/":        {"https://api.anthropic.com/v1", "/messages"},
		"https://h.example/v1/responses?key=s":          {"https://h.example/v1?key=s", "/responses"},
		"https://api.openai.com/v1":                     {"https://api.openai.com/v1", ""},
		"https://h.example/messages":                    {"https://h.example/messages", ""},
	} {
		got, cut := routex.TrimEndpoint(in)
		assert.Equal(t, want, [2]string{got, cut}, in)
	}
}

// TestBetaFlagAndContentType: Claude Code's ?beta=true reaches Anthropic
// channels only, and a body routex wrote anew goes as JSON whatever the
// caller said it sent.
func TestBetaFlagAndContentType(t *testing.T) {
	for _, typ := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI} {
		srv := mock(t, "up")
		c := newClient(t, routex.WithChannels(channel("up", typ, srv)))
		req, err := http.NewRequest(http.MethodPost, "http://routex.invalid/v1/messages?beta=true",
			strings.NewReader(`{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		resp, err := c.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		got := srv.Last()
		if typ == routex.FormatAnthropic {
			assert.Equal(t, "beta=true", got.Query)
			assert.Equal(t, "text/plain; charset=utf-8", got.Header.Get("Content-Type"), "the caller's body, as it came")
		} else {
			assert.Empty(t, got.Query)
			assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
		}
	}
}
