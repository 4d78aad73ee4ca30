// Package mockupstream is an AI provider for tests and benchmarks: an HTTP
// server that answers the Anthropic Messages, OpenAI Chat Completions,
// OpenAI Responses and Google Gemini endpoints, streaming or not, and can be
// told to fail in the ways real providers do (error statuses, rate limits,
// hangs, resets, cut streams).
//
// A path ".../models/{model}:generateContent", ":streamGenerateContent" or
// ":countTokens", under any API version, is Gemini's: the model is the
// path's, a stream comes as data-only events with alt=sse in the query and
// as one JSON array otherwise. Function calls carry no id (ToolCall.ID is
// not sent) and the first carries a thoughtSignature, the base64 of
// "sig-<name>"; every chunk repeats the usage so far and the last alone
// has finishReason STOP, tool turns included. Errors are Google's
// {"error":{"code","message","status"}}. countTokens answers
// {"totalTokens": TokenCount}, or 404 where that is zero.
//
// Beside POST /responses it answers the Responses API's
// /responses/input_tokens (with TokenCount, or 404 where that is zero) and
// /responses/compact; it stores no response, so any other path under
// /responses/ is 404, as OpenAI answers for an id it does not hold.
package mockupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
)

// Usage is what the mock reports, in Anthropic's terms (input excludes
// cache reads and writes). Reasoning, of Output, is reported only by the
// Responses and Gemini endpoints and only when the mock has Thinking to
// reply with; Gemini counts it in thoughtsTokenCount, beside
// candidatesTokenCount (Output less Reasoning). Gemini and OpenAI report
// no cache writes.
type Usage struct {
	Input, Output, CacheRead, CacheWrite int
	Reasoning                            int
}

// Behavior says how the mock answers one request. The zero value answers
// successfully with Text and Usage.
type Behavior struct {
	Status     int               // non-zero: answer this status with an error body in the endpoint's format
	Header     map[string]string // extra response headers (e.g. retry-after)
	Hang       bool              // never answer; wait for the client to go away
	Reset      bool              // close the connection without answering
	CutAfter   int               // streams: stop after this many events without the final ones (0 = complete, -1 = before the first)
	ErrorEvent bool              // streams: send an error event after the first content event
	Garbage    bool              // answer 200 with a body that is not JSON / not SSE
	Delay      time.Duration     // wait before answering
	EventGap   time.Duration     // streams: wait between events
}

// Request is what the mock received.
type Request struct {
	Path   string
	Query  string // the raw query, e.g. alt=sse
	Header http.Header
	Body   []byte
}

// ToolCall is a tool call the mock makes in its reply.
type ToolCall struct {
	ID, Name string
	Args     string // JSON object
}

// Server is a running mock provider. Set its reply fields before sending
// requests; it is safe for concurrent requests.
type Server struct {
	*httptest.Server
	Name     string
	Text     string // reply text; "hello from <Name>" by default
	Thinking string // reasoning to reply with first, if any
	Tools    []ToolCall
	Usage    Usage
	// TokenCount is what /responses/input_tokens and Gemini's countTokens
	// answer; zero makes those endpoints 404, as on providers that have none.
	TokenCount int

	mu       sync.Mutex
	behave   func(n int, r *Request) Behavior
	requests []Request
	calls    atomic.Int64
}

// New starts a mock provider named name. Close it when done.
func New(name string) *Server {
	s := &Server{Name: name, Text: "hello from " + name, Usage: Usage{Input: 12, Output: 7, CacheRead: 30, CacheWrite: 50, Reasoning: 3}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Behave sets how the mock answers: f gets the 1-based call number and the
// request. nil restores plain success.
func (s *Server) Behave(f func(n int, r *Request) Behavior) {
	s.mu.Lock()
	s.behave = f
	s.mu.Unlock()
}

// Always makes every answer follow b.
func (s *Server) Always(b Behavior) { s.Behave(func(int, *Request) Behavior { return b }) }

// Calls returns how many requests reached the mock.
func (s *Server) Calls() int { return int(s.calls.Load()) }

// Requests returns copies of the requests received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Last returns the last request received.
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}
	}
	return s.requests[len(s.requests)-1]
}

