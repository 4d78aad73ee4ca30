package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
	"strings"
)

// responsesItem is a Responses input item, content part, tool or tool
// choice, read in one pass.
type responsesItem struct {
	typ, role string
	// typeTok is the type as a token, for tools kept whole.
	typeTok jsonx.Value
	content, text, refusal, imageURL, fileID, fileData, fileURL, filename, detail,
	callID, id, name, arguments, input, output, summary, encrypted, description,
	parameters, strict, format, mode, tools, execution jsonx.Value
}

func (it *responsesItem) read(v jsonx.Value) {
	m := v.Members()
	for k, x, ok := m.Next(); ok; k, x, ok = m.Next() {
		switch k {
		case "type":
			it.typ, it.typeTok = x.Str(), x
		case "role":
			it.role = x.Str()
		case "content":
			it.content = x
		case "text":
			it.text = x
		case "refusal":
			it.refusal = x
		case "image_url":
			it.imageURL = x
		case "file_id":
			it.fileID = x
		case "file_data":
			it.fileData = x
		case "file_url":
			it.fileURL = x
		case "filename":
			it.filename = x
		case "detail":
			it.detail = x
		case "call_id":
			it.callID = x
		case "id":
			it.id = x
		case "name":
			it.name = x
		case "arguments":
			it.arguments = x
		case "input":
			it.input = x
		case "output":
			it.output = x
		case "summary":
			it.summary = x
		case "tools":
			it.tools = x
		case "execution":
			it.execution = x
		case "encrypted_content":
			it.encrypted = x
		case "description":
			it.description = x
		case "parameters":
			it.parameters = x
		case "strict":
			it.strict = x
		case "format":
			it.format = x
		case "mode":
			it.mode = x
		}
	}
}

func (responsesCodec) decodeRequest(root jsonx.Value, r *formRequest, c *Conversion) error {
	var input, instructions, tools, choice, reasoning, text, safety jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "model":
			r.Model = v
		case "input":
			input = v
		case "instructions":
			instructions = v
		case "max_output_tokens":
			if v.IsNumber() {
				r.MaxTokens = v
			}
		case "temperature":
			r.Temperature = v
		case "top_p":
			r.TopP = v
		case "user":
			r.User = v
		case "safety_identifier":
			safety = v
		case "metadata":
			r.Metadata = v
		case "stream":
			r.Stream = v.IsTrue()
		case "tools":
			tools = v
		case "tool_choice":
			choice = v
		case "parallel_tool_calls":
			switch {
			case v.IsTrue():
				r.ParallelToolCalls = triTrue
			case v.IsFalse():
				r.ParallelToolCalls = triFalse
			}
		case "reasoning":
			reasoning = v
		case "text":
			text = v
		case "prompt_cache_key":
			r.PromptCacheKey = v
		case "store":
			r.Store = v
		case "service_tier":
			r.ServiceTier = v
		}
	}
	if !input.IsString() && !input.IsArray() {
		return invalid("input: a string or an array of input items is required")
	}
	// A Responses stream always ends with its usage.
	c.IncludeUsage = r.Stream
	if !r.User.IsString() {
		r.User = safety
	}
	if instructions.IsString() {
		r.addSystem(instructions)
	}
	if input.IsString() {
		r.addMessage(roleUser).addPart(blockText).Text = input
	} else {
		decodeResponsesInput(r, input)
	}

	defs := tools.Values()
	for x, ok := defs.Next(); ok && tools.IsArray(); x, ok = defs.Next() {
		var t responsesItem
		t.read(x)
		switch t.typ {
		case "function":
			f := r.addTool(toolFunction)
			f.Name, f.Description, f.Schema, f.Strict = t.name, t.description, t.parameters, t.strict
		case "custom":
			f := r.addTool(toolFreeform)
			f.Name, f.Description, f.Grammar = t.name, t.description, t.format
			if n := t.name.Text(); n != "" {
				c.Freeform = append(c.Freeform, strings.Clone(n))
			}
		case "namespace":
			decodeResponsesNamespace(r, c, t.name, t.tools)
		case "tool_search":
			// A tool search the client runs only lets the model load tools
			// the client holds back; without it, the model has the tools
			// declared, which is all the other formats know.
			if t.execution.Str() == "client" {
				continue
			}
			f := r.addTool(toolBuiltin)
			f.Type, f.Name, f.Raw, f.Origin = t.typeTok, t.name, x, Responses
		default:
			// web_search, file_search, code_interpreter… run at OpenAI.
			f := r.addTool(toolBuiltin)
			f.Type, f.Name, f.Raw, f.Origin = t.typeTok, t.name, x, Responses
		}
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
		var t responsesItem
		t.read(choice)
		switch t.typ {
		case "function", "custom":
			r.Choice = formToolChoice{Mode: choiceTool, Name: t.name}
		case "allowed_tools":
			// The subset cannot be expressed; its mode can.
			r.Choice.Mode = choiceAuto
			if t.mode.Str() == "required" {
				r.Choice.Mode = choiceAny
			}
		}
	}
	if reasoning.IsObject() {
		r.Reasoning.Effort = readEffort(reasoning.Get("effort"))
		r.Reasoning.Disabled = r.Reasoning.Effort == "none"
		r.Reasoning.Summary = reasoning.Get("summary")
	}
	switch f := text.Get("format"); f.Get("type").Str() {
	case "json_schema":
		var t responsesItem
		t.read(f)
		if schema := f.Get("schema"); schema.IsObject() {
			r.Output = formOutput{Schema: schema, Name: t.name, Strict: t.strict}
		}
	case "json_object":
		r.Output.JSONObject = true
	}
	return nil
}

