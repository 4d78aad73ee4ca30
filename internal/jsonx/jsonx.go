// Package jsonx is routex's one JSON toolkit: it reads request and
// response bodies without decoding them and writes them by appending.
//
// For reading, there is a validator that walks the top level of an object
// in the same pass (Members), fast skips over values already known to be
// valid (SkipString, SkipValue), and Value, a raw token cut out of such a
// body, with its iterators (Value.Members, Value.Values, Object, Array) and
// unescaping (Unescape, AppendUnescaped). For writing, there are the string
// escapers (AppendString, AppendEscaped, AppendToken) and the comma-placing
// appends (AppendKey, AppendSep).
//
// Bodies of coding agents are mostly long strings (code, tool output), so
// every scan looks at eight bytes at a time for the few bytes that matter
// inside a string. Nesting is followed with an explicit stack, never by
// recursion, so no input can exhaust the goroutine stack.
package jsonx

import (
	"errors"
	"math/bits"
	"strconv"
)

// MaxDepth is the deepest nesting of objects and arrays the validator
// accepts, as encoding/json does.
const MaxDepth = 10000

// SyntaxError tells where a body stops being valid JSON.
type SyntaxError struct {
	Offset int // byte offset of the first byte that does not fit
	msg    string
}

func (e *SyntaxError) Error() string {
	return e.msg + " at byte " + strconv.Itoa(e.Offset)
}

// Valid reports whether s is one valid JSON value, surrounded by nothing
// but whitespace.
func Valid(s string) bool {
	var sc scanner
	sc.s = s
	i := sc.value(SkipSpace(s, 0))
	return i >= 0 && SkipSpace(s, i) == len(s)
}

// ValidBytes is Valid for a byte slice.
func ValidBytes(b []byte) bool { return Valid(BytesString(b)) }

// MemberIter validates one JSON object while iterating over its top-level
// members. Every value is validated as Next passes it; Err reports the
// first error, including trailing data after the object.
//
//	m := jsonx.Members(body)
//	for m.Next() {
//		use(m.Key(), m.Value())
//	}
//	if err := m.Err(); err != nil { ... }
type MemberIter struct {
	sc       scanner
	i        int
	started  bool
	key, val string
	err      error
}

// Members returns an iterator over the members of the object s. When s is
// not an object, Next returns false and Err returns ErrNotObject if s is
// some other valid JSON value, a *SyntaxError if it is not JSON.
func Members(s string) MemberIter {
	return MemberIter{sc: scanner{s: s}}
}

// WatchEmpty makes the iterator look, at every depth, for a member named
// key (written without escapes) whose value is the empty string;
// FoundEmpty reports the answer once the iteration is over.
func (m *MemberIter) WatchEmpty(key string) { m.sc.watch = key }

// FoundEmpty reports whether a member named by WatchEmpty had the value "".
// It is complete only after Next has returned false with no error.
func (m *MemberIter) FoundEmpty() bool { return m.sc.found }

// ErrNotObject is the error of a body that is valid JSON but not an object.
var ErrNotObject = errors.New("the value is not an object")

// Next moves to the next member, and reports whether there is one.
func (m *MemberIter) Next() bool {
	if m.err != nil {
		return false
	}
	s := m.sc.s
	i := SkipSpace(s, m.i)
	if !m.started {
		m.started = true
		if i >= len(s) || s[i] != '{' {
			if Valid(s) {
				m.err = ErrNotObject
			} else {
				m.err = m.sc.errorAt(i, "expected an object")
			}
			return false
		}
		i = SkipSpace(s, i+1)
		if i < len(s) && s[i] == '}' {
			return m.end(i + 1)
		}
	} else {
		if i < len(s) && s[i] == '}' {
			return m.end(i + 1)
		}
		if i >= len(s) || s[i] != ',' {
			m.err = m.sc.errorAt(i, "expected ',' or '}' after an object member")
			return false
		}
		i = SkipSpace(s, i+1)
	}
	k, i := m.sc.key(i)
	if i < 0 {
		m.err = m.sc.err
		return false
	}
	end := m.sc.value(i)
	if end < 0 {
		m.err = m.sc.err
		return false
	}
	m.key, m.val, m.i = k, s[i:end], end
	return true
}

func (m *MemberIter) end(i int) bool {
	if j := SkipSpace(m.sc.s, i); j != len(m.sc.s) {
		m.err = m.sc.errorAt(j, "unexpected data after the top-level value")
	}
	m.key, m.val, m.i = "", "", len(m.sc.s)
	return false
}

// Key returns the current member's key, as written between its quotes
// (escapes are left as they are).
func (m *MemberIter) Key() string { return m.key }

// Value returns the current member's value as written.
func (m *MemberIter) Value() string { return m.val }

// Err returns the first error met, or nil.
func (m *MemberIter) Err() error { return m.err }

// scanner validates one value at a time.
type scanner struct {
	s     string
	watch string // a key to look for with an empty string value
	found bool
	err   error
	inl   [64]byte // the open containers, while they fit
}

func (sc *scanner) errorAt(i int, msg string) *SyntaxError {
	if i >= len(sc.s) {
		msg = "unexpected end of JSON input"
		i = len(sc.s)
	}
	e := &SyntaxError{Offset: i, msg: msg}
	sc.err = e
	return e
}

