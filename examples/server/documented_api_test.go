package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

// The four calls the product's documentation shows, sent verbatim, do what
// they plainly mean; the long-context rule then routes a long prompt to
// the Gemini channel it names.
func TestDocumentedAPI(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	raw := func(method, path, body string) reply {
		return c.do(t, method, path, body)
	}

	r := raw(http.MethodPost, "/api/routing/rules", `{"name":"Long Context to Gemini","type":"longContext","condition":{"tokenThreshold":60000},"targetChannel":"gemini-channel","targetModel":"gemini-2.5-pro","priority":100}`).
		want(t, http.StatusCreated)
	assert.Equal(t, "gemini-channel", gjson.GetBytes(r.body, "target.channel").Str, "%s", r.body)
	assert.Equal(t, "gemini-2.5-pro", gjson.GetBytes(r.body, "target.model").Str)
	assert.EqualValues(t, 60000, gjson.GetBytes(r.body, "condition.tokenThreshold").Int())
	assert.Contains(t, gjson.GetBytes(r.body, "notice").Str, "gemini-channel", "no such channel yet")
	id := gjson.GetBytes(r.body, "id").Str

	r = raw(http.MethodPost, "/api/routing/rules", `{"name":"Code Review Tasks","type":"custom","condition":{"keywords":["code review","review this code","analyze code"]},"targetChannel":"claude-opus-channel","priority":90}`).
		want(t, http.StatusCreated)
	assert.Equal(t, []any{"code review", "review this code", "analyze code"}, gjson.GetBytes(r.body, "condition.keywords").Value())

	r = raw(http.MethodPost, "/api/channels", `{"name":"OpenRouter Channel","type":"openai","baseUrl":"https://openrouter.ai/api/v1/chat/completions","apiKey":"sk-or-xxx","models":["anthropic/claude-opus-4"],"transformers":{"use":["openai"]}}`).
		want(t, http.StatusCreated)
	assert.Equal(t, "https://openrouter.ai/api/v1", gjson.GetBytes(r.body, "baseUrl").Str, "%s", r.body)
	assert.Contains(t, gjson.GetBytes(r.body, "notice").Str, "/chat/completions")
	assert.Equal(t, "openai", gjson.GetBytes(r.body, "transformers.0.name").Str)
	assert.NotContains(t, string(r.body), "sk-or-xxx")

	r = raw(http.MethodPost, "/api/transformers/test", `{"transformer":"openai","direction":"request","request":{"model":"claude-opus-4","messages":[{"role":"user","content":"Hello"}],"max_tokens":100}}`).
		want(t, http.StatusOK)
	assert.Equal(t, "anthropic", gjson.GetBytes(r.body, "from").Str, "%s", r.body)
	assert.Equal(t, "openai", gjson.GetBytes(r.body, "to").Str)
	out := gjson.GetBytes(r.body, "body")
	assert.Equal(t, "claude-opus-4", out.Get("model").Str)
	assert.Equal(t, "Hello", out.Get("messages.0.content").String(), "%s", out.Raw)
	assert.True(t, out.Get("max_tokens").Exists() || out.Get("max_completion_tokens").Exists(), "%s", out.Raw)
	r = raw(http.MethodPost, "/api/transformers/test", `{"transformer":"openai","request":{"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]}}`).
		want(t, http.StatusOK)
	assert.Contains(t, gjson.GetBytes(r.body, "note").Str, "already in the openai format")

	// A flag type sets its flag when the condition leaves it out, and
	// keeps the one it gives.
	r = raw(http.MethodPost, "/api/routing/rules", `{"name":"t","type":"tools","condition":{},"targetChannel":"main"}`).want(t, http.StatusCreated)
	assert.True(t, gjson.GetBytes(r.body, "condition.hasTools").Bool(), "%s", r.body)
	r = raw(http.MethodPost, "/api/routing/rules", `{"name":"i","type":"images","condition":{"hasImages":false},"targetChannel":"main"}`).want(t, http.StatusCreated)
	assert.Equal(t, "false", gjson.GetBytes(r.body, "condition.hasImages").Raw, "%s", r.body)

	// A type its condition does not fit, and targets that disagree.
	msg := raw(http.MethodPost, "/api/routing/rules", `{"name":"x","type":"longContext","condition":{"keywords":["a"]},"targetChannel":"main"}`).
		wantError(t, http.StatusBadRequest, "invalid_rule")
	assert.Contains(t, msg, "tokenThreshold")
	msg = raw(http.MethodPost, "/api/routing/rules", `{"name":"x","type":"long","condition":{},"targetChannel":"main"}`).
		wantError(t, http.StatusBadRequest, "invalid_rule")
	assert.Contains(t, msg, "longContext")
	msg = raw(http.MethodPost, "/api/rules", `{"name":"x","condition":{},"target":{"channel":"a"},"targetChannel":"b"}`).
		wantError(t, http.StatusBadRequest, "invalid_rule")
	assert.Contains(t, msg, "disagree")

	// Once the channel exists, the rule fires: a long Anthropic prompt is
	// answered by Gemini 2.5 Pro.
	gem := newMock(t, "gemini")
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "gemini-channel", Type: routex.FormatGemini, BaseURL: gem.URL,
		APIKey: "gm-SECRET-key-0123456789", Models: []string{"gemini-*"}}).want(t, http.StatusCreated)
	_, key := makeKey(t, c, "docs")
	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 9000)
	resp := ts.send(t, http.MethodPost, "/v1/messages", key, `{"model":"`+sonnet+`","max_tokens":64,"messages":[{"role":"user","content":"`+long+`"}]}`).
		want(t, http.StatusOK)
	assert.Equal(t, "hello from gemini", gjson.GetBytes(resp.body, "content.0.text").Str, "%s", resp.body)
	assert.Equal(t, id, resp.header.Get("X-Routex-Rule"))
	assert.Equal(t, "/v1beta/models/gemini-2.5-pro:generateContent", gem.Last().Path)
}
