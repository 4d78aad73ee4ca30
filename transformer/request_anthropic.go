package transformer

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// openAIFields are the top-level request members the O→A conversion reads.
// The rest (n, logprobs, response_format, seed, penalties, logit_bias,
// store, modalities, OpenAI's own metadata…) has no Anthropic equivalent
// and is dropped.
// maxAnthropicUser is the longest metadata.user_id Anthropic accepts.
const maxAnthropicUser = 256

type openAIFields struct {
	model, messages, maxTokens, maxCompletionTokens, stop, temperature, topP,
	user, stream, streamOptions, tools, functions, toolChoice, functionCall,
	parallel, reasoningEffort, reasoning jsonValue
}

func (w *requestWriter) openAIToAnthropic(root jsonValue, size int) ([]byte, error) {
	var f openAIFields
	it := members(root)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch k {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "max_tokens":
			f.maxTokens = v
		case "max_completion_tokens":
			f.maxCompletionTokens = v
		case "stop":
			f.stop = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "user":
			f.user = v
		case "stream":
			f.stream = v
		case "stream_options":
			f.streamOptions = v
		case "tools":
			f.tools = v
		case "functions":
			f.functions = v
		case "tool_choice":
			f.toolChoice = v
		case "function_call":
			f.functionCall = v
		case "parallel_tool_calls":
			f.parallel = v
		case "reasoning_effort":
			f.reasoningEffort = v
		case "reasoning":
			f.reasoning = v
		}
	}
	if !f.messages.isArray() {
		return nil, invalid("messages: an array of messages is required")
	}
	c := w.c
	c.Model = strings.Clone(f.model.text())
	c.Stream = f.stream.isTrue()
	c.IncludeUsage = c.Stream && f.streamOptions.get("include_usage").isTrue()

	out := make([]byte, 0, size+size/8+256)
	out = append(out, '{')
	// Model is optional, so no member after it can know it is not the
	// first: every one is written with appendKey.
	if f.model != "" {
		out = appendKey(out, "model")
		out = appendValueString(out, f.model)
	}

	// Tools come first because thinking depends on the tool choice.
	out, forced := w.anthropicTools(out, &f)

	budget := thinkingBudget(f.reasoningEffort.result(), f.reasoning.result())
	if forced {
		// Anthropic rejects thinking with a forced tool; the forced tool
		// is what the caller's code depends on.
		budget = 0
	}
	maxTokens := int64(DefaultMaxTokens)
	mt := f.maxCompletionTokens
	if !mt.isNumber() {
		mt = f.maxTokens
	}
	if n := mt.result().Int(); mt.isNumber() && n > 0 {
		maxTokens = n
	}
	if budget > 0 {
		// The budget must stay below max_tokens. OpenAI counts reasoning
		// within the caller's limit already, so it is raised only when
		// it would leave no room for the answer.
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

	out = appendKey(out, "messages")
	out = append(out, '[')
	msgs := values(f.messages)
	for m, ok := msgs.next(); ok; m, ok = msgs.next() {
		out = w.openAIMessage(out, m)
	}
	out = w.flushTurn(out)
	out = append(out, ']')
	if len(w.system) > 0 {
		out = appendKey(out, "system")
		out = append(out, '"')
		out = append(out, w.system...)
		out = append(out, '"')
	}

	switch s := f.stop; {
	case s.isString():
		if !s.blankText() {
			out = appendKey(out, "stop_sequences")
			out = append(out, '[')
			out = append(out, s...)
			out = append(out, ']')
		}
	case s.isArray():
		mark := len(out)
		out = appendKey(out, "stop_sequences")
		out = append(out, '[')
		start := len(out)
		seqs := values(s)
		for v, ok := seqs.next(); ok; v, ok = seqs.next() {
			// Anthropic rejects stop sequences without non-whitespace.
			if v.isString() && !v.blankText() {
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
	if t := f.temperature; t.isNumber() && budget == 0 {
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
	if p := f.topP; p.isNumber() && !hasTemp && (budget == 0 || p.result().Float() >= 0.95) {
		out = appendKey(out, "top_p")
		out = append(out, p...)
	}
	if u := f.user; u.isString() && u.hasText() {
		out = appendKey(out, "metadata")
		out = append(out, `{"user_id":`...)
		out = appendUserID(out, u, maxAnthropicUser)
		out = append(out, '}')
	}
	if c.Stream {
		out = appendKey(out, "stream")
		out = append(out, "true"...)
	}
	return append(out, '}'), nil
}

// thinkingBudget maps an OpenAI reasoning_effort, or OpenRouter's
// reasoning object, to an Anthropic thinking budget; 0 means no thinking.
func thinkingBudget(effort, reasoning gjson.Result) int64 {
	e := effort.Str
	if reasoning.IsObject() {
		if n := reasoning.Get("max_tokens").Int(); n > 0 {
			return max(n, budgetLow)
		}
		if e == "" {
			e = reasoning.Get("effort").Str
		}
	}
	switch e {
	case "minimal", "low":
		return budgetLow
	case "medium":
		return budgetMedium
	case "high":
		return budgetHigh
	case "xhigh":
		return budgetXHigh
	}
	return 0
}

// anthropicTools appends tools and tool_choice, and reports whether the
// choice forces a tool.
func (w *requestWriter) anthropicTools(out []byte, f *openAIFields) ([]byte, bool) {
	mark := len(out)
	out = appendKey(out, "tools")
	out = append(out, '[')
	tools := values(f.tools)
	for x, ok := tools.next(); ok; x, ok = tools.next() {
		// Only function tools have a schema a Claude model can call;
		// custom (free-text) and hosted tools are dropped.
		var t toolDef
		if t.read(x); t.typ == "function" || t.typ == "" {
			out = w.anthropicTool(out, t.fn)
		}
	}
	fns := values(f.functions)
	for fn, ok := fns.next(); ok; fn, ok = fns.next() {
		out = w.anthropicTool(out, fn)
	}
	if len(w.toolNames) == 0 {
		// tool_choice without tools is rejected.
		return out[:mark], false
	}
	out = append(out, ']')

	choice := f.toolChoice
	if choice == "" {
		choice = f.functionCall
	}
	var typ, name string
	switch {
	case choice.isString():
		switch choice.str() {
		case "auto":
			typ = "auto"
		case "required":
			typ = "any"
		case "none":
			typ = "none"
		}
	case choice.isObject():
		switch choice.get("type").str() {
		case "allowed_tools":
			// The subset cannot be expressed; its mode can.
			if choice.get("allowed_tools").get("mode").str() == "required" {
				typ = "any"
			} else {
				typ = "auto"
			}
		default:
			n := choice.get("function").get("name")
			if n == "" {
				n = choice.get("name") // legacy function_call
			}
			name = n.text()
			typ = "tool"
			if !w.hasTool(name) {
				typ = "auto"
			}
		}
	}
	disableParallel := f.parallel.isFalse()
	if typ == "" && disableParallel {
		typ = "auto"
	}
	if typ == "" {
		return out, false
	}
	out = appendKey(out, "tool_choice")
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if typ == "tool" {
		out = append(out, `,"name":`...)
		out = appendJSONString(out, w.upstreamToolName(name))
	}
	if disableParallel && typ != "none" {
		out = append(out, `,"disable_parallel_tool_use":true`...)
	}
	out = append(out, '}')
	return out, typ == "any" || typ == "tool"
}

// openAIMessage converts one OpenAI message into Anthropic blocks and adds
// them to the current turn. Anthropic wants user and assistant turns to
// alternate and tool results first in the user turn after the calls, so
// consecutive messages of one role (role:tool counts as user) are merged,
// results ahead of the rest. A message that converts to nothing is dropped
// rather than sent empty, which Anthropic would reject.
func (w *requestWriter) openAIMessage(out []byte, m jsonValue) []byte {
	var msg openAIMessage
	msg.read(m)
	content := msg.content
	w.msgResults, w.msgBlocks = w.msgResults[:0], w.msgBlocks[:0]
	turn := "user"
	switch msg.role {
	case "system", "developer":
		w.addSystem(content)
		return out
	case "assistant":
		turn = "assistant"
		w.msgBlocks = w.anthropicContent(w.msgBlocks, content)
		calls := values(msg.toolCalls)
		for x, ok := calls.next(); ok; x, ok = calls.next() {
			var tc openAIPart
			if tc.read(x); tc.typ != "function" && tc.typ != "" {
				continue
			}
			var fn toolDef
			fn.read(tc.function)
			w.msgBlocks = w.appendToolUse(w.msgBlocks, anthropicToolID(tc.id.text()), fn.name.text(), fn.arguments)
		}
		if msg.functionCall.isObject() {
			var fc toolDef
			fc.read(msg.functionCall)
			w.legacyCalls++
			w.msgBlocks = w.appendToolUse(w.msgBlocks, w.legacyCallID(), fc.name.text(), fc.arguments)
		}
	case "tool":
		w.msgResults = w.appendToolResult(w.msgResults, anthropicToolID(msg.callID.text()), content)
	case "function":
		if w.legacyCalls > 0 {
			w.msgResults = w.appendToolResult(w.msgResults, w.legacyCallID(), content)
		} else {
			// A result without a call would be rejected; keep its text.
			w.msgBlocks = w.anthropicContent(w.msgBlocks, content)
		}
	default:
		w.msgBlocks = w.anthropicContent(w.msgBlocks, content)
	}
	if len(w.msgResults) == 0 && len(w.msgBlocks) == 0 {
		return out
	}
	if turn != w.turnRole {
		out = w.flushTurn(out)
		w.turnRole = turn
	}
	w.turnResults = appendJoined(w.turnResults, w.msgResults)
	w.turnBlocks = appendJoined(w.turnBlocks, w.msgBlocks)
	return out
}

// legacyCallID names the latest legacy function_call, which has no id of
// its own; the role:function message after it answers it.
func (w *requestWriter) legacyCallID() string {
	return "call_fn_" + strconv.Itoa(w.legacyCalls)
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

// flushTurn appends the turn collected so far as one message.
func (w *requestWriter) flushTurn(out []byte) []byte {
	if len(w.turnResults) > 0 || len(w.turnBlocks) > 0 {
		out = appendSep(out)
		out = append(out, `{"role":"`...)
		out = append(out, w.turnRole...)
		out = append(out, `","content":[`...)
		out = append(out, w.turnResults...)
		if len(w.turnResults) > 0 && len(w.turnBlocks) > 0 {
			out = append(out, ',')
		}
		out = append(out, w.turnBlocks...)
		out = append(out, `]}`...)
	}
	w.turnResults, w.turnBlocks, w.turnRole = w.turnResults[:0], w.turnBlocks[:0], ""
	return out
}

// addSystem adds the text of a system or developer message to the
// top-level system prompt.
func (w *requestWriter) addSystem(content jsonValue) {
	if content.isString() {
		w.addSystemText(content)
		return
	}
	parts := values(content)
	for x, ok := parts.next(); ok; x, ok = parts.next() {
		var p openAIPart
		if p.read(x); p.typ == "text" {
			w.addSystemText(p.text)
		}
	}
}

func (w *requestWriter) addSystemText(t jsonValue) {
	if t.blankText() {
		return
	}
	if len(w.system) > 0 {
		w.system = append(w.system, escapedNewline...)
	}
	w.system = appendValueBody(w.system, t)
}

// anthropicContent appends the blocks for an OpenAI message content: a
// string or a list of parts. Blank text is left out, as Anthropic rejects
// it; so are parts it cannot take (audio, files by id).
func (w *requestWriter) anthropicContent(dst []byte, content jsonValue) []byte {
	if content.isString() {
		return appendTextBlock(dst, content)
	}
	parts := values(content)
	for x, ok := parts.next(); ok; x, ok = parts.next() {
		var p openAIPart
		p.read(x)
		switch p.typ {
		case "text":
			dst = appendTextBlock(dst, p.text)
		case "refusal":
			dst = appendTextBlock(dst, p.refusal)
		case "image_url":
			u := p.imageURL
			if u.isObject() {
				u = u.get("url")
			}
			dst = appendImageBlock(dst, u.text())
		case "file":
			dst = appendFileBlock(dst, p.file)
		}
	}
	return dst
}

func appendTextBlock(dst []byte, t jsonValue) []byte {
	if !t.isString() || t.blankText() {
		return dst
	}
	dst = appendSep(dst)
	dst = append(dst, `{"type":"text","text":`...)
	dst = append(dst, t...)
	return append(dst, '}')
}

// parseDataURL splits a base64 data: URL into its media type (without
// parameters) and data.
func parseDataURL(u string) (mediaType, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return "", "", false
	}
	mediaType, _, _ = strings.Cut(meta, ";")
	return mediaType, data, true
}

// appendImageBlock appends an image block for an OpenAI image URL: a data:
// URL becomes a base64 source, anything else a url source.
func appendImageBlock(dst []byte, u string) []byte {
	if u == "" {
		return dst
	}
	if strings.HasPrefix(u, "data:") {
		mt, data, ok := parseDataURL(u)
		if !ok || data == "" {
			return dst // not base64: nothing Anthropic takes
		}
		return appendBase64Image(dst, mt, data)
	}
	dst = appendSep(dst)
	dst = append(dst, `{"type":"image","source":{"type":"url","url":`...)
	dst = appendJSONString(dst, u)
	return append(dst, `}}`...)
}

func appendBase64Image(dst []byte, mediaType, data string) []byte {
	dst = appendSep(dst)
	dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
	dst = appendJSONString(dst, mediaType)
	dst = append(dst, `,"data":`...)
	dst = appendJSONString(dst, data)
	return append(dst, `}}`...)
}

// appendFileBlock appends a document for an OpenAI file part. Only inline
// data can be sent; a file_id refers to OpenAI's storage.
func appendFileBlock(dst []byte, file jsonValue) []byte {
	var fileData, title jsonValue
	it := members(file)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		switch k {
		case "file_data":
			fileData = v
		case "filename":
			title = v
		}
	}
	raw := fileData.text()
	if raw == "" {
		return dst
	}
	mt, data, ok := parseDataURL(raw)
	if !ok {
		// Some clients send bare base64; PDF is the one type OpenAI
		// documents for files.
		mt, data = "application/pdf", raw
	}
	switch {
	case mt == "application/pdf":
		dst = appendSep(dst)
		dst = append(dst, `{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":`...)
		dst = appendJSONString(dst, data)
		dst = append(dst, '}')
	case strings.HasPrefix(mt, "image/"):
		return appendBase64Image(dst, mt, data)
	case strings.HasPrefix(mt, "text/"):
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
	if title.hasText() {
		dst = append(dst, `,"title":`...)
		dst = appendValueString(dst, title)
	}
	return append(dst, '}')
}

// appendToolUse appends a tool_use block for an OpenAI function call.
func (w *requestWriter) appendToolUse(dst []byte, id, name string, arguments jsonValue) []byte {
	dst = appendSep(dst)
	dst = append(dst, `{"type":"tool_use","id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, w.upstreamToolName(name))
	dst = append(dst, `,"input":`...)
	return append(w.appendToolInput(dst, arguments), '}')
}

// appendToolResult appends a tool_result block for an OpenAI tool message.
// Blank content is left out rather than sent as an empty block.
func (w *requestWriter) appendToolResult(dst []byte, id string, content jsonValue) []byte {
	dst = appendSep(dst)
	dst = append(dst, `{"type":"tool_result","tool_use_id":`...)
	dst = appendJSONString(dst, id)
	switch {
	case content.isString():
		if !content.blankText() {
			dst = append(dst, `,"content":`...)
			dst = append(dst, content...)
		}
	case content.isArray():
		mark := len(dst)
		dst = append(dst, `,"content":[`...)
		start := len(dst)
		dst = w.anthropicContent(dst, content)
		if len(dst) == start {
			dst = dst[:mark]
		} else {
			dst = append(dst, ']')
		}
	}
	return append(dst, '}')
}

// anthropicTool appends the Anthropic tool for an OpenAI function
// definition, unless it has no name.
func (w *requestWriter) anthropicTool(out []byte, x jsonValue) []byte {
	var fn toolDef
	fn.read(x)
	name := fn.name.text()
	if name == "" {
		return out
	}
	w.toolNames = append(w.toolNames, name)
	out = appendSep(out)
	out = append(out, `{"name":`...)
	out = appendJSONString(out, w.upstreamToolName(name))
	if fn.description.hasText() {
		out = append(out, `,"description":`...)
		out = appendValueString(out, fn.description)
	}
	out = append(out, `,"input_schema":`...)
	out = appendSchema(out, fn.schema)
	return append(out, '}')
}

// appendToolInput appends the object an OpenAI function call's arguments
// describe, as toolArguments does. The arguments string is unescaped into
// a buffer the writer keeps, not a new string per call.
func (w *requestWriter) appendToolInput(dst []byte, arguments jsonValue) []byte {
	switch {
	case arguments.isObject():
		return append(dst, arguments...)
	case arguments.isString():
		w.arguments = jsonx.AppendUnescaped(w.arguments[:0], arguments.body())
		return append(dst, objectOrEmpty(bytesString(w.arguments))...)
	}
	return append(dst, "{}"...)
}
