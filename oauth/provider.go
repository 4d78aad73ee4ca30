package oauth

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// Facts about Anthropic's OAuth sign-in, as used by Claude Code.
const (
	// AnthropicClientID is the public OAuth client of Claude Code. It has no
	// secret: PKCE protects the exchange.
	AnthropicClientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
	// AnthropicBeta is the anthropic-beta value that API requests
	// authenticated with an OAuth access token must carry.
	AnthropicBeta = "oauth-2025-04-20"
)

// Provider describes an OAuth 2.0 authorization server and this program's
// client registration with it. The zero value is not usable: start from a
// preset ([AnthropicSubscription], [AnthropicConsole]) or from [Generic].
//
// A Provider is a value; the presets return a fresh copy on each call, so
// changing one (its Scopes, its Header) does not affect others.
type Provider struct {
	// Name identifies the provider in statuses and logs.
	Name string
	// AuthURL is the authorization endpoint the user's browser opens.
	AuthURL string
	// TokenURL is the token endpoint that exchanges codes and refreshes
	// tokens.
	TokenURL string
	// ClientID is the OAuth client id.
	ClientID string
	// ClientSecret is the client secret; empty for public clients, which
	// rely on PKCE alone.
	ClientSecret string
	// RedirectURL is where the provider sends the browser after sign-in.
	// For a headless sign-in it is a page that shows the code to paste.
	RedirectURL string
	// Scopes are the scopes asked for.
	Scopes []string
	// AuthParams are extra query parameters of the authorization URL.
	AuthParams url.Values
	// AuthStyle says how the client id and secret reach a form-encoded
	// token endpoint; the zero value detects it. It is ignored when
	// JSONTokenRequests is set, which always sends them in the body.
	AuthStyle oauth2.AuthStyle
	// JSONTokenRequests makes token requests send a JSON object instead of
	// an application/x-www-form-urlencoded form, for endpoints that want
	// one. The code exchange then also carries the state.
	JSONTokenRequests bool
	// TokenHeader holds headers added to every request to the token
	// endpoint, such as a User-Agent the endpoint expects.
	TokenHeader http.Header
	// Header holds headers that API requests authenticated with this
	// provider's tokens need, such as anthropic-beta. [Provider.Authorize]
	// merges them into a request.
	Header http.Header
	// APIKeyURL, if set, is an endpoint that mints an API key from an
	// access token; see [CreateAPIKey].
	APIKeyURL string
}

// Default Anthropic endpoints. Anthropic moved its OAuth endpoints from
// console.anthropic.com to platform.claude.com; the old token endpoint no
// longer answers.
const (
	anthropicSubscriptionAuthURL = "https://claude.com/cai/oauth/authorize"
	anthropicConsoleAuthURL      = "https://platform.claude.com/oauth/authorize"
	anthropicTokenURL            = "https://platform.claude.com/v1/oauth/token"
	anthropicRedirectURL         = "https://platform.claude.com/oauth/code/callback"
	anthropicAPIKeyURL           = "https://api.anthropic.com/api/oauth/claude_cli/create_api_key"
)

func anthropic(name, authURL string) Provider {
	return Provider{
		Name:        name,
		AuthURL:     authURL,
		TokenURL:    anthropicTokenURL,
		ClientID:    AnthropicClientID,
		RedirectURL: anthropicRedirectURL,
		Scopes:      []string{"org:create_api_key", "user:profile", "user:inference"},
		// code=true makes the callback page show "code#state" to paste.
		AuthParams:        url.Values{"code": {"true"}},
		JSONTokenRequests: true,
		Header:            http.Header{"Anthropic-Beta": {AnthropicBeta}},
	}
}

// AnthropicSubscription returns the provider for signing in with a Claude
// Pro or Max subscription (claude.ai). Its access tokens call the Messages
// API directly: send them as a Bearer token, without x-api-key, together
// with the anthropic-beta header in Header ([Provider.Authorize] does both).
//
// The callback page shows "code#state", which [Flow.Exchange] accepts.
func AnthropicSubscription() Provider {
	return anthropic("anthropic-subscription", anthropicSubscriptionAuthURL)
}

