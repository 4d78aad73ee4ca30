package transformer

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// NewStreamConverter returns the converter for c's direction: it reads the
// events of an upstream speaking c.To and writes events a caller speaking
// c.From understands. When both formats are the same it passes every event
// through unchanged, still tracking usage and still ending a cut stream
// well-formed. A nil c, or one naming no valid format, gives a converter
// that passes events through and adds nothing at the end.
//
// The converters never fail on what the upstream sends: an event they cannot
// read, or one of a type they do not know, is passed over. Their Event method
// always returns a nil error.
func NewStreamConverter(c *Conversion) StreamConverter {
	return newStreamConverter(c, time.Now)
}

// newStreamConverter takes the clock that stamps OpenAI chunks and
// Responses objects, so that golden files stay byte-identical.
func newStreamConverter(c *Conversion, now func() time.Time) StreamConverter {
	if c != nil && c.From == Gemini && c.JSONArray {
		cc := *c
		cc.JSONArray = false
		return &jsonArrayStream{inner: newStreamConverter(&cc, now)}
	}
	if c == nil {
		return &streamPassThrough{c: &Conversion{}}
	}
	_, fromOK := streamCodecs[c.From]
	_, toOK := streamCodecs[c.To]
	if c.From == c.To || !fromOK || !toOK {
		return &streamPassThrough{c: c}
	}
	up, caller := streamCodecs[c.To], streamCodecs[c.From]
	s := &formStream{dec: up.newStreamDecoder(c), enc: caller.newStreamEncoder(c, now)}
	s.evs = s.buf[:0]
	return s
}

// streamCodec is the stream side of a format's codec: it reads the format's
// upstream events into form events and writes form events as the format's
// caller events.
type streamCodec interface {
	newStreamDecoder(c *Conversion) streamDecoder
	newStreamEncoder(c *Conversion, now func() time.Time) streamEncoder
}

// streamCodecs holds the stream codec of every format.
var streamCodecs = map[Format]streamCodec{
	Anthropic: anthropicCodec{},
	OpenAI:    chatCodec{},
	Responses: responsesCodec{},
	Gemini:    geminiCodec{},
}

// streamDecoder turns one upstream's events into form events. The events it
// appends may view the upstream event and the decoder's own scratch space:
// they are valid until the next call.
type streamDecoder interface {
	// decode appends the form events one upstream event stands for.
	decode(evs []formEvent, ev Event) []formEvent
	// end appends what finishes the stream: the held stop of a complete
	// answer, or an error event when err is not nil or the answer is not
	// complete. Nothing once the stream has ended.
	end(evs []formEvent, err error) []formEvent
	// usage returns the usage seen so far.
	usage() Usage
}

// streamEncoder writes form events as a caller's SSE events. An encoder
// keeps its caller's stream well-formed whatever order the events come in:
// it starts the answer when the first event is not a start, closes what is
// open before the end, and writes nothing after the end but, where its
// format allows, one error event.
type streamEncoder interface {
	encode(dst []byte, ev *formEvent) []byte
}

// formStream converts through the intermediate form: the upstream format's
// decoder, then the caller format's encoder. evs is reused from event to
// event, so that a steady stream allocates nothing.
type formStream struct {
	dec streamDecoder
	enc streamEncoder
	evs []formEvent
	// buf holds the events of most upstream events, so that evs needs no
	// allocation of its own.
	buf [4]formEvent
}

func (s *formStream) Event(dst []byte, ev Event) ([]byte, error) {
	s.evs = s.dec.decode(s.evs[:0], ev)
	for i := range s.evs {
		dst = s.enc.encode(dst, &s.evs[i])
	}
	clear(s.evs) // drop the views into the event's bytes
	return dst, nil
}

func (s *formStream) End(dst []byte, err error) []byte {
	s.evs = s.dec.end(s.evs[:0], err)
	for i := range s.evs {
		dst = s.enc.encode(dst, &s.evs[i])
	}
	clear(s.evs)
	return dst
}

