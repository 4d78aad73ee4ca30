package transformer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// DefaultMaxTokens is the max_tokens sent to an Anthropic upstream when an
// OpenAI caller set no limit: Anthropic requires the field and OpenAI does
// not. 4096 is the largest value every Claude model accepts.
const DefaultMaxTokens = 4096

// Thinking budgets sent to Anthropic for an OpenAI reasoning_effort. The
// reverse mapping splits at the same values, so a budget survives a round
// trip as the same effort.
const (
	budgetLow    = 1024 // Anthropic's minimum
	budgetMedium = 4096
	budgetHigh   = 16384
	budgetXHigh  = 32768
)

// Limits OpenAI enforces on names and ids that Anthropic does not.
const (
	maxToolName   = 64 // OpenAI function names: ^[a-zA-Z0-9_-]{1,64}$
	maxToolCallID = 40 // "string too long. Expected a string with maximum length 40"
	maxStop       = 4  // OpenAI accepts at most four stop sequences
	maxOpenAIUser = 64 // "Invalid 'user': string too long" beyond it
	hashSuffixLen = 9  // "_" and eight hex digits
)

// ErrInvalidRequest is matched (with errors.Is) by every error
// ConvertRequest returns for a body it cannot convert. A router answers
// such an error with 400 in the caller's format.
var ErrInvalidRequest = errors.New("transformer: invalid request")

// RequestError reports why a request body cannot be converted. Msg is
// written for the caller and names the offending field.
type RequestError struct {
	Msg string
}

// Error returns the message with the package prefix.
func (e *RequestError) Error() string { return "transformer: invalid request: " + e.Msg }

// Is makes errors.Is(err, ErrInvalidRequest) report true.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

func invalid(msg string) error { return &RequestError{Msg: msg} }

// EndpointPath returns the path a request in format f is sent to, or ""
// for an unknown format.
func EndpointPath(f Format) string {
	switch f {
	case Anthropic:
		return "/v1/messages"
	case OpenAI:
		return "/v1/chat/completions"
	case Responses:
		return "/v1/responses"
	}
	return ""
}

// ConvertRequest converts a request body from the caller's format to the
// upstream's and returns the Conversion that ConvertResponse, ConvertError
// and the stream converter of the same request need. When from == to the
// body is returned unchanged and unvalidated.
//
// The error is a *RequestError (matching ErrInvalidRequest) when the body
// is not a JSON object or has no messages array. Content the other format
// cannot express (unknown block types, server tools, cache_control…) is
// left out, never an error. body is not modified; a converted result does
// not alias it.
func ConvertRequest(from, to Format, body []byte) ([]byte, *Conversion, error) {
	return convertRequest(from, to, body, true)
}

// ConvertRequestValidated is ConvertRequest for a body that must already be
// valid JSON, as a router that has parsed the request knows it to be: the
// body is not validated again. Given invalid JSON it neither panics nor
// promises any particular output.
func ConvertRequestValidated(from, to Format, body []byte) ([]byte, *Conversion, error) {
	return convertRequest(from, to, body, false)
}

func convertRequest(from, to Format, body []byte, validate bool) ([]byte, *Conversion, error) {
	if !from.Valid() || !to.Valid() {
		return nil, nil, fmt.Errorf("transformer: cannot convert a request from %q to %q", from, to)
	}
	c := &Conversion{From: from, To: to}
	s := bytesString(body)
	if from == to {
		res := gjson.GetMany(s, "model", "stream", "stream_options.include_usage")
		c.Model = strings.Clone(res[0].String())
		c.Stream = res[1].Bool()
		c.IncludeUsage = from == OpenAI && c.Stream && res[2].Bool()
		return body, c, nil
	}
	if validate && !jsonx.Valid(s) {
		return nil, nil, invalid("the request body is not valid JSON")
	}
	root := jsonValue(trimRawSpace(s))
	if !root.isObject() {
		return nil, nil, invalid("the request body must be a JSON object")
	}
	w := writerPool.Get().(*requestWriter)
	w.c = c
	var out []byte
	var err error
	if from == Anthropic {
		out, err = w.anthropicToOpenAI(root, len(body))
	} else {
		out, err = w.openAIToAnthropic(root, len(body))
	}
	w.release()
	if err != nil {
		return nil, nil, err
	}
	return out, c, nil
}

