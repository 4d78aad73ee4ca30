package transformer

import (
	"crypto/rand"
	"github.com/routex/routex/internal/jsonx"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The OpenAI Responses stream: response.created, response.in_progress, per
// output item response.output_item.added, the item's own events (content
// parts and text deltas, argument deltas, reasoning summary parts and their
// deltas), response.output_item.done, then one of response.completed,
// response.incomplete or response.failed; error may come at any time.
// Every event carries a sequence_number, counted from 0. There is no [DONE].

func (responsesCodec) newStreamDecoder(c *Conversion) streamDecoder {
	d := &responsesStreamDecoder{c: c}
	d.items, d.scratch = d.itemBuf[:0], d.scratchBuf[:0]
	return d
}

func (responsesCodec) newStreamEncoder(c *Conversion, now func() time.Time) streamEncoder {
	return &responsesStreamEncoder{c: c, now: now}
}

// responsesUsage reads a Responses usage object. Its input_tokens include
// the cached ones; Usage counts them apart, in Anthropic's terms.
func responsesUsage(res gjson.Result) Usage {
	if !res.IsObject() {
		return Usage{}
	}
	in := res.Get("input_tokens").Int()
	cached := res.Get("input_tokens_details.cached_tokens").Int()
	u := Usage{
		Input:     max(in-cached, 0),
		CacheRead: cached,
		Output:    res.Get("output_tokens").Int(),
		Reasoning: res.Get("output_tokens_details.reasoning_tokens").Int(),
	}
	return u
}

// responsesStreamDecoder reads a Responses upstream's events.
//
// A message item becomes one block per content part (output_text → text,
// refusal → refusal); a function_call item a tool call; a custom_tool_call
// item a tool call whose arguments are {"input":"<the text>"}, the shape
// formats without freeform tools give such a call; a reasoning item a
// thinking block, opened at its first summary text, whose encrypted_content
// rides as the signature (Origin Responses, or the origin carriedPrefix
// names).
type responsesStreamDecoder struct {
	c     *Conversion
	items []responsesStreamItem
	next  int // the form index of the next block
	u     Usage

	started bool
	done    bool
	scratch []byte
	fix     []byte

	// A stream's first items and names need no allocation of their own.
	itemBuf    [4]responsesStreamItem
	scratchBuf [128]byte
}

// responsesStreamItem is an output item or a message's content part.
type responsesStreamItem struct {
	out      int64
	part     int64 // a message part's content_index; -1 for the item itself
	form     int   // its form block; -1 while it has none
	kind     blockKind
	id       string // a reasoning item's id
	isMsg    bool
	freeform bool
	gotDelta bool
	open     bool
	parts    int // a reasoning item's summary parts so far
}

func (d *responsesStreamDecoder) usage() Usage { return d.u }

func (d *responsesStreamDecoder) item(out, part int64) *responsesStreamItem {
	for i := len(d.items) - 1; i >= 0; i-- {
		if it := &d.items[i]; it.out == out && it.part == part {
			return it
		}
	}
	return nil
}

func (d *responsesStreamDecoder) ensureStarted(evs []formEvent) []formEvent {
	if d.started {
		return evs
	}
	d.started = true
	return append(evs, formEvent{Kind: eventStart})
}

// open gives it a form block.
func (d *responsesStreamDecoder) open(evs []formEvent, it *responsesStreamItem, part formPart) []formEvent {
	evs = d.ensureStarted(evs)
	it.form, it.open, it.kind = d.next, true, part.Kind
	d.next++
	return append(evs, formEvent{Kind: eventBlockStart, Index: it.form, Block: part})
}

func (d *responsesStreamDecoder) closeItem(evs []formEvent, it *responsesStreamItem) []formEvent {
	if !it.open {
		return evs
	}
	it.open = false
	return append(evs, formEvent{Kind: eventBlockStop, Index: it.form})
}

func (d *responsesStreamDecoder) decode(evs []formEvent, ev Event) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	data := jsonx.BytesString(ev.Data)
	o, ok := jsonx.Object(data)
	if !ok {
		return evs
	}
	var typ, outIdx, partIdx, delta string
	for k, v, ok := o.Next(); ok; k, v, ok = o.Next() {
		switch k {
		case "type":
			typ = string(v)
		case "output_index":
			outIdx = string(v)
		case "content_index", "summary_index":
			partIdx = string(v)
		case "delta":
			delta = string(v)
		}
	}
	t := ev.Type
	if t == "" {
		t = jsonx.Value(typ).Str()
	}
	out, _ := parseIndexToken(outIdx)
	part, _ := parseIndexToken(partIdx)
	switch t {
	case "response.output_text.delta", "response.refusal.delta":
		if !nonEmptyStringToken(delta) {
			return evs
		}
		kind, dk := blockText, deltaText
		if t == "response.refusal.delta" {
			kind, dk = blockRefusal, deltaRefusal
		}
		it := d.item(out, part)
		if it == nil || !it.open {
			// Text for a part never added still reaches the caller.
			d.items = append(d.items, responsesStreamItem{out: out, part: part})
			it = &d.items[len(d.items)-1]
			evs = d.open(evs, it, formPart{Kind: kind})
		}
		it.gotDelta = true
		return append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: dk, Text: jsonx.Value(delta)})
	case "response.function_call_arguments.delta":
		it := d.item(out, -1)
		if it == nil || !it.open || it.kind != blockToolCall || it.freeform || !nonEmptyStringToken(delta) {
			return evs
		}
		it.gotDelta = true
		return append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: jsonx.Value(delta)})
	case "response.custom_tool_call_input.delta":
		it := d.item(out, -1)
		if it == nil || !it.open || !it.freeform || !nonEmptyStringToken(delta) {
			return evs
		}
		it.gotDelta = true
		return d.freeformText(evs, it, delta)
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		it := d.item(out, -1)
		if it == nil || it.isMsg || !nonEmptyStringToken(delta) {
			return evs
		}
		if it.form < 0 {
			evs = d.openReasoning(evs, it, Responses)
		}
		if !it.open {
			return evs
		}
		it.gotDelta = true
		return append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaThinking, Text: jsonx.Value(delta)})
	case "response.reasoning_summary_part.added":
		it := d.item(out, -1)
		if it == nil || it.isMsg {
			return evs
		}
		it.parts++
		if it.parts > 1 && it.open {
			// Summary parts read as paragraphs of one thinking block.
			return append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaThinking, Text: `"\n\n"`})
		}
		return evs
	case "response.created", "response.in_progress":
		if d.started {
			return evs
		}
		d.started = true
		r := gjson.Get(data, "response")
		return append(evs, formEvent{Kind: eventStart, ID: jsonx.Value(r.Get("id").Raw), Model: jsonx.Value(r.Get("model").Raw)})
	case "response.output_item.added":
		return d.itemAdded(evs, out, gjson.Get(data, "item"))
	case "response.content_part.added":
		msg := d.item(out, -1)
		if msg == nil || !msg.isMsg {
			return evs
		}
		p := gjson.Get(data, "part")
		kind, dk, text := blockText, deltaText, p.Get("text")
		switch p.Get("type").String() {
		case "output_text":
		case "refusal":
			kind, dk, text = blockRefusal, deltaRefusal, p.Get("refusal")
		default:
			return evs
		}
		d.items = append(d.items, responsesStreamItem{out: out, part: part})
		it := &d.items[len(d.items)-1]
		evs = d.open(evs, it, formPart{Kind: kind})
		if text.Type == gjson.String && nonEmptyStringToken(text.Raw) {
			it.gotDelta = true
			evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: dk, Text: jsonx.Value(text.Raw)})
		}
		return evs
	case "response.content_part.done":
		it := d.item(out, part)
		if it == nil || !it.open {
			return evs
		}
		if !it.gotDelta {
			// An upstream that sends the part whole, without deltas.
			p := gjson.Get(data, "part")
			text, dk := p.Get("text"), deltaText
			if it.kind == blockRefusal {
				text, dk = p.Get("refusal"), deltaRefusal
			}
			if text.Type == gjson.String && nonEmptyStringToken(text.Raw) {
				evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: dk, Text: jsonx.Value(text.Raw)})
			}
		}
		return d.closeItem(evs, it)
	case "response.function_call_arguments.done":
		if it := d.item(out, -1); it != nil && it.open && !it.freeform && !it.gotDelta {
			if a := gjson.Get(data, "arguments"); a.Type == gjson.String && nonEmptyStringToken(a.Raw) {
				it.gotDelta = true
				evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: jsonx.Value(a.Raw)})
			}
		}
		return evs
	case "response.custom_tool_call_input.done":
		if it := d.item(out, -1); it != nil && it.open && it.freeform && !it.gotDelta {
			if a := gjson.Get(data, "input"); a.Type == gjson.String && nonEmptyStringToken(a.Raw) {
				it.gotDelta = true
				evs = d.freeformText(evs, it, a.Raw)
			}
		}
		return evs
	case "response.output_item.done":
		return d.itemDone(evs, out, gjson.Get(data, "item"))
	case "response.completed", "response.incomplete":
		r := gjson.Get(data, "response")
		d.u = responsesUsage(r.Get("usage"))
		stop := stopEnd
		if t == "response.incomplete" || r.Get("status").String() == "incomplete" {
			stop = responsesIncompleteStop(r.Get("incomplete_details.reason").String())
		}
		return d.finish(evs, stop)
	case "response.failed":
		r := gjson.Get(data, "response")
		d.u = responsesUsage(r.Get("usage"))
		e := r.Get("error")
		return d.fail(evs, responsesFormError(e.Get("code").String(), e.Get("message").String()))
	case "error":
		e := gjson.Parse(data)
		if inner := e.Get("error"); inner.IsObject() {
			e = inner
		}
		return d.fail(evs, responsesFormError(e.Get("code").String(), e.Get("message").String()))
	}
	// Built-in tool progress, annotations, text and part done events and
	// types added after this was written carry nothing more to pass on.
	return evs
}

