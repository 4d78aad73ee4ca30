package transformer

import (
	"crypto/rand"
	"github.com/routex/routex/internal/jsonx"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The Anthropic Messages stream: message_start, per block
// content_block_start, content_block_delta*, content_block_stop, then
// message_delta (stop reason, cumulative usage) and message_stop; ping and
// error may come at any time.

func (anthropicCodec) newStreamDecoder(c *Conversion) streamDecoder {
	d := &anthropicStreamDecoder{c: c}
	d.blocks, d.scratch = d.blockBuf[:0], d.scratchBuf[:0]
	return d
}

func (anthropicCodec) newStreamEncoder(c *Conversion, _ func() time.Time) streamEncoder {
	e := &anthropicStreamEncoder{c: c}
	e.blocks = e.blockBuf[:0]
	return e
}

// anthropicStreamDecoder reads an Anthropic upstream's events.
type anthropicStreamDecoder struct {
	c     *Conversion
	meter UsageMeter

	// blocks maps the upstream's block indices to form blocks. Blocks that
	// ran at the provider (server tools and their results) map to none:
	// the caller has nothing to run or show.
	blocks []anthropicStreamBlock
	next   int // the form index of the next block

	stop     stopReason
	stopSeen bool // message_delta gave a stop reason
	started  bool
	done     bool
	scratch  []byte

	// A stream's first blocks and names need no allocation of their own.
	blockBuf   [8]anthropicStreamBlock
	scratchBuf [128]byte
}

type anthropicStreamBlock struct {
	upstream int64
	form     int // -1: not passed on
	kind     blockKind
	open     bool
}

func (d *anthropicStreamDecoder) usage() Usage { return d.meter.Usage }

func (d *anthropicStreamDecoder) decode(evs []formEvent, ev Event) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	data := jsonx.BytesString(ev.Data)
	if ev.Type == "" {
		// Some Anthropic-compatible upstreams leave out the event line; the
		// data names the type as well.
		ev.Type = gjson.Get(data, "type").String()
	}
	switch ev.Type {
	case "content_block_delta":
		return d.blockDelta(evs, data)
	case "message_start":
		d.meter.Observe(Anthropic, ev)
		if d.started {
			return evs
		}
		msg := gjson.Get(data, "message")
		d.started = true
		return append(evs, formEvent{Kind: eventStart, ID: jsonx.Value(msg.Get("id").Raw),
			Model: jsonx.Value(msg.Get("model").Raw), Usage: d.meter.Usage})
	case "content_block_start":
		return d.blockStart(evs, data)
	case "content_block_stop":
		if i := gjson.Get(data, "index"); i.Type == gjson.Number {
			if b := d.block(i.Int()); b != nil && b.open {
				b.open = false
				if b.form >= 0 {
					evs = append(evs, formEvent{Kind: eventBlockStop, Index: b.form})
				}
			}
		}
		return evs
	case "message_delta":
		d.meter.Observe(Anthropic, ev)
		if sr := gjson.Get(data, "delta.stop_reason"); sr.Type == gjson.String && sr.Str != "" {
			d.stop, d.stopSeen = anthropicStopReason(sr.Str), true
		}
		return evs
	case "message_stop":
		return d.finish(evs)
	case "error":
		d.done = true
		e := gjson.Get(data, "error")
		msg := e.Get("message").String()
		if msg == "" && e.Type == gjson.String {
			msg = e.Str
		}
		if msg == "" {
			msg = "upstream stream error"
		}
		return append(evs, formEvent{Kind: eventError, Usage: d.meter.Usage,
			Err: formError{Type: anthropicErrorKind(e.Get("type").String()), Message: msg}})
	}
	// ping and types added after this was written carry nothing to pass on.
	return evs
}

