package transformer

import (
	"crypto/rand"
	"strconv"
	"time"

	"github.com/routex/routex/internal/jsonx"
)

// The Gemini stream (streamGenerateContent with alt=sse): data-only events,
// each a whole GenerateContentResponse whose first candidate holds the
// parts added since the last chunk. A function call comes whole in one
// part; thoughtSignature sits beside the part it signs; finishReason is on
// the last chunk; usageMetadata is cumulative on every chunk; nothing marks
// the end but the end of the body.

func (geminiCodec) newStreamDecoder(c *Conversion) streamDecoder {
	d := &geminiStreamDecoder{c: c, cur: -1}
	d.scratch = d.scratchBuf[:0]
	return d
}

func (geminiCodec) newStreamEncoder(c *Conversion, _ func() time.Time) streamEncoder {
	e := &geminiStreamEncoder{c: c}
	e.calls = e.callBuf[:0]
	return e
}

// geminiStreamDecoder reads a Gemini upstream's chunks. The stop a
// finishReason gives is held until the body ends, since only the end of
// the body says the answer is whole, and a later chunk may still bring
// usage.
type geminiStreamDecoder struct {
	c *Conversion

	started bool
	done    bool
	// cur is the form index of the open text or thinking block, -1 when
	// none is open; curKind its kind.
	cur     int
	curKind blockKind
	next    int // the form index of the next block
	calls   int // function calls seen, for their ids

	stop     stopReason
	stopSeen bool
	u        Usage

	scratch    []byte
	scratchBuf [256]byte
}

func (d *geminiStreamDecoder) usage() Usage { return d.u }

func (d *geminiStreamDecoder) decode(evs []formEvent, ev Event) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	it, ok := jsonx.Object(jsonx.BytesString(ev.Data))
	if !ok {
		return evs
	}
	var cands, id, model, errv, feedback jsonx.Value
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "candidates":
			cands = v
		case "usageMetadata":
			if v.IsObject() {
				d.u = geminiStreamUsage(v)
			}
		case "responseId":
			id = v
		case "modelVersion":
			model = v
		case "error":
			errv = v
		case "promptFeedback":
			feedback = v
		}
	}
	if errv.IsObject() {
		d.done = true
		return append(evs, formEvent{Kind: eventError, Usage: d.u, Err: geminiStreamError(errv)})
	}
	if !d.started {
		d.started = true
		evs = append(evs, formEvent{Kind: eventStart, ID: id, Model: model, Usage: d.u})
	}
	cs := cands.Values()
	cand, _ := cs.Next()
	var finish jsonx.Value
	ci := cand.Members()
	for k, v, ok := ci.Next(); ok; k, v, ok = ci.Next() {
		switch k {
		case "content":
			evs = d.parts(evs, v.Get("parts"))
		case "finishReason":
			finish = v
		}
	}
	if finish.IsString() {
		r := finish.Str()
		if geminiStreamFailed(r) {
			d.done = true
			return append(evs, formEvent{Kind: eventError, Usage: d.u,
				Err: formError{Type: errKindAPI, Message: "upstream model ended with " + r}})
		}
		d.stop, d.stopSeen = geminiStreamStop(r, d.calls > 0), true
	} else if br := feedback.Get("blockReason"); br.IsString() && !d.stopSeen {
		d.stop, d.stopSeen = stopRefusal, true
	}
	return evs
}

// parts turns one chunk's parts into block events.
func (d *geminiStreamDecoder) parts(evs []formEvent, parts jsonx.Value) []formEvent {
	pi := parts.Values()
	for p, ok := pi.Next(); ok; p, ok = pi.Next() {
		var gp geminiPart
		gp.read(p)
		text, sig, call, thought := gp.text, gp.signature, gp.call, gp.thought
		switch {
		case call.IsObject():
			evs = d.call(evs, call, sig)
		case text.IsString():
			kind, delta := blockText, deltaText
			if thought {
				kind, delta = blockThinking, deltaThinking
			}
			if d.cur >= 0 && d.curKind != kind {
				evs = d.closeCurrent(evs)
			}
			if d.cur < 0 {
				if !nonEmptyStringToken(string(text)) && !sig.IsString() {
					continue
				}
				d.cur, d.curKind = d.next, kind
				d.next++
				evs = append(evs, formEvent{Kind: eventBlockStart, Index: d.cur, Block: formPart{Kind: kind, Origin: Gemini}})
			}
			if nonEmptyStringToken(string(text)) {
				evs = append(evs, formEvent{Kind: eventDelta, Index: d.cur, Delta: delta, Text: text})
			}
			if nonEmptyStringToken(string(sig)) {
				evs = append(evs, formEvent{Kind: eventDelta, Index: d.cur, Delta: deltaSignature, Text: sig,
					Block: formPart{Kind: kind, Origin: Gemini}})
			}
		}
	}
	return evs
}

