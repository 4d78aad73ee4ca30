package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
	"google.golang.org/genai"

	"github.com/routex/routex/analytics"
)

// geminiSDK is Google's client aimed at the server's proxy with key.
func geminiSDK(t *testing.T, ts *testServer, key, version string) *genai.Client {
	t.Helper()
	cl, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: key, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: ts.url, APIVersion: version},
	})
	require.NoError(t, err)
	return cl
}

// Google's client reaches the Anthropic channel through the server with a
// proxy key in x-goog-api-key, whole and streamed, on both API versions;
// the provider sees the channel's key, never the proxy's; a key given as
// ?key= is a proxy key too; refusals come in Google's shape; the dry run
// reads the model from the path.
func TestGeminiThroughServer(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	keyID, key := makeKey(t, c, "gemini cli")
	_, limited := makeKey(t, c, "haiku only", haiku)
	ctx := context.Background()

	for _, version := range []string{"v1", "v1beta"} {
		sdk := geminiSDK(t, ts, key, version)
		r, err := sdk.Models.GenerateContent(ctx, sonnet, genai.Text("hi"), nil)
		require.NoError(t, err)
		assert.Equal(t, ts.up.Text, r.Text())
		var text string
		for chunk, err := range sdk.Models.GenerateContentStream(ctx, sonnet, genai.Text("hi"), nil) {
			require.NoError(t, err)
			text += chunk.Text()
		}
		assert.Equal(t, ts.up.Text, text)
	}
	for _, req := range ts.up.Requests() {
		assert.Equal(t, channelKey, req.Header.Get("X-Api-Key"))
		assert.Empty(t, req.Header.Get("X-Goog-Api-Key"))
		assert.Equal(t, sonnet, gjson.GetBytes(req.Body, "model").Str)
	}

	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	path := "/v1beta/models/" + sonnet + ":generateContent"
	r := ts.send(t, http.MethodPost, path+"?key="+key, "", body).want(t, http.StatusOK)
	assert.Equal(t, ts.up.Text, gjson.GetBytes(r.body, "candidates.0.content.parts.0.text").Str, "%s", r.body)

	googleError := func(t *testing.T, r reply, status int, name string) string {
		t.Helper()
		r.want(t, status)
		assert.Equal(t, int64(status), gjson.GetBytes(r.body, "error.code").Int(), "%s", r.body)
		assert.Equal(t, name, gjson.GetBytes(r.body, "error.status").Str, "%s", r.body)
		return gjson.GetBytes(r.body, "error.message").Str
	}
	calls := ts.up.Calls()
	googleError(t, ts.send(t, http.MethodPost, path, "", body), http.StatusUnauthorized, "UNAUTHENTICATED")
	msg := googleError(t, ts.send(t, http.MethodPost, path, "", body, "X-Goog-Api-Key", "rx-wrong"), http.StatusUnauthorized, "UNAUTHENTICATED")
	assert.Contains(t, msg, "x-goog-api-key")
	msg = googleError(t, ts.send(t, http.MethodPost, path+"?key="+limited, "", body), http.StatusForbidden, "PERMISSION_DENIED")
	assert.Contains(t, msg, sonnet)
	_, err := geminiSDK(t, ts, key, "v1beta").Models.GenerateContent(ctx, "gemini-unknown", genai.Text("hi"), nil)
	var ae genai.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, http.StatusNotFound, ae.Code)
	assert.Equal(t, calls, ts.up.Calls(), "nothing refused reached the provider")

	page, err := geminiSDK(t, ts, key, "v1beta").Models.List(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, m := range page.Items {
		names = append(names, m.Name)
	}
	assert.ElementsMatch(t, []string{"models/" + sonnet, "models/" + haiku}, names)

	d := decodeAs[struct {
		Format   string   `json:"format"`
		Model    string   `json:"model"`
		Channels []string `json:"channels"`
	}](t, c.do(t, http.MethodPost, "/api/rules/test", map[string]any{"path": path, "body": json.RawMessage(body)}).want(t, http.StatusOK))
	assert.Equal(t, "gemini", d.Format)
	assert.Equal(t, sonnet, d.Model)
	assert.Equal(t, []string{"main"}, d.Channels)

	ts.drain(t)
	recs := decodeAs[struct{ Records []analytics.Record }](t, c.do(t, http.MethodGet, "/api/requests", nil).want(t, http.StatusOK)).Records
	served := 0
	for _, rec := range recs {
		if rec.Status != http.StatusOK {
			continue
		}
		served++
		assert.Equal(t, "gemini", rec.InboundFormat)
		assert.Equal(t, sonnet, rec.Model)
		assert.Equal(t, keyID, rec.KeyID)
		assert.EqualValues(t, ts.up.Usage.Input, rec.InputTokens)
		assert.EqualValues(t, ts.up.Usage.Output, rec.OutputTokens)
		if assert.NotNil(t, rec.Cost, "Claude Sonnet is priced") {
			assert.Positive(t, *rec.Cost)
		}
	}
	assert.Equal(t, 5, served)
}