// decodeResponsesNamespace adds the functions of a namespace as flat tools,
// noting each one's namespace in c so that calls go back with it.
func decodeResponsesNamespace(r *formRequest, c *Conversion, namespace, tools jsonx.Value) {
	ns := namespace.Text()
	defs := tools.Values()
	for x, ok := defs.Next(); ok && tools.IsArray(); x, ok = defs.Next() {
		var t responsesItem
		t.read(x)
		if t.typ != "function" && t.typ != "" {
			continue
		}
		f := r.addTool(toolFunction)
		f.Name, f.Description, f.Schema, f.Strict = t.name, t.description, t.parameters, t.strict
		if n := t.name.Text(); n != "" && ns != "" {
			if c.Namespaces == nil {
				c.Namespaces = make(map[string]string)
			}
			c.Namespaces[strings.Clone(n)] = strings.Clone(ns)
		}
	}
}

// decodeResponsesInput reads input items into r's conversation. The items
// a model produced (messages, reasoning, calls) that follow one another
// form one assistant message, so that parallel calls stay one turn; tool
// outputs are tool results in user messages. Items the conversation cannot
// use (item_reference, a built-in tool's call…) are skipped.
func decodeResponsesInput(r *formRequest, input jsonx.Value) {
	items := input.Values()
	for x, ok := items.Next(); ok; x, ok = items.Next() {
		var it responsesItem
		it.read(x)
		switch it.typ {
		case "message", "":
			if it.role == "" {
				continue
			}
			ro := roleUser
			switch it.role {
			case "assistant":
				ro = roleAssistant
			case "system", "developer":
				ro = roleSystem
			}
			var m *formMessage
			if ro == roleAssistant {
				m = r.lastMessage(roleAssistant)
			} else {
				m = r.addMessage(ro)
			}
			if it.content.IsString() {
				m.addPart(blockText).Text = it.content
				continue
			}
			decodeResponsesParts(m.addPart, it.content)
		case "function_call":
			p := r.lastMessage(roleAssistant).addPart(blockToolCall)
			p.ID, p.Name, p.Input, p.InputString = it.callID, it.name, it.arguments, it.arguments.IsString()
		case "custom_tool_call":
			p := r.lastMessage(roleAssistant).addPart(blockToolCall)
			p.ID, p.Name, p.Input, p.InputString, p.Freeform = it.callID, it.name, it.input, true, true
		case "function_call_output", "custom_tool_call_output":
			m := r.lastMessage(roleUser)
			if n := len(m.Parts); n > 0 && m.Parts[n-1].Kind != blockToolResult {
				m = r.addMessage(roleUser)
			}
			p := m.addPart(blockToolResult)
			p.ID = it.callID
			if it.output.IsString() {
				p.Text = it.output
			} else {
				decodeResponsesParts(p.addContent, it.output)
			}
		case "reasoning":
			decodeResponsesReasoning(r.lastMessage(roleAssistant), &it)
		case "compaction", "compaction_summary":
			// A compaction routex made for a channel that keeps no state
			// carries its summary; an OpenAI one is readable only there.
			if summary, ok := compactionSummary(it.encrypted.Str()); ok {
				r.addMessage(roleUser).addPart(blockText).Text = jsonx.Value(jsonx.AppendString(nil, compactedPreamble+summary))
			}
		}
	}
}

