package transformer

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The golden tests of the non-streaming converters declare the same -update
// flag; whichever file's init runs first defines it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the output sections of golden files")
	}
}

// streamUpdate reports whether the run was asked to rewrite golden files.
func streamUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// streamClock stamps OpenAI chunks in tests.
func streamClock() time.Time { return time.Unix(1700000000, 0) }

// streamCase is one golden file of testdata/stream. The file's name starts
// with the direction, upstream first: a2o (Anthropic upstream, OpenAI Chat
// caller), o2a, a2r, o2r (Responses callers), r2a, r2o (a Responses
// upstream), or a2a, o2o and r2r for pass-through. Sections:
//
//	-- input --          the upstream stream, verbatim
//	-- output --         what the caller gets
//	-- include_usage --  (flag) the OpenAI caller asked for the usage chunk
//	-- end_error --      End is called with this error instead of nil
//	-- model --          Conversion.Model (default "caller-model")
//	-- tool_names --     "upstream caller" pairs, one a line
//	-- freeform --       the caller's freeform tools, one a line
type streamCase struct {
	path     string
	comment  []byte
	sections []streamSection
	conv     Conversion
	endErr   error
	input    []byte
	output   []byte
}

type streamSection struct {
	name string
	body []byte
}

// parseStreamSections reads the txtar-like layout: a free comment, then
// "-- name --" lines, each starting a section that runs to the next.
func parseStreamSections(data []byte) (comment []byte, secs []streamSection) {
	cur := -1
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		t := bytes.TrimRight(line, "\n")
		if bytes.HasPrefix(t, []byte("-- ")) && bytes.HasSuffix(t, []byte(" --")) && len(t) > 6 {
			secs = append(secs, streamSection{name: string(t[3 : len(t)-3])})
			cur = len(secs) - 1
			continue
		}
		if cur < 0 {
			comment = append(comment, line...)
		} else {
			secs[cur].body = append(secs[cur].body, line...)
		}
	}
	return comment, secs
}

func loadStreamCase(t testing.TB, path string) *streamCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := &streamCase{path: path, conv: Conversion{Model: "caller-model", Stream: true}}
	sc.comment, sc.sections = parseStreamSections(data)
	// The prefix names the upstream's format, then the caller's.
	up, caller, ok := goldenPrefix(path)
	if !ok {
		t.Fatalf("%s: the name does not start with a direction", path)
	}
	sc.conv.From, sc.conv.To = caller, up
	for _, s := range sc.sections {
		switch s.name {
		case "input":
			sc.input = s.body
		case "output":
			sc.output = s.body
		case "include_usage":
			sc.conv.IncludeUsage = true
		case "end_error":
			sc.endErr = errors.New(strings.TrimSpace(string(s.body)))
		case "model":
			sc.conv.Model = strings.TrimSpace(string(s.body))
		case "freeform":
			sc.conv.Freeform = strings.Fields(string(s.body))
		case "tool_names":
			sc.conv.ToolNames = map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(s.body)), "\n") {
				if up, caller, ok := strings.Cut(l, " "); ok {
					sc.conv.ToolNames[up] = caller
				}
			}
		default:
			t.Fatalf("%s: unknown section %q", path, s.name)
		}
	}
	if sc.input == nil {
		t.Fatalf("%s: no input section", path)
	}
	return sc
}

func (sc *streamCase) write() error {
	var b bytes.Buffer
	b.Write(sc.comment)
	hasOutput := false
	for _, s := range sc.sections {
		if s.name == "output" {
			s.body, hasOutput = sc.output, true
		}
		fmt.Fprintf(&b, "-- %s --\n", s.name)
		b.Write(s.body)
	}
	if !hasOutput {
		b.WriteString("-- output --\n")
		b.Write(sc.output)
	}
	return os.WriteFile(sc.path, b.Bytes(), 0o644)
}

