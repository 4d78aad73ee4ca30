package routex

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ModelNames returns the model names the enabled channels serve by name,
// sorted and without duplicates: each exact entry of Models and each key
// of ModelMap, and, from the last listing of the channel's provider
// (FetchModels, or one GET /v1/models made), the listed models a glob
// entry ("claude-*") matches, or every listed model for a channel that
// serves any model. A glob itself is never a name. ModelNames does not
// ask providers.
func (c *Client) ModelNames() []string {
	models := c.catalog(context.Background(), false)
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.ID
	}
	return names
}

// catalog is the listing GET /v1/models answers with, as ModelNames says,
// sorted by ID. With fetch, the listings of channels with globs or no
// model list that are missing or stale are fetched first, at once, each
// bounded by listingTimeout. A model's Created is its provider's when a
// listing gives one, else the time the Client first listed models: a
// stable time, for callers that sort or cache by it.
func (c *Client) catalog(ctx context.Context, fetch bool) []ModelInfo {
	cfg := c.cfg.Load()
	since := c.listings.start(c.s.now())
	c.listings.prune(cfg)
	listed := make([][]ModelInfo, len(cfg.routes))
	var wg sync.WaitGroup
	for i, rt := range cfg.routes {
		if !rt.Enabled() {
			continue
		}
		if !fetch || !needsListing(rt) || !c.authorized(rt) {
			listed[i] = c.listings.cached(rt)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			listed[i] = c.listed(ctx, rt)
		}()
	}
	wg.Wait()

	byID := map[string]ModelInfo{}
	add := func(m ModelInfo) {
		// Two channels may serve one model: what either listing says of
		// it is kept.
		if old, ok := byID[m.ID]; ok {
			m.Created = cmp.Or(old.Created, m.Created)
			m.DisplayName = cmp.Or(old.DisplayName, m.DisplayName)
		}
		byID[m.ID] = m
	}
	for i, rt := range cfg.routes {
		if !rt.Enabled() {
			continue
		}
		known := make(map[string]ModelInfo, len(listed[i]))
		for _, m := range listed[i] {
			known[m.ID] = m
		}
		// A name the channel lists takes what its provider says of it;
		// an alias only the time of the model it stands for.
		info := func(id, upstream string) ModelInfo {
			m := known[upstream]
			if id != upstream {
				m.DisplayName = ""
			}
			m.ID = id
			return m
		}
		if len(rt.Models) == 0 {
			for _, m := range listed[i] {
				add(m)
			}
		}
		for _, pattern := range rt.Models {
			if !isPattern(pattern) {
				add(info(pattern, pattern))
				continue
			}
			for _, m := range listed[i] {
				if ok, _ := path.Match(pattern, m.ID); ok {
					add(m)
				}
			}
		}
		for alias, target := range rt.ModelMap {
			add(info(alias, cmp.Or(target, alias)))
		}
	}
	out := make([]ModelInfo, 0, len(byID))
	for _, m := range byID {
		if m.Created.IsZero() {
			m.Created = since
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b ModelInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// needsListing reports whether rt's models are known only from its
// provider's listing: it lists none (any model) or lists patterns.
func needsListing(rt *route) bool {
	if len(rt.Models) == 0 {
		return true
	}
	return slices.ContainsFunc(rt.Models, isPattern)
}

// models answers GET /v1/models in the caller's format: Anthropic's list,
// Google's, or OpenAI's, which Chat and Responses callers read alike; and
// GET /v1/models/{model}, one model of the list, or 404 when no channel
// serves it by name.
func (c *Client) models(req *http.Request, f Format) *http.Response {
	models := c.catalog(req.Context(), true) // a fresh slice: filtered in place
	if allow := modelFilter(req); allow != nil {
		models = slices.DeleteFunc(models, func(m ModelInfo) bool { return !allow(m.ID) })
	}
	if id, ok := modelID(req.URL.Path); ok {
		if f == FormatGemini {
			id = strings.TrimPrefix(id, "models/")
		}
		i := slices.IndexFunc(models, func(m ModelInfo) bool { return m.ID == id })
		if i < 0 {
			return refuse(req, f, &refusal{status: http.StatusNotFound, code: "model_not_found", err: ErrNoChannel,
				msg: fmt.Sprintf("no channel serves model %q", truncate(id, MaxModelBytes))})
		}
		b, _ := json.Marshal(modelEntry(f, models[i]))
		return respond(req, http.StatusOK, nil, b)
	}
	data := make([]any, len(models))
	for i, m := range models {
		data[i] = modelEntry(f, m)
	}
	var v any
	switch f {
	case FormatGemini:
		v = struct {
			Models []any `json:"models"`
		}{data}
	case FormatAnthropic:
		page, more := anthropicPage(req.URL.Query(), models)
		data = data[:0]
		for _, m := range page {
			data = append(data, modelEntry(f, m))
		}
		var first, last *string
		if len(page) > 0 {
			first, last = &page[0].ID, &page[len(page)-1].ID
		}
		v = struct {
			Data    []any   `json:"data"`
			HasMore bool    `json:"has_more"`
			FirstID *string `json:"first_id"`
			LastID  *string `json:"last_id"`
		}{data, more, first, last}
	default:
		v = struct {
			Object string `json:"object"`
			Data   []any  `json:"data"`
		}{"list", data}
	}
	b, _ := json.Marshal(v)
	return respond(req, http.StatusOK, nil, b)
}

// anthropicPage is the page of models Anthropic's listing parameters ask
// for: those after after_id or before before_id (in ID order), at most
// limit of them (all when it is not given), and whether more remain on
// that side.
func anthropicPage(q url.Values, models []ModelInfo) ([]ModelInfo, bool) {
	// index is where id stands in models, sorted by ID, or would stand.
	index := func(id string) (int, bool) {
		return slices.BinarySearchFunc(models, id, func(m ModelInfo, id string) int { return strings.Compare(m.ID, id) })
	}
	afterID, beforeID := q.Get("after_id"), q.Get("before_id")
	if afterID != "" {
		i, found := index(afterID)
		if found {
			i++
		}
		models = models[i:]
	} else if beforeID != "" {
		i, _ := index(beforeID)
		models = models[:i]
	}
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n <= 0 || n >= len(models) {
		return models, false
	}
	if afterID == "" && beforeID != "" {
		return models[len(models)-n:], true
	}
	return models[:n], true
}

// modelID returns the model a path ".../models/{model}" names.
func modelID(p string) (string, bool) {
	i := strings.LastIndex(p, "/models/")
	if i < 0 || i+len("/models/") == len(p) {
		return "", false
	}
	return p[i+len("/models/"):], true
}

// modelEntry describes one model as format f lists it.
func modelEntry(f Format, m ModelInfo) any {
	name := cmp.Or(m.DisplayName, m.ID)
	switch f {
	case FormatGemini:
		type model struct {
			Name                       string   `json:"name"`
			BaseModelID                string   `json:"baseModelId"`
			DisplayName                string   `json:"displayName"`
			SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
		}
		return model{"models/" + m.ID, m.ID, name, []string{"generateContent", "streamGenerateContent", "countTokens"}}
	case FormatAnthropic:
		type model struct {
			Type        string `json:"type"`
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			CreatedAt   string `json:"created_at"`
		}
		return model{"model", m.ID, name, m.Created.UTC().Format(time.RFC3339)}
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	return model{m.ID, "model", m.Created.Unix(), "routex"}
}

// isModelPath reports whether p is ".../v1/models/{model}", one model of
// the listing.
func isModelPath(p string) bool {
	i := strings.LastIndex(p, "/v1/models/")
	return i >= 0 && !strings.Contains(p[i+len("/v1/models/"):], "/")
}
