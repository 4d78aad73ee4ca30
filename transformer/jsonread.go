package transformer

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// The request converters read the body as jsonValues: raw tokens cut out of
// a body already known to be valid JSON. gjson unescapes every string it
// hands out, which allocates for nearly every text block and tool argument
// of a real conversation, while the converters mostly copy strings through
// as they are; a jsonValue is unescaped only where its value is compared or
// measured. The readers below gather the members of one object in a single
// pass, so no object is scanned twice for the keys it holds.

// jsonValue is one JSON value as it appears in a request body: a string
// keeps its quotes and escapes. The empty jsonValue is an absent one.
type jsonValue string

func (v jsonValue) isString() bool { return len(v) >= 2 && v[0] == '"' }
func (v jsonValue) isObject() bool { return len(v) > 0 && v[0] == '{' }
func (v jsonValue) isArray() bool  { return len(v) > 0 && v[0] == '[' }
func (v jsonValue) isTrue() bool   { return v == "true" }
func (v jsonValue) isFalse() bool  { return v == "false" }
func (v jsonValue) isBool() bool   { return v == "true" || v == "false" }
func (v jsonValue) isNumber() bool { return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') }

// body returns a string's text between its quotes, escapes and all.
func (v jsonValue) body() string {
	if !v.isString() {
		return ""
	}
	return string(v[1 : len(v)-1])
}

// str returns a string's value, unescaped, and "" for any other value. It
// allocates only when there are escapes.
func (v jsonValue) str() string {
	b := v.body()
	if strings.IndexByte(b, '\\') < 0 {
		return b
	}
	return string(jsonx.AppendUnescaped(nil, b))
}

// text returns v in the string form gjson gives any value: a string
// unescaped, a number, true or false as written, an object or array raw, ""
// for null.
func (v jsonValue) text() string {
	switch {
	case v.isString():
		return v.str()
	case v == "null":
		return ""
	case v.isNumber():
		return v.result().String()
	}
	return string(v)
}

// hasText reports whether v.text() is not empty, without unescaping: a
// non-empty string body never unescapes to nothing.
func (v jsonValue) hasText() bool { return v != "" && v != "null" && v != `""` }

// blankText reports whether v.text() holds only whitespace, which
// Anthropic rejects in text blocks. It unescapes only a string that starts
// with an escape.
func (v jsonValue) blankText() bool {
	if !v.isString() {
		return v == "" || v == "null"
	}
	b := v.body()
	if i := skipRawSpace(b, 0); i < len(b) && b[i] != '\\' {
		return false
	}
	return isBlank(v.str())
}

// result returns v as gjson parses it, for the rare reads (numbers, nested
// paths of settings) that are simplest with gjson.
func (v jsonValue) result() gjson.Result { return gjson.Parse(string(v)) }

// get returns the value of the first member named key of an object, as
// gjson's Get does, or the absent value.
func (v jsonValue) get(key string) jsonValue {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		if k == key {
			return x
		}
	}
	return ""
}

// memberIter iterates over the members of an object, with keys unescaped.
// Anything but an object has none; malformed input ends the iteration.
type memberIter struct {
	s string
	i int
}

func members(v jsonValue) memberIter {
	if !v.isObject() {
		return memberIter{}
	}
	return memberIter{s: string(v), i: 1}
}

func (m *memberIter) next() (key string, val jsonValue, ok bool) {
	s, i := m.s, skipRawSpace(m.s, m.i)
	if i < len(s) && s[i] == ',' {
		i = skipRawSpace(s, i+1)
	}
	if i >= len(s) || s[i] != '"' {
		m.i = len(s)
		return "", "", false
	}
	end := jsonx.SkipString(s, i)
	if end < 0 {
		m.i = len(s)
		return "", "", false
	}
	key = s[i+1 : end-1]
	i = skipRawSpace(s, end)
	if i >= len(s) || s[i] != ':' {
		m.i = len(s)
		return "", "", false
	}
	i = skipRawSpace(s, i+1)
	end = jsonx.SkipValue(s, i)
	if end <= i {
		m.i = len(s)
		return "", "", false
	}
	m.i = end
	if strings.IndexByte(key, '\\') >= 0 {
		key = string(jsonx.AppendUnescaped(nil, key))
	}
	return key, jsonValue(s[i:end]), true
}

