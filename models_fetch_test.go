package routex_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

const listKey = "sk-list-secret-key-0123456789"

// provider starts a listing upstream that answers with handle, counting
// the requests.
func provider(t *testing.T, handle http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func ids(models []routex.ModelInfo) []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = m.ID
	}
	return out
}

func TestFetchModelsOpenAI(t *testing.T) {
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/models" || r.Header.Get("Authorization") != "Bearer "+listKey {
			http.Error(w, `{"error":{"message":"wrong request `+r.Method+" "+r.URL.Path+`"}}`, http.StatusBadRequest)
			return
		}
		if r.Header.Get("X-Extra") != "on" {
			http.Error(w, `{"error":{"message":"the channel's headers were not sent"}}`, http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049},{"id":"gpt-4o-mini","created":1721172741},{"id":"gpt-4o"}]}`)
	})
	c := newClient(t)
	for _, typ := range []routex.Format{routex.FormatOpenAI, routex.FormatResponses} {
		ch := routex.Channel{ID: "o", Type: typ, BaseURL: srv.URL + "/api/v1", APIKey: listKey, Headers: map[string]string{"X-Extra": "on"}}
		models, err := c.FetchModels(t.Context(), ch)
		require.NoError(t, err, typ)
		assert.Equal(t, []string{"gpt-4o", "gpt-4o-mini"}, ids(models), "%s: in the provider's order, once each", typ)
		assert.Equal(t, time.Unix(1715367049, 0).UTC(), models[0].Created)
	}
}

func TestFetchModelsBareArray(t *testing.T) {
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"id":"meta-llama/Llama-3-8b","created":1700000000},{"id":"mistral-7b"}]`)
	})
	models, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, []string{"meta-llama/Llama-3-8b", "mistral-7b"}, ids(models))
}

func TestFetchModelsAnthropicPages(t *testing.T) {
	var afters []string
	srv, n := provider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" || r.Header.Get("X-Api-Key") != listKey || r.Header.Get("Anthropic-Version") == "" {
			http.Error(w, `{"type":"error","error":{"type":"authentication_error","message":"bad request"}}`, http.StatusUnauthorized)
			return
		}
		after := r.URL.Query().Get("after_id")
		afters = append(afters, after)
		switch after {
		case "":
			io.WriteString(w, `{"data":[{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"}],"has_more":true,"first_id":"claude-opus-4-1","last_id":"claude-opus-4-1"}`)
		case "claude-opus-4-1":
			io.WriteString(w, `{"data":[{"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-15T00:00:00Z"}],"has_more":false,"first_id":"claude-haiku-4-5","last_id":"claude-haiku-4-5"}`)
		default:
			http.Error(w, "unexpected page", http.StatusBadRequest)
		}
	})
	models, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: srv.URL, APIKey: listKey})
	require.NoError(t, err)
	assert.Equal(t, []string{"claude-opus-4-1", "claude-haiku-4-5"}, ids(models))
	assert.Equal(t, "Claude Haiku 4.5", models[1].DisplayName)
	assert.Equal(t, time.Date(2025, 10, 15, 0, 0, 0, 0, time.UTC), models[1].Created)
	assert.Equal(t, int32(2), n.Load())
	assert.Equal(t, []string{"", "claude-opus-4-1"}, afters)
}

func TestFetchModelsGeminiPages(t *testing.T) {
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1beta/models" || r.Header.Get("X-Goog-Api-Key") != listKey {
			http.Error(w, `{"error":{"code":403,"message":"wrong `+r.URL.Path+`","status":"PERMISSION_DENIED"}}`, http.StatusForbidden)
			return
		}
		switch r.URL.Query().Get("pageToken") {
		case "":
			io.WriteString(w, `{"models":[{"name":"models/gemini-2.5-pro","displayName":"Gemini 2.5 Pro","supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}],"nextPageToken":"p2"}`)
		case "p2":
			io.WriteString(w, `{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}]}`)
		}
	})
	models, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "g", Type: routex.FormatGemini, BaseURL: srv.URL, APIKey: listKey})
	require.NoError(t, err)
	assert.Equal(t, []string{"gemini-2.5-pro", "gemini-2.5-flash"}, ids(models), "only models that generate content, without models/")
	assert.Equal(t, "Gemini 2.5 Pro", models[0].DisplayName)
}

