package transformer

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// ErrInvalidResponse is returned by ConvertResponse for an upstream body
// that is not a JSON object.
var ErrInvalidResponse = errors.New("transformer: upstream response is not a JSON object")

// ConvertResponse converts a complete 2xx response body from c.To's format
// back to c.From's. The model is reported as the caller asked for it
// (c.Model) and tool names are mapped back through c.CallerToolName. With a
// nil Conversion or c.From == c.To the body is returned unchanged.
func ConvertResponse(c *Conversion, body []byte) ([]byte, error) {
	return convertResponse(c, body, true)
}

// ConvertResponseValidated is ConvertResponse for a body already known to be
// valid JSON, as a router that checked the upstream's answer knows it to be:
// the body is not validated again. Given invalid JSON it neither panics nor
// promises any particular output.
func ConvertResponseValidated(c *Conversion, body []byte) ([]byte, error) {
	return convertResponse(c, body, false)
}

func convertResponse(c *Conversion, body []byte, validate bool) ([]byte, error) {
	if c == nil || c.From == c.To {
		return body, nil
	}
	if !c.From.Valid() || !c.To.Valid() {
		return nil, fmt.Errorf("transformer: cannot convert a response from %q to %q", c.To, c.From)
	}
	s := bytesString(body)
	if validate && !jsonx.Valid(s) {
		return nil, ErrInvalidResponse
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return nil, ErrInvalidResponse
	}
	if c.To == Anthropic {
		return anthropicToOpenAIResponse(c, root, len(body)), nil
	}
	return openAIToAnthropicResponse(c, root, len(body)), nil
}

