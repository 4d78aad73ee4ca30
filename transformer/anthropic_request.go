package transformer

import "encoding/base64"

// anthropicRequestBlock is an Anthropic message, content block, tool or
// tool choice of a request, read in one pass.
type anthropicRequestBlock struct {
	typ, role string
	isError   bool
	// typeTok is the type as a token, for tools kept whole.
	typeTok jsonValue
	text, thinking, signature, data, id, name, input, content, source, title,
	toolUseID, cacheControl, citations, description, schema, strict jsonValue
	disableParallel bool
}

func (b *anthropicRequestBlock) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			b.typ, b.typeTok = x.str(), x
		case "role":
			b.role = x.str()
		case "text":
			b.text = x
		case "thinking":
			b.thinking = x
		case "signature":
			b.signature = x
		case "data":
			b.data = x
		case "id":
			b.id = x
		case "name":
			b.name = x
		case "input":
			b.input = x
		case "content":
			b.content = x
		case "source":
			b.source = x
		case "title":
			b.title = x
		case "tool_use_id":
			b.toolUseID = x
		case "is_error":
			b.isError = x.isTrue()
		case "cache_control":
			b.cacheControl = x
		case "citations":
			b.citations = x
		case "description":
			b.description = x
		case "input_schema":
			b.schema = x
		case "strict":
			b.strict = x
		case "disable_parallel_tool_use":
			b.disableParallel = x.isTrue()
		}
	}
}

func (anthropicCodec) decodeRequest(root jsonValue, r *formRequest, c *Conversion) error {
	var system, messages, tools, choice, thinking, outputConfig jsonValue
	it := members(root)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch k {
		case "model":
			r.Model = v
		case "system":
			system = v
		case "messages":
			messages = v
		case "max_tokens":
			if v.isNumber() {
				r.MaxTokens = v
			}
		case "stop_sequences":
			seqs := values(v)
			for s, ok := seqs.next(); ok && v.isArray(); s, ok = seqs.next() {
				if s.isString() {
					r.Stop = append(r.Stop, s)
				}
			}
		case "temperature":
			r.Temperature = v
		case "top_p":
			r.TopP = v
		case "top_k":
			r.TopK = v
		case "metadata":
			// Anthropic's metadata holds only the end user's id.
			r.User = v.get("user_id")
		case "stream":
			r.Stream = v.isTrue()
		case "tools":
			tools = v
		case "tool_choice":
			choice = v
		case "thinking":
			thinking = v
		case "output_config":
			outputConfig = v
		}
	}
	if !messages.isArray() {
		return invalid("messages: an array of messages is required")
	}
	if system.isString() {
		r.addSystem(system)
	} else {
		blocks := values(system)
		for x, ok := blocks.next(); ok && system.isArray(); x, ok = blocks.next() {
			var b anthropicRequestBlock
			if b.read(x); b.typ == "text" {
				r.addSystem(b.text).CacheControl = b.cacheControl
			}
		}
	}
	msgs := values(messages)
	for x, ok := msgs.next(); ok; x, ok = msgs.next() {
		var msg anthropicRequestBlock
		msg.read(x)
		ro := roleUser
		switch msg.role {
		case "assistant":
			ro = roleAssistant
		case "system":
			// Claude Code's mid-conversation instructions.
			ro = roleSystem
		}
		m := r.addMessage(ro)
		decodeAnthropicContent(m, msg.content)
	}
	defs := values(tools)
	for x, ok := defs.next(); ok && tools.isArray(); x, ok = defs.next() {
		var b anthropicRequestBlock
		b.read(x)
		if b.typ != "" && b.typ != "custom" {
			// Server tools (web_search_…, code_execution_…) and
			// Anthropic-defined client tools (bash_…, text_editor_…).
			t := r.addTool(toolBuiltin)
			t.Type, t.Name, t.Raw, t.Origin = b.typeTok, b.name, x, Anthropic
			continue
		}
		t := r.addTool(toolFunction)
		t.Name, t.Description, t.Schema, t.Strict, t.CacheControl = b.name, b.description, b.schema, b.strict, b.cacheControl
	}
	if choice.isObject() {
		var b anthropicRequestBlock
		b.read(choice)
		switch b.typ {
		case "auto":
			r.Choice.Mode = choiceAuto
		case "any":
			r.Choice.Mode = choiceAny
		case "none":
			r.Choice.Mode = choiceNone
		case "tool":
			r.Choice = formToolChoice{Mode: choiceTool, Name: b.name}
		}
		if b.disableParallel {
			r.ParallelToolCalls = triFalse
		}
	}
	switch thinking.get("type").str() {
	case "enabled":
		// An enabled budget of 0 still asks for thinking.
		r.Reasoning.Budget = max(thinking.get("budget_tokens").result().Int(), 1)
	case "disabled":
		r.Reasoning.Disabled = true
	case "adaptive":
		r.Reasoning.Adaptive = true
	}
	if outputConfig.isObject() {
		r.Reasoning.Effort = readEffort(outputConfig.get("effort"))
		if f := outputConfig.get("format"); f.get("type").str() == "json_schema" {
			if schema := f.get("schema"); schema.isObject() {
				r.Output.Schema = schema
			}
		}
	}
	return nil
}

