package transformer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// DefaultMaxTokens is the max_tokens sent to an Anthropic upstream when the
// caller set no limit: Anthropic requires the field and the OpenAI formats
// do not. 4096 is the largest value every Claude model accepts.
const DefaultMaxTokens = 4096

// Thinking budgets sent to Anthropic for an OpenAI reasoning effort. The
// reverse mapping splits at the same values, so a budget survives a round
// trip as the same effort.
const (
	budgetLow    = 1024 // Anthropic's minimum
	budgetMedium = 4096
	budgetHigh   = 16384
	budgetXHigh  = 32768
)

// Limits of the formats on request fields.
const (
	maxStop          = 4   // OpenAI accepts at most four stop sequences
	maxOpenAIUser    = 64  // "Invalid 'user': string too long" beyond it
	maxAnthropicUser = 256 // the longest metadata.user_id Anthropic accepts
	// minOutputTokens is the smallest max_output_tokens the Responses API
	// accepts; Claude Code probes with max_tokens 1.
	minOutputTokens = 16
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
// for an unknown format and for Gemini, whose path names the model
// (GeminiPath).
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

// GeminiPath returns the path, below the API version ("/v1beta"), of a
// Gemini request for model, unescaped as url.URL.Path holds it:
// /models/{model}:generateContent, or :streamGenerateContent when stream is
// set (to be sent with alt=sse). A model given as Google lists it,
// "models/gemini-2.5-pro", is the same model; a tuned model keeps its own
// collection ("tunedModels/…"). It returns "" for a model that would not
// be one path segment (empty, a dot segment, or holding a slash).
func GeminiPath(model string, stream bool) string {
	method := ":generateContent"
	if stream {
		method = ":streamGenerateContent"
	}
	coll := "/models/"
	if rest, ok := strings.CutPrefix(model, "tunedModels/"); ok {
		coll, model = "/tunedModels/", rest
	} else {
		model = strings.TrimPrefix(model, "models/")
	}
	if model == "" || model == "." || model == ".." || strings.ContainsAny(model, "/\\") {
		return ""
	}
	return coll + model + method
}

// requestCodec is one format's side of request conversion: decodeRequest
// reads a body of the format (root, a JSON object) into the form and
// records in c what the response side needs; encodeRequest appends the
// form as a body of the format. An encoder refuses, with a *RequestError,
// only what it must not drop silently (tools that run at another
// provider).
type requestCodec interface {
	decodeRequest(root jsonx.Value, r *formRequest, c *Conversion) error
	encodeRequest(dst []byte, r *formRequest, s *requestScratch, c *Conversion) ([]byte, error)
}

// requestCodecs holds each format's request codec.
var requestCodecs = map[Format]requestCodec{
	Anthropic: anthropicCodec{},
	OpenAI:    chatCodec{},
	Responses: responsesCodec{},
	Gemini:    geminiCodec{},
}

// Interface guards.
var (
	_ requestCodec = anthropicCodec{}
	_ requestCodec = chatCodec{}
	_ requestCodec = responsesCodec{}
	_ requestCodec = geminiCodec{}
)

// ConvertRequest converts a request body from the caller's format to the
// upstream's and returns the Conversion that ConvertResponse, ConvertError
// and the stream converter of the same request need. When from == to the
// body is returned unchanged and unvalidated.
//
// The error is a *RequestError (matching ErrInvalidRequest) when the body
// is not a JSON object, has no conversation (messages, or a Responses
// input), or declares a tool that runs only at another provider (a
// Responses web_search, say), which the upstream could not run. Other
// content the upstream format cannot express (unknown block types,
// cache_control…) is left out, never an error. body is not modified; a
// converted result does not alias it.
func ConvertRequest(from, to Format, body []byte) ([]byte, *Conversion, error) {
	return convertRequest(from, to, body, true, pathInfo{})
}

// ConvertRequestValidated is ConvertRequest for a body that must already be
// valid JSON, as a router that has parsed the request knows it to be: the
// body is not validated again. Given invalid JSON it neither panics nor
// promises any particular output.
func ConvertRequestValidated(from, to Format, body []byte) ([]byte, *Conversion, error) {
	return convertRequest(from, to, body, false, pathInfo{})
}

// ConvertRequestFor is ConvertRequestValidated for a caller whose path,
// not its body, names the model and says whether it streams: a Gemini
// caller's models/{model}:streamGenerateContent. model and stream are what
// the path says; they stand for the body's only when from is Gemini. The
// body must already be valid JSON.
func ConvertRequestFor(from, to Format, body []byte, model string, stream bool) ([]byte, *Conversion, error) {
	return convertRequest(from, to, body, false, pathInfo{model, stream})
}

// pathInfo is what a Gemini caller's path says about its request.
type pathInfo struct {
	model  string
	stream bool
}

func convertRequest(from, to Format, body []byte, validate bool, path pathInfo) ([]byte, *Conversion, error) {
	dec, ok1 := requestCodecs[from]
	enc, ok2 := requestCodecs[to]
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("transformer: cannot convert a request from %q to %q", from, to)
	}
	c := &Conversion{From: from, To: to}
	s := jsonx.BytesString(body)
	if from == to {
		res := gjson.GetMany(s, "model", "stream", "stream_options.include_usage")
		c.Model = strings.Clone(res[0].String())
		c.Stream = res[1].Bool()
		// A Responses stream always ends with its usage.
		c.IncludeUsage = c.Stream && (from == Responses || from == OpenAI && res[2].Bool())
		if from == Gemini {
			c.Model, c.Stream = strings.Clone(path.model), path.stream
		}
		return body, c, nil
	}
	if validate && !jsonx.Valid(s) {
		return nil, nil, invalid("the request body is not valid JSON")
	}
	root := jsonx.Value(jsonx.TrimSpace(s))
	if !root.IsObject() {
		return nil, nil, invalid("the request body must be a JSON object")
	}
	st := requestPool.Get().(*requestState)
	defer st.release()
	if err := dec.decodeRequest(root, &st.form, c); err != nil {
		return nil, nil, err
	}
	if from == Gemini && path.model != "" {
		st.form.Model = jsonx.Value(jsonx.AppendString(nil, path.model))
		st.form.Stream = path.stream
	}
	c.Model = strings.Clone(st.form.Model.Text())
	c.Stream = st.form.Stream
	size := len(body) + len(body)/8 + 256
	if to == Responses {
		// Every turn of a Responses input is a typed item: the body grows
		// more than it does in the other formats.
		size += len(body) / 4
	}
	out := make([]byte, 0, size)
	out, err := enc.encodeRequest(out, &st.form, &st.scratch, c)
	if err != nil {
		return nil, nil, err
	}
	return out, c, nil
}

