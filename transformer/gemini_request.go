package transformer

import (
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// A Gemini request body holds no model and no stream flag: both are in the
// path (models/{model}:streamGenerateContent). The decoder leaves Model
// empty and Stream false; whoever read the path fills them in.

// geminiFix says where a value the decoder had to write itself goes once
// its buffer is complete: ids of calls and results, schemas converted from
// Google's dialect, results that were objects. Values are written into one
// buffer and assigned at the end, so that a request costs one buffer, not
// one allocation per value.
type geminiFix struct {
	kind       uint8
	msg, part  int32
	start, end int32
}

// The places a geminiFix fills.
const (
	fixPartID uint8 = iota
	fixResultText
	fixToolSchema
	fixOutputSchema
)

// geminiCall is a call of the last model turn waiting for its answer: its
// id is the caller's (id), or the one the decoder wrote (start, end).
type geminiCall struct {
	name       string
	id         jsonx.Value
	start, end int32
	answered   bool
}

// geminiDecoder holds what decoding one Gemini request builds on the side.
type geminiDecoder struct {
	gen   []byte
	fixes []geminiFix
	calls []geminiCall
}

// geminiDecoders keeps the decoders' lists of fixes and calls between
// requests; the buffer the form points into is never reused.
var geminiDecoders = sync.Pool{New: func() any { return new(geminiDecoder) }}

func (d *geminiDecoder) release() {
	// The calls' names are substrings of the request body.
	clear(d.calls)
	d.gen, d.fixes, d.calls = nil, d.fixes[:0], d.calls[:0]
	if cap(d.fixes) > maxPooledItems || cap(d.calls) > maxPooledItems {
		return
	}
	geminiDecoders.Put(d)
}

func (d *geminiDecoder) fix(kind uint8, msg, part int, start int) {
	d.fixes = append(d.fixes, geminiFix{kind: kind, msg: int32(msg), part: int32(part), start: int32(start), end: int32(len(d.gen))})
}

func (geminiCodec) decodeRequest(root jsonx.Value, r *formRequest, c *Conversion) error {
	var contents, system, tools, toolConfig, genConfig jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "contents":
			contents = v
		case "systemInstruction", "system_instruction":
			system = v
		case "tools":
			tools = v
		case "toolConfig", "tool_config":
			toolConfig = v
		case "generationConfig", "generation_config":
			genConfig = v
		}
	}
	if !contents.IsArray() {
		return invalid("contents: an array of contents is required")
	}
	d := geminiDecoders.Get().(*geminiDecoder)
	defer d.release()
	if strings.Contains(string(root), "function") {
		// Ids and results are written here: one buffer of a size that
		// seldom grows, instead of several on the way to it.
		d.gen = make([]byte, 0, 256+len(root)/16)
	}

	if system.IsString() {
		r.addSystem(system)
	} else {
		parts := system.Get("parts").Values()
		for x, ok := parts.Next(); ok; x, ok = parts.Next() {
			if t := x.Get("text"); t.IsString() {
				r.addSystem(t)
			}
		}
	}
	turns := contents.Values()
	for x, ok := turns.Next(); ok; x, ok = turns.Next() {
		if !x.IsObject() {
			continue
		}
		ro := roleUser
		if x.Get("role").Str() == "model" {
			ro = roleAssistant
			d.calls = d.calls[:0]
		}
		d.decodeContent(r, ro, x.Get("parts"))
	}
	defs := tools.Values()
	for x, ok := defs.Next(); ok && tools.IsArray(); x, ok = defs.Next() {
		d.decodeTool(r, x)
	}
	decodeGeminiToolConfig(r, toolConfig.Get("functionCallingConfig"))
	d.decodeGenerationConfig(r, genConfig)

	gen := jsonx.BytesString(d.gen)
	for _, f := range d.fixes {
		v := jsonx.Value(gen[f.start:f.end])
		switch f.kind {
		case fixPartID:
			r.Messages[f.msg].Parts[f.part].ID = v
		case fixResultText:
			r.Messages[f.msg].Parts[f.part].Content[0].Text = v
		case fixToolSchema:
			r.Tools[f.part].Schema = v
		case fixOutputSchema:
			r.Output.Schema = v
		}
	}
	return nil
}

// geminiPart is one part of a Gemini content (a request's, an answer's or
// a stream chunk's), read in one pass.
type geminiPart struct {
	text, signature, inline, file, call, response jsonx.Value
	thought                                       bool
}

