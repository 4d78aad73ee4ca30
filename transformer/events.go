package transformer

import (
	"io"

	"github.com/routex/routex/sse"
)

// The Server-Sent Events of streamed answers. They live in package sse; the
// names below keep them reachable from here, where the stream converters
// and Transformer filters use them.
type (
	// Event is one Server-Sent Event; see sse.Event.
	Event = sse.Event
	// Decoder parses a text/event-stream incrementally; see sse.Decoder.
	Decoder = sse.Decoder
	// Reader reads the events of a stream one by one; see sse.Reader.
	Reader = sse.Reader
)

// ErrEventTooLarge is sse.ErrEventTooLarge.
var ErrEventTooLarge = sse.ErrEventTooLarge

// DefaultMaxEventSize is sse.DefaultMaxEventSize.
const DefaultMaxEventSize = sse.DefaultMaxEventSize

// NewReader returns a Reader of r's events; see sse.NewReader.
func NewReader(r io.Reader) *Reader { return sse.NewReader(r) }

// AppendEvent appends one SSE-framed event to dst; see sse.AppendEvent.
func AppendEvent(dst []byte, typ string, data []byte) []byte { return sse.AppendEvent(dst, typ, data) }

// WriteEvent writes one SSE-framed event to w; see sse.WriteEvent.
func WriteEvent(w io.Writer, typ string, data []byte) error { return sse.WriteEvent(w, typ, data) }
