package transformer

// decodeResponse reads a chat.completion. Only the first choice is kept:
// no other format has n. A message has no order among its fields; the
// parts come as the other formats order them: reasoning, text, refusal,
// tool calls.
func (chatCodec) decodeResponse(x *responseState, c *Conversion, root jsonValue) error {
	r := &x.form
	var choices, usage jsonValue
	it := members(root)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
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
	var message, finish jsonValue
	if choices.isArray() {
		all := values(choices)
		if choice, ok := all.next(); ok {
			cm := members(choice)
			for k, v, ok := cm.next(); ok; k, v, ok = cm.next() {
				switch k {
				case "message":
					message = v
				case "finish_reason":
					finish = v
				}
			}
		}
	}
	r.Stop = chatStopReason(finish.str())

	var content, reasoningContent, reasoning, refusal, toolCalls, functionCall jsonValue
	mm := members(message)
	for k, v, ok := mm.next(); ok; k, v, ok = mm.next() {
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
	if !reasoningContent.isString() || !reasoningContent.hasText() {
		reasoningContent = reasoning
	}
	if reasoningContent.isString() && reasoningContent.hasText() {
		r.Content = append(r.Content, formPart{Kind: blockThinking, Text: reasoningContent})
	}
	switch {
	case content.isString():
		r.Content = append(r.Content, formPart{Kind: blockText, Text: content})
	case content.isArray():
		parts := values(content)
		for v, ok := parts.next(); ok; v, ok = parts.next() {
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
	if refusal.isString() && refusal.hasText() {
		r.Content = append(r.Content, formPart{Kind: blockRefusal, Text: refusal})
		r.Stop = stopRefusal
	}
	if toolCalls.isArray() {
		calls := values(toolCalls)
		for v, ok := calls.next(); ok; v, ok = calls.next() {
			decodeChatToolCall(x, c, v)
		}
	}
	if functionCall.isObject() {
		var fn toolDef
		fn.read(functionCall)
		r.Content = append(r.Content, formPart{Kind: blockToolCall, Name: x.callerToolName(c, fn.name),
			Input: fn.arguments, InputString: fn.arguments.isString()})
	}
	if usage.isObject() {
		r.Usage.mergeObject(OpenAI, usage.result())
	}
	return nil
}

// decodeChatToolCall reads one entry of a message's tool_calls: a
// function call, or a call of a custom (freeform) tool.
func decodeChatToolCall(x *responseState, c *Conversion, v jsonValue) {
	r := &x.form
	var typ string
	var id, fn, custom jsonValue
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			typ = x.str()
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
			Input: f.arguments, InputString: f.arguments.isString()})
	case "custom":
		var name, input jsonValue
		ct := members(custom)
		for k, x, ok := ct.next(); ok; k, x, ok = ct.next() {
			switch k {
			case "name":
				name = x
			case "input":
				input = x
			}
		}
		r.Content = append(r.Content, formPart{Kind: blockToolCall, ID: id, Name: x.callerToolName(c, name),
			Input: input, InputString: input.isString(), Freeform: input.isString()})
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
		case p.Kind == blockText && p.Text.isString() && p.Text.hasText():
			texts++
		case p.Kind == blockThinking && p.Text.isString() && p.Text.hasText():
			thoughts++
		case p.Kind == blockRefusal && p.Text.isString() && p.Text.hasText():
			refusals++
		case p.Kind == blockToolCall:
			calls++
		}
	}
	out = append(out, `{"id":`...)
	if r.ID.hasText() {
		out = appendValueString(out, r.ID)
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
			out = appendSep(out)
			out = append(out, `{"id":`...)
			if p.ID.hasText() {
				out = appendValueString(out, p.ID)
			} else {
				out = appendMadeUpCallID(out, "call_", r.ID, n)
			}
			out = append(out, `,"type":"function","function":{"name":`...)
			out = appendValueString(out, p.Name)
			out = append(out, `,"arguments":`...)
			out = appendInputString(out, p)
			out = append(out, `}}`...)
			n++
		}
		out = append(out, ']')
	}
	out = append(out, `},"finish_reason":"`...)
	out = append(out, chatFinishReason(r.Stop, false)...)
	out = append(out, `"}]`...)
	return appendOpenAIUsage(out, r.Usage)
}

// appendJoinedTexts appends the texts of the parts of one kind as one
// string literal.
func appendJoinedTexts(out []byte, parts []formPart, kind blockKind) []byte {
	out = append(out, '"')
	for i := range parts {
		if p := &parts[i]; p.Kind == kind && p.Text.isString() {
			out = appendValueBody(out, p.Text)
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
