package transformer

import (
	"fmt"
	"strings"

	"github.com/routex/routex/internal/jsonx"
)

// decodeResponse reads a Responses API response object. Output items are
// read in order: message items give their output_text and refusal parts,
// function_call and custom_tool_call items their calls, reasoning items
// one thinking part per summary text. Built-in tool items (web search,
// file search…) run at OpenAI and have no form.
func (responsesCodec) decodeResponse(x *responseState, c *Conversion, root jsonValue) error {
	r := &x.form
	var status string
	var output, usage, incomplete, failure jsonValue
	it := members(root)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch k {
		case "id":
			r.ID = v
		case "model":
			r.Model = v
		case "status":
			status = v.str()
		case "output":
			output = v
		case "usage":
			usage = v
		case "incomplete_details":
			incomplete = v
		case "error":
			failure = v
		}
	}
	if status == "failed" || status == "cancelled" {
		msg := failure.get("message").text()
		if msg == "" {
			msg = "status " + status
		}
		return fmt.Errorf("%w: %s", ErrResponseFailed, errorSnippet(msg))
	}
	refused := false
	if output.isArray() {
		items := values(output)
		for v, ok := items.next(); ok; v, ok = items.next() {
			if decodeResponsesItem(x, c, v) {
				refused = true
			}
		}
	}
	switch reason := incomplete.get("reason").str(); {
	case status == "incomplete" && reason == "content_filter":
		r.Stop = stopRefusal
	case status == "incomplete" && reason == "max_output_tokens":
		r.Stop = stopMaxTokens
	case refused:
		r.Stop = stopRefusal
	}
	if usage.isObject() {
		r.Usage.mergeObject(Responses, usage.result())
	}
	return nil
}

// decodeResponsesItem appends the parts of one output item and reports
// whether it held a refusal.
func decodeResponsesItem(x *responseState, c *Conversion, v jsonValue) (refused bool) {
	r := &x.form
	var it responsesItem
	it.read(v)
	switch it.typ {
	case "message":
		parts := values(it.content)
		for pv, ok := parts.next(); ok && it.content.isArray(); pv, ok = parts.next() {
			var typ string
			var text, refusal jsonValue
			pm := members(pv)
			for k, x, ok := pm.next(); ok; k, x, ok = pm.next() {
				switch k {
				case "type":
					typ = x.str()
				case "text":
					text = x
				case "refusal":
					refusal = x
				}
			}
			switch typ {
			case "output_text":
				r.Content = append(r.Content, formPart{Kind: blockText, Text: text})
			case "refusal":
				r.Content = append(r.Content, formPart{Kind: blockRefusal, Text: refusal})
				refused = true
			}
		}
	case "function_call":
		r.Content = append(r.Content, formPart{Kind: blockToolCall, ID: it.callID, Name: x.callerToolName(c, it.name),
			Input: it.arguments, InputString: it.arguments.isString()})
	case "custom_tool_call":
		r.Content = append(r.Content, formPart{Kind: blockToolCall, ID: it.callID, Name: x.callerToolName(c, it.name),
			Input: it.input, InputString: true, Freeform: true})
	case "reasoning":
		decodeReasoningItem(x, &it)
	}
	return refused
}

// decodeReasoningItem appends a reasoning item as thinking: one part per
// summary text, the first carrying the item's id and encrypted content.
// Content in the carried form (carriedPrefix) is thinking an Anthropic
// provider produced, restored with its signature; any other is OpenAI's own.
func decodeReasoningItem(x *responseState, it *responsesItem) {
	r := &x.form
	first := len(r.Content)
	kind := blockThinking
	sig, origin := it.encrypted, Responses
	if body := it.encrypted.body(); strings.HasPrefix(body, carriedPrefix+"a") && len(body) > len(carriedPrefix)+3 &&
		body[len(carriedPrefix)+2] == ':' {
		switch body[len(carriedPrefix)+1] {
		case 't':
			sig, origin = x.token(body[len(carriedPrefix)+3:]), Anthropic
		case 'r':
			sig, origin, kind = x.token(body[len(carriedPrefix)+3:]), Anthropic, blockRedacted
		}
	}
	if !sig.isString() {
		sig = ""
	}
	if kind == blockThinking {
		summaries := values(it.summary)
		for sv, ok := summaries.next(); ok && it.summary.isArray(); sv, ok = summaries.next() {
			if text := sv.get("text"); text.isString() {
				r.Content = append(r.Content, formPart{Kind: blockThinking, Text: text})
			}
		}
	}
	if len(r.Content) == first {
		r.Content = append(r.Content, formPart{Kind: kind})
	}
	p := &r.Content[first]
	p.ID, p.Signature, p.Origin = it.id, sig, origin
}

