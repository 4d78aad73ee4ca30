// Package mockllm is the upstream of the load benchmarks: an HTTP handler
// that answers the Anthropic Messages (POST …/messages), OpenAI Chat
// Completions (POST …/chat/completions), OpenAI Responses (POST
// …/responses) and Gemini (POST …/models/{model}:generateContent and
// :streamGenerateContent, as events with alt=sse and as one JSON array
// without) endpoints, streamed or not, after
// a configurable latency and with a configurable number of stream events
// and gap between them. It keeps nothing per request, so it can take load
// for as long as the benchmark runs.
package mockllm

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
)

// Settings say how the mock answers. The zero value answers at once with
// one content event.
type Settings struct {
	// Latency is the wait before the response headers, as a model's time
	// to first token. Zero answers at once.
	Latency time.Duration
	// Events is the number of content deltas in a stream, and of words in
	// a non-streamed answer. Zero or less means 1.
	Events int
	// EventGap is the wait between two stream events. Zero flushes them
	// back to back.
	EventGap time.Duration
}

// Stats counts the requests answered, by endpoint.
type Stats struct {
	Anthropic, OpenAI, Responses, Gemini, Other atomic.Int64
}

// Handler answers requests according to its Settings. It is safe for
// concurrent use.
type Handler struct {
	s     Settings
	Stats Stats
}