func TestFetchModelsErrors(t *testing.T) {
	t.Run("provider error keeps its message, not the key", func(t *testing.T) {
		srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided: `+r.Header.Get("Authorization")[len("Bearer "):]+`","type":"invalid_request_error"}}`)
		})
		_, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL, APIKey: listKey})
		var le *routex.ModelListError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, http.StatusUnauthorized, le.Status)
		assert.Contains(t, le.Message, "Incorrect API key provided")
		assert.NotContains(t, err.Error(), listKey)
	})
	t.Run("body over the bound", func(t *testing.T) {
		srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"data":[{"id":"`)
			chunk := strings.Repeat("a", 1<<20)
			for range 9 {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `"}]}`)
		})
		_, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "over 8 MiB")
	})
	t.Run("not JSON", func(t *testing.T) {
		srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>login</html>") })
		_, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not JSON")
	})
	t.Run("time out", func(t *testing.T) {
		srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		start := time.Now()
		_, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL, Timeout: 100 * time.Millisecond})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("invalid channel", func(t *testing.T) {
		_, err := newClient(t).FetchModels(t.Context(), routex.Channel{ID: "x", Type: "nope", BaseURL: "http://x"})
		var ce *routex.ConfigError
		assert.ErrorAs(t, err, &ce)
	})
}

func TestFetchModelsOAuth(t *testing.T) {
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer oauth-token-0123456789" {
			http.Error(w, `{"error":{"message":"no token"}}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"data":[{"id":"claude-sonnet-4-5"}],"has_more":false}`)
	})
	c := newClient(t, routex.WithAuthorizer(authorizerFunc(func(_ context.Context, id string, h http.Header) error {
		h.Set("Authorization", "Bearer oauth-token-0123456789")
		return nil
	})))
	models, err := c.FetchModels(t.Context(), routex.Channel{ID: "max", Type: routex.FormatAnthropic, BaseURL: srv.URL, OAuth: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"claude-sonnet-4-5"}, ids(models))

	failing := newClient(t, routex.WithAuthorizer(authorizerFunc(func(context.Context, string, http.Header) error {
		return errors.New("not signed in")
	})))
	_, err = failing.FetchModels(t.Context(), routex.Channel{ID: "max", Type: routex.FormatAnthropic, BaseURL: srv.URL, OAuth: true})
	assert.ErrorContains(t, err, "not signed in")
}

func TestPickTestModel(t *testing.T) {
	listing := `{"data":[{"id":"text-embedding-3-small"},{"id":"gpt-4o"},{"id":"gpt-4o-mini"}]}`
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, listing) })
	c := newClient(t)
	ch := routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL}

	m, err := c.PickTestModel(t.Context(), ch)
	require.NoError(t, err)
	assert.Equal(t, "gpt-4o-mini", m, "a small chat model, not the small embedding model")

	listing = `{"data":[{"id":"o3"},{"id":"gpt-4.1"}]}`
	m, err = c.PickTestModel(t.Context(), ch)
	require.NoError(t, err)
	assert.Equal(t, "o3", m, "the first listed when none is marked small")

	listing = `{"data":[{"id":"gpt-4o-mini"},{"id":"claude-opus-4-1"}]}`
	ch.Models = []string{"claude-*"}
	m, err = c.PickTestModel(t.Context(), ch)
	require.NoError(t, err)
	assert.Equal(t, "claude-opus-4-1", m, "a model the channel's patterns serve")

	down := routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: "http://127.0.0.1:1"}
	m, err = c.PickTestModel(t.Context(), down)
	assert.Error(t, err)
	assert.Equal(t, routex.DefaultTestModel(routex.FormatAnthropic), m)
	assert.NotEmpty(t, m)
}

