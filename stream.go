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

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/balancer"
	"github.com/routex/routex/transformer"
)

// streamBody passes an upstream event stream to the caller as it arrives,
// reading usage and the stream's end out of the events on the way. It holds
// at most one read's worth of bytes: nothing buffers the whole stream.
type streamBody struct {
	c      *Client
	rt     *route
	up     io.ReadCloser
	done   func(error) // the breaker's outcome report
	cancel context.CancelCauseFunc
	timer  *time.Timer
	rec    analytics.Record

	format  Format
	dec     transformer.Decoder
	meter   transformer.UsageMeter
	events  int
	ended   atomic.Bool // the upstream sent its final event
	failure error       // an error event inside the stream

	pending []byte // bytes read while waiting for the first event

	obs        balancer.Observer // told of the outcome at the end; may be nil
	firstEvent time.Duration     // the attempt's wait for its first event

	mu       sync.Mutex
	finished bool
}

func newStreamBody(c *Client, x *exchange, rt *route, up io.ReadCloser, done func(error),
	cancel context.CancelCauseFunc, timer *time.Timer) *streamBody {
	return &streamBody{c: c, rt: rt, up: up, done: done, cancel: cancel, timer: timer,
		rec: x.rec, format: rt.Type}
}

// observe is the decoder's callback: it looks at each event for usage, the
// final event and in-stream errors.
func (s *streamBody) observe(ev transformer.Event) error {
	s.events++
	s.meter.Observe(s.format, ev)
	switch s.format {
	case FormatAnthropic:
		switch ev.Type {
		case "message_stop":
			s.ended.Store(true)
		case "error":
			s.failure = fmt.Errorf("upstream stream error: %s", firstLine(ev.Data))
		}
	default:
		if bytes.Equal(ev.Data, doneMarker) {
			s.ended.Store(true)
		} else if bytes.HasPrefix(ev.Data, errorPrefix) {
			s.failure = fmt.Errorf("upstream stream error: %s", firstLine(ev.Data))
		}
	}
	return nil
}

var (
	doneMarker  = []byte("[DONE]")
	errorPrefix = []byte(`{"error"`)
)

func firstLine(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// awaitFirstEvent reads until the upstream has sent one whole event, so that
// a stream that fails before it can still fail over.
func (s *streamBody) awaitFirstEvent() error {
	buf := make([]byte, 4096)
	for s.events == 0 {
		n, err := s.up.Read(buf)
		if n > 0 {
			s.pending = append(s.pending, buf[:n]...)
			if ferr := s.dec.Feed(buf[:n], s.observe); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			if s.events > 0 {
				break // the rest is Read's business
			}
			if err == io.EOF {
				return errStreamEnded
			}
			return err
		}
	}
	if s.failure != nil && s.events == 1 {
		// An error as the very first event: nothing useful was sent yet.
		return s.failure
	}
	return nil
}

// Read passes upstream bytes through unchanged.
func (s *streamBody) Read(p []byte) (int, error) {
	if len(s.pending) > 0 {
		n := copy(p, s.pending)
		s.pending = s.pending[n:]
		return n, nil
	}
	n, err := s.up.Read(p)
	if n > 0 {
		if ferr := s.dec.Feed(p[:n], s.observe); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil {
		if err == io.EOF {
			_ = s.dec.Flush(s.observe)
			if !s.ended.Load() && s.failure == nil {
				s.failure = errStreamEnded
			}
			s.finish(s.failure)
		} else {
			s.finish(err)
		}
	}
	return n, err
}

// Close ends the stream. Closing before the upstream's final event is the
// caller giving up, which does not count against the channel; closing after
// it (SDKs stop reading at [DONE]) is a complete stream.
func (s *streamBody) Close() error {
	err := s.up.Close()
	if s.ended.Load() {
		s.finish(nil)
	} else {
		s.finish(context.Canceled)
	}
	return err
}

// finish reports the outcome once: to the breaker, the record and the
// attempt's context.
func (s *streamBody) finish(err error) {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	s.mu.Unlock()

	s.timer.Stop()
	s.cancel(nil)
	rec := &s.rec
	u := s.meter.Usage
	rec.InputTokens, rec.OutputTokens = u.Input, u.Output
	rec.CacheReadTokens, rec.CacheWriteTokens = u.CacheRead, u.CacheWrite
	rec.Latency = s.c.s.now().Sub(rec.Time)
	if s.obs != nil {
		var outcome error
		if err != nil && !errors.Is(err, context.Canceled) {
			outcome = err
		}
		s.obs.End(s.rt.ID, s.firstEvent, outcome)
	}
	switch {
	case err == nil:
		s.done(nil)
	case errors.Is(err, context.Canceled):
		rec.Error = "stream closed by the caller before its end"
		s.done(context.Canceled)
	default:
		rec.Error = sanitize(err).Error()
		s.done(err)
	}
	s.c.recorder.Record(*rec)
}