// requestWriter holds the state of one request conversion.
type requestWriter struct {
	c *Conversion
	// toolNames are the caller's names of the tools sent upstream: a forced
	// tool_choice naming anything else would be rejected.
	toolNames []string

	// Scratch lists reused from message to message.
	texts, thinks  []jsonValue
	calls, results []toolPart
	parts, media   []userPart

	// O→A state.
	system      []byte // escaped body of the joined system text
	msgResults  []byte // the current message's tool_result blocks
	msgBlocks   []byte // the current message's other blocks
	turnResults []byte // the current turn's tool_result blocks
	turnBlocks  []byte // the current turn's other blocks
	arguments   []byte // the unescaped arguments of a tool call
	turnRole    string
	legacyCalls int // legacy function_call count, for their made-up ids
}

// writerPool recycles requestWriters: their scratch lists would otherwise
// be grown anew for every request.
var writerPool = sync.Pool{New: func() any { return new(requestWriter) }}

// maxPooledScratch keeps one huge request from pinning its buffers.
const maxPooledScratch = 64 << 10

// release clears w, which holds substrings of the request body, and
// returns it to the pool.
func (w *requestWriter) release() {
	clear(w.texts[:cap(w.texts)])
	clear(w.thinks[:cap(w.thinks)])
	clear(w.calls[:cap(w.calls)])
	clear(w.results[:cap(w.results)])
	clear(w.parts[:cap(w.parts)])
	clear(w.media[:cap(w.media)])
	clear(w.toolNames[:cap(w.toolNames)])
	*w = requestWriter{
		texts: w.texts[:0], thinks: w.thinks[:0], calls: w.calls[:0], results: w.results[:0],
		parts: w.parts[:0], media: w.media[:0], toolNames: w.toolNames[:0],
		system: w.system[:0], msgResults: w.msgResults[:0], msgBlocks: w.msgBlocks[:0],
		turnResults: w.turnResults[:0], turnBlocks: w.turnBlocks[:0], arguments: w.arguments[:0],
	}
	if cap(w.system)+cap(w.msgResults)+cap(w.msgBlocks)+cap(w.turnResults)+cap(w.turnBlocks)+cap(w.arguments) > maxPooledScratch ||
		cap(w.parts)+cap(w.media)+cap(w.calls)+cap(w.results) > 256 {
		return
	}
	writerPool.Put(w)
}

// anthropicFields are the top-level request members the A→O conversion
// reads; everything else (top_k, context_management, container,
// mcp_servers, service_tier…) has no OpenAI equivalent and is dropped.
type anthropicFields struct {
	model, system, messages, maxTokens, stopSeqs, temperature, topP,
	metadata, stream, tools, toolChoice, thinking, outputConfig jsonValue
}