func (d *anthropicStreamDecoder) end(evs []formEvent, err error) []formEvent {
	if d.done {
		return evs
	}
	if err == nil && d.stopSeen {
		// Only message_stop was lost; message_delta carried everything.
		return d.finish(evs)
	}
	d.done = true
	return append(evs, streamEndError(err, d.meter.Usage))
}

// finish ends a complete answer: open blocks close, then the stop.
func (d *anthropicStreamDecoder) finish(evs []formEvent) []formEvent {
	evs = d.ensureStarted(evs)
	for i := range d.blocks {
		if b := &d.blocks[i]; b.open && b.form >= 0 {
			b.open = false
			evs = append(evs, formEvent{Kind: eventBlockStop, Index: b.form})
		}
	}
	d.done = true
	stop := d.stop
	if !d.stopSeen {
		stop = stopEnd
	}
	return append(evs, formEvent{Kind: eventStop, Stop: stop, Usage: d.meter.Usage})
}

// ensureStarted starts the answer when the upstream skipped message_start.
func (d *anthropicStreamDecoder) ensureStarted(evs []formEvent) []formEvent {
	if d.started {
		return evs
	}
	d.started = true
	return append(evs, formEvent{Kind: eventStart, Usage: d.meter.Usage})
}

func (d *anthropicStreamDecoder) block(upstream int64) *anthropicStreamBlock {
	for i := len(d.blocks) - 1; i >= 0; i-- {
		if d.blocks[i].upstream == upstream {
			return &d.blocks[i]
		}
	}
	return nil
}

// open starts a form block for the upstream's block index.
func (d *anthropicStreamDecoder) open(evs []formEvent, upstream int64, part formPart) []formEvent {
	evs = d.ensureStarted(evs)
	b := d.block(upstream)
	if b == nil {
		d.blocks = append(d.blocks, anthropicStreamBlock{})
		b = &d.blocks[len(d.blocks)-1]
	} else if b.open && b.form >= 0 {
		evs = append(evs, formEvent{Kind: eventBlockStop, Index: b.form})
	}
	*b = anthropicStreamBlock{upstream: upstream, form: d.next, kind: part.Kind, open: true}
	d.next++
	return append(evs, formEvent{Kind: eventBlockStart, Index: b.form, Block: part})
}

func (d *anthropicStreamDecoder) blockStart(evs []formEvent, data string) []formEvent {
	ev := gjson.Parse(data)
	idx := ev.Get("index")
	if idx.Type != gjson.Number {
		return evs
	}
	cb := ev.Get("content_block")
	switch cb.Get("type").String() {
	case "text":
		evs = d.open(evs, idx.Int(), formPart{Kind: blockText})
		if t := cb.Get("text"); t.Type == gjson.String && nonEmptyStringToken(t.Raw) {
			evs = append(evs, formEvent{Kind: eventDelta, Index: d.next - 1, Delta: deltaText, Text: jsonx.Value(t.Raw)})
		}
	case "thinking":
		evs = d.open(evs, idx.Int(), formPart{Kind: blockThinking, Origin: Anthropic})
		if t := cb.Get("thinking"); t.Type == gjson.String && nonEmptyStringToken(t.Raw) {
			evs = append(evs, formEvent{Kind: eventDelta, Index: d.next - 1, Delta: deltaThinking, Text: jsonx.Value(t.Raw)})
		}
		if s := cb.Get("signature"); s.Type == gjson.String && nonEmptyStringToken(s.Raw) {
			evs = append(evs, formEvent{Kind: eventDelta, Index: d.next - 1, Delta: deltaSignature,
				Text: jsonx.Value(s.Raw), Block: formPart{Origin: Anthropic}})
		}
	case "redacted_thinking":
		evs = d.open(evs, idx.Int(), formPart{Kind: blockRedacted, Signature: jsonx.Value(cb.Get("data").Raw), Origin: Anthropic})
	case "tool_use":
		start := len(d.scratch)
		d.scratch = jsonx.AppendString(d.scratch, d.c.CallerToolName(cb.Get("name").String()))
		part := formPart{Kind: blockToolCall, Name: tokenView(d.scratch, start)}
		if id := cb.Get("id"); id.Type == gjson.String && nonEmptyStringToken(id.Raw) {
			part.ID = jsonx.Value(id.Raw)
		}
		// Anthropic streams input as input_json_delta after an empty {}, but
		// a compatible upstream may put the whole input here instead.
		if in := cb.Get("input"); in.IsObject() && tokenHasMembers(in.Raw) {
			part.Input = jsonx.Value(in.Raw)
		}
		evs = d.open(evs, idx.Int(), part)
	default:
		// Server tool blocks (server_tool_use, web_search_tool_result, …)
		// ran upstream: there is nothing for the caller to execute or show.
		if b := d.block(idx.Int()); b != nil {
			b.form, b.open = -1, false
		} else {
			d.blocks = append(d.blocks, anthropicStreamBlock{upstream: idx.Int(), form: -1})
		}
	}
	return evs
}

