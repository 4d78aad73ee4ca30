// Package secret hides secrets for display, for the packages that show
// them: routex (RedactSecret) and oauth.
package secret

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
