package routex

import (
	"encoding/json"
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
// or OpenAI's, which Chat and Responses callers read alike.
func (c *Client) models(req *http.Request, f Format) *http.Response {
	names := c.ModelNames() // a fresh slice: filtered in place
	if allow := modelFilter(req); allow != nil {
		names = slices.DeleteFunc(names, func(m string) bool { return !allow(m) })
	}
	var v any
	if f == FormatAnthropic {
		type model struct {
			Type        string `json:"type"`
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			CreatedAt   string `json:"created_at"`
		}
		created := time.Unix(0, 0).UTC().Format(time.RFC3339)
		data := make([]model, len(names))
		for i, n := range names {
			data[i] = model{"model", n, n, created}
		}
		var first, last *string
		if len(names) > 0 {
			first, last = &names[0], &names[len(names)-1]
		}
		v = struct {
			Data    []model `json:"data"`
			HasMore bool    `json:"has_more"`
			FirstID *string `json:"first_id"`
			LastID  *string `json:"last_id"`
		}{data, false, first, last}
	} else {
		type model struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		}
		data := make([]model, len(names))
		for i, n := range names {
			data[i] = model{n, "model", 0, "routex"}
		}
		v = struct {
			Object string  `json:"object"`
			Data   []model `json:"data"`
		}{"list", data}
	}
	b, _ := json.Marshal(v)
	return respond(req, http.StatusOK, nil, b)
}
