package transformer

import (
	"crypto/rand"
	"github.com/routex/routex/internal/jsonx"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The OpenAI Chat Completions stream: chat.completion.chunk events, the
// first with the role, then content, reasoning and tool call fragments, a
// chunk with finish_reason, with include_usage one {choices:[],usage}
// chunk, then data: [DONE].

func (chatCodec) newStreamDecoder(c *Conversion) streamDecoder {
	d := &chatStreamDecoder{c: c}
	d.calls, d.scratch = d.callBuf[:0], d.scratchBuf[:0]
	return d
}

func (chatCodec) newStreamEncoder(c *Conversion, now func() time.Time) streamEncoder {
	e := &chatStreamEncoder{c: c, created: now().Unix()}
	e.calls = e.callBuf[:0]
	return e
}

// chatStreamDecoder reads chat.completion.chunk events.
//
// Blocks are numbered in order of first appearance. A text, thinking or
// refusal block is closed as soon as anything else starts. Tool blocks may
// stay open side by side, because some upstreams interleave the arguments of
// parallel calls and a closed block cannot take more; a tool block is closed
// early only once its arguments form a complete JSON value, which keeps the
// usual sequential case looking like Anthropic's own streams.
//
// The stop waits for the usage that OpenAI sends after finish_reason: it
// goes out with the usage chunk, [DONE] or the end of the body.
type chatStreamDecoder struct {
	c     *Conversion
	meter UsageMeter

	next      int       // the form index of the next block
	open      blockKind // the open text, thinking or refusal block, if any
	hasOpen   bool
	openIndex int
	calls     []chatStreamCall
	stop      stopReason

	started  bool
	finished bool // a finish_reason arrived
	done     bool
	scratch  []byte

	// A stream's first calls and names need no allocation of their own.
	callBuf    [2]chatStreamCall
	scratchBuf [128]byte
}

// chatStreamCall is one tool call of the upstream's.
type chatStreamCall struct {
	key     int64  // the upstream's index for it; -1 when it sent none
	id      string // the upstream's id
	name    string // the caller's name for the tool
	block   int    // its form block's index; -1 until it starts
	open    bool
	args    streamArgs
	pending []byte // argument text, escaped, that came before the name
}

func (d *chatStreamDecoder) usage() Usage { return d.meter.Usage }

func (d *chatStreamDecoder) decode(evs []formEvent, ev Event) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	if isStreamDone(ev.Data) {
		return d.finishStream(evs)
	}
	data := jsonx.BytesString(ev.Data)
	if ev.Type == "error" {
		return d.upstreamError(evs, data)
	}
	obj, ok := jsonx.Object(data)
	if !ok {
		return evs
	}
	var id, model, choices, usage, errRaw string
	for k, v, ok := obj.Next(); ok; k, v, ok = obj.Next() {
		switch k {
		case "id":
			id = string(v)
		case "model":
			model = string(v)
		case "choices":
			choices = string(v)
		case "usage":
			usage = string(v)
		case "error":
			errRaw = string(v)
		}
	}
	if errRaw != "" && errRaw != "null" {
		return d.upstreamError(evs, data)
	}
	hasUsage := len(usage) > 0 && usage[0] == '{'
	delta, finish, hasChoice := firstChoiceParts(choices)
	if !hasChoice && !hasUsage {
		// Empty choices and no usage: Azure's prompt_filter_results and
		// keep-alive chunks carry nothing for the caller.
		return evs
	}
	if hasUsage {
		d.meter.Observe(OpenAI, ev)
	}
	finishedBefore := d.finished
	if !d.started {
		d.started = true
		evs = append(evs, formEvent{Kind: eventStart, ID: jsonx.Value(id), Model: jsonx.Value(model), Usage: d.meter.Usage})
	}
	if hasChoice {
		evs = d.delta(evs, delta)
		if nonEmptyStringToken(finish) {
			evs = d.finish(evs, finish[1:len(finish)-1])
		}
	}
	if hasUsage && finishedBefore {
		// The usage chunk that follows finish_reason: nothing comes after it
		// but [DONE]. Usage riding on the finish chunk itself may still be
		// superseded, so that one waits for [DONE] or the end.
		return d.finishStream(evs)
	}
	return evs
}

func (d *chatStreamDecoder) end(evs []formEvent, err error) []formEvent {
	if d.done {
		return evs
	}
	d.scratch = d.scratch[:0]
	if err == nil && d.finished {
		// [DONE] is lost or the upstream does not send it; finish_reason
		// said the answer was complete.
		return d.finishStream(evs)
	}
	return d.fail(evs, streamEndError(err, d.meter.Usage))
}

// fail ends the stream with an error. An answer whose finish_reason came
// keeps its stop reason: the stop goes first, then the error.
func (d *chatStreamDecoder) fail(evs []formEvent, e formEvent) []formEvent {
	if d.finished {
		evs = d.finishStream(evs)
	} else {
		evs = d.closeOut(evs)
	}
	d.done = true
	return append(evs, e)
}

// closeOut starts the answer if nothing did, starts the calls whose name
// never came and closes every open block.
func (d *chatStreamDecoder) closeOut(evs []formEvent) []formEvent {
	if !d.started {
		d.started = true
		evs = append(evs, formEvent{Kind: eventStart, Usage: d.meter.Usage})
	}
	evs = d.flushCalls(evs)
	return d.closeAll(evs)
}

// finishStream ends an answer that ended as it should.
func (d *chatStreamDecoder) finishStream(evs []formEvent) []formEvent {
	evs = d.closeOut(evs)
	d.done = true
	stop := d.stop
	if !d.finished {
		stop = stopEnd
	}
	return append(evs, formEvent{Kind: eventStop, Stop: stop, Usage: d.meter.Usage})
}

// firstChoiceParts finds the choice with index 0 in a chunk's choices
// array: other formats have no n, so other choices have nowhere to go.
func firstChoiceParts(choices string) (delta, finish string, ok bool) {
	arr, ok := jsonx.Array(choices)
	if !ok {
		return "", "", false
	}
	for v, ok := arr.Next(); ok; v, ok = arr.Next() {
		c, ok := jsonx.Object(string(v))
		if !ok {
			continue
		}
		var index string
		delta, finish = "", ""
		for k, val, ok := c.Next(); ok; k, val, ok = c.Next() {
			switch k {
			case "index":
				index = string(val)
			case "delta":
				delta = string(val)
			case "finish_reason":
				finish = string(val)
			}
		}
		if index == "" || index == "0" {
			return delta, finish, true
		}
	}
	return "", "", false
}

// delta reads one choice's delta. The parts of a chunk that mixes them come
// out in the order a model produces them: reasoning, text, refusal, tool
// calls.
func (d *chatStreamDecoder) delta(evs []formEvent, delta string) []formEvent {
	o, ok := jsonx.Object(delta)
	if !ok {
		return evs
	}
	var reasoningContent, reasoning, content, refusal, toolCalls string
	for k, v, ok := o.Next(); ok; k, v, ok = o.Next() {
		switch k {
		case "reasoning_content":
			reasoningContent = string(v)
		case "reasoning":
			reasoning = string(v)
		case "content":
			content = string(v)
		case "refusal":
			refusal = string(v)
		case "tool_calls":
			toolCalls = string(v)
		}
	}
	// Upstreams that send both reasoning fields send the same text twice.
	if !nonEmptyStringToken(reasoningContent) {
		reasoningContent = reasoning
	}
	if nonEmptyStringToken(reasoningContent) {
		evs = d.text(evs, blockThinking, deltaThinking, reasoningContent)
	}
	if nonEmptyStringToken(content) {
		evs = d.text(evs, blockText, deltaText, content)
	} else if parts, ok := jsonx.Array(content); ok {
		// A few compatible upstreams stream content as a list of parts.
		for v, ok := parts.Next(); ok; v, ok = parts.Next() {
			if p, ok := jsonx.Object(string(v)); ok {
				for k, t, ok := p.Next(); ok; k, t, ok = p.Next() {
					if k == "text" && nonEmptyStringToken(string(t)) {
						evs = d.text(evs, blockText, deltaText, string(t))
					}
				}
			}
		}
	}
	if nonEmptyStringToken(refusal) {
		evs = d.text(evs, blockRefusal, deltaRefusal, refusal)
	}
	if arr, ok := jsonx.Array(toolCalls); ok {
		for v, ok := arr.Next(); ok; v, ok = arr.Next() {
			evs = d.toolCall(evs, string(v))
		}
	}
	return evs
}

// text adds a text, thinking or refusal delta; token is a non-empty JSON
// string token, so no block is ever opened empty.
func (d *chatStreamDecoder) text(evs []formEvent, kind blockKind, dk deltaKind, token string) []formEvent {
	if !d.hasOpen || d.open != kind {
		evs = d.closeAll(evs)
		d.open, d.hasOpen, d.openIndex = kind, true, d.next
		d.next++
		part := formPart{Kind: kind}
		if kind == blockThinking {
			part.Origin = OpenAI
		}
		evs = append(evs, formEvent{Kind: eventBlockStart, Index: d.openIndex, Block: part})
	}
	return append(evs, formEvent{Kind: eventDelta, Index: d.openIndex, Delta: dk, Text: jsonx.Value(token)})
}

// closeText closes the open text, thinking or refusal block.
func (d *chatStreamDecoder) closeText(evs []formEvent) []formEvent {
	if !d.hasOpen {
		return evs
	}
	d.hasOpen = false
	return append(evs, formEvent{Kind: eventBlockStop, Index: d.openIndex})
}

// closeTools closes the open tool blocks, or with onlyComplete just those
// whose arguments are whole.
func (d *chatStreamDecoder) closeTools(evs []formEvent, onlyComplete bool) []formEvent {
	for i := range d.calls {
		c := &d.calls[i]
		if c.open && (!onlyComplete || c.args.complete()) {
			c.open = false
			evs = append(evs, formEvent{Kind: eventBlockStop, Index: c.block})
		}
	}
	return evs
}

func (d *chatStreamDecoder) closeAll(evs []formEvent) []formEvent {
	evs = d.closeText(evs)
	return d.closeTools(evs, false)
}

// toolCall applies one element of a delta's tool_calls.
func (d *chatStreamDecoder) toolCall(evs []formEvent, raw string) []formEvent {
	obj, ok := jsonx.Object(raw)
	if !ok {
		return evs
	}
	var index, id, function string
	for k, v, ok := obj.Next(); ok; k, v, ok = obj.Next() {
		switch k {
		case "index":
			index = string(v)
		case "id":
			id = string(v)
		case "function":
			function = string(v)
		}
	}
	var name, args string
	if f, ok := jsonx.Object(function); ok {
		for k, v, ok := f.Next(); ok; k, v, ok = f.Next() {
			switch k {
			case "name":
				name = string(v)
			case "arguments":
				args = string(v)
			}
		}
	}
	key, hasKey := parseIndexToken(index)
	c := d.findCall(hasKey, key, id)
	if c == nil {
		if !hasKey {
			key = -1
		}
		d.calls = append(d.calls, chatStreamCall{key: key, block: -1})
		c = &d.calls[len(d.calls)-1]
		if nonEmptyStringToken(id) {
			c.id = strings.Clone(jsonx.Value(id).Str())
		}
	}
	if c.name == "" && nonEmptyStringToken(name) {
		c.name = strings.Clone(d.c.CallerToolName(jsonx.Value(name).Str()))
	}
	if c.block < 0 && c.name != "" {
		evs = d.startTool(evs, c)
	}
	switch {
	case nonEmptyStringToken(args):
		evs = d.arguments(evs, c, args, true)
	case len(args) > 0 && (args[0] == '{' || args[0] == '['):
		// Some upstreams send the arguments as the object itself.
		evs = d.arguments(evs, c, args, false)
	}
	return evs
}

