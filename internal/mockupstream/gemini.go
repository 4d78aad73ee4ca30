package mockupstream

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// geminiMethod splits a path ".../models/{model}:{method}" into its model
// and method, whatever API version comes before.
func geminiMethod(path string) (model, method string, ok bool) {
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return "", "", false
	}
	model, method, ok = strings.Cut(path[i+len("/models/"):], ":")
	if !ok || model == "" || strings.Contains(model, "/") {
		return "", "", false
	}
	switch method {
	case "generateContent", "streamGenerateContent", "countTokens":
		return model, method, true
	}
	return "", "", false
}

// googleStatus names an HTTP status as google.rpc.Code does in Google's
// error bodies.
func googleStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusInternalServerError:
		return "INTERNAL"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}

// geminiError writes Google's error body; code is the HTTP status too.
func geminiError(w http.ResponseWriter, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":{"code":%d,"message":%s,"status":%q}}`, code, jsonString(message), googleStatus(code))
}

// gemini answers a Gemini method call on model.
func (s *Server) gemini(w http.ResponseWriter, hr *http.Request, model, method string, b Behavior) {
	switch method {
	case "countTokens":
		if s.TokenCount == 0 {
			geminiError(w, http.StatusNotFound, "mock "+s.Name+" has no countTokens")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"totalTokens":%d}`, s.TokenCount)
	case "streamGenerateContent":
		s.geminiStream(w, hr, model, b, hr.URL.Query().Get("alt") == "sse")
	default:
		w.Header().Set("Content-Type", "application/json")
		parts := s.geminiThought([]string{s.Thinking})
		if s.Text != "" {
			parts = append(parts, `{"text":`+jsonString(s.Text)+`}`)
		}
		parts = append(parts, s.geminiCalls()...)
		if len(parts) == 0 {
			parts = []string{`{"text":""}`}
		}
		w.Write(s.geminiChunk(model, parts, true, s.geminiVisible()))
	}
}

// geminiThought returns the thought parts of the pieces of s.Thinking, or
// none when the mock has no thinking.
func (s *Server) geminiThought(pieces []string) []string {
	if s.Thinking == "" {
		return nil
	}
	parts := make([]string, len(pieces))
	for i, p := range pieces {
		parts[i] = `{"text":` + jsonString(p) + `,"thought":true}`
	}
	return parts
}

// geminiCalls returns one functionCall part per tool call. Gemini's calls
// carry no id; the first carries a thoughtSignature (base64, as Google
// sends bytes) that a caller must send back with it.
func (s *Server) geminiCalls() []string {
	var parts []string
	for i, tc := range s.Tools {
		args := tc.Args
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		p := fmt.Sprintf(`{"functionCall":{"name":%q,"args":%s}`, tc.Name, args)
		if i == 0 {
			p += `,"thoughtSignature":"` + base64.StdEncoding.EncodeToString([]byte("sig-"+tc.Name)) + `"`
		}
		parts = append(parts, p+"}")
	}
	return parts
}

// geminiVisible is the output Gemini counts in candidatesTokenCount: the
// thinking is beside it, in thoughtsTokenCount.
func (s *Server) geminiVisible() int {
	if s.Thinking != "" {
		return s.Usage.Output - s.Usage.Reasoning
	}
	return s.Usage.Output
}

// geminiChunk returns one GenerateContentResponse: a whole answer or a
// stream chunk, with usage as counted so far (candidates tokens).
func (s *Server) geminiChunk(model string, parts []string, last bool, candidates int) []byte {
	u := s.Usage
	prompt := u.Input + u.CacheRead // Gemini's prompt count includes the cached tokens
	var b strings.Builder
	b.WriteString(`{"candidates":[{"content":{"parts":[`)
	b.WriteString(strings.Join(parts, ","))
	b.WriteString(`],"role":"model"}`)
	if last {
		b.WriteString(`,"finishReason":"STOP"`)
	}
	b.WriteString(`,"index":0}],"usageMetadata":{"promptTokenCount":`)
	b.WriteString(strconv.Itoa(prompt))
	b.WriteString(`,"candidatesTokenCount":`)
	b.WriteString(strconv.Itoa(candidates))
	total := prompt + candidates
	if u.CacheRead > 0 {
		b.WriteString(`,"cachedContentTokenCount":`)
		b.WriteString(strconv.Itoa(u.CacheRead))
	}
	if s.Thinking != "" {
		b.WriteString(`,"thoughtsTokenCount":`)
		b.WriteString(strconv.Itoa(u.Reasoning))
		total += u.Reasoning
	}
	b.WriteString(`,"totalTokenCount":`)
	b.WriteString(strconv.Itoa(total))
	fmt.Fprintf(&b, `},"modelVersion":%s,"responseId":"mock-%s"}`, jsonString(model), s.Name)
	return []byte(b.String())
}

// geminiStream streams as Gemini does: each chunk a whole
// GenerateContentResponse with usage so far, the thinking first, then the
// text word by word, then the function calls together in the last chunk,
// which alone carries finishReason. With sse the chunks are data-only
// events; without, the elements of one JSON array, sent as they come. A
// cut array is left open, as a dropped connection leaves it.
func (s *Server) geminiStream(w http.ResponseWriter, hr *http.Request, model string, b Behavior, sse bool) {
	var chunks [][]string
	for _, p := range s.geminiThought(strings.SplitAfter(s.Thinking, " ")) {
		chunks = append(chunks, []string{p})
	}
	thoughts := len(chunks)
	if s.Text != "" {
		for _, wd := range s.words() {
			chunks = append(chunks, []string{`{"text":` + jsonString(wd) + `}`})
		}
	}
	if calls := s.geminiCalls(); len(calls) > 0 {
		chunks = append(chunks, calls)
	}
	if len(chunks) == thoughts {
		chunks = append(chunks, []string{`{"text":""}`})
	}
	var e *eventWriter
	if sse {
		e = startStream(w, hr, b)
	} else {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		f, _ := w.(http.Flusher)
		e = &eventWriter{w: w, f: f, gap: b.EventGap, cut: b.CutAfter, hr: hr, array: true}
	}
	visible, answer := s.geminiVisible(), len(chunks)-thoughts
	for i, parts := range chunks {
		candidates := 0
		if i >= thoughts {
			candidates = visible * (i - thoughts + 1) / answer
		}
		if !e.event("", string(s.geminiChunk(model, parts, i == len(chunks)-1, candidates))) {
			return
		}
		if i == 0 && b.ErrorEvent {
			e.event("", `{"error":{"code":503,"message":"mock overloaded","status":"UNAVAILABLE"}}`)
			break
		}
	}
	e.end()
}
