package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// checkResponsesStream checks a Responses caller stream against the rules
// OpenAI's own streams follow: every event named by its event line and its
// type, sequence_number 0, 1, 2…, response.created then
// response.in_progress first, every item added before its deltas and done
// before the final event, each delta's text adding up to what the done
// events say, exactly one final event (response.completed, incomplete or
// failed) and nothing after it, and the final response's output equal to
// the items output_item.done gave, in output order.
func checkResponsesStream(evs []Event) error {
	type item struct {
		typ, id string
		done    bool
		text    strings.Builder // output text, refusal, arguments, input or summary
		final   string          // the item as output_item.done gave it
	}
	var items []*item
	final := ""
	for i, ev := range evs {
		at := fmt.Sprintf("event %d (%s)", i, ev.Type)
		if final != "" {
			return fmt.Errorf("%s: after %s", at, final)
		}
		if !json.Valid(ev.Data) {
			return fmt.Errorf("%s: invalid JSON %q", at, ev.Data)
		}
		d := gjson.ParseBytes(ev.Data)
		if ev.Type == "" || d.Get("type").String() != ev.Type {
			return fmt.Errorf("%s: data type %q", at, d.Get("type").String())
		}
		if d.Get("error").Exists() {
			return fmt.Errorf("%s: a top-level error key, which openai-go reads as a transport error", at)
		}
		if n := d.Get("sequence_number"); n.Type != gjson.Number || n.Int() != int64(i) {
			return fmt.Errorf("%s: sequence_number %s, want %d", at, n.Raw, i)
		}
		switch {
		case i == 0 && ev.Type != "response.created":
			return fmt.Errorf("%s: the stream must open with response.created", at)
		case i == 1 && ev.Type != "response.in_progress" && ev.Type != "response.failed":
			return fmt.Errorf("%s: response.in_progress must follow response.created", at)
		}
		var it *item
		if strings.HasPrefix(ev.Type, "response.") && ev.Type != "response.output_item.added" && d.Get("output_index").Exists() {
			k := int(d.Get("output_index").Int())
			if k < 0 || k >= len(items) {
				return fmt.Errorf("%s: output_index %d was never added", at, k)
			}
			it = items[k]
			if it.done {
				return fmt.Errorf("%s: item %d is already done", at, k)
			}
			if d.Get("item_id").Exists() && d.Get("item_id").String() != it.id {
				return fmt.Errorf("%s: item_id %q, want %q", at, d.Get("item_id").String(), it.id)
			}
		}
		switch ev.Type {
		case "response.created", "response.in_progress":
			if i > 1 {
				return fmt.Errorf("%s: twice", at)
			}
			if d.Get("response.status").String() != "in_progress" || d.Get("response.output").Raw != "[]" {
				return fmt.Errorf("%s: response %s", at, d.Get("response").Raw)
			}
			if !strings.HasPrefix(d.Get("response.id").String(), "resp_") {
				return fmt.Errorf("%s: response id %q", at, d.Get("response.id").String())
			}
		case "response.output_item.added":
			if k := d.Get("output_index").Int(); k != int64(len(items)) {
				return fmt.Errorf("%s: output_index %d, want %d", at, k, len(items))
			}
			typ := d.Get("item.type").String()
			prefix := map[string]string{"message": "msg_", "function_call": "fc_", "reasoning": "rs_", "custom_tool_call": "ctc_"}[typ]
			if prefix == "" || !strings.HasPrefix(d.Get("item.id").String(), prefix) {
				return fmt.Errorf("%s: item %s", at, d.Get("item").Raw)
			}
			if typ == "function_call" && (d.Get("item.arguments").Raw != `""` || d.Get("item.call_id").String() == "" || d.Get("item.name").Type != gjson.String) {
				return fmt.Errorf("%s: function call %s", at, d.Get("item").Raw)
			}
			if typ == "message" && d.Get("item.content").Raw != "[]" {
				return fmt.Errorf("%s: message %s", at, d.Get("item").Raw)
			}
			items = append(items, &item{typ: typ, id: d.Get("item.id").String()})
		case "response.content_part.added", "response.reasoning_summary_part.added":
		case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta",
			"response.custom_tool_call_input.delta", "response.reasoning_summary_text.delta":
			want := map[string]string{"response.output_text.delta": "message", "response.refusal.delta": "message",
				"response.function_call_arguments.delta": "function_call", "response.custom_tool_call_input.delta": "custom_tool_call",
				"response.reasoning_summary_text.delta": "reasoning"}[ev.Type]
			if it == nil || it.typ != want {
				return fmt.Errorf("%s: not in a %s item", at, want)
			}
			if d.Get("delta").Type != gjson.String {
				return fmt.Errorf("%s: delta %s", at, d.Get("delta").Raw)
			}
			it.text.WriteString(d.Get("delta").String())
		case "response.output_text.done", "response.refusal.done", "response.function_call_arguments.done",
			"response.custom_tool_call_input.done", "response.reasoning_summary_text.done":
			key := map[string]string{"response.output_text.done": "text", "response.refusal.done": "refusal",
				"response.function_call_arguments.done": "arguments", "response.custom_tool_call_input.done": "input",
				"response.reasoning_summary_text.done": "text"}[ev.Type]
			if it == nil || d.Get(key).String() != it.text.String() {
				return fmt.Errorf("%s: %s %q, the deltas said %q", at, key, d.Get(key).String(), it.text.String())
			}
		case "response.content_part.done", "response.reasoning_summary_part.done":
		case "response.output_item.done":
			if it == nil || d.Get("item.id").String() != it.id || d.Get("item.type").String() != it.typ {
				return fmt.Errorf("%s: item %s", at, d.Get("item").Raw)
			}
			var got string
			switch it.typ {
			case "message":
				got = d.Get("item.content.0.text").String() + d.Get("item.content.0.refusal").String()
			case "function_call":
				got = d.Get("item.arguments").String()
			case "custom_tool_call":
				got = d.Get("item.input").String()
			case "reasoning":
				got = d.Get("item.summary.0.text").String()
			}
			if got != it.text.String() {
				return fmt.Errorf("%s: the item holds %q, the deltas said %q", at, got, it.text.String())
			}
			it.done, it.final = true, d.Get("item").Raw
		case "response.completed", "response.incomplete", "response.failed":
			// OpenAI itself may fail with items open; they are not in its output.
			var closed []*item
			for k, it := range items {
				if !it.done && ev.Type != "response.failed" {
					return fmt.Errorf("%s: item %d still open", at, k)
				}
				if it.done {
					closed = append(closed, it)
				}
			}
			r := d.Get("response")
			status := map[string]string{"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}[ev.Type]
			if r.Get("status").String() != status {
				return fmt.Errorf("%s: status %q", at, r.Get("status").String())
			}
			if status == "failed" && (r.Get("error.code").String() == "" || r.Get("error.message").String() == "") {
				return fmt.Errorf("%s: error %s", at, r.Get("error").Raw)
			}
			if status == "incomplete" && r.Get("incomplete_details.reason").String() == "" {
				return fmt.Errorf("%s: no incomplete_details", at)
			}
			out := r.Get("output").Array()
			if len(out) != len(closed) {
				return fmt.Errorf("%s: %d output items, %d were streamed", at, len(out), len(closed))
			}
			for k, o := range out {
				if o.Raw != closed[k].final {
					return fmt.Errorf("%s: output %d is %s, output_item.done said %s", at, k, o.Raw, closed[k].final)
				}
			}
			if status != "failed" {
				u := r.Get("usage")
				if !u.Get("input_tokens_details.cached_tokens").Exists() || !u.Get("output_tokens_details.reasoning_tokens").Exists() ||
					u.Get("total_tokens").Int() != u.Get("input_tokens").Int()+u.Get("output_tokens").Int() {
					return fmt.Errorf("%s: usage %s", at, u.Raw)
				}
			}
			final = ev.Type
		default:
			return fmt.Errorf("%s: unexpected type", at)
		}
	}
	if len(evs) > 0 && final == "" {
		return errors.New("no response.completed, response.incomplete or response.failed at the end")
	}
	return nil
}

// TestStreamResponsesUsage checks the usage a converter reports for a
// Responses upstream, converted or passed through: Input excludes the
// cached tokens, Reasoning counts the reasoning ones; a cut stream reports
// none.
func TestStreamResponsesUsage(t *testing.T) {
	for _, tt := range []struct {
		file string
		want Usage
	}{
		{"r2a_reasoning_tools", Usage{Input: 300, CacheRead: 1800, Output: 240, Reasoning: 128}},
		{"r2o_text", Usage{Input: 150, CacheRead: 30, Output: 15}},
		{"r2r_complete", Usage{Input: 5, Output: 2}},
		{"r2r_cut", Usage{}},
		{"o2r_text", Usage{Input: 150, CacheRead: 30, Output: 12}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			sc := loadStreamCase(t, "testdata/stream/"+tt.file+".txt")
			_, got := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			if got != tt.want {
				t.Errorf("usage %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestStreamResponsesOutputOrder checks that the final event's output is
// the items output_item.done gave, in output_index order, when upstream
// blocks end in another order: Chat tool calls without an index and then
// index 0 reused under new ids, and an Anthropic stream whose block stops
// went missing, were garbled or came for a restarted index.
func TestStreamResponsesOutputOrder(t *testing.T) {
	chunk := func(delta string) string {
		return `data: {"id":"c-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
	}
	call := func(index, id, name, args string) string {
		c := `{`
		if index != "" {
			c += `"index":` + index + `,`
		}
		if id != "" {
			c += `"id":"` + id + `","type":"function",`
		}
		c += `"function":{`
		if name != "" {
			c += `"name":"` + name + `",`
		}
		return chunk(`{"tool_calls":[` + c + `"arguments":` + strconv.Quote(args) + `}}]}`)
	}
	chat := call("", "call_x", "ls", `{"dir":`) +
		chunk(`{"tool_calls":[{"functioa{"":nrguments":"x"}}]}`) +
		call("", "call_y", "ls", `{"dir":"/var"}`) +
		call("0", "call_z", "cat", "") +
		call("0", "", "", `{"f":"x"}`) +
		call("0", "call_w", "cat", `{"f":"y"}`) +
		`data: {"id":"c-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n"

	ant := func(typ, data string) string { return "event: " + typ + "\ndata: " + data + "\n\n" }
	start := ant("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","usage":{"input_tokens":5,"output_tokens":1}}}`)
	text := func(i, s string) string {
		return ant("content_block_start", `{"type":"content_block_start","index":`+i+`,"content_block":{"type":"text","text":""}}`) +
			ant("content_block_delta", `{"type":"content_block_delta","index":`+i+`,"delta":{"type":"text_delta","text":"`+s+`"}}`)
	}
	tool := func(i, id string) string {
		return ant("content_block_start", `{"type":"content_block_start","index":`+i+`,"content_block":{"type":"tool_use","id":"`+id+`","name":"get_weather","input":{}}}`) +
			ant("content_block_delta", `{"type":"content_block_delta","index":`+i+`,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"}}`)
	}
	stop := func(i string) string {
		return ant("content_block_stop", `{"type":"content_block_stop","index":`+i+`}`)
	}
	end := ant("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}`) +
		ant("message_stop", `{"type":"message_stop"}`)
	thinking := ant("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`) +
		ant("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Weather first."}}`) +
		ant("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`) +
		stop("0")

	for _, tt := range []struct {
		name     string
		upstream Format
		input    string
		endErr   error
		want     []string // the output's items by call_id, or by type
	}{
		{"chat calls without index then index 0 reused", OpenAI, chat, nil,
			[]string{"call_x", "call_y", "call_z", "call_w"}},
		{"anthropic stop garbled", Anthropic,
			start + thinking +
				ant("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":"o}}`) +
				ant("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check."}}`) +
				ant("content_block_stop", `{"type":"content_block_st"p","index":1}`) +
				tool("2", "toolu_1") + stop("2") + end, nil,
			[]string{"reasoning", "message", "toolu_1"}},
		{"anthropic stop missing", Anthropic,
			start + text("0", "a") + tool("1", "toolu_1") + stop("1") + tool("2", "toolu_2") + stop("2") + end, nil,
			[]string{"message", "toolu_1", "toolu_2"}},
		{"anthropic index restarted", Anthropic,
			start + text("0", "a") + tool("1", "toolu_1") + text("0", "b") + stop("0") + stop("1") + end, nil,
			[]string{"message", "toolu_1", "message"}},
		{"anthropic cut with blocks open", Anthropic,
			start + text("0", "a") + tool("1", "toolu_1") + stop("1") + text("2", "b"), errors.New("connection reset"),
			[]string{"message", "toolu_1", "message"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conv := &Conversion{From: Responses, To: tt.upstream, Model: "m"}
			out, _ := convertStream(t, conv, []byte(tt.input), 0, tt.endErr)
			if err := checkResponsesStream(mustDecodeStream(t, out)); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			evs := mustDecodeStream(t, out)
			final := gjson.ParseBytes(evs[len(evs)-1].Data)
			var got []string
			for _, it := range final.Get("response.output").Array() {
				if id := it.Get("call_id"); id.Exists() {
					got = append(got, id.String())
				} else {
					got = append(got, it.Get("type").String())
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("output %v, want %v\n%s", got, tt.want, out)
			}
		})
	}
}

func mustDecodeStream(t *testing.T, out []byte) []Event {
	t.Helper()
	evs, err := decodeStreamEvents(out)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