// convertStream runs input through a Decoder and a converter, chunk bytes
// at a time (all at once when chunk is 0), and ends it with End(endErr).
func convertStream(tb testing.TB, conv *Conversion, input []byte, chunk int, endErr error) ([]byte, Usage) {
	tb.Helper()
	c := *conv
	sc := newStreamConverter(&c, streamClock)
	var dec Decoder
	var out []byte
	fn := func(ev Event) error {
		var err error
		out, err = sc.Event(out, ev)
		return err
	}
	if chunk <= 0 {
		chunk = len(input) + 1
	}
	for i := 0; i < len(input); i += chunk {
		if err := dec.Feed(input[i:min(i+chunk, len(input))], fn); err != nil {
			tb.Fatalf("feed: %v", err)
		}
	}
	if err := dec.Flush(fn); err != nil {
		tb.Fatalf("flush: %v", err)
	}
	out = sc.End(out, endErr)
	return out, sc.Usage()
}

func TestStreamGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/stream/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			sc := loadStreamCase(t, path)
			got, _ := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			if err := checkCallerStream(sc.conv.From, got); err != nil {
				t.Errorf("output breaks the %s stream rules: %v\n%s", sc.conv.From, err, got)
			}
			if streamUpdate() {
				sc.output = got
				if err := sc.write(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, sc.output) {
				t.Errorf("output differs (run with -update to rewrite)\n--- got ---\n%s\n--- want ---\n%s", got, sc.output)
			}
			// SSE lines and UTF-8 split anywhere must not change a byte.
			for _, n := range []int{1, 2, 7} {
				split, _ := convertStream(t, &sc.conv, sc.input, n, sc.endErr)
				if !bytes.Equal(split, got) {
					t.Errorf("fed %d byte(s) at a time, the output differs:\n%s", n, split)
				}
			}
			// Without an end error every case still ends well-formed, and
			// converting twice gives the same bytes: no state leaks.
			again, _ := convertStream(t, &sc.conv, sc.input, 0, sc.endErr)
			if !bytes.Equal(again, got) {
				t.Errorf("a second run differs")
			}
		})
	}
}

