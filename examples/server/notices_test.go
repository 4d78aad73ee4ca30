package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"

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

// A rule whose target channel does not exist is saved, and its answer says
// it takes no request; the dry run names it and why it passed.
func TestRuleTargetMissing(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)
	rule := routex.Rule{ID: "review", Priority: 90, Condition: routex.Condition{Keywords: []string{"code review"}},
		Target: routex.Target{Channel: "claude-opus-channel"}}
	r := c.do(t, http.MethodPost, "/api/rules", rule).want(t, http.StatusCreated)
	assert.Contains(t, gjson.GetBytes(r.body, "notice").Str, `"claude-opus-channel"`)
	r = c.do(t, http.MethodPut, "/api/rules/review", rule).want(t, http.StatusOK)
	assert.NotEmpty(t, gjson.GetBytes(r.body, "notice").Str)
	r = c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK)
	assert.Contains(t, gjson.GetBytes(r.body, `#(id=="review").notice`).Str, `"claude-opus-channel"`, "the listing says it too")
	r = c.do(t, http.MethodGet, "/api/rules/review", nil).want(t, http.StatusOK)
	assert.Contains(t, gjson.GetBytes(r.body, "notice").Str, `"claude-opus-channel"`)

	body := `{"model":"` + sonnet + `","max_tokens":8,"messages":[{"role":"user","content":"a code review please"}]}`
	d := c.do(t, http.MethodPost, "/api/rules/test", map[string]any{"path": "/v1/messages", "body": json.RawMessage(body)}).want(t, http.StatusOK)
	assert.Empty(t, gjson.GetBytes(d.body, "rule").Str, "%s", d.body)
	assert.Equal(t, "review", gjson.GetBytes(d.body, "passedRules.0.rule").Str, "%s", d.body)
	assert.Contains(t, gjson.GetBytes(d.body, "passedRules.0.reason").Str, "does not exist")
	assert.Equal(t, "main", gjson.GetBytes(d.body, "channels.0").Str)

	rule.Target.Channel = "main"
	c.do(t, http.MethodPut, "/api/rules/review", rule).want(t, http.StatusOK)
	r = c.do(t, http.MethodGet, "/api/rules", nil).want(t, http.StatusOK)
	assert.False(t, gjson.GetBytes(r.body, `#(id=="review").notice`).Exists(), "%s", r.body)
}
