// Package secret hides secrets for display, for the packages that show
// them: routex (RedactSecret, error texts) and oauth.
package secret

import "strings"

// Redact hides a secret, keeping only enough to tell keys apart.
func Redact(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 12 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}

// minScrubbed is the length under which Scrub leaves a value alone: so
// short a string is no secret worth the false matches in ordinary text.
const minScrubbed = 6

// Scrub replaces every occurrence of each secret in s by its redacted form.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= minScrubbed && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redact(sec))
		}
	}
	return s
}
