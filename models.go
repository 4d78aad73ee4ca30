package routex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ModelNames returns the model names the enabled channels serve by name:
// each exact entry of Models and each key of ModelMap, sorted and without
// duplicates. Glob patterns cannot be listed and are left out.
func (c *Client) ModelNames() []string {
	cfg := c.cfg.Load()
	var names []string
	for _, rt := range cfg.routes {
		if !rt.Enabled() {
			continue
		}
		for _, m := range rt.Models {
			if !strings.ContainsAny(m, "*?[") {
				names = append(names, m)
			}
		}
		for m := range rt.ModelMap {
			names = append(names, m)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// models answers GET /v1/models in the caller's format: Anthropic's list,
// Google's, or OpenAI's, which Chat and Responses callers read alike; and
// GET /v1/models/{model}, one model of the list, or 404 when no channel
// serves it by name.
func (c *Client) models(req *http.Request, f Format) *http.Response {
	names := c.ModelNames() // a fresh slice: filtered in place
	if allow := modelFilter(req); allow != nil {
		names = slices.DeleteFunc(names, func(m string) bool { return !allow(m) })
	}
	if id, ok := modelID(req.URL.Path); ok {
		if f == FormatGemini {
			id = strings.TrimPrefix(id, "models/")
		}
		if !slices.Contains(names, id) {
			return refuse(req, f, &refusal{status: http.StatusNotFound, code: "model_not_found", err: ErrNoChannel,
				msg: fmt.Sprintf("no channel serves model %q", truncate(id, MaxModelBytes))})
		}
		b, _ := json.Marshal(modelEntry(f, id))
		return respond(req, http.StatusOK, nil, b)
	}
	var v any
	switch f {
	case FormatGemini:
		data := make([]any, len(names))
		for i, n := range names {
			data[i] = modelEntry(f, n)
		}
		v = struct {
			Models []any `json:"models"`
		}{data}
	case FormatAnthropic:
		data := make([]any, len(names))
		for i, n := range names {
			data[i] = modelEntry(f, n)
		}
		var first, last *string
		if len(names) > 0 {
			first, last = &names[0], &names[len(names)-1]
		}
		v = struct {
			Data    []any   `json:"data"`
			HasMore bool    `json:"has_more"`
			FirstID *string `json:"first_id"`
			LastID  *string `json:"last_id"`
		}{data, false, first, last}
	default:
		data := make([]any, len(names))
		for i, n := range names {
			data[i] = modelEntry(f, n)
		}
		v = struct {
			Object string `json:"object"`
			Data   []any  `json:"data"`
		}{"list", data}
	}
	b, _ := json.Marshal(v)
	return respond(req, http.StatusOK, nil, b)
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
func modelEntry(f Format, name string) any {
	switch f {
	case FormatGemini:
		type model struct {
			Name                       string   `json:"name"`
			BaseModelID                string   `json:"baseModelId"`
			DisplayName                string   `json:"displayName"`
			SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
		}
		return model{"models/" + name, name, name, []string{"generateContent", "streamGenerateContent", "countTokens"}}
	case FormatAnthropic:
		type model struct {
			Type        string `json:"type"`
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			CreatedAt   string `json:"created_at"`
		}
		return model{"model", name, name, time.Unix(0, 0).UTC().Format(time.RFC3339)}
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	return model{name, "model", 0, "routex"}
}

// isModelPath reports whether p is ".../v1/models/{model}", one model of
// the listing.
func isModelPath(p string) bool {
	i := strings.LastIndex(p, "/v1/models/")
	return i >= 0 && !strings.Contains(p[i+len("/v1/models/"):], "/")
}
