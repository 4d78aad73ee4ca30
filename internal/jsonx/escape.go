package jsonx

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// plain marks the bytes a JSON string body holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s as a JSON string literal. Unlike
// strconv.AppendQuote it gives valid JSON for every input: invalid UTF-8
// becomes U+FFFD, and U+2028 and U+2029 are escaped, as encoding/json does.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, false)
	return append(dst, '"')
}

// AppendEscaped appends the body of the JSON string literal for s, without
// the quotes, so that several pieces can be joined into one string.
func AppendEscaped(dst []byte, s string) []byte { return appendEscaped(dst, s, false) }

// AppendToken appends raw, a JSON string token taken from a peer's body
// (quotes included), as a valid JSON string literal. A well-formed token is
// copied as it is, escapes and all, which saves unescaping it and escaping
// it again; whatever is malformed in it (raw control characters, bad
// escapes, invalid UTF-8) is repaired on the way.
func AppendToken(dst []byte, raw string) []byte {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, raw, true)
	return append(dst, '"')
}

// AppendTokenBody is AppendToken for the body of a token, without the
// quotes on either side.
func AppendTokenBody(dst []byte, body string) []byte { return appendEscaped(dst, body, true) }

// appendEscaped appends the body of a JSON string literal for s. With token
// set, s is the body of a JSON string and its valid escape sequences are
// kept; otherwise every backslash is literal.
func appendEscaped(dst []byte, s string, token bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch {
		case c == '\\':
			if n := EscapeLen(s[i:]); token && n > 0 {
				dst = append(dst, s[i:i+n]...)
				i += n
			} else {
				dst = append(dst, '\\', '\\')
				i++
			}
		case c == '"':
			dst = append(dst, '\\', '"')
			i++
		case c < 0x20:
			switch c {
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			default:
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
		start = i
	}
	return append(dst, s[start:]...)
}

// EscapeLen returns the length of the JSON escape sequence s starts with,
// or 0 when it is not one.
func EscapeLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) < 6 || !isHex(s[2]) || !isHex(s[3]) || !isHex(s[4]) || !isHex(s[5]) {
			return 0
		}
		return 6
	}
	return 0
}