// decodeAnthropicContent adds the blocks of an Anthropic message content,
// a string or a list of blocks, to m. Blocks that only Anthropic's servers
// make sense of (server_tool_use, web_search_tool_result…) are left out.
func decodeAnthropicContent(m *formMessage, content jsonValue) {
	if content.isString() {
		m.addPart(blockText).Text = content
		return
	}
	blocks := values(content)
	for x, ok := blocks.next(); ok && content.isArray(); x, ok = blocks.next() {
		var b anthropicRequestBlock
		b.read(x)
		switch b.typ {
		case "thinking":
			p := m.addPart(blockThinking)
			p.Text, p.Signature, p.Origin = b.thinking, b.signature, Anthropic
		case "redacted_thinking":
			p := m.addPart(blockRedacted)
			p.Signature, p.Origin = b.data, Anthropic
		case "tool_use":
			p := m.addPart(blockToolCall)
			p.ID, p.Name, p.Input = b.id, b.name, b.input
		case "tool_result":
			p := m.addPart(blockToolResult)
			p.ID, p.IsError, p.CacheControl = b.toolUseID, b.isError, b.cacheControl
			if b.content.isString() {
				// A string result stays a string: formats that take both
				// tell them apart.
				p.Text = b.content
			} else {
				inner := values(b.content)
				for y, ok := inner.next(); ok && b.content.isArray(); y, ok = inner.next() {
					var ib anthropicRequestBlock
					ib.read(y)
					decodeAnthropicMedia(p.addContent, &ib)
				}
			}
		default:
			decodeAnthropicMedia(m.addPart, &b)
		}
	}
}

// decodeAnthropicMedia adds a text, image or document block through add;
// other blocks are left out.
func decodeAnthropicMedia(add func(blockKind) *formPart, b *anthropicRequestBlock) {
	switch b.typ {
	case "text":
		p := add(blockText)
		p.Text, p.CacheControl, p.Citations = b.text, b.cacheControl, b.citations
	case "image", "document":
		var src anthropicSource
		src.read(b.source)
		kind := blockImage
		if b.typ == "document" {
			kind = blockDocument
		}
		var p *formPart
		switch src.typ {
		case "base64":
			p = add(kind)
			p.Source, p.MediaType, p.Data = srcBase64, src.mediaType, src.data
		case "url":
			p = add(kind)
			p.Source, p.Data = srcURL, src.url
		case "text":
			p = add(kind)
			p.Source, p.MediaType, p.Data = srcText, src.mediaType, src.data
		case "file":
			p = add(kind)
			p.Source, p.Data = srcFileID, src.fileID
		case "content":
			p = add(kind)
			p.Source = srcContent
			if src.content.isString() {
				p.addContent(blockText).Text = src.content
			} else {
				inner := values(src.content)
				for y, ok := inner.next(); ok && src.content.isArray(); y, ok = inner.next() {
					var ib anthropicRequestBlock
					if ib.read(y); ib.typ == "text" {
						p.addContent(blockText).Text = ib.text
					}
				}
			}
		default:
			return
		}
		p.Title, p.CacheControl = b.title, b.cacheControl
	}
}

