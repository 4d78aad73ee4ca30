package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// ev is an Event with its data copied into a comparable string.
type ev struct {
	Type  string
	Data  string
	ID    string
	Retry int
}

func (e ev) String() string {
	return fmt.Sprintf("{Type:%q Data:%q ID:%q Retry:%d}", e.Type, e.Data, e.ID, e.Retry)
}

func collect(out *[]ev) func(Event) error {
	return func(e Event) error {
		*out = append(*out, ev{e.Type, string(e.Data), e.ID, e.Retry})
		return nil
	}
}

// feedChunks feeds input in pieces cut at the given offsets. Every piece
// goes through one scratch buffer that is scribbled over after each Feed,
// so an event that keeps pointing into an earlier chunk shows up as garbage.
func feedChunks(d *Decoder, input []byte, cuts []int) ([]ev, error) {
	var out []ev
	fn := collect(&out)
	scratch := make([]byte, len(input))
	prev := 0
	for _, c := range append(cuts, len(input)) {
		chunk := scratch[:c-prev]
		copy(chunk, input[prev:c])
		prev = c
		if err := d.Feed(chunk, fn); err != nil {
			return out, err
		}
		for i := range chunk {
			chunk[i] = 'X'
		}
	}
	return out, d.Flush(fn)
}

func feedEvery(d *Decoder, input []byte, size int) ([]ev, error) {
	var cuts []int
	for c := size; c < len(input); c += size {
		cuts = append(cuts, c)
	}
	return feedChunks(d, input, cuts)
}

func readAll(r *Reader) ([]ev, error) {
	var out []ev
	for r.Next() {
		e := r.Event()
		out = append(out, ev{e.Type, string(e.Data), e.ID, e.Retry})
	}
	return out, r.Err()
}

// refDecode is a deliberately naive decoder, written from the rules rather
// than for speed, that the streaming Decoder is checked against.
func refDecode(input []byte) []ev {
	s := strings.TrimPrefix(string(input), utf8BOM)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	var out []ev
	var cur ev
	var data []string
	dispatch := func() {
		if len(data) > 0 || cur.Type != "" {
			cur.Data = strings.Join(data, "\n")
			out = append(out, cur)
		}
		cur, data = ev{}, nil
	}
	for _, line := range lines {
		if line == "" {
			dispatch()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "data":
			data = append(data, value)
		case "event":
			cur.Type = value
		case "id":
			if !strings.Contains(value, "\x00") {
				cur.ID = value
			}
		case "retry":
			if value != "" && strings.Trim(value, "0123456789") == "" {
				if n, err := strconv.Atoi(value); err == nil {
					cur.Retry = n
				}
			}
		}
	}
	dispatch()
	return out
}