// decodeStreamEvents splits a caller stream into events and checks its framing:
// nothing may be left pending, since SDKs drop an event that lacks its
// blank line.
func decodeStreamEvents(out []byte) ([]Event, error) {
	var evs []Event
	var dec Decoder
	err := dec.Feed(out, func(ev Event) error {
		ev.Data = bytes.Clone(ev.Data)
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if dec.Pending() {
		return nil, errors.New("the stream ends inside an event")
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n\n")) {
		return nil, errors.New("the stream does not end with a blank line")
	}
	return evs, nil
}

// checkCallerStream checks out against the rules the caller's SDK enforces,
// and the ones FORMATS.md adds.
func checkCallerStream(f Format, out []byte) error {
	evs, err := decodeStreamEvents(out)
	if err != nil {
		return err
	}
	switch f {
	case Anthropic:
		return checkAnthropicStream(evs)
	case Responses:
		return checkResponsesStream(evs)
	case Gemini:
		return checkGeminiStream(evs)
	}
	return checkOpenAIStream(evs)
}

// checkGeminiStream checks what genai accepts and what Gemini callers rely
// on: data-only events, each a JSON object; no [DONE]; at most one
// finishReason or error, and nothing after it.
func checkGeminiStream(evs []Event) error {
	ended := false
	for i, ev := range evs {
		if ev.Type != "" {
			return fmt.Errorf("event %d has an event line %q", i, ev.Type)
		}
		if ended {
			return fmt.Errorf("event %d follows the final chunk: %s", i, ev.Data)
		}
		if !json.Valid(ev.Data) || len(ev.Data) == 0 || ev.Data[0] != '{' {
			return fmt.Errorf("event %d is not a JSON object: %q", i, ev.Data)
		}
		r := gjson.ParseBytes(ev.Data)
		if r.Get("error").Exists() {
			if r.Get("error.code").Int() == 0 || r.Get("error.status").String() == "" || r.Get("error.message").String() == "" {
				return fmt.Errorf("error chunk %d lacks code, status or message: %s", i, ev.Data)
			}
			ended = true
			continue
		}
		if r.Get("continuationToken").Exists() {
			return fmt.Errorf("chunk %d carries a continuationToken", i)
		}
		if r.Get("candidates.0.finishReason").Exists() {
			if !r.Get("usageMetadata").Exists() {
				return fmt.Errorf("the final chunk has no usageMetadata: %s", ev.Data)
			}
			ended = true
		}
		for _, p := range r.Get("candidates.0.content.parts").Array() {
			if fc := p.Get("functionCall"); fc.Exists() && (!fc.Get("args").IsObject() || fc.Get("name").Type != gjson.String) {
				return fmt.Errorf("chunk %d has a function call without a name string or object args: %s", i, ev.Data)
			}
		}
	}
	if len(evs) > 0 && !ended {
		return errors.New("the stream ends with neither a finishReason nor an error chunk")
	}
	return nil
}

func checkAnthropicStream(evs []Event) error {
	type block struct {
		typ     string
		stopped bool
		text    int
	}
	var blocks []block
	started, delta, stopped, failed := false, false, false, false
	for i, ev := range evs {
		at := fmt.Sprintf("event %d (%s)", i, ev.Type)
		if ev.Type == "" {
			return fmt.Errorf("%s: no event line", at)
		}
		if !json.Valid(ev.Data) {
			return fmt.Errorf("%s: invalid JSON %q", at, ev.Data)
		}
		d := gjson.ParseBytes(ev.Data)
		if d.Get("type").String() != ev.Type {
			return fmt.Errorf("%s: data type %q", at, d.Get("type").String())
		}
		if failed {
			return fmt.Errorf("%s: after the error event", at)
		}
		if ev.Type != "message_start" && ev.Type != "error" && !started {
			return fmt.Errorf("%s: before message_start", at)
		}
		if stopped && ev.Type != "error" {
			return fmt.Errorf("%s: after message_stop", at)
		}
		switch ev.Type {
		case "ping":
		case "message_start":
			if started {
				return fmt.Errorf("%s: twice", at)
			}
			started = true
		case "content_block_start":
			if delta {
				return fmt.Errorf("%s: after message_delta", at)
			}
			if idx := int(d.Get("index").Int()); idx != len(blocks) {
				return fmt.Errorf("%s: index %d, want %d", at, idx, len(blocks))
			}
			blocks = append(blocks, block{typ: d.Get("content_block.type").String()})
			if blocks[len(blocks)-1].typ == "tool_use" && d.Get("content_block.input").Raw != "{}" {
				return fmt.Errorf("%s: tool input %s", at, d.Get("content_block.input").Raw)
			}
		case "content_block_delta", "content_block_stop":
			idx := int(d.Get("index").Int())
			if idx < 0 || idx >= len(blocks) || blocks[idx].stopped {
				return fmt.Errorf("%s: block %d is not open", at, idx)
			}
			b := &blocks[idx]
			if ev.Type == "content_block_stop" {
				b.stopped = true
				if b.typ == "text" && b.text == 0 {
					return fmt.Errorf("%s: empty text block", at)
				}
				continue
			}
			want := map[string]string{"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "tool_use",
				"signature_delta": "thinking", "citations_delta": "text"}
			dt := d.Get("delta.type").String()
			if want[dt] != b.typ {
				return fmt.Errorf("%s: %s in a %s block", at, dt, b.typ)
			}
			b.text += len(d.Get("delta.text").String())
		case "message_delta":
			if delta {
				return fmt.Errorf("%s: twice", at)
			}
			for j, b := range blocks {
				if !b.stopped {
					return fmt.Errorf("%s: block %d still open", at, j)
				}
			}
			if sq := d.Get("delta.stop_sequence"); sq.Type != gjson.Null {
				return fmt.Errorf("%s: stop_sequence %s", at, sq.Raw)
			}
			if !d.Get("usage.output_tokens").Exists() {
				return fmt.Errorf("%s: no output_tokens", at)
			}
			delta = true
		case "message_stop":
			if !delta {
				return fmt.Errorf("%s: without message_delta", at)
			}
			stopped = true
		case "error":
			if d.Get("error.type").String() == "" || d.Get("error.message").String() == "" {
				return fmt.Errorf("%s: incomplete error %s", at, ev.Data)
			}
			failed = true
		default:
			return fmt.Errorf("%s: unexpected type", at)
		}
	}
	if len(evs) > 0 && !stopped {
		return errors.New("no message_stop")
	}
	return nil
}

func checkOpenAIStream(evs []Event) error {
	var id string
	done, failed := false, false
	calls := map[int64]bool{}
	for i, ev := range evs {
		at := fmt.Sprintf("event %d", i)
		if done || failed {
			return fmt.Errorf("%s: after the end", at)
		}
		if string(ev.Data) == "[DONE]" {
			done = true
			continue
		}
		if !json.Valid(ev.Data) {
			return fmt.Errorf("%s: invalid JSON %q", at, ev.Data)
		}
		d := gjson.ParseBytes(ev.Data)
		if e := d.Get("error"); e.Exists() {
			if len(d.Map()) != 1 || e.Get("message").String() == "" {
				return fmt.Errorf("%s: bad error chunk %s", at, ev.Data)
			}
			failed = true
			continue
		}
		if d.Get("object").String() != "chat.completion.chunk" {
			return fmt.Errorf("%s: object %q", at, d.Get("object").String())
		}
		if id == "" {
			id = d.Get("id").String()
		}
		if d.Get("id").String() != id || id == "" {
			return fmt.Errorf("%s: id %q, want %q", at, d.Get("id").String(), id)
		}
		for _, tc := range d.Get("choices.0.delta.tool_calls").Array() {
			k := tc.Get("index").Int()
			if !calls[k] {
				if k != int64(len(calls)) {
					return fmt.Errorf("%s: tool call index %d, want %d", at, k, len(calls))
				}
				if tc.Get("id").String() == "" || !tc.Get("function.name").Exists() {
					return fmt.Errorf("%s: first fragment of call %d lacks id or name", at, k)
				}
				calls[k] = true
			} else if tc.Get("id").Exists() || tc.Get("function.name").Exists() {
				return fmt.Errorf("%s: call %d repeats its id or name", at, k)
			}
			if tc.Get("function.arguments").Type != gjson.String {
				return fmt.Errorf("%s: arguments are not a string", at)
			}
		}
	}
	if len(evs) > 0 && !done && !failed {
		return errors.New("neither [DONE] nor an error chunk at the end")
	}
	return nil
}

// streamDirections are every caller ← upstream pair, pass-through included.
var streamDirections = func() (dirs [][2]Format) {
	for _, from := range Formats {
		for _, to := range Formats {
			dirs = append(dirs, [2]Format{from, to})
		}
	}
	return dirs
}()

// fuzzDirections are streamDirections and every pair with Gemini, whose
// codec is tested before the format is public.
var fuzzDirections = func() [][2]Format {
	dirs := append([][2]Format(nil), streamDirections...)
	for _, f := range Formats {
		dirs = append(dirs, [2]Format{f, Gemini}, [2]Format{Gemini, f})
	}
	return append(dirs, [2]Format{Gemini, Gemini})
}()

// FuzzStreamConverter feeds any bytes to every direction's converter, the
// Responses decoder and encoder included: the output is always well-framed
// valid JSON that the caller's stream rules accept.
func FuzzStreamConverter(f *testing.F) {
	files, _ := filepath.Glob("testdata/stream/*.txt")
	for _, path := range files {
		sc := loadStreamCase(f, path)
		f.Add(sc.input, uint8(0))
	}
	f.Add([]byte("event: content_block_delta\ndata: {\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\x\x01\"}}\n\n"), uint8(1))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":{\"a\":[1,\"}\"]}}}]}}]}\n\n"), uint8(2))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\\ud800\xff\"},\"finish_reason\":\"stop\"}]}\ndata: [DONE]\n\n"), uint8(3))
	f.Add([]byte("event: response.output_item.added\ndata: {\"output_index\":0,\"item\":{\"type\":\"custom_tool_call\",\"name\":\"apply_patch\"}}\n\n"+
		"data: {\"type\":\"response.custom_tool_call_input.delta\",\"output_index\":0,\"delta\":\"a\\\"\\x\xff\"}\n\n"), uint8(5))
	f.Add([]byte("data: {\"type\":\"response.output_text.delta\",\"output_index\":3,\"content_index\":9,\"delta\":\"x\"}\n\n"+
		"data: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":\"reasoning\",\"encrypted_content\":\"rtx1:ar:\"}}\n\n"), uint8(0))
	// Gemini: a signed call whose args are no object and whose name is no
	// string, a thought switching to text mid-chunk, an error chunk, and
	// CRLF framing with a finishReason the caller must see as an error.
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":7,\"args\":[1]},\"thoughtSignature\":\"\\x\"}]}}]}\n\n"), uint8(0))
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\\ud800\",\"thought\":true},{\"text\":\"\xff\"},{\"text\":\"\",\"thoughtSignature\":\"s\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"cachedContentTokenCount\":9}}\n\n"), uint8(2))
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\n\ndata: {\"error\":{\"code\":\"429\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n"), uint8(1))
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"MALFORMED_FUNCTION_CALL\"}]}\r\n\r\n"), uint8(0x30))
	f.Fuzz(func(t *testing.T, input []byte, mode uint8) {
		var endErr error
		if mode&1 != 0 {
			endErr = errors.New("connection reset")
		}
		chunk := int(mode >> 4)
		for _, dir := range fuzzDirections {
			conv := &Conversion{From: dir[0], To: dir[1], Model: "m", IncludeUsage: mode&2 != 0,
				ToolNames: map[string]string{"t": "tool\n\"x\""}, Freeform: []string{"apply_patch", "t"}}
			out, _ := convertStream(t, conv, input, chunk, endErr)
			evs, err := decodeStreamEvents(out)
			if err != nil {
				t.Fatalf("%s←%s: %v\n%q", dir[0], dir[1], err, out)
			}
			for _, ev := range evs {
				if string(ev.Data) != "[DONE]" && !json.Valid(ev.Data) && dir[0] != dir[1] {
					t.Fatalf("%s←%s: invalid JSON %q", dir[0], dir[1], ev.Data)
				}
			}
			if dir[0] == dir[1] {
				continue // pass-through forwards whatever came
			}
			if err := checkCallerStream(dir[0], out); err != nil {
				t.Fatalf("%s←%s: %v\n%s", dir[0], dir[1], err, out)
			}
		}
	})
}