func (s *Server) serve(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	req := Request{Path: hr.URL.Path, Query: hr.URL.RawQuery, Header: hr.Header.Clone(), Body: body}
	n := int(s.calls.Add(1))
	s.mu.Lock()
	s.requests = append(s.requests, req)
	f := s.behave
	s.mu.Unlock()
	var b Behavior
	if f != nil {
		b = f(n, &req)
	}
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-hr.Context().Done():
			return
		}
	}
	if b.Hang {
		<-hr.Context().Done()
		return
	}
	if b.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	for k, v := range b.Header {
		w.Header().Set(k, v)
	}
	anthropic := strings.HasSuffix(hr.URL.Path, "/messages")
	responses := strings.HasSuffix(hr.URL.Path, "/responses")
	gmodel, gmethod, gemini := geminiMethod(hr.URL.Path)
	if b.Status != 0 && gemini {
		geminiError(w, b.Status, fmt.Sprintf("mock %s status %d", s.Name, b.Status))
		return
	}
	if b.Status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(b.Status)
		if anthropic {
			fmt.Fprintf(w, `{"type":"error","error":{"type":"api_error","message":"mock %s status %d"}}`, s.Name, b.Status)
		} else {
			fmt.Fprintf(w, `{"error":{"message":"mock %s status %d","type":"api_error","param":null,"code":null}}`, s.Name, b.Status)
		}
		return
	}
	if b.Garbage {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "<html>502 bad gateway</html>")
		return
	}
	if gemini {
		s.gemini(w, hr, gmodel, gmethod, b)
		return
	}
	model := gjson.GetBytes(body, "model").String()
	stream := gjson.GetBytes(body, "stream").Bool()
	if _, sub, ok := strings.Cut(hr.URL.Path, "/responses/"); ok {
		s.responsesEndpoint(w, sub, body)
		return
	}
	switch {
	case responses && stream:
		s.responsesStream(w, hr, model, b)
	case responses:
		s.responsesAnswer(w, model)
	case anthropic && stream:
		s.anthropicStream(w, hr, model, b)
	case anthropic:
		s.anthropicMessage(w, model)
	case stream:
		s.openaiStream(w, hr, model, b, gjson.GetBytes(body, "stream_options.include_usage").Bool())
	default:
		s.openaiCompletion(w, model)
	}
}

func (s *Server) anthropicMessage(w http.ResponseWriter, model string) {
	w.Header().Set("Content-Type", "application/json")
	u := s.Usage
	var content []string
	if s.Thinking != "" {
		content = append(content, `{"type":"thinking","thinking":`+jsonString(s.Thinking)+`,"signature":"sig-mock"}`)
	}
	if s.Text != "" {
		content = append(content, `{"type":"text","text":`+jsonString(s.Text)+`}`)
	}
	for _, tc := range s.Tools {
		content = append(content, fmt.Sprintf(`{"type":"tool_use","id":%q,"name":%q,"input":%s}`, tc.ID, tc.Name, tc.Args))
	}
	stop := "end_turn"
	if len(s.Tools) > 0 {
		stop = "tool_use"
	}
	fmt.Fprintf(w, `{"id":"msg_mock","type":"message","role":"assistant","model":%q,"content":[%s],"stop_reason":%q,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d}}`,
		model, strings.Join(content, ","), stop, u.Input, u.Output, u.CacheRead, u.CacheWrite)
}

func (s *Server) openaiCompletion(w http.ResponseWriter, model string) {
	w.Header().Set("Content-Type", "application/json")
	u := s.Usage
	prompt := u.Input + u.CacheRead // OpenAI reports no cache writes
	msg := `"role":"assistant","content":` + jsonString(s.Text)
	if s.Text == "" {
		msg = `"role":"assistant","content":null`
	}
	if s.Thinking != "" {
		msg += `,"reasoning_content":` + jsonString(s.Thinking)
	}
	finish := "stop"
	if len(s.Tools) > 0 {
		var calls []string
		for _, tc := range s.Tools {
			calls = append(calls, fmt.Sprintf(`{"id":%q,"type":"function","function":{"name":%q,"arguments":%s}}`, tc.ID, tc.Name, jsonString(tc.Args)))
		}
		msg += `,"tool_calls":[` + strings.Join(calls, ",") + `]`
		finish = "tool_calls"
	}
	fmt.Fprintf(w, `{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":%q,"choices":[{"index":0,"message":{%s,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":%q}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}}`,
		model, msg, finish, prompt, u.Output, prompt+u.Output, u.CacheRead)
}

