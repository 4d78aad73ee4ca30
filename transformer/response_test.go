package transformer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The clock and the random source the response encoders use, as the
// package set them.
var realUnixNow, realFillRandom = unixNow, fillRandom

// Golden files compare whole answers: the answers made in tests are stamped
// at time 0, and the ids made up for them have an all-zero random part.
// TestResponseClockAndIDs checks the real sources.
func init() {
	unixNow = func() int64 { return 0 }
	fillRandom = func(b []byte) { clear(b) }
}

func TestConvertResponsePassThrough(t *testing.T) {
	body := []byte(`not even JSON`)
	for _, c := range []*Conversion{nil, {From: OpenAI, To: OpenAI}, {From: Anthropic, To: Anthropic}} {
		out, err := ConvertResponse(c, body)
		if err != nil || string(out) != string(body) {
			t.Errorf("ConvertResponse(%v) = %q, %v; want the body unchanged", c, out, err)
		}
	}
}

func TestConvertResponseInvalid(t *testing.T) {
	for _, body := range []string{``, `{"id":`, `[]`, `"text"`} {
		for _, c := range []*Conversion{{From: OpenAI, To: Anthropic}, {From: Anthropic, To: OpenAI}} {
			if _, err := ConvertResponse(c, []byte(body)); !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("%s→%s %q: err = %v, want ErrInvalidResponse", c.To, c.From, body, err)
			}
		}
	}
	if _, err := ConvertResponse(&Conversion{From: "x", To: OpenAI}, []byte(`{}`)); err == nil {
		t.Error("unknown format: no error")
	}
}

