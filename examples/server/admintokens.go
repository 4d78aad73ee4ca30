package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/routex/routex"
)

// settingAdminTokens holds the admin tokens made in Settings, as a JSON list
// of storedAdminToken: hashes, never the tokens.
const settingAdminTokens = "admin.tokens"

const (
	// adminTokenPrefix starts every admin token, so that one found in a
	// script or a secret scanner's report is recognised for what it is.
	adminTokenPrefix = "rtx_admin_"
	// adminTokenShown is how much of a token its prefix field shows: the
	// fixed prefix and a few random characters, enough to tell tokens apart.
	adminTokenShown = len(adminTokenPrefix) + 6
	maxAdminTokens  = 100
	maxTokenName    = 100
	// lastUsedEvery is how stale a token's stored lastUsedAt may get: a
	// token used often is written at most this often, not at every request.
	lastUsedEvery = time.Minute
)

// storedAdminToken is an admin token as the Store keeps it.
type storedAdminToken struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	Hash       string    `json:"hash"` // routex.HashKey of the token
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}

// adminTokenView is an admin token as the API shows it. Token is set only
// in the answer that creates it.
type adminTokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"` // left out: never used
	Token      string     `json:"token,omitempty"`
}

// tokenRefusal is a token adminTokens.create will not make, and the
// status to answer.
type tokenRefusal struct {
	status int
	msg    string
}

func (e *tokenRefusal) Error() string { return e.msg }

// adminTokens checks the admin tokens made in Settings. It holds their
// hashes in memory, reloaded whenever the Store changes, so that checking
// one reads no database; a revoked token is refused from the next request.
// It is safe for concurrent use.
type adminTokens struct {
	store settingStore

	// byHash maps a token's hash to its id; nil until loaded.
	byHash   atomic.Pointer[map[string]string]
	reloadMu sync.Mutex // orders reloads, so the last one read wins
	writeMu  sync.Mutex // serialises read-modify-writes of the setting

	usedMu sync.Mutex
	now    func() time.Time     // tests set it through setClock
	used   map[string]time.Time // by id: last use seen here
	saved  map[string]time.Time // by id: last use written to the Store
}

func newAdminTokens(st settingStore) *adminTokens {
	t := &adminTokens{store: st, now: time.Now, used: map[string]time.Time{}, saved: map[string]time.Time{}}
	// A failed first load is retried by the first check.
	_ = t.reload(context.Background())
	st.Watch(func() { t.reload(context.Background()) })
	return t
}

// setClock makes the tokens read the time from now (for tests).
func (t *adminTokens) setClock(now func() time.Time) {
	t.usedMu.Lock()
	t.now = now
	t.usedMu.Unlock()
}

func (t *adminTokens) clock() time.Time {
	t.usedMu.Lock()
	defer t.usedMu.Unlock()
	return t.now().UTC()
}

// read returns the stored tokens.
func (t *adminTokens) read(ctx context.Context) ([]storedAdminToken, error) {
	v, err := t.store.Setting(ctx, settingAdminTokens)
	if err != nil || v == "" {
		return nil, err
	}
	var list []storedAdminToken
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, fmt.Errorf("setting %s: %w", settingAdminTokens, err)
	}
	return list, nil
}

func (t *adminTokens) reload(ctx context.Context) error {
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	list, err := t.read(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]string, len(list))
	for _, tok := range list {
		m[tok.Hash] = tok.ID
	}
	t.byHash.Store(&m)
	return nil
}

// update applies edit to the stored tokens and stores the result; edit's
// error stops it.
func (t *adminTokens) update(ctx context.Context, edit func([]storedAdminToken) ([]storedAdminToken, error)) error {
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	list, err := t.read(ctx)
	if err != nil {
		return err
	}
	if list, err = edit(list); err != nil {
		return err
	}
	v := ""
	if len(list) > 0 {
		b, err := json.Marshal(list)
		if err != nil {
			return err
		}
		v = string(b)
	}
	if err := t.store.PutSetting(ctx, settingAdminTokens, v); err != nil {
		return err
	}
	// The Store's Watch reloads too; this makes the change certain to be
	// seen by the next request whatever the Store's Watch does.
	return t.reload(ctx)
}

// check reports whether bearer is a live admin token, and notes its use.
func (t *adminTokens) check(ctx context.Context, bearer string) (bool, error) {
	if !strings.HasPrefix(bearer, adminTokenPrefix) {
		return false, nil
	}
	m := t.byHash.Load()
	if m == nil {
		if err := t.reload(ctx); err != nil {
			return false, err
		}
		m = t.byHash.Load()
	}
	// A lookup by the hash of a high-entropy token leaks nothing of it
	// through timing.
	id, ok := (*m)[routex.HashKey(bearer)]
	if !ok {
		return false, nil
	}
	t.noteUse(ctx, id)
	return true, nil
}

