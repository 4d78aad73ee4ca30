// Package tokens estimates how many tokens a byte-pair-encoding tokenizer
// such as OpenAI's o200k_base produces for a text, fast enough to run on
// every request.
//
// A BPE tokenizer works in two steps: a regular expression splits the text
// into pieces (words with their leading space, numbers of up to three digits,
// runs of punctuation, runs of whitespace), and then each piece is encoded
// with byte-pair merges from a vocabulary of about 200,000 entries. The
// estimator reproduces the first step exactly, in one pass over the bytes,
// and replaces the second with the expected number of tokens for a
// piece of that shape: most pieces are one token, and the expectation grows
// with the length of a word, its capitalisation, the character that joins it
// to what precedes it, and how common its letter pairs are in text the
// vocabulary was built from.
//
// On English prose, source code and JSON the estimate is usually within 5%
// of o200k_base and rarely more than 10% off for a text of a kilobyte or
// more. Text in other languages is estimated less closely (CJK at about one
// token per character), and so are random strings such as base64.
package tokens

import "unicode"

// Estimate returns an estimate of the number of BPE tokens (o200k-like) in
// text. It takes time linear in len(text), does not allocate, and is safe
// for concurrent use. Invalid UTF-8 is counted, never rejected; the result
// is 0 for empty text and never more than len(text).
func Estimate(text []byte) int { return estimate(text) }

// EstimateString is Estimate for a string, without converting it to a byte
// slice.
func EstimateString(s string) int { return estimate(s) }

// Estimator counts tokens with Estimate. Its zero value is ready to use and
// safe for concurrent use.
type Estimator struct{}

// CountTokens returns Estimate(text).
func (Estimator) CountTokens(text []byte) int { return estimate(text) }

// Character classes, as the tokenizer's pattern sees them. Letters are split
// three ways because a word is `Upper* Lower+` or `Upper+ Lower*`, so
// "camelCase" is two words while "HTTPServer" and "Hello" are one each.
const (
	cPunct   uint8 = iota // neither letter, digit nor whitespace
	cLower                // lowercase letter
	cUpper                // uppercase or titlecase letter
	cBoth                 // letter without case (CJK, kana, modifiers): either side of a word
	cMark                 // combining mark: a letter in words, punctuation in punctuation runs
	cDigit                // any numeric character
	cSpace                // whitespace other than \r and \n
	cNewline              // \r or \n
	cHigh                 // leading byte of a multi-byte sequence, or an invalid byte
)

var class = func() (t [256]uint8) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = cHigh
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = cUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	t[' '], t['\t'], t['\v'], t['\f'] = cSpace, cSpace, cSpace, cSpace
	t['\r'], t['\n'] = cNewline, cNewline
	return t
}()

// jsonPunct marks the characters of JSON structure. Runs made of them alone
// (`":"`, `"},{"`) are far more often single tokens than other punctuation.
var jsonPunct = [128]bool{'"': true, ':': true, ',': true, '{': true, '}': true, '[': true, ']': true}

// isLetter reports whether class k may be part of a word.
func isLetter(k uint8) bool { return k >= cLower && k <= cMark }

// classAt returns the class and width of the character at s[i].
func classAt[T ~[]byte | ~string](s T, i int) (uint8, int) {
	if k := class[s[i]]; k != cHigh {
		return k, 1
	}
	return classRune(s, i)
}

// classRune classifies the multi-byte character at s[i]. An invalid byte is
// punctuation one byte wide, as U+FFFD is to the tokenizer's pattern.
func classRune[T ~[]byte | ~string](s T, i int) (uint8, int) {
	r, w := decode(s, i)
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA, r >= 0xAC00 && r <= 0xD7A3:
		return cBoth, w // the common CJK, kana and Hangul blocks, without a table search
	case r == 0x85 || r == 0xA0 || r == 0x1680 || r >= 0x2000 && r <= 0x200A ||
		r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000:
		return cSpace, w
	case unicode.IsLower(r):
		return cLower, w
	case unicode.IsUpper(r), unicode.IsTitle(r):
		return cUpper, w
	case unicode.IsLetter(r):
		return cBoth, w
	case unicode.Is(unicode.M, r):
		return cMark, w
	case unicode.IsNumber(r):
		return cDigit, w
	}
	return cPunct, w
}