// compactedPreamble introduces the summary that stands for the earlier
// conversation.
const compactedPreamble = "The earlier conversation was compacted into this summary:\n\n"

// decodeResponsesReasoning adds a reasoning item's parts to m. Thinking that
// another format's provider produced, carried in encrypted_content, is
// restored with its origin (see carriedPrefix); any other encrypted_content
// is OpenAI's.
func decodeResponsesReasoning(m *formMessage, it *responsesItem) {
	b := it.encrypted.Body()
	if rest, ok := strings.CutPrefix(b, carriedPrefix); ok && len(rest) >= 3 && rest[0] == 'a' && rest[2] == ':' {
		switch rest[1] {
		case 'r':
			p := m.addPart(blockRedacted)
			p.Signature, p.Origin = it.encrypted, Anthropic
			return
		case 't':
			p := m.addPart(blockThinking)
			p.Signature, p.Origin = it.encrypted, Anthropic
			p.Text = firstSummary(it)
			return
		}
	}
	first := true
	add := func(text jsonx.Value) {
		p := m.addPart(blockThinking)
		p.Text, p.Origin = text, Responses
		if first {
			p.ID, p.Signature = it.id, it.encrypted
			first = false
		}
	}
	for _, list := range [2]jsonx.Value{it.summary, it.content} {
		parts := list.Values()
		for x, ok := parts.Next(); ok && list.IsArray(); x, ok = parts.Next() {
			if t := x.Get("text"); t.IsString() {
				add(t)
			}
		}
		if !first {
			break
		}
	}
	if first && (it.id.HasText() || it.encrypted.HasText()) {
		add("")
	}
}

// firstSummary returns the text of a reasoning item's first summary.
func firstSummary(it *responsesItem) jsonx.Value {
	parts := it.summary.Values()
	for x, ok := parts.Next(); ok && it.summary.IsArray(); x, ok = parts.Next() {
		if t := x.Get("text"); t.IsString() {
			return t
		}
	}
	return ""
}

// decodeResponsesParts adds content parts through add.
func decodeResponsesParts(add func(blockKind) *formPart, content jsonx.Value) {
	parts := content.Values()
	for x, ok := parts.Next(); ok && content.IsArray(); x, ok = parts.Next() {
		var it responsesItem
		it.read(x)
		switch it.typ {
		case "input_text", "output_text", "text", "summary_text", "reasoning_text":
			add(blockText).Text = it.text
		case "refusal":
			add(blockRefusal).Text = it.refusal
		case "input_image":
			switch {
			case it.imageURL.IsString():
				p := add(blockImage)
				p.Source, p.Data, p.Detail = srcURL, it.imageURL, it.detail
			case it.fileID.IsString():
				p := add(blockImage)
				p.Source, p.Data, p.Detail = srcFileID, it.fileID, it.detail
			}
		case "input_file":
			var p *formPart
			switch {
			case isDataURL(it.fileData):
				p = add(blockDocument)
				p.Source, p.Data = srcURL, it.fileData
			case it.fileData.IsString():
				p = add(blockDocument)
				p.Source, p.Data = srcBase64, it.fileData
			case it.fileURL.IsString():
				p = add(blockDocument)
				p.Source, p.Data = srcURL, it.fileURL
			case it.fileID.IsString():
				p = add(blockDocument)
				p.Source, p.Data = srcFileID, it.fileID
			default:
				continue
			}
			p.Title = it.filename
		}
	}
}