func (s *formStream) Usage() Usage { return s.dec.usage() }

// Interface guards.
var (
	_ StreamConverter = (*formStream)(nil)
	_ StreamConverter = (*streamPassThrough)(nil)
	_ streamCodec     = anthropicCodec{}
	_ streamCodec     = chatCodec{}
	_ streamCodec     = responsesCodec{}
)

// streamEndError is the error event of a stream that ended before its
// final event.
func streamEndError(err error, u Usage) formEvent {
	return formEvent{Kind: eventError, Usage: u, Err: formError{Type: errKindAPI, Message: streamEndMessage(err)}}
}

// tokenView views a string token kept in a decoder's scratch space.
func tokenView(b []byte, from int) jsonx.Value { return jsonx.Value(jsonx.BytesString(b[from:])) }

// streamPassThrough forwards a stream whose caller speaks the upstream's
// format. It watches just enough of the stream to finish it properly when
// the upstream stops early.
type streamPassThrough struct {
	c     *Conversion
	meter UsageMeter

	started  bool    // Anthropic: message_start seen; Responses: response.created seen
	finished bool    // Anthropic: message_delta seen; OpenAI: a finish_reason seen
	done     bool    // message_stop, [DONE], a final Responses event or an error event went out
	open     []int64 // Anthropic blocks started and not stopped

	// Responses: the next sequence_number, and the response's id, model and
	// creation time for the response.failed that ends a cut stream.
	seq    int64
	resp   responsesHead
	usageR Usage
}

func (p *streamPassThrough) Event(dst []byte, ev Event) ([]byte, error) {
	dst = ev.AppendTo(dst)
	if p.c.To == Gemini {
		p.geminiEvent(ev)
		return dst, nil
	}
	if !p.c.To.Valid() {
		return dst, nil
	}
	data := jsonx.BytesString(ev.Data)
	if p.c.To == Anthropic && ev.Type == "" {
		// Forwarded as it came, but understood as the converters do.
		ev.Type = gjson.Get(data, "type").String()
	}
	if p.c.To == Responses {
		p.responsesEvent(ev)
		return dst, nil
	}
	p.meter.Observe(p.c.To, ev)
	if p.done {
		return dst, nil
	}
	if p.c.To == Anthropic {
		switch ev.Type {
		case "message_start":
			p.started = true
		case "content_block_start":
			if i := gjson.Get(data, "index"); i.Type == gjson.Number {
				p.open = append(p.open, i.Int())
			}
		case "content_block_stop":
			if i := gjson.Get(data, "index"); i.Type == gjson.Number {
				for k, idx := range p.open {
					if idx == i.Int() {
						p.open = append(p.open[:k], p.open[k+1:]...)
						break
					}
				}
			}
		case "message_delta":
			p.finished = true
		case "message_stop", "error":
			p.done = true
		}
		return dst, nil
	}
	switch {
	case isStreamDone(ev.Data), ev.Type == "error", hasStreamError(ev.Data):
		p.done = true
	case !p.finished && bytes.Contains(ev.Data, streamFinishKey):
		gjson.Get(data, "choices").ForEach(func(_, ch gjson.Result) bool {
			p.finished = ch.Get("finish_reason").String() != ""
			return !p.finished
		})
	}
	return dst, nil
}

