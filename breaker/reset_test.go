package breaker

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestResetTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	rfc := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}

	tests := []struct {
		name   string
		header http.Header
		want   time.Time // zero: none found
	}{
		{"none", header(), time.Time{}},
		{"nil header", nil, time.Time{}},

		// retry-after-ms and retry-after
		{"retry-after-ms", header("retry-after-ms", "1500"), at(1500 * time.Millisecond)},
		{"retry-after-ms fractional", header("retry-after-ms", "2.5"), at(2500 * time.Microsecond)},
		{"retry-after seconds", header("retry-after", "30"), at(30 * time.Second)},
		{"retry-after fractional seconds", header("retry-after", "0.25"), at(250 * time.Millisecond)},
		{"retry-after HTTP date", header("retry-after", now.Add(2*time.Minute).Format(http.TimeFormat)), at(2 * time.Minute)},
		{"retry-after-ms beats retry-after", header("retry-after-ms", "100", "retry-after", "1"), at(100 * time.Millisecond)},
		{"retry-after beats reset headers", header("retry-after", "5",
			"anthropic-ratelimit-requests-reset", rfc(time.Minute)), at(5 * time.Second)},
		{"bad retry-after-ms falls back to retry-after", header("retry-after-ms", "soon", "retry-after", "3"), at(3 * time.Second)},
		{"bad retry-after", header("retry-after", "later"), time.Time{}},
		{"zero retry-after", header("retry-after", "0"), time.Time{}},
		{"negative retry-after", header("retry-after", "-4"), time.Time{}},
		{"NaN retry-after", header("retry-after", "NaN"), time.Time{}},
		{"infinite retry-after", header("retry-after", "+Inf"), time.Time{}},
		{"past HTTP date", header("retry-after", now.Add(-time.Minute).Format(http.TimeFormat)), time.Time{}},
		{"zero retry-after falls back to reset headers", header("retry-after", "0",
			"x-ratelimit-reset-requests", "2s"), at(2 * time.Second)},
		{"absurd retry-after is capped", header("retry-after", "99999999999"), at(MaxReset)},
		{"retry-after date past the cap", header("retry-after", now.Add(30*24*time.Hour).Format(http.TimeFormat)), at(MaxReset)},

		// Anthropic per-limit resets, RFC 3339
		{"anthropic requests", header("anthropic-ratelimit-requests-reset", rfc(20*time.Second)), at(20 * time.Second)},
		{"anthropic tokens with fraction", header("anthropic-ratelimit-tokens-reset", now.Add(1500*time.Millisecond).Format(time.RFC3339Nano)), at(1500 * time.Millisecond)},
		{"anthropic input tokens", header("anthropic-ratelimit-input-tokens-reset", rfc(time.Minute)), at(time.Minute)},
		{"anthropic output tokens", header("anthropic-ratelimit-output-tokens-reset", rfc(90*time.Second)), at(90 * time.Second)},
		{"anthropic latest when none exhausted", header(
			"anthropic-ratelimit-requests-reset", rfc(10*time.Second), "anthropic-ratelimit-requests-remaining", "40",
			"anthropic-ratelimit-tokens-reset", rfc(50*time.Second), "anthropic-ratelimit-tokens-remaining", "1000",
		), at(50 * time.Second)},
		{"anthropic exhausted limit wins", header(
			"anthropic-ratelimit-requests-reset", rfc(10*time.Second), "anthropic-ratelimit-requests-remaining", "0",
			"anthropic-ratelimit-tokens-reset", rfc(50*time.Second), "anthropic-ratelimit-tokens-remaining", "1000",
		), at(10 * time.Second)},
		{"anthropic latest of several exhausted", header(
			"anthropic-ratelimit-requests-reset", rfc(10*time.Second), "anthropic-ratelimit-requests-remaining", "0",
			"anthropic-ratelimit-input-tokens-reset", rfc(40*time.Second), "anthropic-ratelimit-input-tokens-remaining", "0",
			"anthropic-ratelimit-output-tokens-reset", rfc(50*time.Second), "anthropic-ratelimit-output-tokens-remaining", "9",
		), at(40 * time.Second)},
		{"anthropic past reset skipped", header(
			"anthropic-ratelimit-requests-reset", rfc(-10*time.Second), "anthropic-ratelimit-requests-remaining", "0",
			"anthropic-ratelimit-tokens-reset", rfc(5*time.Second),
		), at(5 * time.Second)},
		{"anthropic bad timestamp", header("anthropic-ratelimit-tokens-reset", "tomorrow"), time.Time{}},
		{"anthropic reset far off is capped", header("anthropic-ratelimit-tokens-reset", rfc(72*time.Hour)), at(MaxReset)},

		// Anthropic unified (subscription) limits, Unix seconds
		{"unified", header("anthropic-ratelimit-unified-reset", unix(3*time.Hour)), at(3 * time.Hour)},
		{"unified rejected window wins", header(
			"anthropic-ratelimit-unified-5h-reset", unix(2*time.Hour), "anthropic-ratelimit-unified-5h-status", "rejected",
			"anthropic-ratelimit-unified-7d-reset", unix(20*time.Hour), "anthropic-ratelimit-unified-7d-status", "allowed",
		), at(2 * time.Hour)},
		{"unified full utilization wins", header(
			"anthropic-ratelimit-unified-5h-reset", unix(2*time.Hour), "anthropic-ratelimit-unified-5h-utilization", "0.4",
			"anthropic-ratelimit-unified-7d-reset", unix(20*time.Hour), "anthropic-ratelimit-unified-7d-utilization", "1.0",
		), at(20 * time.Hour)},
		{"unified warning is not exhausted", header(
			"anthropic-ratelimit-unified-5h-reset", unix(2*time.Hour), "anthropic-ratelimit-unified-5h-status", "allowed_warning",
			"anthropic-ratelimit-unified-7d-reset", unix(20*time.Hour), "anthropic-ratelimit-unified-7d-status", "rejected",
		), at(20 * time.Hour)},
		{"unified in milliseconds", header("anthropic-ratelimit-unified-reset", strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)), at(time.Hour)},
		{"unified past", header("anthropic-ratelimit-unified-reset", unix(-time.Hour)), time.Time{}},
		{"unified garbage", header("anthropic-ratelimit-unified-reset", "0x"), time.Time{}},
		{"unified weekly is capped", header("anthropic-ratelimit-unified-7d-reset", unix(6*24*time.Hour),
			"anthropic-ratelimit-unified-7d-status", "rejected"), at(MaxReset)},

		// OpenAI durations
		{"openai seconds duration", header("x-ratelimit-reset-requests", "1s"), at(time.Second)},
		{"openai minutes", header("x-ratelimit-reset-tokens", "6m0s"), at(6 * time.Minute)},
		{"openai milliseconds", header("x-ratelimit-reset-tokens", "20ms"), at(20 * time.Millisecond)},
		{"openai compound", header("x-ratelimit-reset-requests", "1h2m3.5s"), at(time.Hour + 2*time.Minute + 3500*time.Millisecond)},
		{"openai plain seconds", header("x-ratelimit-reset-requests", "12"), at(12 * time.Second)},
		{"openai plain fractional seconds", header("x-ratelimit-reset-requests", "0.5"), at(500 * time.Millisecond)},
		{"openai latest when none exhausted", header(
			"x-ratelimit-reset-requests", "2s", "x-ratelimit-remaining-requests", "10",
			"x-ratelimit-reset-tokens", "6m0s", "x-ratelimit-remaining-tokens", "150",
		), at(6 * time.Minute)},
		{"openai exhausted limit wins", header(
			"x-ratelimit-reset-requests", "2s", "x-ratelimit-remaining-requests", "0",
			"x-ratelimit-reset-tokens", "6m0s", "x-ratelimit-remaining-tokens", "150",
		), at(2 * time.Second)},
		{"openai bad duration", header("x-ratelimit-reset-tokens", "a while"), time.Time{}},
		{"openai negative duration", header("x-ratelimit-reset-tokens", "-3s"), time.Time{}},
		{"openai zero duration", header("x-ratelimit-reset-tokens", "0s"), time.Time{}},
		{"openai bad value does not hide a good one", header(
			"x-ratelimit-reset-requests", "soon", "x-ratelimit-remaining-requests", "0",
			"x-ratelimit-reset-tokens", "4s",
		), at(4 * time.Second)},
		{"openai huge duration is capped", header("x-ratelimit-reset-tokens", "1000h"), at(MaxReset)},

		// unrelated look-alikes
		{"reset header without family", header("anthropic-ratelimit-reset", rfc(time.Minute)), time.Time{}},
		{"openai prefix without name", header("x-ratelimit-reset-", "5s"), time.Time{}},
		{"empty value", http.Header{"Retry-After": {""}, "X-Ratelimit-Reset-Tokens": {}}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ResetTime(tt.header, now)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("ResetTime = %v, %v; want %v, %v", got, ok, tt.want, !tt.want.IsZero())
			}
		})
	}
}