var sseCases = []struct {
	name  string
	input string
	want  []ev
}{
	{"empty stream", "", nil},
	{"only blank lines", "\n\n\r\n\r\n", nil},
	{"anthropic event",
		"event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
		[]ev{{Type: "message_start", Data: `{"type":"message_start"}`}}},
	{"openai chunks and done",
		"data: {\"choices\":[]}\n\ndata: [DONE]\n\n",
		[]ev{{Data: `{"choices":[]}`}, {Data: "[DONE]"}}},
	{"crlf", "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n",
		[]ev{{Type: "a", Data: "1"}, {Data: "2"}}},
	{"lone cr", "event: a\rdata: 1\r\rdata: 2\r\r",
		[]ev{{Type: "a", Data: "1"}, {Data: "2"}}},
	{"mixed line endings", "data: 1\rdata: 2\r\ndata: 3\n\r\n",
		[]ev{{Data: "1\n2\n3"}}},
	{"cr cr lf is two line ends", "data: 1\r\r\ndata: 2\n\n",
		[]ev{{Data: "1"}, {Data: "2"}}},
	{"lf cr is two line ends", "data: 1\n\rdata: 2\n\n",
		[]ev{{Data: "1"}, {Data: "2"}}},
	{"comments", ": ping\n\n:\ndata: x\n: inside\n\n",
		[]ev{{Data: "x"}}},
	{"comment only event is not dispatched", ": keep-alive\n\n", nil},
	{"no space after colon", "data:x\n\n", []ev{{Data: "x"}}},
	{"only one space stripped", "data:  x \n\n", []ev{{Data: " x "}}},
	{"tab is not stripped", "data:\tx\n\n", []ev{{Data: "\tx"}}},
	{"colons in value kept", "data: {\"a\":\"b:c\"}\n\n", []ev{{Data: `{"a":"b:c"}`}}},
	{"field without colon", "data\n\n", []ev{{Data: ""}}},
	{"empty data line", "data:\n\n", []ev{{Data: ""}}},
	{"multi-line data", "data: a\ndata: b\ndata: c\n\n", []ev{{Data: "a\nb\nc"}}},
	{"empty data lines joined", "data\ndata\n\n", []ev{{Data: "\n"}}},
	{"unknown fields ignored", "foo: bar\nDATA: no\n data: no\ndata: yes\n\n",
		[]ev{{Data: "yes"}}},
	{"last event line wins", "event: a\nevent: b\ndata: x\n\n", []ev{{Type: "b", Data: "x"}}},
	{"type without data dispatched", "event: ping\n\nevent: x\n\n",
		[]ev{{Type: "ping"}, {Type: "x"}}},
	{"empty type without data dropped", "event:\n\nevent\n\n", nil},
	{"type resets after dispatch", "event: a\ndata: 1\n\ndata: 2\n\n",
		[]ev{{Type: "a", Data: "1"}, {Data: "2"}}},
	{"id", "id: 7\ndata: x\n\ndata: y\n\n", []ev{{Data: "x", ID: "7"}, {Data: "y"}}},
	{"id with nul ignored", "id: a\x00b\ndata: x\n\n", []ev{{Data: "x"}}},
	{"id only not dispatched", "id: 1\n\n", nil},
	{"retry", "retry: 3000\ndata: x\n\n", []ev{{Data: "x", Retry: 3000}}},
	{"retry not digits ignored", "retry: 30a\ndata: x\n\nretry: -1\ndata: y\n\nretry:\ndata: z\n\nretry: +5\ndata: w\n\n",
		[]ev{{Data: "x"}, {Data: "y"}, {Data: "z"}, {Data: "w"}}},
	{"retry overflow ignored", "retry: 99999999999999999999999\ndata: x\n\n", []ev{{Data: "x"}}},
	{"retry only not dispatched", "retry: 10\n\n", nil},
	{"no trailing blank line", "event: message_stop\ndata: {}", []ev{{Type: "message_stop", Data: "{}"}}},
	{"no trailing blank line after lf", "data: [DONE]\n", []ev{{Data: "[DONE]"}}},
	{"no trailing blank line after cr", "data: [DONE]\r", []ev{{Data: "[DONE]"}}},
	{"utf8BOM skipped", utf8BOM + "data: x\n\n", []ev{{Data: "x"}}},
	{"only one utf8BOM skipped", utf8BOM + utf8BOM + "data: x\n\ndata: y\n\n", []ev{{Data: "y"}}},
	{"partial utf8BOM is part of the first line", "\xEF\xBBdata: x\n\ndata: y\n\n", []ev{{Data: "y"}}},
	{"partial utf8BOM then line end", "\xEF\ndata: x\n\n", []ev{{Data: "x"}}},
	{"utf8BOM alone", utf8BOM, nil},
	{"utf-8", "data: héllo 世界 🎉\n\n", []ev{{Data: "héllo 世界 🎉"}}},
	{"invalid utf-8 passed through", "data: \xff\xfe\n\n", []ev{{Data: "\xff\xfe"}}},
}