func (p *geminiPart) read(v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "text":
			p.text = x
		case "thought":
			p.thought = x.IsTrue()
		case "thoughtSignature", "thought_signature":
			p.signature = x
		case "inlineData", "inline_data":
			p.inline = x
		case "fileData", "file_data":
			p.file = x
		case "functionCall", "function_call":
			p.call = x
		case "functionResponse", "function_response":
			p.response = x
		}
	}
}

// decodeContent adds one Gemini content to r as a message of role ro.
func (d *geminiDecoder) decodeContent(r *formRequest, ro role, parts jsonx.Value) {
	mi := len(r.Messages)
	m := r.addMessage(ro)
	it := parts.Values()
	for pi := 0; parts.IsArray(); pi++ {
		x, ok := it.Next()
		if !ok {
			break
		}
		var gp geminiPart
		gp.read(x)
		var p *formPart
		switch {
		case gp.call.IsObject():
			p = m.addPart(blockToolCall)
			p.Name = gp.call.Get("name")
			p.Input = gp.call.Get("args")
			if !p.Input.IsObject() {
				p.Input = "{}"
			}
			if id := gp.call.Get("id"); nonEmptyStringToken(string(id)) {
				// Google's clients may name their calls (Gemini CLI does).
				p.ID = id
				d.calls = append(d.calls, geminiCall{name: p.Name.Str(), id: id})
				break
			}
			start := len(d.gen)
			d.appendID(mi, pi)
			d.fix(fixPartID, mi, len(m.Parts)-1, start)
			d.calls = append(d.calls, geminiCall{name: p.Name.Str(), start: int32(start), end: int32(len(d.gen))})
		case gp.response.IsObject():
			p = m.addPart(blockToolResult)
			d.decodeResponse(p, mi, len(m.Parts)-1, pi, gp.response)
		case gp.inline.IsObject():
			mt := gp.inline.Get("mimeType")
			if !geminiMediaKept(mt) {
				continue
			}
			p = m.addPart(geminiMediaKind(mt))
			p.Source, p.MediaType, p.Data = srcBase64, mt, gp.inline.Get("data")
		case gp.file.IsObject():
			mt := gp.file.Get("mimeType")
			if mt.HasText() && !geminiMediaKept(mt) {
				continue
			}
			p = m.addPart(geminiMediaKind(mt))
			p.Source, p.MediaType, p.Data = srcURL, mt, gp.file.Get("fileUri")
		case gp.thought:
			p = m.addPart(blockThinking)
			p.Text = gp.text
			if !p.Text.IsString() {
				p.Text = `""`
			}
		case gp.text.IsString():
			p = m.addPart(blockText)
			p.Text = gp.text
		case gp.signature.IsString():
			// A signature alone still has to go back to Gemini.
			p = m.addPart(blockThinking)
			p.Text = `""`
		default:
			continue
		}
		if gp.signature.IsString() {
			p.Signature, p.Origin = gp.signature, Gemini
		}
	}
}

// appendID writes the id of the call at part pi of turn mi: Gemini's calls
// have none, and the same request always yields the same one.
func (d *geminiDecoder) appendID(mi, pi int) {
	d.gen = append(d.gen, `"call_`...)
	d.gen = strconv.AppendInt(d.gen, int64(mi), 10)
	d.gen = append(d.gen, '_')
	d.gen = strconv.AppendInt(d.gen, int64(pi), 10)
	d.gen = append(d.gen, '"')
}

