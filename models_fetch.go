package routex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/secret"
)

// ModelInfo is one model a provider lists.
type ModelInfo struct {
	// ID is the name requests give the model.
	ID string `json:"id"`
	// DisplayName is the provider's name for people, when it gives one.
	DisplayName string `json:"displayName,omitempty"`
	// Created is when the provider says the model was released or added;
	// zero when its listing does not say (Gemini's).
	Created time.Time `json:"created,omitzero"`
}

// Bounds of one model listing: a provider's catalogue is a few hundred
// models, a few hundred kilobytes a page.
const (
	maxModelListPage  = 8 << 20
	maxModelListPages = 50
	maxModelListed    = 10000
	// modelListTimeout bounds a whole listing, all pages, when the
	// channel's own timeout is longer: it is a small GET, not a generation.
	modelListTimeout = 30 * time.Second
)

// ModelListError is FetchModels' error when the provider answered a
// listing with an error status. Message is the provider's own, without
// the channel's secrets.
type ModelListError struct {
	ChannelID string
	Status    int
	Message   string
}

func (e *ModelListError) Error() string {
	return fmt.Sprintf("routex: channel %q: listing models: HTTP %d: %s", e.ChannelID, e.Status, e.Message)
}

// FetchModels asks ch's provider which models it serves, in the channel's
// own format: GET {base}/models with a Bearer key for openai and
// openai-responses channels (OpenAI, OpenRouter and the compatible
// providers), GET /v1/models with x-api-key and anthropic-version for
// anthropic channels (every page, following has_more), GET
// /v1beta/models with x-goog-api-key for gemini channels (every page,
// following nextPageToken; only the models that generate content, without
// the "models/" prefix). The channel's Headers are sent, and an OAuth
// channel is signed by the Client's Authorizer as its requests are.
//
// ch need not be one of the Client's channels, so a channel can list its
// models before it is saved. The listing is bounded in size and time
// (ch.Timeout or 30 seconds, the shorter). Errors never carry the
// channel's key; an error status from the provider is a *ModelListError.
// A listing of one of the Client's own channels is kept, for the GET
// /v1/models answer (see ModelNames).
func (c *Client) FetchModels(ctx context.Context, ch Channel) ([]ModelInfo, error) {
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	rt := newRoute(ch, c.s.timeout)
	timeout := min(rt.timeout, modelListTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	models, err := c.listModels(ctx, rt)
	if err != nil {
		return nil, err
	}
	c.listings.put(c.cfg.Load(), rt, models, c.s.now())
	return models, nil
}

// listModels reads every page of rt's provider listing.
func (c *Client) listModels(ctx context.Context, rt *route) ([]ModelInfo, error) {
	var (
		models []ModelInfo
		page   string // the next page's cursor; "" for the first
		seen   = map[string]bool{}
	)
	for range maxModelListPages {
		b, err := c.modelPage(ctx, rt, page)
		if err != nil {
			return nil, err
		}
		got, next := parseModelPage(rt.Type, b)
		for _, m := range got {
			if m.ID != "" && !seen[m.ID] && len(models) < maxModelListed {
				seen[m.ID] = true
				models = append(models, m)
			}
		}
		if next == "" || next == page || len(models) >= maxModelListed {
			return models, nil
		}
		page = next
	}
	return models, nil
}

// modelPage fetches one page of rt's listing, after the cursor page.
func (c *Client) modelPage(ctx context.Context, rt *route, page string) ([]byte, error) {
	endpoint, q := "/v1/models", url.Values{}
	switch rt.Type {
	case FormatAnthropic:
		q.Set("limit", "1000")
		if page != "" {
			q.Set("after_id", page)
		}
	case FormatGemini:
		endpoint = "/v1beta/models"
		q.Set("pageSize", "1000")
		if page != "" {
			q.Set("pageToken", page)
		}
	}
	u := rt.upstreamURL(endpoint, q.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("routex: channel %q: listing models: %w", rt.ID, sanitize(err))
	}
	req.Header = upstreamHeader(http.Header{"Accept": {"application/json"}}, rt, false)
	if rt.OAuth {
		if err := c.authorize(ctx, rt, req.Header); err != nil {
			return nil, err
		}
	}
	secrets := []string{rt.APIKey, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")}
	resp, err := c.s.transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("routex: channel %q: listing models: %w", rt.ID, redactErr(sanitize(err), secrets))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxModelListPage+1))
	if err != nil {
		return nil, fmt.Errorf("routex: channel %q: listing models: reading the answer: %w", rt.ID, redactErr(sanitize(err), secrets))
	}
	if resp.StatusCode/100 != 2 {
		return nil, &ModelListError{ChannelID: rt.ID, Status: resp.StatusCode, Message: secret.Scrub(providerMessage(b), secrets...)}
	}
	if len(b) > maxModelListPage {
		return nil, fmt.Errorf("routex: channel %q: listing models: the answer is over %d MiB", rt.ID, maxModelListPage>>20)
	}
	if !gjson.ValidBytes(b) {
		return nil, fmt.Errorf("routex: channel %q: listing models: the answer is not JSON: %s", rt.ID, secret.Scrub(truncate(strings.TrimSpace(string(b)), 200), secrets...))
	}
	return b, nil
}