// blockDelta is the hot path: almost every event of a stream is one.
func (d *anthropicStreamDecoder) blockDelta(evs []formEvent, data string) []formEvent {
	o, ok := jsonx.Object(data)
	if !ok {
		return evs
	}
	var index int64
	hasIndex := false
	var delta string
	for k, v, ok := o.Next(); ok; k, v, ok = o.Next() {
		switch k {
		case "index":
			index, hasIndex = parseIndexToken(string(v))
		case "delta":
			delta = string(v)
		}
	}
	dl, ok := jsonx.Object(delta)
	if !ok || !hasIndex {
		return evs
	}
	var typ, text, thinking, partial, signature, citation string
	for k, v, ok := dl.Next(); ok; k, v, ok = dl.Next() {
		switch k {
		case "type":
			typ = string(v)
		case "text":
			text = string(v)
		case "thinking":
			thinking = string(v)
		case "partial_json":
			partial = string(v)
		case "signature":
			signature = string(v)
		case "citation":
			citation = string(v)
		}
	}
	var kind deltaKind
	var token string
	var want blockKind
	switch {
	case stringTokenIs(typ, "text_delta"):
		kind, token, want = deltaText, text, blockText
	case stringTokenIs(typ, "thinking_delta"):
		kind, token, want = deltaThinking, thinking, blockThinking
	case stringTokenIs(typ, "input_json_delta"):
		kind, token, want = deltaInput, partial, blockToolCall
	case stringTokenIs(typ, "signature_delta"):
		kind, token, want = deltaSignature, signature, blockThinking
	case stringTokenIs(typ, "citations_delta"):
		if len(citation) == 0 || citation[0] != '{' {
			return evs
		}
		if b := d.block(index); b != nil && b.open && b.form >= 0 && b.kind == blockText {
			evs = append(evs, formEvent{Kind: eventDelta, Index: b.form, Delta: deltaCitation, Text: jsonx.Value(citation)})
		}
		return evs
	default:
		return evs
	}
	if !nonEmptyStringToken(token) {
		return evs
	}
	b := d.block(index)
	if b == nil || !b.open {
		if kind != deltaText && kind != deltaThinking {
			return evs // a server tool's input, or a block never started
		}
		// Text for a block never started still reaches the caller, in a
		// block of its own.
		evs = d.open(evs, index, formPart{Kind: want, Origin: Anthropic})
		b = d.block(index)
	}
	if b.form < 0 || b.kind != want {
		return evs
	}
	ev := formEvent{Kind: eventDelta, Index: b.form, Delta: kind, Text: jsonx.Value(token)}
	if kind == deltaSignature {
		ev.Block.Origin = Anthropic
	}
	return append(evs, ev)
}

