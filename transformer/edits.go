package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The body edits every routex build knows by name.
func init() {
	Register("maxtoken", newMaxTokens)
	Register("sampling", newSampling)
	Register("cleancache", func(json.RawMessage) (Transformer, error) { return RequestFunc(cleanCache), nil })
}

// MaxTokens caps the output tokens a request may ask for, and sets a
// default when it asks for none. Options: {"max": N, "default": N}.
type MaxTokens struct {
	Max     int64 `json:"max"`     // requests above it are lowered to it; 0: no cap
	Default int64 `json:"default"` // used when the request sets none; 0: none
}

func newMaxTokens(opts json.RawMessage) (Transformer, error) {
	var m MaxTokens
	if err := decodeOptions(opts, &m); err != nil {
		return nil, err
	}
	if m.Max < 0 || m.Default < 0 || (m.Max == 0 && m.Default == 0) {
		return nil, errors.New(`options need a positive "max" or "default", e.g. {"max": 8192}`)
	}
	if m.Max > 0 && m.Default > m.Max {
		m.Default = m.Max
	}
	return RequestFunc(m.transform), nil
}

func (m MaxTokens) transform(c *Conversion, body []byte) ([]byte, error) {
	keys := []string{"max_tokens"}
	if c.To != Anthropic {
		keys = []string{"max_completion_tokens", "max_tokens"}
	}
	for _, k := range keys {
		v := gjson.GetBytes(body, k)
		if !v.Exists() {
			continue
		}
		if m.Max > 0 && v.Int() > m.Max {
			return sjson.SetBytes(body, k, m.Max)
		}
		return body, nil
	}
	if m.Default > 0 {
		// max_tokens is the name every OpenAI-compatible server knows.
		return sjson.SetBytes(body, "max_tokens", m.Default)
	}
	return body, nil
}

// Sampling drops or clamps sampling parameters a provider rejects. Options:
// {"drop": ["top_k", ...], "maxTemperature": 1}. Without options it does
// what the channel's format needs: toward Anthropic, temperature at most 1
// and no top_p beside a temperature (current Claude models refuse both);
// toward OpenAI, no top_k.
type Sampling struct {
	Drop           []string `json:"drop"`
	MaxTemperature *float64 `json:"maxTemperature"`
}

func newSampling(opts json.RawMessage) (Transformer, error) {
	var s Sampling
	if err := decodeOptions(opts, &s); err != nil {
		return nil, err
	}
	if s.MaxTemperature != nil && *s.MaxTemperature < 0 {
		return nil, errors.New(`"maxTemperature" must not be negative`)
	}
	return RequestFunc(s.transform), nil
}

func (s Sampling) transform(c *Conversion, body []byte) ([]byte, error) {
	drop, maxTemp := s.Drop, s.MaxTemperature
	if drop == nil && maxTemp == nil {
		if c.To == Anthropic {
			one := 1.0
			maxTemp = &one
			if gjson.GetBytes(body, "temperature").Exists() {
				drop = []string{"top_p"}
			}
		} else {
			drop = []string{"top_k"}
		}
	}
	var err error
	for _, k := range drop {
		if gjson.GetBytes(body, k).Exists() {
			if body, err = sjson.DeleteBytes(body, k); err != nil {
				return nil, err
			}
		}
	}
	if t := gjson.GetBytes(body, "temperature"); maxTemp != nil && t.Type == gjson.Number && t.Float() > *maxTemp {
		body, err = sjson.SetBytes(body, "temperature", *maxTemp)
	}
	return body, err
}

// cleanCache removes every cache_control marker, for providers that refuse
// them.
func cleanCache(_ *Conversion, body []byte) ([]byte, error) {
	if !strings.Contains(string(body), `"cache_control"`) {
		return body, nil
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return body, nil
	}
	return appendWithout(make([]byte, 0, len(body)), root, "cache_control"), nil
}

// appendWithout appends v with every object member named key removed, at
// any depth.
func appendWithout(dst []byte, v gjson.Result, key string) []byte {
	switch {
	case v.IsObject():
		dst = append(dst, '{')
		first := true
		v.ForEach(func(k, val gjson.Result) bool {
			if k.Str == key {
				return true
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, k.Raw...)
			dst = append(dst, ':')
			dst = appendWithout(dst, val, key)
			return true
		})
		return append(dst, '}')
	case v.IsArray():
		dst = append(dst, '[')
		first := true
		v.ForEach(func(_, val gjson.Result) bool {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendWithout(dst, val, key)
			return true
		})
		return append(dst, ']')
	}
	return append(dst, v.Raw...)
}

func decodeOptions(opts json.RawMessage, v any) error {
	if len(opts) == 0 || string(opts) == "null" {
		return nil
	}
	if err := json.Unmarshal(opts, v); err != nil {
		return fmt.Errorf("options: %w", err)
	}
	return nil
}
