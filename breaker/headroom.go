package breaker

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LowHeadroom is the share of a limit left below which Headroom calls the
// limit low.
const LowHeadroom = 0.1

// Headroom reads the rate-limit headers of a response, successful or not,
// and reports whether one of the limits they describe is used up
// (exhausted) or nearly so (low), and when the worst of them resets. It
// reads Anthropic's anthropic-ratelimit-*-{remaining,limit,status,
// utilization,reset} (the unified subscription limits among them: a status
// of "allowed_warning" is low, anything but "allowed…" is exhausted) and
// OpenAI's x-ratelimit-{remaining,limit,reset}-{requests,tokens}. A limit
// is low when less than [LowHeadroom] of it remains or its utilization is
// above 1-LowHeadroom. until is the zero time when no reset header says.
//
// h is expected to have canonical keys, as net/http produces.
func Headroom(h http.Header, now time.Time) (low, exhausted bool, until time.Time) {
	const anthropicPrefix = "Anthropic-Ratelimit-"
	worst := 0 // 0 fine, 1 low, 2 exhausted
	consider := func(level int, reset time.Time, ok bool) {
		if level == 0 {
			return
		}
		if level > worst {
			worst, until = level, time.Time{}
		}
		if level == worst && ok && reset.After(until) {
			until = reset
		}
	}
	for name, values := range h {
		if len(values) == 0 || !strings.HasPrefix(name, anthropicPrefix) {
			continue
		}
		var family string
		level := 0
		switch {
		case strings.HasSuffix(name, "-Status"):
			family = strings.TrimSuffix(name, "Status")
			switch v := strings.TrimSpace(values[0]); {
			case v == "allowed_warning":
				level = 1
			case isRefused(v):
				level = 2
			}
		case strings.HasSuffix(name, "-Utilization"):
			family = strings.TrimSuffix(name, "Utilization")
			if u, err := strconv.ParseFloat(strings.TrimSpace(values[0]), 64); err == nil {
				level = share(1 - u)
			}
		case strings.HasSuffix(name, "-Remaining"):
			family = strings.TrimSuffix(name, "Remaining")
			level = remaining(values[0], h.Get(family+"Limit"))
		default:
			continue
		}
		reset, ok := parseInstant(h.Get(family+"Reset"), now)
		consider(level, reset, ok)
	}
	for _, f := range openAIFamilies {
		rem := first(h[f.remaining])
		if rem == "" {
			continue
		}
		level := remaining(rem, first(h[f.limit]))
		reset, ok := parseOpenAIDelay(first(h[f.reset]), now)
		consider(level, reset, ok)
	}
	return worst >= 1, worst == 2, until
}

// openAIFamilies are OpenAI's rate-limit headers, spelled out so that
// reading them on every response builds no strings.
var openAIFamilies = [...]struct{ remaining, limit, reset string }{
	{"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Reset-Requests"},
	{"X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Reset-Tokens"},
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// remaining grades a remaining count against its limit: 2 when none is
// left, 1 when less than LowHeadroom of the limit is, else 0.
func remaining(rem, limit string) int {
	if rem == "" {
		return 0
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rem), 64)
	if err != nil {
		return 0
	}
	if r <= 0 {
		return 2
	}
	l, err := strconv.ParseFloat(strings.TrimSpace(limit), 64)
	if err != nil || l <= 0 {
		return 0
	}
	return share(r / l)
}

// share grades the share of a limit left.
func share(left float64) int {
	switch {
	case left <= 0:
		return 2
	case left < LowHeadroom:
		return 1
	}
	return 0
}
