package transformer

import (
	"crypto/rand"
	"strconv"

	"github.com/tidwall/gjson"
)

// anthropicToOpenAIStream turns an Anthropic Messages event stream into
// chat.completion.chunk events for an OpenAI caller.
type anthropicToOpenAIStream struct {
	c       *Conversion
	created int64
	meter   UsageMeter

	// head opens every chunk, up to and including `"choices":`. id, model
	// and created never change within a stream (ChatCompletionAccumulator
	// insists on one id), so it is built once.
	head []byte

	blocks []a2oBlock
	calls  int // tool_use blocks so far: the index of the next tool call

	started    bool // the role chunk went out
	finishSent bool // the finish_reason chunk went out
	done       bool // [DONE] or an error chunk went out
}

// a2oBlock remembers a started content block. OpenAI numbers tool calls on
// their own, so a tool_use block's Anthropic index maps to its call index.
type a2oBlock struct {
	index int64
	call  int // -1 for blocks that are not tool_use
}

func (a *anthropicToOpenAIStream) Usage() Usage { return a.meter.Usage }

func (a *anthropicToOpenAIStream) Event(dst []byte, ev Event) ([]byte, error) {
	if a.done {
		return dst, nil
	}
	data := streamView(ev.Data)
	if ev.Type == "" {
		// Some Anthropic-compatible upstreams leave out the event line; the
		// data names the type as well.
		ev.Type = gjson.Get(data, "type").String()
	}
	switch ev.Type {
	case "content_block_delta":
		return a.blockDelta(dst, data), nil
	case "message_start":
		a.meter.Observe(Anthropic, ev)
		return a.messageStart(dst, data), nil
	case "content_block_start":
		return a.blockStart(dst, data), nil
	case "message_delta":
		a.meter.Observe(Anthropic, ev)
		return a.messageDelta(dst, data), nil
	case "message_stop":
		return a.finish(dst), nil
	case "error":
		return a.upstreamError(dst, data), nil
	}
	// ping, content_block_stop and types added after this was written
	// carry nothing an OpenAI caller can use.
	return dst, nil
}

func (a *anthropicToOpenAIStream) End(dst []byte, err error) []byte {
	if a.done {
		return dst
	}
	if err == nil && a.finishSent {
		// Only message_stop was lost; message_delta carried everything.
		return a.finish(dst)
	}
	a.done = true
	return appendStreamOpenAIError(dst, streamEndMessage(err), "server_error")
}

func (a *anthropicToOpenAIStream) messageStart(dst []byte, data string) []byte {
	if a.started {
		return dst
	}
	msg := gjson.Get(data, "message")
	model := a.c.Model
	if model == "" {
		model = msg.Get("model").String()
	}
	a.begin(msg.Get("id").String(), model)
	return a.roleChunk(dst)
}

// ensureStarted sends the role chunk when the upstream skipped
// message_start, so that every stream opens the same way.
func (a *anthropicToOpenAIStream) ensureStarted(dst []byte) []byte {
	if a.started {
		return dst
	}
	a.begin("", a.c.Model)
	return a.roleChunk(dst)
}

func (a *anthropicToOpenAIStream) begin(id, model string) {
	if id == "" {
		id = "msg_" + rand.Text()
	}
	h := append(make([]byte, 0, 128+len(id)+len(model)), `{"id":"chatcmpl-`...)
	h = appendStreamEscaped(h, id, false)
	h = append(h, `","object":"chat.completion.chunk","created":`...)
	h = strconv.AppendInt(h, a.created, 10)
	h = append(h, `,"model":`...)
	h = appendStreamJSONString(h, model)
	a.head = append(h, `,"choices":`...)
	a.started = true
}

func (a *anthropicToOpenAIStream) openChunk(dst []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, a.head...)
	return append(dst, `[{"index":0,"delta":`...)
}

func (a *anthropicToOpenAIStream) closeChunk(dst []byte, finish string) []byte {
	if finish == "" {
		return append(dst, ",\"finish_reason\":null}]}\n\n"...)
	}
	dst = append(dst, `,"finish_reason":"`...)
	dst = append(dst, finish...)
	return append(dst, "\"}]}\n\n"...)
}