func (d *responsesStreamDecoder) itemAdded(evs []formEvent, out int64, item gjson.Result) []formEvent {
	switch item.Get("type").String() {
	case "message":
		d.items = append(d.items, responsesStreamItem{out: out, part: -1, form: -1, isMsg: true})
	case "function_call", "custom_tool_call":
		freeform := item.Get("type").Str == "custom_tool_call"
		start := len(d.scratch)
		d.scratch = jsonx.AppendString(d.scratch, d.c.CallerToolName(item.Get("name").String()))
		part := formPart{Kind: blockToolCall, Name: tokenView(d.scratch, start)}
		if id := item.Get("call_id"); id.Type == gjson.String && nonEmptyStringToken(id.Raw) {
			part.ID = jsonx.Value(id.Raw)
		}
		d.items = append(d.items, responsesStreamItem{out: out, part: -1, freeform: freeform})
		it := &d.items[len(d.items)-1]
		evs = d.open(evs, it, part)
		if freeform {
			evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: `"{\"input\":\""`})
			if in := item.Get("input"); in.Type == gjson.String && nonEmptyStringToken(in.Raw) {
				it.gotDelta = true
				evs = d.freeformText(evs, it, in.Raw)
			}
		} else if a := item.Get("arguments"); a.Type == gjson.String && nonEmptyStringToken(a.Raw) {
			it.gotDelta = true
			evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: jsonx.Value(a.Raw)})
		}
	case "reasoning":
		d.items = append(d.items, responsesStreamItem{out: out, part: -1, form: -1, kind: blockThinking,
			id: strings.Clone(item.Get("id").String())})
	}
	return evs
}