// New returns a Handler with settings s.
func New(s Settings) *Handler {
	if s.Events <= 0 {
		s.Events = 1
	}
	return &Handler{s: s}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// word is each content delta: a token-sized piece of text.
const word = "lorem "

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var anthropic, responses bool
	gmodel, gstream, gemini := geminiTarget(r.URL.Path)
	switch {
	case gemini:
		h.Stats.Gemini.Add(1)
	case strings.HasSuffix(r.URL.Path, "/messages"):
		anthropic = true
		h.Stats.Anthropic.Add(1)
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		h.Stats.OpenAI.Add(1)
	case strings.HasSuffix(r.URL.Path, "/responses"):
		responses = true
		h.Stats.Responses.Add(1)
	default:
		h.Stats.Other.Add(1)
		http.NotFound(w, r)
		return
	}
	in := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(in)
	in.Reset()
	if _, err := in.ReadFrom(r.Body); err != nil {
		return
	}
	if gemini {
		h.gemini(w, r, gmodel, gstream)
		return
	}
	res := gjson.GetManyBytes(in.Bytes(), "model", "stream", "stream_options.include_usage")
	model, stream, usage := res[0].String(), res[1].Bool(), res[2].Bool()
	if !res[0].Exists() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"no model","type":"invalid_request_error"}}`)
		return
	}
	if h.s.Latency > 0 && !h.wait(r, h.s.Latency) {
		return
	}
	out := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(out)
	out.Reset()
	switch {
	case stream && responses:
		h.responsesStream(w, r, out, model)
	case responses:
		w.Header().Set("Content-Type", "application/json")
		out.WriteString(`{"id":"resp_mock","object":"response","created_at":1700000000,"status":"completed","model":`)
		quote(out, model)
		out.WriteString(`,"output":[{"type":"message","id":"msg_mock","status":"completed","role":"assistant","content":[{"type":"output_text","text":"`)
		h.text(out)
		out.WriteString(`","annotations":[]}]}],"usage":{"input_tokens":42,"input_tokens_details":{"cached_tokens":30},"output_tokens":`)
		out.WriteString(strconv.Itoa(h.s.Events))
		out.WriteString(`,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`)
		out.WriteString(strconv.Itoa(42 + h.s.Events))
		out.WriteString(`}}`)
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		w.Write(out.Bytes())
	case stream && anthropic:
		h.anthropicStream(w, r, out, model)
	case stream:
		h.openaiStream(w, r, out, model, usage)
	case anthropic:
		w.Header().Set("Content-Type", "application/json")
		out.WriteString(`{"id":"msg_mock","type":"message","role":"assistant","model":`)
		quote(out, model)
		out.WriteString(`,"content":[{"type":"text","text":"`)
		h.text(out)
		out.WriteString(`"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":`)
		out.WriteString(strconv.Itoa(h.s.Events))
		out.WriteString(`,"cache_read_input_tokens":30,"cache_creation_input_tokens":0}}`)
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		w.Write(out.Bytes())
	default:
		w.Header().Set("Content-Type", "application/json")
		out.WriteString(`{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":`)
		quote(out, model)
		out.WriteString(`,"choices":[{"index":0,"message":{"role":"assistant","content":"`)
		h.text(out)
		out.WriteString(`","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":`)
		out.WriteString(strconv.Itoa(h.s.Events))
		out.WriteString(`,"total_tokens":`)
		out.WriteString(strconv.Itoa(42 + h.s.Events))
		out.WriteString(`,"prompt_tokens_details":{"cached_tokens":30}}}`)
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		w.Write(out.Bytes())
	}
}

func (h *Handler) text(out *bytes.Buffer) {
	for range h.s.Events {
		out.WriteString(word)
	}
}

// wait sleeps d unless the caller goes away first; it reports whether to
// go on.
func (h *Handler) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// events writes stream events, each flushed on its own as providers do,
// with the configured gap between them.
type events struct {
	h   *Handler
	w   http.ResponseWriter
	f   http.Flusher
	r   *http.Request
	out *bytes.Buffer
	n   int
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request, out *bytes.Buffer) *events {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &events{h: h, w: w, f: f, r: r, out: out}
}

// send writes the event in e.out; it reports false once the caller has
// gone.
func (e *events) send() bool {
	if e.n > 0 && e.h.s.EventGap > 0 && !e.h.wait(e.r, e.h.s.EventGap) {
		return false
	}
	e.n++
	_, err := e.w.Write(e.out.Bytes())
	e.out.Reset()
	if err != nil {
		return false
	}
	if e.f != nil {
		e.f.Flush()
	}
	return true
}

func (e *events) named(typ, data string) bool {
	e.out.WriteString("event: ")
	e.out.WriteString(typ)
	e.out.WriteString("\ndata: ")
	e.out.WriteString(data)
	e.out.WriteString("\n\n")
	return e.send()
}

func (h *Handler) anthropicStream(w http.ResponseWriter, r *http.Request, out *bytes.Buffer, model string) {
	e := h.start(w, r, out)
	out.WriteString("event: message_start\ndata: ")
	out.WriteString(`{"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","model":`)
	quote(out, model)
	out.WriteString(`,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1,"cache_read_input_tokens":30,"cache_creation_input_tokens":0}}}` + "\n\n")
	if !e.send() ||
		!e.named("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) {
		return
	}
	for range h.s.Events {
		if !e.named("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+word+`"}}`) {
			return
		}
	}
	_ = e.named("content_block_stop", `{"type":"content_block_stop","index":0}`) &&
		e.named("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":`+strconv.Itoa(h.s.Events)+`}}`) &&
		e.named("message_stop", `{"type":"message_stop"}`)
}

func (h *Handler) openaiStream(w http.ResponseWriter, r *http.Request, out *bytes.Buffer, model string, usage bool) {
	e := h.start(w, r, out)
	chunk := func(delta, finish string) bool {
		out.WriteString(`data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":`)
		quote(out, model)
		out.WriteString(`,"choices":[{"index":0,"delta":`)
		out.WriteString(delta)
		out.WriteString(`,"logprobs":null,"finish_reason":`)
		out.WriteString(finish)
		out.WriteString("}]}\n\n")
		return e.send()
	}
	if !chunk(`{"role":"assistant","content":""}`, "null") {
		return
	}
	for range h.s.Events {
		if !chunk(`{"content":"`+word+`"}`, "null") {
			return
		}
	}
	if !chunk(`{}`, `"stop"`) {
		return
	}
	if usage {
		out.WriteString(`data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":`)
		quote(out, model)
		out.WriteString(`,"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":` + strconv.Itoa(h.s.Events) + `,"total_tokens":` + strconv.Itoa(42+h.s.Events) + `,"prompt_tokens_details":{"cached_tokens":30}}}` + "\n\n")
		if !e.send() {
			return
		}
	}
	out.WriteString("data: [DONE]\n\n")
	e.send()
}

// responsesStream answers as the Responses API streams: every event named,
// numbered by sequence_number, one text item.
func (h *Handler) responsesStream(w http.ResponseWriter, r *http.Request, out *bytes.Buffer, model string) {
	e := h.start(w, r, out)
	seq := 0
	ev := func(typ, data string) bool {
		e.out.WriteString("event: ")
		e.out.WriteString(typ)
		e.out.WriteString("\ndata: {\"type\":\"")
		e.out.WriteString(typ)
		e.out.WriteString(`","sequence_number":`)
		e.out.WriteString(strconv.Itoa(seq))
		seq++
		e.out.WriteString(data)
		e.out.WriteString("}\n\n")
		return e.send()
	}
	var m bytes.Buffer
	quote(&m, model)
	head := `"id":"resp_mock","object":"response","created_at":1700000000,"model":` + m.String()
	if !ev("response.created", `,"response":{`+head+`,"status":"in_progress","output":[]}`) ||
		!ev("response.output_item.added", `,"output_index":0,"item":{"type":"message","id":"msg_mock","status":"in_progress","role":"assistant","content":[]}`) ||
		!ev("response.content_part.added", `,"item_id":"msg_mock","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}`) {
		return
	}
	for range h.s.Events {
		if !ev("response.output_text.delta", `,"item_id":"msg_mock","output_index":0,"content_index":0,"delta":"`+word+`"`) {
			return
		}
	}
	var text bytes.Buffer
	h.text(&text)
	item := `{"type":"message","id":"msg_mock","status":"completed","role":"assistant","content":[{"type":"output_text","text":"` + text.String() + `","annotations":[]}]}`
	n := strconv.Itoa(h.s.Events)
	_ = ev("response.output_text.done", `,"item_id":"msg_mock","output_index":0,"content_index":0,"text":"`+text.String()+`"`) &&
		ev("response.content_part.done", `,"item_id":"msg_mock","output_index":0,"content_index":0,"part":{"type":"output_text","text":"`+text.String()+`","annotations":[]}`) &&
		ev("response.output_item.done", `,"output_index":0,"item":`+item) &&
		ev("response.completed", `,"response":{`+head+`,"status":"completed","output":[`+item+`],"usage":{"input_tokens":42,"input_tokens_details":{"cached_tokens":30},"output_tokens":`+n+`,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`+strconv.Itoa(42+h.s.Events)+`}}`)
}

// geminiTarget reads the model and the method of a Gemini path
// ".../models/{model}:generateContent" or ":streamGenerateContent".
func geminiTarget(path string) (model string, stream, ok bool) {
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return "", false, false
	}
	model, method, _ := strings.Cut(path[i+len("/models/"):], ":")
	switch method {
	case "generateContent":
		return model, false, model != ""
	case "streamGenerateContent":
		return model, true, model != ""
	}
	return "", false, false
}

// geminiChunk writes one GenerateContentResponse with a text of words
// words and the usage of the sofar words sent (42 prompt tokens, 30 of
// them cached); the last carries finishReason.
func (h *Handler) geminiChunk(out *bytes.Buffer, model string, words, sofar int, last bool) {
	out.WriteString(`{"candidates":[{"content":{"parts":[{"text":"`)
	for range words {
		out.WriteString(word)
	}
	out.WriteString(`"}],"role":"model"},`)
	if last {
		out.WriteString(`"finishReason":"STOP",`)
	}
	out.WriteString(`"index":0}],"usageMetadata":{"promptTokenCount":42,"candidatesTokenCount":`)
	out.WriteString(strconv.Itoa(sofar))
	out.WriteString(`,"cachedContentTokenCount":30,"totalTokenCount":`)
	out.WriteString(strconv.Itoa(42 + sofar))
	out.WriteString(`},"modelVersion":`)
	quote(out, model)
	out.WriteString(`,"responseId":"mock"}`)
}

// gemini answers a Gemini call: the whole answer, or one chunk per word
// with the usage so far, as data-only events (alt=sse) or as the elements
// of a JSON array.
func (h *Handler) gemini(w http.ResponseWriter, r *http.Request, model string, stream bool) {
	if h.s.Latency > 0 && !h.wait(r, h.s.Latency) {
		return
	}
	out := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(out)
	out.Reset()
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		h.geminiChunk(out, model, h.s.Events, h.s.Events, true)
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		w.Write(out.Bytes())
		return
	}
	sse := r.URL.Query().Get("alt") == "sse"
	var e *events
	if sse {
		e = h.start(w, r, out)
	} else {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		f, _ := w.(http.Flusher)
		e = &events{h: h, w: w, f: f, r: r, out: out}
	}
	for i := range h.s.Events {
		switch {
		case sse:
			out.WriteString("data: ")
		case i == 0:
			out.WriteByte('[')
		default:
			out.WriteString(",\r\n")
		}
		last := i == h.s.Events-1
		h.geminiChunk(out, model, 1, i+1, last)
		switch {
		case sse:
			out.WriteString("\n\n")
		case last:
			out.WriteString("\n]")
		default:
			out.WriteByte('\n')
		}
		if !e.send() {
			return
		}
	}
}

// quote writes s as a JSON string; model names need no escaping beyond
// quotes and backslashes.
func quote(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			out.WriteByte('\\')
		}
		out.WriteByte(s[i])
	}
	out.WriteByte('"')
}