func (a *anthropicToOpenAIStream) roleChunk(dst []byte) []byte {
	dst = a.openChunk(dst)
	dst = append(dst, `{"role":"assistant","content":""}`...)
	return a.closeChunk(dst, "")
}

// textChunk sends one string field of the delta; token is the upstream's
// JSON string token.
func (a *anthropicToOpenAIStream) textChunk(dst []byte, field, token string) []byte {
	dst = a.openChunk(dst)
	dst = append(dst, `{"`...)
	dst = append(dst, field...)
	dst = append(dst, `":`...)
	dst = appendStreamJSONToken(dst, token)
	dst = append(dst, '}')
	return a.closeChunk(dst, "")
}

func (a *anthropicToOpenAIStream) block(index int64) *a2oBlock {
	for i := range a.blocks {
		if a.blocks[i].index == index {
			return &a.blocks[i]
		}
	}
	return nil
}

func (a *anthropicToOpenAIStream) track(index int64, call int) {
	if b := a.block(index); b != nil {
		b.call = call
		return
	}
	a.blocks = append(a.blocks, a2oBlock{index: index, call: call})
}

func (a *anthropicToOpenAIStream) blockStart(dst []byte, data string) []byte {
	ev := gjson.Parse(data)
	idx := ev.Get("index")
	if idx.Type != gjson.Number {
		return dst
	}
	cb := ev.Get("content_block")
	switch cb.Get("type").String() {
	case "text":
		a.track(idx.Int(), -1)
		if t := cb.Get("text"); t.Type == gjson.String && nonEmptyStringToken(t.Raw) {
			dst = a.ensureStarted(dst)
			dst = a.textChunk(dst, "content", t.Raw)
		}
	case "thinking":
		a.track(idx.Int(), -1)
		if t := cb.Get("thinking"); t.Type == gjson.String && nonEmptyStringToken(t.Raw) {
			dst = a.ensureStarted(dst)
			dst = a.textChunk(dst, "reasoning_content", t.Raw)
		}
	case "tool_use":
		k := a.calls
		a.calls++
		a.track(idx.Int(), k)
		dst = a.ensureStarted(dst)
		dst = a.openChunk(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(k), 10)
		dst = append(dst, `,"id":`...)
		if id := cb.Get("id"); id.Type == gjson.String && nonEmptyStringToken(id.Raw) {
			dst = appendStreamJSONToken(dst, id.Raw)
		} else {
			dst = appendStreamJSONString(dst, "toolu_"+rand.Text())
		}
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = appendStreamJSONString(dst, a.c.CallerToolName(cb.Get("name").String()))
		dst = append(dst, `,"arguments":`...)
		// Anthropic streams input as input_json_delta after an empty {}, but
		// a compatible upstream may put the whole input here instead.
		if in := cb.Get("input"); in.IsObject() && tokenHasMembers(in.Raw) {
			dst = appendStreamJSONString(dst, in.Raw)
		} else {
			dst = append(dst, `""`...)
		}
		dst = append(dst, `}}]}`...)
		dst = a.closeChunk(dst, "")
	}
	// Server tool blocks (server_tool_use, web_search_tool_result, …) ran
	// upstream: there is nothing for the caller to execute or show.
	return dst
}

// blockDelta is the hot path: almost every event of a stream is one.
func (a *anthropicToOpenAIStream) blockDelta(dst []byte, data string) []byte {
	o, ok := newRawObjectIter(data)
	if !ok {
		return dst
	}
	var index int64
	hasIndex := false
	var delta string
	for k, v, ok := o.next(); ok; k, v, ok = o.next() {
		switch k {
		case "index":
			index, hasIndex = parseIndexToken(v)
		case "delta":
			delta = v
		}
	}
	d, ok := newRawObjectIter(delta)
	if !ok {
		return dst
	}
	var typ, text, thinking, partial string
	for k, v, ok := d.next(); ok; k, v, ok = d.next() {
		switch k {
		case "type":
			typ = v
		case "text":
			text = v
		case "thinking":
			thinking = v
		case "partial_json":
			partial = v
		}
	}
	switch {
	case stringTokenIs(typ, "text_delta"):
		if nonEmptyStringToken(text) {
			dst = a.ensureStarted(dst)
			dst = a.textChunk(dst, "content", text)
		}
	case stringTokenIs(typ, "thinking_delta"):
		if nonEmptyStringToken(thinking) {
			dst = a.ensureStarted(dst)
			dst = a.textChunk(dst, "reasoning_content", thinking)
		}
	case stringTokenIs(typ, "input_json_delta"):
		if !hasIndex || !nonEmptyStringToken(partial) {
			break
		}
		b := a.block(index)
		if b == nil || b.call < 0 {
			break // a server tool's input, or a block never started
		}
		dst = a.openChunk(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(b.call), 10)
		dst = append(dst, `,"function":{"arguments":`...)
		dst = appendStreamJSONToken(dst, partial)
		dst = append(dst, `}}]}`...)
		dst = a.closeChunk(dst, "")
	}
	// signature_delta cannot be expressed in OpenAI's format, and
	// citations_delta belongs to text already sent.
	return dst
}