// FinishReason returns the OpenAI finish_reason for an Anthropic
// stop_reason. Callers that saw a tool call report "tool_calls" whatever
// the stop reason said.
func FinishReason(stopReason string) string {
	switch stopReason {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	// end_turn, stop_sequence, pause_turn and anything new.
	return "stop"
}

// StopReason returns the Anthropic stop_reason for an OpenAI
// finish_reason. Callers that saw a tool call report "tool_use" whatever
// the finish reason said.
func StopReason(finishReason string) string {
	switch finishReason {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

// anthropicToOpenAIResponse converts an Anthropic message into a
// chat.completion.
func anthropicToOpenAIResponse(c *Conversion, root gjson.Result, size int) []byte {
	var msg struct{ id, model, content, stopReason, usage gjson.Result }
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			msg.id = v
		case "model":
			msg.model = v
		case "content":
			msg.content = v
		case "stop_reason":
			msg.stopReason = v
		case "usage":
			msg.usage = v
		}
		return true
	})
	var texts, thinks []gjson.Result
	var calls []contentBlock
	msg.content.ForEach(func(_, x gjson.Result) bool {
		var b contentBlock
		b.read(x)
		switch b.typ {
		case "text":
			// Citations are not turned into annotations: nothing in an
			// OpenAI reply would point at the cited documents.
			if b.text.String() != "" {
				texts = append(texts, b.text)
			}
		case "thinking":
			if b.thinking.String() != "" {
				thinks = append(thinks, b.thinking)
			}
		case "tool_use":
			calls = append(calls, b)
		}
		// redacted_thinking, server_tool_use and server tool results have
		// no OpenAI form.
		return true
	})

	out := make([]byte, 0, size+256)
	out = append(out, `{"id":`...)
	if msg.id.String() != "" {
		out = appendStringValue(out, msg.id)
	} else {
		out = appendJSONString(out, "chatcmpl-"+randomID())
	}
	out = append(out, `,"object":"chat.completion","created":`...)
	out = appendInt(out, time.Now().Unix())
	out = append(out, `,"model":`...)
	out = appendModel(out, c, msg.model)
	out = append(out, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	switch {
	case len(texts) > 0:
		out = append(out, '"')
		for _, t := range texts {
			out = appendStringBody(out, t)
		}
		out = append(out, '"')
	case len(calls) > 0:
		out = append(out, "null"...)
	default:
		out = append(out, `""`...)
	}
	if len(thinks) > 0 {
		out = append(out, `,"reasoning_content":"`...)
		for _, t := range thinks {
			out = appendStringBody(out, t)
		}
		out = append(out, '"')
	}
	if len(calls) > 0 {
		out = append(out, `,"tool_calls":[`...)
		for i := range calls {
			b := &calls[i]
			out = appendSep(out)
			out = append(out, `{"id":`...)
			out = appendStringValue(out, b.id)
			out = append(out, `,"type":"function","function":{"name":`...)
			out = appendJSONString(out, c.CallerToolName(b.name.String()))
			out = append(out, `,"arguments":`...)
			if b.input.IsObject() {
				out = appendJSONAsString(out, b.input.Raw)
			} else {
				out = append(out, `"{}"`...)
			}
			out = append(out, `}}`...)
		}
		out = append(out, ']')
	}
	out = append(out, `},"finish_reason":"`...)
	if len(calls) > 0 {
		out = append(out, "tool_calls"...)
	} else {
		out = append(out, FinishReason(msg.stopReason.Str)...)
	}
	out = append(out, `"}]`...)

	var u Usage
	if msg.usage.IsObject() {
		u.mergeObject(Anthropic, msg.usage)
	}
	return appendOpenAIUsage(out, u)
}

// appendOpenAIUsage appends `,"usage":{…}}`, closing the completion.
// OpenAI's prompt_tokens include cached ones; Anthropic's input_tokens do
// not.
func appendOpenAIUsage(out []byte, u Usage) []byte {
	prompt := u.Input + u.CacheRead + u.CacheWrite
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = appendInt(out, prompt)
	out = append(out, `,"completion_tokens":`...)
	out = appendInt(out, u.Output)
	out = append(out, `,"total_tokens":`...)
	out = appendInt(out, prompt+u.Output)
	out = append(out, `,"prompt_tokens_details":{"cached_tokens":`...)
	out = appendInt(out, u.CacheRead)
	out = append(out, '}')
	if u.CacheWrite > 0 {
		// Not an OpenAI field, but the one OpenAI-compatible gateways use
		// for cache writes, which cost more than other input.
		out = append(out, `,"cache_creation_input_tokens":`...)
		out = appendInt(out, u.CacheWrite)
	}
	return append(out, `}}`...)
}

// appendModel appends the model the caller asked for, else the upstream's.
func appendModel(out []byte, c *Conversion, upstream gjson.Result) []byte {
	if c.Model != "" {
		return appendJSONString(out, c.Model)
	}
	return appendJSONString(out, upstream.String())
}

// openAIToAnthropicResponse converts a chat.completion into an Anthropic
// message. Only the first choice is kept: Anthropic has no n.
func openAIToAnthropicResponse(c *Conversion, root gjson.Result, size int) []byte {
	choice := root.Get("choices.0")
	msg := choice.Get("message")

	out := make([]byte, 0, size+256)
	out = append(out, `{"id":`...)
	switch id := root.Get("id").String(); {
	case strings.HasPrefix(id, "msg_"):
		out = appendJSONString(out, id)
	case id != "":
		out = appendJSONString(out, "msg_"+id)
	default:
		out = appendJSONString(out, "msg_"+randomID())
	}
	out = append(out, `,"type":"message","role":"assistant","model":`...)
	out = appendModel(out, c, root.Get("model"))
	out = append(out, `,"content":[`...)

	// Reasoning first, as Anthropic orders thinking before the answer. It
	// carries no signature: the caller can show it and send it back to
	// this route, where it becomes reasoning_content again.
	reasoning := msg.Get("reasoning_content")
	if reasoning.String() == "" {
		reasoning = msg.Get("reasoning")
	}
	if reasoning.Type == gjson.String && reasoning.Str != "" {
		out = append(out, `{"type":"thinking","thinking":`...)
		out = append(out, reasoning.Raw...)
		out = append(out, `,"signature":""}`...)
	}
	content := msg.Get("content")
	switch {
	case content.Type == gjson.String:
		out = appendResponseText(out, content)
	case content.IsArray():
		content.ForEach(func(_, p gjson.Result) bool {
			if p.Get("type").Str == "text" {
				out = appendResponseText(out, p.Get("text"))
			}
			return true
		})
	}
	// "refusal": null and "annotations": [] come with every real OpenAI
	// reply; only a refusal string is content.
	refusal := msg.Get("refusal")
	refused := refusal.Type == gjson.String && refusal.Str != ""
	if refused {
		out = appendResponseText(out, refusal)
	}
	calls := 0
	idBase := root.Get("id").String()
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		if typ := tc.Get("type").Str; typ != "function" && typ != "" {
			return true
		}
		out = appendResponseToolUse(out, c, tc.Get("id").String(), idBase, calls, tc.Get("function"))
		calls++
		return true
	})
	if fc := msg.Get("function_call"); fc.IsObject() {
		out = appendResponseToolUse(out, c, "", idBase, calls, fc)
		calls++
	}
	out = append(out, `],"stop_reason":"`...)
	switch {
	case calls > 0:
		out = append(out, "tool_use"...)
	case refused:
		out = append(out, "refusal"...)
	default:
		out = append(out, StopReason(choice.Get("finish_reason").Str)...)
	}
	out = append(out, `","stop_sequence":null`...)

	var u Usage
	if usage := root.Get("usage"); usage.IsObject() {
		u.mergeObject(OpenAI, usage)
	}
	return appendAnthropicUsage(out, u)
}