// findCall tells which call a fragment belongs to. An id names a call for
// sure; without one, the index does; without either, the fragment
// continues the latest call. Checking the id first keeps parallel calls
// apart on upstreams that send no index or the same index for all.
func (d *chatStreamDecoder) findCall(hasKey bool, key int64, id string) *chatStreamCall {
	if nonEmptyStringToken(id) {
		inner := jsonx.Value(id).Str()
		for i := len(d.calls) - 1; i >= 0; i-- {
			if d.calls[i].id == inner {
				return &d.calls[i]
			}
		}
		return nil
	}
	if hasKey {
		for i := len(d.calls) - 1; i >= 0; i-- {
			if d.calls[i].key == key {
				return &d.calls[i]
			}
		}
		return nil
	}
	if len(d.calls) > 0 {
		return &d.calls[len(d.calls)-1]
	}
	return nil
}

func (d *chatStreamDecoder) startTool(evs []formEvent, c *chatStreamCall) []formEvent {
	evs = d.closeText(evs)
	evs = d.closeTools(evs, true)
	c.block, c.open = d.next, true
	d.next++
	part := formPart{Kind: blockToolCall}
	start := len(d.scratch)
	d.scratch = jsonx.AppendString(d.scratch, c.name)
	part.Name = tokenView(d.scratch, start)
	if c.id != "" {
		start = len(d.scratch)
		d.scratch = jsonx.AppendString(d.scratch, c.id)
		part.ID = tokenView(d.scratch, start)
	}
	evs = append(evs, formEvent{Kind: eventBlockStart, Index: c.block, Block: part})
	if len(c.pending) > 0 {
		start = len(d.scratch)
		d.scratch = append(d.scratch, '"')
		d.scratch = append(d.scratch, c.pending...)
		d.scratch = append(d.scratch, '"')
		c.args.feedEscaped(string(c.pending))
		c.pending = c.pending[:0]
		evs = append(evs, formEvent{Kind: eventDelta, Index: c.block, Delta: deltaInput, Text: tokenView(d.scratch, start)})
	}
	return evs
}

// arguments passes on a fragment of a call's arguments: a string token
// when token is set, else JSON text to be sent as a string.
func (d *chatStreamDecoder) arguments(evs []formEvent, c *chatStreamCall, args string, token bool) []formEvent {
	switch {
	case c.open:
		text := jsonx.Value(args)
		if token {
			c.args.feedEscaped(args[1 : len(args)-1])
		} else {
			start := len(d.scratch)
			d.scratch = jsonx.AppendString(d.scratch, args)
			text = tokenView(d.scratch, start)
			c.args.feedRaw(args)
		}
		return append(evs, formEvent{Kind: eventDelta, Index: c.block, Delta: deltaInput, Text: text})
	case c.block < 0:
		// No name yet, so no block: keep the text until the name comes.
		if token {
			c.pending = jsonx.AppendTokenBody(c.pending, args[1:len(args)-1])
		} else {
			c.pending = jsonx.AppendEscaped(c.pending, args)
		}
	}
	// A closed call cannot take more: blocks do not reopen. Only an
	// upstream sending arguments after other content gets here.
	return evs
}

// flushCalls starts the calls whose name never came, so that their
// arguments are not lost.
func (d *chatStreamDecoder) flushCalls(evs []formEvent) []formEvent {
	for i := range d.calls {
		// A call known by nothing but an index is a stray fragment.
		if c := &d.calls[i]; c.block < 0 && (c.id != "" || len(c.pending) > 0) {
			evs = d.startTool(evs, c)
		}
	}
	return evs
}

// finish handles finish_reason: the blocks close now, but the stop waits
// for the usage that OpenAI sends after it.
func (d *chatStreamDecoder) finish(evs []formEvent, reason string) []formEvent {
	evs = d.flushCalls(evs)
	evs = d.closeAll(evs)
	d.finished = true
	d.stop = chatStopReason(reason)
	return evs
}