// appendResponse writes a Responses API response object. The parts become
// output items in their order: consecutive texts and refusals one message
// item, thinking a reasoning item (an Anthropic signature carried in
// encrypted_content, see carriedPrefix), each tool call a function_call
// item, or a custom_tool_call item for a tool the caller declared
// freeform. Ids the caller never saw are made up: resp_ and msg_ / rs_ with
// one random part, fc_ / ctc_ from the call's id.
func (responsesCodec) appendResponse(out []byte, x *responseState, c *Conversion) []byte {
	r := &x.form
	status, reason := "completed", ""
	switch r.Stop {
	case stopMaxTokens, stopContextWindow:
		status, reason = "incomplete", "max_output_tokens"
	case stopRefusal:
		status, reason = "incomplete", "content_filter"
	}
	out = append(out, `{"id":"resp_`...)
	out = appendRandomHex(out)
	// The item ids share the response's random part. Later appends never
	// write over it, wherever out moves.
	base := out[len(out)-randomHexLen:]
	out = append(out, `","object":"response","created_at":`...)
	out = appendInt(out, unixNow())
	out = append(out, `,"status":"`...)
	out = append(out, status...)
	out = append(out, `","background":false,"error":null,"incomplete_details":`...)
	if reason != "" {
		out = append(out, `{"reason":"`...)
		out = append(out, reason...)
		out = append(out, `"}`...)
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"instructions":null,"max_output_tokens":null,"model":`...)
	out = appendResponseModel(out, c, r.Model)
	out = append(out, `,"output":[`...)
	inMessage := false
	var messages, thoughts, calls int
	for i := range r.Content {
		p := &r.Content[i]
		if p.Kind == blockText || p.Kind == blockRefusal {
			if !p.Text.isString() || !p.Text.hasText() {
				continue
			}
			if !inMessage {
				out = appendSep(out)
				out = append(out, `{"id":"msg_`...)
				out = appendItemSuffix(out, base, messages)
				out = append(out, `","type":"message","status":"`...)
				out = append(out, status...)
				out = append(out, `","role":"assistant","content":[`...)
				inMessage = true
				messages++
			}
			out = appendSep(out)
			if p.Kind == blockText {
				out = append(out, `{"type":"output_text","annotations":[],"text":`...)
			} else {
				out = append(out, `{"type":"refusal","refusal":`...)
			}
			out = append(out, p.Text...)
			out = append(out, '}')
			continue
		}
		switch p.Kind {
		case blockThinking, blockRedacted, blockToolCall:
		default:
			continue
		}
		if inMessage {
			out = append(out, `]}`...)
			inMessage = false
		}
		out = appendSep(out)
		switch p.Kind {
		case blockThinking, blockRedacted:
			out = append(out, `{"id":"rs_`...)
			out = appendItemSuffix(out, base, thoughts)
			out = append(out, `","type":"reasoning","summary":[`...)
			if p.Kind == blockThinking && p.Text.isString() && p.Text.hasText() {
				out = append(out, `{"type":"summary_text","text":`...)
				out = append(out, p.Text...)
				out = append(out, '}')
			}
			out = append(out, ']')
			if p.Origin == Anthropic && p.Signature.hasText() {
				out = append(out, `,"encrypted_content":"`...)
				out = append(out, carriedPrefix+"a"...)
				if p.Kind == blockThinking {
					out = append(out, "t:"...)
				} else {
					out = append(out, "r:"...)
				}
				out = appendValueBody(out, p.Signature)
				out = append(out, '"')
			}
			out = append(out, '}')
			thoughts++
		case blockToolCall:
			out = x.appendResponsesCall(out, c, p, r.ID, calls)
			calls++
		}
	}
	if inMessage {
		out = append(out, `]}`...)
	}
	out = append(out, `],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},`+
		`"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"truncation":"disabled"`...)
	out = appendResponsesUsage(out, r.Usage)
	return append(out, `,"user":null,"metadata":{}}`...)
}

