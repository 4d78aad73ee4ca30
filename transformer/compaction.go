package transformer

import (
	"encoding/base64"
	"strings"
)

// compactionKind marks a compaction item's encrypted_content that routex
// wrote itself (see carriedPrefix): the summary it made of a conversation
// for a caller whose channel keeps no conversation state.
const compactionKind = "c:"

// CompactionContent returns the encrypted_content of a compaction item that
// carries summary: not encrypted (routex holds no key a provider would
// honour) but opaque to the caller, who sends it back as it was. The
// Responses decoder turns such an item back into the summary's text.
func CompactionContent(summary string) string {
	return carriedPrefix + compactionKind + base64.RawURLEncoding.EncodeToString([]byte(summary))
}

// compactionSummary returns the summary a compaction item's
// encrypted_content carries, when routex wrote it.
func compactionSummary(content string) (string, bool) {
	enc, ok := strings.CutPrefix(content, carriedPrefix+compactionKind)
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	return string(b), true
}
