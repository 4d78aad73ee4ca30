package jsonx

// Bodies are written by appending JSON to a byte slice. Comma placement is
// derived from the output itself: a member or element needs a leading comma
// unless it is the first in its container, which is exactly when the last
// byte written is '{' or '['.

// AppendKey appends `"key":`, preceded by a comma unless key is the first
// member of the object. key must not need escaping.
func AppendKey(dst []byte, key string) []byte {
	dst = AppendSep(dst)
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// AppendSep appends the comma that separates an element from the one
// before it, if there is one.
func AppendSep(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	return dst
}

// AppendValueString appends v as a JSON string literal: a string is copied
// as it is, escapes and all; any other value is written as its Text.
func AppendValueString(dst []byte, v Value) []byte {
	if v.IsString() {
		return append(dst, v...)
	}
	return AppendString(dst, v.Text())
}

// AppendValueBody appends the escaped body of a value, like
// AppendValueString without the quotes.
func AppendValueBody(dst []byte, v Value) []byte {
	if v.IsString() {
		return append(dst, v[1:len(v)-1]...)
	}
	return AppendEscaped(dst, v.Text())
}

// AppendAsString appends raw, a valid JSON value, compacted and encoded
// as a JSON string literal: the shape OpenAI wants for tool arguments.
// Whitespace outside strings is dropped in the same pass.
func AppendAsString(dst []byte, raw string) []byte {
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