// words splits the reply into stream deltas.
func (s *Server) words() []string {
	parts := strings.SplitAfter(s.Text, " ")
	if len(parts) == 0 {
		return []string{""}
	}
	return parts
}

type eventWriter struct {
	w      http.ResponseWriter
	f      http.Flusher
	gap    time.Duration
	n      int
	cut    int
	hr     *http.Request
	halted bool
	array  bool // Gemini without alt=sse: the events are elements of one JSON array
}

// event writes one event; it reports false once the stream is to stop.
func (e *eventWriter) event(typ, data string) bool {
	if e.halted {
		return false
	}
	if e.cut != 0 && e.n >= max(e.cut, 0) {
		e.halted = true
		return false
	}
	if e.n > 0 && e.gap > 0 {
		select {
		case <-time.After(e.gap):
		case <-e.hr.Context().Done():
			e.halted = true
			return false
		}
	}
	var buf bytes.Buffer
	switch {
	case e.array && e.n == 0:
		buf.WriteString("[" + data + "\n")
	case e.array:
		buf.WriteString(",\r\n" + data + "\n")
	default:
		if typ != "" {
			buf.WriteString("event: " + typ + "\n")
		}
		buf.WriteString("data: " + data + "\n\n")
	}
	if _, err := e.w.Write(buf.Bytes()); err != nil {
		e.halted = true
		return false
	}
	e.f.Flush()
	e.n++
	return true
}

// end closes a JSON array stream that was not cut short.
func (e *eventWriter) end() {
	if !e.array || e.halted {
		return
	}
	if e.n == 0 {
		e.w.Write([]byte("["))
	}
	e.w.Write([]byte("]"))
	e.f.Flush()
}

func startStream(w http.ResponseWriter, hr *http.Request, b Behavior) *eventWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &eventWriter{w: w, f: f, gap: b.EventGap, cut: b.CutAfter, hr: hr}
}

