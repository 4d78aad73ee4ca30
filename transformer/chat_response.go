package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
)

// decodeResponse reads a chat.completion. Only the first choice is kept:
// no other format has n. A message has no order among its fields; the
// parts come as the other formats order them: reasoning, text, refusal,
// tool calls.
func (chatCodec) decodeResponse(x *responseState, c *Conversion, root jsonx.Value) error {
	r := &x.form
	var choices, usage jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "id":
			r.ID = v
		case "model":
			r.Model = v
		case "choices":
			choices = v
		case "usage":
			usage = v
		}
	}
	var message, finish jsonx.Value
	if choices.IsArray() {
		all := choices.Values()
		if choice, ok := all.Next(); ok {
			cm := choice.Members()
			for k, v, ok := cm.Next(); ok; k, v, ok = cm.Next() {
				switch k {
				case "message":
					message = v
				case "finish_reason":
					finish = v
				}
			}
		}
	}
	r.Stop = chatStopReason(finish.Str())

	var content, reasoningContent, reasoning, refusal, toolCalls, functionCall jsonx.Value
	mm := message.Members()
	for k, v, ok := mm.Next(); ok; k, v, ok = mm.Next() {
		switch k {
		case "content":
			content = v
		case "reasoning_content":
			reasoningContent = v
		case "reasoning":
			reasoning = v
		case "refusal":
			refusal = v
		case "tool_calls":
			toolCalls = v
		case "function_call":
			functionCall = v
		}
	}
	// DeepSeek's reasoning_content, or the reasoning other servers send.
	if !reasoningContent.IsString() || !reasoningContent.HasText() {
		reasoningContent = reasoning
	}
	if reasoningContent.IsString() && reasoningContent.HasText() {
		r.Content = append(r.Content, formPart{Kind: blockThinking, Text: reasoningContent})
	}
	switch {
	case content.IsString():
		r.Content = append(r.Content, formPart{Kind: blockText, Text: content})
	case content.IsArray():
		parts := content.Values()
		for v, ok := parts.Next(); ok; v, ok = parts.Next() {
			var p openAIPart
			p.read(v)
			switch p.typ {
			case "text":
				r.Content = append(r.Content, formPart{Kind: blockText, Text: p.text})
			case "refusal":
				r.Content = append(r.Content, formPart{Kind: blockRefusal, Text: p.refusal})
				r.Stop = stopRefusal
			}
		}
	}
	// "refusal": null and "annotations": [] come with every real OpenAI
	// reply; only a refusal string is content.
	if refusal.IsString() && refusal.HasText() {
		r.Content = append(r.Content, formPart{Kind: blockRefusal, Text: refusal})
		r.Stop = stopRefusal
	}
	if toolCalls.IsArray() {
		calls := toolCalls.Values()
		for v, ok := calls.Next(); ok; v, ok = calls.Next() {
			decodeChatToolCall(x, c, v)
		}
	}
	if functionCall.IsObject() {
		var fn toolDef
		fn.read(functionCall)
		r.Content = append(r.Content, formPart{Kind: blockToolCall, Name: x.callerToolName(c, fn.name),
			Input: fn.arguments, InputString: fn.arguments.IsString()})
	}
	if usage.IsObject() {
		r.Usage.mergeObject(OpenAI, gjson.Parse(string(usage)))
	}
	return nil
}

// decodeChatToolCall reads one entry of a message's tool_calls: a
// function call, or a call of a custom (freeform) tool.
func decodeChatToolCall(x *responseState, c *Conversion, v jsonx.Value) {
	r := &x.form
	var typ string
	var id, fn, custom jsonx.Value
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			typ = x.Str()
		case "id":
			id = x
		case "function":
			fn = x
		case "custom":
			custom = x
		}
	}
	switch typ {
	case "function", "":
		var f toolDef
		f.read(fn)
		r.Content = append(r.Content, formPart{Kind: blockToolCall, ID: id, Name: x.callerToolName(c, f.name),
			Input: f.arguments, InputString: f.arguments.IsString()})
	case "custom":
		var name, input jsonx.Value
		ct := custom.Members()
		for k, x, ok := ct.Next(); ok; k, x, ok = ct.Next() {
			switch k {
			case "name":
				name = x
			case "input":
				input = x
			}
		}
		r.Content = append(r.Content, formPart{Kind: blockToolCall, ID: id, Name: x.callerToolName(c, name),
			Input: input, InputString: input.IsString(), Freeform: input.IsString()})
	}
}

