// Package oauth signs routex channels in with OAuth 2.0 instead of an API
// key, and keeps their tokens fresh.
//
// A sign-in is an authorization-code flow with PKCE (S256) and a generated
// state: [Start] begins one for a [Provider], [Flow.URL] is the address the
// user opens, and [Flow.Exchange] trades what they paste back (a bare code,
// "code#state", or the whole callback URL) for a token. [SignIn] runs the
// same flow on a terminal, for servers reached over SSH.
//
// Presets cover Anthropic's two sign-in modes, [AnthropicSubscription]
// (Claude Pro/Max) and [AnthropicConsole], and [Generic] adapts any OAuth 2.0
// provider described by an [oauth2.Config].
//
// A [Manager] keeps the tokens: it reads them from a [TokenStore] once,
// hands out access tokens from memory, refreshes each channel's token shortly
// before it expires with one refresh in flight per channel however many
// requests wait, backs off after a failed refresh, and takes a channel whose
// refresh keeps failing out of rotation until someone signs in again.
//
// Access and refresh tokens, codes and verifiers never appear in the
// Manager's logs, in its [Status] reports or in the errors this package
// returns.
package oauth