// A channel that names no model is tested with one its provider lists, and
// with the type's usual model when the listing fails; the result says which.
func TestTestChannelPicksItsModel(t *testing.T) {
	var asked atomic.Value
	srv, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"data":[{"id":"gpt-4o"},{"id":"gpt-4o-mini"}]}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		asked.Store(gjson.GetBytes(body, "model").String())
		io.WriteString(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`)
	})
	c := newClient(t)
	ch := routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL, APIKey: "sk-test-123456"}

	res := c.TestChannel(t.Context(), ch, "")
	assert.True(t, res.OK, "%+v", res)
	assert.Equal(t, "gpt-4o-mini", res.Model)
	assert.Equal(t, "gpt-4o-mini", asked.Load())
	assert.Equal(t, "listed", res.Picked)
	assert.Empty(t, res.ListingError)

	res = c.TestChannel(t.Context(), routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: "http://127.0.0.1:1"}, "")
	assert.False(t, res.OK)
	assert.Equal(t, routex.DefaultTestModel(routex.FormatAnthropic), res.Model)
	assert.Equal(t, "default", res.Picked)
	assert.NotEmpty(t, res.ListingError)
}

func TestModelsListGlobsAndCreated(t *testing.T) {
	srv, hits := provider(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[
			{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"},
			{"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-15T00:00:00Z"},
			{"type":"model","id":"other-model","created_at":"2025-01-01T00:00:00Z"}],"has_more":false}`)
	})
	anyModel, _ := provider(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"object":"list","data":[{"id":"deepseek-chat","created":1700000000}]}`)
	})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newClient(t, routex.WithClock(func() time.Time { return now }), routex.WithChannels(
		routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: srv.URL, APIKey: listKey,
			Models: []string{"claude-*", "fixed-model"}, ModelMap: map[string]string{"fast": "claude-haiku-4-5"}},
		routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: anyModel.URL},
	))
	list := func(header ...string) []byte {
		req := httptest.NewRequest(http.MethodGet, "/v1/models", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.RoundTrip(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		return b
	}

	b := list("Anthropic-Version", "2023-06-01")
	want := []string{"claude-haiku-4-5", "claude-opus-4-1", "deepseek-chat", "fast", "fixed-model"}
	var got []string
	for _, m := range gjson.GetBytes(b, "data").Array() {
		got = append(got, m.Get("id").Str)
		assert.Equal(t, "model", m.Get("type").Str)
		assert.NotEmpty(t, m.Get("display_name").Str)
	}
	assert.Equal(t, want, got, "the glob's listed matches, the any-model channel's listing, the names and the alias; never the glob")
	assert.Equal(t, "Claude Haiku 4.5", gjson.GetBytes(b, "data.0.display_name").Str)
	assert.Equal(t, "2025-10-15T00:00:00Z", gjson.GetBytes(b, "data.0.created_at").Str)
	assert.Equal(t, "2025-10-15T00:00:00Z", gjson.GetBytes(b, "data.3.created_at").Str, "an alias has the time of its model")
	assert.Equal(t, now.Format(time.RFC3339), gjson.GetBytes(b, "data.4.created_at").Str, "an unlisted name: the time models were first listed")
	assert.Equal(t, "claude-haiku-4-5", gjson.GetBytes(b, "first_id").Str)
	assert.Equal(t, "fixed-model", gjson.GetBytes(b, "last_id").Str)
	assert.False(t, gjson.GetBytes(b, "has_more").Bool())

	now = now.Add(time.Minute)
	b = list()
	assert.Equal(t, "list", gjson.GetBytes(b, "object").Str)
	assert.Equal(t, int64(1700000000), gjson.GetBytes(b, `data.#(id=="deepseek-chat").created`).Int())
	assert.Equal(t, now.Add(-time.Minute).Unix(), gjson.GetBytes(b, `data.#(id=="fixed-model").created`).Int(), "the same stable time")
	assert.Equal(t, int32(1), hits.Load(), "the listing is kept, not asked again at once")

	b = list("X-Api-Key", "k")
	assert.Len(t, gjson.GetBytes(b, "data").Array(), 5, "x-api-key alone makes an Anthropic caller")
	assert.Equal(t, []string{"claude-haiku-4-5", "claude-opus-4-1", "deepseek-chat", "fast", "fixed-model"}, c.ModelNames())

	one := httptest.NewRequest(http.MethodGet, "/v1/models/claude-opus-4-1", nil)
	one.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := c.RoundTrip(one)
	require.NoError(t, err)
	ob, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "2025-08-05T00:00:00Z", gjson.GetBytes(ob, "created_at").Str)

	now = now.Add(2 * time.Hour)
	list()
	assert.Equal(t, int32(2), hits.Load(), "a stale listing is asked again")
}

