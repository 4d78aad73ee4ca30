package transformer

import (
	"fmt"

	"github.com/routex/routex/internal/jsonx"
	"github.com/tidwall/gjson"
)

// decodeResponse reads a Gemini GenerateContentResponse: the first
// candidate's parts in order, its finishReason, and usageMetadata. Gemini's
// calls mostly carry no ids: such calls are left without one, and each
// encoder makes its own from the responseId and the call's position, so
// that the same answer always gives the same ids.
//
// An answer Gemini stopped because it could not form a valid call
// (MALFORMED_FUNCTION_CALL and its kin) has nothing to give the caller and
// is not a refusal either: it is returned as ErrResponseFailed, so that the
// caller gets a 5xx it may retry, never a silent empty turn. A safety or
// recitation stop, or a prompt blocked before any candidate, is a refusal.
func (geminiCodec) decodeResponse(x *responseState, c *Conversion, root jsonx.Value) error {
	r := &x.form
	var candidates, usage, feedback jsonx.Value
	it := root.Members()
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch k {
		case "responseId":
			r.ID = v
		case "modelVersion":
			r.Model = v
		case "candidates":
			candidates = v
		case "usageMetadata":
			usage = v
		case "promptFeedback":
			feedback = v
		}
	}
	if usage.IsObject() {
		r.Usage.mergeGemini(gjson.Parse(string(usage)))
	}
	var cand jsonx.Value
	if candidates.IsArray() {
		cs := candidates.Values()
		cand, _ = cs.Next()
	}
	if !cand.IsObject() {
		if reason := feedback.Get("blockReason"); reason.HasText() {
			r.Stop = stopRefusal
			r.Content = append(r.Content, formPart{Kind: blockRefusal,
				Text: x.stringToken("The prompt was blocked (" + reason.Text() + ").")})
		}
		return nil
	}
	var content, finish, finishMessage jsonx.Value
	cm := cand.Members()
	for k, v, ok := cm.Next(); ok; k, v, ok = cm.Next() {
		switch k {
		case "content":
			content = v
		case "finishReason":
			finish = v
		case "finishMessage":
			finishMessage = v
		}
	}
	reason := finish.Str()
	switch geminiFinishKind(reason) {
	case geminiFinishFailed:
		msg := "Gemini ended the turn with " + reason
		if m := finishMessage.Text(); m != "" {
			msg += ": " + m
		}
		return fmt.Errorf("%w: %s", ErrResponseFailed, errorSnippet(msg))
	case geminiFinishRefused:
		r.Stop = stopRefusal
	case geminiFinishLength:
		r.Stop = stopMaxTokens
	}
	parts := content.Get("parts")
	ps := parts.Values()
	for pv, ok := ps.Next(); ok && parts.IsArray(); pv, ok = ps.Next() {
		var p formPart
		var gp geminiPart
		gp.read(pv)
		text, call, sig, thought := gp.text, gp.call, gp.signature, gp.thought
		switch {
		case call.IsObject():
			p.Kind = blockToolCall
			p.Name = x.callerToolName(c, call.Get("name"))
			// Vertex AI, and the Gemini API on some models, do give ids.
			if id := call.Get("id"); id.IsString() && id.HasText() {
				p.ID = id
			}
			p.Input = call.Get("args")
			if !p.Input.IsObject() {
				p.Input = "{}"
			}
		case thought:
			p.Kind, p.Text = blockThinking, text
		case text.IsString():
			p.Kind, p.Text = blockText, text
		case sig.IsString():
			// A signature alone on an empty part still has to go back.
			p.Kind, p.Text = blockText, `""`
		default:
			continue
		}
		if sig.IsString() && sig.HasText() {
			p.Signature, p.Origin = sig, Gemini
		}
		r.Content = append(r.Content, p)
	}
	if r.Stop == stopRefusal && !hasVisibleText(r.Content) {
		msg := "Gemini stopped the answer (" + reason + ")."
		if m := finishMessage.Text(); m != "" {
			msg = "Gemini stopped the answer (" + reason + "): " + m
		}
		r.Content = append(r.Content, formPart{Kind: blockRefusal, Text: x.stringToken(msg)})
	}
	return nil
}

// stringToken returns s as a string token kept in x.tokens.
func (x *responseState) stringToken(s string) jsonx.Value {
	n := len(x.tokens)
	x.tokens = jsonx.AppendString(x.tokens, s)
	return jsonx.Value(jsonx.BytesString(x.tokens[n:]))
}

