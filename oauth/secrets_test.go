package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSecretsNeverShown drives sign-ins and refreshes through successes
// and every kind of failure against a server that quotes the secrets it
// receives, then checks that no token, code or verifier appears in the
// errors returned, the logs or the statuses.
func TestSecretsNeverShown(t *testing.T) {
	for _, jsonRequests := range []bool{true, false} {
		t.Run(map[bool]string{true: "json", false: "form"}[jsonRequests], func(t *testing.T) {
			testSecretsNeverShown(t, jsonRequests)
		})
	}
}

func testSecretsNeverShown(t *testing.T, jsonRequests bool) {
	f := newFixture(t, jsonRequests, -time.Minute, Settings{MaxFailures: 100, MinBackoff: time.Second})
	f.a.echo = true
	ctx := t.Context()
	var shown []string
	var verifiers []string
	record := func(err error) {
		if err != nil {
			shown = append(shown, err.Error())
		}
	}

	// A sign-in, then the same code again (refused), a forged state, and a
	// code exchanged by a flow with another verifier.
	flow, _ := Start(f.a.provider())
	other, _ := Start(f.a.provider())
	verifiers = append(verifiers, flow.verifier, other.verifier)
	cb := f.a.code(t, flow)
	code := cb.Query().Get("code")
	tok, err := flow.Exchange(ctx, nil, cb.String())
	if err != nil {
		t.Fatal(err)
	}
	_, err = flow.Exchange(ctx, nil, cb.String())
	record(err)
	_, err = flow.Exchange(ctx, nil, code+"#forged-state")
	record(err)
	cb2 := f.a.code(t, flow)
	_, err = other.Exchange(ctx, nil, cb2.Query().Get("code"))
	record(err)
	_, err = flow.Exchange(ctx, nil, "https://x/cb?error=access_denied&error_description=declined")
	record(err)

	tok.ChannelID = "signed-in"
	record(f.m.Put(ctx, tok))

	// Refreshes: one that works, then failures of every shape.
	_, err = f.m.AccessToken(ctx, "ch")
	record(err)
	failures := []func(w http.ResponseWriter, refreshToken string){
		func(w http.ResponseWriter, rt string) { // RFC 6749 error quoting the token
			oauthError(w, http.StatusBadRequest, "server_error", "cannot refresh "+rt)
		},
		func(w http.ResponseWriter, rt string) { // Anthropic's error shape
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			json.NewEncoder(w).Encode(map[string]any{"type": "error",
				"error": map[string]string{"type": "rate_limit_error", "message": "slow down " + rt}})
		},
		func(w http.ResponseWriter, rt string) { // a plain-text 502 quoting it
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "upstream failed for refresh_token="+rt)
		},
		func(w http.ResponseWriter, rt string) { // a 200 that is not JSON
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{"+rt)
		},
		func(w http.ResponseWriter, rt string) { // a 200 without an access token
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"refresh_token":"`+rt+`"}`)
		},
	}
	for _, fail := range failures {
		f.a.mu.Lock()
		f.a.failRefresh = fail
		f.a.mu.Unlock()
		f.m.Invalidate("ch", mustToken(t, f))
		f.clk.Advance(time.Hour)
		_, err = f.m.AccessToken(ctx, "ch")
		if err == nil {
			t.Fatal("a failing refresh succeeded")
		}
		record(err)
		_, err = f.m.AccessToken(ctx, "ch") // during the back-off
		record(err)
	}
	f.a.mu.Lock()
	f.a.failRefresh = nil
	f.a.mu.Unlock()
	// A refresh token the server does not know (revoked), quoted back.
	revoked := Token{ChannelID: "revoked", AccessToken: testSecret("at"), RefreshToken: testSecret("rt"),
		Expiry: f.clk.Now().Add(-time.Minute)}
	record(f.m.Put(ctx, revoked))
	_, err = f.m.AccessToken(ctx, "revoked")
	record(err)

	// An unreachable token endpoint.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := f.a.provider()
	p.TokenURL = dead.URL + "/token"
	_, err = p.refresh(ctx, nil, revoked.RefreshToken, f.clk.Now())
	record(err)
	deadFlow, _ := Start(p)
	verifiers = append(verifiers, deadFlow.verifier)
	_, err = deadFlow.Exchange(ctx, nil, code)
	record(err)

	if len(shown) < 12 {
		t.Fatalf("only %d errors recorded", len(shown))
	}
	statuses, _ := json.Marshal(f.m.Statuses())
	secrets := append(f.a.secrets(), verifiers...)
	secrets = append(secrets, revoked.AccessToken, revoked.RefreshToken)
	for _, s := range shown {
		if sec, ok := containsAny(s, secrets); ok {
			t.Errorf("an error shows a secret (%s...): %s", sec[:3], s)
		}
	}
	if sec, ok := containsAny(f.logs.String(), secrets); ok {
		t.Errorf("the logs show a secret (%s...):\n%s", sec[:3], f.logs.String())
	}
	if sec, ok := containsAny(string(statuses), secrets); ok {
		t.Errorf("the statuses show a secret (%s...): %s", sec[:3], statuses)
	}
	// The failures are still explained.
	all := strings.Join(shown, "\n")
	for _, want := range []string{"server_error", "rate_limit_error", "HTTP 502", "access_token", "state mismatch", "access_denied"} {
		if !strings.Contains(all, want) {
			t.Errorf("no error mentions %q:\n%s", want, all)
		}
	}
	if !strings.Contains(f.logs.String(), "token refreshed") || !strings.Contains(f.logs.String(), "backing off") {
		t.Errorf("logs lack refresh events:\n%s", f.logs.String())
	}
}

// mustToken returns the channel's current access token from the Store.
func mustToken(t *testing.T, f *fixture) string {
	t.Helper()
	tok, err := f.store.RevealToken(t.Context(), "ch")
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
