package routex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/transformer"
)

// streamBody hands an upstream event stream to the caller event by event,
// converted to the caller's format when the channel speaks another. It reads
// usage, the final event and in-stream errors on the way, and ends a stream
// the upstream cut short with a well-formed end and an error event. It holds
// at most one upstream read's worth of events: nothing buffers the stream.
type streamBody struct {
	c      *Client
	rt     *route
	up     io.ReadCloser
	try    attempt // ended when the stream ends
	status int     // the upstream's status
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	// idle ends a started stream whose upstream has been silent for
	// idleFor (errStreamIdle); reset after every read.
	idle    *time.Timer
	idleFor time.Duration
	rec     analytics.Record // set once the first event is in

	upFormat Format
	dec      transformer.Decoder
	conv     transformer.StreamConverter
	filter   transformer.EventFilter // the channel's transformers; may be nil
	events   int
	preamble int         // Responses events that announce a response and carry none of it
	ended    atomic.Bool // the upstream sent its final event
	upDone   atomic.Bool // the upstream is finished and err is set
	failure  error       // an error event inside the stream

	out []byte // converted bytes not yet read by the caller
	off int    // read position in out
	eof bool   // the upstream is finished; out holds the last bytes
	err error  // what Read returns once out is drained

	firstEvent time.Duration // the attempt's wait for its first event
	link       *chainLink    // saves a Responses answer for previous_response_id; may be nil

	mu       sync.Mutex
	finished bool
}

// Upstream reads go into the caller's buffer, which io.Reader lets Read use
// as scratch space, so that a stream waiting on its upstream holds no read
// buffer of its own. The first read, which has no caller's buffer, and
// callers with a buffer under minReadBuf borrow one from readBufPool for
// the read. maxRead caps a read, and with it the converted bytes a stream
// holds at once.
const (
	minReadBuf = 2 << 10
	maxRead    = 8 << 10
)

var readBufPool = sync.Pool{New: func() any { b := make([]byte, maxRead); return &b }}

// errStreamIdle ends a started stream whose upstream went silent.
var errStreamIdle = errors.New("upstream stream went silent for longer than the stream idle timeout")

func newStreamBody(c *Client, rt *route, up io.ReadCloser, conv *transformer.Conversion,
	ctx context.Context, cancel context.CancelCauseFunc, timer *time.Timer) *streamBody {
	return &streamBody{c: c, rt: rt, up: up, ctx: ctx, cancel: cancel, timer: timer,
		upFormat: rt.Type, conv: transformer.NewStreamConverter(conv), filter: rt.chain.NewStream(conv)}
}

// onEvent is the decoder's callback: it converts one upstream event and
// watches for usage, the final event and in-stream errors.
func (s *streamBody) onEvent(ev transformer.Event) error {
	s.events++
	switch s.upFormat {
	case FormatAnthropic:
		switch ev.Type {
		case "message_stop":
			s.ended.Store(true)
		case "error":
			s.fail(ev)
		}
	case FormatOpenAI:
		switch {
		case string(ev.Data) == "[DONE]":
			s.ended.Store(true)
		case len(ev.Data) > 8 && string(ev.Data[:8]) == `{"error"`:
			s.fail(ev)
		}
	case FormatResponses:
		switch responsesEventType(ev) {
		case "response.completed", "response.incomplete":
			s.ended.Store(true)
		case "response.failed", "error":
			s.fail(ev)
		case "response.created", "response.in_progress", "response.queued":
			s.preamble++
		}
	case FormatGemini:
		// Nothing but the end of the body ends a Gemini stream: an answer
		// is whole once a chunk has given its finishReason.
		switch {
		case geminiErrorChunk(ev.Data):
			s.fail(ev)
		case bytes.Contains(ev.Data, geminiFinishKey):
			s.ended.Store(true)
		}
	}
	if s.filter != nil {
		var keep bool
		if ev, keep = s.filter.Filter(ev); !keep {
			return nil
		}
	}
	var err error
	from := len(s.out)
	s.out, err = s.conv.Event(s.out, ev)
	s.link.see(s.out[from:])
	return err
}

// geminiFinishKey marks a Gemini chunk as its answer's last.
var geminiFinishKey = []byte(`"finishReason"`)

// geminiErrorChunk reports whether a Gemini chunk is an error,
// {"error":{…}}, whatever the spacing.
func geminiErrorChunk(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(data[1:], " \t\r\n"), []byte(`"error"`))
}