// decode is utf8.DecodeRune for byte slices and strings alike.
func decode[T ~[]byte | ~string](s T, i int) (rune, int) {
	const bad = 0xFFFD
	n := len(s) - i
	c0 := s[i]
	switch {
	case c0 < 0xC2 || c0 > 0xF4 || n < 2:
		return bad, 1
	case c0 < 0xE0:
		c1 := s[i+1]
		if c1&0xC0 != 0x80 {
			return bad, 1
		}
		return rune(c0&0x1F)<<6 | rune(c1&0x3F), 2
	case c0 < 0xF0:
		if n < 3 {
			return bad, 1
		}
		c1, c2 := s[i+1], s[i+2]
		if c1&0xC0 != 0x80 || c2&0xC0 != 0x80 {
			return bad, 1
		}
		r := rune(c0&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
		if r < 0x800 || r >= 0xD800 && r <= 0xDFFF {
			return bad, 1
		}
		return r, 3
	default:
		if n < 4 {
			return bad, 1
		}
		c1, c2, c3 := s[i+1], s[i+2], s[i+3]
		if c1&0xC0 != 0x80 || c2&0xC0 != 0x80 || c3&0xC0 != 0x80 {
			return bad, 1
		}
		r := rune(c0&0x07)<<18 | rune(c1&0x3F)<<12 | rune(c2&0x3F)<<6 | rune(c3&0x3F)
		if r < 0x10000 || r > 0x10FFFF {
			return bad, 1
		}
		return r, 4
	}
}

// What joins a word to the text before it, which selects a row of
// wordCosts. The pattern lets one character that is not a letter, digit or
// line break lead a word, and that character changes how likely the word is
// to be a single token.
const (
	joinNone  = iota // follows a letter, digit or longer punctuation run
	joinSpace        // " word"
	joinCode         // "_word", ".word", "(word", "[word", "\tword"
	joinStart        // at the start of the text or a line, or just inside a quote
	joinOther        // any other leading character
)

// joinOf returns how the character c joins the word it leads.
func joinOf(c byte) int {
	switch c {
	case ' ':
		return joinSpace
	case '_', '.', '(', '[', '\t':
		return joinCode
	}
	return joinOther
}

// estimate walks the pieces the tokenizer's pattern would produce,
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// and adds up their expected token counts in units of 1/256 token.
func estimate[T ~[]byte | ~string](s T) int {
	n := len(s)
	sum := 0
	for i := 0; i < n; {
		// The ascii functions scan the common pieces of ASCII text and
		// return an end of 0 when they meet a non-ASCII byte or a
		// contraction that could change the piece; piece then handles it
		// in full.
		var end, cost int
		switch c := s[i]; class[c] {
		case cLower, cUpper:
			join := joinNone
			if i == 0 || startsText(s[i-1]) {
				join = joinStart
			}
			end, cost = asciiWord(s, i, join)
		case cSpace:
			if i+1 < n && s[i+1]|0x20-'a' < 26 {
				end, cost = asciiWord(s, i+1, joinOf(c))
			} else {
				end, cost = asciiSpace(s, i)
			}
		case cPunct:
			if i+1 < n && s[i+1]|0x20-'a' < 26 {
				end, cost = asciiWord(s, i+1, joinOf(c))
			} else {
				end, cost = asciiPunct(s, i, i)
			}
		case cNewline:
			end, cost = newlines(s, i, i)
		case cDigit:
			end, cost = asciiDigits(s, i)
		}
		if end <= i {
			end, cost = piece(s, i)
		}
		// No piece has more tokens than bytes, however rare its letters.
		cost = min(cost, (end-i)*unit)
		sum += cost
		i = end
	}
	return (sum + unit/2) / unit
}

// asciiWord scans a word of ASCII letters starting at j, joined by join to
// the text before it, and returns its end and cost.
func asciiWord[T ~[]byte | ~string](s T, j, join int) (end, cost int) {
	n := len(s)
	// Letter pairs index bigram by the low five bits of each letter, which
	// fold case; prev holds the previous letter's bits shifted into place,
	// 0 before the first.
	start, pairs, prev := j, 0, uint(0)
	for ; j < n; j++ {
		c := s[j]
		if c-'A' >= 26 {
			break
		}
		pairs += int(bigram[(prev|uint(c&31))&1023])
		prev = uint(c&31) << 5
	}
	upper := j - start
	for ; j < n; j++ {
		c := s[j]
		if c-'a' >= 26 {
			break
		}
		pairs += int(bigram[(prev|uint(c&31))&1023])
		prev = uint(c&31) << 5
	}
	if j < n && (s[j] >= 0x80 || s[j] == '\'' && contraction(s, j) > j) {
		return 0, 0 // letters with accents, or a contraction
	}
	l := j - start
	return j, max(wordBase(join, upper, l)+pairs, unit/2)
}

// asciiPunct scans a punctuation run starting at p, led by a space at i if
// p > i, and returns its end and cost.
func asciiPunct[T ~[]byte | ~string](s T, i, p int) (end, cost int) {
	n := len(s)
	j := p
	first := s[p]
	repeated, json := true, true
	for ; j < n; j++ {
		c := s[j]
		if class[c] != cPunct {
			break
		}
		repeated = repeated && c == first
		json = json && jsonPunct[c&127]
	}
	if j < n && s[j] >= 0x80 {
		return 0, 0 // symbols and marks continue the run
	}
	core := j - p
	nl, slash := 0, 0
	for ; j < n; j++ {
		if c := s[j]; c == '\n' || c == '\r' {
			nl = 1
		} else if c == '/' {
			slash = 1
		} else {
			break
		}
	}
	return j, punctCost(p-i, core, nl, slash, repeated, json)
}

// asciiSpace scans the piece starting with the whitespace character at i:
// a word or punctuation run that it leads, or whitespace.
func asciiSpace[T ~[]byte | ~string](s T, i int) (end, cost int) {
	n := len(s)
	c := s[i]
	if i+1 == n {
		return n, unit
	}
	c1 := s[i+1]
	if c1|0x20-'a' < 26 {
		return asciiWord(s, i+1, joinOf(c))
	}
	if c == ' ' && class[c1] == cPunct {
		return asciiPunct(s, i, i+1)
	}
	j := i + 1
	spaces := c == ' '
	for ; j < n && class[s[j]] == cSpace; j++ {
		spaces = spaces && s[j] == ' '
	}
	if j < n {
		switch class[s[j]] {
		case cHigh:
			return 0, 0
		case cNewline:
			return newlines(s, i, j)
		}
		if j-i > 1 {
			// `\s+(?!\S)`: the last whitespace character leads what
			// follows.
			j--
		}
	}
	return j, whitespaceCost(j-i, spaces)
}

// newlines returns the end and cost of whitespace starting at i whose first
// line break is at j. The reference tokenizer's regexp engine ends
// `\s*[\r\n]+` after the first run of line breaks, not the last.
func newlines[T ~[]byte | ~string](s T, i, j int) (end, cost int) {
	for j < len(s) && (s[j] == '\n' || s[j] == '\r') {
		j++
	}
	return j, whitespaceCost(j-i, false)
}

// asciiDigits scans the ASCII digits starting at i. Numbers split into
// groups of three digits, one token each.
func asciiDigits[T ~[]byte | ~string](s T, i int) (end, cost int) {
	j := i + 1
	for j < len(s) && s[j]-'0' < 10 {
		j++
	}
	if j < len(s) && s[j] >= 0x80 {
		return 0, 0 // other scripts' digits
	}
	return j, unit * ((j - i + 2) / 3)
}

// startsText reports whether a word after c starts a line or a string.
func startsText(c byte) bool {
	return c == '"' || c == '\'' || c == '`' || c == '\n'
}

// piece returns the end and cost of the piece starting at s[i].
func piece[T ~[]byte | ~string](s T, i int) (end, cost int) {
	n := len(s)
	c := s[i]
	k, w := class[c], 1
	if k == cHigh {
		k, w = classRune(s, i)
	}
	switch k {
	case cLower, cUpper, cBoth:
		join := joinNone
		if i == 0 || startsText(s[i-1]) {
			join = joinStart
		}
		end, cost, _ = word(s, i, join)
		return end, cost
	case cSpace, cPunct, cMark:
		next := uint8(cNewline)
		if i+w < n {
			next, _ = classAt(s, i+w)
		}
		switch {
		case isLetter(next):
			end, cost, ok := word(s, i+w, joinOf(c))
			if !ok && k == cMark {
				// Upper* Lower+ fails after the mark but succeeds on the
				// mark itself, and is tried before Upper+.
				return contraction(s, i+w), unit
			}
			return end, cost
		case k == cMark:
			end, cost, _ = word(s, i, joinNone)
			return end, cost
		case k == cPunct || c == ' ' && next == cPunct:
			return punct(s, i)
		}
	case cDigit:
		// Numbers split into groups of three digits, one token each.
		d := 1
		for i += w; i < n; d++ {
			k, w := classAt(s, i)
			if k != cDigit {
				break
			}
			i += w
		}
		return i, unit * ((d + 2) / 3)
	}
	return space(s, i)
}

// word scans a word whose letters start at j and returns its end and cost.
// ok reports whether `Upper* Lower+` matched rather than `Upper+` alone.
func word[T ~[]byte | ~string](s T, j, join int) (end, cost int, ok bool) {
	n := len(s)
	var upper, lower, wide2, wide3 int
	// As in asciiWord, but with prev unshifted.
	pairs, prev := 0, 0
	lastBoth := -1
	for j < n {
		c := s[j]
		if c-'A' < 26 {
			pairs += int(bigram[(prev<<5|int(c&31))&1023])
			prev = int(c & 31)
			upper++
			j++
			continue
		}
		if c < 0x80 {
			break
		}
		k, w := classRune(s, j)
		if k != cUpper && k != cBoth && k != cMark {
			break
		}
		if k != cUpper {
			lastBoth = j + w
		}
		if w == 2 {
			wide2++
		} else {
			wide3++
		}
		prev = 0
		j += w
	}
	if j < n && (s[j]-'a' < 26 || s[j] >= 0x80 && lowerAt(s, j)) {
		ok = true
		for j < n {
			c := s[j]
			if c-'a' < 26 {
				pairs += int(bigram[(prev<<5|int(c&31))&1023])
				prev = int(c & 31)
				lower++
				j++
				continue
			}
			if c < 0x80 {
				break
			}
			k, w := classRune(s, j)
			if k != cLower && k != cBoth && k != cMark {
				break
			}
			if w == 2 {
				wide2++
			} else {
				wide3++
			}
			prev = 0
			j += w
		}
	} else if lastBoth >= 0 {
		// An uppercase run not followed by a lowercase letter: backtracking
		// ends the word after its last caseless letter.
		ok = true
		j = lastBoth
	}
	cost = wordCost(join, upper, lower, wide2, wide3, pairs)
	if j < n && s[j] == '\'' {
		if end = contraction(s, j); end > j {
			cost += unit / 4
		}
		return end, cost, ok
	}
	return j, cost, ok
}

// lowerAt reports whether the multi-byte character at s[j] is lowercase.
func lowerAt[T ~[]byte | ~string](s T, j int) bool {
	k, _ := classRune(s, j)
	return k == cLower
}

// contraction returns the end of a word ending at j, extended by 's, 't,
// 're, 've, 'm, 'll or 'd in any case.
func contraction[T ~[]byte | ~string](s T, j int) int {
	if j+1 >= len(s) || s[j] != '\'' {
		return j
	}
	switch c := s[j+1] | 0x20; c {
	case 's', 't', 'm', 'd':
		return j + 2
	case 'r', 'v', 'l':
		if j+2 < len(s) {
			c2 := s[j+2] | 0x20
			if c2 == 'e' && c != 'l' || c2 == 'l' && c == 'l' {
				return j + 3
			}
		}
	}
	return j
}

// wordCost returns the expected cost of a word. upper and lower count ASCII
// letters, wide2 and wide3 other letters by their encoded width, and pairs
// is the sum of bigram over its ASCII letter pairs.
func wordCost(join, upper, lower, wide2, wide3, pairs int) int {
	c := 0
	if latin := upper + lower; latin > 0 {
		// Accented letters in a Latin word cost a little more than ASCII.
		l := latin + wide2
		c = wordBase(join, upper, l) + wide2*unit*5/16 + pairs
	} else if wide2 > 0 {
		// Greek, Cyrillic and other two-byte scripts: about three letters
		// per token after the first.
		c = unit + max(0, wide2-2)*unit*2/7
	}
	// CJK and other three-byte scripts: a little under a token per letter.
	c += wide3 * unit * 13 / 16
	// Averages can dip below one token for words of very common letter
	// pairs, which keeps the sum unbiased; a floor keeps any word counted.
	return max(c, unit/2)
}

// wordBase returns the cost of a word of l letters, upper of them leading
// capitals, joined to the text by join, before adding its letter pairs'
// scores.
func wordBase(join, upper, l int) int {
	row := &wordCosts[(join*3+min(upper, 2))&15]
	if l < 32 {
		return int(row[l])
	}
	return int(row[31]) + (l-31)*(unit/4-bigramMean)
}

// punct scans ` ?[^\s\p{L}\p{N}]+[\r\n/]*` starting at i and returns its end
// and cost.
func punct[T ~[]byte | ~string](s T, i int) (end, cost int) {
	n := len(s)
	j := i
	lead := 0
	if s[j] == ' ' {
		lead = 1
		j++
	}
	first := s[j]
	core, symbols := 0, 0
	repeated, json := true, true
	for j < n {
		c := s[j]
		if c < 0x80 {
			if class[c] != cPunct {
				break
			}
			core++
			repeated = repeated && c == first
			json = json && jsonPunct[c]
			j++
			continue
		}
		k, w := classRune(s, j)
		if k != cPunct && k != cMark {
			break
		}
		symbols += symbolCost(s, j, w)
		j += w
	}
	nl, slash := 0, 0
	for ; j < n; j++ {
		if c := s[j]; c == '\n' || c == '\r' {
			nl = 1
		} else if c == '/' {
			slash = 1
		} else {
			break
		}
	}
	if core == 0 {
		return j, max(unit, symbols)
	}
	return j, punctCost(lead, core, nl, slash, repeated, json) + symbols*3/4
}

// punctCost returns the cost of a run of core ASCII punctuation characters,
// led by a space if lead is 1 and followed by line breaks if nl is 1 and by
// slashes after them if slash is 1.
func punctCost(lead, core, nl, slash int, repeated, json bool) int {
	cost := unit
	switch {
	case repeated && core >= 4:
		// Rules such as "-----" or "=====" are single tokens up to long runs.
		cost += core * unit / 48
	case json:
		cost += int(jsonExtra[min(core, 6)]) + max(0, core-6)*unit*4/5
	case core > 8:
		cost += int(punctExtra[lead&1][nl&1][8]) + (core-8)*unit*3/5
	default:
		cost += int(punctExtra[lead&1][nl&1][core])
	}
	if nl&slash != 0 && core >= 2 {
		// A comment opener after a line break rarely merges with the
		// punctuation that ends the line.
		cost += unit / 2
	}
	return cost
}

// symbolCost returns the cost of a non-ASCII symbol of width w at s[j].
// Typographic punctuation (quotes, dashes, ellipses) is usually one token;
// pictographs and emoji take two or more.
func symbolCost[T ~[]byte | ~string](s T, j, w int) int {
	switch {
	case w <= 2, w == 3 && s[j] == 0xE2 && s[j+1] < 0x82:
		return unit
	case w == 3:
		return unit * 3 / 2
	default:
		return unit * 2
	}
}

// space scans whitespace starting at i that does not lead a word or a
// punctuation run, and returns its end and cost.
func space[T ~[]byte | ~string](s T, i int) (end, cost int) {
	n := len(s)
	j := i
	spaces := true
	for j < n {
		c := s[j]
		k, w := class[c], 1
		if k == cHigh {
			k, w = classRune(s, j)
		}
		if k == cNewline {
			// The reference tokenizer's regexp engine ends `\s*[\r\n]+`
			// after the first run of line breaks, not the last.
			for j < n && (s[j] == '\n' || s[j] == '\r') {
				j++
			}
			return j, whitespaceCost(j-i, false)
		}
		if k != cSpace {
			break
		}
		spaces = spaces && c == ' '
		j += w
	}
	if j < n && j-i > 1 {
		// `\s+(?!\S)`: leave the last whitespace character to lead what
		// follows.
		b := j - 1
		for s[b]&0xC0 == 0x80 {
			b--
		}
		if b > i {
			j = b
		}
	}
	return j, whitespaceCost(j-i, spaces)
}

// whitespaceCost returns the cost of a whitespace piece n bytes long. Runs
// of spaces are single tokens up to about 80; tabs and line breaks merge in
// shorter runs.
func whitespaceCost(n int, spaces bool) int {
	switch {
	case spaces:
		return unit + max(0, n-64)*unit/64
	case n <= 8:
		return unit
	default:
		return unit + (n-8)*unit/8
	}
}
