package main

import (
	"fmt"
	"net/http"

	"github.com/routex/routex/balancer"
)

func validateStrategy(name string) error {
	_, err := balancer.New(name)
	return err
}

func (s *Server) getStrategy(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"strategy": s.client.Strategy(), "available": balancer.Names()}
	if s.cfg.Strategy != "" {
		out["source"] = "config" // set again at every start
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putStrategy(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Strategy string `json:"strategy"`
	}
	if !decode(w, r, &in) {
		return
	}
	if s.cfg.Strategy != "" {
		apiError(w, http.StatusConflict, "managed_by_config",
			fmt.Sprintf("the strategy is set in %s; edit that file and restart", s.configured.file))
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
	writeJSON(w, http.StatusOK, map[string]any{"channels": s.client.Status(), "records": s.client.RecordStats(), "shared": s.client.SharedStatus()})
}
