package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
	"strconv"
)

// chatRequestMessage is a Chat Completions message, content part, tool,
// tool call or function, read in one pass.
type chatRequestMessage struct {
	typ, role string
	content, toolCalls, functionCall, callID, reasoning, text, refusal,
	imageURL, file, id, function, custom, name, description, parameters,
	strict, arguments, input, format, extra jsonx.Value
}

func (m *chatRequestMessage) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			m.typ = x.Str()
		case "role":
			m.role = x.Str()
		case "content":
			m.content = x
		case "tool_calls":
			m.toolCalls = x
		case "function_call":
			m.functionCall = x
		case "tool_call_id":
			m.callID = x
		case "reasoning_content":
			m.reasoning = x
		case "text":
			m.text = x
		case "refusal":
			m.refusal = x
		case "image_url":
			m.imageURL = x
		case "file":
			m.file = x
		case "id":
			m.id = x
		case "function":
			m.function = x
		case "custom":
			m.custom = x
		case "name":
			m.name = x
		case "description":
			m.description = x
		case "parameters":
			m.parameters = x
		case "strict":
			m.strict = x
		case "arguments":
			m.arguments = x
		case "input":
			m.input = x
		case "format":
			m.format = x
		case "extra_content":
			m.extra = x
		}
	}
}

