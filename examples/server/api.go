package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/balancer"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/transformer"
)

// routes registers the management API (API.md).
func (s *Server) routes(mux *http.ServeMux) {
	// Open: the dashboard asks who it is talking to before anything else.
	mux.HandleFunc("GET /api/session", s.getSession)
	mux.HandleFunc("POST /api/login", s.login)
	mux.HandleFunc("POST /api/logout", s.logout)
	mux.HandleFunc("POST /api/setup/token", s.setupOnly(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	mux.HandleFunc("POST /api/setup/test-channel", s.setupOnly(s.testNewChannel))
	mux.HandleFunc("POST /api/setup", s.setupOnly(s.setup))

	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.auth.require(h)) }
	admin("GET /api/channels", s.listChannels)
	admin("POST /api/channels", s.createChannel)
	admin("GET /api/channels/export", s.exportChannels)
	admin("POST /api/channels/import", s.importChannels)
	admin("POST /api/channels/test", s.testAllChannels)
	admin("GET /api/channels/{id}", s.getChannel)
	admin("PUT /api/channels/{id}", s.putChannel)
	admin("DELETE /api/channels/{id}", s.deleteChannel)
	admin("POST /api/channels/{id}/test", s.testChannel)
	admin("POST /api/channels/{id}/reset", s.resetChannel)
	admin("POST /api/channels/{id}/signin", s.startSignIn)
	admin("POST /api/channels/{id}/signin/finish", s.finishSignIn)
	admin("DELETE /api/channels/{id}/signin", s.signOut)
	admin("GET /api/accounts", s.listAccounts)

	// /api/routing/rules is the same resource, under the name the
	// product's documentation gives it.
	for _, base := range []string{"/api/rules", "/api/routing/rules"} {
		admin("GET "+base, s.listRules)
		admin("POST "+base, s.createRule)
		admin("POST "+base+"/test", s.testRule)
		admin("GET "+base+"/{id}", s.getRule)
		admin("PUT "+base+"/{id}", s.putRule)
		admin("DELETE "+base+"/{id}", s.deleteRule)
		admin("POST "+base+"/{id}/enable", s.enableRule(true))
		admin("POST "+base+"/{id}/disable", s.enableRule(false))
	}

	admin("GET /api/transformers", s.listTransformers)
	admin("POST /api/transformers/test", s.testTransformer)
	admin("GET /api/strategy", s.getStrategy)
	admin("PUT /api/strategy", s.putStrategy)
	admin("GET /api/sessions", s.listSessions)
	admin("DELETE /api/sessions/{key}", s.deleteSession)
	admin("DELETE /api/sessions", s.deleteSessionByQuery)
	admin("GET /api/status", s.status)

	admin("GET /api/analytics", s.analytics)
	admin("GET /api/overview", s.overview)
	admin("GET /api/requests", s.requests)
	admin("GET /api/events", s.events)

	admin("GET /api/keys", s.listKeys)
	admin("POST /api/keys", s.createKey)
	admin("PUT /api/keys/{id}", s.putKey)
	admin("DELETE /api/keys/{id}", s.deleteKey)

	admin("GET /api/settings", s.getSettings)
	admin("PUT /api/settings/password", s.putPassword)

	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}

// apiError writes the management API's error shape.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readAll reads a request body (bounded by Server.bound) and leaves a copy
// for the next reader. Its errors are *bodyError, which say what to answer.
func readAll(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err == nil {
		return b, nil
	}
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		return nil, &bodyError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)}
	case errors.As(err, &ne) && ne.Timeout():
		return nil, &bodyError{http.StatusRequestTimeout, "timeout", "the request body did not arrive in time"}
	default:
		return nil, &bodyError{http.StatusBadRequest, "bad_request", "the request body could not be read"}
	}
}

// bodyError is a request body that could not be read, and the answer to it.
type bodyError struct {
	status int
	code   string
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// decode reads a JSON body into v, refusing unknown fields, trailing data
// and bodies over the bound, with a 4xx the caller can act on.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := readAll(r)
	if err != nil {
		be := err.(*bodyError)
		apiError(w, be.status, be.code, be.msg)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: data after the JSON value")
		return false
	}
	return true
}

