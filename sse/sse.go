// Package sse reads and writes Server-Sent Events (text/event-stream), the
// framing every streaming AI API answers with: an incremental Decoder that
// never allocates per event for known event types, a Reader in the style of
// the official SDKs, and append-style writers.
package sse

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Event is one Server-Sent Event. Data holds the event's data lines joined
// with "\n"; it is empty for an event that had an `event:` line and no data.
type Event struct {
	Type  string // the `event:` field ("" when absent)
	Data  []byte
	ID    string // the `id:` field of this event ("" when absent)
	Retry int    // milliseconds from `retry:`; 0 when absent
}

// ErrEventTooLarge is returned by Decoder and Reader when a line or the data
// of one event exceeds the configured MaxEventSize.
var ErrEventTooLarge = errors.New("sse: event too large")

// DefaultMaxEventSize is the limit a Decoder applies when its MaxEventSize
// is zero or negative.
const DefaultMaxEventSize = 16 << 20

// errYield stops a feed right after an event so that Reader can hand that
// event out and resume from the same byte later.
var errYield = errors.New("sse: yield")

// utf8BOM is the UTF-8 byte order mark the EventSource standard skips at the
// start of a stream.
const utf8BOM = "\xEF\xBB\xBF"

// maxInterned bounds the event-type cache so that a stream inventing a new
// type for every event cannot grow it without limit.
const maxInterned = 64

// Decoder parses a text/event-stream incrementally, following the WHATWG
// EventSource rules: lines end with "\n", "\r\n" or "\r" (also when a
// "\r\n" pair is split between two Feed calls), a blank line dispatches the
// event, lines starting with ":" are comments, one space after the field's
// colon is dropped, unknown fields are ignored and a leading byte order mark
// is skipped. Unlike the standard, an event with a type and no data is
// dispatched, with empty Data, and ID and Retry describe only the event that
// carried them; an event with neither data nor type is dropped.
//
// Bytes are passed through unchanged, so UTF-8 sequences split across Feed
// calls come out whole.
//
// The zero value is ready to use. A Decoder is not safe for concurrent use.
type Decoder struct {
	// MaxEventSize bounds the length of one line and of one event's joined
	// data, so that a stream without line breaks cannot exhaust memory.
	// Zero or negative means DefaultMaxEventSize.
	MaxEventSize int

	buf []byte // the partial line left over from the previous Feed

	// The event being assembled. dataRef is the joined data so far: it
	// aliases the caller's chunk or buf while the event has a single data
	// line and nothing forced a copy, and data once it owns the bytes.
	data      []byte
	dataRef   []byte
	dataLines int
	owned     bool
	typ       string
	id        string
	retry     int
	open      bool // a field of the current event has been read

	lastType string
	types    map[string]string

	bomLen int  // bytes of a leading BOM matched so far
	begun  bool // past the point where a BOM may appear
	skipLF bool // the previous chunk ended in "\r": a leading "\n" belongs to it
	err    error
}

// Feed parses p, which may hold any part of the stream, and calls fn for
// every event it completes, in order. The Event, and the bytes its Data
// points to, may alias p or the Decoder's buffers: they are valid only while
// fn runs, and fn must neither keep nor modify them. fn must not call the
// Decoder.
//
// Feed returns fn's first error, or ErrEventTooLarge. After an error the
// rest of p is not parsed and every later call returns the same error until
// Reset.
//
// Feed copies what it must keep, so the caller may reuse p once it returns.
// In steady state it does not allocate.
func (d *Decoder) Feed(p []byte, fn func(Event) error) error {
	if d.err != nil {
		return d.err
	}
	if _, err := d.feed(p, fn); err != nil {
		d.err = err
		return err
	}
	return nil
}

// Flush ends the stream: it dispatches the event whose final blank line
// never came, treating a last line without a line break as complete, then
// resets the Decoder for a new stream. Call it at EOF. If an earlier call
// failed, Flush dispatches nothing and returns that error.
func (d *Decoder) Flush(fn func(Event) error) error {
	if d.err != nil {
		err := d.err
		d.Reset()
		return err
	}
	err := d.flush(fn)
	d.Reset()
	return err
}