func (p *streamPassThrough) End(dst []byte, err error) []byte {
	if p.done || !p.c.To.Valid() && p.c.To != Gemini {
		return dst
	}
	p.done = true
	if p.c.To == Gemini {
		if err == nil && p.finished {
			return dst
		}
		return appendGeminiStreamError(dst, formError{Type: errKindAPI, Message: streamEndMessage(err)})
	}
	if p.c.To == Responses {
		if p.resp.id == "" {
			p.resp.set("resp_"+rand.Text(), p.c.Model, time.Now().Unix())
		}
		return p.resp.appendFailed(dst, p.seq, formError{Type: errKindAPI, Message: streamEndMessage(err)}, nil)
	}
	if p.c.To == Anthropic {
		if !p.started {
			dst = appendStreamMessageStart(dst, "msg_"+rand.Text(), p.c.Model, p.meter.Usage)
		}
		for _, idx := range p.open {
			dst = appendStreamBlockStop(dst, int(idx))
		}
		if !p.finished {
			dst = appendStreamMessageDelta(dst, "", p.meter.Usage, p.meter.Seen())
		}
		dst = appendStreamAnthropicEvent(dst, "message_stop", `{"type":"message_stop"}`)
		if err == nil && p.finished {
			return dst
		}
		return appendStreamAnthropicError(dst, "api_error", streamEndMessage(err))
	}
	if err == nil && p.finished {
		return append(dst, "data: [DONE]\n\n"...)
	}
	return appendStreamOpenAIError(dst, streamEndMessage(err), "server_error")
}

func (p *streamPassThrough) Usage() Usage {
	if p.c.To == Responses || p.c.To == Gemini {
		return p.usageR
	}
	return p.meter.Usage
}

// geminiEvent follows a passed-through Gemini stream: its cumulative usage
// (the last chunk's), whether a finishReason came, and an error chunk.
func (p *streamPassThrough) geminiEvent(ev Event) {
	if p.done {
		return
	}
	it, ok := jsonx.Object(jsonx.BytesString(ev.Data))
	if !ok {
		return
	}
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "usageMetadata":
			if v.IsObject() {
				p.usageR = geminiStreamUsage(v)
			}
		case "error":
			if v.IsObject() {
				p.done = true
			}
		case "candidates":
			cs := v.Values()
			c, _ := cs.Next()
			if c.Get("finishReason").IsString() {
				p.finished = true
			}
		}
	}
}

// responsesEvent follows a passed-through Responses stream: its sequence
// numbers, the response's head and the usage of its final event. The usage
// is read here rather than through UsageMeter, with the same reader the
// Responses decoder uses.
func (p *streamPassThrough) responsesEvent(ev Event) {
	data := jsonx.BytesString(ev.Data)
	if p.done {
		return
	}
	if n := gjson.Get(data, "sequence_number"); n.Type == gjson.Number {
		p.seq = n.Int() + 1
	} else {
		p.seq++
	}
	typ := ev.Type
	if typ == "" {
		typ = gjson.Get(data, "type").String()
	}
	switch typ {
	case "response.created", "response.in_progress":
		if !p.started {
			p.started = true
			r := gjson.Get(data, "response")
			p.resp.set(r.Get("id").String(), r.Get("model").String(), r.Get("created_at").Int())
		}
	case "response.completed", "response.incomplete", "response.failed":
		p.usageR = responsesUsage(gjson.Get(data, "response.usage"))
		p.done = true
	case "error":
		p.done = true
	}
}

var (
	streamDoneMarker = []byte("[DONE]")
	streamFinishKey  = []byte(`"finish_reason"`)
	streamErrorKey   = []byte(`"error"`)
)

// isStreamDone reports whether data is OpenAI's end-of-stream sentinel.
func isStreamDone(data []byte) bool {
	return bytes.Equal(bytes.TrimSpace(data), streamDoneMarker)
}

// hasStreamError reports whether an OpenAI chunk is an error report: a
// top-level "error" that is not null.
func hasStreamError(data []byte) bool {
	if !bytes.Contains(data, streamErrorKey) {
		return false
	}
	t := jsonx.TrimSpace(jsonx.BytesString(data))
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	e := gjson.Get(t, "error")
	return e.Exists() && e.Type != gjson.Null
}

// streamEndMessage says why a stream ended early, in words fit for the caller:
// a transport error's URL may carry credentials, so only its operation and
// cause are kept.
func streamEndMessage(err error) string {
	if err == nil {
		return "upstream stream ended before its final event"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "upstream stream ended early: " + ue.Op + ": " + ue.Err.Error()
	}
	return "upstream stream ended early: " + err.Error()
}

