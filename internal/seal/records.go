package seal

import (
	"encoding/json"
	"fmt"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/transformer"
)

// The stores keep channels and tokens as JSON, secrets sealed: these are
// that JSON, written once for both.

// storedChannel is a channel as a store holds it: the JSON of
// routex.Channel, with secrets sealed and transformer options kept as the
// exact bytes given (encoding/json would otherwise compact them).
type storedChannel struct {
	routex.Channel
	// Shadows Channel.Transformers in both directions.
	Transformers []storedSpec `json:"transformers,omitempty"`
}

type storedSpec struct {
	Name    string `json:"name"`
	Options string `json:"options,omitempty"`
}

// The fields a token's secrets are sealed under.
const (
	accessField  = "token access"
	refreshField = "token refresh"
)

// EncodeChannel returns c as a store keeps it.
func (s *Sealer) EncodeChannel(c routex.Channel) ([]byte, error) {
	sc := storedChannel{Channel: c}
	sc.Channel.Transformers = nil
	sc.APIKey = s.Seal(c.APIKey, c.ID, "apiKey")
	if c.Headers != nil {
		// Every header value is sealed, not just the ones routex redacts:
		// a provider's key header ("X-Goog-Api-Key", say) need not look
		// like a secret.
		sc.Headers = make(map[string]string, len(c.Headers))
		for k, v := range c.Headers {
			sc.Headers[k] = s.Seal(v, c.ID, "header "+k)
		}
	}
	for _, t := range c.Transformers {
		sc.Transformers = append(sc.Transformers, storedSpec{Name: t.Name, Options: string(t.Options)})
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("%s: channel %q: %w", s.store, c.ID, err)
	}
	return b, nil
}

// DecodeChannel reads channel id as EncodeChannel wrote it.
func (s *Sealer) DecodeChannel(id string, data []byte) (routex.Channel, error) {
	var sc storedChannel
	if err := json.Unmarshal(data, &sc); err != nil {
		return routex.Channel{}, fmt.Errorf("%s: channel %q: reading stored value: %w", s.store, id, err)
	}
	c := sc.Channel
	var err error
	if c.APIKey, err = s.Open(c.APIKey, id, "apiKey"); err != nil {
		return routex.Channel{}, err
	}
	for k, v := range c.Headers {
		if c.Headers[k], err = s.Open(v, id, "header "+k); err != nil {
			return routex.Channel{}, err
		}
	}
	for _, t := range sc.Transformers {
		spec := transformer.Spec{Name: t.Name}
		if t.Options != "" {
			spec.Options = json.RawMessage(t.Options)
		}
		c.Transformers = append(c.Transformers, spec)
	}
	return c, nil
}

// EncodeToken returns t as a store keeps it.
func (s *Sealer) EncodeToken(t oauth.Token) ([]byte, error) {
	t.AccessToken = s.Seal(t.AccessToken, t.ChannelID, accessField)
	t.RefreshToken = s.Seal(t.RefreshToken, t.ChannelID, refreshField)
	data, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("%s: token of channel %q: %w", s.store, t.ChannelID, err)
	}
	return data, nil
}

// DecodeToken reads the token of channel id as EncodeToken wrote it.
func (s *Sealer) DecodeToken(id string, data []byte) (oauth.Token, error) {
	var t oauth.Token
	if err := json.Unmarshal(data, &t); err != nil {
		return oauth.Token{}, fmt.Errorf("%s: token of channel %q: reading stored value: %w", s.store, id, err)
	}
	var err error
	if t.AccessToken, err = s.Open(t.AccessToken, id, accessField); err != nil {
		return oauth.Token{}, err
	}
	if t.RefreshToken, err = s.Open(t.RefreshToken, id, refreshField); err != nil {
		return oauth.Token{}, err
	}
	return t, nil
}