func (s *Server) anthropicStream(w http.ResponseWriter, hr *http.Request, model string, b Behavior) {
	e := startStream(w, hr, b)
	u := s.Usage
	e.event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d}}}`, model, u.Input, u.CacheRead, u.CacheWrite))
	e.event("ping", `{"type":"ping"}`)
	idx := 0
	if s.Thinking != "" {
		e.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"thinking","thinking":"","signature":""}}`, idx))
		e.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"thinking_delta","thinking":%s}}`, idx, jsonString(s.Thinking)))
		e.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"signature_delta","signature":"sig-mock"}}`, idx))
		e.event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
		idx++
	}
	if s.Text != "" {
		e.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, idx))
		for i, wd := range s.words() {
			e.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, idx, jsonString(wd)))
			if i == 0 && b.ErrorEvent {
				e.event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
				return
			}
		}
		e.event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
		idx++
	}
	for _, tc := range s.Tools {
		e.event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":%q,"name":%q,"input":{}}}`, idx, tc.ID, tc.Name))
		half := len(tc.Args) / 2
		for _, part := range []string{tc.Args[:half], tc.Args[half:]} {
			e.event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%s}}`, idx, jsonString(part)))
		}
		e.event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
		idx++
	}
	stop := "end_turn"
	if len(s.Tools) > 0 {
		stop = "tool_use"
	}
	e.event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, u.Output))
	e.event("message_stop", `{"type":"message_stop"}`)
}

func (s *Server) openaiStream(w http.ResponseWriter, hr *http.Request, model string, b Behavior, usage bool) {
	e := startStream(w, hr, b)
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = strconv.Quote(finish)
		}
		return fmt.Sprintf(`{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":%q,"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`, model, delta, f)
	}
	e.event("", chunk(`{"role":"assistant","content":""}`, ""))
	if s.Thinking != "" {
		for _, wd := range strings.SplitAfter(s.Thinking, " ") {
			e.event("", chunk(`{"reasoning_content":`+jsonString(wd)+`}`, ""))
		}
	}
	if s.Text != "" {
		for i, wd := range s.words() {
			e.event("", chunk(`{"content":`+jsonString(wd)+`}`, ""))
			if i == 0 && b.ErrorEvent {
				e.event("", `{"error":{"message":"mock overloaded","type":"server_error","param":null,"code":null}}`)
				return
			}
		}
	}
	// Tool calls start together and their arguments interleave, as
	// parallel calls do on real upstreams.
	for i, tc := range s.Tools {
		half := len(tc.Args) / 2
		e.event("", chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"id":%q,"type":"function","function":{"name":%q,"arguments":%s}}]}`, i, tc.ID, tc.Name, jsonString(tc.Args[:half])), ""))
	}
	for i, tc := range s.Tools {
		half := len(tc.Args) / 2
		e.event("", chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"function":{"arguments":%s}}]}`, i, jsonString(tc.Args[half:])), ""))
	}
	finish := "stop"
	if len(s.Tools) > 0 {
		finish = "tool_calls"
	}
	e.event("", chunk(`{}`, finish))
	if usage {
		u := s.Usage
		prompt := u.Input + u.CacheRead
		e.event("", fmt.Sprintf(`{"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1700000000,"model":%q,"choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}}`, model, prompt, u.Output, prompt+u.Output, u.CacheRead))
	}
	e.event("", "[DONE]")
}

// responsesItems returns the output items of a Responses answer: the
// reasoning (its summary and an encrypted_content the mock made up), the
// message, then one function_call per tool call.
func (s *Server) responsesItems() []string {
	var items []string
	if s.Thinking != "" {
		items = append(items, `{"type":"reasoning","id":"rs_mock","summary":[{"type":"summary_text","text":`+jsonString(s.Thinking)+`}],"encrypted_content":"enc-mock"}`)
	}
	if s.Text != "" {
		items = append(items, `{"type":"message","id":"msg_mock","status":"completed","role":"assistant","content":[{"type":"output_text","text":`+jsonString(s.Text)+`,"annotations":[]}]}`)
	}
	for i, tc := range s.Tools {
		items = append(items, fmt.Sprintf(`{"type":"function_call","id":"fc_mock_%d","call_id":%q,"name":%q,"arguments":%s,"status":"completed"}`, i, tc.ID, tc.Name, jsonString(tc.Args)))
	}
	return items
}

// responsesUsage is the mock's usage as the Responses API reports it:
// input_tokens include cached ones.
func (s *Server) responsesUsage() string {
	u := s.Usage
	in := u.Input + u.CacheRead
	reasoning := 0
	if s.Thinking != "" {
		reasoning = u.Reasoning
	}
	return fmt.Sprintf(`{"input_tokens":%d,"input_tokens_details":{"cached_tokens":%d},"output_tokens":%d,"output_tokens_details":{"reasoning_tokens":%d},"total_tokens":%d}`,
		in, u.CacheRead, u.Output, reasoning, in+u.Output)
}

func (s *Server) responsesAnswer(w http.ResponseWriter, model string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"resp_mock","object":"response","created_at":1700000000,"status":"completed","error":null,"incomplete_details":null,"model":%q,"output":[%s],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":%s}`,
		model, strings.Join(s.responsesItems(), ","), s.responsesUsage())
}

// responsesStream streams as the Responses API does: every event named and
// numbered, each item added, filled and done in turn, then the whole
// response again in response.completed.
func (s *Server) responsesStream(w http.ResponseWriter, hr *http.Request, model string, b Behavior) {
	e := startStream(w, hr, b)
	seq := 0
	ev := func(typ, rest string) bool {
		ok := e.event(typ, fmt.Sprintf(`{"type":%q,"sequence_number":%d%s}`, typ, seq, rest))
		seq++
		return ok
	}
	head := fmt.Sprintf(`"id":"resp_mock","object":"response","created_at":1700000000,"model":%q`, model)
	ev("response.created", `,"response":{`+head+`,"status":"in_progress","output":[]}`)
	ev("response.in_progress", `,"response":{`+head+`,"status":"in_progress","output":[]}`)
	items := s.responsesItems()
	out := 0
	if s.Thinking != "" {
		ev("response.output_item.added", fmt.Sprintf(`,"output_index":%d,"item":{"type":"reasoning","id":"rs_mock","summary":[]}`, out))
		ev("response.reasoning_summary_part.added", fmt.Sprintf(`,"item_id":"rs_mock","output_index":%d,"summary_index":0,"part":{"type":"summary_text","text":""}`, out))
		for _, wd := range strings.SplitAfter(s.Thinking, " ") {
			ev("response.reasoning_summary_text.delta", fmt.Sprintf(`,"item_id":"rs_mock","output_index":%d,"summary_index":0,"delta":%s`, out, jsonString(wd)))
		}
		ev("response.reasoning_summary_text.done", fmt.Sprintf(`,"item_id":"rs_mock","output_index":%d,"summary_index":0,"text":%s`, out, jsonString(s.Thinking)))
		ev("response.reasoning_summary_part.done", fmt.Sprintf(`,"item_id":"rs_mock","output_index":%d,"summary_index":0,"part":{"type":"summary_text","text":%s}`, out, jsonString(s.Thinking)))
		ev("response.output_item.done", fmt.Sprintf(`,"output_index":%d,"item":%s`, out, items[out]))
		out++
	}
	if s.Text != "" {
		ev("response.output_item.added", fmt.Sprintf(`,"output_index":%d,"item":{"type":"message","id":"msg_mock","status":"in_progress","role":"assistant","content":[]}`, out))
		ev("response.content_part.added", fmt.Sprintf(`,"item_id":"msg_mock","output_index":%d,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}`, out))
		for i, wd := range s.words() {
			ev("response.output_text.delta", fmt.Sprintf(`,"item_id":"msg_mock","output_index":%d,"content_index":0,"delta":%s`, out, jsonString(wd)))
			if i == 0 && b.ErrorEvent {
				ev("response.failed", `,"response":{`+head+`,"status":"failed","error":{"code":"server_error","message":"mock overloaded"},"output":[]}`)
				return
			}
		}
		ev("response.output_text.done", fmt.Sprintf(`,"item_id":"msg_mock","output_index":%d,"content_index":0,"text":%s`, out, jsonString(s.Text)))
		ev("response.content_part.done", fmt.Sprintf(`,"item_id":"msg_mock","output_index":%d,"content_index":0,"part":{"type":"output_text","text":%s,"annotations":[]}`, out, jsonString(s.Text)))
		ev("response.output_item.done", fmt.Sprintf(`,"output_index":%d,"item":%s`, out, items[out]))
		out++
	}
	for i, tc := range s.Tools {
		ev("response.output_item.added", fmt.Sprintf(`,"output_index":%d,"item":{"type":"function_call","id":"fc_mock_%d","call_id":%q,"name":%q,"arguments":"","status":"in_progress"}`, out, i, tc.ID, tc.Name))
		half := len(tc.Args) / 2
		for _, part := range []string{tc.Args[:half], tc.Args[half:]} {
			ev("response.function_call_arguments.delta", fmt.Sprintf(`,"item_id":"fc_mock_%d","output_index":%d,"delta":%s`, i, out, jsonString(part)))
		}
		ev("response.function_call_arguments.done", fmt.Sprintf(`,"item_id":"fc_mock_%d","output_index":%d,"arguments":%s`, i, out, jsonString(tc.Args)))
		ev("response.output_item.done", fmt.Sprintf(`,"output_index":%d,"item":%s`, out, items[out]))
		out++
	}
	ev("response.completed", `,"response":{`+head+`,"status":"completed","error":null,"output":[`+strings.Join(items, ",")+`],"usage":`+s.responsesUsage()+`}`)
}

// responsesEndpoint answers the Responses API's paths under /responses/.
// Compaction keeps the input's user messages and adds one compaction item,
// whose encrypted_content the mock made up.
func (s *Server) responsesEndpoint(w http.ResponseWriter, sub string, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case sub == "input_tokens" && s.TokenCount != 0:
		fmt.Fprintf(w, `{"object":"response.input_tokens","input_tokens":%d}`, s.TokenCount)
	case sub == "compact":
		var items []string
		gjson.GetBytes(body, "input").ForEach(func(_, item gjson.Result) bool {
			if item.Get("role").Str == "user" {
				items = append(items, item.Raw)
			}
			return true
		})
		items = append(items, `{"type":"compaction","id":"cmp_mock","encrypted_content":"enc-compaction-mock"}`)
		fmt.Fprintf(w, `{"id":"resp_mock_compact","object":"response.compaction","created_at":1700000000,"output":[%s],"usage":%s}`,
			strings.Join(items, ","), s.responsesUsage())
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":%s,"type":"invalid_request_error","param":null,"code":null}}`, jsonString("mock "+s.Name+" has no /responses/"+sub))
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