func (chatCodec) decodeRequest(root jsonx.Value, r *formRequest, c *Conversion) error {
	var messages, maxTokens, maxCompletion, tools, functions, choice, functionCall,
		streamOptions, effort, reasoning, responseFormat jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "model":
			r.Model = v
		case "messages":
			messages = v
		case "max_tokens":
			maxTokens = v
		case "max_completion_tokens":
			maxCompletion = v
		case "stop":
			if v.IsString() {
				r.Stop = append(r.Stop, v)
				break
			}
			seqs := v.Values()
			for s, ok := seqs.Next(); ok && v.IsArray(); s, ok = seqs.Next() {
				if s.IsString() {
					r.Stop = append(r.Stop, s)
				}
			}
		case "temperature":
			r.Temperature = v
		case "top_p":
			r.TopP = v
		case "user":
			r.User = v
		case "stream":
			r.Stream = v.IsTrue()
		case "stream_options":
			streamOptions = v
		case "tools":
			tools = v
		case "functions":
			functions = v
		case "tool_choice":
			choice = v
		case "function_call":
			functionCall = v
		case "parallel_tool_calls":
			switch {
			case v.IsTrue():
				r.ParallelToolCalls = triTrue
			case v.IsFalse():
				r.ParallelToolCalls = triFalse
			}
		case "reasoning_effort":
			effort = v
		case "reasoning":
			reasoning = v
		case "response_format":
			responseFormat = v
		case "metadata":
			r.Metadata = v
		case "prompt_cache_key":
			r.PromptCacheKey = v
		case "store":
			r.Store = v
		case "service_tier":
			r.ServiceTier = v
		}
	}
	if !messages.IsArray() {
		return invalid("messages: an array of messages is required")
	}
	c.IncludeUsage = r.Stream && streamOptions.Get("include_usage").IsTrue()
	r.MaxTokens = maxCompletion
	if !maxCompletion.IsNumber() {
		r.MaxTokens = maxTokens
	}
	if !r.MaxTokens.IsNumber() {
		r.MaxTokens = ""
	}

	defs := tools.Values()
	for x, ok := defs.Next(); ok && tools.IsArray(); x, ok = defs.Next() {
		// Only function tools have a schema every format can call; custom
		// (free-text) and hosted tools are left out.
		var t chatRequestMessage
		if t.read(x); t.typ == "function" || t.typ == "" {
			decodeChatFunction(r, t.function)
		}
	}
	fns := functions.Values()
	for x, ok := fns.Next(); ok && functions.IsArray(); x, ok = fns.Next() {
		decodeChatFunction(r, x)
	}
	if choice == "" {
		choice = functionCall
	}
	switch {
	case choice.IsString():
		switch choice.Str() {
		case "auto":
			r.Choice.Mode = choiceAuto
		case "required":
			r.Choice.Mode = choiceAny
		case "none":
			r.Choice.Mode = choiceNone
		}
	case choice.IsObject():
		switch choice.Get("type").Str() {
		case "allowed_tools":
			// The subset cannot be expressed; its mode can.
			r.Choice.Mode = choiceAuto
			if choice.Get("allowed_tools").Get("mode").Str() == "required" {
				r.Choice.Mode = choiceAny
			}
		default:
			n := choice.Get("function").Get("name")
			if n == "" {
				n = choice.Get("name") // legacy function_call
			}
			r.Choice = formToolChoice{Mode: choiceTool, Name: n}
		}
	}

	r.Reasoning.Effort = readEffort(effort)
	if reasoning.IsObject() {
		// OpenRouter's reasoning object.
		if n := gjson.Parse(string(reasoning.Get("max_tokens"))).Int(); n > 0 {
			r.Reasoning.Budget = n
		}
		if r.Reasoning.Effort == "" {
			r.Reasoning.Effort = readEffort(reasoning.Get("effort"))
		}
	}
	switch responseFormat.Get("type").Str() {
	case "json_schema":
		js := responseFormat.Get("json_schema")
		if schema := js.Get("schema"); schema.IsObject() {
			r.Output = formOutput{Schema: schema, Name: js.Get("name"), Strict: js.Get("strict")}
		}
	case "json_object":
		r.Output.JSONObject = true
	}

	legacyCalls := 0
	conversation := false
	msgs := messages.Values()
	for x, ok := msgs.Next(); ok; x, ok = msgs.Next() {
		var msg chatRequestMessage
		msg.read(x)
		switch msg.role {
		case "system", "developer":
			if !conversation {
				decodeChatSystem(r, msg.content)
				continue
			}
			decodeChatContent(r.addMessage(roleSystem), msg.content)
		case "assistant":
			conversation = true
			m := r.addMessage(roleAssistant)
			if msg.reasoning.IsString() {
				// DeepSeek's and vLLM's readable reasoning: unsigned.
				m.addPart(blockThinking).Text = msg.reasoning
			}
			decodeChatContent(m, msg.content)
			calls := msg.toolCalls.Values()
			for y, ok := calls.Next(); ok && msg.toolCalls.IsArray(); y, ok = calls.Next() {
				var tc chatRequestMessage
				if tc.read(y); tc.typ != "function" && tc.typ != "" {
					continue
				}
				var fn chatRequestMessage
				fn.read(tc.function)
				p := m.addPart(blockToolCall)
				p.ID, p.Name, p.Input, p.InputString = tc.id, fn.name, fn.arguments, fn.arguments.IsString()
				if sig := tc.extra.Get("google").Get("thought_signature"); nonEmptyStringToken(string(sig)) {
					// Gemini's signature, as Google's OpenAI-compatible
					// API gives it (appendGeminiExtraContent).
					p.Signature, p.Origin = sig, Gemini
				}
			}
			if msg.functionCall.IsObject() {
				var fn chatRequestMessage
				fn.read(msg.functionCall)
				legacyCalls++
				p := m.addPart(blockToolCall)
				p.ID, p.Name, p.Input, p.InputString = legacyCallID(legacyCalls), fn.name, fn.arguments, fn.arguments.IsString()
			}
		case "tool", "function":
			conversation = true
			var id jsonx.Value
			if msg.role == "tool" {
				id = msg.callID
			} else if legacyCalls > 0 {
				id = legacyCallID(legacyCalls)
			} else {
				// A result without a call would be rejected; keep its text.
				decodeChatContent(r.addMessage(roleUser), msg.content)
				continue
			}
			m := r.lastMessage(roleUser)
			if n := len(m.Parts); n > 0 && m.Parts[n-1].Kind != blockToolResult {
				m = r.addMessage(roleUser)
			}
			p := m.addPart(blockToolResult)
			p.ID = id
			if msg.content.IsString() {
				p.Text = msg.content
			} else {
				decodeChatParts(p.addContent, msg.content)
			}
		default:
			conversation = true
			decodeChatContent(r.addMessage(roleUser), msg.content)
		}
	}
	return nil
}

// legacyCallID names a legacy function_call, which has no id of its own;
// the role:function message after it answers it.
func legacyCallID(n int) jsonx.Value {
	return jsonx.Value(`"call_fn_` + strconv.Itoa(n) + `"`)
}

func decodeChatFunction(r *formRequest, fn jsonx.Value) {
	var f chatRequestMessage
	f.read(fn)
	t := r.addTool(toolFunction)
	t.Name, t.Description, t.Schema, t.Strict = f.name, f.description, f.parameters, f.strict
}

