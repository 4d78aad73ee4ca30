package routex

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrNotFound is returned by a Store when the named item does not exist.
	ErrNotFound = errors.New("routex: not found")
	// ErrNoChannel means no enabled channel serves the requested model.
	ErrNoChannel = errors.New("routex: no channel serves this model")
	// ErrUnavailable means channels serve the model but none can take the
	// request now (breakers open, rate-limited).
	ErrUnavailable = errors.New("routex: all channels for this model are unavailable")
	// ErrUpstream means every attempt upstream failed.
	ErrUpstream = errors.New("routex: all upstream attempts failed")
	// ErrBodyTooLarge means the request body is over the configured limit.
	ErrBodyTooLarge = errors.New("routex: request body too large")
	// ErrBadRequest means the request body could not be understood.
	ErrBadRequest = errors.New("routex: bad request")
	// ErrForbidden means the caller may not use what it asked for (see
	// ContextWithModelFilter).
	ErrForbidden = errors.New("routex: forbidden")
	// ErrClosed is returned once the Client has been closed.
	ErrClosed = errors.New("routex: client closed")

	errRequired = errors.New("required")
)

// ConfigError reports an invalid channel, rule or option, naming which one
// and which field. It is returned by New and by the update calls.
type ConfigError struct {
	Kind  string // "channel", "rule" or "option"
	ID    string // the channel or rule id (or option name)
	Field string // the field at fault
	Err   error  // what is wrong with it
}

func (e *ConfigError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("routex: %s: %s: %v", e.Kind, e.Field, e.Err)
	}
	return fmt.Sprintf("routex: %s %q: %s: %v", e.Kind, e.ID, e.Field, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }
