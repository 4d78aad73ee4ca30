package breaker

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxReset caps the reset time [ResetTime] returns, so that a bogus or
// far-off header (a weekly quota, a timestamp in the wrong unit) parks a key
// for a day at most; the next request after that learns the truth.
const MaxReset = 24 * time.Hour

// ResetTime reads from the headers of a rate-limit response when the limit
// resets, and reports false if they say nothing usable. Relative values are
// taken from now. It understands, in order of precedence:
//
//   - retry-after-ms: milliseconds;
//   - retry-after: seconds, or an HTTP date;
//   - the reset headers of each limit: anthropic-ratelimit-*-reset (RFC 3339,
//     or Unix seconds for the unified subscription limits) and
//     x-ratelimit-reset-* (durations such as "6m0s" or "20ms", or seconds).
//
// The two retry-after forms state exactly when to come back. Failing them,
// the reset of an exhausted limit (its remaining header is 0, or its status
// is not "allowed") wins; if no limit says it is exhausted, the latest reset
// does. Unparsable values and times not after now are skipped, and results
// are capped at now+[MaxReset].
//
// h is expected to have canonical keys, as net/http produces.
func ResetTime(h http.Header, now time.Time) (time.Time, bool) {
	if t, ok := afterDelay(h.Get("Retry-After-Ms"), float64(time.Millisecond), now); ok {
		return t, true
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if t, ok := afterDelay(v, float64(time.Second), now); ok {
			return t, true
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return capped(t, now), true
		}
	}

	const (
		anthropicPrefix = "Anthropic-Ratelimit-"
		openAIPrefix    = "X-Ratelimit-Reset-"
		reset           = "Reset"
	)
	var latest, latestExhausted time.Time
	for name, values := range h {
		if len(values) == 0 {
			continue
		}
		var (
			t         time.Time
			ok        bool
			exhausted bool
		)
		switch {
		case len(name) > len(anthropicPrefix)+len(reset) &&
			strings.HasPrefix(name, anthropicPrefix) && strings.HasSuffix(name, "-"+reset):
			family := name[:len(name)-len(reset)] // "Anthropic-Ratelimit-Tokens-"
			t, ok = parseInstant(values[0], now)
			exhausted = isZero(h.Get(family+"Remaining")) ||
				isRefused(h.Get(family+"Status")) ||
				isFull(h.Get(family+"Utilization"))
		case len(name) > len(openAIPrefix) && strings.HasPrefix(name, openAIPrefix):
			t, ok = parseOpenAIDelay(values[0], now)
			exhausted = isZero(h.Get("X-Ratelimit-Remaining-" + name[len(openAIPrefix):]))
		}
		if !ok {
			continue
		}
		if t.After(latest) {
			latest = t
		}
		if exhausted && t.After(latestExhausted) {
			latestExhausted = t
		}
	}
	switch {
	case !latestExhausted.IsZero():
		return latestExhausted, true
	case !latest.IsZero():
		return latest, true
	}
	return time.Time{}, false
}

// afterDelay reads v as a count of units from now.
func afterDelay(v string, unit float64, now time.Time) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 {
		return time.Time{}, false
	}
	// Compare in float before converting: a huge count would overflow Duration.
	d := n * unit
	if d > float64(MaxReset) {
		d = float64(MaxReset)
	}
	if d < 1 {
		return time.Time{}, false
	}
	return now.Add(time.Duration(d)), true
}

// parseOpenAIDelay reads a Go-style duration ("1h2m3.5s"), or plain seconds.
func parseOpenAIDelay(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		return afterDelay(v, float64(time.Second), now)
	}
	if d <= 0 {
		return time.Time{}, false
	}
	return capped(now.Add(d), now), true
}

// parseInstant reads an RFC 3339 timestamp, or Unix seconds.
func parseInstant(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 {
			return time.Time{}, false
		}
		if n > 1e11 {
			// Seconds that large are thousands of years away: the sender
			// meant milliseconds.
			n /= 1e3
		}
		if n > float64(now.Add(MaxReset).Unix()) {
			return now.Add(MaxReset), true
		}
		sec, frac := math.Modf(n)
		t = time.Unix(int64(sec), int64(frac*1e9))
	}
	if !t.After(now) {
		return time.Time{}, false
	}
	return capped(t, now), true
}

func capped(t, now time.Time) time.Time {
	if limit := now.Add(MaxReset); t.After(limit) {
		return limit
	}
	return t
}

// isZero reports whether a remaining-count header says the limit is used up.
func isZero(v string) bool {
	if v == "" {
		return false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil && n <= 0
}

// isRefused reports whether a unified-limit status ("allowed",
// "allowed_warning", "rejected") refuses requests.
func isRefused(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !strings.HasPrefix(v, "allowed")
}

// isFull reports whether a utilization header (a fraction) has reached 1.
func isFull(v string) bool {
	if v == "" {
		return false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil && n >= 1
}