// decodeResponse reads a functionResponse into p, the part at index part of
// message mi. Its id is its own, when the caller gave one; else that of the
// first unanswered call of the same name in the model turn before it:
// parallel calls are answered in one turn, in order.
func (d *geminiDecoder) decodeResponse(p *formPart, mi, part, pi int, v jsonx.Value) {
	p.Name = v.Get("name")
	name := p.Name.Str()
	matched := false
	if id := v.Get("id"); nonEmptyStringToken(string(id)) {
		p.ID, matched = id, true
		for i := range d.calls {
			if call := &d.calls[i]; !call.answered && call.id == id {
				call.answered = true
				break
			}
		}
	}
	for i := range d.calls {
		if matched {
			break
		}
		if call := &d.calls[i]; !call.answered && call.name == name {
			call.answered, matched = true, true
			if call.id != "" {
				p.ID = call.id
				break
			}
			// The buffer may still grow: the id is assigned at the end.
			d.fixes = append(d.fixes, geminiFix{kind: fixPartID, msg: int32(mi), part: int32(part), start: call.start, end: call.end})
			break
		}
	}
	if !matched {
		start := len(d.gen)
		d.appendID(mi, pi)
		d.fix(fixPartID, mi, part, start)
	}
	resp := v.Get("response")
	out, errText := resp.Get("output"), resp.Get("error")
	switch {
	case out.IsString():
		p.addContent(blockText).Text = out
	case errText.IsString() && !out.HasText():
		p.IsError = true
		p.addContent(blockText).Text = errText
	case resp.IsObject():
		if errText.HasText() && !out.HasText() {
			p.IsError = true
		}
		p.addContent(blockText)
		start := len(d.gen)
		d.gen = jsonx.AppendAsString(d.gen, string(resp))
		d.fix(fixResultText, mi, part, start)
	}
}

// geminiMediaKept reports whether the form can carry media of type mt:
// images, PDFs and text. Audio and video have no place in the other
// formats' requests.
func geminiMediaKept(mt jsonx.Value) bool {
	t := mt.Str()
	return strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "text/") || t == "application/pdf"
}

// geminiMediaKind tells an image from a document by its media type.
func geminiMediaKind(mt jsonx.Value) blockKind {
	if strings.HasPrefix(mt.Str(), "image/") {
		return blockImage
	}
	return blockDocument
}

// decodeTool adds the functions of one Gemini tool to r; tools Gemini runs
// itself (googleSearch, codeExecution…) are kept whole for Gemini only.
func (d *geminiDecoder) decodeTool(r *formRequest, v jsonx.Value) {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		if k != "functionDeclarations" && k != "function_declarations" {
			t := r.addTool(toolBuiltin)
			t.Raw, t.Origin = v, Gemini
			t.Type = jsonx.Value(geminiToolType(k))
			continue
		}
		fns := x.Values()
		for f, ok := fns.Next(); ok && x.IsArray(); f, ok = fns.Next() {
			t := r.addTool(toolFunction)
			t.Name, t.Description = f.Get("name"), f.Get("description")
			if s := f.Get("parametersJsonSchema"); s.IsObject() {
				t.Schema = s
			} else if s := f.Get("parameters"); s.IsObject() {
				start := len(d.gen)
				d.gen = appendSchemaFromGoogle(d.gen, s, 0)
				d.fix(fixToolSchema, 0, len(r.Tools)-1, start)
			}
		}
	}
}

// geminiToolType returns a built-in tool's key as a string token.
func geminiToolType(k string) string {
	switch k {
	case "googleSearch", "google_search":
		return `"googleSearch"`
	case "codeExecution", "code_execution":
		return `"codeExecution"`
	case "urlContext", "url_context":
		return `"urlContext"`
	case "googleSearchRetrieval", "google_search_retrieval":
		return `"googleSearchRetrieval"`
	}
	return `"built-in tool"`
}

func decodeGeminiToolConfig(r *formRequest, v jsonx.Value) {
	if !v.IsObject() {
		return
	}
	switch v.Get("mode").Str() {
	case "AUTO", "VALIDATED":
		r.Choice.Mode = choiceAuto
	case "NONE":
		r.Choice.Mode = choiceNone
	case "ANY":
		r.Choice.Mode = choiceAny
		names := v.Get("allowedFunctionNames")
		it := names.Values()
		first, ok := it.Next()
		if _, more := it.Next(); ok && !more && first.IsString() {
			r.Choice = formToolChoice{Mode: choiceTool, Name: first}
		}
	}
}

// includeThoughts stands for Gemini's includeThoughts in the Responses
// API's terms: a summary of the reasoning is wanted.
const includeThoughts jsonx.Value = `"auto"`