// appendStreamAnthropicEvent frames one Anthropic event. data is built by this
// package and holds no line breaks, so it needs none of AppendEvent's
// splitting.
func appendStreamAnthropicEvent(dst []byte, typ, data string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n')
}

func appendStreamMessageStart(dst []byte, id, model string, u Usage) []byte {
	dst = append(dst, "event: message_start\ndata: "...)
	dst = append(dst, `{"type":"message_start","message":{"id":`...)
	dst = jsonx.AppendString(dst, id)
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = jsonx.AppendString(dst, model)
	dst = append(dst, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	dst = strconv.AppendInt(dst, u.Input, 10)
	dst = append(dst, `,"cache_creation_input_tokens":`...)
	dst = strconv.AppendInt(dst, u.CacheWrite, 10)
	dst = append(dst, `,"cache_read_input_tokens":`...)
	dst = strconv.AppendInt(dst, u.CacheRead, 10)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, u.Output, 10)
	return append(dst, "}}}\n\n"...)
}

// appendStreamMessageDelta writes the final message_delta. stop is the
// Anthropic stop reason, "" for null. Usage nobody reported is left out
// rather than sent as zeros that would overwrite message_start's counts,
// except output_tokens, which the event requires.
func appendStreamMessageDelta(dst []byte, stop string, m Usage, seen bool) []byte {
	dst = append(dst, "event: message_delta\ndata: "...)
	dst = append(dst, `{"type":"message_delta","delta":{"stop_reason":`...)
	if stop == "" {
		dst = append(dst, "null"...)
	} else {
		dst = jsonx.AppendString(dst, stop)
	}
	dst = append(dst, `,"stop_sequence":null},"usage":{`...)
	if seen {
		dst = append(dst, `"input_tokens":`...)
		dst = strconv.AppendInt(dst, m.Input, 10)
		dst = append(dst, `,"cache_creation_input_tokens":`...)
		dst = strconv.AppendInt(dst, m.CacheWrite, 10)
		dst = append(dst, `,"cache_read_input_tokens":`...)
		dst = strconv.AppendInt(dst, m.CacheRead, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"output_tokens":`...)
	dst = strconv.AppendInt(dst, m.Output, 10)
	return append(dst, "}}\n\n"...)
}

func appendStreamBlockStop(dst []byte, index int) []byte {
	dst = append(dst, "event: content_block_stop\ndata: "...)
	dst = append(dst, `{"type":"content_block_stop","index":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, "}\n\n"...)
}

// appendStreamAnthropicError writes an error event, which anthropic-sdk-go turns
// into the stream's error.
func appendStreamAnthropicError(dst []byte, typ, message string) []byte {
	dst = append(dst, "event: error\ndata: "...)
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = jsonx.AppendString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = jsonx.AppendString(dst, message)
	return append(dst, "}}\n\n"...)
}

// appendStreamOpenAIError writes an error chunk. It is the last thing an OpenAI
// caller gets: no [DONE] follows, because clients that skip error chunks
// would take [DONE] for a complete answer, while a stream that just stops
// reads as the failure it is.
func appendStreamOpenAIError(dst []byte, message, typ string) []byte {
	dst = append(dst, `data: {"error":{"message":`...)
	dst = jsonx.AppendString(dst, message)
	dst = append(dst, `,"type":`...)
	dst = jsonx.AppendString(dst, typ)
	return append(dst, ",\"param\":null,\"code\":null}}\n\n"...)
}

// nonEmptyStringToken reports whether raw is a string token with content.
func nonEmptyStringToken(raw string) bool { return len(raw) > 2 && raw[0] == '"' }

// parseIndexToken reads a non-negative integer token.
func parseIndexToken(raw string) (int64, bool) {
	if raw == "" || len(raw) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// stringTokenIs reports whether raw is the string token for s (s needing no
// escapes).
func stringTokenIs(raw, s string) bool {
	return len(raw) == len(s)+2 && raw[0] == '"' && raw[len(raw)-1] == '"' && raw[1:len(raw)-1] == s
}