// AnthropicConsole returns the provider for signing in with an Anthropic
// Console (API billing) account. Claude Code uses such a sign-in to mint an
// API key, which [CreateAPIKey] does; the key then authenticates the
// channel like any other.
func AnthropicConsole() Provider {
	p := anthropic("anthropic-console", anthropicConsoleAuthURL)
	p.APIKeyURL = anthropicAPIKeyURL
	return p
}

// Generic returns a provider for any OAuth 2.0 server described by c, such
// as one built from an endpoint in golang.org/x/oauth2/... packages. Token
// requests are form-encoded, as RFC 6749 specifies.
func Generic(name string, c oauth2.Config) Provider {
	return Provider{
		Name:         name,
		AuthURL:      c.Endpoint.AuthURL,
		TokenURL:     c.Endpoint.TokenURL,
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  c.RedirectURL,
		Scopes:       slices.Clone(c.Scopes),
		AuthStyle:    c.Endpoint.AuthStyle,
	}
}

// Validate reports what is missing from p: a token endpoint and a client id
// always, an authorization endpoint for a sign-in.
func (p Provider) Validate() error {
	var errs []error
	if p.TokenURL == "" {
		errs = append(errs, p.fieldErr("TokenURL", "required"))
	} else if err := checkURL(p.TokenURL); err != nil {
		errs = append(errs, p.fieldErr("TokenURL", err.Error()))
	}
	if p.AuthURL != "" {
		if err := checkURL(p.AuthURL); err != nil {
			errs = append(errs, p.fieldErr("AuthURL", err.Error()))
		}
	}
	if p.ClientID == "" {
		errs = append(errs, p.fieldErr("ClientID", "required"))
	}
	return errors.Join(errs...)
}

func (p Provider) fieldErr(field, msg string) error {
	return fmt.Errorf("routex/oauth: provider %q: %s: %s", p.Name, field, msg)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return errors.New("not an http(s) URL")
	}
	return nil
}

// Authorize sets accessToken as h's Bearer credential, removes any API key
// header (X-Api-Key) and merges p.Header into h: for a header h already
// has, the provider's values are appended to its comma-separated list unless
// present, so a request's own anthropic-beta features are kept.
func (p Provider) Authorize(h http.Header, accessToken string) {
	h.Del("X-Api-Key")
	h.Set("Authorization", "Bearer "+accessToken)
	for name, values := range p.Header {
		mergeList(h, name, values)
	}
}

func mergeList(h http.Header, name string, add []string) {
	var items []string
	for _, v := range h.Values(name) {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
	}
	changed := false
	for _, v := range add {
		if v != "" && !slices.Contains(items, v) {
			items = append(items, v)
			changed = true
		}
	}
	if changed {
		h.Set(name, strings.Join(items, ","))
	}
}

// config returns p as an x/oauth2 Config.
func (p Provider) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.AuthURL,
			TokenURL:  p.TokenURL,
			AuthStyle: p.AuthStyle,
		},
		RedirectURL: p.RedirectURL,
		Scopes:      slices.Clone(p.Scopes),
	}
}

// ProviderFunc returns the provider that issued a channel's token; ok is
// false when the channel has none. A [Manager] calls it before each refresh,
// so it may follow configuration changes.
type ProviderFunc func(channelID string) (p Provider, ok bool)

// Fixed returns a ProviderFunc that answers p for every channel.
func Fixed(p Provider) ProviderFunc {
	return func(string) (Provider, bool) { return p, true }
}

// ByChannel returns a ProviderFunc that looks channels up in m, which it
// copies.
func ByChannel(m map[string]Provider) ProviderFunc {
	m = maps.Clone(m)
	return func(id string) (Provider, bool) {
		p, ok := m[id]
		return p, ok
	}
}
