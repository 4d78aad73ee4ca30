package oauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestFlowChallengeIsS256OfVerifier(t *testing.T) {
	p := newAuthServer(t, true).provider()
	f, err := Start(p)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sum := sha256.Sum256([]byte(f.verifier))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); q.Get("code_challenge") != want {
		t.Errorf("code_challenge = %q, want S256(verifier) %q", q.Get("code_challenge"), want)
	}
	if q.Get("code_challenge_method") != "S256" {
		t.Errorf("code_challenge_method = %q", q.Get("code_challenge_method"))
	}
	if strings.Contains(f.URL(), f.verifier) {
		t.Error("the URL carries the verifier")
	}
	if q.Get("state") != f.State() || f.State() == "" || f.State() == f.verifier {
		t.Errorf("state = %q, flow state %q", q.Get("state"), f.State())
	}
	for k, want := range map[string]string{
		"response_type": "code",
		"client_id":     p.ClientID,
		"redirect_uri":  p.RedirectURL,
		"scope":         "user:inference",
	} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}

	g, err := Start(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.State() == f.State() || g.verifier == f.verifier {
		t.Error("two flows share a state or a verifier")
	}
}

func TestFlowExchange(t *testing.T) {
	pastes := map[string]func(cb *url.URL) string{
		"callback URL": func(cb *url.URL) string { return cb.String() },
		"code#state":   func(cb *url.URL) string { return cb.Query().Get("code") + "#" + cb.Query().Get("state") },
		"bare code":    func(cb *url.URL) string { return "  " + cb.Query().Get("code") + "\n" },
		"query string": func(cb *url.URL) string { return "?" + cb.RawQuery },
	}
	for _, jsonRequests := range []bool{true, false} {
		for name, paste := range pastes {
			mode := "form"
			if jsonRequests {
				mode = "json"
			}
			t.Run(mode+"/"+name, func(t *testing.T) {
				a := newAuthServer(t, jsonRequests)
				f, err := Start(a.provider())
				if err != nil {
					t.Fatal(err)
				}
				before := time.Now()
				tok, err := f.Exchange(t.Context(), nil, paste(a.code(t, f)))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(tok.AccessToken, "at-") || !strings.HasPrefix(tok.RefreshToken, "rt-") {
					t.Errorf("token = %+v", tok.Redacted())
				}
				if tok.TokenType != "Bearer" || tok.Scope != "user:inference" {
					t.Errorf("type %q scope %q", tok.TokenType, tok.Scope)
				}
				if d := tok.Expiry.Sub(before); d < 59*time.Minute || d > 61*time.Minute {
					t.Errorf("expiry in %v, want about 1h", d)
				}
				if jsonRequests && a.gotState != f.State() {
					t.Errorf("JSON exchange sent state %q, want %q", a.gotState, f.State())
				}
				if a.exchanges.Load() != 1 {
					t.Errorf("%d exchanges", a.exchanges.Load())
				}
			})
		}
	}
}

func TestFlowExchangeWrongVerifierRefused(t *testing.T) {
	a := newAuthServer(t, true)
	f, _ := Start(a.provider())
	g, _ := Start(a.provider())
	cb := a.code(t, f)
	// g has its own verifier: the server's PKCE check must refuse it. The
	// bare code skips g's state check, so the request is sent.
	_, err := g.Exchange(t.Context(), nil, cb.Query().Get("code"))
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || !te.Permanent() {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestFlowStateMismatchRefused(t *testing.T) {
	a := newAuthServer(t, true)
	f, _ := Start(a.provider())
	cb := a.code(t, f)
	code := cb.Query().Get("code")
	forged := *cb
	forged.RawQuery = url.Values{"code": {code}, "state": {"forged"}}.Encode()
	for name, pasted := range map[string]string{
		"code#state":   code + "#forged",
		"callback URL": forged.String(),
		"other flow":   code + "#" + func() string { g, _ := Start(a.provider()); return g.State() }(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Exchange(t.Context(), nil, pasted)
			if !errors.Is(err, ErrStateMismatch) {
				t.Fatalf("err = %v, want ErrStateMismatch", err)
			}
		})
	}
	if n := a.exchanges.Load(); n != 0 {
		t.Errorf("the token endpoint was called %d times", n)
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		in          string
		code, state string
		err         error
	}{
		{in: "abc", code: "abc"},
		{in: "abc#xyz", code: "abc", state: "xyz"},
		{in: "  'abc#xyz'\n", code: "abc", state: "xyz"},
		{in: `"abc"`, code: "abc"},
		{in: "https://platform.claude.com/oauth/code/callback?code=abc&state=xyz", code: "abc", state: "xyz"},
		{in: "http://localhost:5000/cb?state=xyz&code=abc", code: "abc", state: "xyz"},
		{in: "https://app.example/cb#code=abc&state=xyz", code: "abc", state: "xyz"},
		{in: "https://app.example/cb?code=abc%23xyz", code: "abc", state: "xyz"},
		{in: "/cb?code=abc", code: "abc"},
		{in: "?code=abc&state=xyz", code: "abc", state: "xyz"},
		{in: "code=abc&state=xyz", code: "abc", state: "xyz"},
		{in: "", err: ErrNoCode},
		{in: " \n", err: ErrNoCode},
		{in: "#xyz", err: ErrNoCode},
		{in: "https://app.example/cb?state=xyz", err: ErrNoCode},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			code, state, err := ParseCode(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if code != tt.code || state != tt.state {
				t.Errorf("got (%q, %q), want (%q, %q)", code, state, tt.code, tt.state)
			}
		})
	}

	_, _, err := ParseCode("https://app.example/cb?error=access_denied&error_description=The+user+declined&state=xyz")
	var ae *AuthorizeError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "The user declined" {
		t.Errorf("err = %v, want an AuthorizeError", err)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"abc#xyz", "code=#", "https://x/cb?code=a&state=b", "?code=a", "code=a&state=b", "'a'", "/cb#code=a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, _, err := ParseCode(s)
		if err == nil && code == "" {
			t.Errorf("ParseCode(%q) returned no code and no error", s)
		}
		if err != nil && len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Errorf("the error echoes the pasted text: %v", err)
		}
	})
}