// hasVisibleText reports whether parts hold text a caller would show.
func hasVisibleText(parts []formPart) bool {
	for i := range parts {
		if p := &parts[i]; (p.Kind == blockText || p.Kind == blockRefusal) && p.Text.IsString() && p.Text.HasText() {
			return true
		}
	}
	return false
}

// geminiFinish groups Gemini's finish reasons by what the caller must see.
type geminiFinish uint8

const (
	geminiFinishEnd geminiFinish = iota
	geminiFinishLength
	// geminiFinishRefused: the model or a filter declined to answer.
	geminiFinishRefused
	// geminiFinishFailed: the model failed to produce a usable turn.
	geminiFinishFailed
)

// geminiFinishKind classifies a finishReason. Reasons it does not know
// (and OTHER) end the turn normally: what was produced is given.
func geminiFinishKind(reason string) geminiFinish {
	switch reason {
	case "MAX_TOKENS":
		return geminiFinishLength
	case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR":
		return geminiFinishRefused
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS",
		"MISSING_THOUGHT_SIGNATURE", "MALFORMED_RESPONSE":
		return geminiFinishFailed
	}
	return geminiFinishEnd
}

// geminiFinishString is the finishReason written for r. Gemini ends a tool
// turn with STOP.
func geminiFinishString(r stopReason) string {
	switch r {
	case stopMaxTokens, stopContextWindow:
		return "MAX_TOKENS"
	case stopRefusal:
		return "SAFETY"
	}
	return "STOP"
}

// appendResponse writes a GenerateContentResponse for a Gemini caller: one
// candidate with the parts in order, thinking as thought parts, tool calls
// as functionCall parts with object arguments, refusals as text with
// finishReason SAFETY. A thoughtSignature goes out only when Gemini made
// it; redacted thinking, which a Gemini caller cannot read or send back,
// is dropped.
func (geminiCodec) appendResponse(out []byte, x *responseState, c *Conversion) []byte {
	r := &x.form
	out = append(out, `{"candidates":[{"content":{"role":"model","parts":[`...)
	for i := range r.Content {
		p := &r.Content[i]
		signed := p.Origin == Gemini && p.Signature.IsString() && p.Signature.HasText()
		switch p.Kind {
		case blockText, blockRefusal:
			if !(p.Text.IsString() && p.Text.HasText()) && !signed {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"text":`...)
			out = appendTokenOrEmpty(out, p.Text)
		case blockThinking:
			if !p.Text.HasText() && !signed {
				continue
			}
			out = jsonx.AppendSep(out)
			out = append(out, `{"text":`...)
			out = appendTokenOrEmpty(out, p.Text)
			out = append(out, `,"thought":true`...)
		case blockToolCall:
			out = jsonx.AppendSep(out)
			out = append(out, `{"functionCall":{"name":`...)
			out = jsonx.AppendValueString(out, p.Name)
			out = append(out, `,"args":`...)
			out = x.appendInputObject(out, p)
			out = append(out, '}')
		default:
			continue
		}
		if signed {
			out = append(out, `,"thoughtSignature":`...)
			out = append(out, p.Signature...)
		}
		out = append(out, '}')
	}
	out = append(out, `]},"finishReason":"`...)
	out = append(out, geminiFinishString(r.Stop)...)
	out = append(out, `","index":0}],"usageMetadata":`...)
	out = appendGeminiUsage(out, r.Usage)
	out = append(out, `,"modelVersion":`...)
	out = appendResponseModel(out, c, r.Model)
	out = append(out, `,"responseId":`...)
	if r.ID.IsString() && r.ID.HasText() {
		out = append(out, r.ID...)
	} else {
		out = append(out, '"')
		out = appendRandomHex(out)
		out = append(out, '"')
	}
	return append(out, '}')
}

// appendGeminiUsage appends a usageMetadata object. Gemini counts cached
// tokens inside promptTokenCount and thinking beside the answer's tokens,
// in thoughtsTokenCount.
func appendGeminiUsage(out []byte, u Usage) []byte {
	reasoning := min(max(u.Reasoning, 0), u.Output)
	prompt := u.Input + u.CacheRead + u.CacheWrite
	out = append(out, `{"promptTokenCount":`...)
	out = appendInt(out, prompt)
	out = append(out, `,"candidatesTokenCount":`...)
	out = appendInt(out, u.Output-reasoning)
	if u.CacheRead > 0 {
		out = append(out, `,"cachedContentTokenCount":`...)
		out = appendInt(out, u.CacheRead)
	}
	if reasoning > 0 {
		out = append(out, `,"thoughtsTokenCount":`...)
		out = appendInt(out, reasoning)
	}
	out = append(out, `,"totalTokenCount":`...)
	out = appendInt(out, prompt+u.Output)
	return append(out, '}')
}