// call writes one function call: a whole block, its arguments in one delta.
func (d *geminiStreamDecoder) call(evs []formEvent, call, sig jsonx.Value) []formEvent {
	evs = d.closeCurrent(evs)
	from := len(d.scratch)
	d.scratch = append(d.scratch, `"call_`...)
	d.scratch = strconv.AppendInt(d.scratch, int64(d.calls), 10)
	d.scratch = append(d.scratch, '"')
	id := tokenView(d.scratch, from)
	d.calls++
	index := d.next
	d.next++
	name := call.Get("name")
	if !name.IsString() {
		name = `""`
	}
	evs = append(evs, formEvent{Kind: eventBlockStart, Index: index,
		Block: formPart{Kind: blockToolCall, ID: id, Name: name, Origin: Gemini}})
	args := call.Get("args")
	if !args.IsObject() {
		args = "{}"
	}
	from = len(d.scratch)
	d.scratch = jsonx.AppendAsString(d.scratch, string(args))
	// The id above views the scratch bytes; when the arguments outgrow
	// them the id's old bytes stay valid, as nothing writes over them.
	evs = append(evs, formEvent{Kind: eventDelta, Index: index, Delta: deltaInput, Text: tokenView(d.scratch, from)})
	if nonEmptyStringToken(string(sig)) {
		evs = append(evs, formEvent{Kind: eventDelta, Index: index, Delta: deltaSignature, Text: sig,
			Block: formPart{Kind: blockToolCall, Origin: Gemini}})
	}
	return append(evs, formEvent{Kind: eventBlockStop, Index: index})
}

func (d *geminiStreamDecoder) closeCurrent(evs []formEvent) []formEvent {
	if d.cur < 0 {
		return evs
	}
	evs = append(evs, formEvent{Kind: eventBlockStop, Index: d.cur})
	d.cur = -1
	return evs
}

func (d *geminiStreamDecoder) end(evs []formEvent, err error) []formEvent {
	if d.done {
		return evs
	}
	d.done = true
	if err != nil || !d.stopSeen {
		return append(evs, streamEndError(err, d.u))
	}
	if !d.started {
		d.started = true
		evs = append(evs, formEvent{Kind: eventStart, Usage: d.u})
	}
	evs = d.closeCurrent(evs)
	return append(evs, formEvent{Kind: eventStop, Stop: d.stop, Usage: d.u})
}

// geminiStreamUsage reads a usageMetadata object. promptTokenCount
// includes the cached tokens, which Usage counts apart; thoughts are
// output tokens spent on reasoning.
func geminiStreamUsage(v jsonx.Value) Usage {
	var prompt, cached, cands, thoughts int64
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		n, _ := parseIndexToken(string(x))
		switch k {
		case "promptTokenCount":
			prompt = n
		case "cachedContentTokenCount":
			cached = n
		case "candidatesTokenCount":
			cands = n
		case "thoughtsTokenCount":
			thoughts = n
		}
	}
	return Usage{Input: max(prompt-cached, 0), CacheRead: cached, Output: cands + thoughts, Reasoning: thoughts}
}

// geminiStreamFailed reports the finish reasons that mean the model's
// answer is broken rather than finished.
func geminiStreamFailed(r string) bool {
	switch r {
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "MALFORMED_RESPONSE":
		return true
	}
	return false
}

// geminiStreamStop maps a finish reason. Gemini ends a turn of function
// calls with STOP; for every other format that is a tool turn.
func geminiStreamStop(r string, calls bool) stopReason {
	switch r {
	case "MAX_TOKENS":
		return stopMaxTokens
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE", "OTHER",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE":
		return stopRefusal
	}
	if calls {
		return stopToolUse
	}
	return stopEnd
}