func (d *chatStreamDecoder) upstreamError(evs []formEvent, data string) []formEvent {
	e := gjson.Get(data, "error")
	if !e.Exists() {
		e = gjson.Parse(data) // an `event: error` whose data is the error itself
	}
	var msg, typ, code string
	if e.IsObject() {
		msg = e.Get("message").String()
		typ = e.Get("type").String()
		code = e.Get("code").String()
	} else if e.Type == gjson.String {
		msg = e.Str
	}
	if msg == "" {
		msg = "upstream stream error"
	}
	fe := formError{Type: anthropicErrorKind(anthropicStreamErrorType(typ, code)), Message: msg, Code: code}
	return d.fail(evs, formEvent{Kind: eventError, Usage: d.meter.Usage, Err: fe})
}

// chatStopReason reads a finish_reason as StopReason does.
func chatStopReason(finish string) stopReason {
	switch finish {
	case "length":
		return stopMaxTokens
	case "tool_calls", "function_call":
		return stopToolUse
	case "content_filter":
		return stopRefusal
	}
	return stopEnd
}

// chatFinishReason is the finish_reason for r, as FinishReason maps
// Anthropic's. A turn that called tools reports tool_calls even when the
// upstream said it ended, since that is what makes OpenAI clients run
// them; a turn cut short (length) keeps its reason, as OpenAI and Anthropic
// themselves report a tool call cut by the token limit, so that the caller
// does not run a call whose arguments are incomplete.
func chatFinishReason(r stopReason, tools bool) string {
	switch r {
	case stopMaxTokens, stopContextWindow:
		return "length"
	case stopToolUse:
		return "tool_calls"
	case stopRefusal:
		return "content_filter"
	}
	if tools {
		return "tool_calls"
	}
	return "stop"
}

// streamFinishReason maps an Anthropic stop reason as FinishReason does,
// with the tool call rule of chatFinishReason.
func streamFinishReason(stop string, tools bool) string {
	if r := FinishReason(stop); r != "stop" || !tools {
		return r
	}
	return "tool_calls"
}

// chatErrorType is the OpenAI error type an error chunk carries. Anthropic
// types say more than the OpenAI ones they could be squeezed into
// (overloaded_error, rate_limit_error…), so they are kept, except for the
// two OpenAI has names of its own for.
func chatErrorType(k errorKind) string {
	switch k {
	case errKindAPI:
		return "server_error"
	case errKindInvalidRequest:
		return "invalid_request_error"
	}
	return anthropicErrorName(k)
}

// chatStreamEncoder writes form events as chat.completion.chunk events.
type chatStreamEncoder struct {
	c       *Conversion
	created int64

	// head opens every chunk, up to and including `"choices":`. id, model
	// and created never change within a stream (ChatCompletionAccumulator
	// insists on one id), so it is built once.
	head []byte

	calls []int // by form index: the block's tool call index, -1 for others
	n     int   // tool calls so far: the index of the next one

	started bool // the role chunk went out
	done    bool // [DONE] or an error chunk went out

	callBuf [8]int
}

func (e *chatStreamEncoder) encode(dst []byte, ev *formEvent) []byte {
	if e.done {
		return dst
	}
	switch ev.Kind {
	case eventStart:
		return e.start(dst, ev.ID, ev.Model)
	case eventBlockStart:
		return e.blockStart(dst, ev)
	case eventDelta:
		return e.delta(dst, ev)
	case eventStop:
		return e.finish(dst, ev)
	case eventError:
		e.done = true
		return appendStreamOpenAIError(dst, ev.Err.Message, chatErrorType(ev.Err.Type))
	}
	return dst
}