func (a *anthropicToOpenAIStream) messageDelta(dst []byte, data string) []byte {
	sr := gjson.Get(data, "delta.stop_reason")
	if a.finishSent || sr.Type != gjson.String || sr.Str == "" {
		return dst
	}
	dst = a.ensureStarted(dst)
	return a.finishChunk(dst, streamFinishReason(sr.Str, a.calls > 0))
}

func (a *anthropicToOpenAIStream) finishChunk(dst []byte, reason string) []byte {
	a.finishSent = true
	dst = a.openChunk(dst)
	dst = append(dst, "{}"...)
	return a.closeChunk(dst, reason)
}

// finish ends a complete stream: the finish_reason chunk if message_delta
// had none, the usage chunk if the caller asked for it, then [DONE]. The
// usage chunk has no choices, because ChatCompletionAccumulator overwrites
// finish_reason from every chunk that carries a choice.
func (a *anthropicToOpenAIStream) finish(dst []byte) []byte {
	dst = a.ensureStarted(dst)
	if !a.finishSent {
		dst = a.finishChunk(dst, streamFinishReason("", a.calls > 0))
	}
	if a.c.IncludeUsage {
		u := a.meter.Usage
		prompt := u.Input + u.CacheRead + u.CacheWrite
		dst = append(dst, "data: "...)
		dst = append(dst, a.head...)
		dst = append(dst, `[],"usage":{"prompt_tokens":`...)
		dst = strconv.AppendInt(dst, prompt, 10)
		dst = append(dst, `,"completion_tokens":`...)
		dst = strconv.AppendInt(dst, u.Output, 10)
		dst = append(dst, `,"total_tokens":`...)
		dst = strconv.AppendInt(dst, prompt+u.Output, 10)
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = strconv.AppendInt(dst, u.CacheRead, 10)
		dst = append(dst, "}}}\n\n"...)
	}
	a.done = true
	return append(dst, "data: [DONE]\n\n"...)
}

// upstreamError passes an Anthropic error event on as an error chunk. The
// Anthropic error type is kept as the type: it says more than any OpenAI
// type it could be squeezed into (overloaded_error, rate_limit_error…).
func (a *anthropicToOpenAIStream) upstreamError(dst []byte, data string) []byte {
	a.done = true
	e := gjson.Get(data, "error")
	typ := e.Get("type").String()
	if typ == "" {
		typ = "api_error"
	}
	msg := e.Get("message").String()
	if msg == "" && e.Type == gjson.String {
		msg = e.Str
	}
	if msg == "" {
		msg = "upstream stream error"
	}
	return appendStreamOpenAIError(dst, msg, typ)
}

// streamFinishReason maps an Anthropic stop reason as FinishReason does.
// A turn that called tools reports tool_calls even when the upstream said
// end_turn, since that is what makes OpenAI clients run them; a turn cut
// short (length) keeps its reason, as OpenAI and Anthropic themselves
// report a tool call cut by the token limit, so that the caller does not
// run a call whose arguments are incomplete.
func streamFinishReason(stop string, tools bool) string {
	if r := FinishReason(stop); r != "stop" || !tools {
		return r
	}
	return "tool_calls"
}

// tokenHasMembers reports whether raw is an object with at least one member.
func tokenHasMembers(raw string) bool {
	o, ok := newRawObjectIter(raw)
	if !ok {
		return false
	}
	_, _, ok = o.next()
	return ok
}