// openReasoning opens a reasoning item's thinking block.
func (d *responsesStreamDecoder) openReasoning(evs []formEvent, it *responsesStreamItem, origin Format) []formEvent {
	part := formPart{Kind: blockThinking, Origin: origin}
	if it.id != "" {
		start := len(d.scratch)
		d.scratch = jsonx.AppendString(d.scratch, it.id)
		part.ID = tokenView(d.scratch, start)
	}
	return d.open(evs, it, part)
}

func (d *responsesStreamDecoder) itemDone(evs []formEvent, out int64, item gjson.Result) []formEvent {
	switch item.Get("type").String() {
	case "message":
		for i := range d.items {
			if it := &d.items[i]; it.out == out && it.part >= 0 {
				evs = d.closeItem(evs, it)
			}
		}
	case "function_call":
		it := d.item(out, -1)
		if it == nil || !it.open {
			return evs
		}
		if a := item.Get("arguments"); !it.gotDelta && a.Type == gjson.String && nonEmptyStringToken(a.Raw) {
			evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: jsonx.Value(a.Raw)})
		}
		return d.closeItem(evs, it)
	case "custom_tool_call":
		it := d.item(out, -1)
		if it == nil || !it.open {
			return evs
		}
		if in := item.Get("input"); !it.gotDelta && in.Type == gjson.String && nonEmptyStringToken(in.Raw) {
			evs = d.freeformText(evs, it, in.Raw)
		}
		evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: `"\"}"`})
		return d.closeItem(evs, it)
	case "reasoning":
		it := d.item(out, -1)
		if it == nil || it.isMsg {
			return evs
		}
		enc := item.Get("encrypted_content")
		raw := ""
		if enc.Type == gjson.String && nonEmptyStringToken(enc.Raw) {
			raw = enc.Raw
		}
		origin := Responses
		if strings.HasPrefix(raw, `"`+carriedPrefix+"a") && len(raw) > len(carriedPrefix)+4 && raw[len(carriedPrefix)+3] == ':' {
			kind := raw[len(carriedPrefix)+2]
			start := len(d.scratch)
			d.scratch = append(d.scratch, '"')
			d.scratch = append(d.scratch, raw[len(carriedPrefix)+4:]...)
			carried := tokenView(d.scratch, start)
			if kind == 'r' && it.form < 0 {
				evs = d.open(evs, it, formPart{Kind: blockRedacted, Signature: carried, Origin: Anthropic})
				return d.closeItem(evs, it)
			}
			if kind == 't' {
				origin, raw = Anthropic, string(carried)
			}
		}
		if it.form < 0 {
			if raw == "" && !item.Get("summary.0.text").Exists() {
				return evs // nothing to show
			}
			evs = d.openReasoning(evs, it, origin)
		}
		if !it.open {
			return evs
		}
		if !it.gotDelta {
			// An upstream that sends the summary whole, without deltas.
			n := 0
			item.Get("summary").ForEach(func(_, s gjson.Result) bool {
				if t := s.Get("text"); t.Type == gjson.String && nonEmptyStringToken(t.Raw) {
					if n > 0 {
						evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaThinking, Text: `"\n\n"`})
					}
					evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaThinking, Text: jsonx.Value(t.Raw)})
					n++
				}
				return true
			})
		}
		if raw != "" {
			evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaSignature,
				Text: jsonx.Value(raw), Block: formPart{Origin: origin}})
		}
		return d.closeItem(evs, it)
	}
	return evs
}

