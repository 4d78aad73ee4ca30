package oauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Sign-in errors. Match them with errors.Is.
var (
	// ErrStateMismatch means the pasted code carries a state other than the
	// flow's: it belongs to another sign-in, or was forged. The code is not
	// sent anywhere.
	ErrStateMismatch = errors.New("routex/oauth: state mismatch: the code belongs to another sign-in")
	// ErrNoCode means the pasted text holds no authorization code.
	ErrNoCode = errors.New("routex/oauth: no authorization code in the pasted text")
)

// AuthorizeError is the authorization server's refusal, reported on the
// callback URL (error=access_denied when the user declines).
type AuthorizeError struct {
	Code        string
	Description string
}

func (e *AuthorizeError) Error() string {
	s := "routex/oauth: sign-in refused: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Flow is one authorization-code sign-in with PKCE (S256): it holds the code
// verifier and the state it generated, and checks the state of the code it
// is given. A Flow is safe for concurrent use; keep it, in memory, until the
// user pastes the code.
type Flow struct {
	provider Provider
	verifier string
	state    string
	url      string
	now      func() time.Time
}

// Start begins a sign-in with p, generating a fresh code verifier and state.
func Start(p Provider) (*Flow, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.AuthURL == "" {
		return nil, p.fieldErr("AuthURL", "required")
	}
	f := &Flow{
		provider: p,
		verifier: oauth2.GenerateVerifier(),
		state:    rand.Text(),
		now:      time.Now,
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
	for k, vs := range p.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	f.url = p.config().AuthCodeURL(f.state, opts...)
	return f, nil
}

// URL returns the authorization URL for the user to open. It carries the
// state and the S256 challenge of the verifier, never the verifier.
func (f *Flow) URL() string { return f.url }

// State returns the state the flow generated, to match a callback to its
// flow when several are pending.
func (f *Flow) State() string { return f.state }

// Provider returns the provider the flow signs in with.
func (f *Flow) Provider() Provider { return f.provider }

// Exchange trades the code the user pasted for a token. pasted may be the
// bare code, "code#state" (what Anthropic's callback page shows) or the
// whole callback URL with code and state in its query. When it carries a
// state that is not the flow's, Exchange returns ErrStateMismatch without
// contacting the provider. hc nil means http.DefaultClient.
//
// The token's ChannelID is empty: set it, then store the token with
// [Manager.Put].
func (f *Flow) Exchange(ctx context.Context, hc *http.Client, pasted string) (Token, error) {
	code, state, err := ParseCode(pasted)
	if err != nil {
		return Token{}, err
	}
	if state != "" && subtle.ConstantTimeCompare([]byte(state), []byte(f.state)) != 1 {
		return Token{}, ErrStateMismatch
	}
	return f.provider.exchangeCode(ctx, hc, code, f.verifier, f.state, f.now())
}

// ParseCode extracts the authorization code and, if present, the state from
// what a user pasted: a bare code, "code#state", a query string
// ("code=...&state=...") or a callback URL. A callback that reports an error
// returns an *AuthorizeError.
func ParseCode(pasted string) (code, state string, err error) {
	s := strings.Trim(strings.TrimSpace(pasted), `"'`)
	if s == "" {
		return "", "", ErrNoCode
	}
	var q url.Values
	switch {
	case strings.Contains(s, "://") || strings.HasPrefix(s, "/"):
		u, perr := url.Parse(s)
		if perr != nil {
			// The text may be the code itself: do not echo it.
			return "", "", errors.New("routex/oauth: the pasted callback URL does not parse")
		}
		q = u.Query()
		if q.Get("code") == "" && q.Get("error") == "" && u.Fragment != "" {
			q, _ = url.ParseQuery(u.Fragment)
		}
	case strings.HasPrefix(s, "?") || strings.HasPrefix(s, "code=") || strings.Contains(s, "&code="):
		q, _ = url.ParseQuery(strings.TrimPrefix(s, "?"))
	default:
		code, state, _ = strings.Cut(s, "#")
		if code == "" {
			return "", "", ErrNoCode
		}
		return code, state, nil
	}
	if e := q.Get("error"); e != "" {
		return "", "", &AuthorizeError{Code: e, Description: q.Get("error_description")}
	}
	code, state = q.Get("code"), q.Get("state")
	// Some pages append "#state" to the code even inside a URL.
	if c, st, ok := strings.Cut(code, "#"); ok && state == "" {
		code, state = c, st
	}
	if code == "" {
		return "", "", ErrNoCode
	}
	return code, state, nil
}

// SignIn runs a headless sign-in on a terminal, for a server reached over
// SSH: it writes the authorization URL to out, reads the code the user
// pastes from in (one line; blank lines are skipped) and exchanges it. hc
// nil means http.DefaultClient.
//
// If ctx ends while SignIn waits for input, it returns ctx.Err(); the read
// from in is abandoned, not interrupted.
func SignIn(ctx context.Context, p Provider, in io.Reader, out io.Writer, hc *http.Client) (Token, error) {
	f, err := Start(p)
	if err != nil {
		return Token{}, err
	}
	name := p.Name
	if name == "" {
		name = "the provider"
	}
	fmt.Fprintf(out, "Sign in with %s: open this URL in a browser.\n\n%s\n\n", name, f.URL())
	fmt.Fprint(out, "Then paste the code shown (or the whole address you were sent to): ")
	line, err := readLine(ctx, in)
	if err != nil {
		return Token{}, err
	}
	tok, err := f.Exchange(ctx, hc, line)
	if err != nil {
		return Token{}, err
	}
	fmt.Fprintln(out, "Signed in.")
	return tok, nil
}

// readLine returns the first non-blank line of in, giving up when ctx ends.
func readLine(ctx context.Context, in io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				done <- result{line: line}
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		done <- result{err: fmt.Errorf("routex/oauth: reading the pasted code: %w", err)}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