func (w *requestWriter) anthropicToOpenAI(root jsonValue, size int) ([]byte, error) {
	var f anthropicFields
	it := members(root)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch k {
		case "model":
			f.model = v
		case "system":
			f.system = v
		case "messages":
			f.messages = v
		case "max_tokens":
			f.maxTokens = v
		case "stop_sequences":
			f.stopSeqs = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "metadata":
			f.metadata = v
		case "stream":
			f.stream = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "thinking":
			f.thinking = v
		case "output_config":
			f.outputConfig = v
		}
	}
	if !f.messages.isArray() {
		return nil, invalid("messages: an array of messages is required")
	}
	c := w.c
	c.Model = strings.Clone(f.model.text())
	c.Stream = f.stream.isTrue()

	out := make([]byte, 0, size+size/8+256)
	out = append(out, '{')
	if f.model != "" {
		out = appendKey(out, "model")
		out = appendValueString(out, f.model)
	}

	out = appendKey(out, "messages")
	out = append(out, '[')
	if sys := f.system; sys != "" {
		mark := len(out)
		out = appendSep(out)
		out = append(out, `{"role":"system","content":"`...)
		start := len(out)
		out = appendAnthropicText(out, sys, escapedNewline)
		if len(out) == start {
			out = out[:mark]
		} else {
			out = append(out, `"}`...)
		}
	}
	msgs := values(f.messages)
	for m, ok := msgs.next(); ok; m, ok = msgs.next() {
		out = w.anthropicMessage(out, m)
	}
	out = append(out, ']')

	// max_completion_tokens rather than max_tokens: OpenAI's reasoning
	// models reject max_tokens outright, while the OpenAI-compatible servers
	// that predate the new name ignore it and fall back to their default.
	if f.maxTokens.isNumber() {
		// Written as an integer: OpenAI rejects 1024.0.
		out = appendKey(out, "max_completion_tokens")
		out = appendInt(out, f.maxTokens.result().Int())
	}
	if f.stopSeqs.isArray() {
		mark := len(out)
		out = appendKey(out, "stop")
		out = append(out, '[')
		n := 0
		seqs := values(f.stopSeqs)
		for v, ok := seqs.next(); ok && n < maxStop; v, ok = seqs.next() {
			if v.isString() && v.hasText() {
				out = appendSep(out)
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
	if f.temperature.isNumber() {
		out = appendKey(out, "temperature")
		out = append(out, f.temperature...)
	}
	if f.topP.isNumber() {
		out = appendKey(out, "top_p")
		out = append(out, f.topP...)
	}
	if u := f.metadata.get("user_id"); u.isString() && u.hasText() {
		out = appendKey(out, "user")
		out = appendUserID(out, u, maxOpenAIUser)
	}
	if c.Stream {
		// Anthropic streams always carry usage; OpenAI's only on request.
		out = appendKey(out, "stream")
		out = append(out, `true,"stream_options":{"include_usage":true}`...)
	}
	out = w.openAITools(out, f.tools, f.toolChoice)
	if effort := reasoningEffort(f.thinking.result(), f.outputConfig.result()); effort != "" {
		out = appendKey(out, "reasoning_effort")
		out = appendJSONString(out, effort)
	}
	if format := f.outputConfig.get("format"); format.get("type").str() == "json_schema" {
		if schema := format.get("schema"); schema.isObject() {
			out = appendKey(out, "response_format")
			out = append(out, `{"type":"json_schema","json_schema":{"name":"response","schema":`...)
			out = append(out, schema...)
			out = append(out, `}}`...)
		}
	}
	return append(out, '}'), nil
}

// escapedNewline joins texts inside a JSON string literal being built.
const escapedNewline = `\n`

// appendAnthropicText appends the escaped text of an Anthropic system or
// content value (a string or a list of blocks), joining text blocks with
// sep (already escaped) and skipping empty ones and every other kind of
// block.
func appendAnthropicText(dst []byte, v jsonValue, sep string) []byte {
	if v.isString() {
		return appendValueBody(dst, v)
	}
	start := len(dst)
	blocks := values(v)
	for x, ok := blocks.next(); ok; x, ok = blocks.next() {
		var b anthropicBlock
		b.read(x)
		if b.typ != "text" || !b.text.hasText() {
			continue
		}
		if len(dst) > start {
			dst = append(dst, sep...)
		}
		dst = appendValueBody(dst, b.text)
	}
	return dst
}

// anthropicMessage appends the OpenAI messages for one Anthropic message:
// tool results become role:tool messages ahead of the rest.
func (w *requestWriter) anthropicMessage(out []byte, m jsonValue) []byte {
	var msg anthropicBlock
	msg.read(m)
	switch msg.role {
	case "system":
		// Claude Code puts system messages mid-conversation; OpenAI
		// accepts them anywhere, so they stay in place.
		mark := len(out)
		out = appendSep(out)
		out = append(out, `{"role":"system","content":"`...)
		start := len(out)
		out = appendAnthropicText(out, msg.content, escapedNewline)
		if len(out) == start {
			return out[:mark]
		}
		return append(out, `"}`...)
	case "assistant":
		return w.anthropicAssistant(out, msg.content)
	}
	return w.anthropicUser(out, msg.content)
}

func (w *requestWriter) anthropicAssistant(out []byte, content jsonValue) []byte {
	if content.isString() {
		if !content.hasText() {
			return out
		}
		out = appendSep(out)
		out = append(out, `{"role":"assistant","content":`...)
		out = append(out, content...)
		return append(out, '}')
	}
	w.texts, w.thinks, w.calls = w.texts[:0], w.thinks[:0], w.calls[:0]
	blocks := values(content)
	for x, ok := blocks.next(); ok; x, ok = blocks.next() {
		var b anthropicBlock
		b.read(x)
		switch b.typ {
		case "text":
			if b.text.hasText() {
				w.texts = append(w.texts, b.text)
			}
		case "thinking":
			// Redacted thinking is opaque to anyone but Anthropic and is
			// left out; readable thinking goes to reasoning_content, the
			// convention DeepSeek and vLLM read back.
			if b.thinking.hasText() {
				w.thinks = append(w.thinks, b.thinking)
			}
		case "tool_use":
			w.calls = append(w.calls, toolPart{id: b.id, name: b.name, input: b.input})
		}
	}
	if len(w.texts) == 0 && len(w.calls) == 0 {
		// Thinking alone is no message OpenAI would accept back.
		return out
	}
	out = appendSep(out)
	out = append(out, `{"role":"assistant","content":`...)
	if len(w.texts) == 0 {
		out = append(out, "null"...)
	} else {
		// Text blocks of one reply are consecutive pieces of it, the way
		// a stream would deliver them: joined with nothing in between.
		out = append(out, '"')
		for _, t := range w.texts {
			out = appendValueBody(out, t)
		}
		out = append(out, '"')
	}
	if len(w.thinks) > 0 {
		out = append(out, `,"reasoning_content":"`...)
		for _, t := range w.thinks {
			out = appendValueBody(out, t)
		}
		out = append(out, '"')
	}
	if len(w.calls) > 0 {
		out = append(out, `,"tool_calls":[`...)
		for i := range w.calls {
			b := &w.calls[i]
			out = appendSep(out)
			out = append(out, `{"id":`...)
			out = appendJSONString(out, openAIToolCallID(b.id.text()))
			out = append(out, `,"type":"function","function":{"name":`...)
			out = appendJSONString(out, w.upstreamToolName(b.name.text()))
			out = append(out, `,"arguments":`...)
			if b.input.isObject() {
				out = appendJSONAsString(out, string(b.input))
			} else {
				out = append(out, `"{}"`...)
			}
			out = append(out, `}}`...)
		}
		out = append(out, ']')
	}
	return append(out, '}')
}

// Kinds of user content an OpenAI message can carry.
const (
	partNone = iota
	partText
	partImage
	partFile
)

// toolPart is what a tool_use or tool_result block contributes.
type toolPart struct {
	id, name, input jsonValue // tool_use
	content         jsonValue // tool_result; id is its tool_use_id
	isError         bool
}

// How a userPart's value is written.
const (
	formText       = iota // v is text
	formDocContent        // v is a document's content blocks
	formDocURL            // v is the URL of a document OpenAI cannot fetch
	formURL               // v is an image URL
	formBase64            // v is base64 data of type mediaType
)

// userPart is an Anthropic block bound for an OpenAI user message, reduced
// to what writing it needs: tool results can set many aside at once.
type userPart struct {
	kind, form          int
	v, mediaType, title jsonValue
}

// readUserPart reads and classifies an Anthropic content block.
func readUserPart(x jsonValue, b *anthropicBlock) userPart {
	b.read(x)
	var p userPart
	var src sourceBlock
	switch b.typ {
	case "text":
		if b.text.hasText() {
			p = userPart{kind: partText, form: formText, v: b.text}
		}
	case "image":
		switch src.read(b.source); src.typ {
		case "base64":
			p = userPart{kind: partImage, form: formBase64, v: src.data, mediaType: src.mediaType}
		case "url":
			p = userPart{kind: partImage, form: formURL, v: src.url}
		}
	case "document":
		switch src.read(b.source); src.typ {
		case "base64":
			p = userPart{kind: partFile, form: formBase64, v: src.data, mediaType: src.mediaType, title: b.title}
		case "text":
			p = userPart{kind: partText, form: formText, v: src.data}
		case "content":
			p = userPart{kind: partText, form: formDocContent, v: src.content}
		case "url":
			p = userPart{kind: partText, form: formDocURL, v: src.url}
		}
	}
	return p
}

func (w *requestWriter) anthropicUser(out []byte, content jsonValue) []byte {
	if content.isString() {
		if !content.hasText() {
			return out
		}
		out = appendSep(out)
		out = append(out, `{"role":"user","content":`...)
		out = append(out, content...)
		return append(out, '}')
	}
	w.results, w.parts, w.media = w.results[:0], w.parts[:0], w.media[:0]
	textOnly := true
	blocks := values(content)
	for x, ok := blocks.next(); ok; x, ok = blocks.next() {
		var b anthropicBlock
		p := readUserPart(x, &b)
		switch {
		case b.typ == "tool_result":
			w.results = append(w.results, toolPart{id: b.toolUseID, content: b.content, isError: b.isError})
		case p.kind == partText:
			w.parts = append(w.parts, p)
		case p.kind != partNone:
			w.parts = append(w.parts, p)
			textOnly = false
		}
	}

	// One tool message per result, straight after the assistant turn that
	// called the tools, as OpenAI requires.
	for i := range w.results {
		r := &w.results[i]
		out = appendSep(out)
		out = append(out, `{"role":"tool","tool_call_id":`...)
		out = appendJSONString(out, openAIToolCallID(r.id.text()))
		out = append(out, `,"content":"`...)
		// OpenAI has no is_error; the model still has to learn it.
		if r.isError {
			out = append(out, "Error: "...)
		}
		start := len(out)
		out = w.toolResultText(out, r.content)
		if r.isError && len(out) == start {
			out = out[:start-2] // "Error: " → "Error"
		}
		out = append(out, `"}`...)
	}

	// Images and PDFs from tool results come first in the user message
	// that follows: tool messages can hold only text.
	if len(w.media) == 0 && len(w.parts) == 0 {
		return out
	}
	out = appendSep(out)
	out = append(out, `{"role":"user","content":`...)
	if textOnly && len(w.media) == 0 {
		// Plain strings suit every OpenAI-compatible server; some accept
		// nothing else.
		out = append(out, '"')
		for i := range w.parts {
			if i > 0 {
				out = append(out, escapedNewline...)
			}
			out = appendPartText(out, &w.parts[i])
		}
		out = append(out, '"')
		return append(out, '}')
	}
	out = append(out, '[')
	for i := range w.media {
		out = appendOpenAIPart(out, &w.media[i])
	}
	for i := range w.parts {
		out = appendOpenAIPart(out, &w.parts[i])
	}
	return append(out, `]}`...)
}

// toolResultText appends the escaped text of a tool_result's content and
// sets its images and PDFs aside in w.media.
func (w *requestWriter) toolResultText(out []byte, content jsonValue) []byte {
	if content.isString() {
		return appendValueBody(out, content)
	}
	start := len(out)
	blocks := values(content)
	for x, ok := blocks.next(); ok; x, ok = blocks.next() {
		var b anthropicBlock
		p := readUserPart(x, &b)
		switch p.kind {
		case partText:
			if len(out) > start {
				out = append(out, escapedNewline...)
			}
			out = appendPartText(out, &p)
		case partImage, partFile:
			w.media = append(w.media, p)
		}
	}
	return out
}

// appendPartText appends the escaped text of a partText part.
func appendPartText(dst []byte, p *userPart) []byte {
	switch p.form {
	case formDocContent:
		return appendAnthropicText(dst, p.v, escapedNewline)
	case formDocURL:
		// OpenAI cannot fetch a document; the model at least learns of it.
		dst = append(dst, "Document: "...)
	}
	return appendValueBody(dst, p.v)
}

// appendOpenAIPart appends the OpenAI content part for p.
func appendOpenAIPart(dst []byte, p *userPart) []byte {
	dst = appendSep(dst)
	switch p.kind {
	case partImage:
		dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
		if p.form == formURL {
			dst = appendValueString(dst, p.v)
		} else {
			dst = appendDataURL(dst, p)
		}
		return append(dst, `}}`...)
	case partFile:
		dst = append(dst, `{"type":"file","file":{"filename":`...)
		if p.title.hasText() {
			dst = appendValueString(dst, p.title)
		} else {
			dst = append(dst, `"document.pdf"`...)
		}
		dst = append(dst, `,"file_data":`...)
		dst = appendDataURL(dst, p)
		return append(dst, `}}`...)
	}
	dst = append(dst, `{"type":"text","text":"`...)
	dst = appendPartText(dst, p)
	return append(dst, `"}`...)
}

// appendDataURL appends base64 data as a data: URL string.
func appendDataURL(dst []byte, p *userPart) []byte {
	dst = append(dst, `"data:`...)
	if !p.mediaType.hasText() {
		dst = append(dst, "application/octet-stream"...)
	} else {
		dst = appendValueBody(dst, p.mediaType)
	}
	dst = append(dst, ";base64,"...)
	dst = appendValueBody(dst, p.v)
	return append(dst, '"')
}

// openAITools appends tools, tool_choice and parallel_tool_calls.
func (w *requestWriter) openAITools(out []byte, tools, choice jsonValue) []byte {
	if tools.isArray() {
		mark := len(out)
		out = appendKey(out, "tools")
		out = append(out, '[')
		defs := values(tools)
		for x, ok := defs.next(); ok; x, ok = defs.next() {
			var t toolDef
			t.read(x)
			// Server tools (web_search_…, code_execution_…) and
			// Anthropic-defined client tools (bash_…, text_editor_…) have
			// a type and no schema: nothing an OpenAI model could call.
			if t.typ != "" && t.typ != "custom" {
				continue
			}
			name := t.name.text()
			if name == "" {
				continue
			}
			w.toolNames = append(w.toolNames, name)
			out = appendSep(out)
			out = append(out, `{"type":"function","function":{"name":`...)
			out = appendJSONString(out, w.upstreamToolName(name))
			if t.description.hasText() {
				out = append(out, `,"description":`...)
				out = appendValueString(out, t.description)
			}
			out = append(out, `,"parameters":`...)
			out = appendSchema(out, t.schema)
			if t.strict.isBool() {
				out = append(out, `,"strict":`...)
				out = append(out, t.strict...)
			}
			out = append(out, `}}`...)
		}
		if len(w.toolNames) == 0 {
			out = out[:mark]
		} else {
			out = append(out, ']')
		}
	}
	// tool_choice and parallel_tool_calls without tools are a 400 on OpenAI.
	if len(w.toolNames) == 0 || !choice.isObject() {
		return out
	}
	var tc toolDef
	tc.read(choice)
	switch tc.typ {
	case "auto":
		out = appendKey(out, "tool_choice")
		out = append(out, `"auto"`...)
	case "any":
		out = appendKey(out, "tool_choice")
		out = append(out, `"required"`...)
	case "none":
		out = appendKey(out, "tool_choice")
		out = append(out, `"none"`...)
	case "tool":
		name := tc.name.text()
		if !w.hasTool(name) {
			// The forced tool was dropped above; forcing it would be
			// rejected.
			out = appendKey(out, "tool_choice")
			out = append(out, `"auto"`...)
			break
		}
		out = appendKey(out, "tool_choice")
		out = append(out, `{"type":"function","function":{"name":`...)
		out = appendJSONString(out, w.upstreamToolName(name))
		out = append(out, `}}`...)
	}
	if choice.get("disable_parallel_tool_use").isTrue() {
		out = appendKey(out, "parallel_tool_calls")
		out = append(out, "false"...)
	}
	return out
}

func (w *requestWriter) hasTool(name string) bool {
	for _, n := range w.toolNames {
		if n == name {
			return true
		}
	}
	return false
}

// emptySchema stands in for a missing or empty schema: both APIs want an
// object schema.
const emptySchema = `{"type":"object","properties":{}}`

func appendSchema(dst []byte, schema jsonValue) []byte {
	if !schema.isObject() || isEmptyObject(string(schema)) {
		return append(dst, emptySchema...)
	}
	return append(dst, schema...)
}

// isEmptyObject reports whether raw, a JSON object, has no members.
func isEmptyObject(raw string) bool {
	raw = strings.TrimSpace(raw)
	return len(raw) >= 2 && isBlank(raw[1:len(raw)-1])
}

// reasoningEffort maps Anthropic's thinking settings to an OpenAI
// reasoning_effort, or "" for none. An explicit output_config.effort wins;
// otherwise an enabled budget picks the effort whose Anthropic budget it
// reaches.
func reasoningEffort(thinking, outputConfig gjson.Result) string {
	typ := thinking.Get("type").Str
	if typ == "disabled" {
		return ""
	}
	switch outputConfig.Get("effort").Str {
	case "low":
		return "low"
	case "medium":
		return "medium"
	case "high", "max":
		// Not every OpenAI model knows "xhigh"; all reasoning ones know
		// "high".
		return "high"
	}
	if typ != "enabled" {
		// Adaptive thinking without an effort leaves the choice to the
		// model, as an absent reasoning_effort does.
		return ""
	}
	switch budget := thinking.Get("budget_tokens").Int(); {
	case budget < budgetMedium:
		return "low"
	case budget < budgetHigh:
		return "medium"
	}
	return "high"
}

// appendUserID appends the caller's user id, a string, or when it is
// longer than limit its SHA-256 in hex: Claude Code's user_id is a JSON
// object of some 150 characters, and a digest keeps one stable identifier
// per user.
func appendUserID(dst []byte, u jsonValue, limit int) []byte {
	s := u.str()
	if len(s) <= limit {
		return append(dst, u...)
	}
	sum := sha256.Sum256([]byte(s))
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, sum[:min(limit/2, len(sum))])
	return append(dst, '"')
}

// upstreamToolName returns name as the upstream may see it. Both APIs take
// ^[a-zA-Z0-9_-]{1,64}$; other names are replaced by a deterministic valid
// one (invalid bytes as '_', cut short, plus a hash of the whole name) and
// recorded in the Conversion so replies can be mapped back. Determinism
// matters: the same tool appears in the tool list, in tool_choice and in
// every earlier turn's calls.
func (w *requestWriter) upstreamToolName(name string) string {
	if validToolName(name) {
		return name
	}
	b := make([]byte, 0, maxToolName)
	for i := 0; i < len(name) && len(b) < maxToolName-hashSuffixLen; i++ {
		if c := name[i]; isNameByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	b = append(b, '_')
	b = appendHex32(b, fnv32(name))
	mapped := string(b)
	if w.c.ToolNames == nil {
		w.c.ToolNames = make(map[string]string)
	}
	if _, ok := w.c.ToolNames[mapped]; !ok {
		w.c.ToolNames[mapped] = strings.Clone(name)
	}
	return mapped
}

func validToolName(s string) bool {
	if len(s) == 0 || len(s) > maxToolName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// openAIToolCallID returns id shortened, deterministically, to the 40
// characters OpenAI accepts. Anthropic ids are shorter; ids minted by
// other gateways often are not.
func openAIToolCallID(id string) string {
	if id != "" && len(id) <= maxToolCallID && utf8.ValidString(id) {
		return id
	}
	b := make([]byte, 0, maxToolCallID)
	if id == "" {
		b = append(b, "call"...)
	} else {
		// Whole runes of the valid form: a byte that is not UTF-8 would be
		// written as \ufffd, longer than the length OpenAI checks.
		for _, r := range strings.ToValidUTF8(id, "_") {
			if len(b)+utf8.RuneLen(r) > maxToolCallID-hashSuffixLen {
				break
			}
			b = utf8.AppendRune(b, r)
		}
	}
	b = append(b, '_')
	return string(appendHex32(b, fnv32(id)))
}

// anthropicToolID returns id in the form Anthropic demands of tool_use ids,
// ^[a-zA-Z0-9_-]+$. Invalid ones are rewritten deterministically, so the
// call and its result still match.
func anthropicToolID(id string) string {
	valid := id != ""
	for i := 0; i < len(id) && valid; i++ {
		valid = isNameByte(id[i])
	}
	if valid {
		return id
	}
	b := make([]byte, 0, maxToolName)
	if id == "" {
		b = append(b, "toolu"...)
	}
	for i := 0; i < len(id) && len(b) < maxToolName-hashSuffixLen; i++ {
		if c := id[i]; isNameByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	b = append(b, '_')
	return string(appendHex32(b, fnv32(id)))
}

// fnv32 is 32-bit FNV-1a: stable across releases, which the name and id
// mappings need.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func appendHex32(dst []byte, h uint32) []byte {
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(h>>uint(shift))&0xf])
	}
	return dst
}