func TestDecoder(t *testing.T) {
	for _, tc := range sseCases {
		t.Run(tc.name, func(t *testing.T) {
			input := []byte(tc.input)
			check := func(how string, got []ev, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: error %v", how, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("%s:\n got %v\nwant %v", how, got, tc.want)
				}
			}
			check("reference", refDecode(input), nil)

			var d Decoder
			got, err := feedChunks(&d, input, nil)
			check("whole", got, err)
			if d.Pending() {
				t.Fatal("Pending after Flush")
			}
			for cut := 0; cut <= len(input); cut++ {
				got, err := feedChunks(&d, input, []int{cut})
				check(fmt.Sprintf("split at %d", cut), got, err)
			}
			for size := 1; size <= len(input); size++ {
				got, err := feedEvery(&d, input, size)
				check(fmt.Sprintf("chunks of %d", size), got, err)
			}
			got, err = readAll(NewReader(bytes.NewReader(input)))
			check("Reader", got, err)
			got, err = readAll(NewReader(iotest.OneByteReader(bytes.NewReader(input))))
			check("Reader one byte", got, err)
			got, err = readAll(NewReader(iotest.DataErrReader(bytes.NewReader(input))))
			check("Reader data with EOF", got, err)
		})
	}
}

func TestDecoderCRAtChunkEnd(t *testing.T) {
	var got []ev
	var d Decoder
	for _, chunk := range []string{"data: 1\r", "\ndata: 2\r", "\n\r", "\n", "data: 3\r", "\r", "\n"} {
		if err := d.Feed([]byte(chunk), collect(&got)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(collect(&got)); err != nil {
		t.Fatal(err)
	}
	want := []ev{{Data: "1\n2"}, {Data: "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDecoderEmptyFeed(t *testing.T) {
	var got []ev
	var d Decoder
	for _, chunk := range []string{"", "data: 1\r", "", "", "\n", "", "\n", ""} {
		if err := d.Feed([]byte(chunk), collect(&got)); err != nil {
			t.Fatal(err)
		}
	}
	if want := []ev{{Data: "1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDecoderUTF8Split(t *testing.T) {
	text := "héllo 世界 🎉 ✓ Привет"
	input := []byte("event: content_block_delta\ndata: " + text + "\n\n")
	for i := range len(input) {
		// Only cuts inside a multi-byte character are interesting.
		if input[i]&0xC0 != 0x80 {
			continue
		}
		var d Decoder
		got, err := feedChunks(&d, input, []int{i})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Data != text {
			t.Fatalf("cut at %d: got %v", i, got)
		}
	}
	var d Decoder
	got, err := feedEvery(&d, input, 1)
	if err != nil || len(got) != 1 || got[0].Data != text {
		t.Fatalf("one byte at a time: got %v, %v", got, err)
	}
}

func TestDecoderLongLine(t *testing.T) {
	long := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16)
	input := append(append([]byte("event: big\ndata: "), long...), "\n\ndata: after\n\n"...)
	want := []ev{{Type: "big", Data: string(long)}, {Data: "after"}}
	for _, size := range []int{len(input), 4096, 1000, 7} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			var d Decoder
			got, err := feedEvery(&d, input, size)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %d events, first %d bytes", len(got), len(got[0].Data))
			}
		})
	}
	t.Run("Reader", func(t *testing.T) {
		got, err := readAll(NewReader(iotest.HalfReader(bytes.NewReader(input))))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %d events, %v", len(got), err)
		}
	})
}

