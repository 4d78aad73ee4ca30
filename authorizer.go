package routex

import (
	"context"
	"fmt"
	"net/http"
)

// Authorizer signs requests for channels that authenticate with something
// other than a fixed API key: an OAuth access token that must be kept fresh,
// say. Channels with OAuth set are authorized through it; *oauth.Manager
// implements it.
//
// Authorize sets the credentials on h, the headers of one upstream attempt
// on the channel. An error skips the channel for that attempt (the request
// fails over) without counting against its breaker.
//
// Two optional capabilities are found by type assertion:
//
//	interface{ Available(channelID string) bool }     // false: leave the channel out of rotation
//	interface{ Invalidate(channelID, credential string) } // the upstream refused this credential (401)
//
// Implementations must be safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, channelID string, h http.Header) error
}

type availability interface{ Available(channelID string) bool }

type invalidator interface {
	Invalidate(channelID, credential string)
}

// WithAuthorizer sets what signs the requests of channels with OAuth set.
func WithAuthorizer(a Authorizer) Option {
	return func(s *settings) error {
		s.authorizer = a
		return nil
	}
}

// authorized reports whether rt can be signed now: always for key
// channels; for OAuth channels, when an Authorizer is set and does not say
// the channel is out of rotation.
func (c *Client) authorized(rt *route) bool {
	if !rt.OAuth {
		return true
	}
	a := c.s.authorizer
	if a == nil {
		return false
	}
	if av, ok := a.(availability); ok {
		return av.Available(rt.ID)
	}
	return true
}

// authorize signs one attempt on an OAuth channel.
func (c *Client) authorize(ctx context.Context, rt *route, h http.Header) error {
	a := c.s.authorizer
	if a == nil {
		return fmt.Errorf("channel %q signs in with OAuth and the Client has no Authorizer (WithAuthorizer)", rt.ID)
	}
	if err := a.Authorize(ctx, rt.ID, h); err != nil {
		return fmt.Errorf("channel %q: signing the request: %w", rt.ID, err)
	}
	return nil
}
