package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

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
		Channel  channelDoc  `json:"channel"`
		Strategy string      `json:"strategy"`
		Admin    credentials `json:"admin"`
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
	if s.refuseConfigured(w, "channel", in.Channel.ID) {
		return
	}
	ch, ok := s.prepareChannel(w, ctx, in.Channel.channel(), true)
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
	if s.cfg.Strategy != "" {
		in.Strategy = s.cfg.Strategy // the config file's, as at every start
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
