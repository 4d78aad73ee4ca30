package transformer

import (
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"
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
	return string(appendUnescaped(nil, b))
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
	end := scanString(s, i)
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
	end = scanValue(s, i)
	if end <= i {
		m.i = len(s)
		return "", "", false
	}
	m.i = end
	if strings.IndexByte(key, '\\') >= 0 {
		key = string(appendUnescaped(nil, key))
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
	end := scanValue(s, i)
	if end <= i {
		it.i = len(s)
		return "", false
	}
	it.i = end
	return jsonValue(s[i:end]), true
}

// Word-at-a-time search for the bytes that end or escape a string.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// scanString returns the index just past the string starting at s[i], or
// -1 when it does not end. It looks at eight bytes at a time for a quote or
// a backslash: code and tool output, the bulk of agent requests, have too
// many escapes for a search that stops at every quote.
func scanString(s string, i int) int {
	j := i + 1
	for {
		for j+8 <= len(s) {
			x := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
				uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
			q, b := x^('"'*ones), x^('\\'*ones)
			found := ((q-ones)&^q | (b-ones)&^b) & highs
			if found == 0 {
				j += 8
				continue
			}
			// The lowest flagged byte is exact; borrows only flag bytes
			// above it.
			j += bits.TrailingZeros64(found) >> 3
			break
		}
		for j < len(s) && s[j] != '"' && s[j] != '\\' {
			j++
		}
		if j >= len(s) {
			return -1
		}
		if s[j] == '"' {
			return j + 1
		}
		j += 2 // an escape: the byte after the backslash never ends the string
	}
}

// scanValue returns the index just past the value starting at s[i], or -1
// when it does not end. Nesting is tracked by depth only: the body is known
// to be valid, or its output is not promised.
func scanValue(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return scanString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = scanString(s, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	case ',', ':', '}', ']':
		return -1
	}
	j := i
	for j < len(s) {
		switch s[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return j
		}
		j++
	}
	return j
}

// appendUnescaped appends the value of s, the body of a JSON string, as
// gjson unescapes it, so that values compare the same either way.
func appendUnescaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		default:
			dst = append(dst, c)
			continue
		case c < ' ':
			return dst
		case c == '\\':
		}
		i++
		if i >= len(s) {
			return dst
		}
		switch s[i] {
		default:
			return dst
		case '\\', '/', '"':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+5 > len(s) {
				return dst
			}
			r := hexRune(s[i+1:])
			i += 5
			if r >= 0xD800 && r < 0xDC00 && len(s[i:]) >= 6 && s[i] == '\\' && s[i+1] == 'u' {
				if r2 := hexRune(s[i+2:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
			i--
		}
	}
	return dst
}

// hexRune reads four hex digits; anything else reads as 0, as gjson has
// it.
func hexRune(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0
		}
	}
	return r
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
