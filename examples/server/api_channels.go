package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
)

type channelView struct {
	channelDoc
	Status *routex.ChannelStatus `json:"status,omitempty"`
	// Account is the sign-in state of an OAuth channel.
	Account *oauth.Status `json:"account,omitempty"`
	// Notice says what the server changed in what it was sent.
	Notice string `json:"notice,omitempty"`
	// Source is "config" for a channel the config file defines, which the
	// API does not change.
	Source string `json:"source,omitempty"`
}

// trimBaseURL takes off the endpoint a channel's base URL was given with
// ("…/v1/chat/completions"): routex appends it. It returns the notice
// that says so, or "".
func trimBaseURL(c *routex.Channel) string {
	base, cut := routex.TrimEndpoint(c.BaseURL)
	if cut == "" {
		return ""
	}
	c.BaseURL = base
	return fmt.Sprintf("the base URL ended in the endpoint %s, which routex adds itself; it is saved as %s", cut, routex.RedactURL(base))
}

// view shows a channel (already redacted) with its live state.
func (s *Server) view(ctx context.Context, c routex.Channel, status map[string]routex.ChannelStatus) channelView {
	v := channelView{channelDoc: docChannel(c), Source: s.configured.source("channel", c.ID)}
	if st, ok := status[c.ID]; ok {
		v.Status = &st
	}
	if c.OAuth {
		st := s.accounts.status(ctx, c.ID)
		v.Account = &st
	}
	return v
}

