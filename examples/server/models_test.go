package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
)

const listingKey = "sk-ant-SECRET-listing-channel-0123456789"

// anthropicProvider is an Anthropic API that lists models and answers
// messages, checking the key; it keeps the models it was asked for.
type anthropicProvider struct {
	*httptest.Server
	mu       sync.Mutex
	listing  string // the data array of GET /v1/models; "" answers 500
	lists    int
	messages []string // the model of each POST /v1/messages
}

func newAnthropicProvider(t *testing.T, listing string) *anthropicProvider {
	t.Helper()
	p := &anthropicProvider{listing: listing}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *anthropicProvider) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Api-Key") != listingKey {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		p.lists++
		if p.listing == "" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"type":"error","error":{"type":"api_error","message":"listing is down"}}`)
			return
		}
		io.WriteString(w, `{"data":[`+p.listing+`],"has_more":false}`)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		b, _ := io.ReadAll(r.Body)
		model := gjson.GetBytes(b, "model").Str
		p.messages = append(p.messages, model)
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"`+model+`","content":[{"type":"text","text":"pong"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func (p *anthropicProvider) set(listing string) {
	p.mu.Lock()
	p.listing = listing
	p.mu.Unlock()
}

func (p *anthropicProvider) calls() (lists int, messages []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lists, append([]string(nil), p.messages...)
}

const threeModels = `{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"},
	{"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-15T00:00:00Z"},
	{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}`

func listingChannel(p *anthropicProvider) routex.Channel {
	return routex.Channel{ID: "listed", Type: routex.FormatAnthropic, BaseURL: p.URL, APIKey: listingKey}
}

func TestFetchModelsEndpoints(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	p := newAnthropicProvider(t, threeModels)

	t.Run("unsaved channel", func(t *testing.T) {
		r := c.do(t, http.MethodPost, "/api/channels/models", listingChannel(p)).want(t, http.StatusOK)
		assert.JSONEq(t, `{"models":["claude-opus-4-1","claude-haiku-4-5","claude-sonnet-4-5"]}`, string(r.body))
	})
	t.Run("provider error is a 502 with its message", func(t *testing.T) {
		ch := listingChannel(p)
		ch.APIKey = "sk-ant-SECRET-wrong-key-0123456789"
		msg := c.do(t, http.MethodPost, "/api/channels/models", ch).wantError(t, http.StatusBadGateway, "provider_error")
		assert.Contains(t, msg, "HTTP 401")
		assert.Contains(t, msg, "invalid x-api-key")
	})
	t.Run("unreachable provider is a 502", func(t *testing.T) {
		ch := routex.Channel{Type: routex.FormatOpenAI, BaseURL: "http://127.0.0.1:1", APIKey: openaiKey}
		c.do(t, http.MethodPost, "/api/channels/models", ch).wantError(t, http.StatusBadGateway, "provider_error")
	})
	t.Run("invalid channel is a 400", func(t *testing.T) {
		c.do(t, http.MethodPost, "/api/channels/models", map[string]any{"type": "nope", "baseUrl": p.URL}).wantError(t, http.StatusBadRequest, "invalid_channel")
	})
	t.Run("saved channel uses its stored key", func(t *testing.T) {
		c.do(t, http.MethodPost, "/api/channels", listingChannel(p)).want(t, http.StatusCreated)
		r := c.do(t, http.MethodPost, "/api/channels/listed/models", nil).want(t, http.StatusOK)
		assert.Equal(t, []string{"claude-opus-4-1", "claude-haiku-4-5", "claude-sonnet-4-5"}, decodeAs[modelList](t, r).Models)
	})
	t.Run("edited channel with its key redacted", func(t *testing.T) {
		ch := listingChannel(p)
		ch.APIKey = routex.RedactSecret(listingKey)
		c.do(t, http.MethodPost, "/api/channels/models", ch).want(t, http.StatusOK)
	})
	t.Run("unknown channel is a 404", func(t *testing.T) {
		c.do(t, http.MethodPost, "/api/channels/nope/models", nil).want(t, http.StatusNotFound)
	})
	t.Run("needs the admin", func(t *testing.T) {
		ts.client().do(t, http.MethodPost, "/api/channels/listed/models", nil).want(t, http.StatusUnauthorized)
	})
	t.Run("syncModels is kept", func(t *testing.T) {
		ch := listingChannel(p)
		ch.SyncModels = true
		c.do(t, http.MethodPut, "/api/channels/listed", ch).want(t, http.StatusOK)
		r := c.do(t, http.MethodGet, "/api/channels/listed", nil).want(t, http.StatusOK)
		assert.True(t, gjson.GetBytes(r.body, "syncModels").Bool())
	})
}

func TestConnectionTestOfAnyModelChannel(t *testing.T) {
	t.Parallel()
	p := newAnthropicProvider(t, threeModels)
	ts := newTestServer(t, testConfig(t))
	setup := ts.client().withSetupToken(ts.srv.setupToken)

	r := setup.do(t, http.MethodPost, "/api/setup/test-channel", listingChannel(p)).want(t, http.StatusOK)
	res := decodeAs[testResult](t, r)
	assert.True(t, res.OK, "%+v", res)
	assert.Equal(t, "claude-haiku-4-5", res.Model, "the provider's small model")
	assert.Contains(t, res.Notice, "tested with claude-haiku-4-5")
	_, sent := p.calls()
	assert.Equal(t, []string{"claude-haiku-4-5"}, sent, "the provider was asked")

	p.set("")
	r = setup.do(t, http.MethodPost, "/api/setup/test-channel", listingChannel(p)).want(t, http.StatusOK)
	res = decodeAs[testResult](t, r)
	assert.True(t, res.OK, "%+v", res)
	assert.Equal(t, routex.DefaultTestModel(routex.FormatAnthropic), res.Model, "the type's usual model when the listing fails")
	assert.Contains(t, res.Notice, "could not be read")
	assert.NotContains(t, res.Notice, "listing is down", "the setup caller is not told the provider's answer")

	named := listingChannel(p)
	named.Models = []string{"claude-sonnet-4-5"}
	r = setup.do(t, http.MethodPost, "/api/setup/test-channel", named).want(t, http.StatusOK)
	res = decodeAs[testResult](t, r)
	assert.Equal(t, "claude-sonnet-4-5", res.Model)
	assert.Empty(t, res.Notice, "a channel that names a model is tested with it")
}

func TestAdminConnectionTestSaysWhy(t *testing.T) {
	t.Parallel()
	_, c := setUp(t)
	p := newAnthropicProvider(t, "")
	c.do(t, http.MethodPost, "/api/channels", listingChannel(p)).want(t, http.StatusCreated)
	res := decodeAs[testResult](t, c.do(t, http.MethodPost, "/api/channels/listed/test", nil).want(t, http.StatusOK))
	assert.Equal(t, routex.DefaultTestModel(routex.FormatAnthropic), res.Model)
	assert.Contains(t, res.Notice, "listing is down", "the administrator sees why the listing failed")
}

// waitModels waits until channel id of srv lists want.
func waitModels(t *testing.T, srv *Server, id string, want []string) {
	t.Helper()
	changed := make(chan struct{}, 1)
	stop := srv.store.Watch(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer stop()
	deadline := time.After(10 * time.Second)
	for {
		ch, err := srv.store.Channel(t.Context(), id)
		require.NoError(t, err)
		if strings.Join(ch.Models, ",") == strings.Join(want, ",") {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("channel %s lists %v, want %v", id, ch.Models, want)
		}
	}
}

func TestSyncModels(t *testing.T) {
	t.Parallel()
	p := newAnthropicProvider(t, threeModels)
	var log logBuffer
	cfg := testConfig(t)
	require.Equal(t, 6*time.Hour, cfg.ModelsRefresh, "the default")
	synced := listingChannel(p)
	synced.SyncModels, synced.Models = true, []string{"claude-old"}
	kept := withID(listingChannel(p), "kept")
	kept.Models = []string{"claude-old"}
	cfg.Channels = docChannels([]routex.Channel{synced, kept})
	srv, err := NewServer(t.Context(), cfg, log.logger())
	require.NoError(t, err)
	defer srv.Close()

	waitModels(t, srv, "listed", []string{"claude-haiku-4-5", "claude-opus-4-1", "claude-sonnet-4-5"})
	ch, err := srv.store.Channel(t.Context(), "kept")
	require.NoError(t, err)
	assert.Equal(t, []string{"claude-old"}, ch.Models, "a channel without syncModels is left alone")

	// The schedule's pass, with the provider down: logged once, list kept.
	p.set("")
	srv.modelSync.refresh(true)
	srv.modelSync.refresh(true)
	assert.Equal(t, 1, strings.Count(log.String(), "did not list its models"), log.String())
	assert.NotContains(t, log.String(), listingKey)
	waitModels(t, srv, "listed", []string{"claude-haiku-4-5", "claude-opus-4-1", "claude-sonnet-4-5"})

	p.set(`{"type":"model","id":"claude-new-5"}`)
	srv.modelSync.refresh(true)
	waitModels(t, srv, "listed", []string{"claude-new-5"})
	assert.Contains(t, log.String(), "lists its models again")

	// A channel saved with syncModels is synced without waiting for the
	// schedule.
	fresh := withID(listingChannel(p), "fresh")
	fresh.SyncModels = true
	require.NoError(t, srv.store.PutChannel(t.Context(), fresh))
	waitModels(t, srv, "fresh", []string{"claude-new-5"})
}

func TestSyncModelsNever(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig([]string{"-data", t.TempDir(), "-models-refresh", "0"}, func(string) string { return "" })
	require.NoError(t, err)
	assert.Zero(t, cfg.ModelsRefresh)
	p := newAnthropicProvider(t, threeModels)
	ch := listingChannel(p)
	ch.SyncModels = true
	cfg.Channels = docChannels([]routex.Channel{ch})
	srv, err := NewServer(t.Context(), cfg, silent)
	require.NoError(t, err)
	require.NoError(t, srv.Close()) // waits for a pass that would have started
	lists, _ := p.calls()
	assert.Zero(t, lists, "0 never syncs")
}

func TestModelsListThroughServer(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	p := newAnthropicProvider(t, threeModels)
	ch := listingChannel(p)
	ch.Models = []string{"claude-h*"}
	c.do(t, http.MethodPost, "/api/channels", ch).want(t, http.StatusCreated)
	_, key := makeKey(t, c, "cli")

	r := ts.send(t, http.MethodGet, "/v1/models?limit=1000", "", "", "X-Api-Key", key, "Anthropic-Version", "2023-06-01").want(t, http.StatusOK)
	var list struct {
		Data []struct {
			Type, ID, DisplayName, CreatedAt string
		}
		HasMore bool `json:"has_more"`
	}
	require.NoError(t, json.Unmarshal(r.body, &list))
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{haiku, sonnet}, ids, "the main channel's names, and the one listed model the glob matches")
	assert.Equal(t, "2025-10-15T00:00:00Z", gjson.GetBytes(r.body, "data.0.created_at").Str)
	assert.Equal(t, "Claude Haiku 4.5", gjson.GetBytes(r.body, "data.0.display_name").Str)

	r = ts.send(t, http.MethodGet, "/v1/models", "", "", "X-Api-Key", key).want(t, http.StatusOK)
	assert.Equal(t, haiku, gjson.GetBytes(r.body, "first_id").Str, "x-api-key alone is an Anthropic caller: %s", r.body)
	assert.Equal(t, "model", gjson.GetBytes(r.body, "data.0.type").Str)

	r = ts.send(t, http.MethodGet, "/v1/models", key, "").want(t, http.StatusOK)
	assert.Equal(t, "list", gjson.GetBytes(r.body, "object").Str)
	assert.Equal(t, int64(1760486400), gjson.GetBytes(r.body, `data.#(id=="claude-haiku-4-5").created`).Int())
	assert.Positive(t, gjson.GetBytes(r.body, `data.#(id=="claude-sonnet-4-5").created`).Int())
}