// anthropicSource is the source of an Anthropic image or document.
type anthropicSource struct {
	typ                                   string
	mediaType, data, url, content, fileID jsonValue
}

func (s *anthropicSource) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			s.typ = x.str()
		case "media_type":
			s.mediaType = x
		case "data":
			s.data = x
		case "url":
			s.url = x
		case "content":
			s.content = x
		case "file_id":
			s.fileID = x
		}
	}
}

func (anthropicCodec) encodeRequest(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	out = append(out, '{')
	// Model is optional, so no member after it can know it is not the
	// first: every one is written with appendKey.
	if r.Model != "" {
		out = appendKey(out, "model")
		out = appendValueString(out, r.Model)
	}
	out, forced, err := anthropicTools(out, r, s, c)
	if err != nil {
		return nil, err
	}
	budget := anthropicBudget(&r.Reasoning)
	if forced {
		// Anthropic rejects thinking with a forced tool; the forced tool
		// is what the caller's code depends on.
		budget = 0
	}
	maxTokens := int64(DefaultMaxTokens)
	if n := r.MaxTokens.result().Int(); r.MaxTokens.isNumber() && n > 0 {
		maxTokens = n
	}
	if budget > 0 {
		// The budget must stay below max_tokens. The OpenAI formats count
		// reasoning within the caller's limit already, so it is raised
		// only when it would leave no room for the answer.
		if maxTokens <= budget {
			maxTokens += budget
		}
		out = appendKey(out, "thinking")
		out = append(out, `{"type":"enabled","budget_tokens":`...)
		out = appendInt(out, budget)
		out = append(out, '}')
	}
	out = appendKey(out, "max_tokens")
	out = appendInt(out, maxTokens)

	// Every instruction, before the conversation or within it, is hoisted
	// into the one system prompt Anthropic takes.
	mark := len(out)
	out = appendKey(out, "system")
	out = append(out, '"')
	start := len(out)
	for i := range r.System {
		out = appendSystemText(out, r.System[i].Text, start)
	}
	for i := range r.Messages {
		if m := &r.Messages[i]; m.role == roleSystem {
			for j := range m.Parts {
				if m.Parts[j].Kind == blockText {
					out = appendSystemText(out, m.Parts[j].Text, start)
				}
			}
		}
	}
	if len(out) == start {
		out = out[:mark]
	} else {
		out = append(out, '"')
	}

	out = appendKey(out, "messages")
	out = append(out, '[')
	out = anthropicMessages(out, r, s, c)
	out = append(out, ']')

	if len(r.Stop) > 0 {
		mark := len(out)
		out = appendKey(out, "stop_sequences")
		out = append(out, '[')
		start := len(out)
		for _, v := range r.Stop {
			// Anthropic rejects stop sequences without non-whitespace.
			if !v.blankText() {
				out = appendSep(out)
				out = append(out, v...)
			}
		}
		if len(out) == start {
			out = out[:mark]
		} else {
			out = append(out, ']')
		}
	}
	// With thinking Anthropic accepts neither a temperature other than 1
	// nor a top_p below 0.95. Current Claude models also reject
	// temperature and top_p together ("cannot both be specified"), which
	// OpenAI clients often send: temperature, the common knob, wins.
	hasTemp := false
	if t := r.Temperature; t.isNumber() && budget == 0 {
		hasTemp = true
		out = appendKey(out, "temperature")
		switch v := t.result().Float(); {
		case v > 1: // OpenAI allows up to 2, Anthropic up to 1
			out = append(out, '1')
		case v < 0:
			out = append(out, '0')
		default:
			out = append(out, t...)
		}
	}
	if p := r.TopP; p.isNumber() && !hasTemp && (budget == 0 || p.result().Float() >= 0.95) {
		out = appendKey(out, "top_p")
		out = append(out, p...)
	}
	if r.TopK.isNumber() && budget == 0 {
		out = appendKey(out, "top_k")
		out = append(out, r.TopK...)
	}
	if u := r.User; u.isString() && u.hasText() {
		out = appendKey(out, "metadata")
		out = append(out, `{"user_id":`...)
		out = appendUserID(out, u, maxAnthropicUser)
		out = append(out, '}')
	}
	if r.Stream {
		out = appendKey(out, "stream")
		out = append(out, "true"...)
	}
	return append(out, '}'), nil
}