// anthropicStopReason reads an Anthropic stop_reason; reasons added after
// this was written read as the end of the turn.
func anthropicStopReason(s string) stopReason {
	switch s {
	case "max_tokens":
		return stopMaxTokens
	case "model_context_window_exceeded":
		return stopContextWindow
	case "tool_use":
		return stopToolUse
	case "stop_sequence":
		return stopSequence
	case "refusal":
		return stopRefusal
	case "pause_turn":
		return stopPause
	}
	return stopEnd
}

// anthropicStopString is the stop_reason Anthropic writes for r.
func anthropicStopString(r stopReason) string {
	switch r {
	case stopMaxTokens:
		return "max_tokens"
	case stopContextWindow:
		return "model_context_window_exceeded"
	case stopToolUse:
		return "tool_use"
	case stopSequence:
		return "stop_sequence"
	case stopRefusal:
		return "refusal"
	case stopPause:
		return "pause_turn"
	}
	return "end_turn"
}

// anthropicErrorKind reads an Anthropic error type.
func anthropicErrorKind(typ string) errorKind {
	switch typ {
	case "invalid_request_error":
		return errKindInvalidRequest
	case "authentication_error":
		return errKindAuthentication
	case "permission_error":
		return errKindPermission
	case "not_found_error":
		return errKindNotFound
	case "request_too_large":
		return errKindTooLarge
	case "rate_limit_error":
		return errKindRateLimit
	case "overloaded_error":
		return errKindOverloaded
	case "timeout_error":
		return errKindTimeout
	}
	return errKindAPI
}

// anthropicErrorName is the Anthropic error type for k.
func anthropicErrorName(k errorKind) string {
	switch k {
	case errKindInvalidRequest:
		return "invalid_request_error"
	case errKindAuthentication:
		return "authentication_error"
	case errKindPermission:
		return "permission_error"
	case errKindNotFound:
		return "not_found_error"
	case errKindTooLarge:
		return "request_too_large"
	case errKindRateLimit:
		return "rate_limit_error"
	case errKindOverloaded:
		return "overloaded_error"
	case errKindTimeout:
		return "timeout_error"
	}
	return "api_error"
}

// anthropicStreamEncoder writes form events as an Anthropic stream.
//
// Text and thinking blocks open at their first delta, so that no block is
// ever sent empty; a thinking block whose signature is another format's
// goes without it. Block indices count the blocks sent, in order.
type anthropicStreamEncoder struct {
	c     *Conversion
	msgID string
	next  int // the index of the next block sent

	// blocks follows each form block by its form index.
	blocks []anthropicEncBlock
	tools  bool // a tool_use block went out

	started bool
	stopped bool // message_stop went out
	failed  bool // the error event went out

	blockBuf [8]anthropicEncBlock
}

type anthropicEncBlock struct {
	kind   blockKind
	index  int // -1 until the block opens
	open   bool
	closed bool
}

func (e *anthropicStreamEncoder) encode(dst []byte, ev *formEvent) []byte {
	if e.failed || e.stopped && ev.Kind != eventError {
		return dst
	}
	switch ev.Kind {
	case eventStart:
		return e.start(dst, ev.ID, ev.Model, ev.Usage)
	case eventBlockStart:
		dst = e.start(dst, "", "", ev.Usage)
		return e.blockStart(dst, ev)
	case eventDelta:
		return e.delta(dst, ev)
	case eventBlockStop:
		if b := e.block(ev.Index); b != nil {
			dst = e.closeBlock(dst, b)
		}
		return dst
	case eventStop:
		dst = e.start(dst, "", "", ev.Usage)
		stop := ev.Stop
		if stop == stopEnd && e.tools {
			// Clients run tools only on tool_use; some upstreams say "stop".
			stop = stopToolUse
		}
		return e.finish(dst, anthropicStopString(stop), ev.Usage)
	case eventError:
		if !e.stopped {
			dst = e.start(dst, "", "", ev.Usage)
			dst = e.finish(dst, "", ev.Usage)
		}
		e.failed = true
		typ := anthropicErrorName(ev.Err.Type)
		return appendStreamAnthropicError(dst, typ, ev.Err.Message)
	}
	return dst
}