// freeformText passes on a fragment of a freeform call's text as a
// fragment of its {"input":"…"} arguments: the text, JSON-escaped, inside
// the arguments' string token.
func (d *responsesStreamDecoder) freeformText(evs []formEvent, it *responsesStreamItem, token string) []formEvent {
	// Repair the upstream's escapes first, so that what is escaped again is
	// a valid string body.
	d.fix = jsonx.AppendTokenBody(d.fix[:0], token[1:len(token)-1])
	start := len(d.scratch)
	d.scratch = append(d.scratch, '"')
	d.scratch = jsonx.AppendEscaped(d.scratch, jsonx.BytesString(d.fix))
	d.scratch = append(d.scratch, '"')
	return append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: tokenView(d.scratch, start)})
}

func (d *responsesStreamDecoder) closeAll(evs []formEvent) []formEvent {
	evs = d.ensureStarted(evs)
	for i := range d.items {
		if it := &d.items[i]; it.open {
			if it.freeform {
				evs = append(evs, formEvent{Kind: eventDelta, Index: it.form, Delta: deltaInput, Text: `"\"}"`})
			}
			evs = d.closeItem(evs, it)
		}
	}
	return evs
}

func (d *responsesStreamDecoder) finish(evs []formEvent, stop stopReason) []formEvent {
	evs = d.closeAll(evs)
	d.done = true
	return append(evs, formEvent{Kind: eventStop, Stop: stop, Usage: d.u})
}

func (d *responsesStreamDecoder) fail(evs []formEvent, fe formError) []formEvent {
	evs = d.closeAll(evs)
	d.done = true
	return append(evs, formEvent{Kind: eventError, Usage: d.u, Err: fe})
}

func (d *responsesStreamDecoder) end(evs []formEvent, err error) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	// Without response.completed the answer is not known to be whole,
	// whatever ended the body.
	evs = d.closeAll(evs)
	d.done = true
	return append(evs, streamEndError(err, d.u))
}

// responsesIncompleteStop reads incomplete_details.reason.
func responsesIncompleteStop(reason string) stopReason {
	if reason == "content_filter" {
		return stopRefusal
	}
	return stopMaxTokens
}

// responsesFormError reads a Responses error's code and message.
func responsesFormError(code, msg string) formError {
	if msg == "" {
		msg = "upstream stream error"
	}
	k := errKindAPI
	switch {
	case strings.Contains(code, "rate_limit"):
		k = errKindRateLimit
	case strings.Contains(code, "overload"), strings.Contains(code, "unavailable"):
		k = errKindOverloaded
	case code == "invalid_prompt", strings.HasPrefix(code, "invalid"):
		k = errKindInvalidRequest
	}
	return formError{Type: k, Message: msg, Code: code}
}

// responsesErrorCode is the response.error code for e: one of the codes
// the API documents.
func responsesErrorCode(e *formError) string {
	switch e.Type {
	case errKindRateLimit:
		return "rate_limit_exceeded"
	case errKindInvalidRequest:
		return "invalid_prompt"
	}
	return "server_error"
}

// responsesHead is what every response object of a stream repeats.
type responsesHead struct {
	id      string // "resp_…"
	model   string
	created int64
}

func (h *responsesHead) set(id, model string, created int64) {
	h.id, h.model, h.created = strings.Clone(id), strings.Clone(model), created
}