// appendSystemText appends a non-blank text to the system prompt begun at
// start, after a newline when it is not the first.
func appendSystemText(out []byte, t jsonValue, start int) []byte {
	if t.blankText() {
		return out
	}
	if len(out) > start {
		out = append(out, escapedNewline...)
	}
	return appendValueBody(out, t)
}

// anthropicTools appends tools and tool_choice, and reports whether the
// choice forces a tool.
func anthropicTools(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, bool, error) {
	mark := len(out)
	out = appendKey(out, "tools")
	out = append(out, '[')
	start := len(out)
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Kind == toolBuiltin {
			if t.Origin != Anthropic {
				return nil, false, refuseBuiltin(t, Anthropic)
			}
			out = appendSep(out)
			out = append(out, t.Raw...)
			continue
		}
		name := t.Name.text()
		if name == "" {
			continue
		}
		s.names = append(s.names, name)
		out = appendSep(out)
		out = append(out, `{"name":`...)
		out = appendJSONString(out, upstreamToolName(c, name))
		out = appendDescription(out, t)
		out = append(out, `,"input_schema":`...)
		if t.Kind == toolFreeform {
			out = append(out, freeformSchema...)
		} else {
			out = appendSchema(out, t.Schema)
		}
		if t.CacheControl.isObject() {
			out = append(out, `,"cache_control":`...)
			out = append(out, t.CacheControl...)
		}
		out = append(out, '}')
	}
	if len(out) == start {
		// tool_choice without tools is rejected.
		return out[:mark], false, nil
	}
	out = append(out, ']')

	var typ string
	switch r.Choice.Mode {
	case choiceAuto:
		typ = "auto"
	case choiceAny:
		typ = "any"
	case choiceNone:
		typ = "none"
	case choiceTool:
		typ = "tool"
		if !s.hasTool(r.Choice.Name.text()) {
			// The forced tool was not sent; forcing it would be rejected.
			typ = "auto"
		}
	}
	disableParallel := r.ParallelToolCalls == triFalse
	if typ == "" && disableParallel {
		typ = "auto"
	}
	if typ == "" {
		return out, false, nil
	}
	out = appendKey(out, "tool_choice")
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if typ == "tool" {
		out = append(out, `,"name":`...)
		out = appendJSONString(out, upstreamToolName(c, r.Choice.Name.text()))
	}
	if disableParallel && typ != "none" {
		out = append(out, `,"disable_parallel_tool_use":true`...)
	}
	out = append(out, '}')
	return out, typ == "any" || typ == "tool", nil
}

// anthropicMessages appends the conversation. Anthropic wants user and
// assistant turns to alternate and tool results first in the user turn
// after the calls, so consecutive messages of one role are merged, results
// ahead of the rest. A message that converts to nothing is dropped rather
// than sent empty, which Anthropic would reject.
func anthropicMessages(out []byte, r *formRequest, s *requestScratch, c *Conversion) []byte {
	turnResults, turnBlocks := s.a[:0], s.b[:0]
	msgResults, msgBlocks := s.c[:0], s.d[:0]
	turnRole := roleSystem
	flush := func() {
		if len(turnResults) == 0 && len(turnBlocks) == 0 {
			return
		}
		out = appendSep(out)
		out = append(out, `{"role":"`...)
		if turnRole == roleAssistant {
			out = append(out, "assistant"...)
		} else {
			out = append(out, "user"...)
		}
		out = append(out, `","content":[`...)
		out = append(out, turnResults...)
		if len(turnResults) > 0 && len(turnBlocks) > 0 {
			out = append(out, ',')
		}
		out = append(out, turnBlocks...)
		out = append(out, `]}`...)
		turnResults, turnBlocks = turnResults[:0], turnBlocks[:0]
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.role == roleSystem {
			continue
		}
		msgResults, msgBlocks = msgResults[:0], msgBlocks[:0]
		for j := range m.Parts {
			p := &m.Parts[j]
			if p.Kind == blockToolResult {
				msgResults = appendAnthropicResult(msgResults, p, s, c)
				continue
			}
			if m.role == roleAssistant || p.Kind != blockThinking && p.Kind != blockRedacted && p.Kind != blockToolCall {
				msgBlocks = appendAnthropicBlock(msgBlocks, p, s, c)
			}
		}
		if len(msgResults) == 0 && len(msgBlocks) == 0 {
			continue
		}
		if m.role != turnRole {
			flush()
			turnRole = m.role
		}
		turnResults = appendJoined(turnResults, msgResults)
		turnBlocks = appendJoined(turnBlocks, msgBlocks)
	}
	flush()
	s.a, s.b, s.c, s.d = turnResults, turnBlocks, msgResults, msgBlocks
	return out
}

