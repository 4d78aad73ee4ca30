package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/routex/routex"
)

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

func (s *Server) putKey(w http.ResponseWriter, r *http.Request) {
	var in keyInput
	if !decode(w, r, &in) {
		return
	}
	in.clean()
	k, err := s.store.Key(r.Context(), r.PathValue("id"))
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