// requestState is what one request conversion reuses from the last: the
// form with its slices, and the encoders' scratch.
type requestState struct {
	form    formRequest
	scratch requestScratch
}

// requestScratch holds buffers an encoder fills and empties while writing.
type requestScratch struct {
	a, b, c, d, e []byte
	media         []*formPart
	names         []string
}

var requestPool = sync.Pool{New: func() any { return new(requestState) }}

// Bounds on what a pooled requestState keeps: one huge request must not pin
// its buffers.
const (
	maxPooledScratch = 64 << 10
	maxPooledItems   = 4096
)

// release clears st, whose form holds substrings of the request body, and
// returns it to the pool.
func (st *requestState) release() {
	r := &st.form
	items := cap(r.Messages) + cap(r.Tools) + cap(r.System)
	msgs := r.Messages[:cap(r.Messages)]
	for i := range msgs {
		m := &msgs[i]
		parts := m.Parts[:cap(m.Parts)]
		items += len(parts)
		for j := range parts {
			p := &parts[j]
			content := p.Content[:cap(p.Content)]
			items += len(content)
			clear(content)
			*p = formPart{Content: content[:0]}
		}
		*m = formMessage{Parts: parts[:0]}
	}
	sys, tools, stop := r.System[:cap(r.System)], r.Tools[:cap(r.Tools)], r.Stop[:cap(r.Stop)]
	clear(sys)
	clear(tools)
	clear(stop)
	*r = formRequest{System: sys[:0], Messages: msgs[:0], Tools: tools[:0], Stop: stop[:0]}
	s := &st.scratch
	clear(s.media[:cap(s.media)])
	clear(s.names[:cap(s.names)])
	*s = requestScratch{a: s.a[:0], b: s.b[:0], c: s.c[:0], d: s.d[:0], e: s.e[:0], media: s.media[:0], names: s.names[:0]}
	if cap(s.a)+cap(s.b)+cap(s.c)+cap(s.d)+cap(s.e) > maxPooledScratch || items > maxPooledItems {
		return
	}
	requestPool.Put(st)
}

// addMessage appends a message to r, reusing the parts slice a previous
// request left in that slot, and returns it. It invalidates pointers to
// r's earlier messages.
func (r *formRequest) addMessage(ro role) *formMessage {
	if n := len(r.Messages); n < cap(r.Messages) {
		r.Messages = r.Messages[:n+1]
	} else {
		r.Messages = append(r.Messages, formMessage{})
	}
	m := &r.Messages[len(r.Messages)-1]
	m.role = ro
	return m
}

// lastMessage returns r's last message if it has role ro, else a new one.
func (r *formRequest) lastMessage(ro role) *formMessage {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].role == ro {
		return &r.Messages[n-1]
	}
	return r.addMessage(ro)
}