// Pending reports whether the Decoder holds bytes of an event it has not
// dispatched yet: a partial line, or fields without their blank line. At
// EOF it tells a stream cut mid-event from one that ended cleanly. Complete
// comment lines do not count.
func (d *Decoder) Pending() bool {
	return len(d.buf) > 0 || d.open || (!d.begun && d.bomLen > 0)
}

// Reset discards any partial event and error, so the Decoder can read a new
// stream. It keeps MaxEventSize and its buffers.
func (d *Decoder) Reset() {
	*d = Decoder{
		MaxEventSize: d.MaxEventSize,
		buf:          d.buf[:0],
		data:         d.data[:0],
		lastType:     d.lastType,
		types:        d.types,
	}
}

func (d *Decoder) maxSize() int {
	if d.MaxEventSize > 0 {
		return d.MaxEventSize
	}
	return DefaultMaxEventSize
}

// feed is Feed without the sticky error. It returns how many bytes of p it
// consumed: all of them unless fn failed, in which case the bytes after the
// event's blank line are left for the caller to feed again.
func (d *Decoder) feed(p []byte, fn func(Event) error) (int, error) {
	pos := 0
	if !d.begun {
		for d.bomLen < len(utf8BOM) && pos < len(p) && p[pos] == utf8BOM[d.bomLen] {
			d.bomLen++
			pos++
		}
		switch {
		case d.bomLen == len(utf8BOM):
			d.begun = true
		case pos == len(p):
			return pos, nil // all seen so far may still be a BOM
		default:
			// Not a BOM after all: the bytes matched so far start the
			// first line.
			d.begun = true
			d.buf = append(d.buf, utf8BOM[:d.bomLen]...)
		}
	}
	if d.skipLF && pos < len(p) {
		d.skipLF = false
		if p[pos] == '\n' {
			pos++
		}
	}

	maxSize := d.maxSize()
	nl := -1 // index of the next '\n' at or after pos; len(p) when there is none
	for pos < len(p) {
		// Remembering nl keeps streams that end lines with a lone "\r"
		// linear: otherwise every line would rescan to the end of p.
		if nl < pos {
			if i := indexByteSmall(p[pos:], '\n'); i >= 0 {
				nl = pos + i
			} else {
				nl = len(p)
			}
		}
		end, next := nl, nl+1
		if i := indexByteSmall(p[pos:nl], '\r'); i >= 0 {
			end, next = pos+i, pos+i+1
			if next < len(p) && p[next] == '\n' {
				next++
			}
		} else if nl == len(p) {
			break
		}
		if next == len(p) && p[next-1] == '\r' {
			d.skipLF = true
		}

		line := p[pos:end]
		pos = next
		if len(d.buf) > 0 {
			// Only the first line of a chunk can continue a carried one.
			if len(d.buf)+len(line) > maxSize {
				return pos, ErrEventTooLarge
			}
			d.buf = append(d.buf, line...)
			line = d.buf
			d.buf = d.buf[:0]
		} else if len(line) > maxSize {
			return pos, ErrEventTooLarge
		}

		if len(line) == 0 {
			if err := d.dispatch(fn); err != nil {
				return pos, err
			}
			continue
		}
		if err := d.field(line, maxSize); err != nil {
			return pos, err
		}
	}

	// The data of an unfinished event may point into p or into buf, and
	// both are about to change: take a copy first.
	if d.dataLines > 0 && !d.owned {
		d.data = append(d.data[:0], d.dataRef...)
		d.dataRef, d.owned = d.data, true
	}
	if pos < len(p) {
		if len(d.buf)+len(p)-pos > maxSize {
			return pos, ErrEventTooLarge
		}
		d.buf = append(d.buf, p[pos:]...)
	}
	return len(p), nil
}

func (d *Decoder) flush(fn func(Event) error) error {
	if !d.begun && d.bomLen > 0 {
		d.buf = append(d.buf, utf8BOM[:d.bomLen]...)
	}
	d.begun = true
	if len(d.buf) > 0 {
		line := d.buf
		d.buf = d.buf[:0]
		if err := d.field(line, d.maxSize()); err != nil {
			return err
		}
	}
	return d.dispatch(fn)
}