// appendResponse writes a chat.completion. Texts join into the one content
// string, thinking into reasoning_content (the field DeepSeek and most
// OpenAI-compatible clients read), refusals into refusal. Redacted
// thinking and signatures have no place in it. Citations are not turned
// into annotations: nothing in a Chat reply would point at the cited
// documents.
func (chatCodec) appendResponse(out []byte, x *responseState, c *Conversion) []byte {
	r := &x.form
	var texts, thoughts, refusals, calls int
	for i := range r.Content {
		p := &r.Content[i]
		switch {
		case p.Kind == blockText && p.Text.IsString() && p.Text.HasText():
			texts++
		case p.Kind == blockThinking && p.Text.IsString() && p.Text.HasText():
			thoughts++
		case p.Kind == blockRefusal && p.Text.IsString() && p.Text.HasText():
			refusals++
		case p.Kind == blockToolCall:
			calls++
		}
	}
	out = append(out, `{"id":`...)
	if r.ID.HasText() {
		out = jsonx.AppendValueString(out, r.ID)
	} else {
		out = append(out, `"chatcmpl-`...)
		out = appendRandomHex(out)
		out = append(out, '"')
	}
	out = append(out, `,"object":"chat.completion","created":`...)
	out = appendInt(out, unixNow())
	out = append(out, `,"model":`...)
	out = appendResponseModel(out, c, r.Model)
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	switch {
	case texts > 0:
		out = appendJoinedTexts(out, r.Content, blockText)
	case calls > 0 || refusals > 0:
		out = append(out, "null"...)
	default:
		out = append(out, `""`...)
	}
	if thoughts > 0 {
		out = append(out, `,"reasoning_content":`...)
		out = appendJoinedTexts(out, r.Content, blockThinking)
	}
	if refusals > 0 {
		out = append(out, `,"refusal":`...)
		out = appendJoinedTexts(out, r.Content, blockRefusal)
	}
	if calls > 0 {
		out = append(out, `,"tool_calls":[`...)
		n := 0
		for i := range r.Content {
			p := &r.Content[i]
			if p.Kind != blockToolCall {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"id":`...)
			if p.ID.HasText() {
				out = jsonx.AppendValueString(out, p.ID)
			} else {
				out = appendMadeUpCallID(out, "call_", r.ID, n)
			}
			out = append(out, `,"type":"function","function":{"name":`...)
			out = jsonx.AppendValueString(out, p.Name)
			out = append(out, `,"arguments":`...)
			out = appendInputString(out, p)
			out = append(out, '}')
			if p.Origin == Gemini && nonEmptyStringToken(string(p.Signature)) {
				out = appendGeminiExtraContent(out, p.Signature)
			}
			out = append(out, '}')
			n++
		}
		out = append(out, ']')
	}
	out = append(out, `},"finish_reason":"`...)
	out = append(out, chatFinishReason(r.Stop, false)...)
	out = append(out, `"}]`...)
	return appendOpenAIUsage(out, r.Usage)
}

// appendGeminiExtraContent appends the thoughtSignature Gemini gave a
// function call as Google's OpenAI-compatible API carries it, beside the
// call: "extra_content":{"google":{"thought_signature":…}}. A caller that
// sends the call back with it lets Gemini 3 resume its reasoning.
func appendGeminiExtraContent(dst []byte, sig jsonx.Value) []byte {
	dst = append(dst, `,"extra_content":{"google":{"thought_signature":`...)
	dst = jsonx.AppendToken(dst, string(sig))
	return append(dst, `}}`...)
}

// appendJoinedTexts appends the texts of the parts of one kind as one
// string literal.
func appendJoinedTexts(out []byte, parts []formPart, kind blockKind) []byte {
	out = append(out, '"')
	for i := range parts {
		if p := &parts[i]; p.Kind == kind && p.Text.IsString() {
			out = jsonx.AppendValueBody(out, p.Text)
		}
	}
	return append(out, '"')
}

// appendOpenAIUsage appends `,"usage":{…}}`, closing the completion.
// OpenAI's prompt_tokens include cached ones; Anthropic's input_tokens do
// not.
func appendOpenAIUsage(out []byte, u Usage) []byte {
	prompt := u.Input + u.CacheRead + u.CacheWrite
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = appendInt(out, prompt)
	out = append(out, `,"completion_tokens":`...)
	out = appendInt(out, u.Output)
	out = append(out, `,"total_tokens":`...)
	out = appendInt(out, prompt+u.Output)
	out = append(out, `,"prompt_tokens_details":{"cached_tokens":`...)
	out = appendInt(out, u.CacheRead)
	out = append(out, '}')
	if u.Reasoning > 0 {
		out = append(out, `,"completion_tokens_details":{"reasoning_tokens":`...)
		out = appendInt(out, u.Reasoning)
		out = append(out, '}')
	}
	if u.CacheWrite > 0 {
		// Not an OpenAI field, but the one OpenAI-compatible gateways use
		// for cache writes, which cost more than other input.
		out = append(out, `,"cache_creation_input_tokens":`...)
		out = appendInt(out, u.CacheWrite)
	}
	return append(out, `}}`...)
}

// toolDef is a tool definition in either format, or an OpenAI function.
type toolDef struct {
	typ                                   string
	name, description, schema, strict, fn jsonx.Value
	arguments                             jsonx.Value
}

func (t *toolDef) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			t.typ = x.Str()
		case "name":
			t.name = x
		case "description":
			t.description = x
		case "input_schema", "parameters":
			t.schema = x
		case "strict":
			t.strict = x
		case "function":
			t.fn = x
		case "arguments":
			t.arguments = x
		}
	}
}

// openAIPart is an OpenAI content part, or a tool call.
type openAIPart struct {
	typ                               string
	text, refusal, imageURL, file, id jsonx.Value
	function                          jsonx.Value
}

func (p *openAIPart) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			p.typ = x.Str()
		case "text":
			p.text = x
		case "refusal":
			p.refusal = x
		case "image_url":
			p.imageURL = x
		case "file":
			p.file = x
		case "id":
			p.id = x
		case "function":
			p.function = x
		}
	}
}
