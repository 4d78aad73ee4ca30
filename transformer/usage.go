package transformer

import (
	"bytes"

	"github.com/tidwall/gjson"
)

// Usage is the token usage an upstream reported, in Anthropic's terms:
// Input excludes tokens read from or written to the prompt cache.
type Usage struct {
	Input      int64
	Output     int64
	CacheRead  int64
	CacheWrite int64
	// Reasoning counts the reasoning tokens among Output, where the
	// upstream reports them.
	Reasoning int64
}

// Total returns every input and output token counted once.
func (u Usage) Total() int64 { return u.Input + u.Output + u.CacheRead + u.CacheWrite }

// ParseUsage reads the usage of a complete (non-streamed) response body in
// format f. It reports false when the body carries no usage.
func ParseUsage(f Format, body []byte) (Usage, bool) {
	res := gjson.GetBytes(body, "usage")
	if !res.IsObject() {
		return Usage{}, false
	}
	var u Usage
	u.mergeObject(f, res)
	return u, true
}

// UsageMeter accumulates usage from a stream, event by event. Upstreams
// report usage in different places: Anthropic in message_start (input and
// cache) and message_delta (cumulative output), OpenAI in one chunk after
// finish_reason, or on every chunk. The meter keeps the latest value of
// each field and never sums repeated reports. The zero value is ready.
type UsageMeter struct {
	Usage
	seen bool
}

var usageKey = []byte(`"usage"`)

// Observe reads the usage, if any, out of one event of a stream in format f.
func (m *UsageMeter) Observe(f Format, ev Event) {
	// Most events carry text deltas only: a substring test skips them
	// without parsing.
	if !bytes.Contains(ev.Data, usageKey) {
		return
	}
	var res gjson.Result
	if f == Anthropic {
		switch ev.Type {
		case "message_start":
			res = gjson.GetBytes(ev.Data, "message.usage")
		case "message_delta":
			res = gjson.GetBytes(ev.Data, "usage")
		default:
			return
		}
	} else {
		res = gjson.GetBytes(ev.Data, "usage")
	}
	if !res.IsObject() {
		return
	}
	m.seen = true
	m.mergeObject(f, res)
}

// Seen reports whether any usage was observed.
func (m *UsageMeter) Seen() bool { return m.seen }

// mergeObject overwrites the fields present in a usage object. Anthropic's
// message_delta repeats input counts as 0 on some upstreams; a zero never
// replaces a count already seen.
func (u *Usage) mergeObject(f Format, res gjson.Result) {
	set := func(dst *int64, v gjson.Result) {
		if v.Exists() && (v.Int() != 0 || *dst == 0) {
			*dst = v.Int()
		}
	}
	if f == Anthropic {
		res.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "input_tokens":
				set(&u.Input, v)
			case "output_tokens":
				set(&u.Output, v)
			case "cache_read_input_tokens":
				set(&u.CacheRead, v)
			case "cache_creation_input_tokens":
				set(&u.CacheWrite, v)
			}
			return true
		})
		return
	}
	var prompt, cached int64
	havePrompt := false
	res.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			prompt, havePrompt = v.Int(), true
		case "completion_tokens":
			set(&u.Output, v)
		case "prompt_tokens_details":
			cached = v.Get("cached_tokens").Int()
		case "cache_creation_input_tokens": // some OpenAI-compatible upstreams report writes
			set(&u.CacheWrite, v)
		}
		return true
	})
	if havePrompt {
		// OpenAI's prompt_tokens include cached ones.
		in := prompt - cached - u.CacheWrite
		if in < 0 {
			in = 0
		}
		u.Input, u.CacheRead = in, cached
	}
}