// geminiStreamError reads an error chunk's google.rpc status.
func geminiStreamError(e jsonx.Value) formError {
	fe := formError{Type: errKindAPI, Message: e.Get("message").Text()}
	if n, ok := parseIndexToken(string(e.Get("code"))); ok && n < 1000 {
		fe.Status = int(n)
	}
	status := e.Get("status").Text()
	switch status {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		fe.Type = errKindInvalidRequest
	case "UNAUTHENTICATED":
		fe.Type = errKindAuthentication
	case "PERMISSION_DENIED":
		fe.Type = errKindPermission
	case "NOT_FOUND":
		fe.Type = errKindNotFound
	case "RESOURCE_EXHAUSTED":
		fe.Type = errKindRateLimit
	case "UNAVAILABLE":
		fe.Type = errKindOverloaded
	case "DEADLINE_EXCEEDED":
		fe.Type = errKindTimeout
	}
	if fe.Message == "" {
		fe.Message = "upstream stream error"
		if status != "" {
			fe.Message += ": " + status
		}
	}
	return fe
}

// geminiStreamEncoder writes form events as Gemini chunks.
type geminiStreamEncoder struct {
	c *Conversion

	id      []byte // the responseId, a string token
	started bool
	done    bool
	// kinds holds the kind of each form block by index, so that deltas
	// know whether they are thinking.
	kinds []blockKind
	// calls are the tool calls open, their names and arguments gathered
	// until they stop.
	calls []geminiEncCall
	u     Usage

	callBuf [4]geminiEncCall
	kindBuf [16]blockKind
	idBuf   [48]byte
}

type geminiEncCall struct {
	index int
	open  bool
	name  []byte // a string token
	args  []byte // the arguments' JSON
	sig   []byte // a Gemini thoughtSignature token
}

func (e *geminiStreamEncoder) encode(dst []byte, ev *formEvent) []byte {
	if e.done {
		return dst
	}
	if !e.started {
		e.start(ev)
	}
	switch ev.Kind {
	case eventBlockStart:
		e.blockStart(ev)
	case eventDelta:
		return e.delta(dst, ev)
	case eventBlockStop:
		if c := e.call(ev.Index); c != nil && c.open {
			return e.appendCall(dst, c)
		}
	case eventStop:
		e.u = ev.Usage
		for i := range e.calls {
			if c := &e.calls[i]; c.open {
				dst = e.appendCall(dst, c)
			}
		}
		e.done = true
		dst = e.head(dst)
		dst = append(dst, `"finishReason":"`...)
		dst = append(dst, geminiFinishString(ev.Stop)...)
		dst = append(dst, `","index":0}],"usageMetadata":`...)
		dst = appendGeminiUsage(dst, e.u)
		return e.tail(dst)
	case eventError:
		e.done = true
		return appendGeminiStreamError(dst, ev.Err)
	}
	return dst
}

func (e *geminiStreamEncoder) start(ev *formEvent) {
	e.started = true
	e.id = e.idBuf[:0]
	if ev.Kind == eventStart && nonEmptyStringToken(string(ev.ID)) {
		e.id = jsonx.AppendToken(e.id, string(ev.ID))
	} else {
		e.id = jsonx.AppendString(e.id, rand.Text())
	}
	e.kinds = e.kindBuf[:0]
	e.u = ev.Usage
}

func (e *geminiStreamEncoder) blockStart(ev *formEvent) {
	if ev.Index < 0 || ev.Index > 1<<16 {
		return
	}
	for len(e.kinds) <= ev.Index {
		e.kinds = append(e.kinds, blockRedacted)
	}
	e.kinds[ev.Index] = ev.Block.Kind
	if ev.Block.Kind != blockToolCall {
		return
	}
	c := e.call(ev.Index)
	if c == nil {
		// Reuse a stopped call's buffers before growing.
		for i := range e.calls {
			if !e.calls[i].open {
				c = &e.calls[i]
				break
			}
		}
		if c == nil {
			e.calls = append(e.calls, geminiEncCall{})
			c = &e.calls[len(e.calls)-1]
		}
	}
	c.index, c.open = ev.Index, true
	c.name = c.name[:0]
	if ev.Block.Name.IsString() {
		c.name = jsonx.AppendToken(c.name, string(ev.Block.Name))
	}
	c.args, c.sig = c.args[:0], c.sig[:0]
}

func (e *geminiStreamEncoder) call(index int) *geminiEncCall {
	for i := range e.calls {
		if c := &e.calls[i]; c.open && c.index == index {
			return c
		}
	}
	return nil
}

func (e *geminiStreamEncoder) kind(index int) (blockKind, bool) {
	if index < 0 || index >= len(e.kinds) {
		return 0, false
	}
	return e.kinds[index], true
}