// benchStreamA is a realistic Anthropic stream: thinking, a long answer
// whose deltas hold quotes, newlines and non-ASCII text, and a tool call.
func benchStreamA() []byte {
	var b bytes.Buffer
	b.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01Bench\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":2100,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":18000,\"output_tokens\":1}}}\n\n")
	b.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n")
	for range 200 {
		b.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"The user asks about the config; I should look at \\\"main.go\\\" first.\\n\"}}\n\n")
	}
	b.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	b.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := range 1000 {
		if i%50 == 0 {
			b.WriteString("event: ping\ndata: {\"type\": \"ping\"}\n\n")
		}
		b.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Here is the fix:\\n```go\\nfmt.Println(\\\"héllo\\\")\\n```\"}}\n\n")
	}
	b.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n")
	b.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Bench\",\"name\":\"edit_file\",\"input\":{}}}\n\n")
	for range 100 {
		b.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"main.go\\\", \\\"old\\\": \\\"x\\\"\"}}\n\n")
	}
	b.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n")
	b.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2400}}\n\n")
	b.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	return b.Bytes()
}

// benchStreamO is the same answer as OpenAI chunks.
func benchStreamO() []byte {
	const head = `data: {"id":"chatcmpl-Bench0123456789","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_51e1070cf2","choices":[{"index":0,"delta":`
	const tail = `,"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"a1b2"}` + "\n\n"
	var b bytes.Buffer
	b.WriteString(head + `{"role":"assistant","content":"","refusal":null,"annotations":[]}` + tail)
	for range 200 {
		b.WriteString(head + `{"reasoning_content":"The user asks about the config; I should look at \"main.go\" first.\n"}` + tail)
	}
	for range 1000 {
		b.WriteString(head + `{"content":"Here is the fix:\n` + "```go\\nfmt.Println(\\\"héllo\\\")\\n```" + `"}` + tail)
	}
	b.WriteString(head + `{"tool_calls":[{"index":0,"id":"call_Bench","type":"function","function":{"name":"edit_file","arguments":""}}]}` + tail)
	for range 100 {
		b.WriteString(head + `{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\": \"main.go\", \"old\": \"x\""}}]}` + tail)
	}
	b.WriteString(`data: {"id":"chatcmpl-Bench0123456789","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-Bench0123456789","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4.1-2025-04-14","choices":[],"usage":{"prompt_tokens":20100,"completion_tokens":2400,"total_tokens":22500,"prompt_tokens_details":{"cached_tokens":18000}}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// benchStreamR is the same answer as a Responses stream.
func benchStreamR() []byte {
	var b bytes.Buffer
	seq := 0
	ev := func(typ, body string) {
		fmt.Fprintf(&b, "event: %s\ndata: {\"type\":%q,%s,\"sequence_number\":%d}\n\n", typ, typ, body, seq)
		seq++
	}
	resp := `"response":{"id":"resp_Bench0123456789","object":"response","created_at":1750000000,"status":"in_progress","model":"gpt-5","output":[],"usage":null}`
	ev("response.created", resp)
	ev("response.in_progress", resp)
	ev("response.output_item.added", `"output_index":0,"item":{"id":"rs_Bench","type":"reasoning","summary":[]}`)
	ev("response.reasoning_summary_part.added", `"item_id":"rs_Bench","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}`)
	for range 200 {
		ev("response.reasoning_summary_text.delta", `"item_id":"rs_Bench","output_index":0,"summary_index":0,"delta":"The user asks about the config; I should look at \"main.go\" first.\n","obfuscation":"a1b2"`)
	}
	ev("response.output_item.done", `"output_index":0,"item":{"id":"rs_Bench","type":"reasoning","summary":[],"encrypted_content":"gAAAAABoBench"}`)
	ev("response.output_item.added", `"output_index":1,"item":{"id":"msg_Bench","type":"message","status":"in_progress","content":[],"role":"assistant"}`)
	ev("response.content_part.added", `"item_id":"msg_Bench","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`)
	for range 1000 {
		ev("response.output_text.delta", `"item_id":"msg_Bench","output_index":1,"content_index":0,"delta":"Here is the fix:\n`+"```go\\nfmt.Println(\\\"héllo\\\")\\n```"+`","logprobs":[],"obfuscation":"a1b2"`)
	}
	ev("response.content_part.done", `"item_id":"msg_Bench","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}`)
	ev("response.output_item.done", `"output_index":1,"item":{"id":"msg_Bench","type":"message","status":"completed","content":[],"role":"assistant"}`)
	ev("response.output_item.added", `"output_index":2,"item":{"id":"fc_Bench","type":"function_call","status":"in_progress","arguments":"","call_id":"call_Bench","name":"edit_file"}`)
	for range 100 {
		ev("response.function_call_arguments.delta", `"item_id":"fc_Bench","output_index":2,"delta":"{\"path\": \"main.go\", \"old\": \"x\"","obfuscation":"a1b2"`)
	}
	ev("response.output_item.done", `"output_index":2,"item":{"id":"fc_Bench","type":"function_call","status":"completed","arguments":"","call_id":"call_Bench","name":"edit_file"}`)
	ev("response.completed", `"response":{"id":"resp_Bench0123456789","object":"response","created_at":1750000000,"status":"completed","model":"gpt-5","output":[],"usage":{"input_tokens":20100,"input_tokens_details":{"cached_tokens":18000},"output_tokens":2400,"output_tokens_details":{"reasoning_tokens":700},"total_tokens":22500}}`)
	return b.Bytes()
}

func decodedEvents(tb testing.TB, input []byte) []Event {
	var evs []Event
	var dec Decoder
	err := dec.Feed(input, func(ev Event) error {
		ev.Data = bytes.Clone(ev.Data)
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// BenchmarkStreamConvert converts a whole realistic stream per operation,
// with a new converter each time as the router makes one per response.
// "convert" starts from decoded events; "decode+convert" from bytes.
func BenchmarkStreamConvert(b *testing.B) {
	for _, dir := range []struct {
		name  string
		conv  Conversion
		input []byte
	}{
		{"a2o", Conversion{From: OpenAI, To: Anthropic, Model: "caller-model", IncludeUsage: true}, benchStreamA()},
		{"o2a", Conversion{From: Anthropic, To: OpenAI, Model: "caller-model"}, benchStreamO()},
		{"a2r", Conversion{From: Responses, To: Anthropic, Model: "caller-model"}, benchStreamA()},
		{"o2r", Conversion{From: Responses, To: OpenAI, Model: "caller-model"}, benchStreamO()},
		{"r2a", Conversion{From: Anthropic, To: Responses, Model: "caller-model"}, benchStreamR()},
		{"r2o", Conversion{From: OpenAI, To: Responses, Model: "caller-model", IncludeUsage: true}, benchStreamR()},
		{"r2r", Conversion{From: Responses, To: Responses, Model: "caller-model"}, benchStreamR()},
	} {
		evs := decodedEvents(b, dir.input)
		b.Run(dir.name+"/convert", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(dir.input)))
			out := make([]byte, 0, 64<<10)
			for b.Loop() {
				c := newStreamConverter(&dir.conv, streamClock)
				for _, ev := range evs {
					// The caller writes each event out and reuses the buffer.
					out, _ = c.Event(out[:0], ev)
				}
				out = c.End(out[:0], nil)
			}
			b.ReportMetric(float64(len(evs)), "events/op")
		})
		b.Run(dir.name+"/decode+convert", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(dir.input)))
			out := make([]byte, 0, 64<<10)
			var dec Decoder
			for b.Loop() {
				c := newStreamConverter(&dir.conv, streamClock)
				fn := func(ev Event) error {
					out, _ = c.Event(out[:0], ev)
					return nil
				}
				// 4 KB reads, as from a network connection.
				for in := dir.input; len(in) > 0; {
					n := min(4096, len(in))
					_ = dec.Feed(in[:n], fn)
					in = in[n:]
				}
				_ = dec.Flush(fn)
				out = c.End(out[:0], nil)
			}
		})
	}
}

