package routex_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
	"google.golang.org/genai"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
)

// genaiSDK returns Google's client sending through c, on API version
// version ("v1", "v1beta").
func genaiSDK(t *testing.T, c *routex.Client, version string) *genai.Client {
	t.Helper()
	cl, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "caller-google-key", Backend: genai.BackendGeminiAPI, HTTPClient: c.HTTPClient(),
		HTTPOptions: genai.HTTPOptions{BaseURL: "http://routex.invalid", APIVersion: version},
	})
	require.NoError(t, err)
	return cl
}

// geminiWeatherConfig offers the two functions crossTools calls.
func geminiWeatherConfig() *genai.GenerateContentConfig {
	obj := func(prop string) *genai.Schema {
		return &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{prop: {Type: genai.TypeString}}}
	}
	return &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("You are terse.", genai.RoleUser),
		MaxOutputTokens:   200,
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{
			{Name: "get_weather", Description: "Weather in a city", Parameters: obj("city")},
			{Name: "get_time", Description: "Time in a zone", Parameters: obj("zone")},
		}}},
	}
}

// geminiAnswer is what Google's client assembled from one answer, whole or
// streamed.
type geminiAnswer struct {
	text   string
	calls  []*genai.FunctionCall
	finish genai.FinishReason
	usage  *genai.GenerateContentResponseUsageMetadata
}

func (a *geminiAnswer) add(r *genai.GenerateContentResponse) {
	if len(r.Candidates) > 0 {
		if c := r.Candidates[0].Content; c != nil {
			for _, p := range c.Parts {
				switch {
				case p.FunctionCall != nil:
					a.calls = append(a.calls, p.FunctionCall)
				case p.Text != "" && !p.Thought:
					a.text += p.Text
				}
			}
		}
		if fr := r.Candidates[0].FinishReason; fr != "" {
			a.finish = fr
		}
	}
	if r.UsageMetadata != nil {
		a.usage = r.UsageMetadata
	}
}

// geminiAsk sends contents through sdk, whole or streamed.
func geminiAsk(sdk *genai.Client, model string, contents []*genai.Content, cfg *genai.GenerateContentConfig, stream bool) (geminiAnswer, error) {
	ctx := context.Background()
	var a geminiAnswer
	if !stream {
		r, err := sdk.Models.GenerateContent(ctx, model, contents, cfg)
		if err != nil {
			return a, err
		}
		a.add(r)
		return a, nil
	}
	for r, err := range sdk.Models.GenerateContentStream(ctx, model, contents, cfg) {
		if err != nil {
			return a, err
		}
		a.add(r)
	}
	return a, nil
}