// pasteReader answers the prompt SignIn wrote to out by running the
// browser's part of the flow against the test server.
type pasteReader struct {
	t    *testing.T
	a    *authServer
	out  *bytes.Buffer
	line *strings.Reader
}

func (r *pasteReader) Read(p []byte) (int, error) {
	if r.line == nil {
		var authURL string
		for l := range strings.Lines(r.out.String()) {
			if strings.HasPrefix(l, "http") {
				authURL = strings.TrimSpace(l)
			}
		}
		if authURL == "" {
			r.t.Error("SignIn printed no URL")
			return 0, io.EOF
		}
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(authURL)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		cb, _ := url.Parse(resp.Header.Get("Location"))
		r.line = strings.NewReader("\n\n" + cb.Query().Get("code") + "#" + cb.Query().Get("state") + "\n")
	}
	return r.line.Read(p)
}

func TestSignIn(t *testing.T) {
	a := newAuthServer(t, true)
	var out bytes.Buffer
	in := &pasteReader{t: t, a: a, out: &out}
	tok, err := SignIn(t.Context(), a.provider(), in, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("token = %+v", tok.Redacted())
	}
	if !strings.Contains(out.String(), "/authorize?") || !strings.Contains(out.String(), "paste") {
		t.Errorf("out = %q", out.String())
	}
}

