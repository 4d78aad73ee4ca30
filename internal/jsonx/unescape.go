package jsonx

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Unescape returns the value of s, the body of a JSON string, as
// AppendUnescaped gives it. Escapes are rare in keys and in most values, so
// s is returned as it is, without allocating, when it holds none.
func Unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	return string(AppendUnescaped(nil, s))
}

// AppendUnescaped appends the value of s, the body of a JSON string, as
// gjson unescapes it, so that values compare the same either way.
func AppendUnescaped(dst []byte, s string) []byte {
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
