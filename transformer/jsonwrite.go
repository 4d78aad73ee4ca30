package transformer

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// The converters build their output by appending JSON to a byte slice.
// Comma placement is derived from the output itself: a member or element
// needs a leading comma unless it is the first in its container, which is
// exactly when the last byte written is '{' or '['.

// appendKey appends `"key":`, preceded by a comma unless key is the first
// member of the object. key must not need escaping.
func appendKey(dst []byte, key string) []byte {
	dst = appendSep(dst)
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendSep appends the comma that separates an element from the one
// before it, if there is one.
func appendSep(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	return dst
}

// appendStringValue appends a gjson string value. A string's Raw is already
// a valid literal, so it is copied as it is instead of being unescaped and
// escaped again; any other value is written as its string form.
func appendStringValue(dst []byte, v gjson.Result) []byte {
	if v.Type == gjson.String && len(v.Raw) >= 2 && v.Raw[0] == '"' {
		return append(dst, v.Raw...)
	}
	return jsonx.AppendString(dst, v.String())
}

// appendStringBody appends the escaped body of a gjson string value (its Raw
// without the quotes), for joining several values into one literal.
func appendStringBody(dst []byte, v gjson.Result) []byte {
	if v.Type == gjson.String && len(v.Raw) >= 2 && v.Raw[0] == '"' {
		return append(dst, v.Raw[1:len(v.Raw)-1]...)
	}
	return jsonx.AppendEscaped(dst, v.String())
}

// appendValueString appends a request value as a JSON string literal: a
// string is copied as it is, escapes and all; any other value is written as
// its string form.
func appendValueString(dst []byte, v jsonx.Value) []byte {
	if v.IsString() {
		return append(dst, v...)
	}
	return jsonx.AppendString(dst, v.Text())
}

// appendValueBody appends the escaped body of a request value, like
// appendValueString without the quotes.
func appendValueBody(dst []byte, v jsonx.Value) []byte {
	if v.IsString() {
		return append(dst, v[1:len(v)-1]...)
	}
	return jsonx.AppendEscaped(dst, v.Text())
}

// hexDigits are the digits of \u escapes and of made-up ids.
const hexDigits = "0123456789abcdef"

// appendJSONAsString appends raw, a valid JSON value, compacted and encoded
// as a JSON string literal: the shape OpenAI wants for tool arguments.
// Whitespace outside strings is dropped in the same pass.
func appendJSONAsString(dst []byte, raw string) []byte {
	dst = append(dst, '"')
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		} else if c == '"' {
			inString = true
		} else if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			dst = append(dst, raw[start:i]...)
			start = i + 1
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', c)
			start = i + 1
		case c < 0x20:
			// Valid JSON has no raw control characters; escape them anyway
			// so that the output stays valid whatever came in.
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		}
	}
	dst = append(dst, raw[start:]...)
	return append(dst, '"')
}

// objectOrEmpty returns raw when it is a JSON object, else "{}": a tool's
// input must be an object on the Anthropic side, whatever arguments string
// an OpenAI model produced.
func objectOrEmpty(raw string) string {
	raw = strings.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || !jsonx.Valid(raw) {
		return "{}"
	}
	return raw
}

// appendInt appends n in decimal.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
