package transformer

import (
	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
	"strings"
)

// decodeResponse reads an Anthropic message. Server tool blocks
// (server_tool_use, web_search_tool_result…) have no form: only Anthropic
// callers could use them, and they are answered by pass-through.
func (anthropicCodec) decodeResponse(x *responseState, c *Conversion, root jsonx.Value) error {
	r := &x.form
	var content, usage jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "id":
			r.ID = v
		case "model":
			r.Model = v
		case "content":
			content = v
		case "stop_reason":
			r.Stop = anthropicStopReason(v.Str())
		case "stop_sequence":
			if v.IsString() {
				r.stopSequence = v
			}
		case "usage":
			usage = v
		}
	}
	blocks := content.Values()
	for b, ok := blocks.Next(); ok && content.IsArray(); b, ok = blocks.Next() {
		var p formPart
		var typ string
		bm := b.Members()
		for k, v, ok := bm.Next(); ok; k, v, ok = bm.Next() {
			switch k {
			case "type":
				typ = v.Str()
			case "text", "thinking":
				p.Text = v
			case "signature", "data":
				p.Signature = v
			case "citations":
				p.Citations = v
			case "id":
				p.ID = v
			case "name":
				p.Name = v
			case "input":
				p.Input = v
			}
		}
		switch typ {
		case "text":
			p.Kind = blockText
		case "thinking":
			p.Kind, p.Origin = blockThinking, Anthropic
		case "redacted_thinking":
			p.Kind, p.Origin, p.Text = blockRedacted, Anthropic, ""
		case "tool_use":
			p.Kind, p.Text = blockToolCall, ""
			p.Name = x.callerToolName(c, p.Name)
		default:
			continue
		}
		r.Content = append(r.Content, p)
	}
	if usage.IsObject() {
		r.Usage.mergeObject(Anthropic, gjson.Parse(string(usage)))
	}
	return nil
}

// appendResponse writes an Anthropic message. Thinking without an
// Anthropic signature keeps its text with an empty signature: the caller
// can show it, and sent back through this route it becomes the upstream's
// reasoning again. Redacted thinking from elsewhere cannot be shown and is
// dropped. A refusal is text, with stop_reason refusal.
func (anthropicCodec) appendResponse(out []byte, x *responseState, c *Conversion) []byte {
	r := &x.form
	out = append(out, `{"id":`...)
	switch id := r.ID.Str(); {
	case strings.HasPrefix(id, "msg_"):
		out = jsonx.AppendValueString(out, r.ID)
	case id != "":
		out = append(out, `"msg_`...)
		out = jsonx.AppendValueBody(out, r.ID)
		out = append(out, '"')
	default:
		out = append(out, `"msg_`...)
		out = appendRandomHex(out)
		out = append(out, '"')
	}
	out = append(out, `,"type":"message","role":"assistant","model":`...)
	out = appendResponseModel(out, c, r.Model)
	out = append(out, `,"content":[`...)
	calls := 0
	for i := range r.Content {
		p := &r.Content[i]
		signed := p.Origin == Anthropic && p.Signature.HasText()
		switch p.Kind {
		case blockThinking:
			if !p.Text.HasText() && !signed {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"type":"thinking","thinking":`...)
			out = appendTokenOrEmpty(out, p.Text)
			out = append(out, `,"signature":`...)
			if signed {
				out = jsonx.AppendValueString(out, p.Signature)
			} else {
				out = append(out, `""`...)
			}
			out = append(out, '}')
		case blockRedacted:
			if !signed {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"type":"redacted_thinking","data":`...)
			out = jsonx.AppendValueString(out, p.Signature)
			out = append(out, '}')
		case blockText, blockRefusal:
			// Clients and Anthropic itself reject empty text blocks when
			// they are sent back.
			if !p.Text.IsString() || !p.Text.HasText() {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"type":"text","text":`...)
			out = append(out, p.Text...)
			if p.Citations.IsArray() {
				out = append(out, `,"citations":`...)
				out = append(out, p.Citations...)
			}
			out = append(out, '}')
		case blockToolCall:
			out = jsonx.AppendSep(out)
			out = append(out, `{"type":"tool_use","id":`...)
			if p.ID.HasText() {
				out = jsonx.AppendString(out, anthropicToolID(p.ID.Text()))
			} else {
				out = appendMadeUpCallID(out, "toolu_", r.ID, calls)
			}
			out = append(out, `,"name":`...)
			out = jsonx.AppendValueString(out, p.Name)
			out = append(out, `,"input":`...)
			out = x.appendInputObject(out, p)
			out = append(out, '}')
			calls++
		}
	}
	out = append(out, `],"stop_reason":"`...)
	out = append(out, anthropicStopString(r.Stop)...)
	out = append(out, `","stop_sequence":`...)
	if r.stopSequence.IsString() {
		out = append(out, r.stopSequence...)
	} else {
		out = append(out, "null"...)
	}
	return appendAnthropicUsage(out, r.Usage)
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

// appendTokenOrEmpty appends a string token, or "" for anything else.
func appendTokenOrEmpty(dst []byte, v jsonx.Value) []byte {
	if v.IsString() {
		return append(dst, v...)
	}
	return append(dst, `""`...)
}
