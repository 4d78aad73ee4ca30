package transformer

import (
	"bytes"

	"github.com/routex/routex/sse"
)

// jsonArrayStream frames a Gemini caller's stream as Google does without
// alt=sse: one JSON array whose elements are the chunks, sent as they
// come ("[{…}", ",\r\n{…}", "]"). It reframes what the converter beneath
// writes as server-sent events.
type jsonArrayStream struct {
	inner   StreamConverter
	chunks  int // elements written so far
	scratch []byte
	dec     sse.Decoder
}

func (s *jsonArrayStream) Event(dst []byte, ev Event) ([]byte, error) {
	s.scratch, _ = s.inner.Event(s.scratch[:0], ev)
	return s.reframe(dst), nil
}

func (s *jsonArrayStream) End(dst []byte, err error) []byte {
	s.scratch = s.inner.End(s.scratch[:0], err)
	dst = s.reframe(dst)
	if s.chunks == 0 {
		dst = append(dst, '[')
	}
	return append(dst, ']')
}

func (s *jsonArrayStream) Usage() Usage { return s.inner.Usage() }

// reframe appends the data of each event in s.scratch as an element.
func (s *jsonArrayStream) reframe(dst []byte) []byte {
	if len(s.scratch) == 0 {
		return dst
	}
	_ = s.dec.Feed(s.scratch, func(ev Event) error {
		if len(bytes.TrimSpace(ev.Data)) == 0 {
			return nil
		}
		if s.chunks == 0 {
			dst = append(dst, '[')
		} else {
			dst = append(dst, ",\r\n"...)
		}
		s.chunks++
		dst = append(dst, ev.Data...)
		return nil
	})
	return dst
}
