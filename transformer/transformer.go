package transformer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Transformer edits what goes to a channel and what comes back from it.
// Format conversion is not a Transformer's job: routex converts between the
// caller's format and the channel's (Channel.Type) on its own. Transformers
// run on the upstream's side of that conversion: TransformRequest sees the
// body about to be sent, already in the channel's format; TransformResponse
// and the stream filter see the upstream's answer before it is converted
// back. Implementations must be safe for concurrent use.
type Transformer interface {
	// TransformRequest returns the body to send upstream.
	TransformRequest(c *Conversion, body []byte) ([]byte, error)
	// TransformResponse returns the complete 2xx response body to use.
	TransformResponse(c *Conversion, body []byte) ([]byte, error)
	// NewStream returns a filter for one streamed response, or nil to leave
	// streams as they are. It is called once per response, so the filter
	// may keep state.
	NewStream(c *Conversion) EventFilter
}

// EventFilter edits the events of one stream. Filter returns the event to
// pass on, and false to drop it. Not safe for concurrent use.
type EventFilter interface {
	Filter(ev Event) (Event, bool)
}

// RequestFunc adapts a function that edits request bodies to a Transformer
// that leaves responses and streams alone.
type RequestFunc func(c *Conversion, body []byte) ([]byte, error)

// TransformRequest calls f.
func (f RequestFunc) TransformRequest(c *Conversion, body []byte) ([]byte, error) { return f(c, body) }

// TransformResponse returns body unchanged.
func (RequestFunc) TransformResponse(_ *Conversion, body []byte) ([]byte, error) { return body, nil }

// NewStream returns nil: streams pass unchanged.
func (RequestFunc) NewStream(*Conversion) EventFilter { return nil }

var _ Transformer = RequestFunc(nil)

// Spec names a transformer and its options, as channels list them. In JSON
// it is written as a name ("cleancache"), as the pair ["maxtoken",
// {"max": 8192}], or as {"name": "maxtoken", "options": {"max": 8192}}.
type Spec struct {
	Name    string          `json:"name"`
	Options json.RawMessage `json:"options,omitempty"`
}

// UnmarshalJSON accepts the three forms Spec documents.
func (s *Spec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &s.Name)
	case len(b) > 0 && b[0] == '[':
		var pair []json.RawMessage
		if err := json.Unmarshal(b, &pair); err != nil {
			return err
		}
		if len(pair) == 0 || len(pair) > 2 {
			return fmt.Errorf("transformer: want [name] or [name, options], got %d elements", len(pair))
		}
		if err := json.Unmarshal(pair[0], &s.Name); err != nil {
			return fmt.Errorf("transformer: name: %w", err)
		}
		if len(pair) == 2 {
			s.Options = pair[1]
		}
		return nil
	}
	type plain Spec
	return json.Unmarshal(b, (*plain)(s))
}

// Specs is a channel's list of transformers. In JSON it is a list of
// Specs, or an object {"use": [...]} holding one, the shape
// claude-code-router's configurations give it.
type Specs []Spec

// UnmarshalJSON accepts a list, or {"use": list}.
func (s *Specs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return json.Unmarshal(b, (*[]Spec)(s))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	for k := range obj {
		if k != "use" {
			return fmt.Errorf("transformer: %q in a transformer object: only \"use\" (a list of transformers) is understood", k)
		}
	}
	use, ok := obj["use"]
	if !ok {
		return errors.New(`transformer: a transformer object needs "use", a list of transformers`)
	}
	return json.Unmarshal(use, (*[]Spec)(s))
}

// Factory builds a transformer from its JSON options (nil when none).
type Factory func(options json.RawMessage) (Transformer, error)

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

// ErrUnknown means no transformer is registered under a name.
var ErrUnknown = errors.New("transformer: unknown transformer")

// Register makes a transformer available by name to channel configurations.
// Registering a name twice replaces the first. The format names "anthropic"
// and "openai" are reserved.
func Register(name string, f Factory) {
	if Format(name).Valid() {
		panic("transformer: " + name + " is a format name")
	}
	registry.Lock()
	registry.m[name] = f
	registry.Unlock()
}

