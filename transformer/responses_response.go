package transformer

import (
	"fmt"
	"github.com/tidwall/gjson"
	"strings"

	"github.com/routex/routex/internal/jsonx"
)

// decodeResponse reads a Responses API response object. Output items are
// read in order: message items give their output_text and refusal parts,
// function_call and custom_tool_call items their calls, reasoning items
// one thinking part per summary text. Built-in tool items (web search,
// file search…) run at OpenAI and have no form.
func (responsesCodec) decodeResponse(x *responseState, c *Conversion, root jsonx.Value) error {
	r := &x.form
	var status string
	var output, usage, incomplete, failure jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "id":
			r.ID = v
		case "model":
			r.Model = v
		case "status":
			status = v.Str()
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
		msg := failure.Get("message").Text()
		if msg == "" {
			msg = "status " + status
		}
		return fmt.Errorf("%w: %s", ErrResponseFailed, errorSnippet(msg))
	}
	refused := false
	if output.IsArray() {
		items := output.Values()
		for v, ok := items.Next(); ok; v, ok = items.Next() {
			if decodeResponsesItem(x, c, v) {
				refused = true
			}
		}
	}
	switch reason := incomplete.Get("reason").Str(); {
	case status == "incomplete" && reason == "content_filter":
		r.Stop = stopRefusal
	case status == "incomplete" && reason == "max_output_tokens":
		r.Stop = stopMaxTokens
	case refused:
		r.Stop = stopRefusal
	}
	if usage.IsObject() {
		r.Usage.mergeObject(Responses, gjson.Parse(string(usage)))
	}
	return nil
}

// decodeResponsesItem appends the parts of one output item and reports
// whether it held a refusal.
func decodeResponsesItem(x *responseState, c *Conversion, v jsonx.Value) (refused bool) {
	r := &x.form
	var it responsesItem
	it.read(v)
	switch it.typ {
	case "message":
		parts := it.content.Values()
		for pv, ok := parts.Next(); ok && it.content.IsArray(); pv, ok = parts.Next() {
			var typ string
			var text, refusal jsonx.Value
			pm := pv.Members()
			for k, x, ok := pm.Next(); ok; k, x, ok = pm.Next() {
				switch k {
				case "type":
					typ = x.Str()
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
			Input: it.arguments, InputString: it.arguments.IsString()})
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
	if body := it.encrypted.Body(); strings.HasPrefix(body, carriedPrefix+"a") && len(body) > len(carriedPrefix)+3 &&
		body[len(carriedPrefix)+2] == ':' {
		switch body[len(carriedPrefix)+1] {
		case 't':
			sig, origin = x.token(body[len(carriedPrefix)+3:]), Anthropic
		case 'r':
			sig, origin, kind = x.token(body[len(carriedPrefix)+3:]), Anthropic, blockRedacted
		}
	}
	if !sig.IsString() {
		sig = ""
	}
	if kind == blockThinking {
		summaries := it.summary.Values()
		for sv, ok := summaries.Next(); ok && it.summary.IsArray(); sv, ok = summaries.Next() {
			if text := sv.Get("text"); text.IsString() {
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
			if !p.Text.IsString() || !p.Text.HasText() {
				continue
			}
			if !inMessage {
				out = jsonx.AppendSep(out)
				out = append(out, `{"id":"msg_`...)
				out = appendItemSuffix(out, base, messages)
				out = append(out, `","type":"message","status":"`...)
				out = append(out, status...)
				out = append(out, `","role":"assistant","content":[`...)
				inMessage = true
				messages++
			}
			out = jsonx.AppendSep(out)
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
		out = jsonx.AppendSep(out)
		switch p.Kind {
		case blockThinking, blockRedacted:
			out = append(out, `{"id":"rs_`...)
			out = appendItemSuffix(out, base, thoughts)
			out = append(out, `","type":"reasoning","summary":[`...)
			if p.Kind == blockThinking && p.Text.IsString() && p.Text.HasText() {
				out = append(out, `{"type":"summary_text","text":`...)
				out = append(out, p.Text...)
				out = append(out, '}')
			}
			out = append(out, ']')
			if p.Origin == Anthropic && p.Signature.HasText() {
				out = append(out, `,"encrypted_content":"`...)
				out = append(out, carriedPrefix+"a"...)
				if p.Kind == blockThinking {
					out = append(out, "t:"...)
				} else {
					out = append(out, "r:"...)
				}
				out = jsonx.AppendValueBody(out, p.Signature)
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
func (x *responseState) appendResponsesCall(out []byte, c *Conversion, p *formPart, answerID jsonx.Value, n int) []byte {
	freeform := p.Freeform || c.IsFreeform(p.Name.Str())
	id := p.ID
	if !id.HasText() {
		// A call without an id (Chat's legacy function_call) still needs
		// one for its output to answer.
		start := len(out)
		out = appendMadeUpCallID(out, "call_", answerID, n)
		id = jsonx.Value(string(out[start:]))
		out = out[:start]
	}
	if freeform {
		out = append(out, `{"id":"ctc_`...)
	} else {
		out = append(out, `{"id":"fc_`...)
	}
	out = jsonx.AppendValueBody(out, id)
	if freeform {
		out = append(out, `","type":"custom_tool_call","status":"completed","call_id":`...)
	} else {
		out = append(out, `","type":"function_call","status":"completed","arguments":`...)
		out = appendInputString(out, p)
		out = append(out, `,"call_id":`...)
	}
	out = jsonx.AppendValueString(out, id)
	if freeform {
		out = append(out, `,"input":`...)
		out = x.appendFreeformInput(out, p)
	}
	out = append(out, `,"name":`...)
	out = jsonx.AppendValueString(out, p.Name)
	if ns := c.Namespace(p.Name.Str()); ns != "" {
		out = append(out, `,"namespace":`...)
		out = jsonx.AppendString(out, ns)
	}
	return append(out, '}')
}

// appendFreeformInput appends a freeform call's text as a string token: as
// it came, or the "input" string of the function form's arguments. A model
// that wrote other arguments has them passed on as the text.
func (x *responseState) appendFreeformInput(out []byte, p *formPart) []byte {
	if p.Freeform && p.Input.IsString() {
		return append(out, p.Input...)
	}
	args := p.Input
	if p.InputString && p.Input.IsString() {
		x.scratch = jsonx.AppendUnescaped(x.scratch[:0], p.Input.Body())
		args = jsonx.Value(jsonx.BytesString(x.scratch))
	}
	// The unescaped arguments were never validated: the string is used
	// only if it is a valid literal.
	if in := args.Get("input"); in.IsString() && jsonx.Valid(string(in)) {
		return append(out, in...)
	}
	if p.Input.IsString() {
		return append(out, p.Input...)
	}
	if p.Input.IsObject() {
		return jsonx.AppendAsString(out, string(p.Input))
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