func (d *geminiDecoder) decodeGenerationConfig(r *formRequest, v jsonx.Value) {
	var mime, schema jsonx.Value
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "maxOutputTokens", "max_output_tokens":
			if x.IsNumber() {
				r.MaxTokens = x
			}
		case "temperature":
			r.Temperature = x
		case "topP", "top_p":
			r.TopP = x
		case "topK", "top_k":
			r.TopK = x
		case "stopSequences", "stop_sequences":
			seqs := x.Values()
			for s, ok := seqs.Next(); ok && x.IsArray(); s, ok = seqs.Next() {
				if s.IsString() {
					r.Stop = append(r.Stop, s)
				}
			}
		case "responseMimeType", "response_mime_type":
			mime = x
		case "responseJsonSchema", "response_json_schema":
			if x.IsObject() {
				r.Output.Schema = x
			}
		case "responseSchema", "response_schema":
			schema = x
		case "thinkingConfig", "thinking_config":
			decodeGeminiThinking(&r.Reasoning, x)
		}
	}
	if schema.IsObject() && !r.Output.Schema.IsObject() {
		start := len(d.gen)
		d.gen = appendSchemaFromGoogle(d.gen, schema, 0)
		d.fix(fixOutputSchema, 0, 0, start)
		return
	}
	if mime.Str() == "application/json" && !r.Output.Schema.IsObject() {
		r.Output.JSONObject = true
	}
}

func decodeGeminiThinking(rs *formReasoning, v jsonx.Value) {
	if b := v.Get("thinkingBudget"); b.IsNumber() {
		switch n := gjson.Parse(string(b)).Int(); {
		case n == 0:
			rs.Disabled = true
		case n < 0:
			// -1 lets the model decide.
			rs.Adaptive = true
		default:
			rs.Budget = n
		}
	}
	switch v.Get("thinkingLevel").Str() {
	case "MINIMAL", "minimal":
		rs.Effort = "minimal"
	case "LOW", "low":
		rs.Effort = "low"
	case "MEDIUM", "medium":
		rs.Effort = "medium"
	case "HIGH", "high":
		rs.Effort = "high"
	}
	if v.Get("includeThoughts").IsTrue() && !rs.Disabled {
		rs.Summary = includeThoughts
		if rs.Budget == 0 && rs.Effort == "" {
			rs.Adaptive = true
		}
	}
}

// maxSchemaDepth bounds the recursion through a schema a peer sent.
const maxSchemaDepth = 64

// appendSchemaFromGoogle appends s, a schema in Google's OpenAPI dialect
// (upper-case types, nullable, integers as strings), as JSON Schema.
func appendSchemaFromGoogle(dst []byte, s jsonx.Value, depth int) []byte {
	if !s.IsObject() || depth > maxSchemaDepth {
		return append(dst, "{}"...)
	}
	nullable := s.Get("nullable").IsTrue()
	dst = append(dst, '{')
	it := s.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "nullable", "propertyOrdering", "example":
		case "format":
			// "enum" is Google's mark of an enum, no JSON Schema format.
			if x.Str() != "enum" {
				dst = jsonx.AppendKey(dst, k)
				dst = append(dst, x...)
			}
		case "type":
			dst = jsonx.AppendKey(dst, "type")
			if nullable {
				dst = append(dst, '[')
			}
			dst = append(dst, '"')
			dst = append(dst, strings.ToLower(x.Str())...)
			dst = append(dst, '"')
			if nullable {
				dst = append(dst, `,"null"]`...)
			}
		case "properties":
			dst = jsonx.AppendKey(dst, k)
			dst = append(dst, '{')
			props := x.Members()
			for pk, pv, ok := props.Next(); ok; pk, pv, ok = props.Next() {
				dst = jsonx.AppendSep(dst)
				dst = jsonx.AppendString(dst, pk)
				dst = append(dst, ':')
				dst = appendSchemaFromGoogle(dst, pv, depth+1)
			}
			dst = append(dst, '}')
		case "items":
			dst = jsonx.AppendKey(dst, k)
			dst = appendSchemaFromGoogle(dst, x, depth+1)
		case "anyOf":
			dst = jsonx.AppendKey(dst, k)
			dst = append(dst, '[')
			alts := x.Values()
			for a, ok := alts.Next(); ok && x.IsArray(); a, ok = alts.Next() {
				dst = jsonx.AppendSep(dst)
				dst = appendSchemaFromGoogle(dst, a, depth+1)
			}
			dst = append(dst, ']')
		case "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties":
			// int64 fields, which protobuf's JSON writes as strings.
			dst = jsonx.AppendKey(dst, k)
			if n, err := strconv.ParseInt(x.Str(), 10, 64); x.IsString() && err == nil {
				dst = strconv.AppendInt(dst, n, 10)
			} else {
				dst = append(dst, x...)
			}
		default:
			dst = jsonx.AppendSep(dst)
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ':')
			dst = append(dst, x...)
		}
	}
	return append(dst, '}')
}

