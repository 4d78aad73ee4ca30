package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/transformer"
)

func (s *Server) listTransformers(w http.ResponseWriter, r *http.Request) {
	names := transformer.Names()
	slices.Sort(names)
	writeJSON(w, http.StatusOK, names)
}

func (s *Server) testTransformer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		// Transformer, Request and Response are the names the product's
		// documentation gives Name and Body.
		Transformer string          `json:"transformer"`
		Direction   string          `json:"direction"`
		Body        json.RawMessage `json:"body"`
		Request     json.RawMessage `json:"request"`
		Response    json.RawMessage `json:"response"`
		Options     json.RawMessage `json:"options"`
		// From is the format of a body given to a format's name; guessed
		// from the body when empty.
		From string `json:"from"`
	}
	if !decode(w, r, &in) {
		return
	}
	name := cmp.Or(in.Name, in.Transformer)
	if in.Direction == "" {
		in.Direction = string(transformer.DirRequest)
		if len(in.Response) > 0 && len(in.Request) == 0 {
			in.Direction = string(transformer.DirResponse)
		}
	}
	dir := transformer.Direction(in.Direction)
	body := in.Body
	switch {
	case len(body) > 0:
	case dir == transformer.DirResponse:
		body = in.Response
	default:
		body = in.Request
	}
	if to := routex.Format(name); to.Valid() && (dir == transformer.DirRequest || dir == transformer.DirResponse) {
		s.convertForTest(w, to, dir, routex.Format(in.From), body)
		return
	}
	out, err := transformer.Test(name, dir, body, in.Options)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"body": out})
}

// convertForTest answers the transformer tester given a format's name:
// the request routex would send a channel of format to (or the answer a
// caller of format to would get from an upstream) for body, in format
// from, guessed when empty.
func (s *Server) convertForTest(w http.ResponseWriter, to routex.Format, dir transformer.Direction, from routex.Format, body []byte) {
	if from == "" {
		from = guessFormat(body, dir)
	}
	if !from.Valid() {
		apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("the body's format could not be told; name it in \"from\" (one of %v)", transformer.Formats))
		return
	}
	out := struct {
		Body json.RawMessage `json:"body"`
		From routex.Format   `json:"from"`
		To   routex.Format   `json:"to"`
		Note string          `json:"note,omitempty"`
	}{From: from, To: to}
	var err error
	switch {
	case from == to:
		out.Body = body
		out.Note = fmt.Sprintf("the body is already in the %s format: a channel of that type gets it unchanged", to)
	case dir == transformer.DirRequest:
		out.Body, _, err = transformer.ConvertRequest(from, to, body)
		out.Note = fmt.Sprintf("converted from the %s format: the request routex sends a channel of type %s for it", from, to)
	default:
		out.Body, err = transformer.ConvertResponse(&transformer.Conversion{From: to, To: from}, body)
		out.Note = fmt.Sprintf("converted from the %s format: the answer a caller in the %s format gets from such an upstream", from, to)
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// hasAnthropicBlock reports whether a message holds a content block only
// Anthropic's format has.
func hasAnthropicBlock(messages gjson.Result) bool {
	found := false
	messages.ForEach(func(_, m gjson.Result) bool {
		m.Get("content").ForEach(func(_, b gjson.Result) bool {
			switch b.Get("type").Str {
			case "tool_use", "tool_result", "image", "document", "thinking":
				found = true
			}
			return !found
		})
		return !found
	})
	return found
}

// guessFormat tells the format of a request or answer body by the members
// only one format has; a Messages-or-Chat request that gives max_tokens
// and nothing only Chat has is taken for Anthropic's, which requires it.
func guessFormat(body []byte, dir transformer.Direction) routex.Format {
	g := func(path string) gjson.Result { return gjson.GetBytes(body, path) }
	if dir == transformer.DirResponse {
		switch {
		case g("candidates").Exists():
			return routex.FormatGemini
		case g("choices").Exists():
			return routex.FormatOpenAI
		case g("object").Str == "response" || g("output").IsArray():
			return routex.FormatResponses
		case g("type").Str == "message" || g("content").IsArray():
			return routex.FormatAnthropic
		}
		return ""
	}
	switch {
	case g("contents").Exists():
		return routex.FormatGemini
	case g("input").Exists() || g("instructions").Exists():
		return routex.FormatResponses
	case !g("messages").IsArray():
		return ""
	case g("system").Exists(), g("thinking").Exists(), hasAnthropicBlock(g("messages")):
		return routex.FormatAnthropic
	case g(`messages.#(role=="system")`).Exists(), g(`messages.#(role=="developer")`).Exists(), g(`messages.#(role=="tool")`).Exists(),
		g("max_completion_tokens").Exists(), g("tool_choice").Type == gjson.String, g("stream_options").Exists(), g("response_format").Exists():
		return routex.FormatOpenAI
	case g("max_tokens").Exists():
		return routex.FormatAnthropic
	}
	return routex.FormatOpenAI
}