// storeError answers a Store error: not found, or an internal error whose
// details go to the log only.
func (s *Server) storeError(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, routex.ErrNotFound) {
		apiError(w, http.StatusNotFound, "not_found", what+" not found")
		return
	}
	s.logger.Error("routex: store", "op", what, "err", err)
	apiError(w, http.StatusInternalServerError, "internal", what+": the database failed; see the server log")
}

// ---- session and setup ----

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"setupNeeded": s.setupNeeded(), "authenticated": false}
	if se := s.auth.fromRequest(r); se != nil {
		out["authenticated"], out["username"], out["csrfToken"] = true, se.user, se.csrf
	} else if s.auth.tokenOK(r) {
		out["authenticated"] = true
	}
	writeJSON(w, http.StatusOK, out)
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if !decode(w, r, &c) {
		return
	}
	if s.tryPassword(w, r, c.Username, c.Password, "wrong name or password") {
		s.startSession(w, r, s.auth.open(c.Username))
	}
}

// tryPassword checks user's password through the login throttle and the
// turns of password hashing. Unless the password is right, it answers the
// request itself: 401 with wrong, 429 while the address or the account has
// to wait, 503 when too many checks are waiting.
func (s *Server) tryPassword(w http.ResponseWriter, r *http.Request, user, password, wrong string) bool {
	ctx := r.Context()
	admin, err := s.store.Setting(ctx, settingAdminUser)
	if err != nil {
		s.storeError(w, "login", err)
		return false
	}
	done, wait := s.logins.allow(clientAddress(r), user, admin != "" && user == admin)
	if done == nil {
		n := retrySeconds(wait)
		w.Header().Set("Retry-After", strconv.Itoa(n))
		apiError(w, http.StatusTooManyRequests, "too_many_requests", fmt.Sprintf("too many failed logins; try again in %d s", n))
		return false
	}
	err = s.auth.check(ctx, user, password)
	switch {
	case err == nil:
		done(loginOK)
		return true
	case errors.Is(err, errUnauthorized):
		done(loginFailed)
		s.logger.Warn("routex: failed login", "remote", r.RemoteAddr, "user", user)
		apiError(w, http.StatusUnauthorized, "unauthorized", wrong)
	case errors.Is(err, errBusy):
		done(loginUnchecked)
		s.logger.Warn("routex: login refused: too many at once", "remote", r.RemoteAddr, "user", user)
		w.Header().Set("Retry-After", "1")
		apiError(w, http.StatusServiceUnavailable, "busy", "too many logins at once; try again in 1 s")
	case ctx.Err() != nil:
		done(loginUnchecked) // the caller has gone
	default:
		done(loginUnchecked)
		s.storeError(w, "login", err)
	}
	return false
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, se *session) {
	http.SetCookie(w, se.cookie(r))
	writeJSON(w, http.StatusOK, map[string]string{"username": se.user, "csrfToken": se.csrf})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.auth.logout(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// setupOnly admits a request only while no administrator exists, and only
// with the setup token.
func (s *Server) setupOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.setupNeeded() {
			apiError(w, http.StatusForbidden, "forbidden", "setup is done; log in instead")
			return
		}
		if !s.setupTokenOK(r) {
			s.logger.Warn("routex: setup refused: missing or wrong setup token", "remote", r.RemoteAddr, "path", r.URL.Path)
			apiError(w, http.StatusUnauthorized, "unauthorized", "send the setup token printed in the server's log as the "+setupTokenHeader+" header")
			return
		}
		h(w, r)
	}
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channel  routex.Channel `json:"channel"`
		Strategy string         `json:"strategy"`
		Admin    credentials    `json:"admin"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if !s.setupNeeded() {
		apiError(w, http.StatusForbidden, "forbidden", "setup is done; log in instead")
		return
	}
	ctx := r.Context()
	ch, ok := s.prepareChannel(w, ctx, in.Channel, true)
	if !ok {
		return
	}
	if in.Strategy == "" {
		in.Strategy = "priority"
	}
	if err := validateStrategy(in.Strategy); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_strategy", err.Error())
		return
	}
	if err := checkPassword(in.Admin.Username, in.Admin.Password); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if err := s.store.PutChannel(ctx, ch); err != nil {
		s.storeError(w, "channel", err)
		return
	}
	if err := s.store.SetStrategy(ctx, in.Strategy); err != nil {
		s.storeError(w, "strategy", err)
		return
	}
	// The administrator last: until it exists, setup can be retried.
	if err := setAdmin(ctx, s.store, in.Admin.Username, in.Admin.Password); err != nil {
		s.storeError(w, "administrator", err)
		return
	}
	s.logger.Info("routex: setup done", "admin", in.Admin.Username, "channel", ch.ID)
	s.startSession(w, r, s.auth.open(in.Admin.Username))
}

func checkPassword(user, password string) error {
	switch {
	case strings.TrimSpace(user) == "":
		return errors.New("the administrator needs a name")
	case len(password) < minPassword:
		return fmt.Errorf("the password must have at least %d characters", minPassword)
	case len(password) > 72:
		return errors.New("the password must have at most 72 bytes")
	}
	return nil
}

// ---- channels ----

type channelView struct {
	routex.Channel
	Status *routex.ChannelStatus `json:"status,omitempty"`
	// Account is the sign-in state of an OAuth channel.
	Account *oauth.Status `json:"account,omitempty"`
	// Notice says what the server changed in what it was sent.
	Notice string `json:"notice,omitempty"`
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
	v := channelView{Channel: c}
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

func (s *Server) findChannel(ctx context.Context, id string, reveal bool) (routex.Channel, error) {
	list := s.store.Channels
	if reveal {
		list = s.store.RevealChannels
	}
	chs, err := list(ctx)
	if err != nil {
		return routex.Channel{}, err
	}
	for _, c := range chs {
		if c.ID == id {
			return c, nil
		}
	}
	return routex.Channel{}, fmt.Errorf("channel %q: %w", id, routex.ErrNotFound)
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.findChannel(r.Context(), r.PathValue("id"), false)
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
			if _, err := s.findChannel(ctx, c.ID, false); errors.Is(err, routex.ErrNotFound) {
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
	var c routex.Channel
	if !decode(w, r, &c) {
		return
	}
	ctx := r.Context()
	if c.ID != "" {
		if _, err := s.findChannel(ctx, c.ID, false); err == nil {
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
	writeJSON(w, http.StatusCreated, channelView{Channel: c.Redacted(), Notice: notice})
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
	var c routex.Channel
	if !decode(w, r, &c) {
		return
	}
	id := r.PathValue("id")
	if c.ID != "" && c.ID != id {
		apiError(w, http.StatusBadRequest, "invalid_channel", fmt.Sprintf("the body's id %q is not the path's %q", c.ID, id))
		return
	}
	c.ID = id
	ctx := r.Context()
	old, err := s.findChannel(ctx, id, true)
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
		writeJSON(w, http.StatusOK, channelView{Channel: c.Redacted(), Notice: notice})
	}
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) {
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
}

func (s *Server) test(ctx context.Context, c routex.Channel, model string) testResult {
	return viewTest(s.client.TestChannel(ctx, c, model))
}

func viewTest(res routex.TestResult) testResult {
	return testResult{ChannelID: res.ChannelID, OK: res.OK, Status: res.Status, LatencyMs: res.Latency.Milliseconds(), Model: res.Model, Error: res.Error}
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.findChannel(r.Context(), r.PathValue("id"), true)
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	writeJSON(w, http.StatusOK, s.test(r.Context(), c, r.URL.Query().Get("model")))
}

// testNewChannel tests a channel that is not saved yet (the wizard's).
func (s *Server) testNewChannel(w http.ResponseWriter, r *http.Request) {
	var c routex.Channel
	if !decode(w, r, &c) {
		return
	}
	if c.ID == "" {
		c.ID = "new"
	}
	writeJSON(w, http.StatusOK, setupTestResult(s.client.TestChannel(r.Context(), c, "")))
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
	writeJSON(w, http.StatusOK, map[string]any{"channels": chs})
}

func (s *Server) importChannels(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channels []routex.Channel `json:"channels"`
	}
	if !decode(w, r, &in) {
		return
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
	for i := range in.Channels {
		c := &in.Channels[i]
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
	for _, c := range in.Channels {
		if err := s.store.PutChannel(ctx, c); err != nil {
			s.storeError(w, "channel", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": len(in.Channels)})
}

// ---- rules ----

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.store.Rules(r.Context())
	if err != nil {
		s.storeError(w, "rules", err)
		return
	}
	writeJSON(w, http.StatusOK, rules)
}

func (s *Server) findRule(ctx context.Context, id string) (routex.Rule, error) {
	rules, err := s.store.Rules(ctx)
	if err != nil {
		return routex.Rule{}, err
	}
	for _, r := range rules {
		if r.ID == id {
			return r, nil
		}
	}
	return routex.Rule{}, fmt.Errorf("rule %q: %w", id, routex.ErrNotFound)
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.findRule(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "rule", err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) saveRule(w http.ResponseWriter, ctx context.Context, rule routex.Rule, status int) {
	if err := s.client.CheckRule(rule); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_rule", err.Error())
		return
	}
	if err := s.store.PutRule(ctx, rule); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	out := struct {
		routex.Rule
		// Notice says why the rule, though saved, would not take a
		// request now.
		Notice string `json:"notice,omitempty"`
	}{Rule: rule}
	if _, err := s.findChannel(ctx, rule.Target.Channel, false); errors.Is(err, routex.ErrNotFound) {
		out.Notice = fmt.Sprintf("no channel %q exists: the rule is saved, but until that channel is created it takes no request (its matches go on to the next rule or the balancer)", rule.Target.Channel)
	}
	writeJSON(w, status, out)
}

// ruleBody is a rule as the API takes it: the library's shape, or the
// product's documented one, where "type" names the kind of rule and
// "targetChannel" and "targetModel" stand beside "target".
type ruleBody struct {
	routex.Rule
	Type          string `json:"type,omitempty"`
	TargetChannel string `json:"targetChannel,omitempty"`
	TargetModel   string `json:"targetModel,omitempty"`
}

// ruleTypes says, for each rule type, the condition field it names and
// whether a condition holds it; "custom" takes any condition. A flag
// type's flag (flag, when not nil) is set to true when the condition
// leaves it out: "a tools rule" means requests that have tools.
var ruleTypes = map[string]struct {
	field string
	has   func(c *routex.Condition) bool
	flag  func(c *routex.Condition) **bool
}{
	"longContext": {"tokenThreshold", func(c *routex.Condition) bool { return c.TokenThreshold > 0 }, nil},
	"keywords":    {"keywords", func(c *routex.Condition) bool { return len(c.Keywords) > 0 }, nil},
	"regex":       {"userPattern", func(c *routex.Condition) bool { return c.UserPattern != "" }, nil},
	"model":       {"modelPattern", func(c *routex.Condition) bool { return c.ModelPattern != "" }, nil},
	"header":      {"header", func(c *routex.Condition) bool { return c.Header != nil }, nil},
	"tools":       {"hasTools", nil, func(c *routex.Condition) **bool { return &c.HasTools }},
	"images":      {"hasImages", nil, func(c *routex.Condition) **bool { return &c.HasImages }},
	"thinking":    {"thinking", nil, func(c *routex.Condition) **bool { return &c.Thinking }},
	"webSearch":   {"webSearch", nil, func(c *routex.Condition) **bool { return &c.WebSearch }},
	"custom":      {"", func(c *routex.Condition) bool { return !reflect.ValueOf(*c).IsZero() }, nil},
}

// decodeRule reads a rule in either shape, refusing a type its condition
// does not fit and targets given twice over.
func decodeRule(w http.ResponseWriter, r *http.Request) (routex.Rule, bool) {
	var b ruleBody
	if !decode(w, r, &b) {
		return routex.Rule{}, false
	}
	rule := b.Rule
	refuse := func(msg string) (routex.Rule, bool) {
		apiError(w, http.StatusBadRequest, "invalid_rule", msg)
		return routex.Rule{}, false
	}
	if b.Type != "" {
		t, ok := ruleTypes[b.Type]
		if !ok {
			names := slices.Sorted(maps.Keys(ruleTypes))
			return refuse(fmt.Sprintf("unknown rule type %q (want one of %s)", b.Type, strings.Join(names, ", ")))
		}
		c := &rule.Condition
		if t.flag != nil {
			if f := t.flag(c); *f == nil {
				*f = routex.Bool(true)
			}
		} else if !t.has(c) {
			if t.field == "" {
				return refuse(fmt.Sprintf("a %q rule needs a condition", b.Type))
			}
			return refuse(fmt.Sprintf("a %q rule needs condition.%s", b.Type, t.field))
		}
	}
	for _, f := range []struct {
		name      string
		flat, set *string
	}{{"targetChannel", &b.TargetChannel, &rule.Target.Channel}, {"targetModel", &b.TargetModel, &rule.Target.Model}} {
		switch {
		case *f.flat == "":
		case *f.set == "":
			*f.set = *f.flat
		case *f.set != *f.flat:
			return refuse(fmt.Sprintf("%s %q and target disagree (%q); give one", f.name, *f.flat, *f.set))
		}
	}
	return rule, true
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := decodeRule(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if rule.ID == "" {
		base := slug(rule.Name)
		if base == "" {
			base = "rule"
		}
		rule.ID = base
		for n := 2; ; n++ {
			if _, err := s.findRule(ctx, rule.ID); errors.Is(err, routex.ErrNotFound) {
				break
			} else if err != nil {
				s.storeError(w, "rule", err)
				return
			}
			rule.ID = fmt.Sprintf("%s-%d", base, n)
		}
	} else if _, err := s.findRule(ctx, rule.ID); err == nil {
		apiError(w, http.StatusConflict, "conflict", fmt.Sprintf("rule %q exists; PUT /api/rules/%s replaces it", rule.ID, rule.ID))
		return
	}
	s.saveRule(w, ctx, rule, http.StatusCreated)
}

func (s *Server) putRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := decodeRule(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if rule.ID != "" && rule.ID != id {
		apiError(w, http.StatusBadRequest, "invalid_rule", fmt.Sprintf("the body's id %q is not the path's %q", rule.ID, id))
		return
	}
	rule.ID = id
	if _, err := s.findRule(r.Context(), id); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	s.saveRule(w, r.Context(), rule, http.StatusOK)
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteRule(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) enableRule(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rule, err := s.findRule(r.Context(), r.PathValue("id"))
		if err != nil {
			s.storeError(w, "rule", err)
			return
		}
		rule.Disabled = !on
		s.saveRule(w, r.Context(), rule, http.StatusOK)
	}
}

// testRule is the dry run: which rule and channels a request would take.
func (s *Server) testRule(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Path == "" {
		in.Path = "/v1/messages"
	}
	if !strings.HasPrefix(in.Path, "/") {
		apiError(w, http.StatusBadRequest, "bad_request", "path must start with /")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://routex"+in.Path, bytes.NewReader(in.Body))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	d, err := s.client.Explain(req)
	out := struct {
		routex.Decision
		Error string `json:"error,omitempty"`
	}{Decision: d}
	if err != nil {
		out.Error = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- transformers, strategy, sessions, status ----

func (s *Server) listTransformers(w http.ResponseWriter, r *http.Request) {
	names := transformer.Names()
	slices.Sort(names)
	writeJSON(w, http.StatusOK, names)
}

func (s *Server) testTransformer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		// Transformer, Request and Response are the names the product's
		// documentation gives Name and Body.
		Transformer string          `json:"transformer"`
		Direction   string          `json:"direction"`
		Body        json.RawMessage `json:"body"`
		Request     json.RawMessage `json:"request"`
		Response    json.RawMessage `json:"response"`
		Options     json.RawMessage `json:"options"`
		// From is the format of a body given to a format's name; guessed
		// from the body when empty.
		From string `json:"from"`
	}
	if !decode(w, r, &in) {
		return
	}
	name := cmp.Or(in.Name, in.Transformer)
	if in.Direction == "" {
		in.Direction = string(transformer.DirRequest)
		if len(in.Response) > 0 && len(in.Request) == 0 {
			in.Direction = string(transformer.DirResponse)
		}
	}
	dir := transformer.Direction(in.Direction)
	body := in.Body
	switch {
	case len(body) > 0:
	case dir == transformer.DirResponse:
		body = in.Response
	default:
		body = in.Request
	}
	if to := routex.Format(name); to.Valid() && (dir == transformer.DirRequest || dir == transformer.DirResponse) {
		s.convertForTest(w, to, dir, routex.Format(in.From), body)
		return
	}
	out, err := transformer.Test(name, dir, body, in.Options)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"body": out})
}

// convertForTest answers the transformer tester given a format's name:
// the request routex would send a channel of format to (or the answer a
// caller of format to would get from an upstream) for body, in format
// from, guessed when empty.
func (s *Server) convertForTest(w http.ResponseWriter, to routex.Format, dir transformer.Direction, from routex.Format, body []byte) {
	if from == "" {
		from = guessFormat(body, dir)
	}
	if !from.Valid() {
		apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("the body's format could not be told; name it in \"from\" (one of %v)", transformer.Formats))
		return
	}
	out := struct {
		Body json.RawMessage `json:"body"`
		From routex.Format   `json:"from"`
		To   routex.Format   `json:"to"`
		Note string          `json:"note,omitempty"`
	}{From: from, To: to}
	var err error
	switch {
	case from == to:
		out.Body = body
		out.Note = fmt.Sprintf("the body is already in the %s format: a channel of that type gets it unchanged", to)
	case dir == transformer.DirRequest:
		out.Body, _, err = transformer.ConvertRequest(from, to, body)
		out.Note = fmt.Sprintf("the %s request a %s caller's body becomes for a channel of type %s", to, from, to)
	default:
		out.Body, err = transformer.ConvertResponse(&transformer.Conversion{From: to, To: from}, body)
		out.Note = fmt.Sprintf("the answer a %s caller gets from a %s upstream's", to, from)
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// hasAnthropicBlock reports whether a message holds a content block only
// Anthropic's format has.
func hasAnthropicBlock(messages gjson.Result) bool {
	found := false
	messages.ForEach(func(_, m gjson.Result) bool {
		m.Get("content").ForEach(func(_, b gjson.Result) bool {
			switch b.Get("type").Str {
			case "tool_use", "tool_result", "image", "document", "thinking":
				found = true
			}
			return !found
		})
		return !found
	})
	return found
}

// guessFormat tells the format of a request or answer body by the members
// only one format has; a Messages-or-Chat request that gives max_tokens
// and nothing only Chat has is taken for Anthropic's, which requires it.
func guessFormat(body []byte, dir transformer.Direction) routex.Format {
	g := func(path string) gjson.Result { return gjson.GetBytes(body, path) }
	if dir == transformer.DirResponse {
		switch {
		case g("candidates").Exists():
			return routex.FormatGemini
		case g("choices").Exists():
			return routex.FormatOpenAI
		case g("object").Str == "response" || g("output").IsArray():
			return routex.FormatResponses
		case g("type").Str == "message" || g("content").IsArray():
			return routex.FormatAnthropic
		}
		return ""
	}
	switch {
	case g("contents").Exists():
		return routex.FormatGemini
	case g("input").Exists() || g("instructions").Exists():
		return routex.FormatResponses
	case !g("messages").IsArray():
		return ""
	case g("system").Exists(), g("thinking").Exists(), hasAnthropicBlock(g("messages")):
		return routex.FormatAnthropic
	case g(`messages.#(role=="system")`).Exists(), g(`messages.#(role=="developer")`).Exists(), g(`messages.#(role=="tool")`).Exists(),
		g("max_completion_tokens").Exists(), g("tool_choice").Type == gjson.String, g("stream_options").Exists(), g("response_format").Exists():
		return routex.FormatOpenAI
	case g("max_tokens").Exists():
		return routex.FormatAnthropic
	}
	return routex.FormatOpenAI
}