// ConvertResponseValidated skips only the validation: valid bodies convert
// the same, and bodies that are not objects are still refused, invalid JSON
// without a panic.
func TestConvertResponseValidated(t *testing.T) {
	bodies := map[Format]string{
		Anthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`,
		OpenAI:    `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`,
	}
	for _, c := range []*Conversion{{From: OpenAI, To: Anthropic, Model: "m"}, {From: Anthropic, To: OpenAI, Model: "m"}} {
		body := []byte(bodies[c.To])
		want, err := ConvertResponse(c, body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ConvertResponseValidated(c, body)
		if err != nil {
			t.Fatal(err)
		}
		// Made-up ids and timestamps differ between two conversions; the
		// rest must not.
		for _, path := range []string{"model", "choices.0.message.content", "content.0.text", "usage"} {
			if g, w := gjson.GetBytes(got, path).Raw, gjson.GetBytes(want, path).Raw; g != w {
				t.Errorf("%s→%s %s: %s, want %s", c.To, c.From, path, g, w)
			}
		}
		if _, err := ConvertResponseValidated(c, []byte(`[]`)); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("array: err = %v", err)
		}
		ConvertResponseValidated(c, []byte(`{"id":`))
	}
}

func TestResponseFinishAndStopReasons(t *testing.T) {
	finish := map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
		"refusal": "content_filter", "pause_turn": "stop", "model_context_window_exceeded": "length", "": "stop",
	}
	for in, want := range finish {
		if got := FinishReason(in); got != want {
			t.Errorf("FinishReason(%q) = %q, want %q", in, got, want)
		}
	}
	stop := map[string]string{
		"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use",
		"content_filter": "refusal", "": "end_turn",
	}
	for in, want := range stop {
		if got := StopReason(in); got != want {
			t.Errorf("StopReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestResponseClockAndIDs checks that answers are stamped by unixNow and
// that made-up ids come from fillRandom, and that the package's own clock
// and random source give the current time and ids that differ.
func TestResponseClockAndIDs(t *testing.T) {
	before := time.Now().Unix()
	if now := realUnixNow(); now < before || now > time.Now().Unix() {
		t.Errorf("unixNow() = %d, want the current time", now)
	}
	var a, b [12]byte
	realFillRandom(a[:])
	realFillRandom(b[:])
	if a == b {
		t.Errorf("two random ids are the same: %x", a)
	}

	reply := []byte(`{"content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"}`)
	for _, tt := range []struct {
		from       Format
		stamp, id  string
		wantPrefix string
	}{
		{OpenAI, "created", "id", "chatcmpl-"},
		{Responses, "created_at", "id", "resp_"},
		{Anthropic, "", "id", "msg_"},
	} {
		c := &Conversion{From: tt.from, To: Anthropic, Model: "m"}
		if tt.from == Anthropic {
			c.To = Responses
		}
		in := reply
		if c.To == Responses {
			in = []byte(`{"object":"response","status":"completed","output":[]}`)
		}
		out, err := ConvertResponse(c, in)
		if err != nil {
			t.Fatal(err)
		}
		if tt.stamp != "" {
			if got := gjson.GetBytes(out, tt.stamp); got.Type != gjson.Number || got.Int() != unixNow() {
				t.Errorf("%s: %s = %s, want %d", tt.from, tt.stamp, got.Raw, unixNow())
			}
		}
		if id := gjson.GetBytes(out, tt.id).Str; id != tt.wantPrefix+strings.Repeat("0", randomHexLen) {
			t.Errorf("%s: id %q, want %s and the random source's digits", tt.from, id, tt.wantPrefix)
		}
	}
}

func TestResponseMadeUpIDs(t *testing.T) {
	c := &Conversion{From: Anthropic, To: OpenAI}
	body := []byte(`{"choices":[{"message":{"tool_calls":[{"function":{"name":"a","arguments":"{}"}},{"function":{"name":"b"}}]}}]}`)
	out, err := ConvertResponse(c, body)
	if err != nil {
		t.Fatal(err)
	}
	id := gjson.GetBytes(out, "id").Str
	if !strings.HasPrefix(id, "msg_") || len(id) < 10 {
		t.Errorf("id = %q, want a made-up msg_ id", id)
	}
	a, b := gjson.GetBytes(out, "content.0.id").Str, gjson.GetBytes(out, "content.1.id").Str
	if a == "" || a == b || !validToolID(a) || !validToolID(b) {
		t.Errorf("tool ids %q and %q: want two distinct valid ids", a, b)
	}
	if got := gjson.GetBytes(out, "stop_reason").Str; got != "tool_use" {
		t.Errorf("stop_reason = %q, want tool_use", got)
	}
}

// TestResponseNeverEmptyText checks pitfalls 2, 10 and 16 over every
// OpenAI-reply golden input (Chat and Responses): no empty text block, no
// content invented from annotations, stop_sequence never "".
func TestResponseNeverEmptyText(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "[or]2a_*.txt"))
	for _, path := range files {
		g := readConvGolden(t, path)
		up, _ := convGoldenDirection(t, path)
		out, err := ConvertResponse(&Conversion{From: Anthropic, To: up}, []byte(g.sections["input"]))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range gjson.GetBytes(out, "content").Array() {
			if b.Get("type").Str == "text" && b.Get("text").Str == "" {
				t.Errorf("%s: empty text block", path)
			}
		}
		if ss := gjson.GetBytes(out, "stop_sequence"); ss.Type != gjson.Null {
			t.Errorf("%s: stop_sequence = %s, want null", path, ss.Raw)
		}
	}
}

// FuzzConvertResponse checks that no upstream reply panics and that a
// valid JSON reply always converts into valid JSON.
func FuzzConvertResponse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "*.txt"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if _, in, ok := strings.Cut(string(data), "-- input --\n"); ok {
			in, _, _ = strings.Cut(in, "\n-- ")
			f.Add([]byte(in), strings.HasPrefix(filepath.Base(path), "a2o_"))
		}
	}
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"\u0000"}],"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, fromAnthropic bool) {
		c := &Conversion{From: Anthropic, To: OpenAI, Model: "m", ToolNames: map[string]string{"a_1": "a.1"}}
		if fromAnthropic {
			c.From, c.To = OpenAI, Anthropic
		}
		out, err := ConvertResponse(c, body)
		if err != nil {
			return
		}
		if json.Valid(body) && !json.Valid(out) {
			t.Fatalf("valid reply converted to invalid JSON:\n%s\n→\n%s", body, out)
		}
	})
}
