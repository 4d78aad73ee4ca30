package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/routex/routex"
)

// Settings the server keeps in the Store.
const (
	settingAdminUser = "admin.user"
	settingAdminHash = "admin.passwordHash" // bcrypt
)

// bcryptCost is the work factor of stored password hashes and of the
// dummy hash that unknown names are checked against.
var bcryptCost = bcrypt.DefaultCost

const (
	minPassword   = 8
	sessionCookie = "routex_session"
	sessionTTL    = 12 * time.Hour
	csrfHeader    = "X-CSRF-Token"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// setAdmin stores the administrator's name and a bcrypt hash of the password.
func setAdmin(ctx context.Context, st routex.SettingStore, user, password string) error {
	if err := checkPassword(user, password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return err
	}
	if err := st.PutSetting(ctx, settingAdminHash, string(hash)); err != nil {
		return err
	}
	return st.PutSetting(ctx, settingAdminUser, user)
}

// session is a logged-in administrator.
type session struct {
	id      string
	user    string
	csrf    string
	expires time.Time
}

// auth checks administrators: dashboard sessions by cookie (with a CSRF
// token on every change) and scripts by the configured admin token or one
// made in Settings.
type auth struct {
	store  settingStore
	token  string // admin token; "" disables token auth
	tokens *adminTokens

	mu       sync.Mutex
	sessions map[string]*session // by cookie value

	// hashing admits the password comparisons that may run at once, and
	// hashWaiters counts those waiting for a turn: bcrypt is made to be
	// slow, and a flood of logins must not take the proxy's CPU.
	hashing     chan struct{}
	hashWaiters atomic.Int32
}

// Password comparisons: one at a time (tens of milliseconds of a core at the
// default cost; one administrator needs no more, and a 2-core machine keeps
// a core for the proxy), a few more waiting; beyond that a login is
// answered errBusy.
const (
	maxHashing     = 1
	maxHashWaiters = 4
)

// errBusy is a password check refused because too many are waiting.
var errBusy = errors.New("too many logins at once")

func newAuth(st settingStore, token string) *auth {
	return &auth{store: st, token: token, tokens: newAdminTokens(st), sessions: make(map[string]*session),
		hashing: make(chan struct{}, maxHashing)}
}

// matches reports whether password is the one hashed, comparing when its
// turn comes: it waits for one with ctx, or returns errBusy when too many
// are waiting.
func (a *auth) matches(ctx context.Context, hash, password []byte) (bool, error) {
	select {
	case a.hashing <- struct{}{}:
	default:
		if a.hashWaiters.Add(1) > maxHashWaiters {
			a.hashWaiters.Add(-1)
			return false, errBusy
		}
		select {
		case a.hashing <- struct{}{}:
			a.hashWaiters.Add(-1)
		case <-ctx.Done():
			a.hashWaiters.Add(-1)
			return false, ctx.Err()
		}
	}
	defer func() { <-a.hashing }()
	return bcrypt.CompareHashAndPassword(hash, password) == nil, nil
}

// dummyHash is compared against when the user is unknown, so that a wrong
// name takes as long as a wrong password: it has the cost of real hashes.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("routex-dummy-password"), bcryptCost)
	return h
})

// check reports errUnauthorized unless user and password are the
// administrator's; errBusy or ctx's error when it could not check.
func (a *auth) check(ctx context.Context, user, password string) error {
	wantUser, err := a.store.Setting(ctx, settingAdminUser)
	if err != nil {
		return err
	}
	hash, err := a.store.Setting(ctx, settingAdminHash)
	if err != nil {
		return err
	}
	okUser := wantUser != "" && subtle.ConstantTimeCompare([]byte(user), []byte(wantUser)) == 1
	if !okUser {
		hash = string(dummyHash())
	}
	ok, err := a.matches(ctx, []byte(hash), []byte(password))
	if err != nil {
		return err
	}
	if !ok || !okUser {
		return errUnauthorized
	}
	return nil
}

func (a *auth) open(user string) *session {
	se := &session{user: user, csrf: randomToken(), expires: time.Now().Add(sessionTTL)}
	id := randomToken()
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for k, v := range a.sessions {
		if now.After(v.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = se
	se.id = id
	return se
}

// cookie returns the session cookie for se.
func (se *session) cookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: se.id, Path: "/", HttpOnly: true, Secure: secureRequest(r),
		SameSite: http.SameSiteStrictMode, Expires: se.expires}
}