func TestDecoderMaxEventSize(t *testing.T) {
	const limit = 16
	line := func(n int) string { return "data: " + strings.Repeat("x", n-len("data: ")) }
	cases := []struct {
		name  string
		input string
		err   error
	}{
		{"line at limit", line(limit) + "\n\n", nil},
		{"line over limit", line(limit+1) + "\n\n", ErrEventTooLarge},
		{"unterminated line over limit", line(limit + 1), ErrEventTooLarge},
		{"comment over limit", ":" + strings.Repeat("c", limit) + "\n\n", ErrEventTooLarge},
		{"joined data at limit", "data: 1234567\ndata: 12345678\n\n", nil},
		{"joined data over limit", "data: 1234567\ndata: 123456789\n\n", ErrEventTooLarge},
		{"many small events", strings.Repeat(line(limit)+"\n\n", 10), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := []byte(tc.input)
			for size := 1; size <= len(input); size++ {
				d := Decoder{MaxEventSize: limit}
				_, err := feedEvery(&d, input, size)
				if !errors.Is(err, tc.err) {
					t.Fatalf("chunks of %d: err %v, want %v", size, err, tc.err)
				}
			}
			r := NewReader(iotest.OneByteReader(bytes.NewReader(input)))
			r.MaxEventSize = limit
			if _, err := readAll(r); !errors.Is(err, tc.err) {
				t.Fatalf("Reader: err %v, want %v", err, tc.err)
			}
		})
	}
}

func TestDecoderErrorsAreSticky(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	fn := func(Event) error { calls++; return stop }
	var d Decoder
	if err := d.Feed([]byte("data: 1\n\ndata: 2\n\n"), fn); err != stop {
		t.Fatalf("Feed: %v", err)
	}
	if err := d.Feed([]byte("data: 3\n\n"), fn); err != stop {
		t.Fatalf("second Feed: %v", err)
	}
	if calls != 1 {
		t.Fatalf("fn called %d times after failing", calls)
	}
	d.Reset()
	var got []ev
	if err := d.Feed([]byte("data: 4\n\n"), collect(&got)); err != nil || len(got) != 1 {
		t.Fatalf("after Reset: %v %v", got, err)
	}

	small := Decoder{MaxEventSize: 4}
	if err := small.Feed([]byte("data: 12345"), collect(&got)); err != ErrEventTooLarge {
		t.Fatalf("Feed: %v", err)
	}
	if err := small.Flush(collect(&got)); err != ErrEventTooLarge {
		t.Fatalf("Flush: %v", err)
	}
	if err := small.Feed([]byte("data\n\n"), collect(&got)); err != nil {
		t.Fatalf("Feed after Flush: %v", err)
	}
}