// decodeChatSystem adds the text of a system or developer message that
// comes before the conversation to r.System.
func decodeChatSystem(r *formRequest, content jsonx.Value) {
	if content.IsString() {
		r.addSystem(content)
		return
	}
	parts := content.Values()
	for x, ok := parts.Next(); ok && content.IsArray(); x, ok = parts.Next() {
		var p chatRequestMessage
		if p.read(x); p.typ == "text" {
			r.addSystem(p.text)
		}
	}
}

// decodeChatContent adds a message content, a string or a list of parts,
// to m.
func decodeChatContent(m *formMessage, content jsonx.Value) {
	if content.IsString() {
		m.addPart(blockText).Text = content
		return
	}
	decodeChatParts(m.addPart, content)
}

// decodeChatParts adds content parts through add; audio is left out.
func decodeChatParts(add func(blockKind) *formPart, content jsonx.Value) {
	parts := content.Values()
	for x, ok := parts.Next(); ok && content.IsArray(); x, ok = parts.Next() {
		var cp chatRequestMessage
		cp.read(x)
		switch cp.typ {
		case "text":
			add(blockText).Text = cp.text
		case "refusal":
			add(blockRefusal).Text = cp.refusal
		case "image_url":
			u, detail := cp.imageURL, jsonx.Value("")
			if u.IsObject() {
				u, detail = u.Get("url"), u.Get("detail")
			}
			if u.IsString() {
				p := add(blockImage)
				p.Source, p.Data, p.Detail = srcURL, u, detail
			}
		case "file":
			var data, id, name jsonx.Value
			it := cp.file.Members()
			for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
				switch k {
				case "file_data":
					data = v
				case "file_id":
					id = v
				case "filename":
					name = v
				}
			}
			var p *formPart
			switch {
			case isDataURL(data):
				p = add(blockDocument)
				p.Source, p.Data = srcURL, data
			case data.IsString():
				p = add(blockDocument)
				p.Source, p.Data = srcBase64, data
			case id.IsString():
				p = add(blockDocument)
				p.Source, p.Data = srcFileID, id
			default:
				continue
			}
			p.Title = name
		}
	}
}

func (chatCodec) encodeRequest(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	out = append(out, '{')
	if r.Model != "" {
		out = jsonx.AppendKey(out, "model")
		out = jsonx.AppendValueString(out, r.Model)
	}
	out = jsonx.AppendKey(out, "messages")
	out = append(out, '[')
	out = appendChatSystem(out, r.System)
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.role {
		case roleSystem:
			// OpenAI takes system messages anywhere: they stay in place.
			out = appendChatSystem(out, m.Parts)
		case roleAssistant:
			out = appendChatAssistant(out, m, s, c)
		default:
			out = appendChatUser(out, m, s)
		}
	}
	out = append(out, ']')

	// max_completion_tokens rather than max_tokens: OpenAI's reasoning
	// models reject max_tokens outright, while the OpenAI-compatible servers
	// that predate the new name ignore it and fall back to their default.
	if r.MaxTokens.IsNumber() {
		// Written as an integer: OpenAI rejects 1024.0.
		out = jsonx.AppendKey(out, "max_completion_tokens")
		out = appendInt(out, gjson.Parse(string(r.MaxTokens)).Int())
	}
	if len(r.Stop) > 0 {
		mark := len(out)
		out = jsonx.AppendKey(out, "stop")
		out = append(out, '[')
		n := 0
		for _, v := range r.Stop {
			if n < maxStop && v.HasText() {
				out = jsonx.AppendSep(out)
				out = append(out, v...)
				n++
			}
		}
		if n == 0 {
			out = out[:mark]
		} else {
			out = append(out, ']')
		}
	}
	// Anthropic's temperature range (0–1) lies within OpenAI's (0–2).
	if r.Temperature.IsNumber() {
		out = jsonx.AppendKey(out, "temperature")
		out = append(out, r.Temperature...)
	}
	if r.TopP.IsNumber() {
		out = jsonx.AppendKey(out, "top_p")
		out = append(out, r.TopP...)
	}
	if u := r.User; u.IsString() && u.HasText() {
		out = jsonx.AppendKey(out, "user")
		out = appendUserID(out, u, maxOpenAIUser)
	}
	if r.Stream {
		// The other formats' streams always carry usage; Chat's only on
		// request.
		out = jsonx.AppendKey(out, "stream")
		out = append(out, `true,"stream_options":{"include_usage":true}`...)
	}
	out, err := appendChatTools(out, r, s, c)
	if err != nil {
		return nil, err
	}
	if effort := openAIEffort(&r.Reasoning); effort != "" {
		out = jsonx.AppendKey(out, "reasoning_effort")
		out = jsonx.AppendString(out, effort)
	}
	switch {
	case r.Output.Schema.IsObject():
		out = jsonx.AppendKey(out, "response_format")
		out = append(out, `{"type":"json_schema","json_schema":{"name":`...)
		if r.Output.Name.IsString() && r.Output.Name.HasText() {
			out = append(out, r.Output.Name...)
		} else {
			out = append(out, `"response"`...)
		}
		out = append(out, `,"schema":`...)
		out = append(out, r.Output.Schema...)
		if r.Output.Strict.IsBool() {
			out = append(out, `,"strict":`...)
			out = append(out, r.Output.Strict...)
		}
		out = append(out, `}}`...)
	case r.Output.JSONObject:
		out = jsonx.AppendKey(out, "response_format")
		out = append(out, `{"type":"json_object"}`...)
	}
	if r.PromptCacheKey.IsString() && r.PromptCacheKey.HasText() {
		out = jsonx.AppendKey(out, "prompt_cache_key")
		out = append(out, r.PromptCacheKey...)
	}
	return append(out, '}'), nil
}

