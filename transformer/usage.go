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
// format f (its "usage", Gemini's "usageMetadata"). It reports false when the body carries no usage.
func ParseUsage(f Format, body []byte) (Usage, bool) {
	key := "usage"
	if f == Gemini {
		key = "usageMetadata"
	}
	res := gjson.GetBytes(body, key)
	if !res.IsObject() {
		return Usage{}, false
	}
	var u Usage
	u.mergeObject(f, res)
	return u, true
}

// UsageMeter accumulates usage from a stream, event by event. Upstreams
// report usage in different places: Anthropic in message_start (input and
// cache) and message_delta (cumulative output), OpenAI Chat in one chunk
// after finish_reason, or on every chunk, the Responses API in the response
// of its response.completed, response.incomplete or response.failed
// event, Gemini in the usageMetadata of every chunk, the counts so far.
// The meter keeps the latest value of each field and never sums repeated
// reports. The zero value is ready.
type UsageMeter struct {
	Usage
	seen bool
}

var (
	usageKey       = []byte(`"usage"`)
	geminiUsageKey = []byte(`"usageMetadata"`)
)

// Observe reads the usage, if any, out of one event of a stream in format f.
func (m *UsageMeter) Observe(f Format, ev Event) {
	// Most events carry text deltas only: a substring test skips them
	// without parsing.
	key := usageKey
	if f == Gemini {
		key = geminiUsageKey
	}
	if !bytes.Contains(ev.Data, key) {
		return
	}
	var res gjson.Result
	switch f {
	case Gemini:
		// Every chunk repeats the counts so far: the last one holds.
		res = gjson.GetBytes(ev.Data, "usageMetadata")
	case Anthropic:
		switch ev.Type {
		case "message_start":
			res = gjson.GetBytes(ev.Data, "message.usage")
		case "message_delta":
			res = gjson.GetBytes(ev.Data, "usage")
		default:
			return
		}
	case Responses:
		// The events before the last carry "usage": null; the event name
		// may be missing, the response's usage is not.
		res = gjson.GetBytes(ev.Data, "response.usage")
	default:
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
	switch f {
	case Anthropic:
		u.mergeAnthropic(res)
	case Responses:
		u.mergeResponses(res)
	case Gemini:
		u.mergeGemini(res)
	default:
		u.mergeChat(res)
	}
}

// setUsageCount sets *dst to v's count when v is present, unless v is a
// zero that would replace a count already seen.
func setUsageCount(dst *int64, v gjson.Result) {
	if v.Exists() && (v.Int() != 0 || *dst == 0) {
		*dst = v.Int()
	}
}

// setInput sets Input and CacheRead from a count of input tokens that
// includes the cached ones and the cache writes, as OpenAI's do.
func (u *Usage) setInput(total, cached int64) {
	in := total - cached - u.CacheWrite
	if in < 0 {
		in = 0
	}
	u.Input, u.CacheRead = in, cached
}

func (u *Usage) mergeAnthropic(res gjson.Result) {
	res.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			setUsageCount(&u.Input, v)
		case "output_tokens":
			setUsageCount(&u.Output, v)
		case "cache_read_input_tokens":
			setUsageCount(&u.CacheRead, v)
		case "cache_creation_input_tokens":
			setUsageCount(&u.CacheWrite, v)
		}
		return true
	})
}

func (u *Usage) mergeChat(res gjson.Result) {
	var prompt, cached int64
	havePrompt := false
	res.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			prompt, havePrompt = v.Int(), true
		case "completion_tokens":
			setUsageCount(&u.Output, v)
		case "prompt_tokens_details":
			cached = v.Get("cached_tokens").Int()
		case "completion_tokens_details":
			setUsageCount(&u.Reasoning, v.Get("reasoning_tokens"))
		case "cache_creation_input_tokens": // some OpenAI-compatible upstreams report writes
			setUsageCount(&u.CacheWrite, v)
		}
		return true
	})
	if havePrompt {
		u.setInput(prompt, cached)
	}
}

func (u *Usage) mergeResponses(res gjson.Result) {
	var input, cached int64
	haveInput := false
	res.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			input, haveInput = v.Int(), true
		case "input_tokens_details":
			cached = v.Get("cached_tokens").Int()
			setUsageCount(&u.CacheWrite, v.Get("cache_write_tokens"))
		case "output_tokens":
			setUsageCount(&u.Output, v)
		case "output_tokens_details":
			setUsageCount(&u.Reasoning, v.Get("reasoning_tokens"))
		}
		return true
	})
	if haveInput {
		u.setInput(input, cached)
	}
}

// mergeGemini reads a usageMetadata object. promptTokenCount includes the
// cached tokens (cachedContentTokenCount); toolUsePromptTokenCount, the
// results of tools Gemini ran itself, is input too. candidatesTokenCount
// leaves out the thinking, thoughtsTokenCount, which is output as well.
func (u *Usage) mergeGemini(res gjson.Result) {
	var prompt, cached, toolUse, candidates, thoughts int64
	havePrompt, haveOutput := false, false
	res.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "promptTokenCount":
			prompt, havePrompt = v.Int(), true
		case "cachedContentTokenCount":
			cached = v.Int()
		case "toolUsePromptTokenCount":
			toolUse = v.Int()
		case "candidatesTokenCount":
			candidates, haveOutput = v.Int(), true
		case "thoughtsTokenCount":
			thoughts, haveOutput = v.Int(), true
		}
		return true
	})
	if havePrompt {
		u.setInput(prompt+toolUse, cached)
	}
	if haveOutput {
		// A peer's negative count counts as none.
		candidates, thoughts = max(candidates, 0), max(thoughts, 0)
		u.Output, u.Reasoning = candidates+thoughts, thoughts
	}
}