// TestGeminiSDKAcrossFormats sends Google's client, on both API versions,
// whole and streamed, through channels of every other format: the answer's
// text, its two function calls with object arguments and its usage reach
// the client as Google would give them, and the record names the model
// the path gave.
func TestGeminiSDKAcrossFormats(t *testing.T) {
	for _, up := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI, routex.FormatResponses} {
		for _, version := range []string{"v1", "v1beta"} {
			for _, stream := range []bool{false, true} {
				name := string(up) + "/" + version
				if stream {
					name += "/stream"
				}
				t.Run(name, func(t *testing.T) {
					srv := mock(t, "up")
					srv.Text = "Checking both: café ☕"
					srv.Tools = crossTools
					recs := newRecords()
					c := newClient(t, routex.WithChannels(channel("up", up, srv)), routex.WithRecorder(recs))
					a, err := geminiAsk(genaiSDK(t, c, version), "gemini-2.5-pro", genai.Text("weather and time in Paris?"), geminiWeatherConfig(), stream)
					require.NoError(t, err)

					assert.Equal(t, "Checking both: café ☕", a.text)
					require.Len(t, a.calls, 2)
					for i, tc := range crossTools {
						assert.Equal(t, tc.Name, a.calls[i].Name)
						want := map[string]any{}
						require.NoError(t, json.Unmarshal([]byte(tc.Args), &want))
						assert.Equal(t, want, a.calls[i].Args)
					}
					assert.Equal(t, genai.FinishReasonStop, a.finish, "Gemini ends a tool turn with STOP")
					require.NotNil(t, a.usage)
					// 12 fresh, 30 read from the cache and (Anthropic) 50
					// written to it: Google's prompt count holds them all.
					prompt := int32(12 + 30)
					if up == routex.FormatAnthropic {
						prompt += 50
					}
					assert.Equal(t, prompt, a.usage.PromptTokenCount)
					assert.Equal(t, int32(30), a.usage.CachedContentTokenCount)

					got := srv.Last()
					assert.Equal(t, "gemini-2.5-pro", gjson.GetBytes(got.Body, "model").Str, "the model from the path goes upstream")
					assert.Equal(t, stream, gjson.GetBytes(got.Body, "stream").Bool())
					assert.NotContains(t, string(got.Body), "caller-google-key")
					assert.Empty(t, got.Header.Get("X-Goog-Api-Key"), "the caller's key stays behind")

					rec := recs.last(t, 1)
					assert.Equal(t, "gemini-2.5-pro", rec.Model)
					assert.Equal(t, "gemini", rec.InboundFormat)
					assert.Equal(t, string(up), rec.UpstreamFormat)
					assert.Equal(t, stream, rec.Stream)
					assert.Equal(t, 200, rec.Status)
					assert.Equal(t, 12, int(rec.InputTokens))
					assert.Equal(t, 7, int(rec.OutputTokens))
					assert.Equal(t, 30, int(rec.CacheReadTokens))
				})
			}
		}
	}
}

// TestGeminiSDKToolRoundTrip sends back the two calls of a model turn,
// which Gemini gives without ids, with their answers: the Anthropic
// channel gets tool_use blocks whose ids its tool_result blocks answer,
// the two results in one user turn.
func TestGeminiSDKToolRoundTrip(t *testing.T) {
	srv := mock(t, "up")
	srv.Text = "Sunny, and it is noon."
	c := newClient(t, routex.WithChannels(channel("up", routex.FormatAnthropic, srv)))
	contents := []*genai.Content{
		genai.NewContentFromText("weather and time in Paris?", genai.RoleUser),
		{Role: genai.RoleModel, Parts: []*genai.Part{
			genai.NewPartFromFunctionCall("get_weather", map[string]any{"city": "Paris"}),
			genai.NewPartFromFunctionCall("get_time", map[string]any{"zone": "Europe/Paris"}),
		}},
		{Role: genai.RoleUser, Parts: []*genai.Part{
			genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "sunny"}),
			genai.NewPartFromFunctionResponse("get_time", map[string]any{"output": "12:00"}),
		}},
	}
	a, err := geminiAsk(genaiSDK(t, c, "v1beta"), "claude-sonnet-4-5", contents, geminiWeatherConfig(), true)
	require.NoError(t, err)
	assert.Equal(t, "Sunny, and it is noon.", a.text)

	msgs := gjson.GetBytes(srv.Last().Body, "messages").Array()
	require.Len(t, msgs, 3)
	calls, results := msgs[1].Get("content").Array(), msgs[2].Get("content").Array()
	require.Len(t, calls, 2)
	require.Len(t, results, 2, "both answers in one turn")
	for i, name := range []string{"get_weather", "get_time"} {
		assert.Equal(t, "tool_use", calls[i].Get("type").Str)
		assert.Equal(t, name, calls[i].Get("name").Str)
		id := calls[i].Get("id").Str
		assert.NotEmpty(t, id)
		assert.Equal(t, "tool_result", results[i].Get("type").Str)
		assert.Equal(t, id, results[i].Get("tool_use_id").Str, "result %d answers call %d", i, i)
	}
	assert.NotEqual(t, calls[0].Get("id").Str, calls[1].Get("id").Str)
	assert.Contains(t, results[0].Raw, "sunny")
	assert.Contains(t, results[1].Raw, "12:00")
	assert.Equal(t, "You are terse.", gjson.GetBytes(srv.Last().Body, "system").String(), "systemInstruction")
}