// eventsAround returns the events of input up to the first whose data
// holds marker: the ones before it set the converter up.
func eventsAround(tb testing.TB, input []byte, marker string) []Event {
	evs := decodedEvents(tb, input)
	for i, ev := range evs {
		if bytes.Contains(ev.Data, []byte(marker)) {
			return evs[:i+1]
		}
	}
	tb.Fatalf("no event holds %s", marker)
	return nil
}

// BenchmarkStreamEvent measures one steady-state delta event; allocs/op is
// allocations per event.
func BenchmarkStreamEvent(b *testing.B) {
	for _, tt := range []struct {
		name string
		conv Conversion
		evs  []Event
	}{
		{"a2o/text", Conversion{From: OpenAI, To: Anthropic}, eventsAround(b, benchStreamA(), "text_delta")},
		{"a2o/tool_args", Conversion{From: OpenAI, To: Anthropic}, eventsAround(b, benchStreamA(), "input_json_delta")},
		{"o2a/text", Conversion{From: Anthropic, To: OpenAI}, eventsAround(b, benchStreamO(), `{"content":"Here`)},
		{"o2a/tool_args", Conversion{From: Anthropic, To: OpenAI}, eventsAround(b, benchStreamO(), `"function":{"arguments":"{`)},
		{"a2r/text", Conversion{From: Responses, To: Anthropic}, eventsAround(b, benchStreamA(), "text_delta")},
		{"a2r/tool_args", Conversion{From: Responses, To: Anthropic}, eventsAround(b, benchStreamA(), "input_json_delta")},
		{"o2r/text", Conversion{From: Responses, To: OpenAI}, eventsAround(b, benchStreamO(), `{"content":"Here`)},
		{"o2r/tool_args", Conversion{From: Responses, To: OpenAI}, eventsAround(b, benchStreamO(), `"function":{"arguments":"{`)},
		{"r2a/text", Conversion{From: Anthropic, To: Responses}, eventsAround(b, benchStreamR(), "output_text.delta")},
		{"r2a/tool_args", Conversion{From: Anthropic, To: Responses}, eventsAround(b, benchStreamR(), "function_call_arguments.delta")},
		{"r2o/text", Conversion{From: OpenAI, To: Responses}, eventsAround(b, benchStreamR(), "output_text.delta")},
		{"r2o/tool_args", Conversion{From: OpenAI, To: Responses}, eventsAround(b, benchStreamR(), "function_call_arguments.delta")},
		{"r2r/text", Conversion{From: Responses, To: Responses}, eventsAround(b, benchStreamR(), "output_text.delta")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			c := newStreamConverter(&tt.conv, streamClock)
			out := make([]byte, 0, 4096)
			for _, ev := range tt.evs { // the last one opens its block
				out, _ = c.Event(out[:0], ev)
			}
			ev := tt.evs[len(tt.evs)-1]
			b.ReportAllocs()
			b.SetBytes(int64(len(ev.Data)))
			for b.Loop() {
				out, _ = c.Event(out[:0], ev)
			}
			if len(out) == 0 {
				b.Fatal("no output")
			}
		})
	}
}

func ExampleNewStreamConverter() {
	// An Anthropic caller whose request went to an OpenAI upstream.
	conv := &Conversion{From: Anthropic, To: OpenAI, Model: "claude-sonnet-4-5"}
	sc := NewStreamConverter(conv)
	upstream := "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}\n\n" +
		"data: [DONE]\n\n"

	var dec Decoder
	var out []byte
	convert := func(ev Event) error {
		var err error
		out, err = sc.Event(out, ev)
		return err
	}
	_ = dec.Feed([]byte(upstream), convert) // as each read arrives
	_ = dec.Flush(convert)                  // at EOF
	out = sc.End(out, nil)
	fmt.Printf("%s", out)
	fmt.Printf("%+v\n", sc.Usage())
	// Output:
	// event: message_start
	// data: {"type":"message_start","message":{"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}
	//
	// event: content_block_start
	// data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}
	//
	// event: content_block_delta
	// data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
	//
	// event: content_block_stop
	// data: {"type":"content_block_stop","index":0}
	//
	// event: message_delta
	// data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}
	//
	// event: message_stop
	// data: {"type":"message_stop"}
	//
	// {Input:9 Output:1 CacheRead:0 CacheWrite:0 Reasoning:0}
}