func (e *anthropicStreamEncoder) start(dst []byte, idToken, modelToken jsonx.Value, u Usage) []byte {
	if e.started {
		return dst
	}
	e.started = true
	if id := idToken.Str(); id != "" {
		e.msgID = "msg_" + id
	} else {
		e.msgID = "msg_" + rand.Text()
	}
	model := e.c.Model
	if model == "" {
		model = modelToken.Str()
	}
	return appendStreamMessageStart(dst, e.msgID, model, u)
}

func (e *anthropicStreamEncoder) block(index int) *anthropicEncBlock {
	if index < 0 || index >= len(e.blocks) {
		return nil
	}
	return &e.blocks[index]
}

func (e *anthropicStreamEncoder) blockStart(dst []byte, ev *formEvent) []byte {
	if ev.Index < 0 || ev.Index > 1<<20 {
		return dst
	}
	for len(e.blocks) <= ev.Index {
		e.blocks = append(e.blocks, anthropicEncBlock{index: -1, closed: true})
	}
	b := &e.blocks[ev.Index]
	if b.open {
		dst = e.closeBlock(dst, b)
	}
	*b = anthropicEncBlock{kind: ev.Block.Kind, index: -1}
	p := &ev.Block
	switch p.Kind {
	case blockToolCall:
		dst = e.openBlock(dst, b)
		e.tools = true
		dst = append(dst, `,"content_block":{"type":"tool_use","id":"`...)
		if id := p.ID.Str(); id != "" {
			// The non-streaming converter makes the same id of it, so a call
			// keeps its id whichever way the caller asked.
			dst = jsonx.AppendEscaped(dst, anthropicToolID(id))
		} else {
			dst = append(dst, "toolu_"...)
			dst = appendStreamToolID(dst, e.msgID)
			dst = append(dst, '_')
			dst = strconv.AppendInt(dst, int64(b.index), 10)
		}
		dst = append(dst, `","name":`...)
		dst = jsonx.AppendToken(dst, string(p.Name))
		dst = append(dst, `,"input":{}}}`+"\n\n"...)
		if p.Input.IsObject() {
			dst = e.inputDelta(dst, b)
			dst = jsonx.AppendAsString(dst, string(p.Input))
			dst = append(dst, "}}\n\n"...)
		}
	case blockRedacted:
		if p.Origin != Anthropic || !p.Signature.IsString() {
			return dst // only Anthropic can read its redacted thinking
		}
		dst = e.openBlock(dst, b)
		dst = append(dst, `,"content_block":{"type":"redacted_thinking","data":`...)
		dst = jsonx.AppendToken(dst, string(p.Signature))
		dst = append(dst, "}}\n\n"...)
	}
	return dst
}

// openBlock writes the head of a content_block_start for b.
func (e *anthropicStreamEncoder) openBlock(dst []byte, b *anthropicEncBlock) []byte {
	b.index, b.open = e.next, true
	e.next++
	dst = append(dst, "event: content_block_start\ndata: "...)
	dst = append(dst, `{"type":"content_block_start","index":`...)
	return strconv.AppendInt(dst, int64(b.index), 10)
}

func (e *anthropicStreamEncoder) closeBlock(dst []byte, b *anthropicEncBlock) []byte {
	b.closed = true
	if !b.open {
		return dst
	}
	b.open = false
	return appendStreamBlockStop(dst, b.index)
}

// inputDelta writes the head of an input_json_delta, up to its partial_json.
func (e *anthropicStreamEncoder) inputDelta(dst []byte, b *anthropicEncBlock) []byte {
	dst = append(dst, "event: content_block_delta\ndata: "...)
	dst = append(dst, `{"type":"content_block_delta","index":`...)
	dst = strconv.AppendInt(dst, int64(b.index), 10)
	return append(dst, `,"delta":{"type":"input_json_delta","partial_json":`...)
}

