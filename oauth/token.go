package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/routex/routex/internal/secret"
	"golang.org/x/oauth2"
)

// maxTokenResponse bounds how much of a token endpoint's answer is read.
const maxTokenResponse = 1 << 20

// TokenError is a token endpoint's refusal of a code exchange or a refresh.
// Match it with errors.As. Its text carries the endpoint's error code and
// description but never the response body, and known secrets are masked.
type TokenError struct {
	StatusCode  int    // HTTP status of the answer
	Code        string // RFC 6749 error code, such as "invalid_grant"
	Description string // the endpoint's explanation, if any
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("routex/oauth: token endpoint refused the request")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	return b.String()
}

// Permanent reports whether repeating the request cannot succeed because
// the grant or the client itself was rejected: a revoked or already used
// refresh token answers invalid_grant.
func (e *TokenError) Permanent() bool {
	switch e.Code {
	case "invalid_grant", "invalid_client", "unauthorized_client", "unsupported_grant_type":
		return true
	}
	return false
}

// maskedError shows a message with secrets masked while errors.Is and
// errors.As still reach the error it was made from.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// mask returns err with every secret in its text masked, prefixed by what
// was being done.
func mask(err error, doing string, secrets ...string) error {
	if err == nil {
		return nil
	}
	var te *TokenError
	if errors.As(err, &te) {
		te.Description = secret.Scrub(te.Description, secrets...)
		return err
	}
	return &maskedError{msg: "routex/oauth: " + doing + ": " + secret.Scrub(err.Error(), secrets...), err: err}
}