// errStreamError marks the provider's own error event inside a stream.
var errStreamError = errors.New("upstream stream error")

// fail notes the provider's error event ev.
func (s *streamBody) fail(ev transformer.Event) {
	s.failure = fmt.Errorf("%w: %s", errStreamError, truncate(string(ev.Data), 200))
}

// responsesEventType returns the type of an event of a Responses stream:
// its event name, or, from a provider that sends none, its data's "type".
func responsesEventType(ev transformer.Event) string {
	if ev.Type != "" {
		return ev.Type
	}
	return gjson.GetBytes(ev.Data, "type").Str
}

// fill reads from the upstream into buf until converted bytes are waiting
// or the upstream is finished. The decoder copies what it keeps, so buf is
// free again when fill returns.
func (s *streamBody) fill(buf []byte) {
	if len(buf) < minReadBuf {
		b := readBufPool.Get().(*[]byte)
		defer readBufPool.Put(b)
		buf = *b
	}
	buf = buf[:min(len(buf), maxRead)]
	for s.off == len(s.out) && !s.eof {
		s.out, s.off = s.out[:0], 0
		n, err := s.up.Read(buf)
		if s.idle != nil {
			s.idle.Reset(s.idleFor)
		}
		if err != nil && errors.Is(context.Cause(s.ctx), errStreamIdle) {
			err = errStreamIdle
		}
		if n > 0 {
			if ferr := s.dec.Feed(buf[:n], s.onEvent); ferr != nil && err == nil {
				err = ferr
			}
		}
		if err == nil {
			continue
		}
		s.eof = true
		if err == io.EOF {
			_ = s.dec.Flush(s.onEvent)
			err = s.failure
			if err == nil && !s.ended.Load() {
				err = errStreamEnded
			}
		}
		// The caller's error event says what happened, not where.
		var public error
		if err != nil {
			public = errors.New(publicError(err, 0))
		}
		from := len(s.out)
		s.out = s.conv.End(s.out, public)
		s.link.see(s.out[from:])
		s.err = err
		s.upDone.Store(true)
	}
}

// awaitFirstEvent reads until the upstream has sent one whole event, so that
// a stream that fails before it can still fail over.
func (s *streamBody) awaitFirstEvent() error {
	s.fill(nil)
	if s.events == 0 {
		if s.err != nil {
			return s.err
		}
		return errStreamEnded
	}
	if s.failure != nil && s.events-s.preamble == 1 {
		// An error as the very first event, or the first after a
		// Responses stream's announcements: nothing useful was sent yet.
		return s.failure
	}
	return nil
}

// watchIdle starts the idle timeout, once the stream has started.
func (s *streamBody) watchIdle(d time.Duration) {
	s.idleFor = d
	s.idle = time.AfterFunc(d, func() { s.cancel(errStreamIdle) })
}

// Read hands the caller the converted stream.
func (s *streamBody) Read(p []byte) (int, error) {
	if s.off == len(s.out) {
		if s.eof {
			s.finish(s.err)
			// The caller already has a well-formed end, with an error
			// event when the upstream failed.
			return 0, io.EOF
		}
		s.fill(p)
	}
	n := copy(p, s.out[s.off:])
	s.off += n
	return n, nil
}

// Close ends the stream. Closing before the upstream's final event is the
// caller giving up, which does not count against the channel; closing after
// it (SDKs stop reading at [DONE]) is a complete stream.
func (s *streamBody) Close() error {
	err := s.up.Close()
	switch {
	case s.upDone.Load():
		s.finish(s.err) // the upstream had finished, well or not
	case s.ended.Load():
		s.finish(nil)
	default:
		s.finish(context.Canceled)
	}
	return err
}

// finish reports the outcome once: to the breaker, the balancer, the record
// and the attempt's context.
func (s *streamBody) finish(err error) {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	s.mu.Unlock()

	s.timer.Stop()
	if s.idle != nil {
		s.idle.Stop()
	}
	s.cancel(nil)
	rec := &s.rec
	u := s.conv.Usage() // the converter reads usage from the events it converts
	rec.InputTokens, rec.OutputTokens = u.Input, u.Output
	rec.CacheReadTokens, rec.CacheWriteTokens = u.CacheRead, u.CacheWrite
	rec.Latency = s.c.s.now().Sub(rec.Time)
	s.try.end(outcome{err: err, status: s.status, latency: s.firstEvent})
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		rec.Error = "stream closed by the caller before its end"
	default:
		rec.Error = sanitize(err).Error()
	}
	s.c.record(rec)
}
