package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/routex/routex/internal/secret"
)

// TokenStore keeps the OAuth tokens of channels: what a Manager reads and
// writes. storage/memory and storage/sqlite implement it beside
// routex.Store, encrypting the secrets at rest where they can, and
// storage/storetest checks them.
//
// Implementations must be safe for concurrent use, and tell routex.Store's
// watchers of every change, as they do of a channel's.
type TokenStore interface {
	// Tokens returns the tokens, ordered by channel ID, with the access
	// and refresh tokens redacted: the listing for people and APIs.
	Tokens(ctx context.Context) ([]Token, error)
	// RevealToken returns the token of a channel, secrets included, for
	// the code that signs requests and refreshes it; an error wrapping
	// ErrNoToken if there is none.
	RevealToken(ctx context.Context, channelID string) (Token, error)
	// PutToken creates or replaces the token of t.ChannelID.
	PutToken(ctx context.Context, t Token) error
	// DeleteToken removes a channel's token; an error wrapping ErrNoToken
	// if there is none. Deleting a channel from the Store removes its
	// token too.
	DeleteToken(ctx context.Context, channelID string) error
}

// Locker gives a named lock to one holder at a time across the processes
// that share a TokenStore. With one, a token due for refresh is refreshed
// once, by one instance, while the others wait for the lock and then find
// the refreshed token in the store: refresh tokens that rotate are
// single-use, so two refreshes of one token would leave one instance with
// a dead token. storage/redis implements it; storage/sharedtest checks it.
type Locker interface {
	// Lock takes the lock called name, waiting while another holder has
	// it, until ctx ends. The lock lapses after ttl if unlock is not
	// called first (a holder that crashed); unlock after that does
	// nothing.
	Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error)
}

// ErrNoToken is what a TokenStore wraps when a channel has no token.
var ErrNoToken = errors.New("no OAuth token")

// Token is the OAuth token a channel authenticates with instead of an API
// key.
type Token struct {
	ChannelID    string    `json:"channelId"`
	AccessToken  string    `json:"accessToken,omitempty"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	TokenType    string    `json:"tokenType,omitempty"` // "Bearer" when empty
	Expiry       time.Time `json:"expiry,omitzero"`     // zero: does not expire
	Scope        string    `json:"scope,omitempty"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero"`
}

// Redacted returns a copy of the token safe to show.
func (t Token) Redacted() Token {
	t.AccessToken = secret.Redact(t.AccessToken)
	t.RefreshToken = secret.Redact(t.RefreshToken)
	return t
}