// redactErr is err, or its redacted text when it shows a secret.
func redactErr(err error, secrets []string) error {
	if s := secret.Scrub(err.Error(), secrets...); s != err.Error() {
		return errors.New(s)
	}
	return err
}

// providerMessage is what a provider's error answer says: the message of
// its JSON error (every format puts it at error.message), else the body's
// first line.
func providerMessage(b []byte) string {
	for _, p := range []string{"error.message", "error", "message"} {
		if r := gjson.GetBytes(b, p); r.Type == gjson.String && r.Str != "" {
			return truncate(r.Str, 500)
		}
	}
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "no message"
	}
	return truncate(s, 500)
}

// parseModelPage reads one page of a listing in format f, and the cursor
// of the next page ("" for the last).
func parseModelPage(f Format, b []byte) (models []ModelInfo, next string) {
	switch f {
	case FormatAnthropic:
		for _, m := range arrayOf(gjson.GetBytes(b, "data")) {
			info := ModelInfo{ID: m.Get("id").Str, DisplayName: m.Get("display_name").Str}
			if t, err := time.Parse(time.RFC3339, m.Get("created_at").Str); err == nil {
				info.Created = t.UTC()
			}
			models = append(models, info)
		}
		if gjson.GetBytes(b, "has_more").Bool() {
			next = gjson.GetBytes(b, "last_id").Str
			if next == "" && len(models) > 0 {
				next = models[len(models)-1].ID
			}
		}
		return models, next
	case FormatGemini:
		for _, m := range arrayOf(gjson.GetBytes(b, "models")) {
			generates := false
			for _, g := range arrayOf(m.Get("supportedGenerationMethods")) {
				generates = generates || g.Str == "generateContent"
			}
			if !generates {
				continue
			}
			models = append(models, ModelInfo{ID: strings.TrimPrefix(m.Get("name").Str, "models/"), DisplayName: m.Get("displayName").Str})
		}
		return models, gjson.GetBytes(b, "nextPageToken").Str
	}
	// OpenAI's {"data": [...]}; a few compatible providers answer the
	// array alone.
	list := gjson.GetBytes(b, "data")
	if !list.IsArray() {
		list = gjson.ParseBytes(b)
	}
	for _, m := range arrayOf(list) {
		info := ModelInfo{ID: m.Get("id").Str, DisplayName: m.Get("name").Str}
		if s := m.Get("created").Int(); s > 0 {
			info.Created = time.Unix(s, 0).UTC()
		}
		models = append(models, info)
	}
	return models, ""
}

// arrayOf is r's elements when r is an array, else none: gjson makes a
// one-element array of anything else.
func arrayOf(r gjson.Result) []gjson.Result {
	if !r.IsArray() {
		return nil
	}
	return r.Array()
}

// DefaultTestModel is the model TestChannel tries a channel of format f
// with when the channel names none and its provider's listing cannot be
// read: the provider's small current model.
func DefaultTestModel(f Format) string {
	switch f {
	case FormatAnthropic:
		return "claude-haiku-4-5"
	case FormatGemini:
		return "gemini-2.5-flash"
	case FormatOpenAI, FormatResponses:
		return "gpt-4o-mini"
	}
	return ""
}

// smallModel marks the names of a provider's small, cheap models.
var smallModel = []string{"haiku", "flash", "mini", "nano", "lite", "small"}

// notChat marks the names of models that do not answer a chat request:
// embeddings, speech, images, moderation.
var notChat = []string{"embed", "tts", "whisper", "dall-e", "image", "moderation", "realtime", "audio", "transcribe", "search", "davinci", "babbage", "imagen", "veo", "aqa"}

// PickTestModel returns a model to try ch with when ch names none to test
// (its models are patterns, or empty for any model): of the models its
// provider lists (FetchModels), the first whose name marks a small model
// ("haiku", "flash", "mini", …) among those that answer chat requests,
// else the first listed; when the listing fails or is empty,
// DefaultTestModel of ch's type, with the listing's error. A model the
// channel names by pattern is preferred to one its patterns leave out.
func (c *Client) PickTestModel(ctx context.Context, ch Channel) (string, error) {
	listed, err := c.FetchModels(ctx, ch)
	if err != nil {
		return DefaultTestModel(ch.Type), err
	}
	if m := pickSmall(ch, listed); m != "" {
		return m, nil
	}
	return DefaultTestModel(ch.Type), errors.New("the provider lists no model")
}