func FuzzResetTime(f *testing.F) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, seed := range [][2]string{
		{"Retry-After", "30"},
		{"Retry-After", "Sun, 01 Jun 2025 12:01:00 GMT"},
		{"Retry-After-Ms", "1500"},
		{"Anthropic-Ratelimit-Tokens-Reset", "2025-06-01T12:00:30Z"},
		{"Anthropic-Ratelimit-Unified-5h-Reset", "1748786400"},
		{"X-Ratelimit-Reset-Tokens", "6m0s"},
		{"X-Ratelimit-Reset-Requests", "1e400"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		h := http.Header{}
		h.Set(name, value)
		got, ok := ResetTime(h, now)
		if !ok {
			if !got.IsZero() {
				t.Errorf("ResetTime = %v, false; want the zero time", got)
			}
			return
		}
		if !got.After(now) || got.After(now.Add(MaxReset)) {
			t.Errorf("ResetTime(%q: %q) = %v, outside (now, now+%v]", name, value, got, MaxReset)
		}
	})
}

func BenchmarkResetTime(b *testing.B) {
	now := time.Now()
	h := http.Header{}
	h.Set("x-ratelimit-reset-requests", "1s")
	h.Set("x-ratelimit-remaining-requests", "0")
	h.Set("x-ratelimit-reset-tokens", "6m0s")
	h.Set("x-ratelimit-remaining-tokens", "1000")
	h.Set("content-type", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		ResetTime(h, now)
	}
}