// valueIter iterates the way gjson's ForEach does: over the elements of an
// array, the member values of an object, or a lone other value itself.
type valueIter struct {
	obj    memberIter
	s      string // the array
	i      int
	single jsonValue
	isObj  bool
}

func values(v jsonValue) valueIter {
	switch {
	case v.isArray():
		return valueIter{s: string(v), i: 1}
	case v.isObject():
		return valueIter{obj: members(v), isObj: true}
	}
	return valueIter{single: v}
}

func (it *valueIter) next() (jsonValue, bool) {
	if it.single != "" {
		v := it.single
		it.single = ""
		return v, true
	}
	if it.isObj {
		_, x, ok := it.obj.next()
		return x, ok
	}
	s, i := it.s, skipRawSpace(it.s, it.i)
	if i < len(s) && s[i] == ',' {
		i = skipRawSpace(s, i+1)
	}
	if i >= len(s) || s[i] == ']' {
		it.i = len(s)
		return "", false
	}
	end := jsonx.SkipValue(s, i)
	if end <= i {
		it.i = len(s)
		return "", false
	}
	it.i = end
	return jsonValue(s[i:end]), true
}

// contentBlock is an Anthropic content block read with gjson, for replies.
type contentBlock struct {
	typ, role string
	isError   bool
	text, thinking, id, name, input,
	content, source, title, toolUseID gjson.Result
}

func (b *contentBlock) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			b.typ = x.Str
		case "role":
			b.role = x.Str
		case "text":
			b.text = x
		case "thinking":
			b.thinking = x
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
			b.isError = x.Type == gjson.True
		}
		return true
	})
}

// anthropicBlock is an Anthropic message or content block of a request.
type anthropicBlock struct {
	typ, role string
	isError   bool
	text, thinking, id, name, input,
	content, source, title, toolUseID jsonValue
}

func (b *anthropicBlock) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			b.typ = x.str()
		case "role":
			b.role = x.str()
		case "text":
			b.text = x
		case "thinking":
			b.thinking = x
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
		}
	}
}

// sourceBlock is the source of an Anthropic image or document.
type sourceBlock struct {
	typ                           string
	mediaType, data, url, content jsonValue
}

func (s *sourceBlock) read(v jsonValue) {
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
		}
	}
}

// toolDef is a tool definition in either format, or an OpenAI function.
type toolDef struct {
	typ                                   string
	name, description, schema, strict, fn jsonValue
	arguments                             jsonValue
}

func (t *toolDef) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			t.typ = x.str()
		case "name":
			t.name = x
		case "description":
			t.description = x
		case "input_schema", "parameters":
			t.schema = x
		case "strict":
			t.strict = x
		case "function":
			t.fn = x
		case "arguments":
			t.arguments = x
		}
	}
}

// openAIMessage is an OpenAI message.
type openAIMessage struct {
	role                                     string
	content, toolCalls, functionCall, callID jsonValue
}

func (m *openAIMessage) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "role":
			m.role = x.str()
		case "content":
			m.content = x
		case "tool_calls":
			m.toolCalls = x
		case "function_call":
			m.functionCall = x
		case "tool_call_id":
			m.callID = x
		}
	}
}

// openAIPart is an OpenAI content part, or a tool call.
type openAIPart struct {
	typ                               string
	text, refusal, imageURL, file, id jsonValue
	function                          jsonValue
}

func (p *openAIPart) read(v jsonValue) {
	it := members(v)
	for k, x, ok := it.next(); ok; k, x, ok = it.next() {
		switch k {
		case "type":
			p.typ = x.str()
		case "text":
			p.text = x
		case "refusal":
			p.refusal = x
		case "image_url":
			p.imageURL = x
		case "file":
			p.file = x
		case "id":
			p.id = x
		case "function":
			p.function = x
		}
	}
}
