package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
)

// nulls lists the paths in v that hold null.
func nulls(path string, v any, out *[]string) {
	switch v := v.(type) {
	case nil:
		*out = append(*out, path)
	case map[string]any:
		for k, e := range v {
			nulls(path+"."+k, e, out)
		}
	case []any:
		for i, e := range v {
			nulls(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	}
}

// The API's answers hold no null: an empty list is [], and what is not
// known is left out. Each listing is read bare (nothing made yet beyond
// the wizard's channel) and with one thing of each kind in it.
func TestAnswersHoldNoNull(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	paths := []string{
		"/api/session", "/api/channels", "/api/channels/main", "/api/channels/export", "/api/rules",
		"/api/transformers", "/api/strategy", "/api/sessions", "/api/status", "/api/analytics",
		"/api/analytics?group=model&bucket=hour", "/api/overview", "/api/requests", "/api/keys", "/api/settings", "/api/settings/tokens",
	}
	check := func(t *testing.T) {
		for _, p := range paths {
			r := c.do(t, http.MethodGet, p, nil).want(t, http.StatusOK)
			var v any
			require.NoError(t, json.Unmarshal(r.body, &v), p)
			var found []string
			nulls("", v, &found)
			sort.Strings(found)
			assert.Empty(t, found, "%s: %s", p, r.body)
		}
	}
	t.Run("bare", check)

	c.do(t, http.MethodPost, "/api/rules", routex.Rule{ID: "r", Condition: routex.Condition{Keywords: []string{"x"}},
		Target: routex.Target{Channel: "main"}}).want(t, http.StatusCreated)
	_, key := makeKey(t, c, "k")
	c.do(t, http.MethodPost, "/api/settings/tokens", map[string]string{"name": "unused"}).want(t, http.StatusCreated)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, `{"model":`).want(t, http.StatusBadRequest)
	ts.waitWritten(t, 2)
	t.Run("in use", check)
}
