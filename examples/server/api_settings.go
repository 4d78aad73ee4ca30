package main

import (
	"net/http"
)

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	user, err := s.store.Setting(r.Context(), settingAdminUser)
	if err != nil {
		s.storeError(w, "settings", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": user, "addr": s.cfg.Addr, "dataDir": s.cfg.Data, "version": version,
		"startedAt": s.started.UTC(), "passwordFromEnv": s.passwordFromEnv()})
}

func (s *Server) putPassword(w http.ResponseWriter, r *http.Request) {
	if s.refusePasswordChange(w) {
		return
	}
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