func (a *auth) logout(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
}

// logoutAll ends every session, as a password change must.
func (a *auth) logoutAll() {
	a.mu.Lock()
	clear(a.sessions)
	a.mu.Unlock()
}

// fromRequest returns the request's live session, or nil.
func (a *auth) fromRequest(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	se := a.sessions[c.Value]
	if se == nil || time.Now().After(se.expires) {
		return nil
	}
	return se
}

// tokenOK reports whether the request carries an admin token.
func (a *auth) tokenOK(r *http.Request) bool {
	ok, _ := a.bearer(r)
	return ok
}

// bearer reports whether the request's Authorization: Bearer is the
// configured admin token or a live one made in Settings; an error when the
// tokens could not be read.
func (a *auth) bearer(r *http.Request) (bool, error) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		return false, nil
	}
	if a.token != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(a.token)) == 1 {
		return true, nil
	}
	return a.tokens.check(r.Context(), bearer)
}

// unauthorizedMsg is the 401 of /api: it says how to get in.
const unauthorizedMsg = "log in, or send an admin token as Authorization: Bearer " +
	"(create one in Settings → Admin tokens, or start the server with -admin-token)"

var errUnauthorized = errors.New("wrong name or password")

// require admits administrators: a valid admin token, or a session cookie
// plus, on a state-changing method, the session's CSRF token.
func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch ok, err := a.bearer(r); {
		case err != nil:
			apiError(w, http.StatusInternalServerError, "internal", "the admin tokens could not be read: the database failed")
			return
		case ok:
			next.ServeHTTP(w, r)
			return
		}
		se := a.fromRequest(r)
		if se == nil {
			apiError(w, http.StatusUnauthorized, "unauthorized", unauthorizedMsg)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(se.csrf)) != 1 {
				apiError(w, http.StatusForbidden, "forbidden", "missing or wrong "+csrfHeader+" header")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// keyring authenticates proxy callers by their API key. It holds the keys
// in memory by hash, reloaded whenever the Store changes, so the request
// path never reads the database.
type keyring struct {
	store  keyStore
	byHash atomic.Pointer[map[string]routex.Key]
	stop   func()
}

func newKeyring(ctx context.Context, st keyStore) (*keyring, error) {
	k := &keyring{store: st}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	k.stop = st.Watch(func() { k.reload(context.Background()) })
	return k, nil
}

func (k *keyring) reload(ctx context.Context) error {
	keys, err := k.store.Keys(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]routex.Key, len(keys))
	for _, key := range keys {
		m[key.Hash] = key
	}
	k.byHash.Store(&m)
	return nil
}

// newKey makes a proxy API key: "rx-" and 32 random bytes in hex.
func newKey() (key string, hint string) {
	key = "rx-" + hex.EncodeToString(randomBytes(32))
	return key, key[:3] + "…" + key[len(key)-4:]
}

// presented returns the key a proxy caller sent, where its SDK sends one:
// x-api-key (Anthropic), Authorization: Bearer (OpenAI), x-goog-api-key
// or the key parameter (Google).
func presented(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return k
	}
	if k := r.Header.Get("X-Goog-Api-Key"); k != "" {
		return k
	}
	if k, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return k
	}
	return r.URL.Query().Get("key")
}

// refuser answers a proxy request in the caller's format.
type refuser func(w http.ResponseWriter, r *http.Request, status int, code, msg string)

// require admits proxy callers with an enabled key, hands the key's model
// allowlist to the Client, and attributes the request to the key. It reads
// no body: the Client applies the allowlist to the model it routes by
// (routex.ContextWithModelFilter), pass-through endpoints included.
func (k *keyring) require(next http.Handler, refuse refuser) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := presented(r)
		key, ok := (*k.byHash.Load())[routex.HashKey(sent)]
		if sent == "" || !ok || key.Disabled {
			refuse(w, r, http.StatusUnauthorized, "authentication_error", "invalid proxy API key: create one in the routex dashboard and send it as x-api-key, Authorization: Bearer or x-goog-api-key")
			return
		}
		ctx := routex.ContextWithKeyID(r.Context(), key.ID)
		if len(key.Models) > 0 {
			// The Client checks the model it routes by, read once from the
			// body: a second reading here could disagree with it.
			ctx = routex.ContextWithModelFilter(ctx, key.Allows)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// secureRequest reports whether the browser reached the server over TLS,
// directly or through a proxy that says so. Trusting the header can only
// make the cookie stricter.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