// appendItemSuffix appends an item id's random part, and for all but the
// first item of its type a counter that keeps the ids distinct.
func appendItemSuffix(out, base []byte, n int) []byte {
	out = append(out, base...)
	if n > 0 {
		out = append(out, '_')
		out = appendInt(out, int64(n))
	}
	return out
}

// appendResponsesCall appends a function_call item, or a custom_tool_call
// item when the caller declared the tool freeform: then the text is the
// "input" argument the function form of the tool carried.
func (x *responseState) appendResponsesCall(out []byte, c *Conversion, p *formPart, answerID jsonValue, n int) []byte {
	freeform := p.Freeform || c.IsFreeform(p.Name.str())
	id := p.ID
	if !id.hasText() {
		// A call without an id (Chat's legacy function_call) still needs
		// one for its output to answer.
		start := len(out)
		out = appendMadeUpCallID(out, "call_", answerID, n)
		id = jsonValue(string(out[start:]))
		out = out[:start]
	}
	if freeform {
		out = append(out, `{"id":"ctc_`...)
	} else {
		out = append(out, `{"id":"fc_`...)
	}
	out = appendValueBody(out, id)
	if freeform {
		out = append(out, `","type":"custom_tool_call","status":"completed","call_id":`...)
	} else {
		out = append(out, `","type":"function_call","status":"completed","arguments":`...)
		out = appendInputString(out, p)
		out = append(out, `,"call_id":`...)
	}
	out = appendValueString(out, id)
	if freeform {
		out = append(out, `,"input":`...)
		out = x.appendFreeformInput(out, p)
	}
	out = append(out, `,"name":`...)
	out = appendValueString(out, p.Name)
	if ns := c.Namespace(p.Name.str()); ns != "" {
		out = append(out, `,"namespace":`...)
		out = appendJSONString(out, ns)
	}
	return append(out, '}')
}

// appendFreeformInput appends a freeform call's text as a string token: as
// it came, or the "input" string of the function form's arguments. A model
// that wrote other arguments has them passed on as the text.
func (x *responseState) appendFreeformInput(out []byte, p *formPart) []byte {
	if p.Freeform && p.Input.isString() {
		return append(out, p.Input...)
	}
	args := p.Input
	if p.InputString && p.Input.isString() {
		x.scratch = jsonx.AppendUnescaped(x.scratch[:0], p.Input.body())
		args = jsonValue(bytesString(x.scratch))
	}
	// The unescaped arguments were never validated: the string is used
	// only if it is a valid literal.
	if in := args.get("input"); in.isString() && jsonx.Valid(string(in)) {
		return append(out, in...)
	}
	if p.Input.isString() {
		return append(out, p.Input...)
	}
	if p.Input.isObject() {
		return appendJSONAsString(out, string(p.Input))
	}
	return append(out, `""`...)
}

// appendResponsesUsage appends `,"usage":{…}`. The Responses API's
// input_tokens include cached ones, as Chat's prompt_tokens do.
func appendResponsesUsage(out []byte, u Usage) []byte {
	input := u.Input + u.CacheRead + u.CacheWrite
	out = append(out, `,"usage":{"input_tokens":`...)
	out = appendInt(out, input)
	out = append(out, `,"input_tokens_details":{"cached_tokens":`...)
	out = appendInt(out, u.CacheRead)
	if u.CacheWrite > 0 {
		out = append(out, `,"cache_write_tokens":`...)
		out = appendInt(out, u.CacheWrite)
	}
	out = append(out, `},"output_tokens":`...)
	out = appendInt(out, u.Output)
	out = append(out, `,"output_tokens_details":{"reasoning_tokens":`...)
	out = appendInt(out, u.Reasoning)
	out = append(out, `},"total_tokens":`...)
	out = appendInt(out, input+u.Output)
	return append(out, '}')
}