func (e *chatStreamEncoder) start(dst []byte, idToken, modelToken jsonx.Value) []byte {
	if e.started {
		return dst
	}
	e.started = true
	h := append(make([]byte, 0, 128+len(idToken)+len(modelToken)), `{"id":"chatcmpl-`...)
	if nonEmptyStringToken(string(idToken)) {
		h = jsonx.AppendTokenBody(h, string(idToken[1:len(idToken)-1]))
	} else {
		h = append(h, "msg_"...)
		h = append(h, rand.Text()...)
	}
	h = append(h, `","object":"chat.completion.chunk","created":`...)
	h = strconv.AppendInt(h, e.created, 10)
	h = append(h, `,"model":`...)
	if e.c.Model != "" || !modelToken.IsString() {
		h = jsonx.AppendString(h, e.c.Model)
	} else {
		h = jsonx.AppendToken(h, string(modelToken))
	}
	e.head = append(h, `,"choices":`...)
	dst = e.openChunk(dst)
	dst = append(dst, `{"role":"assistant","content":""}`...)
	return e.closeChunk(dst, "")
}

func (e *chatStreamEncoder) openChunk(dst []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, e.head...)
	return append(dst, `[{"index":0,"delta":`...)
}

func (e *chatStreamEncoder) closeChunk(dst []byte, finish string) []byte {
	if finish == "" {
		return append(dst, ",\"finish_reason\":null}]}\n\n"...)
	}
	dst = append(dst, `,"finish_reason":"`...)
	dst = append(dst, finish...)
	return append(dst, "\"}]}\n\n"...)
}

func (e *chatStreamEncoder) blockStart(dst []byte, ev *formEvent) []byte {
	if ev.Index < 0 || ev.Index > 1<<20 {
		return dst
	}
	for len(e.calls) <= ev.Index {
		e.calls = append(e.calls, -1)
	}
	e.calls[ev.Index] = -1
	if ev.Block.Kind != blockToolCall {
		return dst
	}
	dst = e.start(dst, "", "")
	k := e.n
	e.n++
	e.calls[ev.Index] = k
	p := &ev.Block
	dst = e.openChunk(dst)
	dst = append(dst, `{"tool_calls":[{"index":`...)
	dst = strconv.AppendInt(dst, int64(k), 10)
	dst = append(dst, `,"id":`...)
	if nonEmptyStringToken(string(p.ID)) {
		dst = jsonx.AppendToken(dst, string(p.ID))
	} else {
		dst = jsonx.AppendString(dst, "toolu_"+rand.Text())
	}
	dst = append(dst, `,"type":"function","function":{"name":`...)
	dst = jsonx.AppendToken(dst, string(p.Name))
	dst = append(dst, `,"arguments":`...)
	if p.Input.IsObject() {
		dst = jsonx.AppendString(dst, string(p.Input))
	} else {
		dst = append(dst, `""`...)
	}
	dst = append(dst, `}}]}`...)
	return e.closeChunk(dst, "")
}

func (e *chatStreamEncoder) delta(dst []byte, ev *formEvent) []byte {
	if !nonEmptyStringToken(string(ev.Text)) {
		return dst
	}
	var field string
	switch ev.Delta {
	case deltaText:
		field = "content"
	case deltaThinking:
		field = "reasoning_content"
	case deltaRefusal:
		field = "refusal"
	case deltaInput:
		if ev.Index < 0 || ev.Index >= len(e.calls) || e.calls[ev.Index] < 0 {
			return dst // a block never started
		}
		dst = e.openChunk(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(e.calls[ev.Index]), 10)
		dst = append(dst, `,"function":{"arguments":`...)
		dst = jsonx.AppendToken(dst, string(ev.Text))
		dst = append(dst, `}}]}`...)
		return e.closeChunk(dst, "")
	case deltaSignature:
		if ev.Block.Kind != blockToolCall || ev.Block.Origin != Gemini ||
			ev.Index < 0 || ev.Index >= len(e.calls) || e.calls[ev.Index] < 0 {
			// Thinking's signatures have no place in Chat's format.
			return dst
		}
		dst = e.openChunk(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(e.calls[ev.Index]), 10)
		// Every tool_calls delta carries arguments, which SDKs append.
		dst = append(dst, `,"function":{"arguments":""}`...)
		dst = appendGeminiExtraContent(dst, ev.Text)
		dst = append(dst, `}]}`...)
		return e.closeChunk(dst, "")
	default:
		// Citations belong to text already sent.
		return dst
	}
	dst = e.start(dst, "", "")
	dst = e.openChunk(dst)
	dst = append(dst, `{"`...)
	dst = append(dst, field...)
	dst = append(dst, `":`...)
	dst = jsonx.AppendToken(dst, string(ev.Text))
	dst = append(dst, '}')
	return e.closeChunk(dst, "")
}