// TestGeminiSDKErrors checks the answers Google's client gets when things
// go wrong: in Google's shape, the google.rpc status matching the HTTP one.
func TestGeminiSDKErrors(t *testing.T) {
	ctx := context.Background()
	apiError := func(t *testing.T, err error) genai.APIError {
		t.Helper()
		var ae genai.APIError
		require.True(t, errors.As(err, &ae), "%T %v", err, err)
		return ae
	}
	t.Run("429 alone is the caller's own", func(t *testing.T) {
		srv := mock(t, "up")
		srv.Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"Retry-After": "7"}})
		c := newClient(t, routex.WithChannels(channel("up", routex.FormatAnthropic, srv)))
		_, err := genaiSDK(t, c, "v1beta").Models.GenerateContent(ctx, "claude-x", genai.Text("hi"), nil)
		ae := apiError(t, err)
		assert.Equal(t, 429, ae.Code)
		assert.Equal(t, "RESOURCE_EXHAUSTED", ae.Status)
		assert.Contains(t, ae.Message, "mock up status 429")
	})
	t.Run("429 fails over", func(t *testing.T) {
		bad, good := mock(t, "bad"), mock(t, "good")
		bad.Always(mockupstream.Behavior{Status: 429})
		goodCh := channel("good", routex.FormatOpenAI, good)
		goodCh.Priority = 1
		recs := newRecords()
		c := newClient(t, routex.WithChannels(channel("bad", routex.FormatAnthropic, bad), goodCh), routex.WithRecorder(recs))
		for _, stream := range []bool{false, true} {
			a, err := geminiAsk(genaiSDK(t, c, "v1"), "m", genai.Text("hi"), nil, stream)
			require.NoError(t, err)
			assert.Equal(t, "hello from good", a.text)
		}
		rec := recs.last(t, 1)
		assert.Equal(t, "good", rec.ChannelID)
		assert.Equal(t, 2, rec.Attempts)
	})
	t.Run("no channel serves the model", func(t *testing.T) {
		srv := mock(t, "up")
		ch := channel("up", routex.FormatAnthropic, srv)
		ch.Models = []string{"claude-*"}
		c := newClient(t, routex.WithChannels(ch))
		_, err := genaiSDK(t, c, "v1beta").Models.GenerateContent(ctx, "gemini-unknown", genai.Text("hi"), nil)
		ae := apiError(t, err)
		assert.Equal(t, 404, ae.Code)
		assert.Equal(t, "NOT_FOUND", ae.Status)
		assert.Contains(t, ae.Message, `"gemini-unknown"`)
		assert.Zero(t, srv.Calls())
	})
	t.Run("stream cut short", func(t *testing.T) {
		srv := mock(t, "up")
		srv.Always(mockupstream.Behavior{CutAfter: 3})
		c := newClient(t, routex.WithChannels(channel("up", routex.FormatAnthropic, srv)))
		_, err := geminiAsk(genaiSDK(t, c, "v1beta"), "claude-x", genai.Text("hi"), nil, true)
		require.Error(t, err, "a cut stream ends with an error the client sees")
	})
}