// appendJoined appends src, a comma-separated list of elements, to dst,
// another such list.
func appendJoined(dst, src []byte) []byte {
	if len(src) == 0 {
		return dst
	}
	if len(dst) > 0 {
		dst = append(dst, ',')
	}
	return append(dst, src...)
}

// appendAnthropicResult appends a tool_result block. Blank content is left
// out rather than sent as an empty block.
func appendAnthropicResult(dst []byte, p *formPart, s *requestScratch, c *Conversion) []byte {
	dst = appendSep(dst)
	dst = append(dst, `{"type":"tool_result","tool_use_id":`...)
	dst = appendJSONString(dst, anthropicToolID(p.ID.text()))
	switch {
	case p.Text != "":
		if !p.Text.blankText() {
			dst = append(dst, `,"content":`...)
			dst = appendValueString(dst, p.Text)
		}
	case len(p.Content) > 0:
		mark := len(dst)
		dst = append(dst, `,"content":[`...)
		start := len(dst)
		for i := range p.Content {
			dst = appendAnthropicBlock(dst, &p.Content[i], s, c)
		}
		if len(dst) == start {
			dst = dst[:mark]
		} else {
			dst = append(dst, ']')
		}
	}
	if p.IsError {
		dst = append(dst, `,"is_error":true`...)
	}
	if p.CacheControl.isObject() {
		dst = append(dst, `,"cache_control":`...)
		dst = append(dst, p.CacheControl...)
	}
	return append(dst, '}')
}

// appendAnthropicBlock appends the block for a part, or nothing when
// Anthropic cannot take it: blank text, thinking without an Anthropic
// signature, media it cannot fetch.
func appendAnthropicBlock(dst []byte, p *formPart, s *requestScratch, c *Conversion) []byte {
	switch p.Kind {
	case blockText, blockRefusal:
		if !p.Text.isString() || p.Text.blankText() {
			return dst
		}
		dst = appendSep(dst)
		dst = append(dst, `{"type":"text","text":`...)
		dst = append(dst, p.Text...)
		if p.Kind == blockText && p.Citations.isArray() {
			dst = append(dst, `,"citations":`...)
			dst = append(dst, p.Citations...)
		}
		return appendCacheControl(dst, p)
	case blockThinking:
		if p.Origin != Anthropic || !p.Signature.hasText() {
			return dst
		}
		dst = appendSep(dst)
		dst = append(dst, `{"type":"thinking","thinking":`...)
		if p.Text.isString() {
			dst = append(dst, p.Text...)
		} else {
			dst = append(dst, `""`...)
		}
		dst = append(dst, `,"signature":`...)
		dst = appendCarried(dst, p.Signature)
		return append(dst, '}')
	case blockRedacted:
		if p.Origin != Anthropic || !p.Signature.hasText() {
			return dst
		}
		dst = appendSep(dst)
		dst = append(dst, `{"type":"redacted_thinking","data":`...)
		dst = appendCarried(dst, p.Signature)
		return append(dst, '}')
	case blockToolCall:
		dst = appendSep(dst)
		dst = append(dst, `{"type":"tool_use","id":`...)
		dst = appendJSONString(dst, anthropicToolID(p.ID.text()))
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, upstreamToolName(c, p.Name.text()))
		dst = append(dst, `,"input":`...)
		dst = appendArgumentsObject(dst, p, &s.e)
		return append(dst, '}')
	case blockImage:
		return appendAnthropicImage(dst, p)
	case blockDocument:
		return appendAnthropicDocument(dst, p, s, c)
	}
	return dst
}