// pickSmall chooses among listed as PickTestModel says.
func pickSmall(ch Channel, listed []ModelInfo) string {
	var served, chat []string
	for _, m := range listed {
		if ch.Serves(m.ID) {
			served = append(served, m.ID)
		}
	}
	if len(served) == 0 {
		return ""
	}
	for _, id := range served {
		l := strings.ToLower(id)
		if !slices.ContainsFunc(notChat, func(w string) bool { return strings.Contains(l, w) }) {
			chat = append(chat, id)
		}
	}
	if len(chat) == 0 {
		return served[0]
	}
	for _, w := range smallModel {
		for _, id := range chat {
			if strings.Contains(strings.ToLower(id), w) {
				return id
			}
		}
	}
	return chat[0]
}

// How long GET /v1/models trusts a provider listing it fetched itself,
// and how long it waits before asking again after one failed.
const (
	listingTTL     = time.Hour
	listingRetry   = time.Minute
	listingTimeout = 10 * time.Second
)

// modelListings keeps the provider listings of the Client's channels, for
// GET /v1/models. The zero value is ready to use; it is safe for
// concurrent use.
type modelListings struct {
	mu    sync.Mutex
	since time.Time // the first use: the created time of unlisted models
	byID  map[string]*listing
}

// listing is one channel's provider listing, or a fetch of it under way.
type listing struct {
	key    string // the channel's type and base URL: a changed channel lists anew
	models []ModelInfo
	err    error
	at     time.Time
	done   chan struct{} // closed when a fetch under way ends; nil when none
}

func listingKey(rt *route) string { return string(rt.Type) + " " + rt.BaseURL }

// start returns when the listings were first used, setting it to now.
func (l *modelListings) start(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.since.IsZero() {
		l.since = now.UTC().Truncate(time.Second)
	}
	return l.since
}

// entryLocked returns rt's entry, a new one when rt's listing key has
// changed since. l.mu is held.
func (l *modelListings) entryLocked(rt *route) *listing {
	if l.byID == nil {
		l.byID = map[string]*listing{}
	}
	e := l.byID[rt.ID]
	if e == nil || e.key != listingKey(rt) {
		e = &listing{key: listingKey(rt)}
		l.byID[rt.ID] = e
	}
	return e
}

// put keeps the listing of rt, when rt is one of cfg's channels.
func (l *modelListings) put(cfg *config, rt *route, models []ModelInfo, now time.Time) {
	if cur, ok := cfg.byID[rt.ID]; !ok || listingKey(cur) != listingKey(rt) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entryLocked(rt)
	e.models, e.err, e.at = models, nil, now
}

// get returns rt's listing, or nil and a channel to wait on when a fetch
// is under way, or nil and nil when the caller should fetch it (the
// listing is then marked under way).
func (l *modelListings) get(rt *route, now time.Time) (*listing, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entryLocked(rt)
	if e.done != nil {
		return nil, e.done
	}
	fresh := !e.at.IsZero() && (e.err == nil && now.Sub(e.at) < listingTTL || e.err != nil && now.Sub(e.at) < listingRetry)
	if fresh {
		cp := *e
		return &cp, nil
	}
	e.done = make(chan struct{})
	return nil, nil
}

// end records the outcome of a fetch get asked for. It reports whether
// err is the first failure since the listing last succeeded.
func (l *modelListings) end(rt *route, models []ModelInfo, err error, now time.Time) (firstFailure bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byID[rt.ID]
	if e == nil || e.key != listingKey(rt) || e.done == nil {
		return false
	}
	firstFailure = err != nil && e.err == nil
	if err == nil {
		// A failed refresh keeps the listing it had.
		e.models = models
	}
	e.err, e.at = err, now
	close(e.done)
	e.done = nil
	return firstFailure
}

// prune forgets the listings of channels cfg no longer has.
func (l *modelListings) prune(cfg *config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, e := range l.byID {
		if _, ok := cfg.byID[id]; !ok && e.done == nil {
			delete(l.byID, id)
		}
	}
}

// cached returns rt's last listing without fetching; nil when none.
func (l *modelListings) cached(rt *route) []ModelInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byID[rt.ID]; e != nil && e.key == listingKey(rt) {
		return e.models
	}
	return nil
}

// listed returns rt's provider listing, fetching it when it is missing or
// stale, bounded by listingTimeout; a fetch that fails leaves what was
// listed before.
func (c *Client) listed(ctx context.Context, rt *route) []ModelInfo {
	for {
		e, wait := c.listings.get(rt, c.s.now())
		if e != nil {
			return e.models
		}
		if wait != nil {
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return c.listings.cached(rt)
			}
		}
		// The fetch serves every caller waiting on it: one that hangs up
		// does not cut it short, the bound does.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(rt.timeout, listingTimeout))
		models, err := c.listModels(fctx, rt)
		cancel()
		if c.listings.end(rt, models, err, c.s.now()) {
			// Once until a listing succeeds: some compatible providers
			// have no listing at all.
			c.s.logger.Warn("routex: the channel's provider did not list its models; GET /v1/models lists only the models it names", "channel", rt.ID, "err", err)
		}
		return c.listings.cached(rt)
	}
}