// exchangeCode trades an authorization code for a token.
func (p Provider) exchangeCode(ctx context.Context, hc *http.Client, code, verifier, state string, now time.Time) (Token, error) {
	secrets := []string{code, verifier, state, p.ClientSecret}
	if p.JSONTokenRequests {
		body := map[string]string{
			"grant_type":    "authorization_code",
			"code":          code,
			"state":         state,
			"client_id":     p.ClientID,
			"redirect_uri":  p.RedirectURL,
			"code_verifier": verifier,
			"client_secret": p.ClientSecret,
		}
		t, err := p.postJSON(ctx, hc, body, "", now)
		return t, mask(err, "exchanging the code", secrets...)
	}
	tok, err := p.formConfig().Exchange(p.clientContext(ctx, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Token{}, mask(fromRetrieveError(err), "exchanging the code", secrets...)
	}
	return fromOAuth2(tok, "", now), nil
}

// refresh trades a refresh token for a new token. A provider that does not
// rotate refresh tokens omits one from its answer; the old one is kept.
func (p Provider) refresh(ctx context.Context, hc *http.Client, refreshToken string, now time.Time) (Token, error) {
	secrets := []string{refreshToken, p.ClientSecret}
	if p.JSONTokenRequests {
		// No scope: some endpoints (Anthropic's) refuse a refresh that
		// names one, and the granted scope carries over anyway.
		body := map[string]string{
			"grant_type":    "refresh_token",
			"refresh_token": refreshToken,
			"client_id":     p.ClientID,
			"client_secret": p.ClientSecret,
		}
		t, err := p.postJSON(ctx, hc, body, refreshToken, now)
		return t, mask(err, "refreshing the token", secrets...)
	}
	ts := p.formConfig().TokenSource(p.clientContext(ctx, hc), &oauth2.Token{RefreshToken: refreshToken})
	tok, err := ts.Token()
	if err != nil {
		return Token{}, mask(fromRetrieveError(err), "refreshing the token", secrets...)
	}
	return fromOAuth2(tok, refreshToken, now), nil
}

// formConfig is p's oauth2.Config for form-encoded requests. A public
// client (no secret) sends its id in the body, as RFC 6749 section 2.3
// expects, rather than letting x/oauth2 probe two styles per request.
func (p Provider) formConfig() *oauth2.Config {
	c := p.config()
	if c.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect && p.ClientSecret == "" {
		c.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return c
}

// clientContext carries the HTTP client for x/oauth2, adding TokenHeader
// to its requests.
func (p Provider) clientContext(ctx context.Context, hc *http.Client) context.Context {
	hc = p.tokenClient(hc)
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

func (p Provider) tokenClient(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	if len(p.TokenHeader) == 0 {
		return hc
	}
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = headerTransport{header: p.TokenHeader, base: base}
	return &c
}

type headerTransport struct {
	header http.Header
	base   http.RoundTripper
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return t.base.RoundTrip(req)
}

// postJSON sends a token request as a JSON object; empty fields are left
// out.
func (p Provider) postJSON(ctx context.Context, hc *http.Client, fields map[string]string, oldRefresh string, now time.Time) (Token, error) {
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return Token{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, bytes.NewReader(body))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := p.tokenClient(hc).Do(req)
	if err != nil {
		return Token{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return Token{}, fmt.Errorf("reading the answer: %w", err)
	}
	var tr tokenResponse
	decodeErr := json.Unmarshal(data, &tr)
	if resp.StatusCode < 200 || resp.StatusCode > 299 || tr.errorCode() != "" {
		return Token{}, tr.tokenError(resp.StatusCode)
	}
	if decodeErr != nil {
		return Token{}, fmt.Errorf("decoding the answer: %w", decodeErr)
	}
	if tr.AccessToken == "" {
		return Token{}, errors.New("the answer has no access_token")
	}
	expiresIn, _ := tr.ExpiresIn.Int64()
	return newToken(tr.AccessToken, tr.RefreshToken, tr.TokenType, tr.Scope, oldRefresh, expiresIn, now), nil
}

// newToken builds the token a token endpoint answered at now. A refresh
// that does not rotate the refresh token keeps oldRefresh; expiresIn, in
// seconds, counts from now on the caller's clock (0: unknown).
func newToken(access, refresh, typ, scope, oldRefresh string, expiresIn int64, now time.Time) Token {
	t := Token{AccessToken: access, RefreshToken: refresh, TokenType: typ, Scope: scope, UpdatedAt: now}
	if t.RefreshToken == "" {
		t.RefreshToken = oldRefresh
	}
	if expiresIn > 0 {
		t.Expiry = now.Add(time.Duration(expiresIn) * time.Second)
	}
	return t
}

// tokenResponse is a token endpoint's JSON answer. Errors come either as
// RFC 6749 says ({"error": "invalid_grant", "error_description": ...}) or
// in Anthropic's API shape ({"error": {"type": ..., "message": ...}}).
type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.Number     `json:"expires_in"`
	Scope            string          `json:"scope"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

func (tr *tokenResponse) errorCode() string {
	code, _ := tr.errorDetail()
	return code
}

func (tr *tokenResponse) errorDetail() (code, desc string) {
	if len(tr.Error) == 0 || string(tr.Error) == "null" {
		return "", ""
	}
	if err := json.Unmarshal(tr.Error, &code); err == nil {
		return code, tr.ErrorDescription
	}
	var obj struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(tr.Error, &obj); err == nil {
		return obj.Type, obj.Message
	}
	return "", ""
}

func (tr *tokenResponse) tokenError(status int) *TokenError {
	code, desc := tr.errorDetail()
	return &TokenError{StatusCode: status, Code: code, Description: truncate(desc, 300)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// fromRetrieveError turns x/oauth2's error, whose text includes the
// response body, into a TokenError, which does not.
func fromRetrieveError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	te := &TokenError{Code: re.ErrorCode, Description: truncate(re.ErrorDescription, 300)}
	if te.Code == "" {
		var tr tokenResponse
		if json.Unmarshal(re.Body, &tr) == nil {
			te.Code, te.Description = tr.errorDetail()
			te.Description = truncate(te.Description, 300)
		}
	}
	if re.Response != nil {
		te.StatusCode = re.Response.StatusCode
	}
	return te
}

// fromOAuth2 converts an x/oauth2 token, computing its expiry from
// expires_in with the caller's clock.
func fromOAuth2(tok *oauth2.Token, oldRefresh string, now time.Time) Token {
	secs := tok.ExpiresIn
	if secs == 0 {
		// A form-encoded answer: x/oauth2 reads expires_in on its own clock.
		switch v := tok.Extra("expires_in").(type) {
		case int64:
			secs = v
		case float64:
			secs = int64(v)
		case string:
			secs, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	scope, _ := tok.Extra("scope").(string)
	t := newToken(tok.AccessToken, tok.RefreshToken, tok.TokenType, scope, oldRefresh, secs, now)
	if secs <= 0 && !tok.Expiry.IsZero() {
		t.Expiry = tok.Expiry
	}
	return t
}

// CreateAPIKey mints an API key with an access token from a provider that
// has an APIKeyURL ([AnthropicConsole]), as Claude Code does after a Console
// sign-in. The key is returned, never logged; hc nil means
// http.DefaultClient.
func CreateAPIKey(ctx context.Context, hc *http.Client, p Provider, accessToken string) (string, error) {
	if p.APIKeyURL == "" {
		return "", p.fieldErr("APIKeyURL", "required")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.APIKeyURL, nil)
	if err != nil {
		return "", fmt.Errorf("routex/oauth: creating an API key: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", mask(err, "creating an API key", accessToken)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return "", mask(err, "creating an API key", accessToken)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("routex/oauth: creating an API key: HTTP %d", resp.StatusCode)
	}
	var out struct {
		RawKey string `json:"raw_key"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.RawKey == "" {
		return "", errors.New("routex/oauth: creating an API key: the answer has no raw_key")
	}
	return out.RawKey, nil
}