// addPart appends a part of kind k to m, as addMessage does.
func (m *formMessage) addPart(k blockKind) *formPart {
	m.Parts = growParts(m.Parts)
	p := &m.Parts[len(m.Parts)-1]
	p.Kind = k
	return p
}

// addContent appends a part of kind k to p's Content.
func (p *formPart) addContent(k blockKind) *formPart {
	p.Content = growParts(p.Content)
	q := &p.Content[len(p.Content)-1]
	q.Kind = k
	return q
}

func growParts(s []formPart) []formPart {
	if n := len(s); n < cap(s) {
		return s[:n+1]
	}
	return append(s, formPart{})
}

// addSystem appends a text part to r.System.
func (r *formRequest) addSystem(text jsonx.Value) *formPart {
	r.System = growParts(r.System)
	p := &r.System[len(r.System)-1]
	p.Kind, p.Text = blockText, text
	return p
}

// addTool appends a tool to r.
func (r *formRequest) addTool(k toolKind) *formTool {
	r.Tools = append(r.Tools, formTool{Kind: k})
	return &r.Tools[len(r.Tools)-1]
}

// hasTool reports whether the caller's tool named name was sent upstream.
func (s *requestScratch) hasTool(name string) bool {
	for _, n := range s.names {
		if n == name {
			return true
		}
	}
	return false
}

// refuseBuiltin is the error for a tool that runs only at its own format's
// provider.
func refuseBuiltin(t *formTool, to Format) error {
	name := t.Type.Text()
	if name == "" {
		name = t.Name.Text()
	}
	where := "OpenAI"
	switch t.Origin {
	case Anthropic:
		where = "Anthropic"
	case Gemini:
		where = "Google"
	}
	return invalid(fmt.Sprintf("tools: the %s tool runs only at %s; this channel (%s) cannot run it", name, where, to))
}

// escapedNewline joins texts inside a JSON string literal being built.
const escapedNewline = `\n`

// emptySchema stands in for a missing or empty schema: every format wants
// an object schema.
const emptySchema = `{"type":"object","properties":{}}`

// freeformSchema is the parameters of a freeform tool carried as a
// function: its text travels as the one string argument "input".
const freeformSchema = `{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}`

func appendSchema(dst []byte, schema jsonx.Value) []byte {
	if !schema.IsObject() || isEmptyObject(string(schema)) {
		return append(dst, emptySchema...)
	}
	return append(dst, schema...)
}

// isEmptyObject reports whether raw, a JSON object, has no members.
func isEmptyObject(raw string) bool {
	raw = strings.TrimSpace(raw)
	return len(raw) >= 2 && jsonx.Blank(raw[1:len(raw)-1])
}

// appendToolDescription appends a tool's description as a string literal;
// for a freeform tool carried as a function, a grammar its input must
// follow is appended to it. It reports whether it wrote anything.
func appendToolDescription(dst []byte, t *formTool) ([]byte, bool) {
	def := t.Grammar.Get("definition")
	grammar := t.Kind == toolFreeform && def.HasText()
	if !t.Description.HasText() && !grammar {
		return dst, false
	}
	dst = append(dst, '"')
	dst = jsonx.AppendValueBody(dst, t.Description)
	if grammar {
		if t.Description.HasText() {
			dst = append(dst, escapedNewline+escapedNewline...)
		}
		dst = append(dst, "The input must follow this "...)
		if syn := t.Grammar.Get("syntax"); syn.HasText() {
			dst = jsonx.AppendValueBody(dst, syn)
			dst = append(dst, ' ')
		}
		dst = append(dst, "grammar:"+escapedNewline...)
		dst = jsonx.AppendValueBody(dst, def)
	}
	return append(dst, '"'), true
}

// appendDescription appends a tool's "description" member, if it has one.
func appendDescription(dst []byte, t *formTool) []byte {
	mark := len(dst)
	dst = append(dst, `,"description":`...)
	dst, ok := appendToolDescription(dst, t)
	if !ok {
		return dst[:mark]
	}
	return dst
}

// appendFunctionHead starts declaring function tool t, after a separator:
// head (the format's opening, up to the name's value), its name as the
// upstream gets it and its description. It records the caller's name in
// s.names; a tool without a name is left out (ok false, nothing written).
func appendFunctionHead(out []byte, head string, t *formTool, s *requestScratch, c *Conversion) ([]byte, bool) {
	name := t.Name.Text()
	if name == "" {
		return out, false
	}
	s.names = append(s.names, name)
	out = jsonx.AppendSep(out)
	out = append(out, head...)
	out = jsonx.AppendString(out, upstreamToolName(c, name))
	return appendDescription(out, t), true
}