func (e *anthropicStreamEncoder) delta(dst []byte, ev *formEvent) []byte {
	b := e.block(ev.Index)
	if b == nil || b.closed {
		return dst
	}
	switch ev.Delta {
	case deltaText, deltaRefusal:
		if (b.kind != blockText && b.kind != blockRefusal) || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		if !b.open {
			dst = e.openBlock(dst, b)
			dst = append(dst, `,"content_block":{"type":"text","text":""}}`+"\n\n"...)
		}
		dst = e.deltaHead(dst, b)
		dst = append(dst, `,"delta":{"type":"text_delta","text":`...)
	case deltaThinking:
		if b.kind != blockThinking || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		dst = e.openThinking(dst, b)
		dst = e.deltaHead(dst, b)
		dst = append(dst, `,"delta":{"type":"thinking_delta","thinking":`...)
	case deltaSignature:
		// A signature only Anthropic wrote can go back to Anthropic.
		if b.kind != blockThinking || ev.Block.Origin != Anthropic || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		dst = e.openThinking(dst, b)
		dst = e.deltaHead(dst, b)
		dst = append(dst, `,"delta":{"type":"signature_delta","signature":`...)
	case deltaInput:
		if b.kind != blockToolCall || !b.open || !nonEmptyStringToken(string(ev.Text)) {
			return dst
		}
		dst = e.inputDelta(dst, b)
	case deltaCitation:
		if !b.open || b.kind != blockText || !ev.Text.IsObject() {
			return dst
		}
		dst = e.deltaHead(dst, b)
		dst = append(dst, `,"delta":{"type":"citations_delta","citation":`...)
		dst = append(dst, ev.Text...)
		return append(dst, "}}\n\n"...)
	default:
		return dst
	}
	dst = jsonx.AppendToken(dst, string(ev.Text))
	return append(dst, "}}\n\n"...)
}

func (e *anthropicStreamEncoder) openThinking(dst []byte, b *anthropicEncBlock) []byte {
	if b.open {
		return dst
	}
	dst = e.openBlock(dst, b)
	return append(dst, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`+"\n\n"...)
}

func (e *anthropicStreamEncoder) deltaHead(dst []byte, b *anthropicEncBlock) []byte {
	dst = append(dst, "event: content_block_delta\ndata: "...)
	dst = append(dst, `{"type":"content_block_delta","index":`...)
	return strconv.AppendInt(dst, int64(b.index), 10)
}

// finish closes what is open and ends the message: message_delta with the
// stop reason ("" for null) and the usage, then message_stop.
func (e *anthropicStreamEncoder) finish(dst []byte, stop string, u Usage) []byte {
	for i := range e.blocks {
		dst = e.closeBlock(dst, &e.blocks[i])
	}
	e.stopped = true
	dst = appendStreamMessageDelta(dst, stop, u, u != Usage{})
	return appendStreamAnthropicEvent(dst, "message_stop", `{"type":"message_stop"}`)
}

// anthropicStreamErrorType picks the Anthropic error type a client branches
// on for an OpenAI error's type and code.
func anthropicStreamErrorType(typ, code string) string {
	for _, s := range [2]string{typ, code} {
		switch {
		case strings.Contains(s, "overload"), strings.Contains(s, "unavailable"),
			strings.Contains(s, "capacity"):
			return "overloaded_error"
		case strings.Contains(s, "rate_limit"), s == "insufficient_quota":
			return "rate_limit_error"
		}
	}
	if typ == "invalid_request_error" {
		return "invalid_request_error"
	}
	return "api_error"
}

// appendStreamToolID appends id with every byte outside [A-Za-z0-9_-] replaced by
// '_': Anthropic rejects other tool ids when the conversation is sent back,
// and upstreams such as Kimi use ids like "functions.get_weather:0".
func appendStreamToolID(dst []byte, id string) []byte {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
	}
	return dst
}