// finish ends a complete stream: the finish_reason chunk, the usage chunk
// if the caller asked for it, then [DONE]. The usage chunk has no choices,
// because ChatCompletionAccumulator overwrites finish_reason from every
// chunk that carries a choice.
func (e *chatStreamEncoder) finish(dst []byte, ev *formEvent) []byte {
	dst = e.start(dst, "", "")
	dst = e.openChunk(dst)
	dst = append(dst, "{}"...)
	dst = e.closeChunk(dst, chatFinishReason(ev.Stop, e.n > 0))
	if e.c.IncludeUsage {
		u := ev.Usage
		prompt := u.Input + u.CacheRead + u.CacheWrite
		dst = append(dst, "data: "...)
		dst = append(dst, e.head...)
		dst = append(dst, `[],"usage":{"prompt_tokens":`...)
		dst = strconv.AppendInt(dst, prompt, 10)
		dst = append(dst, `,"completion_tokens":`...)
		dst = strconv.AppendInt(dst, u.Output, 10)
		dst = append(dst, `,"total_tokens":`...)
		dst = strconv.AppendInt(dst, prompt+u.Output, 10)
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = strconv.AppendInt(dst, u.CacheRead, 10)
		if u.Reasoning > 0 {
			dst = append(dst, `},"completion_tokens_details":{"reasoning_tokens":`...)
			dst = strconv.AppendInt(dst, u.Reasoning, 10)
		}
		dst = append(dst, "}}}\n\n"...)
	}
	e.done = true
	return append(dst, "data: [DONE]\n\n"...)
}

// tokenHasMembers reports whether raw is an object with at least one member.
func tokenHasMembers(raw string) bool {
	o, ok := jsonx.Object(raw)
	if !ok {
		return false
	}
	_, _, ok = o.Next()
	return ok
}

// streamArgs follows a call's arguments far enough to tell when they form a
// complete JSON value.
type streamArgs struct {
	depth int
	began bool // an opening bracket was seen
	inStr bool
	esc   bool
}

func (s *streamArgs) complete() bool { return s.began && s.depth <= 0 && !s.inStr }

// feedEscaped reads argument text given as the body of a JSON string token.
func (s *streamArgs) feedEscaped(body string) {
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			s.step(c)
			i++
			continue
		}
		n := jsonx.EscapeLen(body[i:])
		switch {
		case n == 2:
			s.step(jsonUnescapeByte(body[i+1]))
		case n == 6:
			r, _ := strconv.ParseUint(body[i+2:i+6], 16, 32)
			if r < 0x80 {
				s.step(byte(r))
			} else {
				s.step('x')
			}
		default:
			s.step('\\')
			n = 1
		}
		i += n
	}
}

// feedRaw reads argument text given as JSON text.
func (s *streamArgs) feedRaw(text string) {
	for i := 0; i < len(text); i++ {
		s.step(text[i])
	}
}

func (s *streamArgs) step(c byte) {
	if s.inStr {
		switch {
		case s.esc:
			s.esc = false
		case c == '\\':
			s.esc = true
		case c == '"':
			s.inStr = false
		}
		return
	}
	switch c {
	case '"':
		s.inStr = true
	case '{', '[':
		s.depth++
		s.began = true
	case '}', ']':
		s.depth--
	}
}

func jsonUnescapeByte(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	}
	return c // '"', '\\', '/'
}