// key reads `"name" :` starting at s[i] and returns the name between its
// quotes and the index of the value after the colon, or -1.
func (sc *scanner) key(i int) (string, int) {
	s := sc.s
	if i >= len(s) || s[i] != '"' {
		sc.errorAt(i, "expected a string for an object key")
		return "", -1
	}
	end := sc.str(i)
	if end < 0 {
		return "", -1
	}
	k := s[i+1 : end-1]
	j := SkipSpace(s, end)
	if j >= len(s) || s[j] != ':' {
		sc.errorAt(j, "expected ':' after an object key")
		return "", -1
	}
	j = SkipSpace(s, j+1)
	if sc.watch != "" && len(k) == len(sc.watch) && k == sc.watch &&
		j+1 < len(s) && s[j] == '"' && s[j+1] == '"' {
		sc.found = true
	}
	return k, j
}

// value validates the value starting at s[i] and returns the index just
// past it, or -1 with sc.err set.
func (sc *scanner) value(i int) int {
	s := sc.s
	stack := sc.inl[:0]
	for {
		// A value is expected at s[i].
		if i >= len(s) {
			sc.errorAt(i, "")
			return -1
		}
		switch c := s[i]; {
		case c == '"':
			if i = sc.str(i); i < 0 {
				return -1
			}
		case c == '{' || c == '[':
			if len(stack) >= MaxDepth {
				sc.errorAt(i, "nesting too deep")
				return -1
			}
			j := SkipSpace(s, i+1)
			if j < len(s) && s[j] == c+2 { // '}' is '{'+2, ']' is '['+2
				i = j + 1
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if _, i = sc.key(j); i < 0 {
					return -1
				}
			} else {
				i = j
			}
			continue
		case c == 't':
			if i = sc.literal(i, "true"); i < 0 {
				return -1
			}
		case c == 'f':
			if i = sc.literal(i, "false"); i < 0 {
				return -1
			}
		case c == 'n':
			if i = sc.literal(i, "null"); i < 0 {
				return -1
			}
		case c == '-' || c >= '0' && c <= '9':
			if i = sc.number(i); i < 0 {
				return -1
			}
		default:
			sc.errorAt(i, "invalid character "+strconv.QuoteRune(rune(c))+" looking for a value")
			return -1
		}
		// A value ended at i: close what it ends, or go to the next one.
		for {
			if len(stack) == 0 {
				return i
			}
			i = SkipSpace(s, i)
			if i >= len(s) {
				sc.errorAt(i, "")
				return -1
			}
			open := stack[len(stack)-1]
			if s[i] == open+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if s[i] != ',' {
				if open == '{' {
					sc.errorAt(i, "expected ',' or '}' after an object member")
				} else {
					sc.errorAt(i, "expected ',' or ']' after an array element")
				}
				return -1
			}
			i = SkipSpace(s, i+1)
			if open == '{' {
				if _, i = sc.key(i); i < 0 {
					return -1
				}
			}
			break
		}
	}
}

func (sc *scanner) literal(i int, lit string) int {
	if len(sc.s)-i < len(lit) || sc.s[i:i+len(lit)] != lit {
		sc.errorAt(i, "invalid literal")
		return -1
	}
	return i + len(lit)
}

// number validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *scanner) number(i int) int {
	s := sc.s
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i+1)
	default:
		sc.errorAt(i, "invalid number")
		return -1
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			sc.errorAt(j, "invalid number: no digits after '.'")
			return -1
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			sc.errorAt(j, "invalid number: no digits in the exponent")
			return -1
		}
		i = j
	}
	return i
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// Word-at-a-time search for the bytes that matter in a string.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load8 reads the first eight bytes of s as one little-endian word.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// str validates the string starting at s[i] and returns the index just past
// its closing quote, or -1.
func (sc *scanner) str(i int) int {
	s := sc.s
	j := i + 1
	for {
		// Find the next quote, backslash or control byte.
		for {
			if j+8 > len(s) {
				for j < len(s) && s[j] != '"' && s[j] != '\\' && s[j] >= ' ' {
					j++
				}
				break
			}
			x := load8(s[j : j+8])
			q, b := x^('"'*ones), x^('\\'*ones)
			// The lowest flagged byte is exact; borrows only flag bytes
			// above it.
			if found := ((q-ones)&^q | (b-ones)&^b | (x-' '*ones)&^x) & highs; found != 0 {
				j += bits.TrailingZeros64(found) >> 3
				break
			}
			j += 8
		}
		if j >= len(s) {
			sc.errorAt(j, "")
			return -1
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1
		case c < ' ':
			sc.errorAt(j, "invalid control character in a string")
			return -1
		}
		// A backslash.
		if j+1 >= len(s) {
			sc.errorAt(j+1, "")
			return -1
		}
		switch s[j+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			j += 2
		case 'u':
			if len(s)-j < 6 || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) || !isHex(s[j+5]) {
				sc.errorAt(j, `invalid \u escape`)
				return -1
			}
			j += 6
		default:
			sc.errorAt(j, "invalid escape in a string")
			return -1
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
