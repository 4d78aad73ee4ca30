package breaker

import (
	"net/http"
	"testing"
	"time"
)

func TestHeadroom(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for _, tt := range []struct {
		name           string
		h              map[string]string
		low, exhausted bool
		until          time.Time
	}{
		{"no headers", nil, false, false, time.Time{}},
		{"plenty left", map[string]string{
			"anthropic-ratelimit-requests-remaining": "900", "anthropic-ratelimit-requests-limit": "1000",
			"anthropic-ratelimit-requests-reset": in(time.Minute),
		}, false, false, time.Time{}},
		{"anthropic tokens low", map[string]string{
			"anthropic-ratelimit-requests-remaining": "900", "anthropic-ratelimit-requests-limit": "1000",
			"anthropic-ratelimit-tokens-remaining": "500", "anthropic-ratelimit-tokens-limit": "10000",
			"anthropic-ratelimit-tokens-reset": in(30 * time.Second),
		}, true, false, now.Add(30 * time.Second)},
		{"anthropic requests used up", map[string]string{
			"anthropic-ratelimit-requests-remaining": "0", "anthropic-ratelimit-requests-limit": "50",
			"anthropic-ratelimit-requests-reset":   in(20 * time.Second),
			"anthropic-ratelimit-tokens-remaining": "5", "anthropic-ratelimit-tokens-limit": "10000",
			"anthropic-ratelimit-tokens-reset": in(50 * time.Second),
		}, true, true, now.Add(20 * time.Second)},
		{"unified warning", map[string]string{
			"anthropic-ratelimit-unified-status": "allowed_warning",
			"anthropic-ratelimit-unified-reset":  "1767326645", // now + 1h, unix seconds
		}, true, false, now.Add(time.Hour)},
		{"unified rejected", map[string]string{
			"anthropic-ratelimit-unified-status":    "rejected",
			"anthropic-ratelimit-unified-reset":     "1767326645",
			"anthropic-ratelimit-unified-5h-status": "allowed",
		}, true, true, now.Add(time.Hour)},
		{"unified 5h utilization high", map[string]string{
			"anthropic-ratelimit-unified-5h-utilization": "0.95",
			"anthropic-ratelimit-unified-5h-reset":       "1767326645",
		}, true, false, now.Add(time.Hour)},
		{"openai tokens low", map[string]string{
			"x-ratelimit-remaining-requests": "4000", "x-ratelimit-limit-requests": "5000", "x-ratelimit-reset-requests": "12ms",
			"x-ratelimit-remaining-tokens": "1000", "x-ratelimit-limit-tokens": "40000", "x-ratelimit-reset-tokens": "6m0s",
		}, true, false, now.Add(6 * time.Minute)},
		{"openai requests out, no reset", map[string]string{
			"x-ratelimit-remaining-requests": "0", "x-ratelimit-limit-requests": "5000",
		}, true, true, time.Time{}},
		{"garbage", map[string]string{
			"anthropic-ratelimit-tokens-remaining": "lots", "anthropic-ratelimit-unified-status": "",
			"x-ratelimit-remaining-tokens": "NaN?",
		}, false, false, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			low, exhausted, until := Headroom(h, now)
			if low != tt.low || exhausted != tt.exhausted || !until.Equal(tt.until) {
				t.Errorf("Headroom = %v, %v, %v; want %v, %v, %v", low, exhausted, until, tt.low, tt.exhausted, tt.until)
			}
		})
	}
}
