package oauth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/routex/routex/internal/fakeclock"
)

// authServer is an OAuth 2.0 authorization server for tests: it issues
// codes bound to a PKCE challenge, checks the verifier at the token
// endpoint, and rotates refresh tokens.
type authServer struct {
	t    *testing.T
	srv  *httptest.Server
	json bool // token requests must be JSON; otherwise form-encoded

	clientID  string
	expiresIn int

	exchanges atomic.Int32
	refreshes atomic.Int32

	// entered, if set, receives a value when a refresh request arrives;
	// release, if set, is waited on before answering it.
	entered chan struct{}
	release chan struct{}

	mu         sync.Mutex
	codes      map[string]grant
	refreshTok map[string]bool // valid refresh tokens
	issued     []string        // every secret handed out
	gotState   string          // state sent with the last JSON exchange
	// echo makes error descriptions quote the secret received, as a
	// careless server might.
	echo bool
	// failRefresh, if set, answers refresh requests instead.
	failRefresh func(w http.ResponseWriter, refreshToken string)
}

type grant struct {
	challenge, redirect string
}

func newAuthServer(t *testing.T, jsonRequests bool) *authServer {
	t.Helper()
	a := &authServer{
		t:          t,
		json:       jsonRequests,
		clientID:   "test-client",
		expiresIn:  3600,
		codes:      make(map[string]grant),
		refreshTok: make(map[string]bool),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", a.authorize)
	mux.HandleFunc("POST /token", a.token)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authServer) provider() Provider {
	return Provider{
		Name:              "test",
		AuthURL:           a.srv.URL + "/authorize",
		TokenURL:          a.srv.URL + "/token",
		ClientID:          a.clientID,
		RedirectURL:       "https://app.example/callback",
		Scopes:            []string{"user:inference"},
		JSONTokenRequests: a.json,
		Header:            http.Header{"Anthropic-Beta": {AnthropicBeta}},
	}
}

func testSecret(prefix string) string { return prefix + "-" + rand.Text() + rand.Text() }

// issue creates a token pair and records its secrets.
func (a *authServer) issue() (access, refresh string) {
	access, refresh = testSecret("at"), testSecret("rt")
	a.mu.Lock()
	a.refreshTok[refresh] = true
	a.issued = append(a.issued, access, refresh)
	a.mu.Unlock()
	return access, refresh
}

// seed registers a refresh token the test stored itself.
func (a *authServer) seed(refresh string) {
	a.mu.Lock()
	a.refreshTok[refresh] = true
	a.mu.Unlock()
}

func (a *authServer) secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.issued...)
}

func (a *authServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != a.clientID ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	code := testSecret("code")
	a.mu.Lock()
	a.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	a.issued = append(a.issued, code)
	a.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (a *authServer) params(r *http.Request) (map[string]string, error) {
	ct := r.Header.Get("Content-Type")
	out := make(map[string]string)
	if a.json {
		if ct != "application/json" {
			return nil, fmt.Errorf("content type %q, want JSON", ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if ct != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("content type %q, want a form", ct)
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k := range r.PostForm {
		out[k] = r.PostForm.Get(k)
	}
	return out, nil
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (a *authServer) token(w http.ResponseWriter, r *http.Request) {
	p, err := a.params(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if p["client_id"] != a.clientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	switch p["grant_type"] {
	case "authorization_code":
		a.exchanges.Add(1)
		a.mu.Lock()
		g, ok := a.codes[p["code"]]
		delete(a.codes, p["code"])
		a.gotState = p["state"]
		a.mu.Unlock()
		sum := sha256.Sum256([]byte(p["code_verifier"]))
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", a.quote("unknown code", p["code"]))
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			oauthError(w, http.StatusBadRequest, "invalid_grant",
				a.quote("PKCE verification failed", p["code"]+" "+p["code_verifier"]))
			return
		case p["redirect_uri"] != g.redirect:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
			return
		}
	case "refresh_token":
		a.refreshes.Add(1)
		if a.entered != nil {
			a.entered <- struct{}{}
		}
		if a.release != nil {
			<-a.release
		}
		if _, ok := p["scope"]; ok {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "scope on refresh")
			return
		}
		a.mu.Lock()
		fail := a.failRefresh
		ok := a.refreshTok[p["refresh_token"]]
		delete(a.refreshTok, p["refresh_token"]) // single use
		a.mu.Unlock()
		if fail != nil {
			fail(w, p["refresh_token"])
			return
		}
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant",
				a.quote("refresh token not found or invalid", p["refresh_token"]))
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	access, refresh := a.issue()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token":  access,
		"refresh_token": refresh,
		"token_type":    "Bearer",
		"expires_in":    a.expiresIn,
		"scope":         "user:inference",
	})
}

func (a *authServer) quote(desc, got string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.echo {
		return desc + ": " + got
	}
	return desc
}

// code runs the browser's part of a sign-in: it opens the flow's URL and
// returns the callback URL the server redirects to.
func (a *authServer) code(t *testing.T, f *Flow) *url.URL {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// clock is the fake clock of the tests.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.New() }

// logBuffer collects log output from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var _ io.Writer = (*logBuffer)(nil)

func containsAny(s string, secrets []string) (string, bool) {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return sec, true
		}
	}
	return "", false
}