func appendCacheControl(dst []byte, p *formPart) []byte {
	if p.CacheControl.isObject() {
		dst = append(dst, `,"cache_control":`...)
		dst = append(dst, p.CacheControl...)
	}
	return append(dst, '}')
}

// appendAnthropicImage appends an image block: a data: URL becomes a
// base64 source, any other URL a url source.
func appendAnthropicImage(dst []byte, p *formPart) []byte {
	switch p.Source {
	case srcBase64:
		dst = appendSep(dst)
		dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
		dst = appendValueString(dst, p.MediaType)
		dst = append(dst, `,"data":`...)
		dst = appendValueString(dst, p.Data)
		dst = append(dst, '}')
		return appendCacheControl(dst, p)
	case srcURL:
		if !p.Data.hasText() {
			return dst
		}
		if isDataURL(p.Data) {
			mt, data, ok := parseDataURL(p.Data.str())
			if !ok || data == "" {
				return dst // not base64: nothing Anthropic takes
			}
			return appendBase64Image(dst, mt, data)
		}
		dst = appendSep(dst)
		dst = append(dst, `{"type":"image","source":{"type":"url","url":`...)
		dst = appendValueString(dst, p.Data)
		dst = append(dst, '}')
		return appendCacheControl(dst, p)
	}
	return dst
}

func appendBase64Image(dst []byte, mediaType, data string) []byte {
	dst = appendSep(dst)
	dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
	dst = appendJSONString(dst, mediaType)
	dst = append(dst, `,"data":`...)
	dst = appendJSONString(dst, data)
	return append(dst, `}}`...)
}

// appendAnthropicDocument appends a document block. Only what Anthropic
// can read is sent: PDFs, text, images given as files, URLs; a provider's
// file id refers to storage Anthropic cannot see.
func appendAnthropicDocument(dst []byte, p *formPart, s *requestScratch, c *Conversion) []byte {
	mark := len(dst)
	switch p.Source {
	case srcBase64:
		if !p.Data.hasText() {
			return dst
		}
		mt := p.MediaType
		if !mt.hasText() {
			// Some clients send bare base64; PDF is the one type OpenAI
			// documents for files.
			mt = `"application/pdf"`
		}
		dst = appendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"base64","media_type":`...)
		dst = appendValueString(dst, mt)
		dst = append(dst, `,"data":`...)
		dst = appendValueString(dst, p.Data)
		dst = append(dst, '}')
	case srcURL:
		if !p.Data.hasText() {
			return dst
		}
		if !isDataURL(p.Data) {
			dst = appendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"url","url":`...)
			dst = appendValueString(dst, p.Data)
			dst = append(dst, '}')
			break
		}
		mt, data, ok := parseDataURL(p.Data.str())
		switch {
		case !ok || data == "":
			return dst
		case mt == "application/pdf":
			dst = appendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":`...)
			dst = appendJSONString(dst, data)
			dst = append(dst, '}')
		case len(mt) > 6 && mt[:6] == "image/":
			return appendBase64Image(dst, mt, data)
		case len(mt) > 5 && mt[:5] == "text/":
			// Anthropic takes plain text documents as text, not base64.
			text, err := base64.StdEncoding.DecodeString(data)
			if err != nil || len(text) == 0 {
				return dst
			}
			dst = appendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"text","media_type":"text/plain","data":`...)
			dst = appendJSONString(dst, bytesString(text))
			dst = append(dst, '}')
		default:
			return dst
		}
	case srcText:
		dst = appendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"text","media_type":"text/plain","data":`...)
		dst = appendValueString(dst, p.Data)
		dst = append(dst, '}')
	case srcContent:
		dst = appendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"content","content":[`...)
		start := len(dst)
		for i := range p.Content {
			dst = appendAnthropicBlock(dst, &p.Content[i], s, c)
		}
		if len(dst) == start {
			return dst[:mark]
		}
		dst = append(dst, `]}`...)
	default:
		return dst
	}
	if p.Title.hasText() {
		dst = append(dst, `,"title":`...)
		dst = appendValueString(dst, p.Title)
	}
	return appendCacheControl(dst, p)
}
