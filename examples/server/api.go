package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/routex/routex"
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
	admin("POST /api/channels/models", s.fetchNewChannelModels)
	admin("GET /api/channels/{id}", s.getChannel)
	admin("PUT /api/channels/{id}", s.putChannel)
	admin("DELETE /api/channels/{id}", s.deleteChannel)
	admin("POST /api/channels/{id}/test", s.testChannel)
	admin("POST /api/channels/{id}/models", s.fetchChannelModels)
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
	admin("GET /api/settings/tokens", s.listAdminTokens)
	admin("POST /api/settings/tokens", s.createAdminToken)
	admin("DELETE /api/settings/tokens/{id}", s.deleteAdminToken)

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
