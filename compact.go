package routex

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
	summary, channel, resp := c.summarize(x)
	if resp != nil {
		return resp
	}
	out := compactionAnswer(x.r.Body, summary, strconv.FormatInt(x.start.Unix(), 10))
	return respond(x.req, http.StatusOK, compactHeader(channel), out)
}

// compactTriggered answers a Responses request whose input ends with a
// compaction_trigger item (how Codex compacts when it takes routex for
// OpenAI itself) when no Responses channel serves the model: one response
// whose output is exactly one compaction item, streamed if asked.
func (c *Client) compactTriggered(x *exchange) *http.Response {
	summary, channel, resp := c.summarize(x)
	if resp != nil {
		return resp
	}
	r := triggeredResponse(x.r.Model, x.start.Unix(), summary)
	h := compactHeader(channel)
	if !x.r.Stream {
		return respond(x.req, http.StatusOK, h, r.body())
	}
	h.Set("Content-Type", "text/event-stream")
	return respond(x.req, http.StatusOK, h, r.events())
}

// compactTrigger reports whether a Responses request asks for a compaction
// of its input: its last input item is a compaction_trigger.
func compactTrigger(body []byte) bool {
	return bytes.Contains(body, []byte(`"compaction_trigger"`)) &&
		gjson.GetBytes(body, "input.@reverse.0.type").Str == "compaction_trigger"
}

// summarize asks the model, through the ordinary pipeline, for a summary of
// x's conversation. It returns the summary and the channel that gave it,
// or the response to give the caller instead.
func (c *Client) summarize(x *exchange) (summary, channel string, failed *http.Response) {
	body, err := compactionRequest(x.r.Body)
	if err != nil {
		return "", "", c.refuse(x, errBody(err.Error()))
	}
	req, err := http.NewRequestWithContext(x.req.Context(), http.MethodPost, compactURL(x.req), bytes.NewReader(body))
	if err != nil {
		return "", "", c.refuse(x, errBody("the compaction request cannot be built"))
	}
	req.Header = x.req.Header.Clone()
	req.Header.Del("Content-Length")
	req.ContentLength = int64(len(body))
	resp, err := c.RoundTrip(req)
	if err != nil {
		return "", "", c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: err,
			msg: "the summary for the compaction could not be obtained"})
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", resp // already an error in the caller's format
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, c.s.maxResponse+1))
	resp.Body.Close()
	if err != nil || int64(len(answer)) > c.s.maxResponse {
		return "", "", c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: errTooLarge,
			msg: "the summary for the compaction could not be read"})
	}
	summary = outputText(answer)
	if strings.TrimSpace(summary) == "" {
		return "", "", c.refuse(x, &refusal{status: http.StatusBadGateway, code: "upstream_failed", err: errNoSummary,
			msg: errNoSummary.Error()})
	}
	return summary, resp.Header.Get("X-Routex-Channel"), nil
}

var errNoSummary = errors.New("the model gave no summary to compact the conversation into")

func compactHeader(channel string) http.Header {
	h := make(http.Header, 2)
	h.Set("Content-Type", "application/json")
	if channel != "" {
		h.Set("X-Routex-Channel", channel)
	}
	return h
}

// outputText returns the text of a Responses body's message items.
func outputText(answer []byte) string {
	var text strings.Builder
	gjson.GetBytes(answer, "output").ForEach(func(_, item gjson.Result) bool {
		if item.Get("type").Str == "message" {
			item.Get("content").ForEach(func(_, part gjson.Result) bool {
				if part.Get("type").Str == "output_text" {
					text.WriteString(part.Get("text").Str)
				}
				return true
			})
		}
		return true
	})
	return text.String()
}

// triggered is the answer to a compaction_trigger: one compaction item.
type triggered struct {
	id, model, item string
	created         int64
}

func triggeredResponse(model string, created int64, summary string) triggered {
	item := []byte(`{"type":"compaction","id":"","encrypted_content":""}`)
	item, _ = sjson.SetBytes(item, "id", "cmp_"+randomHex(12))
	item, _ = sjson.SetBytes(item, "encrypted_content", transformer.CompactionContent(summary))
	return triggered{id: "resp_" + randomHex(12), model: model, item: string(item), created: created}
}

// object returns the response object with the given status and output.
func (t triggered) object(status, output string) []byte {
	b := []byte(`{"id":"","object":"response","created_at":0,"status":"","model":"","output":[]}`)
	b, _ = sjson.SetBytes(b, "id", t.id)
	b, _ = sjson.SetBytes(b, "created_at", t.created)
	b, _ = sjson.SetBytes(b, "status", status)
	b, _ = sjson.SetBytes(b, "model", t.model)
	b, _ = sjson.SetRawBytes(b, "output", []byte(output))
	return b
}

func (t triggered) body() []byte { return t.object("completed", "["+t.item+"]") }

// events streams the answer as the Responses API does.
func (t triggered) events() []byte {
	var out []byte
	seq := 0
	ev := func(typ string, fields ...string) {
		data := []byte(`{"type":""}`)
		data, _ = sjson.SetBytes(data, "type", typ)
		for i := 0; i+1 < len(fields); i += 2 {
			data, _ = sjson.SetRawBytes(data, fields[i], []byte(fields[i+1]))
		}
		data, _ = sjson.SetBytes(data, "sequence_number", seq)
		seq++
		out = transformer.AppendEvent(out, typ, data)
	}
	ev("response.created", "response", string(t.object("in_progress", "[]")))
	ev("response.in_progress", "response", string(t.object("in_progress", "[]")))
	ev("response.output_item.added", "output_index", "0", "item", t.item)
	ev("response.output_item.done", "output_index", "0", "item", t.item)
	ev("response.completed", "response", string(t.body()))
	return out
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
		items = append(items, '[')
		input.ForEach(func(_, item gjson.Result) bool {
			if item.Get("type").Str != "compaction_trigger" {
				if len(items) > 1 {
					items = append(items, ',')
				}
				items = append(items, item.Raw...)
			}
			return true
		})
		items = append(items, ']')
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
// carrying summary.
func compactionAnswer(request []byte, summary, created string) []byte {
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
	compaction, _ = sjson.SetBytes(compaction, "encrypted_content", transformer.CompactionContent(summary))
	out, _ = sjson.SetRawBytes(out, "output.-1", compaction)
	return out
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