func TestSignInEndsWithContext(t *testing.T) {
	a := newAuthServer(t, true)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := SignIn(ctx, a.provider(), pr, io.Discard, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestSignInEOF(t *testing.T) {
	a := newAuthServer(t, true)
	_, err := SignIn(t.Context(), a.provider(), strings.NewReader("\n  \n"), io.Discard, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestStartValidates(t *testing.T) {
	tests := map[string]struct {
		p     Provider
		field string
	}{
		"no token URL": {Provider{AuthURL: "https://a/auth", ClientID: "c"}, "TokenURL"},
		"bad token URL": {Provider{AuthURL: "https://a/auth", TokenURL: "ftp://a", ClientID: "c"},
			"TokenURL"},
		"no client":   {Provider{AuthURL: "https://a/auth", TokenURL: "https://a/token"}, "ClientID"},
		"no auth URL": {Provider{TokenURL: "https://a/token", ClientID: "c"}, "AuthURL"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Start(tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want one naming %s", err, tt.field)
			}
		})
	}
	for _, p := range []Provider{AnthropicSubscription(), AnthropicConsole()} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}

func TestAnthropicPresets(t *testing.T) {
	sub, con := AnthropicSubscription(), AnthropicConsole()
	for _, p := range []Provider{sub, con} {
		if p.ClientID != AnthropicClientID || !p.JSONTokenRequests || p.ClientSecret != "" {
			t.Errorf("%s: %+v", p.Name, p)
		}
		if p.Header.Get("Anthropic-Beta") != "oauth-2025-04-20" {
			t.Errorf("%s: anthropic-beta = %q", p.Name, p.Header.Get("Anthropic-Beta"))
		}
		f, err := Start(p)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(f.URL())
		if u.Query().Get("code") != "true" || u.Query().Get("redirect_uri") != p.RedirectURL {
			t.Errorf("%s: URL %s", p.Name, f.URL())
		}
	}
	if sub.AuthURL == con.AuthURL || sub.TokenURL != con.TokenURL {
		t.Error("the two modes should differ by authorize endpoint only")
	}
	if con.APIKeyURL == "" || sub.APIKeyURL != "" {
		t.Error("only the Console mode mints API keys")
	}
	sub.Header.Set("Anthropic-Beta", "changed")
	if AnthropicSubscription().Header.Get("Anthropic-Beta") != AnthropicBeta {
		t.Error("presets share their Header")
	}
}

func TestGeneric(t *testing.T) {
	p := Generic("gh", oauth2.Config{
		ClientID:     "id",
		ClientSecret: "secret",
		Endpoint: oauth2.Endpoint{
			AuthURL:   "https://example.com/auth",
			TokenURL:  "https://example.com/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RedirectURL: "https://app.example/cb",
		Scopes:      []string{"a", "b"},
	})
	want := Provider{
		Name: "gh", AuthURL: "https://example.com/auth", TokenURL: "https://example.com/token",
		ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb",
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	if p.Name != want.Name || p.AuthURL != want.AuthURL || p.TokenURL != want.TokenURL ||
		p.ClientID != want.ClientID || p.ClientSecret != want.ClientSecret ||
		p.RedirectURL != want.RedirectURL || p.AuthStyle != want.AuthStyle ||
		strings.Join(p.Scopes, " ") != "a b" || p.JSONTokenRequests {
		t.Errorf("Generic = %+v", p)
	}
}

func TestGenericWithClientSecret(t *testing.T) {
	// A confidential client against an x/oauth2-style form endpoint that
	// wants HTTP Basic credentials.
	var gotUser, gotPass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, _ = r.BasicAuth()
		if r.Header.Get("User-Agent") != "routex-test" {
			http.Error(w, "no user agent", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		io.WriteString(w, "access_token=new-access&token_type=bearer&expires_in=60")
	}))
	defer srv.Close()
	p := Generic("form", oauth2.Config{
		ClientID: "id", ClientSecret: "shh-secret",
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader},
	})
	p.TokenHeader = http.Header{"User-Agent": {"routex-test"}}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, err := p.refresh(t.Context(), nil, "old-refresh", now)
	if err != nil {
		t.Fatal(err)
	}
	if gotUser != "id" || gotPass != "shh-secret" {
		t.Errorf("basic auth %q:%q", gotUser, gotPass)
	}
	if tok.AccessToken != "new-access" || tok.RefreshToken != "old-refresh" || !tok.Expiry.Equal(now.Add(time.Minute)) {
		t.Errorf("token = %+v", tok)
	}
}

func TestProviderAuthorize(t *testing.T) {
	p := AnthropicSubscription()
	tests := []struct {
		name string
		in   http.Header
		beta string
	}{
		{"none", http.Header{}, "oauth-2025-04-20"},
		{"others", http.Header{"Anthropic-Beta": {"a-1, b-2"}}, "a-1,b-2,oauth-2025-04-20"},
		{"present", http.Header{"Anthropic-Beta": {"oauth-2025-04-20"}}, "oauth-2025-04-20"},
		{"two lines", http.Header{"Anthropic-Beta": {"a-1", "oauth-2025-04-20"}}, "a-1,oauth-2025-04-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.in.Clone()
			h.Set("X-Api-Key", "sk-old")
			p.Authorize(h, "tok")
			if h.Get("Authorization") != "Bearer tok" || h.Get("X-Api-Key") != "" {
				t.Errorf("headers = %v", h)
			}
			if got := strings.Join(h.Values("Anthropic-Beta"), ","); got != tt.beta {
				t.Errorf("anthropic-beta = %q, want %q", got, tt.beta)
			}
		})
	}
}

func TestCreateAPIKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer at-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"raw_key":"sk-ant-api03-xyz"}`)
	}))
	defer srv.Close()
	p := AnthropicConsole()
	p.APIKeyURL = srv.URL
	key, err := CreateAPIKey(t.Context(), nil, p, "at-123")
	if err != nil || key != "sk-ant-api03-xyz" {
		t.Fatalf("CreateAPIKey = %q, %v", key, err)
	}
	if _, err := CreateAPIKey(t.Context(), nil, p, "at-wrong"); err == nil || strings.Contains(err.Error(), "at-wrong") {
		t.Fatalf("err = %v", err)
	}
	if _, err := CreateAPIKey(t.Context(), nil, AnthropicSubscription(), "at-123"); err == nil {
		t.Fatal("no error without APIKeyURL")
	}
}