// TestGeminiRawEndpoints checks what Google's clients read besides
// answers: malformed bodies, the streamed JSON array, token counting and
// the model listing.
func TestGeminiRawEndpoints(t *testing.T) {
	srv := mock(t, "up")
	recs := newRecords()
	ch := channel("up", routex.FormatAnthropic, srv)
	ch.Models = []string{"gemini-2.5-pro", "claude-*"}
	c := newClient(t, routex.WithChannels(ch), routex.WithRecorder(recs))
	post := func(t *testing.T, path, body string, h http.Header) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "http://routex.invalid"+path, strings.NewReader(body))
		require.NoError(t, err)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := c.RoundTrip(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		return resp, string(b)
	}
	const hi = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`

	t.Run("malformed JSON", func(t *testing.T) {
		resp, body := post(t, "/v1beta/models/gemini-2.5-pro:generateContent", `{"contents":[`, nil)
		assert.Equal(t, 400, resp.StatusCode)
		assert.Equal(t, "INVALID_ARGUMENT", gjson.Get(body, "error.status").Str, body)
		assert.Equal(t, int64(400), gjson.Get(body, "error.code").Int())
	})
	t.Run("a member given twice", func(t *testing.T) {
		resp, body := post(t, "/v1beta/models/gemini-2.5-pro:generateContent",
			`{"systemInstruction":{"parts":[{"text":"a"}]},"system_instruction":{"parts":[{"text":"b"}]},"contents":[]}`, nil)
		assert.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, gjson.Get(body, "error.message").Str, "systemInstruction")
	})
	t.Run("streamed as a JSON array without alt=sse", func(t *testing.T) {
		resp, body := post(t, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", hi, nil)
		require.Equal(t, 200, resp.StatusCode, body)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.True(t, gjson.Valid(body), body)
		chunks := gjson.Parse(body).Array()
		require.NotEmpty(t, chunks)
		var text strings.Builder
		for _, ch := range chunks {
			text.WriteString(ch.Get("candidates.0.content.parts.0.text").Str)
		}
		assert.Equal(t, "hello from up", text.String())
		assert.Equal(t, "STOP", chunks[len(chunks)-1].Get("candidates.0.finishReason").Str)
	})
	t.Run("streamed as events with alt=sse", func(t *testing.T) {
		resp, body := post(t, "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=k", hi, nil)
		require.Equal(t, 200, resp.StatusCode, body)
		assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"))
		assert.True(t, strings.HasPrefix(body, "data: {"), body)
		assert.NotContains(t, body, "event:", "Google's clients refuse event lines")
	})
	t.Run("countTokens estimated", func(t *testing.T) {
		calls := srv.Calls()
		sdk := genaiSDK(t, c, "v1beta")
		r, err := sdk.Models.CountTokens(context.Background(), "gemini-2.5-pro", genai.Text(strings.Repeat("hello world ", 50)), nil)
		require.NoError(t, err)
		assert.Greater(t, r.TotalTokens, int32(50))
		resp, body := post(t, "/v1beta/models/gemini-2.5-pro:countTokens", `{"generateContentRequest":{"model":"models/gemini-2.5-pro",`+hi[1:]+`}`, nil)
		assert.Equal(t, 200, resp.StatusCode, body)
		assert.Equal(t, "estimate", resp.Header.Get("X-Routex-Token-Count"))
		assert.Greater(t, gjson.Get(body, "totalTokens").Int(), int64(0), body)
		assert.Equal(t, calls, srv.Calls(), "no gemini channel: counted here")
	})
	t.Run("models", func(t *testing.T) {
		for _, version := range []string{"v1", "v1beta"} {
			sdk := genaiSDK(t, c, version)
			page, err := sdk.Models.List(context.Background(), nil)
			require.NoError(t, err)
			var names []string
			for _, m := range page.Items {
				names = append(names, m.Name)
			}
			assert.Equal(t, []string{"models/gemini-2.5-pro"}, names, "globs are not listed")
			m, err := sdk.Models.Get(context.Background(), "gemini-2.5-pro", nil)
			require.NoError(t, err)
			assert.Equal(t, "models/gemini-2.5-pro", m.Name)
			assert.Contains(t, m.SupportedActions, "generateContent")
			_, err = sdk.Models.Get(context.Background(), "gemini-9", nil)
			var ae genai.APIError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, 404, ae.Code)
		}
	})
}
