package jsonx

import (
	"strconv"
	"unsafe"
)

// Value is one JSON value as it is written in a body: a string keeps its
// quotes and escapes, a container its members and whitespace. The empty
// Value is an absent one. Values are cut out of bodies already known to be
// valid JSON; on anything else the readers below stop early, and never
// panic.
//
// Most values of an agent's conversation are copied through as they are,
// so a Value is unescaped only where it is compared or measured; that saves
// the allocation gjson makes for every string it hands out.
type Value string

// IsString reports whether v is a string.
func (v Value) IsString() bool { return len(v) >= 2 && v[0] == '"' }

// IsObject reports whether v is an object.
func (v Value) IsObject() bool { return len(v) > 0 && v[0] == '{' }

// IsArray reports whether v is an array.
func (v Value) IsArray() bool { return len(v) > 0 && v[0] == '[' }

// IsTrue reports whether v is the literal true.
func (v Value) IsTrue() bool { return v == "true" }

// IsFalse reports whether v is the literal false.
func (v Value) IsFalse() bool { return v == "false" }

// IsBool reports whether v is true or false.
func (v Value) IsBool() bool { return v == "true" || v == "false" }

// IsNumber reports whether v is a number.
func (v Value) IsNumber() bool { return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') }

// Body returns a string's text between its quotes, escapes and all, and ""
// for any other value.
func (v Value) Body() string {
	if !v.IsString() {
		return ""
	}
	return string(v[1 : len(v)-1])
}

// Str returns a string's value, unescaped, and "" for any other value. It
// allocates only when there are escapes.
func (v Value) Str() string {
	return Unescape(v.Body())
}

// Text returns v in the string form gjson gives any value: a string
// unescaped, true or false as written, an object or array raw, "" for null,
// and a number as written when it is an integer, else as strconv formats
// its float64 value.
func (v Value) Text() string {
	switch {
	case v.IsString():
		return v.Str()
	case v == "null":
		return ""
	case v.IsNumber():
		i := 0
		if v[0] == '-' {
			i++
		}
		for ; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				f, _ := strconv.ParseFloat(string(v), 64)
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
	}
	return string(v)
}

// HasText reports whether v.Text() is not empty, without unescaping: a
// non-empty string body never unescapes to nothing.
func (v Value) HasText() bool { return v != "" && v != "null" && v != `""` }

// BlankText reports whether v.Text() holds only JSON whitespace. It
// unescapes only a string whose first byte past leading whitespace is an
// escape.
func (v Value) BlankText() bool {
	if !v.IsString() {
		return v == "" || v == "null"
	}
	b := v.Body()
	if i := SkipSpace(b, 0); i < len(b) && b[i] != '\\' {
		return false
	}
	return Blank(v.Str())
}

// Get returns the value of the first member named key of an object, as
// gjson's Get does with a plain key, or the absent value.
func (v Value) Get(key string) Value {
	it := v.Members()
	for k, x, ok := it.Next(); ok; k, x, ok = it.Next() {
		if k == key {
			return x
		}
	}
	return ""
}

// ObjectIter iterates over the members of an object without validating
// them. Keys come unescaped (allocating only when they hold an escape),
// values as written. Malformed input ends the iteration.
type ObjectIter struct {
	s string
	i int
}

// Members returns an iterator over the members of v; anything but an
// object has none.
func (v Value) Members() ObjectIter {
	if !v.IsObject() {
		return ObjectIter{}
	}
	return ObjectIter{s: string(v), i: 1}
}

// Object returns an iterator over the members of s, an object that may be
// surrounded by whitespace, as an upstream's event is; ok is false when s
// is not an object.
func Object(s string) (it ObjectIter, ok bool) {
	i := SkipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return ObjectIter{}, false
	}
	return ObjectIter{s: s, i: i + 1}, true
}

// Next returns the next member, or ok false when there is none left.
func (m *ObjectIter) Next() (key string, val Value, ok bool) {
	s, i := m.s, SkipSpace(m.s, m.i)
	if i < len(s) && s[i] == ',' {
		i = SkipSpace(s, i+1)
	}
	if i >= len(s) || s[i] != '"' {
		m.i = len(s)
		return "", "", false
	}
	// Keys are short and seldom escaped: a byte loop finds their end and
	// tells whether they need unescaping in the same pass.
	end := i + 1
	for end < len(s) && s[end] != '"' && s[end] != '\\' {
		end++
	}
	if end < len(s) && s[end] == '"' {
		key = s[i+1 : end]
		end++
	} else if end = SkipString(s, i); end < 0 {
		m.i = len(s)
		return "", "", false
	} else {
		key = Unescape(s[i+1 : end-1])
	}
	i = SkipSpace(s, end)
	if i >= len(s) || s[i] != ':' {
		m.i = len(s)
		return "", "", false
	}
	i = SkipSpace(s, i+1)
	end = SkipValue(s, i)
	if end <= i {
		m.i = len(s)
		return "", "", false
	}
	m.i = end
	return key, Value(s[i:end]), true
}

// ValueIter iterates the way gjson's ForEach does: over the elements of an
// array, the member values of an object, or a lone other value itself.
type ValueIter struct {
	obj    ObjectIter
	s      string // the array
	i      int
	single Value
	isObj  bool
}

// Values returns an iterator over the values v holds, as gjson's ForEach
// visits them.
func (v Value) Values() ValueIter {
	switch {
	case v.IsArray():
		return ValueIter{s: string(v), i: 1}
	case v.IsObject():
		return ValueIter{obj: v.Members(), isObj: true}
	}
	return ValueIter{single: v}
}

// Array returns an iterator over the elements of s, an array that may be
// surrounded by whitespace; ok is false when s is not an array.
func Array(s string) (it ValueIter, ok bool) {
	i := SkipSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		return ValueIter{}, false
	}
	return ValueIter{s: s, i: i + 1}, true
}

// Next returns the next value, or ok false when there is none left.
func (it *ValueIter) Next() (Value, bool) {
	if it.single != "" {
		v := it.single
		it.single = ""
		return v, true
	}
	if it.isObj {
		_, x, ok := it.obj.Next()
		return x, ok
	}
	s, i := it.s, SkipSpace(it.s, it.i)
	if i < len(s) && s[i] == ',' {
		i = SkipSpace(s, i+1)
	}
	if i >= len(s) || s[i] == ']' {
		it.i = len(s)
		return "", false
	}
	end := SkipValue(s, i)
	if end <= i {
		it.i = len(s)
		return "", false
	}
	it.i = end
	return Value(s[i:end]), true
}

// SkipSpace returns the index of the first byte at or after s[i] that is
// not JSON whitespace.
func SkipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// TrimSpace returns s without its leading and trailing JSON whitespace.
func TrimSpace(s string) string {
	s = s[SkipSpace(s, 0):]
	for len(s) > 0 {
		switch s[len(s)-1] {
		case ' ', '\t', '\n', '\r':
			s = s[:len(s)-1]
			continue
		}
		break
	}
	return s
}

// Blank reports whether s holds only JSON whitespace.
func Blank(s string) bool { return SkipSpace(s, 0) == len(s) }

// BytesString views b as a string without copying. b must not change while
// the string, or anything cut from it, is in use: a body read through it
// is never modified, and a reused buffer's views are cloned before they
// outlive it.
func BytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// StringBytes views s as bytes without copying, for reading only.
func StringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