func validateStrategy(name string) error {
	_, err := balancer.New(name)
	return err
}

func (s *Server) getStrategy(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"strategy": s.client.Strategy(), "available": balancer.Names()})
}

func (s *Server) putStrategy(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Strategy string `json:"strategy"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := validateStrategy(in.Strategy); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_strategy", err.Error())
		return
	}
	if err := s.store.SetStrategy(r.Context(), in.Strategy); err != nil {
		s.storeError(w, "strategy", err)
		return
	}
	s.getStrategy(w, r)
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.client.Sessions())
}

// deleteSession forgets the session its path names (escaped as any path
// segment).
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	s.forgetSession(w, r.PathValue("key"))
}

// deleteSessionByQuery forgets the session named by the query's key, which
// carries any key: one that is a dot segment ("." or "..") cannot be sent
// in a path by a browser, which resolves it away.
func (s *Server) deleteSessionByQuery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("key") {
		apiError(w, http.StatusBadRequest, "bad_request", "name the session: DELETE /api/sessions/{key} or /api/sessions?key=")
		return
	}
	s.forgetSession(w, q.Get("key"))
}

func (s *Server) forgetSession(w http.ResponseWriter, key string) {
	if !s.client.ForgetSession(key) {
		apiError(w, http.StatusNotFound, "not_found", "session not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"channels": s.client.Status(), "records": s.client.RecordStats()})
}

// ---- analytics ----

// timeRange reads from and to (RFC 3339), by default the last day.
func timeRange(q map[string][]string) (from, to time.Time, err error) {
	to = time.Now()
	from = to.Add(-24 * time.Hour)
	if v := first(q["from"]...); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("from: %v", err)
		}
	}
	if v := first(q["to"]...); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("to: %v", err)
		}
	}
	return from, to, nil
}

var buckets = map[string]time.Duration{"": 0, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

func (s *Server) analytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := timeRange(q)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	bucket, ok := buckets[q.Get("bucket")]
	if !ok {
		apiError(w, http.StatusBadRequest, "bad_request", "bucket must be minute, hour or day")
		return
	}
	group := routex.GroupBy(q.Get("group"))
	switch group {
	case routex.GroupNone, routex.GroupChannel, routex.GroupModel, routex.GroupKey:
	default:
		apiError(w, http.StatusBadRequest, "bad_request", "group must be channel, model or key")
		return
	}
	aggs, err := s.store.Aggregate(r.Context(), routex.AggregateQuery{From: from, To: to, Bucket: bucket, GroupBy: group,
		ChannelID: q.Get("channel"), Model: q.Get("model"), KeyID: q.Get("key")})
	if err != nil {
		s.storeError(w, "analytics", err)
		return
	}
	if aggs == nil {
		aggs = []routex.Aggregate{}
	}
	writeJSON(w, http.StatusOK, aggs)
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	total := func(d time.Duration) (routex.Aggregate, error) {
		aggs, err := s.store.Aggregate(r.Context(), routex.AggregateQuery{From: now.Add(-d), To: now})
		if err != nil || len(aggs) == 0 {
			return routex.Aggregate{}, err
		}
		return aggs[0], nil
	}
	hour, err := total(time.Hour)
	if err != nil {
		s.storeError(w, "overview", err)
		return
	}
	day, err := total(24 * time.Hour)
	if err != nil {
		s.storeError(w, "overview", err)
		return
	}
	avail := 0
	status := s.client.Status()
	for _, st := range status {
		if st.Available {
			avail++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"hour": hour, "day": day, "rps": s.live.rate(),
		"channels": map[string]int{"total": len(status), "available": avail},
	})
}

func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rq := routex.RecordQuery{ChannelID: q.Get("channel"), Model: q.Get("model"), KeyID: q.Get("key"), Failed: q.Get("failed") == "true"}
	var err error
	num := func(name string, dst *int, min, max int) bool {
		v := q.Get(name)
		if v == "" {
			return true
		}
		n, e := strconv.Atoi(v)
		if e != nil || n < min || n > max {
			apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("%s must be a whole number from %d to %d", name, min, max))
			return false
		}
		*dst = n
		return true
	}
	// The Store reads a zero limit as its own default: limit starts at 1.
	rq.Limit = 50
	if !num("limit", &rq.Limit, 1, 1000) || !num("offset", &rq.Offset, 0, 1<<30) || !num("status", &rq.Status, 0, 999) {
		return
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		if rq.From, rq.To, err = timeRange(q); err != nil {
			apiError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
	}
	recs, err := s.store.Records(r.Context(), rq)
	if err != nil {
		s.storeError(w, "requests", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs, "limit": rq.Limit, "offset": rq.Offset})
}

// ---- keys ----

type keyView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hint      string    `json:"hint"`
	Models    []string  `json:"models"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	Key       string    `json:"key,omitempty"` // only when created
}