// geminiRole is the role a message has on Gemini: instructions inside the
// conversation are the user's words there.
func geminiRole(ro role) string {
	if ro == roleAssistant {
		return "model"
	}
	return "user"
}

func (geminiCodec) encodeRequest(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	out = append(out, `{"contents":[`...)
	open := ""
	for mi := range r.Messages {
		m := &r.Messages[mi]
		ro := geminiRole(m.role)
		mark := len(out)
		if ro != open {
			if open != "" {
				out = append(out, "]},"...)
			}
			out = append(out, `{"role":"`...)
			out = append(out, ro...)
			out = append(out, `","parts":[`...)
		}
		inner := len(out)
		out = appendGeminiParts(out, r, mi, s, c)
		switch {
		case len(out) > inner:
			open = ro
		case ro != open:
			// A turn left with nothing Gemini can take is no turn.
			out = out[:mark]
		}
	}
	if open != "" {
		out = append(out, "]}"...)
	}
	out = append(out, ']')
	if len(r.System) > 0 {
		out = append(out, `,"systemInstruction":{"parts":[`...)
		for i := range r.System {
			out = jsonx.AppendSep(out)
			out = append(out, `{"text":`...)
			out = jsonx.AppendValueString(out, r.System[i].Text)
			out = append(out, '}')
		}
		out = append(out, "]}"...)
	}
	out, err := appendGeminiTools(out, r, s, c)
	if err != nil {
		return nil, err
	}
	out = appendGeminiGeneration(out, r, s)
	return append(out, '}'), nil
}

