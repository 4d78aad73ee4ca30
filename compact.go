package routex

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/routex/routex/transformer"
)

// compactInstruction asks the model for the summary a compaction keeps in
// place of the conversation.
const compactInstruction = "Summarize the conversation so far for your own later use: the user's goals " +
	"and constraints, decisions made, files and commands involved and what they showed, what is done and " +
	"what remains. Be complete but concise; this summary will replace the conversation."

// maxCompactOutput bounds the summary's length, in tokens.
const maxCompactOutput = 8192

// compactElsewhere answers POST /v1/responses/compact when only channels of
// other formats serve the model. Those providers keep no conversation
// state, so routex compacts as a client would: it asks the model, through
// the ordinary pipeline (rules, balancing, failover, records), for a summary
// of the conversation, and answers as the Responses API does, with the
// conversation's user messages and one compaction item. The item's
// encrypted_content carries the summary (transformer.CompactionContent),
// which routex turns back into text when a later request sends the item.
func (c *Client) compactElsewhere(x *exchange) *http.Response {
	body, err := compactionRequest(x.r.Body)
	if err != nil {
		return c.refuse(x, errBody(err.Error()))
	}
	req, err := http.NewRequestWithContext(x.req.Context(), http.MethodPost, compactURL(x.req), bytes.NewReader(body))
	if err != nil {
		return c.refuse(x, errBody("the compaction request cannot be built"))
	}
	req.Header = x.req.Header.Clone()
	req.Header.Del("Content-Length")
	req.ContentLength = int64(len(body))
	resp, err := c.RoundTrip(req)
	if err != nil {
		return c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: err,
			msg: "the summary for the compaction could not be obtained"})
	}
	if resp.StatusCode != http.StatusOK {
		return resp // already an error in the caller's format
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, c.s.maxResponse+1))
	resp.Body.Close()
	if err != nil || int64(len(answer)) > c.s.maxResponse {
		return c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: errTooLarge,
			msg: "the summary for the compaction could not be read"})
	}
	out, err := compactionAnswer(x.r.Body, answer, strconv.FormatInt(x.start.Unix(), 10))
	if err != nil {
		return c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: err, msg: err.Error()})
	}
	h := make(http.Header, 2)
	h.Set("Content-Type", "application/json")
	if ch := resp.Header.Get("X-Routex-Channel"); ch != "" {
		h.Set("X-Routex-Channel", ch)
	}
	return respond(x.req, http.StatusOK, h, out)
}

// compactURL is the caller's URL with the compaction path replaced by the
// Responses endpoint.
func compactURL(r *http.Request) string {
	u := *r.URL
	u.Path = strings.TrimSuffix(u.Path, "/compact")
	u.RawPath = ""
	if u.Host == "" {
		u.Scheme, u.Host = "http", "routex.invalid"
	}
	return u.String()
}

// compactionRequest turns a compaction request (model, input,
// instructions, tools…) into an ordinary Responses request for a summary:
// the conversation, then the instruction as the last user turn. Tools stay
// declared (Anthropic refuses tool calls in a history without them) but may
// not be called.
func compactionRequest(body []byte) ([]byte, error) {
	input := gjson.GetBytes(body, "input")
	var items []byte
	switch {
	case input.IsArray():
		items = append(items, input.Raw...)
	case input.Type == gjson.String:
		items = append(items, `[{"role":"user","content":`...)
		items = append(items, input.Raw...)
		items = append(items, `}]`...)
	default:
		return nil, fmt.Errorf(`"input" must be a string or a list of items to compact`)
	}
	var err error
	if items, err = sjson.SetBytes(items, "-1", map[string]string{"role": "user", "content": compactInstruction}); err != nil {
		return nil, fmt.Errorf("the conversation to compact cannot be read")
	}
	out := []byte(`{}`)
	keep := gjson.GetManyBytes(body, "model", "instructions", "tools", "reasoning", "prompt_cache_key", "service_tier")
	for i, k := range []string{"model", "instructions", "tools", "reasoning", "prompt_cache_key", "service_tier"} {
		if keep[i].Exists() {
			out, _ = sjson.SetRawBytes(out, k, []byte(keep[i].Raw))
		}
	}
	out, _ = sjson.SetRawBytes(out, "input", items)
	if keep[2].IsArray() && len(keep[2].Array()) > 0 {
		out, _ = sjson.SetBytes(out, "tool_choice", "none")
	}
	out, _ = sjson.SetBytes(out, "max_output_tokens", maxCompactOutput)
	out, _ = sjson.SetBytes(out, "store", false)
	out, _ = sjson.SetBytes(out, "stream", false)
	return out, nil
}

// compactionAnswer builds the compaction's answer: the request's user
// messages, as the Responses API keeps them, then one compaction item
// carrying the summary in answer (a Responses body), with answer's usage.
func compactionAnswer(request, answer []byte, created string) ([]byte, error) {
	var summary strings.Builder
	gjson.GetBytes(answer, "output").ForEach(func(_, item gjson.Result) bool {
		if item.Get("type").Str == "message" {
			item.Get("content").ForEach(func(_, part gjson.Result) bool {
				if part.Get("type").Str == "output_text" {
					summary.WriteString(part.Get("text").Str)
				}
				return true
			})
		}
		return true
	})
	if strings.TrimSpace(summary.String()) == "" {
		return nil, fmt.Errorf("the model gave no summary to compact the conversation into")
	}
	out := []byte(`{"id":"","object":"response.compaction","created_at":0,"output":[]}`)
	out, _ = sjson.SetBytes(out, "id", "cmp_"+randomHex(12))
	out, _ = sjson.SetRawBytes(out, "created_at", []byte(created))
	input := gjson.GetBytes(request, "input")
	if input.Type == gjson.String {
		out, _ = sjson.SetRawBytes(out, "output.-1", []byte(`{"type":"message","role":"user","content":[{"type":"input_text","text":`+input.Raw+`}]}`))
	}
	input.ForEach(func(_, item gjson.Result) bool {
		typ := item.Get("type").Str
		if (typ == "" || typ == "message") && item.Get("role").Str == "user" {
			out, _ = sjson.SetRawBytes(out, "output.-1", []byte(item.Raw))
		}
		return true
	})
	compaction := []byte(`{"type":"compaction","id":"","encrypted_content":""}`)
	compaction, _ = sjson.SetBytes(compaction, "id", "cmp_"+randomHex(12))
	compaction, _ = sjson.SetBytes(compaction, "encrypted_content", transformer.CompactionContent(summary.String()))
	out, _ = sjson.SetRawBytes(out, "output.-1", compaction)
	if u := gjson.GetBytes(answer, "usage"); u.IsObject() {
		out, _ = sjson.SetRawBytes(out, "usage", []byte(u.Raw))
	}
	return out, nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
