package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/bench/internal/payload"
)

// outcome is what one request came to.
type outcome struct {
	start, end time.Time
	ttfb       time.Duration // streams: until the first whole event; else until the headers
	err        string        // empty when the answer was a well-formed success
}

// probe is the load generator's transport: it times the first byte of each
// answer and checks that the answer is a well-formed success in the
// caller's format, so that a proxy answering fast with errors never passes
// for a fast proxy.
type probe struct {
	base   http.RoundTripper
	format payload.Format
	stream bool

	// byKey holds the outcomes of requests sent by vegeta, whose results
	// carry no room for them, keyed by attack name and sequence number.
	byKey sync.Map
}

var _ http.RoundTripper = (*probe)(nil)

// RoundTrip sends req through the base transport and watches the answer.
// When req comes from vegeta, the outcome is filed under its sequence
// number once the body is closed.
func (p *probe) RoundTrip(req *http.Request) (*http.Response, error) {
	key := ""
	if seq := req.Header.Get("X-Vegeta-Seq"); seq != "" {
		key = req.Header.Get("X-Vegeta-Attack") + "/" + seq
		req.Header.Del("X-Vegeta-Seq")
		req.Header.Del("X-Vegeta-Attack")
	}
	start := time.Now()
	resp, err := p.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	w := &watched{rc: resp.Body, p: p, status: resp.StatusCode, key: key}
	w.o.start = start
	if !p.stream || resp.StatusCode != http.StatusOK {
		w.o.ttfb = time.Since(start)
	}
	resp.Body = w
	return resp, nil
}

// do sends one request and reads its answer to the end.
func (p *probe) do(req *http.Request) outcome {
	start := time.Now()
	resp, err := p.RoundTrip(req)
	if err != nil {
		return outcome{start: start, end: time.Now(), err: err.Error()}
	}
	w, ok := resp.Body.(*watched)
	if !ok {
		resp.Body.Close()
		return outcome{start: start, end: time.Now(), err: "answer not watched"}
	}
	buf := copyBufs.Get().(*[]byte)
	_, err = io.CopyBuffer(io.Discard, w, *buf)
	copyBufs.Put(buf)
	w.Close()
	o := w.o
	o.start = start
	if err != nil && o.err == "" {
		o.err = err.Error()
	}
	return o
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// watched is an answer's body as the load generator reads it.
type watched struct {
	rc     io.ReadCloser
	p      *probe
	status int
	key    string
	o      outcome
	nl     bool         // the last byte read was a newline
	body   bytes.Buffer // non-streamed answers, kept to be checked
	tail   [64]byte     // streams: the last bytes read
	ntail  int
	done   bool // a Responses or Gemini stream: its last event was seen
	closed bool
	rerr   error
}

func (w *watched) Read(b []byte) (int, error) {
	n, err := w.rc.Read(b)
	if n > 0 {
		chunk := b[:n]
		if w.p.stream && w.o.ttfb == 0 {
			for i, c := range chunk {
				if c == '\n' && ((i == 0 && w.nl) || (i > 0 && chunk[i-1] == '\n')) {
					w.o.ttfb = time.Since(w.o.start)
					break
				}
			}
			w.nl = chunk[n-1] == '\n'
		}
		if w.p.stream && w.status == http.StatusOK {
			if end := lastEvent[w.p.format]; end != nil && !w.done {
				w.done = w.sees(chunk, end)
			}
			if n >= len(w.tail) {
				w.ntail = copy(w.tail[:], chunk[n-len(w.tail):])
			} else {
				keep := min(w.ntail, len(w.tail)-n)
				copy(w.tail[:], w.tail[w.ntail-keep:w.ntail])
				w.ntail = keep + copy(w.tail[keep:], chunk)
			}
		} else if w.body.Len() < 1<<20 {
			w.body.Write(chunk)
		}
	}
	if err != nil && err != io.EOF {
		w.rerr = err
	}
	return n, err
}

// lastEvent marks the last event of a whole stream in the formats whose
// last event ends far from its mark: a Responses stream's completion
// event carries the whole response, a Gemini stream's last chunk its
// finishReason before the usage.
var lastEvent = map[payload.Format][]byte{
	payload.Responses: []byte("event: response.completed\n"),
	payload.Gemini:    []byte(`"finishReason":`),
}

// sees reports whether mark starts in chunk, or across the boundary
// between the bytes read before it and chunk.
func (w *watched) sees(chunk, mark []byte) bool {
	if bytes.Contains(chunk, mark) {
		return true
	}
	var edge [2 * 64]byte
	joined := append(append(edge[:0], w.tail[:w.ntail]...), chunk[:min(len(chunk), len(mark))]...)
	return bytes.Contains(joined, mark)
}

// Close ends the request and judges its answer.
func (w *watched) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.rc.Close()
	w.o.end = time.Now()
	w.o.err = w.verdict()
	if w.key != "" {
		w.p.byKey.Store(w.key, w.o)
	}
	return err
}

func (w *watched) verdict() string {
	if w.rerr != nil {
		return "reading the answer: " + w.rerr.Error()
	}
	if w.status != http.StatusOK {
		b := w.body.Bytes()
		return fmt.Sprintf("status %d: %.200s", w.status, b)
	}
	anthropic := w.p.format == payload.Anthropic
	if end := lastEvent[w.p.format]; w.p.stream && end != nil {
		if !w.done {
			return fmt.Sprintf("stream did not complete (no %s): …%q", bytes.TrimSpace(end), w.tail[:w.ntail])
		}
		return ""
	}
	if w.p.stream {
		tail := w.tail[:w.ntail]
		end := []byte("[DONE]")
		if anthropic {
			end = []byte(`"message_stop"`)
		}
		if !bytes.Contains(tail, end) {
			return fmt.Sprintf("stream did not end with %s: …%q", end, tail)
		}
		if w.o.ttfb == 0 {
			return "stream without a whole event"
		}
		return ""
	}
	b := w.body.Bytes()
	var kind, text string
	if w.p.format == payload.Responses {
		r := gjson.GetManyBytes(b, "object", "status", "output.#(type==\"message\").content.0.text")
		if r[0].String() != "response" || r[1].String() != "completed" || r[2].String() == "" {
			return fmt.Sprintf("not a completed OpenAI response: %.200s", b)
		}
		return ""
	}
	if w.p.format == payload.Gemini {
		r := gjson.GetManyBytes(b, "candidates.0.finishReason", "candidates.0.content.parts.0.text")
		if r[0].String() == "" || r[1].String() == "" {
			return fmt.Sprintf("not a finished Gemini answer: %.200s", b)
		}
		return ""
	}
	if anthropic {
		r := gjson.GetManyBytes(b, "type", "content.0.text")
		kind, text = r[0].String(), r[1].String()
		if kind != "message" || text == "" {
			return fmt.Sprintf("not an Anthropic message: %.200s", b)
		}
	} else {
		r := gjson.GetManyBytes(b, "object", "choices.0.message.content")
		kind, text = r[0].String(), r[1].String()
		if kind != "chat.completion" || text == "" {
			return fmt.Sprintf("not an OpenAI chat completion: %.200s", b)
		}
	}
	return ""
}