// appendFreeformArguments appends the arguments object of a freeform
// call carried as a function: {"input":"<the text>"}.
func appendFreeformArguments(dst []byte, text jsonx.Value) []byte {
	dst = append(dst, `{"input":`...)
	dst = jsonx.AppendValueString(dst, text)
	return append(dst, '}')
}

// appendUserID appends the caller's user id, a string, or when it is
// longer than limit its SHA-256 in hex: Claude Code's user_id is a JSON
// object of some 150 characters, and a digest keeps one stable identifier
// per user.
func appendUserID(dst []byte, u jsonx.Value, limit int) []byte {
	s := u.Str()
	if len(s) <= limit {
		return append(dst, u...)
	}
	sum := sha256.Sum256([]byte(s))
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, sum[:min(limit/2, len(sum))])
	return append(dst, '"')
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

// isDataURL reports whether v is a string token holding a data: URL.
func isDataURL(v jsonx.Value) bool { return strings.HasPrefix(string(v), `"data:`) }

// appendDataURL appends base64 data of a media type as a data: URL string.
func appendDataURL(dst []byte, mediaType, data jsonx.Value, fallback string) []byte {
	dst = append(dst, `"data:`...)
	if !mediaType.HasText() {
		dst = append(dst, fallback...)
	} else {
		dst = jsonx.AppendValueBody(dst, mediaType)
	}
	dst = append(dst, ";base64,"...)
	dst = jsonx.AppendValueBody(dst, data)
	return append(dst, '"')
}

// openAIEffort returns the reasoning effort to ask an OpenAI model for, or
// "" for none. An explicit effort wins; otherwise a thinking budget picks
// the effort whose Anthropic budget it reaches.
func openAIEffort(r *formReasoning) string {
	if r.Disabled {
		return ""
	}
	switch r.Effort {
	case "minimal", "low", "medium", "high", "none":
		return r.Effort
	case "xhigh", "max":
		// Not every OpenAI model knows "xhigh"; all reasoning ones know
		// "high".
		return "high"
	}
	switch b := r.Budget; {
	case b <= 0:
		// Adaptive thinking without an effort leaves the choice to the
		// model, as an absent effort does.
		return ""
	case b < budgetMedium:
		return "low"
	case b < budgetHigh:
		return "medium"
	}
	return "high"
}

// anthropicBudget returns the thinking budget to ask Claude for; 0 means
// no thinking.
func anthropicBudget(r *formReasoning) int64 {
	if r.Disabled {
		return 0
	}
	if r.Budget > 0 {
		return max(r.Budget, budgetLow)
	}
	switch r.Effort {
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

// readEffort normalises an effort token.
func readEffort(v jsonx.Value) string {
	switch e := v.Str(); e {
	case "max":
		return "xhigh"
	case "minimal", "low", "medium", "high", "xhigh", "none":
		return e
	}
	return ""
}

// appendCarried appends a signature as a string literal, without the
// carriedPrefix envelope it has when it came back through a Responses
// reasoning item.
func appendCarried(dst []byte, sig jsonx.Value) []byte {
	b := sig.Body()
	if rest, ok := strings.CutPrefix(b, carriedPrefix); ok && len(rest) >= 3 && rest[2] == ':' {
		b = rest[3:]
	}
	dst = append(dst, '"')
	dst = append(dst, b...)
	return append(dst, '"')
}

// appendArgumentsString appends a tool call's arguments as the JSON string
// the OpenAI formats want. Arguments that are not an object become "{}".
func appendArgumentsString(dst []byte, p *formPart, scratch *[]byte) []byte {
	switch {
	case p.Freeform:
		*scratch = appendFreeformArguments((*scratch)[:0], p.Input)
		return jsonx.AppendAsString(dst, jsonx.BytesString(*scratch))
	case p.Input.IsObject():
		return jsonx.AppendAsString(dst, string(p.Input))
	case p.Input.IsString():
		*scratch = jsonx.AppendUnescaped((*scratch)[:0], p.Input.Body())
		if raw := objectOrEmpty(jsonx.BytesString(*scratch)); raw != "{}" {
			return append(dst, p.Input...)
		}
	}
	return append(dst, `"{}"`...)
}

// appendArgumentsObject appends a tool call's arguments as the object
// Anthropic wants. Arguments that are not an object become {}.
func appendArgumentsObject(dst []byte, p *formPart, scratch *[]byte) []byte {
	switch {
	case p.Freeform:
		return appendFreeformArguments(dst, p.Input)
	case p.Input.IsObject():
		return append(dst, p.Input...)
	case p.Input.IsString():
		*scratch = jsonx.AppendUnescaped((*scratch)[:0], p.Input.Body())
		return append(dst, objectOrEmpty(jsonx.BytesString(*scratch))...)
	}
	return append(dst, "{}"...)
}
