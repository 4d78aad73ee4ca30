package transformer

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/routex/routex/internal/jsonx"
)

// ErrInvalidResponse is returned by ConvertResponse for an upstream body
// that is not a JSON object.
var ErrInvalidResponse = errors.New("transformer: upstream response is not a JSON object")

// ErrResponseFailed is returned by ConvertResponse for a Responses API body
// whose status says that it failed or was cancelled, or a Gemini answer
// whose finishReason says the model could not form a usable turn
// (MALFORMED_FUNCTION_CALL and the like): there is no answer to give the
// caller. The error's text carries the upstream's message.
var ErrResponseFailed = errors.New("transformer: upstream response failed")

// ConvertResponse converts a complete 2xx response body from c.To's format
// back to c.From's. The model is reported as the caller asked for it
// (c.Model) and tool names are mapped back through c.CallerToolName. With a
// nil Conversion or c.From == c.To the body is returned unchanged.
func ConvertResponse(c *Conversion, body []byte) ([]byte, error) {
	return convertResponse(c, body, true)
}

// ConvertResponseValidated is ConvertResponse for a body already known to be
// valid JSON, as a router that checked the upstream's answer knows it to be:
// the body is not validated again. Given invalid JSON it neither panics nor
// promises any particular output.
func ConvertResponseValidated(c *Conversion, body []byte) ([]byte, error) {
	return convertResponse(c, body, false)
}

// responseCodec is what a format's codec does with complete answers.
type responseCodec interface {
	// decodeResponse reads an answer body, a JSON object, into x.form.
	decodeResponse(x *responseState, c *Conversion, root jsonx.Value) error
	// appendResponse appends x.form to dst as an answer body.
	appendResponse(dst []byte, x *responseState, c *Conversion) []byte
}

var responseCodecs = map[Format]responseCodec{
	Anthropic: anthropicCodec{},
	OpenAI:    chatCodec{},
	Responses: responsesCodec{},
	Gemini:    geminiCodec{},
}

// responseState is one conversion's form and the buffers its codecs use,
// pooled so that a conversion reuses the slices of an earlier one.
type responseState struct {
	form formResponse
	// scratch holds a tool call's arguments unescaped while they are
	// written out.
	scratch []byte
	// tokens holds the string tokens a decoder had to make (signatures
	// restored from their carried form). It only grows during a
	// conversion: tokens cut from it stay valid wherever it moves.
	tokens []byte
}

// token returns s as a string token kept in x.tokens; s must be the body
// of a valid string literal.
func (x *responseState) token(s string) jsonx.Value {
	n := len(x.tokens)
	x.tokens = append(x.tokens, '"')
	x.tokens = append(x.tokens, s...)
	x.tokens = append(x.tokens, '"')
	return jsonx.Value(jsonx.BytesString(x.tokens[n:]))
}

var responsePool = sync.Pool{New: func() any { return new(responseState) }}

// Limits beyond which a pooled state's slices are dropped rather than kept.
const (
	maxPooledParts         = 256
	maxPooledAnswerScratch = 64 << 10
)

func (x *responseState) release() {
	// Clearing drops the references into the body, which must not be kept
	// alive by the pool.
	clear(x.form.Content)
	content := x.form.Content[:0]
	if cap(content) > maxPooledParts {
		content = nil
	}
	x.form = formResponse{Content: content}
	if cap(x.scratch) > maxPooledAnswerScratch {
		x.scratch = nil
	}
	x.scratch = x.scratch[:0]
	if cap(x.tokens) > maxPooledAnswerScratch {
		x.tokens = nil
	}
	x.tokens = x.tokens[:0]
	responsePool.Put(x)
}

func convertResponse(c *Conversion, body []byte, validate bool) ([]byte, error) {
	if c == nil || c.From == c.To {
		return body, nil
	}
	dec, ok1 := responseCodecs[c.To]
	enc, ok2 := responseCodecs[c.From]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("transformer: cannot convert a response from %q to %q", c.To, c.From)
	}
	s := strings.TrimSpace(jsonx.BytesString(body))
	if validate && !jsonx.Valid(s) {
		return nil, ErrInvalidResponse
	}
	root := jsonx.Value(s)
	if !root.IsObject() {
		return nil, ErrInvalidResponse
	}
	x := responsePool.Get().(*responseState)
	defer x.release()
	if err := dec.decodeResponse(x, c, root); err != nil {
		return nil, err
	}
	// Whatever the upstream said, a turn that calls a tool waits for its
	// result: every format's callers look at the stop reason to know.
	for i := range x.form.Content {
		if x.form.Content[i].Kind == blockToolCall {
			x.form.Stop = stopToolUse
			break
		}
	}
	// Room for the widest shape, the Responses API's: its fixed fields and
	// arguments escaped once more.
	out := make([]byte, 0, len(body)+len(body)/4+1024)
	return enc.appendResponse(out, x, c), nil
}