func TestDecoderPending(t *testing.T) {
	steps := []struct {
		feed    string
		pending bool
	}{
		{"", false},
		{"\xEF", true},
		{"\xBB\xBF", false},
		{"data: 1", true},
		{"\n", true},
		{"\n", false},
		{": comment\n", false},
		{"event: x\n", true},
		{"\n", false},
		{"id: 1\n", true},
		{"\n", false},
		{"\r", false},
	}
	var d Decoder
	for i, s := range steps {
		if err := d.Feed([]byte(s.feed), func(Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if d.Pending() != s.pending {
			t.Fatalf("step %d (%q): Pending() = %v", i, s.feed, !s.pending)
		}
	}
}

func TestDecoderFlushStartsNewStream(t *testing.T) {
	var got []ev
	var d Decoder
	for range 2 {
		if err := d.Feed([]byte(utf8BOM+"data: x"), collect(&got)); err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(collect(&got)); err != nil {
			t.Fatal(err)
		}
	}
	if want := []ev{{Data: "x"}, {Data: "x"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestDecoderZeroCopy(t *testing.T) {
	input := []byte("event: a\ndata: payload\n\n")
	var d Decoder
	err := d.Feed(input, func(e Event) error {
		if &e.Data[0] != &input[len("event: a\ndata: ")] {
			t.Error("single-line data was copied")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDecoderSteadyStateAllocs(t *testing.T) {
	stream := anthropicStream(50)
	var d Decoder
	fn := func(Event) error { return nil }
	feed := func() {
		for p := stream; len(p) > 0; {
			n := min(len(p), 4096)
			if err := d.Feed(p[:n], fn); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
	}
	feed() // grows the buffers and fills the type cache
	if n := testing.AllocsPerRun(20, feed); n != 0 {
		t.Fatalf("Feed allocates %v times per stream", n)
	}
}

func TestReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("read error", func(t *testing.T) {
		r := NewReader(io.MultiReader(strings.NewReader("data: 1\n\ndata: 2"), iotest.ErrReader(boom)))
		got, err := readAll(r)
		if err != boom || !reflect.DeepEqual(got, []ev{{Data: "1"}}) {
			t.Fatalf("got %v, %v", got, err)
		}
		if r.Next() {
			t.Fatal("Next after error")
		}
	})
	t.Run("timeout after data", func(t *testing.T) {
		r := NewReader(iotest.TimeoutReader(strings.NewReader("data: 1\n\n")))
		got, err := readAll(r)
		if err != iotest.ErrTimeout || !reflect.DeepEqual(got, []ev{{Data: "1"}}) {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("no progress", func(t *testing.T) {
		r := NewReader(readerFunc(func([]byte) (int, error) { return 0, nil }))
		if _, err := readAll(r); err != io.ErrNoProgress {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("clean EOF", func(t *testing.T) {
		r := NewReader(strings.NewReader(""))
		if r.Next() || r.Err() != nil {
			t.Fatalf("Err %v", r.Err())
		}
		if r.Next() {
			t.Fatal("Next after EOF")
		}
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestReaderEventValidUntilNext(t *testing.T) {
	input := anthropicStream(20)
	want := refDecode(input)
	r := NewReader(iotest.HalfReader(bytes.NewReader(input)))
	var i int
	for ; r.Next(); i++ {
		e := r.Event()
		if i >= len(want) || want[i].Type != e.Type || want[i].Data != string(e.Data) {
			t.Fatalf("event %d: got %q %q", i, e.Type, e.Data)
		}
	}
	if r.Err() != nil || i != len(want) {
		t.Fatalf("%d events, err %v", i, r.Err())
	}
}

func TestAppendEventRoundTrip(t *testing.T) {
	cases := []struct {
		typ  string
		data string
		want ev
	}{
		{"message_start", `{"type":"message_start"}`, ev{Type: "message_start", Data: `{"type":"message_start"}`}},
		{"", "[DONE]", ev{Data: "[DONE]"}},
		{"", "", ev{}},
		{"ping", "", ev{Type: "ping"}},
		{"", "a\nb\n\nc", ev{Data: "a\nb\n\nc"}},
		{"", "\n", ev{Data: "\n"}},
		{"", "trailing\n", ev{Data: "trailing\n"}},
		{"", " leading space", ev{Data: " leading space"}},
		{" t", "x", ev{Type: " t", Data: "x"}},
		{"", ": not a comment", ev{Data: ": not a comment"}},
		{"", "a\r\nb\rc", ev{Data: "a\nb\nc"}},
		{"bad\ndata: forged", "x", ev{Type: "bad", Data: "x"}},
		{"", "héllo 世界", ev{Data: "héllo 世界"}},
	}
	var stream []byte
	var want []ev
	for _, tc := range cases {
		frame := AppendEvent(nil, tc.typ, []byte(tc.data))
		if !bytes.HasSuffix(frame, []byte("\n\n")) {
			t.Errorf("%q: frame %q does not end with a blank line", tc.data, frame)
		}
		stream = append(stream, frame...)
		want = append(want, tc.want)
	}
	full := Event{Type: "t", Data: []byte("d"), ID: "42", Retry: 1500}
	stream = full.AppendTo(stream)
	want = append(want, ev{"t", "d", "42", 1500})

	var buf bytes.Buffer
	for _, tc := range cases {
		if err := WriteEvent(&buf, tc.typ, []byte(tc.data)); err != nil {
			t.Fatal(err)
		}
	}
	if w := AppendEvent(nil, "", nil); string(w) != "data: \n\n" {
		t.Errorf("empty event framed as %q", w)
	}
	if !bytes.HasPrefix(stream, buf.Bytes()) {
		t.Errorf("WriteEvent and AppendEvent differ:\n%q\n%q", buf.Bytes(), stream)
	}

	for size := 1; size <= len(stream); size++ {
		var d Decoder
		got, err := feedEvery(&d, stream, size)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("chunks of %d: %v\n got %v\nwant %v", size, err, got, want)
		}
	}
}

func TestAppendEventFraming(t *testing.T) {
	cases := []struct {
		typ, data, want string
	}{
		{"message_stop", `{"type":"message_stop"}`, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"},
		{"", "[DONE]", "data: [DONE]\n\n"},
		{"", "a\nb", "data: a\ndata: b\n\n"},
		{"x", "", "event: x\ndata: \n\n"},
	}
	for _, tc := range cases {
		if got := string(AppendEvent([]byte("prefix|"), tc.typ, []byte(tc.data))); got != "prefix|"+tc.want {
			t.Errorf("AppendEvent(%q, %q) = %q, want %q", tc.typ, tc.data, got, tc.want)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, tc := range sseCases {
		f.Add([]byte(tc.input), uint16(len(tc.input)/2))
	}
	f.Add(anthropicStream(3), uint16(100))
	f.Add(openAIStream(3), uint16(77))
	f.Fuzz(func(t *testing.T, input []byte, cut uint16) {
		want := refDecode(input)
		var d Decoder
		got, err := feedChunks(&d, input, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("whole feed differs from reference:\n got %v\nwant %v", got, want)
		}
		c := int(cut) % (len(input) + 1)
		got, err = feedChunks(&d, input, []int{c})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d differs from whole feed:\n got %v\nwant %v", c, got, want)
		}
		got, err = readAll(NewReader(iotest.OneByteReader(bytes.NewReader(input))))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Reader differs from whole feed: %v\n got %v\nwant %v", err, got, want)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("content_block_delta", []byte(`{"type":"content_block_delta"}`), "", 0)
	f.Add("", []byte("a\nb"), "7", 100)
	f.Add("x", []byte(""), "", 0)
	f.Add("", []byte("\r\n\r"), "", 0)
	f.Fuzz(func(t *testing.T, typ string, data []byte, id string, retry int) {
		in := Event{Type: typ, Data: data, ID: id, Retry: retry}
		stream := in.AppendTo(nil)
		stream = AppendEvent(stream, typ, data)

		norm := strings.ReplaceAll(string(data), "\r\n", "\n")
		norm = strings.ReplaceAll(norm, "\r", "\n")
		want := ev{Type: cutAtLineBreak(typ), Data: norm, ID: cutAtLineBreak(id), Retry: max(retry, 0)}
		if strings.Contains(want.ID, "\x00") {
			want.ID = ""
		}
		var d Decoder
		got, err := feedChunks(&d, stream, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != want || got[1] != (ev{Type: want.Type, Data: want.Data}) {
			t.Fatalf("stream %q\n got %v\nwant %v", stream, got, want)
		}
	})
}

func ExampleDecoder() {
	var d Decoder
	print := func(ev Event) error {
		fmt.Printf("%s %s\n", ev.Type, ev.Data)
		return nil
	}
	// Bytes arrive in arbitrary pieces, here cut inside a line.
	_ = d.Feed([]byte("event: message_start\ndata: {\"type\":\"mess"), print)
	_ = d.Feed([]byte("age_start\"}\n\nevent: message_stop\ndata: {}"), print)
	_ = d.Flush(print)
	// Output:
	// message_start {"type":"message_start"}
	// message_stop {}
}

func ExampleReader() {
	body := strings.NewReader("data: {\"id\":\"1\"}\n\n: keep-alive\n\ndata: [DONE]\n\n")
	r := NewReader(body)
	for r.Next() {
		fmt.Printf("%s\n", r.Event().Data)
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"id":"1"}
	// [DONE]
}

func ExampleWriteEvent() {
	_ = WriteEvent(os.Stdout, "content_block_delta", []byte(`{"index":0}`))
	_ = WriteEvent(os.Stdout, "", []byte("[DONE]"))
	// Output:
	// event: content_block_delta
	// data: {"index":0}
	//
	// data: [DONE]
}

// anthropicStream is an Anthropic Messages stream with n text deltas, shaped
// like the real thing: one block of text, a ping, usage at both ends.
func anthropicStream(n int) []byte {
	var b []byte
	b = AppendEvent(b, "message_start", []byte(`{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2048,"cache_creation_input_tokens":0,"cache_read_input_tokens":1536,"output_tokens":1,"service_tier":"standard"}}}`))
	b = AppendEvent(b, "content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
	b = AppendEvent(b, "ping", []byte(`{"type": "ping"}`))
	words := []string{"Hello", " there! Here", " is the", " answer to your", " question about", " Server-Sent Events", " and streaming", " responses."}
	for i := range n {
		b = AppendEvent(b, "content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+words[i%len(words)]+`"}}`))
	}
	b = AppendEvent(b, "content_block_stop", []byte(`{"type":"content_block_stop","index":0}`))
	b = AppendEvent(b, "message_delta", []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":`+strconv.Itoa(n)+`}}`))
	b = AppendEvent(b, "message_stop", []byte(`{"type":"message_stop"}`))
	return b
}

// openAIStream is an OpenAI Chat Completions stream with n content chunks,
// a finish chunk, a usage chunk and [DONE].
func openAIStream(n int) []byte {
	const head = `{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[`
	var b []byte
	b = AppendEvent(b, "", []byte(head+`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`))
	words := []string{"Hello", " there! Here", " is the", " answer to your", " question about", " Server-Sent Events", " and streaming", " responses."}
	for i := range n {
		b = AppendEvent(b, "", []byte(head+`{"index":0,"delta":{"content":"`+words[i%len(words)]+`"},"logprobs":null,"finish_reason":null}],"usage":null}`))
	}
	b = AppendEvent(b, "", []byte(head+`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`))
	b = AppendEvent(b, "", []byte(head+`],"usage":{"prompt_tokens":2048,"completion_tokens":`+strconv.Itoa(n)+`,"total_tokens":`+strconv.Itoa(2048+n)+`,"prompt_tokens_details":{"cached_tokens":1536,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`))
	b = AppendEvent(b, "", []byte("[DONE]"))
	return b
}

var benchStreams = []struct {
	name   string
	stream []byte
}{
	{"anthropic", anthropicStream(500)},
	{"openai", openAIStream(500)},
}

func BenchmarkSSEDecoder(b *testing.B) {
	for _, s := range benchStreams {
		for _, chunk := range []int{4096, 1} {
			b.Run(fmt.Sprintf("%s/chunk=%d", s.name, chunk), func(b *testing.B) {
				var d Decoder
				events := 0
				fn := func(Event) error { events++; return nil }
				b.ReportAllocs()
				b.SetBytes(int64(len(s.stream)))
				for b.Loop() {
					for p := s.stream; len(p) > 0; {
						n := min(len(p), chunk)
						if err := d.Feed(p[:n], fn); err != nil {
							b.Fatal(err)
						}
						p = p[n:]
					}
					if err := d.Flush(fn); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(s.stream))*float64(b.N)/float64(events), "B/event")
			})
		}
	}
}

func BenchmarkSSEReader(b *testing.B) {
	for _, s := range benchStreams {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s.stream)))
			for b.Loop() {
				r := NewReader(bytes.NewReader(s.stream))
				for r.Next() {
				}
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
		})
	}
}

func BenchmarkSSEAppendEvent(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" question about"}}`)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendEvent(nil, "content_block_delta", data))))
	for b.Loop() {
		buf = AppendEvent(buf[:0], "content_block_delta", data)
	}
}

func BenchmarkSSEWriteEvent(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" question about"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendEvent(nil, "content_block_delta", data))))
	for b.Loop() {
		if err := WriteEvent(io.Discard, "content_block_delta", data); err != nil {
			b.Fatal(err)
		}
	}
}
