package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/memory"
)

func ExampleAnthropicSubscription() {
	p := oauth.AnthropicSubscription()
	fmt.Println(p.AuthURL)
	fmt.Println(p.TokenURL)
	fmt.Println(p.RedirectURL)
	fmt.Println(p.Scopes)

	// Requests made with its tokens carry them as Bearer tokens, with the
	// OAuth beta flag and without an API key.
	h := http.Header{"X-Api-Key": {"sk-ant-..."}}
	p.Authorize(h, "sk-ant-oat01-...")
	fmt.Println(h.Get("Authorization"), h.Get("Anthropic-Beta"), h.Get("X-Api-Key") == "")
	// Output:
	// https://claude.com/cai/oauth/authorize
	// https://platform.claude.com/v1/oauth/token
	// https://platform.claude.com/oauth/code/callback
	// [org:create_api_key user:profile user:inference]
	// Bearer sk-ant-oat01-... oauth-2025-04-20 true
}

func ExampleStart() {
	p := oauth.Generic("example", oauth2.Config{
		ClientID:    "my-client",
		Endpoint:    oauth2.Endpoint{AuthURL: "https://auth.example/authorize", TokenURL: "https://auth.example/token"},
		RedirectURL: "https://app.example/callback",
		Scopes:      []string{"read"},
	})
	flow, err := oauth.Start(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse(flow.URL())
	q := u.Query()
	fmt.Println(q.Get("response_type"), q.Get("client_id"), q.Get("scope"), q.Get("code_challenge_method"))
	fmt.Println(q.Get("state") == flow.State())

	// The user pastes back what the callback showed; a state from another
	// sign-in is refused before anything is sent.
	_, err = flow.Exchange(context.Background(), nil, "the-code#not-this-flows-state")
	fmt.Println(errors.Is(err, oauth.ErrStateMismatch))
	// Output:
	// code my-client read S256
	// true
	// true
}

func ExampleSignIn() {
	// On a server reached over SSH: print the URL, read the pasted code.
	// A real program passes os.Stdin; this one pastes nothing.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := oauth.SignIn(ctx, oauth.AnthropicSubscription(), eofReader{}, io.Discard, nil)
	fmt.Println(err)
	// Output:
	// routex/oauth: reading the pasted code: unexpected EOF
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func ExampleManager() {
	// A token endpoint that hands out a new token on every refresh.
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-%d","refresh_token":"refresh-%d","expires_in":3600}`, n, n)
	}))
	defer srv.Close()

	provider := oauth.AnthropicSubscription()
	provider.TokenURL = srv.URL

	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	store := memory.New()
	m, err := oauth.NewManager(store, oauth.Fixed(provider), oauth.Settings{
		Now: func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// After a sign-in, store the token for the channel.
	ctx := context.Background()
	m.Put(ctx, oauth.Token{
		ChannelID:    "claude-max",
		AccessToken:  "access-0",
		RefreshToken: "refresh-0",
		Expiry:       now.Add(time.Hour),
	})

	tok, _ := m.AccessToken(ctx, "claude-max")
	fmt.Println(tok)

	now = now.Add(56 * time.Minute) // within RefreshBefore of the expiry
	tok, _ = m.AccessToken(ctx, "claude-max")
	fmt.Println(tok)

	st := m.Status("claude-max")
	fmt.Println(st.State, st.Expiry.Sub(now))
	// Output:
	// access-0
	// access-1
	// ok 1h0m0s
}