// appendChatSystem appends one system message with the texts of parts
// joined by newlines, or nothing when they hold no text.
func appendChatSystem(out []byte, parts []formPart) []byte {
	mark := len(out)
	out = jsonx.AppendSep(out)
	out = append(out, `{"role":"system","content":"`...)
	start := len(out)
	for i := range parts {
		if p := &parts[i]; p.Kind == blockText && p.Text.HasText() {
			if len(out) > start {
				out = append(out, escapedNewline...)
			}
			out = jsonx.AppendValueBody(out, p.Text)
		}
	}
	if len(out) == start {
		return out[:mark]
	}
	return append(out, `"}`...)
}

func appendChatAssistant(out []byte, m *formMessage, s *requestScratch, c *Conversion) []byte {
	texts, calls, thinks := 0, 0, 0
	for i := range m.Parts {
		switch p := &m.Parts[i]; p.Kind {
		case blockText, blockRefusal:
			if p.Text.IsString() && p.Text.HasText() {
				texts++
			}
		case blockThinking:
			if p.Text.IsString() && p.Text.HasText() {
				thinks++
			}
		case blockToolCall:
			calls++
		}
	}
	if texts == 0 && calls == 0 {
		// Thinking alone is no message OpenAI would accept back.
		return out
	}
	out = jsonx.AppendSep(out)
	out = append(out, `{"role":"assistant","content":`...)
	if texts == 0 {
		out = append(out, "null"...)
	} else {
		// Text blocks of one reply are consecutive pieces of it, the way
		// a stream would deliver them: joined with nothing in between.
		out = append(out, '"')
		for i := range m.Parts {
			if p := &m.Parts[i]; (p.Kind == blockText || p.Kind == blockRefusal) && p.Text.IsString() {
				out = jsonx.AppendValueBody(out, p.Text)
			}
		}
		out = append(out, '"')
	}
	if thinks > 0 {
		// Readable thinking goes to reasoning_content, the convention
		// DeepSeek and vLLM read back; signatures and redacted thinking
		// are opaque to anyone but their producer.
		out = append(out, `,"reasoning_content":"`...)
		for i := range m.Parts {
			if p := &m.Parts[i]; p.Kind == blockThinking && p.Text.IsString() {
				out = jsonx.AppendValueBody(out, p.Text)
			}
		}
		out = append(out, '"')
	}
	if calls > 0 {
		out = append(out, `,"tool_calls":[`...)
		for i := range m.Parts {
			p := &m.Parts[i]
			if p.Kind != blockToolCall {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"id":`...)
			out = jsonx.AppendString(out, openAIToolCallID(p.ID.Text()))
			out = append(out, `,"type":"function","function":{"name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, p.Name.Text()))
			out = append(out, `,"arguments":`...)
			out = appendArgumentsString(out, p, &s.e)
			out = append(out, `}}`...)
		}
		out = append(out, ']')
	}
	return append(out, '}')
}

// chatTextPart reports whether Chat carries p as text: text itself, and
// documents it can only describe.
func chatTextPart(p *formPart) bool {
	switch p.Kind {
	case blockText, blockRefusal:
		return p.Text.IsString() && p.Text.HasText()
	case blockDocument:
		switch p.Source {
		case srcText, srcContent:
			return true
		case srcURL:
			return !isDataURL(p.Data) && p.Data.HasText()
		}
	}
	return false
}

// chatMediaPart reports whether Chat carries p as an image or a file.
func chatMediaPart(p *formPart) bool {
	switch p.Kind {
	case blockImage:
		return p.Source == srcBase64 || p.Source == srcURL && p.Data.HasText()
	case blockDocument:
		return p.Source == srcBase64 || p.Source == srcFileID || p.Source == srcURL && isDataURL(p.Data)
	}
	return false
}

// appendOpenAIToolChoice appends tool_choice and parallel_tool_calls as
// Chat and the Responses API both take them, a forced function nested under
// "function" for Chat and flat for the Responses API. A forced tool that was
// not sent becomes "auto": forcing it would be rejected.
func appendOpenAIToolChoice(out []byte, r *formRequest, s *requestScratch, c *Conversion, flat bool) []byte {
	switch r.Choice.Mode {
	case choiceAuto:
		out = jsonx.AppendKey(out, "tool_choice")
		out = append(out, `"auto"`...)
	case choiceAny:
		out = jsonx.AppendKey(out, "tool_choice")
		out = append(out, `"required"`...)
	case choiceNone:
		out = jsonx.AppendKey(out, "tool_choice")
		out = append(out, `"none"`...)
	case choiceTool:
		out = jsonx.AppendKey(out, "tool_choice")
		name := r.Choice.Name.Text()
		switch {
		case !s.hasTool(name):
			out = append(out, `"auto"`...)
		case flat:
			out = append(out, `{"type":"function","name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, name))
			out = append(out, '}')
		default:
			out = append(out, `{"type":"function","function":{"name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, name))
			out = append(out, `}}`...)
		}
	}
	switch r.ParallelToolCalls {
	case triFalse:
		out = jsonx.AppendKey(out, "parallel_tool_calls")
		out = append(out, "false"...)
	case triTrue:
		out = jsonx.AppendKey(out, "parallel_tool_calls")
		out = append(out, "true"...)
	}
	return out
}

// appendToolResultText appends the escaped text of tool result r, for
// formats whose tool results hold only text, and sets aside in s.media the
// parts media accepts, for the user message that follows. Neither format
// has is_error: the text says it, so that the model still learns it.
func appendToolResultText(out []byte, r *formPart, s *requestScratch, media func(*formPart) bool) []byte {
	if r.IsError {
		out = append(out, "Error: "...)
	}
	start := len(out)
	if r.Text != "" {
		out = jsonx.AppendValueBody(out, r.Text)
	}
	for j := range r.Content {
		p := &r.Content[j]
		switch {
		case chatTextPart(p):
			if len(out) > start {
				out = append(out, escapedNewline...)
			}
			out = appendChatText(out, p)
		case media(p):
			s.media = append(s.media, p)
		}
	}
	if r.IsError && len(out) == start {
		out = out[:start-2] // "Error: " → "Error"
	}
	return out
}

// appendChatUser appends the Chat messages for a user message: one tool
// message per result, straight after the assistant turn that called the
// tools, as OpenAI requires, then the rest.
func appendChatUser(out []byte, m *formMessage, s *requestScratch) []byte {
	s.media = s.media[:0]
	for i := range m.Parts {
		r := &m.Parts[i]
		if r.Kind != blockToolResult {
			continue
		}
		out = jsonx.AppendSep(out)
		out = append(out, `{"role":"tool","tool_call_id":`...)
		out = jsonx.AppendString(out, openAIToolCallID(r.ID.Text()))
		out = append(out, `,"content":"`...)
		// Tool messages hold only text: images and files go to the user
		// message that follows.
		out = appendToolResultText(out, r, s, chatMediaPart)
		out = append(out, `"}`...)
	}
	texts, media := 0, len(s.media)
	for i := range m.Parts {
		switch p := &m.Parts[i]; {
		case chatTextPart(p):
			texts++
		case chatMediaPart(p):
			media++
		}
	}
	if texts == 0 && media == 0 {
		return out
	}
	out = jsonx.AppendSep(out)
	out = append(out, `{"role":"user","content":`...)
	if media == 0 {
		// Plain strings suit every OpenAI-compatible server; some accept
		// nothing else.
		out = append(out, '"')
		n := 0
		for i := range m.Parts {
			if p := &m.Parts[i]; chatTextPart(p) {
				if n > 0 {
					out = append(out, escapedNewline...)
				}
				out = appendChatText(out, p)
				n++
			}
		}
		return append(out, `"}`...)
	}
	out = append(out, '[')
	for _, p := range s.media {
		out = appendChatPart(out, p)
	}
	for i := range m.Parts {
		if p := &m.Parts[i]; chatTextPart(p) || chatMediaPart(p) {
			out = appendChatPart(out, p)
		}
	}
	return append(out, `]}`...)
}

// appendChatText appends the escaped text of a part chatTextPart accepts.
func appendChatText(dst []byte, p *formPart) []byte {
	if p.Kind != blockDocument {
		return jsonx.AppendValueBody(dst, p.Text)
	}
	switch p.Source {
	case srcContent:
		n := 0
		for i := range p.Content {
			if q := &p.Content[i]; q.Kind == blockText && q.Text.HasText() {
				if n > 0 {
					dst = append(dst, escapedNewline...)
				}
				dst = jsonx.AppendValueBody(dst, q.Text)
				n++
			}
		}
		return dst
	case srcURL:
		// OpenAI cannot fetch a document; the model at least learns of it.
		dst = append(dst, "Document: "...)
	}
	return jsonx.AppendValueBody(dst, p.Data)
}

// appendChatPart appends the content part for p.
func appendChatPart(dst []byte, p *formPart) []byte {
	dst = jsonx.AppendSep(dst)
	switch {
	case p.Kind == blockImage:
		dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
		if p.Source == srcURL {
			dst = jsonx.AppendValueString(dst, p.Data)
		} else {
			dst = appendDataURL(dst, p.MediaType, p.Data, "application/octet-stream")
		}
		if p.Detail.IsString() {
			dst = append(dst, `,"detail":`...)
			dst = append(dst, p.Detail...)
		}
		return append(dst, `}}`...)
	case chatMediaPart(p):
		dst = append(dst, `{"type":"file","file":{`...)
		if p.Source == srcFileID {
			dst = append(dst, `"file_id":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
			return append(dst, `}}`...)
		}
		dst = append(dst, `"filename":`...)
		if p.Title.HasText() {
			dst = jsonx.AppendValueString(dst, p.Title)
		} else {
			dst = append(dst, `"document.pdf"`...)
		}
		dst = append(dst, `,"file_data":`...)
		if p.Source == srcURL {
			dst = jsonx.AppendValueString(dst, p.Data)
		} else {
			dst = appendDataURL(dst, p.MediaType, p.Data, "application/pdf")
		}
		return append(dst, `}}`...)
	}
	dst = append(dst, `{"type":"text","text":"`...)
	dst = appendChatText(dst, p)
	return append(dst, `"}`...)
}

// appendChatTools appends tools, tool_choice and parallel_tool_calls.
func appendChatTools(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	mark := len(out)
	out = jsonx.AppendKey(out, "tools")
	out = append(out, '[')
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Kind == toolBuiltin {
			if t.Origin == Anthropic {
				// Anthropic's server tools and its own client tools have a
				// type and no schema: nothing an OpenAI model could call.
				continue
			}
			return nil, refuseBuiltin(t, OpenAI)
		}
		var ok bool
		if out, ok = appendFunctionHead(out, `{"type":"function","function":{"name":`, t, s, c); !ok {
			continue
		}
		out = append(out, `,"parameters":`...)
		if t.Kind == toolFreeform {
			out = append(out, freeformSchema...)
		} else {
			out = appendSchema(out, t.Schema)
		}
		if t.Strict.IsBool() {
			out = append(out, `,"strict":`...)
			out = append(out, t.Strict...)
		}
		out = append(out, `}}`...)
	}
	if len(s.names) == 0 {
		// tool_choice and parallel_tool_calls without tools are a 400.
		return out[:mark], nil
	}
	out = append(out, ']')
	return appendOpenAIToolChoice(out, r, s, c, false), nil
}