// FinishReason returns the OpenAI finish_reason for an Anthropic
// stop_reason. Callers that saw a tool call report "tool_calls" whatever
// the stop reason said.
func FinishReason(stopReason string) string {
	return chatFinishReason(anthropicStopReason(stopReason), false)
}

// StopReason returns the Anthropic stop_reason for an OpenAI
// finish_reason. Callers that saw a tool call report "tool_use" whatever
// the finish reason said.
func StopReason(finishReason string) string {
	return anthropicStopString(chatStopReason(finishReason))
}

// unixNow stamps the answers made for callers (Chat's created, the
// Responses API's created_at). Tests replace it to get stable output.
var unixNow = func() int64 { return time.Now().Unix() }

// fillRandom fills b with random bytes for the ids the upstream did not
// give. Tests replace it to get stable output.
var fillRandom = func(b []byte) { _, _ = rand.Read(b) }

// randomHexLen is the length of a made-up id's random part.
const randomHexLen = 24

// appendRandomHex appends randomHexLen random hex digits. The random bytes
// are drawn into the room the digits take, so nothing else is allocated.
func appendRandomHex(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, "000000000000000000000000"[:randomHexLen]...)
	raw := dst[n+randomHexLen/2:]
	fillRandom(raw)
	// Each byte becomes two digits at or before its own place: writing in
	// order never overwrites a byte not yet read.
	for i := range randomHexLen / 2 {
		x := raw[i]
		dst[n+2*i], dst[n+2*i+1] = hexDigits[x>>4], hexDigits[x&0xf]
	}
	return dst
}

// randomID returns randomHexLen random hex digits for ids the upstream did
// not send.
func randomID() string { return string(appendRandomHex(make([]byte, 0, randomHexLen))) }

// appendResponseModel appends the model the caller asked for, else the
// upstream's.
func appendResponseModel(out []byte, c *Conversion, upstream jsonx.Value) []byte {
	if c.Model != "" {
		return jsonx.AppendString(out, c.Model)
	}
	return jsonx.AppendValueString(out, upstream)
}

// callerToolName returns the caller's name for the tool an upstream call
// names, as a string token: the token itself unless the request mapped the
// name.
func (x *responseState) callerToolName(c *Conversion, name jsonx.Value) jsonx.Value {
	if len(c.ToolNames) == 0 {
		return name
	}
	if n, ok := c.ToolNames[name.Str()]; ok {
		start := len(x.tokens)
		x.tokens = jsonx.AppendString(x.tokens, n)
		return jsonx.Value(jsonx.BytesString(x.tokens[start:]))
	}
	return name
}

// appendMadeUpCallID appends the id of a tool call that came without one
// (Chat's legacy function_call, some local servers): prefix, a hash of the
// answer's id (made up when it has none) and the call's position, so that
// the caller can still answer the call.
func appendMadeUpCallID(dst []byte, prefix string, answerID jsonx.Value, n int) []byte {
	base := answerID.Str()
	if base == "" {
		base = randomID()
	}
	dst = append(dst, '"')
	dst = append(dst, prefix...)
	dst = appendHex32(dst, fnv32(base))
	dst = append(dst, '_')
	dst = appendInt(dst, int64(n))
	return append(dst, '"')
}

// appendInputObject appends a tool call's arguments as a JSON object, the
// shape Anthropic wants: an object as it is, arguments written as a string
// parsed from it (anything but an object becomes {}), a freeform call's
// text as {"input": text}.
func (x *responseState) appendInputObject(dst []byte, p *formPart) []byte {
	switch {
	case p.Freeform && p.Input.IsString():
		dst = append(dst, `{"input":`...)
		dst = append(dst, p.Input...)
		return append(dst, '}')
	case p.Input.IsObject():
		return append(dst, p.Input...)
	case p.Input.IsString():
		x.scratch = jsonx.AppendUnescaped(x.scratch[:0], p.Input.Body())
		return append(dst, objectOrEmpty(jsonx.BytesString(x.scratch))...)
	}
	return append(dst, "{}"...)
}

// appendInputString appends a tool call's arguments as a JSON string
// holding JSON, the shape the OpenAI formats want: arguments given as a
// string as they are, an object compacted, a freeform call's text as the
// string of {"input": text}.
func appendInputString(dst []byte, p *formPart) []byte {
	switch {
	case p.Freeform && p.Input.IsString():
		dst = append(dst, `"{\"input\":`...)
		n := len(dst)
		// The token, quotes included, escaped once more; its own outer
		// quotes are then the ones written above and below.
		dst = jsonx.AppendAsString(dst, string(p.Input))
		dst = append(dst[:n], dst[n+1:len(dst)-1]...)
		return append(dst, `}"`...)
	case p.Input.IsString():
		return append(dst, p.Input...)
	case p.Input.IsObject():
		return jsonx.AppendAsString(dst, string(p.Input))
	}
	return append(dst, `"{}"`...)
}
