package jsonx

import "math/bits"

// SkipString returns the index just past the string starting at s[i], or
// -1 when it does not end. It does not validate: s is known to be valid
// JSON, or what the caller makes of it is not promised.
func SkipString(s string, i int) int {
	j := i + 1
	for {
		for j+8 <= len(s) {
			x := load8(s[j : j+8])
			q, b := x^('"'*ones), x^('\\'*ones)
			found := ((q-ones)&^q | (b-ones)&^b) & highs
			if found == 0 {
				j += 8
				continue
			}
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

// SkipValue returns the index just past the value starting at s[i], or -1
// when it does not end. Like SkipString it does not validate: nesting is
// followed by depth alone.
func SkipValue(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return SkipString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = SkipString(s, j)
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
