package transformer

import (
	"encoding/base64"
	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
)

// anthropicRequestBlock is an Anthropic message, content block, tool or
// tool choice of a request, read in one pass.
type anthropicRequestBlock struct {
	typ, role string
	isError   bool
	// typeTok is the type as a token, for tools kept whole.
	typeTok jsonx.Value
	text, thinking, signature, data, id, name, input, content, source, title,
	toolUseID, cacheControl, citations, description, schema, strict jsonx.Value
	disableParallel bool
}

func (b *anthropicRequestBlock) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			b.typ, b.typeTok = x.Str(), x
		case "role":
			b.role = x.Str()
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
			b.isError = x.IsTrue()
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
			b.disableParallel = x.IsTrue()
		}
	}
}

func (anthropicCodec) decodeRequest(root jsonx.Value, r *formRequest, c *Conversion) error {
	var system, messages, tools, choice, thinking, outputConfig jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "model":
			r.Model = v
		case "system":
			system = v
		case "messages":
			messages = v
		case "max_tokens":
			if v.IsNumber() {
				r.MaxTokens = v
			}
		case "stop_sequences":
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
		case "top_k":
			r.TopK = v
		case "metadata":
			// Anthropic's metadata holds only the end user's id.
			r.User = v.Get("user_id")
		case "stream":
			r.Stream = v.IsTrue()
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
	if !messages.IsArray() {
		return invalid("messages: an array of messages is required")
	}
	if system.IsString() {
		r.addSystem(system)
	} else {
		blocks := system.Values()
		for x, ok := blocks.Next(); ok && system.IsArray(); x, ok = blocks.Next() {
			var b anthropicRequestBlock
			if b.read(x); b.typ == "text" {
				r.addSystem(b.text).CacheControl = b.cacheControl
			}
		}
	}
	msgs := messages.Values()
	for x, ok := msgs.Next(); ok; x, ok = msgs.Next() {
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
	defs := tools.Values()
	for x, ok := defs.Next(); ok && tools.IsArray(); x, ok = defs.Next() {
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
	if choice.IsObject() {
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
	switch thinking.Get("type").Str() {
	case "enabled":
		// An enabled budget of 0 still asks for thinking.
		r.Reasoning.Budget = max(gjson.Parse(string(thinking.Get("budget_tokens"))).Int(), 1)
	case "disabled":
		r.Reasoning.Disabled = true
	case "adaptive":
		r.Reasoning.Adaptive = true
	}
	if outputConfig.IsObject() {
		r.Reasoning.Effort = readEffort(outputConfig.Get("effort"))
		if f := outputConfig.Get("format"); f.Get("type").Str() == "json_schema" {
			if schema := f.Get("schema"); schema.IsObject() {
				r.Output.Schema = schema
			}
		}
	}
	return nil
}

// decodeAnthropicContent adds the blocks of an Anthropic message content,
// a string or a list of blocks, to m. Blocks that only Anthropic's servers
// make sense of (server_tool_use, web_search_tool_result…) are left out.
func decodeAnthropicContent(m *formMessage, content jsonx.Value) {
	if content.IsString() {
		m.addPart(blockText).Text = content
		return
	}
	blocks := content.Values()
	for x, ok := blocks.Next(); ok && content.IsArray(); x, ok = blocks.Next() {
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
			if b.content.IsString() {
				// A string result stays a string: formats that take both
				// tell them apart.
				p.Text = b.content
			} else {
				inner := b.content.Values()
				for y, ok := inner.Next(); ok && b.content.IsArray(); y, ok = inner.Next() {
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
			if src.content.IsString() {
				p.addContent(blockText).Text = src.content
			} else {
				inner := src.content.Values()
				for y, ok := inner.Next(); ok && src.content.IsArray(); y, ok = inner.Next() {
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
	mediaType, data, url, content, fileID jsonx.Value
}

func (s *anthropicSource) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "type":
			s.typ = x.Str()
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
		out = jsonx.AppendKey(out, "model")
		out = jsonx.AppendValueString(out, r.Model)
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
	if n := gjson.Parse(string(r.MaxTokens)).Int(); r.MaxTokens.IsNumber() && n > 0 {
		maxTokens = n
	}
	if budget > 0 {
		// The budget must stay below max_tokens. The OpenAI formats count
		// reasoning within the caller's limit already, so it is raised
		// only when it would leave no room for the answer.
		if maxTokens <= budget {
			maxTokens += budget
		}
		out = jsonx.AppendKey(out, "thinking")
		out = append(out, `{"type":"enabled","budget_tokens":`...)
		out = appendInt(out, budget)
		out = append(out, '}')
	}
	out = jsonx.AppendKey(out, "max_tokens")
	out = appendInt(out, maxTokens)

	// Every instruction, before the conversation or within it, is hoisted
	// into the one system prompt Anthropic takes.
	mark := len(out)
	out = jsonx.AppendKey(out, "system")
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

	out = jsonx.AppendKey(out, "messages")
	out = append(out, '[')
	out = anthropicMessages(out, r, s, c)
	out = append(out, ']')

	if len(r.Stop) > 0 {
		mark := len(out)
		out = jsonx.AppendKey(out, "stop_sequences")
		out = append(out, '[')
		start := len(out)
		for _, v := range r.Stop {
			// Anthropic rejects stop sequences without non-whitespace.
			if !v.BlankText() {
				out = jsonx.AppendSep(out)
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
	if t := r.Temperature; t.IsNumber() && budget == 0 {
		hasTemp = true
		out = jsonx.AppendKey(out, "temperature")
		switch v := gjson.Parse(string(t)).Float(); {
		case v > 1: // OpenAI allows up to 2, Anthropic up to 1
			out = append(out, '1')
		case v < 0:
			out = append(out, '0')
		default:
			out = append(out, t...)
		}
	}
	if p := r.TopP; p.IsNumber() && !hasTemp && (budget == 0 || gjson.Parse(string(p)).Float() >= 0.95) {
		out = jsonx.AppendKey(out, "top_p")
		out = append(out, p...)
	}
	if r.TopK.IsNumber() && budget == 0 {
		out = jsonx.AppendKey(out, "top_k")
		out = append(out, r.TopK...)
	}
	if u := r.User; u.IsString() && u.HasText() {
		out = jsonx.AppendKey(out, "metadata")
		out = append(out, `{"user_id":`...)
		out = appendUserID(out, u, maxAnthropicUser)
		out = append(out, '}')
	}
	if r.Stream {
		out = jsonx.AppendKey(out, "stream")
		out = append(out, "true"...)
	}
	return append(out, '}'), nil
}

// appendSystemText appends a non-blank text to the system prompt begun at
// start, after a newline when it is not the first.
func appendSystemText(out []byte, t jsonx.Value, start int) []byte {
	if t.BlankText() {
		return out
	}
	if len(out) > start {
		out = append(out, escapedNewline...)
	}
	return jsonx.AppendValueBody(out, t)
}

// anthropicTools appends tools and tool_choice, and reports whether the
// choice forces a tool.
func anthropicTools(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, bool, error) {
	mark := len(out)
	out = jsonx.AppendKey(out, "tools")
	out = append(out, '[')
	start := len(out)
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Kind == toolBuiltin {
			if t.Origin != Anthropic {
				return nil, false, refuseBuiltin(t, Anthropic)
			}
			out = jsonx.AppendSep(out)
			out = append(out, t.Raw...)
			continue
		}
		var ok bool
		if out, ok = appendFunctionHead(out, `{"name":`, t, s, c); !ok {
			continue
		}
		out = append(out, `,"input_schema":`...)
		if t.Kind == toolFreeform {
			out = append(out, freeformSchema...)
		} else {
			out = appendSchema(out, t.Schema)
		}
		if t.CacheControl.IsObject() {
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
		if !s.hasTool(r.Choice.Name.Text()) {
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
	out = jsonx.AppendKey(out, "tool_choice")
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if typ == "tool" {
		out = append(out, `,"name":`...)
		out = jsonx.AppendString(out, upstreamToolName(c, r.Choice.Name.Text()))
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
		out = jsonx.AppendSep(out)
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
	dst = jsonx.AppendSep(dst)
	dst = append(dst, `{"type":"tool_result","tool_use_id":`...)
	dst = jsonx.AppendString(dst, anthropicToolID(p.ID.Text()))
	switch {
	case p.Text != "":
		if !p.Text.BlankText() {
			dst = append(dst, `,"content":`...)
			dst = jsonx.AppendValueString(dst, p.Text)
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
	if p.CacheControl.IsObject() {
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
		if !p.Text.IsString() || p.Text.BlankText() {
			return dst
		}
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"text","text":`...)
		dst = append(dst, p.Text...)
		if p.Kind == blockText && p.Citations.IsArray() {
			dst = append(dst, `,"citations":`...)
			dst = append(dst, p.Citations...)
		}
		return appendCacheControl(dst, p)
	case blockThinking:
		if p.Origin != Anthropic || !p.Signature.HasText() {
			return dst
		}
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"thinking","thinking":`...)
		if p.Text.IsString() {
			dst = append(dst, p.Text...)
		} else {
			dst = append(dst, `""`...)
		}
		dst = append(dst, `,"signature":`...)
		dst = appendCarried(dst, p.Signature)
		return append(dst, '}')
	case blockRedacted:
		if p.Origin != Anthropic || !p.Signature.HasText() {
			return dst
		}
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"redacted_thinking","data":`...)
		dst = appendCarried(dst, p.Signature)
		return append(dst, '}')
	case blockToolCall:
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"tool_use","id":`...)
		dst = jsonx.AppendString(dst, anthropicToolID(p.ID.Text()))
		dst = append(dst, `,"name":`...)
		dst = jsonx.AppendString(dst, upstreamToolName(c, p.Name.Text()))
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
	if p.CacheControl.IsObject() {
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
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
		dst = jsonx.AppendValueString(dst, p.MediaType)
		dst = append(dst, `,"data":`...)
		dst = jsonx.AppendValueString(dst, p.Data)
		dst = append(dst, '}')
		return appendCacheControl(dst, p)
	case srcURL:
		if !p.Data.HasText() {
			return dst
		}
		if isDataURL(p.Data) {
			mt, data, ok := parseDataURL(p.Data.Str())
			if !ok || data == "" {
				return dst // not base64: nothing Anthropic takes
			}
			return appendBase64Image(dst, mt, data)
		}
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"image","source":{"type":"url","url":`...)
		dst = jsonx.AppendValueString(dst, p.Data)
		dst = append(dst, '}')
		return appendCacheControl(dst, p)
	}
	return dst
}

func appendBase64Image(dst []byte, mediaType, data string) []byte {
	dst = jsonx.AppendSep(dst)
	dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
	dst = jsonx.AppendString(dst, mediaType)
	dst = append(dst, `,"data":`...)
	dst = jsonx.AppendString(dst, data)
	return append(dst, `}}`...)
}

// appendAnthropicDocument appends a document block. Only what Anthropic
// can read is sent: PDFs, text, images given as files, URLs; a provider's
// file id refers to storage Anthropic cannot see.
func appendAnthropicDocument(dst []byte, p *formPart, s *requestScratch, c *Conversion) []byte {
	mark := len(dst)
	switch p.Source {
	case srcBase64:
		if !p.Data.HasText() {
			return dst
		}
		mt := p.MediaType
		if !mt.HasText() {
			// Some clients send bare base64; PDF is the one type OpenAI
			// documents for files.
			mt = `"application/pdf"`
		}
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"base64","media_type":`...)
		dst = jsonx.AppendValueString(dst, mt)
		dst = append(dst, `,"data":`...)
		dst = jsonx.AppendValueString(dst, p.Data)
		dst = append(dst, '}')
	case srcURL:
		if !p.Data.HasText() {
			return dst
		}
		if !isDataURL(p.Data) {
			dst = jsonx.AppendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"url","url":`...)
			dst = jsonx.AppendValueString(dst, p.Data)
			dst = append(dst, '}')
			break
		}
		mt, data, ok := parseDataURL(p.Data.Str())
		switch {
		case !ok || data == "":
			return dst
		case mt == "application/pdf":
			dst = jsonx.AppendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":`...)
			dst = jsonx.AppendString(dst, data)
			dst = append(dst, '}')
		case len(mt) > 6 && mt[:6] == "image/":
			return appendBase64Image(dst, mt, data)
		case len(mt) > 5 && mt[:5] == "text/":
			// Anthropic takes plain text documents as text, not base64.
			text, err := base64.StdEncoding.DecodeString(data)
			if err != nil || len(text) == 0 {
				return dst
			}
			dst = jsonx.AppendSep(dst)
			dst = append(dst, `{"type":"document","source":{"type":"text","media_type":"text/plain","data":`...)
			dst = jsonx.AppendString(dst, jsonx.BytesString(text))
			dst = append(dst, '}')
		default:
			return dst
		}
	case srcText:
		dst = jsonx.AppendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"text","media_type":"text/plain","data":`...)
		dst = jsonx.AppendValueString(dst, p.Data)
		dst = append(dst, '}')
	case srcContent:
		dst = jsonx.AppendSep(dst)
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
	if p.Title.HasText() {
		dst = append(dst, `,"title":`...)
		dst = jsonx.AppendValueString(dst, p.Title)
	}
	return appendCacheControl(dst, p)
}