func TestModelsAnthropicPagination(t *testing.T) {
	c := newClient(t, routex.WithChannels(routex.Channel{ID: "a", Type: routex.FormatAnthropic, BaseURL: "http://127.0.0.1:1",
		Models: []string{"m1", "m2", "m3", "m4"}}))
	page := func(q string) []byte {
		req := httptest.NewRequest(http.MethodGet, "/v1/models"+q, nil)
		req.Header.Set("Anthropic-Version", "2023-06-01")
		resp, err := c.RoundTrip(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	b := page("?limit=2")
	assert.Equal(t, `["m1","m2"]`, gjson.GetBytes(b, "data.#.id").Raw)
	assert.True(t, gjson.GetBytes(b, "has_more").Bool())
	b = page("?limit=2&after_id=m2")
	assert.Equal(t, `["m3","m4"]`, gjson.GetBytes(b, "data.#.id").Raw)
	assert.False(t, gjson.GetBytes(b, "has_more").Bool())
	b = page("?limit=1&before_id=m3")
	assert.Equal(t, `["m2"]`, gjson.GetBytes(b, "data.#.id").Raw)
	b = page("?limit=1000")
	assert.Equal(t, `["m1","m2","m3","m4"]`, gjson.GetBytes(b, "data.#.id").Raw)
	assert.False(t, gjson.GetBytes(b, "has_more").Bool())
}

func TestModelsListFailedListing(t *testing.T) {
	srv, hits := provider(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"no listing here"}}`, http.StatusNotFound)
	})
	var log strings.Builder
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newClient(t, routex.WithClock(func() time.Time { return now }),
		routex.WithLogger(slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return log.Write(p)
		}), nil))),
		routex.WithChannels(routex.Channel{ID: "o", Type: routex.FormatOpenAI, BaseURL: srv.URL, APIKey: listKey, Models: []string{"gpt-*", "named"}}))
	list := func() []string {
		resp, err := c.RoundTrip(httptest.NewRequest(http.MethodGet, "/v1/models", nil))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out []string
		for _, id := range gjson.GetBytes(b, "data.#.id").Array() {
			out = append(out, id.Str)
		}
		return out
	}
	assert.Equal(t, []string{"named"}, list(), "a failed listing adds nothing")
	assert.Equal(t, []string{"named"}, list())
	assert.Equal(t, int32(1), hits.Load(), "not asked again at once")
	now = now.Add(2 * time.Minute)
	list()
	assert.Equal(t, int32(2), hits.Load(), "asked again after a minute")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, strings.Count(log.String(), "did not list its models"), "logged once: %s", log.String())
	assert.NotContains(t, log.String(), listKey)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// FetchModels lists what a channel's provider serves, here for a channel
// that serves any model and one that names its models by pattern.
func ExampleClient_FetchModels() {
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"type":"model","id":"claude-opus-4-1"},{"type":"model","id":"claude-haiku-4-5"}],"has_more":false}`)
	}))
	defer provider.Close()

	ch := routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic, BaseURL: provider.URL, APIKey: "sk-ant-example", Models: []string{"claude-haiku-*"}}
	c, err := routex.New(routex.WithChannels(ch))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	models, err := c.FetchModels(context.Background(), ch)
	if err != nil {
		panic(err)
	}
	for _, m := range models {
		fmt.Println("listed:", m.ID)
	}
	// GET /v1/models and ModelNames list the models the pattern matches.
	fmt.Println("served:", c.ModelNames())
	// Output:
	// listed: claude-opus-4-1
	// listed: claude-haiku-4-5
	// served: [claude-haiku-4-5]
}
