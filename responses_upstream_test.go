package routex_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// What the scripted Responses provider answers: its usage, and the count
// its token endpoint gives, which no local estimate of the tests' small
// requests comes near.
const (
	respInputTokens    = 12
	respCachedTokens   = 4
	respOutputTokens   = 7
	respReasoning      = 2
	upstreamTokenCount = 4321
	respText           = "Hello from the Responses API"
	respToolArgs       = `{"city":"Paris"}`
)

// sent is one request a scripted provider received.
type sent struct {
	method, path string
	header       http.Header
	body         []byte
}

// responsesUpstream is a provider of the Responses API: POST /v1/responses
// answers a text, or a call of the request's first function tool, whole
// or streamed as OpenAI streams it; /v1/responses/input_tokens and
// /v1/responses/compact answer as OpenAI's do. Every request lands in got.
type responsesUpstream struct {
	*httptest.Server
	got chan sent
}

func newResponsesUpstream(t *testing.T) *responsesUpstream {
	t.Helper()
	u := &responsesUpstream{got: make(chan sent, 64)}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

// next returns the next request the provider received.
func (u *responsesUpstream) next(t *testing.T) sent {
	t.Helper()
	select {
	case s := <-u.got:
		return s
	default:
		t.Fatal("the Responses provider received no request")
		return sent{}
	}
}

func (u *responsesUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.got <- sent{r.Method, r.URL.Path, r.Header.Clone(), body}
	w.Header().Set("Content-Type", "application/json")
	model := gjson.GetBytes(body, "model").Str
	switch {
	case strings.HasSuffix(r.URL.Path, "/v1/responses/input_tokens"):
		fmt.Fprintf(w, `{"object":"response.input_tokens","input_tokens":%d}`, upstreamTokenCount)
	case strings.HasSuffix(r.URL.Path, "/v1/responses/compact"):
		out := `[]`
		gjson.GetBytes(body, "input").ForEach(func(_, item gjson.Result) bool {
			if item.Get("role").Str == "user" {
				out, _ = sjson.SetRaw(out, "-1", item.Raw)
			}
			return true
		})
		out, _ = sjson.SetRaw(out, "-1", `{"type":"compaction","id":"cmp_1","encrypted_content":"opaque-summary"}`)
		fmt.Fprintf(w, `{"id":"resp_cmp","object":"response.compaction","created_at":1700000000,"output":%s,"usage":%s}`, out, respUsage)
	case strings.HasSuffix(r.URL.Path, "/v1/responses") && r.Method == http.MethodPost:
		item := respMessageItem
		if tool := gjson.GetBytes(body, `tools.#(type=="function").name`); tool.Exists() {
			item = fmt.Sprintf(`{"type":"function_call","id":"fc_1","call_id":"call_1","name":%q,"arguments":%q,"status":"completed"}`, tool.Str, respToolArgs)
		}
		if !gjson.GetBytes(body, "stream").Bool() {
			io.WriteString(w, respResponse(model, "completed", "["+item+"]"))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range respStream(model, item) {
			io.WriteString(w, ev)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"message":"no such endpoint","type":"invalid_request_error","param":null,"code":null}}`)
	}
}

var respUsage = fmt.Sprintf(`{"input_tokens":%d,"input_tokens_details":{"cached_tokens":%d},"output_tokens":%d,"output_tokens_details":{"reasoning_tokens":%d},"total_tokens":%d}`,
	respInputTokens, respCachedTokens, respOutputTokens, respReasoning, respInputTokens+respOutputTokens)

var respMessageItem = fmt.Sprintf(`{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":%q,"annotations":[]}]}`, respText)

func respResponse(model, status, output string) string {
	usage := respUsage
	if status == "in_progress" {
		usage = "null"
	}
	return fmt.Sprintf(`{"id":"resp_1","object":"response","created_at":1700000000,"status":%q,"model":%q,"output":%s,"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":%s}`,
		status, model, output, usage)
}

// respStream is the event stream of a response whose one output item is
// item, each event framed and numbered as OpenAI sends them.
func respStream(model, item string) []string {
	var evs []string
	add := func(typ, data string) {
		data, _ = sjson.SetRaw(data, "type", `"`+typ+`"`)
		data, _ = sjson.Set(data, "sequence_number", len(evs))
		evs = append(evs, "event: "+typ+"\ndata: "+data+"\n\n")
	}
	add("response.created", `{"response":`+respResponse(model, "in_progress", "[]")+`}`)
	add("response.in_progress", `{"response":`+respResponse(model, "in_progress", "[]")+`}`)
	it := gjson.Parse(item)
	opened, _ := sjson.Set(item, "status", "in_progress")
	if it.Get("type").Str == "function_call" {
		opened, _ = sjson.Set(opened, "arguments", "")
		add("response.output_item.added", `{"output_index":0,"item":`+opened+`}`)
		args := it.Get("arguments").Str
		for _, part := range []string{args[:len(args)/2], args[len(args)/2:]} {
			add("response.function_call_arguments.delta", fmt.Sprintf(`{"item_id":"fc_1","output_index":0,"delta":%q}`, part))
		}
		add("response.function_call_arguments.done", fmt.Sprintf(`{"item_id":"fc_1","output_index":0,"arguments":%q}`, args))
	} else {
		opened, _ = sjson.SetRaw(opened, "content", "[]")
		add("response.output_item.added", `{"output_index":0,"item":`+opened+`}`)
		add("response.content_part.added", `{"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}`)
		text := it.Get("content.0.text").Str
		for _, part := range strings.SplitAfter(text, " ") {
			add("response.output_text.delta", fmt.Sprintf(`{"item_id":"msg_1","output_index":0,"content_index":0,"delta":%q,"logprobs":[]}`, part))
		}
		add("response.output_text.done", fmt.Sprintf(`{"item_id":"msg_1","output_index":0,"content_index":0,"text":%q,"logprobs":[]}`, text))
		add("response.content_part.done", `{"item_id":"msg_1","output_index":0,"content_index":0,"part":`+it.Get("content.0").Raw+`}`)
	}
	add("response.output_item.done", `{"output_index":0,"item":`+item+`}`)
	add("response.completed", `{"response":`+respResponse(model, "completed", "["+item+"]")+`}`)
	return evs
}