// noteUse records a use of token id, writing it to the Store when the
// stored time is more than lastUsedEvery old.
func (t *adminTokens) noteUse(ctx context.Context, id string) {
	t.usedMu.Lock()
	now := t.now().UTC()
	t.used[id] = now
	due := now.Sub(t.saved[id]) >= lastUsedEvery
	if due {
		t.saved[id] = now
	}
	t.usedMu.Unlock()
	if !due {
		return
	}
	// A failed write is not the request's failure: the use is kept here,
	// and written with a later one.
	_ = t.update(ctx, func(list []storedAdminToken) ([]storedAdminToken, error) {
		for i := range list {
			if list[i].ID == id && now.After(list[i].LastUsedAt) {
				list[i].LastUsedAt = now
			}
		}
		return list, nil
	})
}

// list returns the live tokens, oldest first, without their hashes.
func (t *adminTokens) list(ctx context.Context) ([]adminTokenView, error) {
	list, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]adminTokenView, 0, len(list))
	t.usedMu.Lock()
	defer t.usedMu.Unlock()
	for _, tok := range list {
		out = append(out, t.view(tok))
	}
	return out, nil
}

// view shows tok, with the latest use seen here; t.usedMu is held.
func (t *adminTokens) view(tok storedAdminToken) adminTokenView {
	v := adminTokenView{ID: tok.ID, Name: tok.Name, Prefix: tok.Prefix, CreatedAt: tok.CreatedAt}
	last := tok.LastUsedAt
	if u := t.used[tok.ID]; u.After(last) {
		last = u
	}
	if !last.IsZero() {
		v.LastUsedAt = &last
	}
	return v
}

// create makes a token called name; the answer is the only place the
// token is ever shown.
func (t *adminTokens) create(ctx context.Context, name string) (adminTokenView, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return adminTokenView{}, &tokenRefusal{http.StatusBadRequest, "name is required"}
	case utf8.RuneCountInString(name) > maxTokenName:
		return adminTokenView{}, &tokenRefusal{http.StatusBadRequest, fmt.Sprintf("name must be at most %d characters", maxTokenName)}
	}
	token := adminTokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	tok := storedAdminToken{ID: "adm_" + randomToken()[:12], Name: name, Prefix: token[:adminTokenShown],
		Hash: routex.HashKey(token), CreatedAt: t.clock().Truncate(time.Second)}
	err := t.update(ctx, func(list []storedAdminToken) ([]storedAdminToken, error) {
		if len(list) >= maxAdminTokens {
			return nil, &tokenRefusal{http.StatusConflict, fmt.Sprintf("there are already %d admin tokens; revoke one first", maxAdminTokens)}
		}
		if slices.ContainsFunc(list, func(o storedAdminToken) bool { return o.Name == name }) {
			return nil, &tokenRefusal{http.StatusConflict, fmt.Sprintf("an admin token called %q exists; names must be unique", name)}
		}
		return append(list, tok), nil
	})
	if err != nil {
		return adminTokenView{}, err
	}
	v := adminTokenView{ID: tok.ID, Name: tok.Name, Prefix: tok.Prefix, CreatedAt: tok.CreatedAt, Token: token}
	return v, nil
}

// revoke deletes token id; routex.ErrNotFound if there is none.
func (t *adminTokens) revoke(ctx context.Context, id string) error {
	err := t.update(ctx, func(list []storedAdminToken) ([]storedAdminToken, error) {
		i := slices.IndexFunc(list, func(o storedAdminToken) bool { return o.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("admin token %q: %w", id, routex.ErrNotFound)
		}
		return slices.Delete(list, i, i+1), nil
	})
	if err != nil {
		return err
	}
	t.usedMu.Lock()
	delete(t.used, id)
	delete(t.saved, id)
	t.usedMu.Unlock()
	return nil
}

func (s *Server) listAdminTokens(w http.ResponseWriter, r *http.Request) {
	out, err := s.auth.tokens.list(r.Context())
	if err != nil {
		s.storeError(w, "admin tokens", err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createAdminToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	v, err := s.auth.tokens.create(r.Context(), in.Name)
	var refused *tokenRefusal
	switch {
	case errors.As(err, &refused):
		code := "bad_request"
		if refused.status == http.StatusConflict {
			code = "conflict"
		}
		apiError(w, refused.status, code, refused.msg)
	case err != nil:
		s.storeError(w, "admin token", err)
	default:
		writeJSON(w, http.StatusCreated, v)
	}
}

func (s *Server) deleteAdminToken(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.tokens.revoke(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "admin token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