// indexByteSmall is bytes.IndexByte without its call overhead on the tiny chunks
// some upstreams and proxies deliver, down to one byte per read.
func indexByteSmall(b []byte, c byte) int {
	if len(b) >= 16 {
		return bytes.IndexByte(b, c)
	}
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// field applies one non-blank line to the event being assembled.
func (d *Decoder) field(line []byte, maxSize int) error {
	if line[0] == ':' {
		return nil
	}
	name, value := line, line[len(line):]
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		d.open = true
		if d.dataLines == 0 {
			d.dataRef, d.owned = value, false
		} else {
			if len(d.dataRef)+1+len(value) > maxSize {
				return ErrEventTooLarge
			}
			if !d.owned {
				d.data = append(d.data[:0], d.dataRef...)
				d.owned = true
			}
			d.data = append(d.data, '\n')
			d.data = append(d.data, value...)
			d.dataRef = d.data
		}
		d.dataLines++
	case "event":
		d.open = true
		d.typ = d.intern(value)
	case "id":
		d.open = true
		// The standard ignores ids containing NUL.
		if bytes.IndexByte(value, 0) < 0 {
			d.id = string(value)
		}
	case "retry":
		d.open = true
		if n, ok := parseRetry(value); ok {
			d.retry = n
		}
	}
	return nil
}

// dispatch hands the assembled event to fn, if it is one, and starts a new
// one either way.
func (d *Decoder) dispatch(fn func(Event) error) error {
	ev := Event{Type: d.typ, ID: d.id, Retry: d.retry}
	send := d.dataLines > 0 || d.typ != ""
	if d.dataLines > 0 {
		ev.Data = d.dataRef
	}
	// Resetting before fn runs leaves ev.Data intact: the buffers are only
	// truncated, and nothing writes to them until fn returns.
	d.data = d.data[:0]
	d.dataRef, d.dataLines, d.owned = nil, 0, false
	d.typ, d.id, d.retry, d.open = "", "", 0, false
	if !send {
		return nil
	}
	return fn(ev)
}

// intern returns the event type as a string without allocating for types
// seen before: a stream repeats a handful of them thousands of times.
func (d *Decoder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if string(b) == d.lastType {
		return d.lastType
	}
	s := knownType(b)
	ok := s != ""
	if !ok {
		s, ok = d.types[string(b)]
	}
	if !ok {
		s = string(b)
		if d.types == nil {
			d.types = make(map[string]string)
		}
		if len(d.types) < maxInterned {
			d.types[s] = s
		}
	}
	d.lastType = s
	return s
}

// knownTypes are the event types of the Anthropic and OpenAI Responses
// streams, handed out as constants so that a new Decoder per stream does not
// allocate for them.
var knownTypes = func() map[string]string {
	m := make(map[string]string)
	for _, t := range []string{
		"message_start",
		"content_block_start",
		"content_block_delta",
		"content_block_stop",
		"message_delta",
		"message_stop",
		"ping",
		"error",
		"response.created",
		"response.in_progress",
		"response.output_item.added",
		"response.output_item.done",
		"response.content_part.added",
		"response.content_part.done",
		"response.output_text.delta",
		"response.output_text.done",
		"response.output_text.annotation.added",
		"response.refusal.delta",
		"response.refusal.done",
		"response.function_call_arguments.delta",
		"response.function_call_arguments.done",
		"response.custom_tool_call_input.delta",
		"response.custom_tool_call_input.done",
		"response.reasoning_summary_part.added",
		"response.reasoning_summary_part.done",
		"response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done",
		"response.reasoning_text.delta",
		"response.reasoning_text.done",
		"response.completed",
		"response.incomplete",
		"response.failed",
	} {
		m[t] = t
	}
	return m
}()

// knownType returns b as one of knownTypes, or "".
func knownType(b []byte) string { return knownTypes[string(b)] }

// parseRetry accepts only ASCII digits, as the standard requires; a value
// too large for an int is ignored like any other invalid one.
func parseRetry(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		digit := int(c - '0')
		if n > (math.MaxInt-digit)/10 {
			return 0, false
		}
		n = n*10 + digit
	}
	return n, true
}

// Reader reads Server-Sent Events from an io.Reader one at a time:
//
//	r := sse.NewReader(resp.Body)
//	for r.Next() {
//		ev := r.Event()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// It parses like Decoder and, at EOF, dispatches a final event that lacks
// its blank line. A Reader is not safe for concurrent use.
type Reader struct {
	// MaxEventSize is passed to the underlying Decoder; set it before the
	// first call to Next.
	MaxEventSize int

	rd      io.Reader
	dec     Decoder
	buf     []byte
	pending []byte // bytes of buf read but not yet parsed
	ev      Event
	yield   func(Event) error
	readErr error
	err     error
	done    bool
}