func (s *Server) statusByID() map[string]routex.ChannelStatus {
	m := map[string]routex.ChannelStatus{}
	for _, st := range s.client.Status() {
		m[st.ID] = st
	}
	return m
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	chs, err := s.store.Channels(r.Context())
	if err != nil {
		s.storeError(w, "channels", err)
		return
	}
	// Accounts are read first: whether one is signed in decides whether
	// its channel is available.
	for _, c := range chs {
		if c.OAuth {
			s.accounts.status(r.Context(), c.ID)
		}
	}
	status := s.statusByID()
	out := make([]channelView, len(chs))
	for i, c := range chs {
		out[i] = s.view(r.Context(), c, status)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Channel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	if c.OAuth {
		s.accounts.status(r.Context(), c.ID)
	}
	writeJSON(w, http.StatusOK, s.view(r.Context(), c, s.statusByID()))
}

var slugInvalid = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an id from a name: "OpenAI (backup)" → "openai-backup".
func slug(name string) string {
	return strings.Trim(slugInvalid.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// prepareChannel fills in a new channel's id and validates it.
func (s *Server) prepareChannel(w http.ResponseWriter, ctx context.Context, c routex.Channel, create bool) (routex.Channel, bool) {
	if create && c.ID == "" {
		base := slug(c.Name)
		if base == "" {
			base = string(c.Type)
		}
		if base == "" {
			base = "channel"
		}
		c.ID = base
		for n := 2; ; n++ {
			if _, err := s.store.Channel(ctx, c.ID); errors.Is(err, routex.ErrNotFound) {
				break
			} else if err != nil {
				s.storeError(w, "channel", err)
				return c, false
			}
			c.ID = fmt.Sprintf("%s-%d", base, n)
		}
	}
	if err := c.Validate(); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_channel", err.Error())
		return c, false
	}
	return c, true
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) {
	var doc channelDoc
	if !decode(w, r, &doc) {
		return
	}
	c := doc.channel()
	ctx := r.Context()
	if c.ID != "" {
		if _, err := s.store.Channel(ctx, c.ID); err == nil {
			apiError(w, http.StatusConflict, "conflict", fmt.Sprintf("channel %q exists; PUT /api/channels/%s replaces it", c.ID, c.ID))
			return
		}
	}
	notice := trimBaseURL(&c)
	c, ok := s.prepareChannel(w, ctx, c, true)
	if !ok {
		return
	}
	if err := s.store.PutChannel(ctx, c); err != nil {
		s.storeError(w, "channel", err)
		return
	}
	writeJSON(w, http.StatusCreated, channelView{channelDoc: docChannel(c.Redacted()), Notice: notice})
}

// keepSecrets gives c the stored secrets it does not restate: an empty or
// redacted API key, a redacted base URL and redacted header values mean
// "unchanged".
func keepSecrets(c *routex.Channel, old routex.Channel) {
	if c.APIKey == "" || c.APIKey == routex.RedactSecret(old.APIKey) {
		c.APIKey = old.APIKey
	}
	if c.BaseURL != old.BaseURL && c.BaseURL == routex.RedactURL(old.BaseURL) {
		c.BaseURL = old.BaseURL // the listing's form, unchanged
	}
	for k, v := range c.Headers {
		if ov, ok := old.Headers[k]; ok && v == routex.RedactSecret(ov) {
			c.Headers[k] = ov
		}
	}
}

func (s *Server) putChannel(w http.ResponseWriter, r *http.Request) {
	if s.refuseConfigured(w, "channel", r.PathValue("id")) {
		return
	}
	var doc channelDoc
	if !decode(w, r, &doc) {
		return
	}
	c := doc.channel()
	id := r.PathValue("id")
	if c.ID != "" && c.ID != id {
		apiError(w, http.StatusBadRequest, "invalid_channel", fmt.Sprintf("the body's id %q is not the path's %q", c.ID, id))
		return
	}
	c.ID = id
	ctx := r.Context()
	old, err := s.store.RevealChannel(ctx, id)
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	keepSecrets(&c, old)
	notice := trimBaseURL(&c)
	if c, ok := s.prepareChannel(w, ctx, c, false); ok {
		if err := s.store.PutChannel(ctx, c); err != nil {
			s.storeError(w, "channel", err)
			return
		}
		writeJSON(w, http.StatusOK, channelView{channelDoc: docChannel(c.Redacted()), Notice: notice})
	}
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) {
	if s.refuseConfigured(w, "channel", r.PathValue("id")) {
		return
	}
	if err := s.store.DeleteChannel(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "channel", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testResult is TestResult as API.md shows it.
type testResult struct {
	ChannelID string `json:"channelId"`
	OK        bool   `json:"ok"`
	Status    int    `json:"status"`
	LatencyMs int64  `json:"latencyMs"`
	Model     string `json:"model,omitempty"`
	Error     string `json:"error,omitempty"`
	// Notice says where the model tested with came from, when the
	// channel names none.
	Notice string `json:"notice,omitempty"`
}

func (s *Server) test(ctx context.Context, c routex.Channel, model string) testResult {
	return viewTest(s.client.TestChannel(ctx, c, model))
}

func viewTest(res routex.TestResult) testResult {
	out := testResult{ChannelID: res.ChannelID, OK: res.OK, Status: res.Status, LatencyMs: res.Latency.Milliseconds(), Model: res.Model, Error: res.Error}
	switch res.Picked {
	case "listed":
		out.Notice = fmt.Sprintf("the channel names no model; tested with %s, which its provider lists", res.Model)
	case "default":
		out.Notice = fmt.Sprintf("the channel names no model and its provider's model list could not be read; tested with %s, the usual model for its type", res.Model)
		if res.ListingError != "" {
			out.Notice += " (" + res.ListingError + ")"
		}
	}
	return out
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.RevealChannel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	writeJSON(w, http.StatusOK, s.test(r.Context(), c, r.URL.Query().Get("model")))
}

// testNewChannel tests a channel that is not saved yet (the wizard's).
func (s *Server) testNewChannel(w http.ResponseWriter, r *http.Request) {
	var doc channelDoc
	if !decode(w, r, &doc) {
		return
	}
	c := doc.channel()
	if c.ID == "" {
		c.ID = "new"
	}
	writeJSON(w, http.StatusOK, setupTestResult(s.client.TestChannel(r.Context(), c, "")))
}

// modelList is the answer of the model-fetch endpoints.
type modelList struct {
	Models []string `json:"models"`
}

// fetchModels answers with the models c's provider lists: 400 for a
// channel that is not valid, 502 with the provider's message when the
// listing fails.
func (s *Server) fetchModels(w http.ResponseWriter, r *http.Request, c routex.Channel) {
	listed, err := s.client.FetchModels(r.Context(), c)
	if err != nil {
		var ce *routex.ConfigError
		var le *routex.ModelListError
		switch {
		case errors.As(err, &ce):
			apiError(w, http.StatusBadRequest, "invalid_channel", err.Error())
		case errors.As(err, &le):
			apiError(w, http.StatusBadGateway, "provider_error", fmt.Sprintf("the provider refused to list its models: HTTP %d: %s", le.Status, le.Message))
		default:
			apiError(w, http.StatusBadGateway, "provider_error", err.Error())
		}
		return
	}
	out := modelList{Models: make([]string, len(listed))}
	for i, m := range listed {
		out.Models[i] = m.ID
	}
	writeJSON(w, http.StatusOK, out)
}

// fetchChannelModels lists the models of a saved channel's provider, with
// its stored key.
func (s *Server) fetchChannelModels(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.RevealChannel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	s.fetchModels(w, r, c)
}

// fetchNewChannelModels lists the models of a channel that is not saved
// yet, or is being edited: a body whose id names a saved channel keeps
// that channel's secrets where it restates them redacted or leaves them
// out, as PUT does.
func (s *Server) fetchNewChannelModels(w http.ResponseWriter, r *http.Request) {
	var doc channelDoc
	if !decode(w, r, &doc) {
		return
	}
	c := doc.channel()
	if c.ID == "" {
		c.ID = "new"
	} else if old, err := s.store.RevealChannel(r.Context(), c.ID); err == nil {
		keepSecrets(&c, old)
	} else if !errors.Is(err, routex.ErrNotFound) {
		s.storeError(w, "channel", err)
		return
	}
	s.fetchModels(w, r, c)
}

func (s *Server) testAllChannels(w http.ResponseWriter, r *http.Request) {
	chs, err := s.store.RevealChannels(r.Context())
	if err != nil {
		s.storeError(w, "channels", err)
		return
	}
	out := make([]testResult, len(chs))
	done := make(chan struct{})
	for i, c := range chs {
		go func() {
			out[i] = s.test(r.Context(), c, "")
			done <- struct{}{}
		}()
	}
	for range chs {
		<-done
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) resetChannel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := s.statusByID()[id]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "channel not found")
		return
	}
	s.client.ResetChannel(id)
	st = s.statusByID()[id]
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) exportChannels(w http.ResponseWriter, r *http.Request) {
	chs, err := s.store.Channels(r.Context())
	if err != nil {
		s.storeError(w, "channels", err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="routex-channels.json"`)
	writeJSON(w, http.StatusOK, map[string]any{"channels": docChannels(chs)})
}

func (s *Server) importChannels(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channels []channelDoc `json:"channels"`
	}
	if !decode(w, r, &in) {
		return
	}
	chs := make([]routex.Channel, len(in.Channels))
	for i, d := range in.Channels {
		chs[i] = d.channel()
	}
	ctx := r.Context()
	existing, err := s.store.RevealChannels(ctx)
	if err != nil {
		s.storeError(w, "channels", err)
		return
	}
	old := map[string]routex.Channel{}
	for _, c := range existing {
		old[c.ID] = c
	}
	// Everything is checked before anything is written.
	seen := map[string]bool{}
	for i := range chs {
		c := &chs[i]
		if s.refuseConfigured(w, "channel", c.ID) {
			return
		}
		if o, ok := old[c.ID]; ok {
			keepSecrets(c, o)
		}
		if err := c.Validate(); err != nil {
			apiError(w, http.StatusBadRequest, "invalid_channel", fmt.Sprintf("channels[%d]: %v", i, err))
			return
		}
		if seen[c.ID] {
			apiError(w, http.StatusBadRequest, "invalid_channel", fmt.Sprintf("channels[%d]: id %q appears twice", i, c.ID))
			return
		}
		seen[c.ID] = true
	}
	for _, c := range chs {
		if err := s.store.PutChannel(ctx, c); err != nil {
			s.storeError(w, "channel", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": len(chs)})
}