// appendObject writes a response object: status, then the output items
// (output holds them, comma-separated), and the usage when known.
func (h *responsesHead) appendObject(dst []byte, status string, output []byte, fail *formError, incomplete string, u *Usage) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonx.AppendString(dst, h.id)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = strconv.AppendInt(dst, h.created, 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","error":`...)
	if fail != nil {
		dst = append(dst, `{"code":"`...)
		dst = append(dst, responsesErrorCode(fail)...)
		dst = append(dst, `","message":`...)
		dst = jsonx.AppendString(dst, fail.Message)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"incomplete_details":`...)
	if incomplete != "" {
		dst = append(dst, `{"reason":"`...)
		dst = append(dst, incomplete...)
		dst = append(dst, `"}`...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"model":`...)
	dst = jsonx.AppendString(dst, h.model)
	dst = append(dst, `,"output":[`...)
	dst = append(dst, output...)
	dst = append(dst, `],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":`...)
	if u == nil {
		return append(dst, "null}"...)
	}
	in := u.Input + u.CacheRead + u.CacheWrite
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, in, 10)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":`...)
	dst = strconv.AppendInt(dst, u.CacheRead, 10)
	dst = append(dst, `},"output_tokens":`...)
	dst = strconv.AppendInt(dst, u.Output, 10)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, u.Reasoning, 10)
	dst = append(dst, `},"total_tokens":`...)
	dst = strconv.AppendInt(dst, in+u.Output, 10)
	return append(dst, "}}"...)
}

// appendFailed writes the response.failed event that ends a stream cut
// short, numbered seq.
func (h *responsesHead) appendFailed(dst []byte, seq int64, fe formError, u *Usage) []byte {
	if h.id == "" {
		h.id = "resp_" + rand.Text()
	}
	dst = append(dst, "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":"...)
	dst = h.appendObject(dst, "failed", nil, &fe, "", u)
	dst = append(dst, `,"sequence_number":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	return append(dst, "}\n\n"...)
}

// The kinds of output items the Responses encoder writes.
const (
	itemMessage uint8 = iota
	itemRefusal
	itemFunctionCall
	itemCustomCall
	itemReasoning
)

// responsesStreamEncoder writes form events as a Responses stream, the
// way OpenAI sends it. Each text block is a message item with one
// output_text part (a refusal one refusal part), each thinking block a
// reasoning item whose summary opens at the first thinking text, each tool
// call a function_call item, or a custom_tool_call item when the caller
// declared the tool freeform. A freeform call's arguments come as
// {"input":"…"}: they are kept until the block ends, when its input is sent
// whole, in one delta and the done event. Every item is closed before the
// final event, whose output repeats the items as output_item.done gave
// them, in output_index order: blocks may end in any order (interleaved
// tool calls, a block restarted under its index, one whose stop never came
// and which the end closes), so the order items are done in is not the
// output's.
type responsesStreamEncoder struct {
	c    *Conversion
	now  func() time.Time
	head responsesHead
	base string // what item ids are made of
	seq  int64

	items  []responsesEncItem
	output []byte // the done items, comma-separated, in the order they were done
	// sorted is the done items in output_index order, built only when
	// some item was done before an earlier one.
	sorted   []byte
	lastDone int  // the output_index of the item done last
	shuffled bool // an item was done before an earlier one

	started bool
	done    bool
}

type responsesEncItem struct {
	kind uint8
	form int
	out  int // its output_index
	id   string
	open bool
	// done is where output holds the item as output_item.done gave it.
	doneAt, doneEnd int
	// text is the item's text, escaped: message text, arguments, the
	// reasoning summary.
	text    []byte
	callID  string
	name    string // a string token
	summary bool   // a reasoning item's summary part is open
	enc     []byte // a reasoning item's encrypted_content, escaped
}

func (e *responsesStreamEncoder) encode(dst []byte, ev *formEvent) []byte {
	if e.done {
		return dst
	}
	switch ev.Kind {
	case eventStart:
		return e.start(dst, ev.ID, ev.Model)
	case eventBlockStart:
		dst = e.start(dst, "", "")
		return e.blockStart(dst, ev)
	case eventDelta:
		return e.delta(dst, ev)
	case eventBlockStop:
		if it := e.item(ev.Index); it != nil {
			dst = e.closeItem(dst, it, "completed")
		}
		return dst
	case eventStop:
		dst = e.start(dst, "", "")
		dst = e.closeAll(dst, "completed")
		e.done = true
		u := ev.Usage
		switch ev.Stop {
		case stopMaxTokens, stopContextWindow:
			dst = e.eventHead(dst, "response.incomplete")
			dst = append(dst, `,"response":`...)
			dst = e.head.appendObject(dst, "incomplete", e.finalOutput(), nil, "max_output_tokens", &u)
		case stopRefusal:
			dst = e.eventHead(dst, "response.incomplete")
			dst = append(dst, `,"response":`...)
			dst = e.head.appendObject(dst, "incomplete", e.finalOutput(), nil, "content_filter", &u)
		default:
			dst = e.eventHead(dst, "response.completed")
			dst = append(dst, `,"response":`...)
			dst = e.head.appendObject(dst, "completed", e.finalOutput(), nil, "", &u)
		}
		return e.eventTail(dst)
	case eventError:
		dst = e.start(dst, "", "")
		dst = e.closeAll(dst, "incomplete")
		e.done = true
		u := ev.Usage
		dst = e.eventHead(dst, "response.failed")
		dst = append(dst, `,"response":`...)
		dst = e.head.appendObject(dst, "failed", e.finalOutput(), &ev.Err, "", &u)
		return e.eventTail(dst)
	}
	return dst
}

// eventHead opens an event of type typ, up to its first member.
func (e *responsesStreamEncoder) eventHead(dst []byte, typ string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: {\"type\":\""...)
	dst = append(dst, typ...)
	return append(dst, '"')
}

// eventTail numbers the event and closes it.
func (e *responsesStreamEncoder) eventTail(dst []byte) []byte {
	dst = append(dst, `,"sequence_number":`...)
	dst = strconv.AppendInt(dst, e.seq, 10)
	e.seq++
	return append(dst, "}\n\n"...)
}

func (e *responsesStreamEncoder) start(dst []byte, idToken, modelToken jsonx.Value) []byte {
	if e.started {
		return dst
	}
	e.started = true
	// Item ids are made of the upstream's answer id; the response's own id
	// is random, as a complete answer's is, since the stored conversation
	// it names must not be confused with another whose upstream reused an
	// id.
	id := idToken.Str()
	b := make([]byte, 0, len(id)+8)
	if id != "" {
		b = appendStreamToolID(b, id)
	} else {
		b = append(b, rand.Text()...)
	}
	e.base = string(b)
	model := e.c.Model
	if model == "" {
		model = modelToken.Str()
	}
	e.head.set(string(appendRandomHex(append(make([]byte, 0, 5+randomHexLen), "resp_"...))), model, e.now().Unix())
	for _, typ := range [2]string{"response.created", "response.in_progress"} {
		dst = e.eventHead(dst, typ)
		dst = append(dst, `,"response":`...)
		dst = e.head.appendObject(dst, "in_progress", nil, nil, "", nil)
		dst = e.eventTail(dst)
	}
	return dst
}

func (e *responsesStreamEncoder) item(form int) *responsesEncItem {
	for i := len(e.items) - 1; i >= 0; i-- {
		if e.items[i].form == form {
			return &e.items[i]
		}
	}
	return nil
}

// itemHead writes the members every item event starts with.
func (e *responsesStreamEncoder) itemHead(dst []byte, typ string, it *responsesEncItem) []byte {
	dst = e.eventHead(dst, typ)
	dst = append(dst, `,"item_id":"`...)
	dst = append(dst, it.id...)
	dst = append(dst, `","output_index":`...)
	return strconv.AppendInt(dst, int64(it.out), 10)
}

func (e *responsesStreamEncoder) blockStart(dst []byte, ev *formEvent) []byte {
	p := &ev.Block
	var kind uint8
	var prefix string
	switch p.Kind {
	case blockText:
		kind, prefix = itemMessage, "msg_"
	case blockRefusal:
		kind, prefix = itemRefusal, "msg_"
	case blockThinking, blockRedacted:
		if p.Kind == blockRedacted && (p.Origin != Anthropic || !p.Signature.IsString()) {
			return dst
		}
		kind, prefix = itemReasoning, "rs_"
	case blockToolCall:
		kind, prefix = itemFunctionCall, "fc_"
		if p.Freeform || e.c.IsFreeform(p.Name.Str()) {
			kind, prefix = itemCustomCall, "ctc_"
		}
	default:
		return dst
	}
	if old := e.item(ev.Index); old != nil {
		dst = e.closeItem(dst, old, "completed")
	}
	n := len(e.items)
	e.items = append(e.items, responsesEncItem{kind: kind, form: ev.Index, out: n, open: true})
	it := &e.items[n]
	it.id = prefix + e.base + "_" + strconv.Itoa(n)
	dst = e.eventHead(dst, "response.output_item.added")
	dst = append(dst, `,"output_index":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"item":`...)
	switch kind {
	case itemMessage, itemRefusal:
		dst = e.appendItem(dst, it, "in_progress", true)
		dst = e.eventTail(dst)
		dst = e.itemHead(dst, "response.content_part.added", it)
		dst = append(dst, `,"content_index":0,"part":`...)
		dst = e.appendPart(dst, it, true)
		return e.eventTail(dst)
	case itemFunctionCall, itemCustomCall:
		it.callID = p.ID.Str()
		if it.callID == "" {
			it.callID = "call_" + e.base + "_" + strconv.Itoa(n)
		} else {
			it.callID = strings.Clone(it.callID)
		}
		it.name = string(jsonx.AppendToken(nil, string(p.Name)))
		dst = e.appendItem(dst, it, "in_progress", true)
		dst = e.eventTail(dst)
		if p.Input.IsObject() {
			// The whole input in the block's start: one delta of it.
			start := len(it.text)
			tok := jsonx.AppendAsString(nil, string(p.Input))
			it.text = append(it.text, tok[1:len(tok)-1]...)
			if kind == itemFunctionCall {
				dst = e.itemHead(dst, "response.function_call_arguments.delta", it)
				dst = append(dst, `,"delta":"`...)
				dst = append(dst, it.text[start:]...)
				dst = append(dst, '"')
				dst = e.eventTail(dst)
			}
		}
		return dst
	}
	// A reasoning item.
	dst = e.appendItem(dst, it, "in_progress", true)
	dst = e.eventTail(dst)
	if p.Kind == blockRedacted {
		it.enc = append(it.enc, carriedPrefix+"ar:"...)
		it.enc = jsonx.AppendTokenBody(it.enc, string(p.Signature[1:len(p.Signature)-1]))
		dst = e.closeItem(dst, it, "completed")
	}
	return dst
}

// appendItem writes the item object; start writes it as
// output_item.added gives it, empty.
func (e *responsesStreamEncoder) appendItem(dst []byte, it *responsesEncItem, status string, start bool) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, it.id...)
	switch it.kind {
	case itemMessage, itemRefusal:
		dst = append(dst, `","type":"message","status":"`...)
		dst = append(dst, status...)
		dst = append(dst, `","role":"assistant","content":[`...)
		if !start {
			dst = e.appendPart(dst, it, false)
		}
		return append(dst, "]}"...)
	case itemFunctionCall:
		dst = append(dst, `","type":"function_call","status":"`...)
		dst = append(dst, status...)
		dst = append(dst, `","arguments":"`...)
		if !start {
			dst = append(dst, it.text...)
		}
	case itemCustomCall:
		dst = append(dst, `","type":"custom_tool_call","status":"`...)
		dst = append(dst, status...)
		dst = append(dst, `","input":"`...)
		if !start {
			dst = append(dst, it.text...)
		}
	case itemReasoning:
		dst = append(dst, `","type":"reasoning","summary":[`...)
		if !start && len(it.text) > 0 {
			dst = append(dst, `{"type":"summary_text","text":"`...)
			dst = append(dst, it.text...)
			dst = append(dst, `"}`...)
		}
		dst = append(dst, ']')
		if !start && len(it.enc) > 0 {
			dst = append(dst, `,"encrypted_content":"`...)
			dst = append(dst, it.enc...)
			dst = append(dst, '"')
		}
		return append(dst, '}')
	}
	dst = append(dst, `","call_id":`...)
	dst = jsonx.AppendString(dst, it.callID)
	dst = append(dst, `,"name":`...)
	dst = append(dst, it.name...)
	return append(dst, '}')
}

// appendPart writes a message item's content part.
func (e *responsesStreamEncoder) appendPart(dst []byte, it *responsesEncItem, start bool) []byte {
	if it.kind == itemRefusal {
		dst = append(dst, `{"type":"refusal","refusal":"`...)
		if !start {
			dst = append(dst, it.text...)
		}
		return append(dst, `"}`...)
	}
	dst = append(dst, `{"type":"output_text","annotations":[],"logprobs":[],"text":"`...)
	if !start {
		dst = append(dst, it.text...)
	}
	return append(dst, `"}`...)
}

func (e *responsesStreamEncoder) delta(dst []byte, ev *formEvent) []byte {
	it := e.item(ev.Index)
	if it == nil || !it.open || !nonEmptyStringToken(string(ev.Text)) {
		return dst
	}
	var typ, extra string
	switch {
	case ev.Delta == deltaText && it.kind == itemMessage:
		typ, extra = "response.output_text.delta", `,"content_index":0,"logprobs":[]`
	case (ev.Delta == deltaRefusal || ev.Delta == deltaText) && it.kind == itemRefusal:
		typ, extra = "response.refusal.delta", `,"content_index":0`
	case ev.Delta == deltaInput && it.kind == itemFunctionCall:
		typ = "response.function_call_arguments.delta"
	case ev.Delta == deltaInput && it.kind == itemCustomCall:
		// Kept until the block ends; see responsesStreamEncoder.
		it.text = jsonx.AppendTokenBody(it.text, string(ev.Text[1:len(ev.Text)-1]))
		return dst
	case ev.Delta == deltaThinking && it.kind == itemReasoning:
		if !it.summary {
			it.summary = true
			if len(it.text) > 0 {
				// A summary closed and reopened: one summary part still.
				it.text = append(it.text, `\n\n`...)
			}
			dst = e.itemHead(dst, "response.reasoning_summary_part.added", it)
			dst = append(dst, `,"summary_index":0,"part":{"type":"summary_text","text":""}`...)
			dst = e.eventTail(dst)
		}
		typ, extra = "response.reasoning_summary_text.delta", `,"summary_index":0`
	case ev.Delta == deltaSignature && it.kind == itemReasoning:
		switch ev.Block.Origin {
		case Responses:
			it.enc = jsonx.AppendTokenBody(it.enc[:0], string(ev.Text[1:len(ev.Text)-1]))
		case Anthropic:
			if len(it.enc) == 0 {
				it.enc = append(it.enc, carriedPrefix+"at:"...)
			}
			it.enc = jsonx.AppendTokenBody(it.enc, string(ev.Text[1:len(ev.Text)-1]))
		}
		return dst
	default:
		return dst
	}
	dst = e.itemHead(dst, typ, it)
	dst = append(dst, extra...)
	dst = append(dst, `,"delta":`...)
	start := len(dst)
	dst = jsonx.AppendToken(dst, string(ev.Text))
	it.text = append(it.text, dst[start+1:len(dst)-1]...)
	return e.eventTail(dst)
}

// closeItem ends an item: its done events, then output_item.done, whose item
// joins the final output.
func (e *responsesStreamEncoder) closeItem(dst []byte, it *responsesEncItem, status string) []byte {
	if !it.open {
		return dst
	}
	it.open = false
	switch it.kind {
	case itemMessage:
		dst = e.itemHead(dst, "response.output_text.done", it)
		dst = append(dst, `,"content_index":0,"logprobs":[],"text":"`...)
		dst = append(dst, it.text...)
		dst = append(dst, '"')
		dst = e.eventTail(dst)
	case itemRefusal:
		dst = e.itemHead(dst, "response.refusal.done", it)
		dst = append(dst, `,"content_index":0,"refusal":"`...)
		dst = append(dst, it.text...)
		dst = append(dst, '"')
		dst = e.eventTail(dst)
	case itemFunctionCall:
		dst = e.itemHead(dst, "response.function_call_arguments.done", it)
		dst = append(dst, `,"arguments":"`...)
		dst = append(dst, it.text...)
		dst = append(dst, `","name":`...)
		dst = append(dst, it.name...)
		dst = e.eventTail(dst)
	case itemCustomCall:
		e.freeformInput(it)
		if len(it.text) > 0 {
			dst = e.itemHead(dst, "response.custom_tool_call_input.delta", it)
			dst = append(dst, `,"delta":"`...)
			dst = append(dst, it.text...)
			dst = append(dst, '"')
			dst = e.eventTail(dst)
		}
		dst = e.itemHead(dst, "response.custom_tool_call_input.done", it)
		dst = append(dst, `,"input":"`...)
		dst = append(dst, it.text...)
		dst = append(dst, '"')
		dst = e.eventTail(dst)
	case itemReasoning:
		if it.summary {
			it.summary = false
			dst = e.itemHead(dst, "response.reasoning_summary_text.done", it)
			dst = append(dst, `,"summary_index":0,"text":"`...)
			dst = append(dst, it.text...)
			dst = append(dst, '"')
			dst = e.eventTail(dst)
			dst = e.itemHead(dst, "response.reasoning_summary_part.done", it)
			dst = append(dst, `,"summary_index":0,"part":{"type":"summary_text","text":"`...)
			dst = append(dst, it.text...)
			dst = append(dst, `"}`...)
			dst = e.eventTail(dst)
		}
	}
	if it.kind == itemMessage || it.kind == itemRefusal {
		dst = e.itemHead(dst, "response.content_part.done", it)
		dst = append(dst, `,"content_index":0,"part":`...)
		dst = e.appendPart(dst, it, false)
		dst = e.eventTail(dst)
	}
	dst = e.eventHead(dst, "response.output_item.done")
	dst = append(dst, `,"output_index":`...)
	dst = strconv.AppendInt(dst, int64(it.out), 10)
	dst = append(dst, `,"item":`...)
	start := len(dst)
	dst = e.appendItem(dst, it, status, false)
	if len(e.output) > 0 {
		e.output = append(e.output, ',')
		if it.out < e.lastDone {
			e.shuffled = true
		}
	}
	e.lastDone = it.out
	it.doneAt = len(e.output)
	e.output = append(e.output, dst[start:]...)
	it.doneEnd = len(e.output)
	return e.eventTail(dst)
}

// finalOutput is the done items, comma-separated, in output_index order;
// items never done (a failed stream's) are not in it.
func (e *responsesStreamEncoder) finalOutput() []byte {
	if !e.shuffled {
		return e.output
	}
	e.sorted = e.sorted[:0]
	for i := range e.items {
		it := &e.items[i]
		if it.doneEnd == 0 {
			continue
		}
		if len(e.sorted) > 0 {
			e.sorted = append(e.sorted, ',')
		}
		e.sorted = append(e.sorted, e.output[it.doneAt:it.doneEnd]...)
	}
	return e.sorted
}

// freeformInput turns a freeform call's buffered {"input":"…"} arguments
// into its text, escaped. Arguments of any other shape are the text as they
// came.
func (e *responsesStreamEncoder) freeformInput(it *responsesEncItem) {
	if len(it.text) == 0 {
		return
	}
	args := gjson.Parse(`"` + string(it.text) + `"`).Str
	in := gjson.Get(args, "input")
	if in.Type != gjson.String || !gjson.Valid(args) {
		return
	}
	it.text = jsonx.AppendTokenBody(it.text[:0], in.Raw[1:len(in.Raw)-1])
}

func (e *responsesStreamEncoder) closeAll(dst []byte, status string) []byte {
	for i := range e.items {
		dst = e.closeItem(dst, &e.items[i], status)
	}
	return dst
}