func (responsesCodec) encodeRequest(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	out = append(out, '{')
	if r.Model != "" {
		out = jsonx.AppendKey(out, "model")
		out = jsonx.AppendValueString(out, r.Model)
	}
	mark := len(out)
	out = jsonx.AppendKey(out, "instructions")
	out = append(out, '"')
	start := len(out)
	for i := range r.System {
		if t := r.System[i].Text; t.HasText() {
			if len(out) > start {
				out = append(out, escapedNewline...)
			}
			out = jsonx.AppendValueBody(out, t)
		}
	}
	if len(out) == start {
		out = out[:mark]
	} else {
		out = append(out, '"')
	}
	out = jsonx.AppendKey(out, "input")
	out = append(out, '[')
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.role {
		case roleSystem:
			out = appendResponsesMessage(out, m.Parts, "system")
		case roleAssistant:
			out = appendResponsesAssistant(out, m, s, c)
		default:
			out = appendResponsesUser(out, m, s)
		}
	}
	out = append(out, ']')

	out, err := appendResponsesTools(out, r, s, c)
	if err != nil {
		return nil, err
	}
	if r.MaxTokens.IsNumber() {
		out = jsonx.AppendKey(out, "max_output_tokens")
		out = appendInt(out, max(gjson.Parse(string(r.MaxTokens)).Int(), minOutputTokens))
	}
	if r.Temperature.IsNumber() {
		out = jsonx.AppendKey(out, "temperature")
		out = append(out, r.Temperature...)
	}
	if r.TopP.IsNumber() {
		out = jsonx.AppendKey(out, "top_p")
		out = append(out, r.TopP...)
	}
	effort := openAIEffort(&r.Reasoning)
	if effort == "none" {
		effort = ""
	}
	if effort != "" {
		out = jsonx.AppendKey(out, "reasoning")
		out = append(out, `{"effort":`...)
		out = jsonx.AppendString(out, effort)
		out = append(out, `,"summary":`...)
		if r.Reasoning.Summary.IsString() {
			out = append(out, r.Reasoning.Summary...)
		} else {
			out = append(out, `"auto"`...)
		}
		out = append(out, '}')
	}
	switch {
	case r.Output.Schema.IsObject():
		out = jsonx.AppendKey(out, "text")
		out = append(out, `{"format":{"type":"json_schema","name":`...)
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
		out = jsonx.AppendKey(out, "text")
		out = append(out, `{"format":{"type":"json_object"}}`...)
	}
	if u := r.User; u.IsString() && u.HasText() {
		out = jsonx.AppendKey(out, "user")
		out = appendUserID(out, u, maxOpenAIUser)
	}
	if r.Metadata.IsObject() {
		out = jsonx.AppendKey(out, "metadata")
		out = append(out, r.Metadata...)
	}
	if r.PromptCacheKey.IsString() && r.PromptCacheKey.HasText() {
		out = jsonx.AppendKey(out, "prompt_cache_key")
		out = append(out, r.PromptCacheKey...)
	}
	// routex keeps the conversation itself; stored responses would be
	// items only this channel could resolve.
	out = jsonx.AppendKey(out, "store")
	out = append(out, "false"...)
	if effort != "" {
		// Without storage, reasoning comes back to the next turn only as
		// encrypted content.
		out = jsonx.AppendKey(out, "include")
		out = append(out, `["reasoning.encrypted_content"]`...)
	}
	if r.Stream {
		out = jsonx.AppendKey(out, "stream")
		out = append(out, "true"...)
	}
	return append(out, '}'), nil
}