// appendAnthropicUsage appends `,"usage":{…}}`, closing the message.
func appendAnthropicUsage(out []byte, u Usage) []byte {
	out = append(out, `,"usage":{"input_tokens":`...)
	out = appendInt(out, u.Input)
	out = append(out, `,"cache_creation_input_tokens":`...)
	out = appendInt(out, u.CacheWrite)
	out = append(out, `,"cache_read_input_tokens":`...)
	out = appendInt(out, u.CacheRead)
	out = append(out, `,"output_tokens":`...)
	out = appendInt(out, u.Output)
	return append(out, `}}`...)
}

// appendResponseText appends a text block unless t is empty: clients and
// Anthropic itself reject empty text blocks when they are sent back.
func appendResponseText(out []byte, t gjson.Result) []byte {
	if t.Type != gjson.String || t.Str == "" {
		return out
	}
	out = appendSep(out)
	out = append(out, `{"type":"text","text":`...)
	out = append(out, t.Raw...)
	return append(out, '}')
}

// appendResponseToolUse appends a tool_use block for an OpenAI function
// call. A call without an id (legacy function_call, some local servers)
// gets one made from the reply's id and its position, so that the caller
// can still answer it.
func appendResponseToolUse(out []byte, c *Conversion, id, idBase string, n int, fn gjson.Result) []byte {
	out = appendSep(out)
	out = append(out, `{"type":"tool_use","id":`...)
	if id == "" {
		if idBase == "" {
			idBase = randomID()
		}
		out = append(out, `"toolu_`...)
		out = appendHex32(out, fnv32(idBase))
		out = append(out, '_')
		out = appendInt(out, int64(n))
		out = append(out, '"')
	} else {
		out = appendJSONString(out, anthropicToolID(id))
	}
	out = append(out, `,"name":`...)
	out = appendJSONString(out, c.CallerToolName(fn.Get("name").String()))
	out = append(out, `,"input":`...)
	out = append(out, toolArguments(fn.Get("arguments"))...)
	return append(out, '}')
}

// randomID returns 24 random hex digits for ids the upstream did not send.
func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 24)
	for _, x := range b {
		out = append(out, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return string(out)
}