// Names returns the registered transformers' names, sorted, with the
// format names first.
func Names() []string {
	registry.RLock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	registry.RUnlock()
	slices.Sort(names)
	formats := make([]string, 0, len(Formats)+len(names))
	for _, f := range Formats {
		formats = append(formats, string(f))
	}
	return append(formats, names...)
}

// New builds the transformer a Spec names. A format name ("anthropic",
// "openai") gives nil and no error: conversion to a channel's format is
// implied by the channel's type, and configurations that list it, as
// `use: ["openai"]` did, keep working.
func New(s Spec) (Transformer, error) {
	if Format(s.Name).Valid() {
		return nil, nil
	}
	registry.RLock()
	f, ok := registry.m[s.Name]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, s.Name, strings.Join(Names(), ", "))
	}
	t, err := f(s.Options)
	if err != nil {
		return nil, fmt.Errorf("transformer %q: %w", s.Name, err)
	}
	return t, nil
}

// Chain is the transformers of one channel, in order. Requests pass through
// them first to last; responses and streams last to first. A nil Chain
// does nothing. A Chain is safe for concurrent use.
type Chain []Transformer

// NewChain builds the chain of specs, checking that format names among them
// agree with the channel's format to.
func NewChain(to Format, specs []Spec) (Chain, error) {
	var ch Chain
	for _, s := range specs {
		if f := Format(s.Name); f.Valid() && f != to {
			return nil, fmt.Errorf("transformer %q does not match the channel's format %q", s.Name, to)
		}
		t, err := New(s)
		if err != nil {
			return nil, err
		}
		if t != nil {
			ch = append(ch, t)
		}
	}
	return ch, nil
}

// TransformRequest runs the request through every transformer.
func (ch Chain) TransformRequest(c *Conversion, body []byte) ([]byte, error) {
	var err error
	for _, t := range ch {
		if body, err = t.TransformRequest(c, body); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// TransformResponse runs a complete response through every transformer,
// last first.
func (ch Chain) TransformResponse(c *Conversion, body []byte) ([]byte, error) {
	var err error
	for i := len(ch) - 1; i >= 0; i-- {
		if body, err = ch[i].TransformResponse(c, body); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// NewStream returns the chain's filter for one stream, or nil when no
// transformer filters streams.
func (ch Chain) NewStream(c *Conversion) EventFilter {
	var fs chainFilter
	for i := len(ch) - 1; i >= 0; i-- {
		if f := ch[i].NewStream(c); f != nil {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return fs
}

type chainFilter []EventFilter

func (fs chainFilter) Filter(ev Event) (Event, bool) {
	for _, f := range fs {
		var keep bool
		if ev, keep = f.Filter(ev); !keep {
			return ev, false
		}
	}
	return ev, true
}

// Direction says which way Test converts.
type Direction string

// The directions Test knows.
const (
	DirRequest  Direction = "request"  // a caller's request, as sent upstream
	DirResponse Direction = "response" // an upstream's response, as the caller gets it
)

// Test shows what a transformer does to body, without sending anything. name
// is a registered transformer, or a conversion "anthropic-to-openai" /
// "openai-to-anthropic" (the caller's format, then the channel's): its
// request direction converts a caller's request, its response direction
// converts the channel's complete response back. Streams are not shown.
func Test(name string, dir Direction, body []byte, options json.RawMessage) ([]byte, error) {
	if from, to, ok := strings.Cut(name, "-to-"); ok && Format(from).Valid() && Format(to).Valid() {
		switch dir {
		case DirRequest:
			out, _, err := ConvertRequest(Format(from), Format(to), body)
			return out, err
		case DirResponse:
			return ConvertResponse(&Conversion{From: Format(from), To: Format(to)}, body)
		}
		return nil, fmt.Errorf("transformer: unknown direction %q (want %q or %q)", dir, DirRequest, DirResponse)
	}
	t, err := New(Spec{Name: name, Options: options})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return body, nil
	}
	c := &Conversion{}
	switch dir {
	case DirRequest:
		return t.TransformRequest(c, body)
	case DirResponse:
		return t.TransformResponse(c, body)
	}
	return nil, fmt.Errorf("transformer: unknown direction %q (want %q or %q)", dir, DirRequest, DirResponse)
}
