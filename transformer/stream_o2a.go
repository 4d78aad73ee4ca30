package transformer

import (
	"crypto/rand"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// openAIToAnthropicStream turns chat.completion.chunk events into an Anthropic
// Messages event stream.
//
// Block indices are handed out in order of first appearance. A text or
// thinking block is closed as soon as anything else starts. Tool blocks may
// stay open side by side, because some upstreams interleave the arguments
// of parallel calls and a closed block cannot take more; a tool block is
// closed early only once its arguments form a complete JSON value, which
// keeps the usual sequential case looking like Anthropic's own streams.
type openAIToAnthropicStream struct {
	c     *Conversion
	meter UsageMeter

	msgID     string
	next      int     // the index the next block gets
	open      o2aKind // the open text or thinking block, if any
	openIndex int
	calls     []o2aCall
	stop      string // Anthropic stop reason from finish_reason, before the tool override

	started  bool // message_start went out
	finished bool // a finish_reason arrived
	done     bool // message_stop went out
}

type o2aKind uint8

const (
	o2aNone o2aKind = iota
	o2aText
	o2aThinking
)

// o2aCall is one tool call of the upstream's.
type o2aCall struct {
	key     int64  // the upstream's index for it; -1 when it sent none
	id      string // the upstream's id
	name    string // the caller's name for the tool
	block   int    // its content block's index; -1 until it starts
	open    bool
	args    streamArgs
	pending []byte // argument text, escaped, that came before the name
}

func (o *openAIToAnthropicStream) Usage() Usage { return o.meter.Usage }

func (o *openAIToAnthropicStream) Event(dst []byte, ev Event) ([]byte, error) {
	if o.done {
		return dst, nil
	}
	if isStreamDone(ev.Data) {
		return o.end(dst, o.normalStop(), "", ""), nil
	}
	data := streamView(ev.Data)
	if ev.Type == "error" {
		return o.upstreamError(dst, data), nil
	}
	obj, ok := newRawObjectIter(data)
	if !ok {
		return dst, nil
	}
	var id, model, choices, usage, errRaw string
	for k, v, ok := obj.next(); ok; k, v, ok = obj.next() {
		switch k {
		case "id":
			id = v
		case "model":
			model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		case "error":
			errRaw = v
		}
	}
	if errRaw != "" && errRaw != "null" {
		return o.upstreamError(dst, data), nil
	}
	hasUsage := len(usage) > 0 && usage[0] == '{'
	delta, finish, hasChoice := firstChoiceParts(choices)
	if !hasChoice && !hasUsage {
		// Empty choices and no usage: Azure's prompt_filter_results and
		// keep-alive chunks carry nothing for the caller.
		return dst, nil
	}
	if hasUsage {
		o.meter.Observe(OpenAI, ev)
	}
	finishedBefore := o.finished
	dst = o.ensureStarted(dst, id, model)
	if hasChoice {
		dst = o.delta(dst, delta)
		if nonEmptyStringToken(finish) {
			dst = o.finish(dst, finish[1:len(finish)-1])
		}
	}
	if hasUsage && finishedBefore {
		// The usage chunk that follows finish_reason: nothing comes after it
		// but [DONE]. Usage riding on the finish chunk itself may still be
		// superseded, so that one waits for [DONE] or the end.
		return o.end(dst, o.normalStop(), "", ""), nil
	}
	return dst, nil
}

func (o *openAIToAnthropicStream) End(dst []byte, err error) []byte {
	if o.done {
		return dst
	}
	if err == nil && o.finished {
		// [DONE] is lost or the upstream does not send it; finish_reason
		// said the answer was complete.
		return o.end(dst, o.normalStop(), "", "")
	}
	stop := ""
	if o.finished {
		stop = o.normalStop()
	}
	return o.end(dst, stop, "api_error", streamEndMessage(err))
}

// firstChoiceParts finds the choice with index 0 in a chunk's choices
// array: Anthropic has no n, so other choices have nowhere to go.
func firstChoiceParts(choices string) (delta, finish string, ok bool) {
	arr, ok := newRawArrayIter(choices)
	if !ok {
		return "", "", false
	}
	for v, ok := arr.next(); ok; v, ok = arr.next() {
		c, ok := newRawObjectIter(v)
		if !ok {
			continue
		}
		var index string
		delta, finish = "", ""
		for k, val, ok := c.next(); ok; k, val, ok = c.next() {
			switch k {
			case "index":
				index = val
			case "delta":
				delta = val
			case "finish_reason":
				finish = val
			}
		}
		if index == "" || index == "0" {
			return delta, finish, true
		}
	}
	return "", "", false
}

func (o *openAIToAnthropicStream) ensureStarted(dst []byte, idToken, modelToken string) []byte {
	if o.started {
		return dst
	}
	o.started = true
	if id := streamTokenString(idToken); id != "" {
		o.msgID = "msg_" + id
	} else {
		o.msgID = "msg_" + rand.Text()
	}
	model := o.c.Model
	if model == "" {
		model = streamTokenString(modelToken)
	}
	return appendStreamMessageStart(dst, o.msgID, model, o.meter.Usage)
}

// delta converts one choice's delta. The parts of a chunk that mixes them
// come out in the order a model produces them: reasoning, text, tool calls.
func (o *openAIToAnthropicStream) delta(dst []byte, delta string) []byte {
	d, ok := newRawObjectIter(delta)
	if !ok {
		return dst
	}
	var reasoningContent, reasoning, content, refusal, toolCalls string
	for k, v, ok := d.next(); ok; k, v, ok = d.next() {
		switch k {
		case "reasoning_content":
			reasoningContent = v
		case "reasoning":
			reasoning = v
		case "content":
			content = v
		case "refusal":
			refusal = v
		case "tool_calls":
			toolCalls = v
		}
	}
	// Upstreams that send both reasoning fields send the same text twice.
	if !nonEmptyStringToken(reasoningContent) {
		reasoningContent = reasoning
	}
	if nonEmptyStringToken(reasoningContent) {
		dst = o.text(dst, o2aThinking, reasoningContent)
	}
	if nonEmptyStringToken(content) {
		dst = o.text(dst, o2aText, content)
	} else if parts, ok := newRawArrayIter(content); ok {
		// A few compatible upstreams stream content as a list of parts.
		for v, ok := parts.next(); ok; v, ok = parts.next() {
			if p, ok := newRawObjectIter(v); ok {
				for k, t, ok := p.next(); ok; k, t, ok = p.next() {
					if k == "text" && nonEmptyStringToken(t) {
						dst = o.text(dst, o2aText, t)
					}
				}
			}
		}
	}
	if nonEmptyStringToken(refusal) {
		dst = o.text(dst, o2aText, refusal)
	}
	if arr, ok := newRawArrayIter(toolCalls); ok {
		for v, ok := arr.next(); ok; v, ok = arr.next() {
			dst = o.toolCall(dst, v)
		}
	}
	return dst
}

// text appends a text or thinking delta; token is a non-empty JSON string
// token, so no block is ever opened empty.
func (o *openAIToAnthropicStream) text(dst []byte, kind o2aKind, token string) []byte {
	if o.open != kind {
		dst = o.closeAll(dst)
		o.open, o.openIndex = kind, o.next
		o.next++
		dst = append(dst, "event: content_block_start\ndata: "...)
		dst = append(dst, `{"type":"content_block_start","index":`...)
		dst = strconv.AppendInt(dst, int64(o.openIndex), 10)
		if kind == o2aText {
			dst = append(dst, `,"content_block":{"type":"text","text":""}}`...)
		} else {
			dst = append(dst, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`...)
		}
		dst = append(dst, '\n', '\n')
	}
	dst = append(dst, "event: content_block_delta\ndata: "...)
	dst = append(dst, `{"type":"content_block_delta","index":`...)
	dst = strconv.AppendInt(dst, int64(o.openIndex), 10)
	if kind == o2aText {
		dst = append(dst, `,"delta":{"type":"text_delta","text":`...)
	} else {
		dst = append(dst, `,"delta":{"type":"thinking_delta","thinking":`...)
	}
	dst = appendStreamJSONToken(dst, token)
	return append(dst, "}}\n\n"...)
}

// closeText closes the open text or thinking block.
func (o *openAIToAnthropicStream) closeText(dst []byte) []byte {
	if o.open == o2aNone {
		return dst
	}
	o.open = o2aNone
	return appendStreamBlockStop(dst, o.openIndex)
}

// closeTools closes the open tool blocks, or with onlyComplete just those
// whose arguments are whole.
func (o *openAIToAnthropicStream) closeTools(dst []byte, onlyComplete bool) []byte {
	for i := range o.calls {
		c := &o.calls[i]
		if c.open && (!onlyComplete || c.args.complete()) {
			c.open = false
			dst = appendStreamBlockStop(dst, c.block)
		}
	}
	return dst
}

func (o *openAIToAnthropicStream) closeAll(dst []byte) []byte {
	dst = o.closeText(dst)
	return o.closeTools(dst, false)
}

// toolCall applies one element of a delta's tool_calls.
func (o *openAIToAnthropicStream) toolCall(dst []byte, raw string) []byte {
	obj, ok := newRawObjectIter(raw)
	if !ok {
		return dst
	}
	var index, id, function string
	for k, v, ok := obj.next(); ok; k, v, ok = obj.next() {
		switch k {
		case "index":
			index = v
		case "id":
			id = v
		case "function":
			function = v
		}
	}
	var name, args string
	if f, ok := newRawObjectIter(function); ok {
		for k, v, ok := f.next(); ok; k, v, ok = f.next() {
			switch k {
			case "name":
				name = v
			case "arguments":
				args = v
			}
		}
	}
	key, hasKey := parseIndexToken(index)
	c := o.findCall(hasKey, key, id)
	if c == nil {
		if !hasKey {
			key = -1
		}
		o.calls = append(o.calls, o2aCall{key: key, block: -1})
		c = &o.calls[len(o.calls)-1]
		if nonEmptyStringToken(id) {
			c.id = strings.Clone(streamTokenString(id))
		}
	}
	if c.name == "" && nonEmptyStringToken(name) {
		c.name = strings.Clone(o.c.CallerToolName(streamTokenString(name)))
	}
	if c.block < 0 && c.name != "" {
		dst = o.startTool(dst, c)
	}
	switch {
	case nonEmptyStringToken(args):
		dst = o.arguments(dst, c, args[1:len(args)-1], true)
	case len(args) > 0 && (args[0] == '{' || args[0] == '['):
		// Some upstreams send the arguments as the object itself.
		dst = o.arguments(dst, c, args, false)
	}
	return dst
}

// findCall tells which call a fragment belongs to. An id names a call for
// sure; without one, the index does; without either, the fragment
// continues the latest call. Checking the id first keeps parallel calls
// apart on upstreams that send no index or the same index for all.
func (o *openAIToAnthropicStream) findCall(hasKey bool, key int64, id string) *o2aCall {
	if nonEmptyStringToken(id) {
		inner := streamTokenString(id)
		for i := len(o.calls) - 1; i >= 0; i-- {
			if o.calls[i].id == inner {
				return &o.calls[i]
			}
		}
		return nil
	}
	if hasKey {
		for i := len(o.calls) - 1; i >= 0; i-- {
			if o.calls[i].key == key {
				return &o.calls[i]
			}
		}
		return nil
	}
	if len(o.calls) > 0 {
		return &o.calls[len(o.calls)-1]
	}
	return nil
}

func (o *openAIToAnthropicStream) startTool(dst []byte, c *o2aCall) []byte {
	dst = o.closeText(dst)
	dst = o.closeTools(dst, true)
	c.block, c.open = o.next, true
	o.next++
	dst = append(dst, "event: content_block_start\ndata: "...)
	dst = append(dst, `{"type":"content_block_start","index":`...)
	dst = strconv.AppendInt(dst, int64(c.block), 10)
	dst = append(dst, `,"content_block":{"type":"tool_use","id":"`...)
	if c.id != "" {
		// The non-streaming converter makes the same id of it, so a call
		// keeps its id whichever way the caller asked.
		dst = appendStreamEscaped(dst, anthropicToolID(c.id), false)
	} else {
		dst = append(dst, "toolu_"...)
		dst = appendStreamToolID(dst, o.msgID)
		dst = append(dst, '_')
		dst = strconv.AppendInt(dst, int64(c.block), 10)
	}
	dst = append(dst, `","name":`...)
	dst = appendStreamJSONString(dst, c.name)
	dst = append(dst, `,"input":{}}}`+"\n\n"...)
	if len(c.pending) > 0 {
		dst = o.appendInputDelta(dst, c, string(c.pending), true)
		c.pending = c.pending[:0]
	}
	return dst
}

// arguments passes on a fragment of a call's arguments. body is the inside
// of a JSON string token when token is set, else JSON text to be sent as a
// string.
func (o *openAIToAnthropicStream) arguments(dst []byte, c *o2aCall, body string, token bool) []byte {
	switch {
	case c.open:
		return o.appendInputDelta(dst, c, body, token)
	case c.block < 0:
		// No name yet, so no block: keep the text until the name comes.
		c.pending = appendStreamEscaped(c.pending, body, token)
	}
	// A closed call cannot take more: Anthropic blocks do not reopen. Only
	// an upstream sending arguments after other content gets here.
	return dst
}

func (o *openAIToAnthropicStream) appendInputDelta(dst []byte, c *o2aCall, body string, token bool) []byte {
	dst = append(dst, "event: content_block_delta\ndata: "...)
	dst = append(dst, `{"type":"content_block_delta","index":`...)
	dst = strconv.AppendInt(dst, int64(c.block), 10)
	dst = append(dst, `,"delta":{"type":"input_json_delta","partial_json":"`...)
	dst = appendStreamEscaped(dst, body, token)
	dst = append(dst, "\"}}\n\n"...)
	if token {
		c.args.feedEscaped(body)
	} else {
		c.args.feedRaw(body)
	}
	return dst
}

// flushCalls starts the calls whose name never came, so that their
// arguments are not lost.
func (o *openAIToAnthropicStream) flushCalls(dst []byte) []byte {
	for i := range o.calls {
		// A call known by nothing but an index is a stray fragment.
		if c := &o.calls[i]; c.block < 0 && (c.id != "" || len(c.pending) > 0) {
			dst = o.startTool(dst, c)
		}
	}
	return dst
}

func (o *openAIToAnthropicStream) hasTools() bool {
	for i := range o.calls {
		if o.calls[i].block >= 0 {
			return true
		}
	}
	return false
}

// finish handles finish_reason: the blocks close now, but message_delta
// waits for the usage that OpenAI sends after it.
func (o *openAIToAnthropicStream) finish(dst []byte, reason string) []byte {
	dst = o.flushCalls(dst)
	dst = o.closeAll(dst)
	o.finished = true
	o.stop = StopReason(reason)
	return dst
}

// normalStop is the stop reason of a stream that ended as it should.
func (o *openAIToAnthropicStream) normalStop() string {
	stop := o.stop
	if !o.finished {
		stop = "end_turn"
	}
	if stop == "end_turn" && o.hasTools() {
		// Clients run tools only on tool_use; some upstreams say "stop".
		return "tool_use"
	}
	return stop
}

// end finishes the message: blocks closed, message_delta with the stop
// reason ("" for null) and the usage, message_stop, and, for a stream that
// failed, an error event last.
func (o *openAIToAnthropicStream) end(dst []byte, stop, errType, errMsg string) []byte {
	dst = o.ensureStarted(dst, "", "")
	dst = o.flushCalls(dst)
	dst = o.closeAll(dst)
	dst = appendStreamMessageDelta(dst, stop, &o.meter)
	dst = appendStreamAnthropicEvent(dst, "message_stop", `{"type":"message_stop"}`)
	if errMsg != "" {
		dst = appendStreamAnthropicError(dst, errType, errMsg)
	}
	o.done = true
	return dst
}

func (o *openAIToAnthropicStream) upstreamError(dst []byte, data string) []byte {
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
	stop := ""
	if o.finished {
		stop = o.normalStop()
	}
	return o.end(dst, stop, anthropicStreamErrorType(typ, code), msg)
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

// streamTokenString returns the text of a JSON string token, viewing the event's
// bytes when there is nothing to unescape. "" for anything else.
func streamTokenString(raw string) string {
	if !isStringTokenRaw(raw) {
		return ""
	}
	inner := raw[1 : len(raw)-1]
	if strings.IndexByte(inner, '\\') < 0 {
		return inner
	}
	return gjson.Parse(raw).Str
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
		n := jsonEscapeLen(body[i:])
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
