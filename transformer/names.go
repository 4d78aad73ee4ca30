package transformer

import (
	"strings"
	"unicode/utf8"
)

// Limits OpenAI enforces on names and ids that Anthropic does not.
const (
	maxToolName   = 64 // OpenAI function names: ^[a-zA-Z0-9_-]{1,64}$
	maxToolCallID = 40 // "string too long. Expected a string with maximum length 40"
	hashSuffixLen = 9  // "_" and eight hex digits
)

// upstreamToolName returns name as the upstream may see it. Every format
// takes ^[a-zA-Z0-9_-]{1,64}$; other names are replaced by a deterministic
// valid one (invalid bytes as '_', cut short, plus a hash of the whole name)
// and recorded in c so replies can be mapped back. Determinism matters: the
// same tool appears in the tool list, in tool_choice and in every earlier
// turn's calls.
func upstreamToolName(c *Conversion, name string) string {
	if validToolName(name) {
		return name
	}
	b := make([]byte, 0, maxToolName)
	for i := 0; i < len(name) && len(b) < maxToolName-hashSuffixLen; i++ {
		if ch := name[i]; isNameByte(ch) {
			b = append(b, ch)
		} else {
			b = append(b, '_')
		}
	}
	b = append(b, '_')
	b = appendHex32(b, fnv32(name))
	mapped := string(b)
	if c.ToolNames == nil {
		c.ToolNames = make(map[string]string)
	}
	if _, ok := c.ToolNames[mapped]; !ok {
		c.ToolNames[mapped] = strings.Clone(name)
	}
	return mapped
}

func validToolName(s string) bool {
	if len(s) == 0 || len(s) > maxToolName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// openAIToolCallID returns id shortened, deterministically, to the 40
// characters OpenAI accepts. Anthropic ids are shorter; ids minted by
// other gateways often are not.
func openAIToolCallID(id string) string {
	if id != "" && len(id) <= maxToolCallID && utf8.ValidString(id) {
		return id
	}
	b := make([]byte, 0, maxToolCallID)
	if id == "" {
		b = append(b, "call"...)
	} else {
		// Whole runes of the valid form: a byte that is not UTF-8 would be
		// written as \ufffd, longer than the length OpenAI checks.
		for _, r := range strings.ToValidUTF8(id, "_") {
			if len(b)+utf8.RuneLen(r) > maxToolCallID-hashSuffixLen {
				break
			}
			b = utf8.AppendRune(b, r)
		}
	}
	b = append(b, '_')
	return string(appendHex32(b, fnv32(id)))
}

// anthropicToolID returns id in the form Anthropic demands of tool_use ids,
// ^[a-zA-Z0-9_-]+$. Invalid ones are rewritten deterministically, so the
// call and its result still match.
func anthropicToolID(id string) string {
	valid := id != ""
	for i := 0; i < len(id) && valid; i++ {
		valid = isNameByte(id[i])
	}
	if valid {
		return id
	}
	b := make([]byte, 0, maxToolName)
	if id == "" {
		b = append(b, "toolu"...)
	}
	for i := 0; i < len(id) && len(b) < maxToolName-hashSuffixLen; i++ {
		if c := id[i]; isNameByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	b = append(b, '_')
	return string(appendHex32(b, fnv32(id)))
}

// fnv32 is 32-bit FNV-1a: stable across releases, which the name and id
// mappings need.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func appendHex32(dst []byte, h uint32) []byte {
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(h>>uint(shift))&0xf])
	}
	return dst
}