func viewKey(k routex.Key) keyView {
	models := k.Models
	if models == nil {
		models = []string{}
	}
	return keyView{ID: k.ID, Name: k.Name, Hint: k.Hint, Models: models, Disabled: k.Disabled, CreatedAt: k.CreatedAt}
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.store.Keys(r.Context())
	if err != nil {
		s.storeError(w, "keys", err)
		return
	}
	out := make([]keyView, len(keys))
	for i, k := range keys {
		out[i] = viewKey(k)
	}
	writeJSON(w, http.StatusOK, out)
}

type keyInput struct {
	Name     string   `json:"name"`
	Models   []string `json:"models"`
	Disabled bool     `json:"disabled"`
}

func (in *keyInput) clean() {
	in.Name = strings.TrimSpace(in.Name)
	models := in.Models[:0]
	for _, m := range in.Models {
		if m = strings.TrimSpace(m); m != "" {
			models = append(models, m)
		}
	}
	in.Models = models
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var in keyInput
	if !decode(w, r, &in) {
		return
	}
	in.clean()
	key, hint := newKey()
	k := routex.Key{ID: "key_" + randomToken()[:12], Name: in.Name, Hash: routex.HashKey(key), Hint: hint, Models: in.Models,
		Disabled: in.Disabled, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := s.store.PutKey(r.Context(), k); err != nil {
		s.storeError(w, "key", err)
		return
	}
	v := viewKey(k)
	v.Key = key
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) findKey(ctx context.Context, id string) (routex.Key, error) {
	keys, err := s.store.Keys(ctx)
	if err != nil {
		return routex.Key{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return routex.Key{}, fmt.Errorf("key %q: %w", id, routex.ErrNotFound)
}

func (s *Server) putKey(w http.ResponseWriter, r *http.Request) {
	var in keyInput
	if !decode(w, r, &in) {
		return
	}
	in.clean()
	k, err := s.findKey(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "key", err)
		return
	}
	k.Name, k.Models, k.Disabled = in.Name, in.Models, in.Disabled
	if err := s.store.PutKey(r.Context(), k); err != nil {
		s.storeError(w, "key", err)
		return
	}
	writeJSON(w, http.StatusOK, viewKey(k))
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteKey(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- settings ----

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	user, err := s.store.Setting(r.Context(), settingAdminUser)
	if err != nil {
		s.storeError(w, "settings", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": user, "addr": s.cfg.Addr, "dataDir": s.cfg.Data, "version": version,
		"startedAt": s.started.UTC()})
}

func (s *Server) putPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	user, err := s.store.Setting(ctx, settingAdminUser)
	if err != nil {
		s.storeError(w, "settings", err)
		return
	}
	// The current password is a password guess like a login's.
	if !s.tryPassword(w, r, user, in.Current, "the current password is wrong") {
		return
	}
	if err := checkPassword(user, in.New); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if err := setAdmin(ctx, s.store, user, in.New); err != nil {
		s.storeError(w, "password", err)
		return
	}
	// Every session ends, the caller's too; it logs in again.
	s.auth.logoutAll()
	w.WriteHeader(http.StatusNoContent)
}