// appendResponsesMessage appends a message item of role with the text
// parts of parts, or nothing when they hold no text.
func appendResponsesMessage(out []byte, parts []formPart, role string) []byte {
	mark := len(out)
	out = jsonx.AppendSep(out)
	out = append(out, `{"type":"message","role":"`...)
	out = append(out, role...)
	out = append(out, `","content":[`...)
	start := len(out)
	typ := `{"type":"input_text","text":`
	if role == "assistant" {
		typ = `{"type":"output_text","text":`
	}
	for i := range parts {
		if p := &parts[i]; (p.Kind == blockText || p.Kind == blockRefusal) && p.Text.IsString() && p.Text.HasText() {
			out = jsonx.AppendSep(out)
			out = append(out, typ...)
			out = append(out, p.Text...)
			out = append(out, '}')
		}
	}
	if len(out) == start {
		return out[:mark]
	}
	return append(out, `]}`...)
}

// appendResponsesAssistant appends the items of an assistant turn: its
// reasoning items (only OpenAI's own, which its servers can decrypt), its
// text as one message, then one function_call per call.
func appendResponsesAssistant(out []byte, m *formMessage, s *requestScratch, c *Conversion) []byte {
	for i := 0; i < len(m.Parts); i++ {
		p := &m.Parts[i]
		if p.Kind != blockThinking || p.Origin != Responses || !p.ID.HasText() {
			continue
		}
		out = jsonx.AppendSep(out)
		out = append(out, `{"type":"reasoning","id":`...)
		out = jsonx.AppendValueString(out, p.ID)
		out = append(out, `,"summary":[`...)
		for j := i; j < len(m.Parts); j++ {
			q := &m.Parts[j]
			if q.Kind != blockThinking || q.Origin != Responses || j > i && q.ID.HasText() {
				break
			}
			if q.Text.IsString() {
				out = jsonx.AppendSep(out)
				out = append(out, `{"type":"summary_text","text":`...)
				out = append(out, q.Text...)
				out = append(out, '}')
			}
		}
		out = append(out, ']')
		if p.Signature.IsString() {
			out = append(out, `,"encrypted_content":`...)
			out = append(out, p.Signature...)
		}
		out = append(out, '}')
	}
	out = appendResponsesMessage(out, m.Parts, "assistant")
	for i := range m.Parts {
		p := &m.Parts[i]
		if p.Kind != blockToolCall {
			continue
		}
		out = jsonx.AppendSep(out)
		id := p.ID.Text()
		if id == "" {
			id = openAIToolCallID(id)
		}
		if p.Freeform {
			out = append(out, `{"type":"custom_tool_call","call_id":`...)
			out = jsonx.AppendString(out, id)
			out = append(out, `,"name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, p.Name.Text()))
			out = append(out, `,"input":`...)
			out = jsonx.AppendValueString(out, p.Input)
			out = append(out, '}')
			continue
		}
		out = append(out, `{"type":"function_call","call_id":`...)
		out = jsonx.AppendString(out, id)
		out = append(out, `,"name":`...)
		out = jsonx.AppendString(out, upstreamToolName(c, p.Name.Text()))
		out = append(out, `,"arguments":`...)
		out = appendArgumentsString(out, p, &s.e)
		out = append(out, '}')
	}
	return out
}

// appendResponsesUser appends a user message: a function_call_output per
// tool result first (right after the calls), then the rest as one message.
// Output stays text; images and files of results go to the message.
func appendResponsesUser(out []byte, m *formMessage, s *requestScratch) []byte {
	s.media = s.media[:0]
	for i := range m.Parts {
		r := &m.Parts[i]
		if r.Kind != blockToolResult {
			continue
		}
		out = jsonx.AppendSep(out)
		out = append(out, `{"type":"function_call_output","call_id":`...)
		id := r.ID.Text()
		if id == "" {
			// The id its call was given.
			id = openAIToolCallID(id)
		}
		out = jsonx.AppendString(out, id)
		out = append(out, `,"output":"`...)
		out = appendToolResultText(out, r, s, responsesMediaPart)
		out = append(out, `"}`...)
	}
	mark := len(out)
	out = jsonx.AppendSep(out)
	out = append(out, `{"type":"message","role":"user","content":[`...)
	start := len(out)
	for _, p := range s.media {
		out = appendResponsesPart(out, p)
	}
	for i := range m.Parts {
		if p := &m.Parts[i]; chatTextPart(p) || responsesMediaPart(p) {
			out = appendResponsesPart(out, p)
		}
	}
	if len(out) == start {
		return out[:mark]
	}
	return append(out, `]}`...)
}

// responsesMediaPart reports whether the Responses API takes p as an
// image or a file.
func responsesMediaPart(p *formPart) bool {
	switch p.Kind {
	case blockImage:
		return p.Source == srcBase64 || p.Source == srcFileID || p.Source == srcURL && p.Data.HasText()
	case blockDocument:
		return p.Source == srcBase64 || p.Source == srcFileID || p.Source == srcURL && p.Data.HasText()
	}
	return false
}

// appendResponsesPart appends the input content part for p.
func appendResponsesPart(dst []byte, p *formPart) []byte {
	dst = jsonx.AppendSep(dst)
	switch {
	case p.Kind == blockImage:
		dst = append(dst, `{"type":"input_image",`...)
		switch p.Source {
		case srcFileID:
			dst = append(dst, `"file_id":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
		case srcURL:
			dst = append(dst, `"image_url":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
		default:
			dst = append(dst, `"image_url":`...)
			dst = appendDataURL(dst, p.MediaType, p.Data, "application/octet-stream")
		}
		dst = append(dst, `,"detail":`...)
		if p.Detail.IsString() {
			dst = append(dst, p.Detail...)
		} else {
			dst = append(dst, `"auto"`...)
		}
		return append(dst, '}')
	case p.Kind == blockDocument && responsesMediaPart(p):
		dst = append(dst, `{"type":"input_file",`...)
		switch {
		case p.Source == srcFileID:
			dst = append(dst, `"file_id":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
			return append(dst, '}')
		case p.Source == srcURL && !isDataURL(p.Data):
			dst = append(dst, `"file_url":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
			return append(dst, '}')
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
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"input_text","text":"`...)
	dst = appendChatText(dst, p)
	return append(dst, `"}`...)
}

// appendResponsesTools appends tools (flat, as the Responses API wants
// them), tool_choice and parallel_tool_calls.
func appendResponsesTools(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	mark := len(out)
	out = jsonx.AppendKey(out, "tools")
	out = append(out, '[')
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Kind == toolBuiltin {
			if t.Origin == Responses {
				out = jsonx.AppendSep(out)
				out = append(out, t.Raw...)
				continue
			}
			return nil, refuseBuiltin(t, Responses)
		}
		name := t.Name.Text()
		if name == "" {
			continue
		}
		s.names = append(s.names, name)
		out = jsonx.AppendSep(out)
		if t.Kind == toolFreeform {
			out = append(out, `{"type":"custom","name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, name))
			if t.Description.IsString() {
				out = append(out, `,"description":`...)
				out = append(out, t.Description...)
			}
			if t.Grammar.IsObject() {
				out = append(out, `,"format":`...)
				out = append(out, t.Grammar...)
			}
			out = append(out, '}')
			continue
		}
		out = append(out, `{"type":"function","name":`...)
		out = jsonx.AppendString(out, upstreamToolName(c, name))
		out = appendDescription(out, t)
		out = append(out, `,"parameters":`...)
		out = appendSchema(out, t.Schema)
		// The Responses API makes functions strict unless told otherwise,
		// and a strict schema must meet rules few callers' schemas meet.
		out = append(out, `,"strict":`...)
		if t.Strict.IsBool() {
			out = append(out, t.Strict...)
		} else {
			out = append(out, "false"...)
		}
		out = append(out, '}')
	}
	if len(s.names) == 0 {
		return out[:mark], nil
	}
	out = append(out, ']')
	return appendOpenAIToolChoice(out, r, s, c, true), nil
}