func (e *geminiStreamEncoder) delta(dst []byte, ev *formEvent) []byte {
	kind, ok := e.kind(ev.Index)
	if !ok {
		return dst
	}
	switch ev.Delta {
	case deltaText, deltaRefusal:
		if kind == blockThinking || kind == blockToolCall || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		dst = e.head(dst)
		dst = append(dst, `"content":{"role":"model","parts":[{"text":`...)
		dst = jsonx.AppendToken(dst, string(ev.Text))
	case deltaThinking:
		if kind != blockThinking || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		dst = e.head(dst)
		dst = append(dst, `"content":{"role":"model","parts":[{"text":`...)
		dst = jsonx.AppendToken(dst, string(ev.Text))
		dst = append(dst, `,"thought":true`...)
	case deltaInput:
		if c := e.call(ev.Index); c != nil && ev.Text.IsString() {
			c.args = jsonx.AppendUnescaped(c.args, ev.Text.Body())
		}
		return dst
	case deltaSignature:
		// Only a signature Gemini wrote goes back to Gemini.
		if ev.Block.Origin != Gemini || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		if c := e.call(ev.Index); c != nil {
			c.sig = jsonx.AppendToken(c.sig[:0], string(ev.Text))
			return dst
		}
		dst = e.head(dst)
		dst = append(dst, `"content":{"role":"model","parts":[{"text":""`...)
		if kind == blockThinking {
			dst = append(dst, `,"thought":true`...)
		}
		dst = append(dst, `,"thoughtSignature":`...)
		dst = jsonx.AppendToken(dst, string(ev.Text))
	default:
		return dst
	}
	dst = append(dst, `}]},"index":0}]`...)
	return e.tail(dst)
}

// appendCall writes a stopped tool call as one functionCall part.
func (e *geminiStreamEncoder) appendCall(dst []byte, c *geminiEncCall) []byte {
	c.open = false
	dst = e.head(dst)
	dst = append(dst, `"content":{"role":"model","parts":[{"functionCall":{"name":`...)
	if len(c.name) == 0 {
		dst = append(dst, `""`...)
	} else {
		dst = append(dst, c.name...)
	}
	dst = append(dst, `,"args":`...)
	if args := jsonx.TrimSpace(jsonx.BytesString(c.args)); len(args) > 0 && args[0] == '{' && jsonx.Valid(args) {
		dst = append(dst, args...)
	} else {
		dst = append(dst, "{}"...)
	}
	dst = append(dst, '}')
	if len(c.sig) > 0 {
		dst = append(dst, `,"thoughtSignature":`...)
		dst = append(dst, c.sig...)
	}
	dst = append(dst, `}]},"index":0}]`...)
	return e.tail(dst)
}

// head opens a chunk up to its first candidate's members.
func (e *geminiStreamEncoder) head(dst []byte) []byte {
	return append(dst, `data: {"candidates":[{`...)
}

// tail ends a chunk whose candidates were just closed.
func (e *geminiStreamEncoder) tail(dst []byte) []byte {
	dst = append(dst, `,"modelVersion":`...)
	dst = jsonx.AppendString(dst, e.c.Model)
	dst = append(dst, `,"responseId":`...)
	dst = append(dst, e.id...)
	return append(dst, "}\n\n"...)
}

// appendGeminiStreamError writes the error chunk that ends a Gemini
// stream: google.rpc's status, which genai turns into the stream's error.
func appendGeminiStreamError(dst []byte, fe formError) []byte {
	code, status := geminiStreamStatus(fe)
	dst = append(dst, `data: {"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"message":`...)
	dst = jsonx.AppendString(dst, fe.Message)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	return append(dst, "\"}}\n\n"...)
}

// geminiStreamStatus names an error's HTTP status and google.rpc code.
func geminiStreamStatus(fe formError) (int, string) {
	switch fe.Type {
	case errKindInvalidRequest, errKindTooLarge:
		return 400, "INVALID_ARGUMENT"
	case errKindAuthentication:
		return 401, "UNAUTHENTICATED"
	case errKindPermission:
		return 403, "PERMISSION_DENIED"
	case errKindNotFound:
		return 404, "NOT_FOUND"
	case errKindRateLimit:
		return 429, "RESOURCE_EXHAUSTED"
	case errKindOverloaded:
		return 503, "UNAVAILABLE"
	case errKindTimeout:
		return 504, "DEADLINE_EXCEEDED"
	}
	return 500, "INTERNAL"
}

var _ streamCodec = geminiCodec{}