// readerBufSize is large enough that most events are parsed straight from
// the read buffer without a copy.
const readerBufSize = 16 << 10

// maxEmptyReads is how many (0, nil) reads in a row Next tolerates before it
// gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// NewReader returns a Reader that parses the event stream r.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{rd: r, buf: make([]byte, readerBufSize)}
	rd.yield = rd.capture
	return rd
}

func (r *Reader) capture(ev Event) error {
	r.ev = ev
	return errYield
}

// Next advances to the next event and reports whether there is one. It
// returns false at the end of the stream or on an error; Err tells which.
func (r *Reader) Next() bool {
	if r.done {
		return false
	}
	r.dec.MaxEventSize = r.MaxEventSize
	empty := 0
	for {
		if len(r.pending) > 0 {
			n, err := r.dec.feed(r.pending, r.yield)
			r.pending = r.pending[n:]
			if err == errYield {
				return true
			}
			if err != nil {
				return r.fail(err)
			}
		}
		if r.readErr != nil {
			if r.readErr != io.EOF {
				return r.fail(r.readErr)
			}
			r.done = true
			err := r.dec.flush(r.yield)
			r.dec.Reset()
			if err == errYield {
				return true
			}
			if err != nil {
				r.err = err
			}
			return false
		}
		n, err := r.rd.Read(r.buf)
		r.pending, r.readErr = r.buf[:n], err
		if n == 0 && err == nil {
			if empty++; empty >= maxEmptyReads {
				return r.fail(io.ErrNoProgress)
			}
		}
	}
}

func (r *Reader) fail(err error) bool {
	r.err, r.done = err, true
	return false
}

// Event returns the event Next advanced to. It and its Data are valid until
// the next call to Next.
func (r *Reader) Event() Event { return r.ev }

// Err returns the error that stopped Next: the underlying reader's error or
// ErrEventTooLarge. It is nil when the stream ended at EOF.
func (r *Reader) Err() error { return r.err }

// AppendEvent appends one event, framed as Server-Sent Events, to dst and
// returns the extended buffer. It writes an `event:` line unless typ is
// empty, then one `data:` line per line of data, so that data containing
// line breaks survives; "\r\n" and "\r" in data become "\n" on the other
// side. An event always gets at least one `data:` line, so an event with
// empty data is still dispatched, and it always ends with a blank line,
// which clients need before they act on it. typ is cut at its first line
// break, which could otherwise forge fields.
func AppendEvent(dst []byte, typ string, data []byte) []byte {
	return appendEvent(dst, "", 0, typ, data)
}

// AppendTo appends e to dst like AppendEvent, preceded by `id:` and `retry:`
// lines when ID is set and Retry is positive.
func (e Event) AppendTo(dst []byte) []byte {
	return appendEvent(dst, e.ID, e.Retry, e.Type, e.Data)
}

func appendEvent(dst []byte, id string, retry int, typ string, data []byte) []byte {
	typ, id = cutAtLineBreak(typ), cutAtLineBreak(id)
	dst = slices.Grow(dst, len(id)+len(typ)+len(data)+32)
	if id != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, id...)
		dst = append(dst, '\n')
	}
	if retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, int64(retry), 10)
		dst = append(dst, '\n')
	}
	if typ != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, typ...)
		dst = append(dst, '\n')
	}
	for {
		dst = append(dst, "data: "...)
		i := indexLineBreak(data)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

func indexLineBreak(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

func cutAtLineBreak(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// eventBufPool keeps WriteEvent from allocating a frame per event.
var eventBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledBuf keeps one huge event from pinning its buffer in the pool.
const maxPooledBuf = 64 << 10

// WriteEvent writes one event, framed as AppendEvent frames it, to w in a
// single Write call. It does not flush: a handler streaming to a client
// calls http.Flusher (or http.ResponseController) itself.
func WriteEvent(w io.Writer, typ string, data []byte) error {
	bp := eventBufPool.Get().(*[]byte)
	b := AppendEvent((*bp)[:0], typ, data)
	_, err := w.Write(b)
	if cap(b) <= maxPooledBuf {
		*bp = b
		eventBufPool.Put(bp)
	}
	return err
}