// appendGeminiParts appends the parts of message mi.
func appendGeminiParts(out []byte, r *formRequest, mi int, s *requestScratch, c *Conversion) []byte {
	m := &r.Messages[mi]
	// pending is a Gemini signature that came back through another
	// format's thinking block, bound to the part after it.
	var pending string
	unsigned := m.role == roleAssistant && unsignedGeminiCalls(m)
	for i := range m.Parts {
		p := &m.Parts[i]
		sig, carried := geminiSignature(p)
		if unsigned && p.Kind == blockToolCall {
			// Calls another model made, or whose signature the caller's
			// format could not carry back (Chat's tool_calls): Gemini 3
			// refuses a turn whose first call is unsigned, and takes
			// this value, which Google documents for such turns, instead.
			sig, unsigned = geminiSkipSignature, false
		}
		if carried && p.Kind == blockThinking && !p.Text.HasText() {
			pending = sig
			continue
		}
		if sig == "" && pending != "" && p.Kind != blockThinking && p.Kind != blockRedacted {
			sig, pending = pending, ""
		}
		ours := sig != ""
		switch p.Kind {
		case blockText, blockRefusal:
			if !p.Text.IsString() || (p.Text == `""` && !ours) {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"text":`...)
			out = append(out, p.Text...)
		case blockThinking:
			// Thinking from another provider cannot be replayed to
			// Gemini: its signature means nothing there.
			if !ours {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"thought":true`...)
			if p.Text.HasText() {
				out = append(out, `,"text":`...)
				out = jsonx.AppendValueString(out, p.Text)
			}
		case blockImage, blockDocument:
			n := len(out)
			out = appendGeminiMedia(jsonx.AppendSep(out), p)
			if len(out) == n+1 || len(out) == n {
				out = out[:n]
			}
			continue
		case blockToolCall:
			out = jsonx.AppendSep(out)
			out = append(out, `{"functionCall":{"name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, p.Name.Text()))
			out = append(out, `,"args":`...)
			out = appendArgumentsObject(out, p, &s.a)
			out = append(out, '}')
		case blockToolResult:
			out = jsonx.AppendSep(out)
			out = append(out, `{"functionResponse":{"name":`...)
			out = jsonx.AppendString(out, upstreamToolName(c, geminiResultName(r, mi, p)))
			out = append(out, `,"response":{"`...)
			if p.IsError {
				out = append(out, "error"...)
			} else {
				out = append(out, "output"...)
			}
			out = append(out, `":"`...)
			out = appendGeminiResultText(out, p)
			out = append(out, `"}}}`...)
			continue
		default:
			continue
		}
		if ours {
			out = append(out, `,"thoughtSignature":"`...)
			out = append(out, sig...)
			out = append(out, '"')
		}
		out = append(out, '}')
	}
	if pending != "" {
		out = jsonx.AppendSep(out)
		out = append(out, `{"thought":true,"thoughtSignature":"`...)
		out = append(out, pending...)
		out = append(out, `"}`...)
	}
	return out
}

// geminiSkipSignature is the thoughtSignature Google's documentation gives
// for function calls that no Gemini model signed: a conversation moved from
// another model, or calls the client made itself.
const geminiSkipSignature = "skip_thought_signature_validator"

// unsignedGeminiCalls reports whether model turn m calls functions and
// holds no Gemini signature at all.
func unsignedGeminiCalls(m *formMessage) bool {
	calls := false
	for i := range m.Parts {
		p := &m.Parts[i]
		if sig, _ := geminiSignature(p); sig != "" {
			return false
		}
		calls = calls || p.Kind == blockToolCall
	}
	return calls
}

// geminiSignature returns the body of p's signature if Gemini made it, and
// whether it came back through another format in a carriedPrefix envelope
// ("rtx1:g" and a kind letter): a Gemini signature kept as an Anthropic
// thinking block's or a Responses reasoning item's opaque data.
func geminiSignature(p *formPart) (sig string, carried bool) {
	if !p.Signature.IsString() {
		return "", false
	}
	b := p.Signature.Body()
	if rest, ok := strings.CutPrefix(b, carriedPrefix); ok && len(rest) >= 3 && rest[0] == 'g' && rest[2] == ':' {
		return rest[3:], true
	}
	if p.Origin == Gemini {
		return b, false
	}
	return "", false
}

// geminiResultName returns the name of the function whose call result p
// answers: Gemini matches results to calls by name, and only some formats
// name the function in the result.
func geminiResultName(r *formRequest, mi int, p *formPart) string {
	if p.Name.HasText() {
		return p.Name.Text()
	}
	for i := mi - 1; i >= 0; i-- {
		m := &r.Messages[i]
		if m.role != roleAssistant {
			continue
		}
		for j := range m.Parts {
			q := &m.Parts[j]
			if q.Kind == blockToolCall && q.ID == p.ID {
				return q.Name.Text()
			}
		}
	}
	return "unknown"
}

// appendGeminiResultText appends the body of a string holding a tool
// result's text parts, one per line.
func appendGeminiResultText(out []byte, p *formPart) []byte {
	if p.Text.IsString() {
		return jsonx.AppendValueBody(out, p.Text)
	}
	first := true
	for i := range p.Content {
		q := &p.Content[i]
		var t jsonx.Value
		switch {
		case q.Kind == blockText:
			t = q.Text
		case q.Kind == blockDocument && q.Source == srcText:
			t = q.Data
		default:
			continue
		}
		if !first {
			out = append(out, escapedNewline...)
		}
		first = false
		out = jsonx.AppendValueBody(out, t)
	}
	return out
}

// appendGeminiMedia appends an image or a document as a part, or nothing
// when Gemini cannot take its source.
func appendGeminiMedia(out []byte, p *formPart) []byte {
	switch p.Source {
	case srcBase64:
		out = append(out, `{"inlineData":{"mimeType":`...)
		out = appendGeminiMediaType(out, p)
		out = append(out, `,"data":`...)
		out = jsonx.AppendValueString(out, p.Data)
		return append(out, "}}"...)
	case srcURL:
		if isDataURL(p.Data) {
			mt, data, ok := parseDataURL(p.Data.Str())
			if !ok {
				return out
			}
			out = append(out, `{"inlineData":{"mimeType":`...)
			out = jsonx.AppendString(out, mt)
			out = append(out, `,"data":`...)
			out = jsonx.AppendString(out, data)
			return append(out, "}}"...)
		}
		out = append(out, `{"fileData":{`...)
		if p.MediaType.HasText() {
			out = append(out, `"mimeType":`...)
			out = jsonx.AppendValueString(out, p.MediaType)
			out = append(out, ',')
		}
		out = append(out, `"fileUri":`...)
		out = jsonx.AppendValueString(out, p.Data)
		return append(out, "}}"...)
	case srcText:
		out = append(out, `{"text":`...)
		out = jsonx.AppendValueString(out, p.Data)
		return append(out, '}')
	case srcContent:
		mark := len(out)
		for i := range p.Content {
			if q := &p.Content[i]; q.Kind == blockText && q.Text.IsString() {
				out = jsonx.AppendSep(out)
				out = append(out, `{"text":`...)
				out = append(out, q.Text...)
				out = append(out, '}')
			}
		}
		if len(out) == mark {
			return out
		}
		return out
	}
	return out
}

func appendGeminiMediaType(out []byte, p *formPart) []byte {
	if p.MediaType.HasText() {
		return jsonx.AppendValueString(out, p.MediaType)
	}
	if p.Kind == blockDocument {
		return append(out, `"application/pdf"`...)
	}
	return append(out, `"image/png"`...)
}

// appendGeminiTools appends tools and toolConfig.
func appendGeminiTools(out []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error) {
	mark := len(out)
	out = append(out, `,"tools":[{"functionDeclarations":[`...)
	inner := len(out)
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Kind == toolBuiltin {
			if t.Origin == Gemini || t.Origin == Anthropic {
				// Gemini's own tools go after the functions; Anthropic's
				// client tools have no schema a Gemini model could call.
				continue
			}
			return nil, refuseBuiltin(t, Gemini)
		}
		var ok bool
		if out, ok = appendFunctionHead(out, `{"name":`, t, s, c); !ok {
			continue
		}
		out = append(out, `,"parametersJsonSchema":`...)
		if t.Kind == toolFreeform {
			out = append(out, freeformSchema...)
		} else if t.Schema.IsObject() && !isEmptyObject(string(t.Schema)) {
			out = appendSchemaForGemini(out, t.Schema, 0)
		} else {
			out = append(out, emptySchema...)
		}
		out = append(out, '}')
	}
	if len(out) == inner {
		out = out[:mark+len(`,"tools":[`)]
	} else {
		out = append(out, "]}"...)
	}
	for i := range r.Tools {
		if t := &r.Tools[i]; t.Kind == toolBuiltin && t.Origin == Gemini {
			out = jsonx.AppendSep(out)
			out = append(out, t.Raw...)
		}
	}
	if out[len(out)-1] == '[' {
		return out[:mark], nil
	}
	out = append(out, ']')
	if len(s.names) == 0 {
		return out, nil
	}
	switch r.Choice.Mode {
	case choiceAuto:
		out = append(out, `,"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}`...)
	case choiceAny:
		out = append(out, `,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`...)
	case choiceNone:
		out = append(out, `,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}`...)
	case choiceTool:
		if name := r.Choice.Name.Text(); s.hasTool(name) {
			out = append(out, `,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":[`...)
			out = jsonx.AppendString(out, upstreamToolName(c, name))
			out = append(out, "]}}"...)
		}
	}
	return out, nil
}

// appendGeminiGeneration appends generationConfig, when there is one.
func appendGeminiGeneration(out []byte, r *formRequest, s *requestScratch) []byte {
	mark := len(out)
	out = append(out, `,"generationConfig":{`...)
	inner := len(out)
	if r.MaxTokens.IsNumber() {
		out = jsonx.AppendKey(out, "maxOutputTokens")
		out = append(out, r.MaxTokens...)
	}
	for _, f := range [...]struct {
		key string
		v   jsonx.Value
	}{{"temperature", r.Temperature}, {"topP", r.TopP}, {"topK", r.TopK}} {
		if f.v.IsNumber() {
			out = jsonx.AppendKey(out, f.key)
			out = append(out, f.v...)
		}
	}
	if len(r.Stop) > 0 {
		out = jsonx.AppendKey(out, "stopSequences")
		out = append(out, '[')
		for _, v := range r.Stop {
			out = jsonx.AppendSep(out)
			out = append(out, v...)
		}
		out = append(out, ']')
	}
	switch {
	case r.Output.Schema.IsObject():
		out = append(jsonx.AppendSep(out), `"responseMimeType":"application/json","responseJsonSchema":`...)
		out = appendSchemaForGemini(out, r.Output.Schema, 0)
	case r.Output.JSONObject:
		out = append(jsonx.AppendSep(out), `"responseMimeType":"application/json"`...)
	}
	rs := &r.Reasoning
	switch budget := anthropicBudget(rs); {
	case rs.Disabled || rs.Effort == "none":
		out = append(jsonx.AppendSep(out), `"thinkingConfig":{"thinkingBudget":0}`...)
	case budget > 0:
		out = append(jsonx.AppendSep(out), `"thinkingConfig":{"thinkingBudget":`...)
		out = appendInt(out, budget)
		out = append(out, `,"includeThoughts":true}`...)
	case rs.Adaptive || rs.Summary.HasText():
		out = append(jsonx.AppendSep(out), `"thinkingConfig":{"thinkingBudget":-1,"includeThoughts":true}`...)
	}
	if len(out) == inner {
		return out[:mark]
	}
	return append(out, '}')
}

// geminiFormats are the format values Gemini's schemas accept.
func geminiFormat(f string) bool {
	switch f {
	case "enum", "date-time", "int32", "int64", "float", "double":
		return true
	}
	return false
}

// appendSchemaForGemini appends the JSON Schema s cleaned of what Gemini
// refuses: $schema, $comment and additionalProperties go, const becomes an
// enum of one, an enum of other values than strings becomes one of strings
// (Gemini's enums are strings), and format values Gemini does not know go.
func appendSchemaForGemini(dst []byte, s jsonx.Value, depth int) []byte {
	if !s.IsObject() || depth > maxSchemaDepth {
		if s.IsTrue() || s.IsFalse() {
			return append(dst, s...)
		}
		return append(dst, "{}"...)
	}
	stringify := false
	for _, key := range [...]string{"enum", "const"} {
		v := s.Get(key)
		if key == "const" && v != "" && !v.IsString() {
			stringify = true
		}
		vals := v.Values()
		for x, ok := vals.Next(); ok && v.IsArray(); x, ok = vals.Next() {
			if !x.IsString() {
				stringify = true
			}
		}
	}
	hasEnum := s.Get("enum").IsArray()
	typed := false
	dst = append(dst, '{')
	it := s.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		switch k {
		case "$schema", "$comment", "additionalProperties":
		case "type":
			typed = true
			dst = jsonx.AppendKey(dst, k)
			if stringify {
				dst = append(dst, `"string"`...)
			} else {
				dst = append(dst, x...)
			}
		case "format":
			if geminiFormat(x.Str()) {
				dst = jsonx.AppendKey(dst, k)
				dst = append(dst, x...)
			}
		case "const":
			if hasEnum {
				continue
			}
			dst = jsonx.AppendKey(dst, "enum")
			dst = append(dst, '[')
			dst = appendEnumValue(dst, x, stringify)
			dst = append(dst, ']')
		case "enum":
			dst = jsonx.AppendKey(dst, k)
			dst = append(dst, '[')
			vals := x.Values()
			for v, ok := vals.Next(); ok && x.IsArray(); v, ok = vals.Next() {
				dst = jsonx.AppendSep(dst)
				dst = appendEnumValue(dst, v, stringify)
			}
			dst = append(dst, ']')
		case "properties", "$defs", "definitions", "patternProperties":
			dst = jsonx.AppendSep(dst)
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ":{"...)
			props := x.Members()
			for pk, pv, ok := props.Next(); ok; pk, pv, ok = props.Next() {
				dst = jsonx.AppendSep(dst)
				dst = jsonx.AppendString(dst, pk)
				dst = append(dst, ':')
				dst = appendSchemaForGemini(dst, pv, depth+1)
			}
			dst = append(dst, '}')
		case "items", "not", "additionalItems", "contains":
			dst = jsonx.AppendSep(dst)
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ':')
			if x.IsArray() {
				dst = appendSchemasForGemini(dst, x, depth)
			} else {
				dst = appendSchemaForGemini(dst, x, depth+1)
			}
		case "anyOf", "oneOf", "allOf", "prefixItems":
			dst = jsonx.AppendSep(dst)
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ':')
			dst = appendSchemasForGemini(dst, x, depth)
		default:
			dst = jsonx.AppendSep(dst)
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ':')
			dst = append(dst, x...)
		}
	}
	if stringify && !typed {
		dst = jsonx.AppendKey(dst, "type")
		dst = append(dst, `"string"`...)
	}
	return append(dst, '}')
}

func appendSchemasForGemini(dst []byte, list jsonx.Value, depth int) []byte {
	dst = append(dst, '[')
	it := list.Values()
	for x, ok := it.Next(); ok && list.IsArray(); x, ok = it.Next() {
		dst = jsonx.AppendSep(dst)
		dst = appendSchemaForGemini(dst, x, depth+1)
	}
	return append(dst, ']')
}

// appendEnumValue appends an enum's value, as a string when stringify.
func appendEnumValue(dst []byte, v jsonx.Value, stringify bool) []byte {
	if !stringify || v.IsString() {
		return append(dst, v...)
	}
	return jsonx.AppendAsString(dst, string(v))
}
