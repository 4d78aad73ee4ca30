package routex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/internal/fakeclock"
	"github.com/routex/routex/internal/jsonx"
)

var updateChainGolden = flag.Bool("update-chain", false, "rewrite the output sections of testdata/chain")

// readSections reads a golden file: free text, then sections that each
// start with a line "-- name --".
func readSections(t testing.TB, path string) (preamble string, sections map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sections = map[string]string{}
	name := ""
	var buf strings.Builder
	flush := func() {
		if name == "" {
			preamble = buf.String()
		} else {
			sections[name] = buf.String()
		}
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") {
			flush()
			name = strings.TrimSuffix(strings.TrimPrefix(l, "-- "), " --")
			continue
		}
		buf.WriteString(line)
	}
	flush()
	return preamble, sections
}

func compact(t *testing.T, what string, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", what, err, b)
	}
	return out.String()
}

// TestExpandChainGolden rebuilds conversations from testdata/chain: each
// file holds the request body, the stored chain, the channel it goes to and
// the body that channel must get (compared without whitespace).
func TestExpandChainGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/chain/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			preamble, sec := readSections(t, path)
			var chain []StoredResponse
			if err := json.Unmarshal([]byte(sec["chain"]), &chain); err != nil {
				t.Fatalf("chain section: %v", err)
			}
			body := []byte(strings.TrimSpace(sec["body"]))
			before := string(body)
			got, err := expandChain(body, chain, strings.TrimSpace(sec["channel"]))
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != before {
				t.Error("expandChain wrote to the caller's body")
			}
			if !jsonx.ValidBytes(got) {
				t.Fatalf("output is not valid JSON:\n%s", got)
			}
			if *updateChainGolden {
				var pretty bytes.Buffer
				must(t, json.Indent(&pretty, got, "", "  "))
				out := preamble
				for _, name := range []string{"body", "channel", "chain"} {
					out += "-- " + name + " --\n" + sec[name]
				}
				out += "-- output --\n" + pretty.String() + "\n"
				must(t, os.WriteFile(path, []byte(out), 0o644))
				return
			}
			if g, w := compact(t, "output", got), compact(t, "want", []byte(sec["output"])); g != w {
				t.Errorf("rebuilt body:\n got %s\nwant %s", g, w)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The members a response chain needs come from parseRequest's one pass:
// chainOf reads them off the Request, never the body again.
func TestChainOf(t *testing.T) {
	hr := httptest.NewRequest(http.MethodPost, "/v1/responses", nil)
	for _, tt := range []struct {
		name, body          string
		prevID              string
		store               bool
		input, instructions string
	}{
		{"first turn", `{"model":"m","input":"hi"}`, "", true, `"hi"`, ""},
		{"continued", `{"model":"m","previous_response_id":"resp_1","input":[{"role":"user","content":"next"}]}`,
			"resp_1", true, `[{"role":"user","content":"next"}]`, ""},
		{"escaped id", `{"model":"m","previous_response_id":"resp\u005f2","input":"x"}`, "resp_2", true, `"x"`, ""},
		{"null id", `{"model":"m","previous_response_id":null,"input":"x"}`, "", true, `"x"`, ""},
		{"empty id", `{"model":"m","previous_response_id":"","input":"x"}`, "", true, `"x"`, ""},
		{"store false", `{"model":"m","store":false,"input":"x"}`, "", false, `"x"`, ""},
		{"store true", `{"model":"m","store":true,"input":"x"}`, "", true, `"x"`, ""},
		{"store null", `{"model":"m","store":null,"input":"x"}`, "", true, `"x"`, ""},
		// Only the exact name is read, as before; "Store" given with
		// "store" would be refused as a duplicate.
		{"another case", `{"model":"m","Store":false,"input":"x"}`, "", true, `"x"`, ""},
		{"instructions", `{"model":"m", "instructions" : "Be brief." ,"input" : [ ] }`, "", true, `[ ]`, `"Be brief."`},
		{"no input", `{"model":"m","previous_response_id":"resp_3"}`, "resp_3", true, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRequest(FormatResponses, []byte(tt.body), hr, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc := chainOf(r)
			if rc.prevID != tt.prevID || rc.store != tt.store || rc.input != tt.input || rc.instructions != tt.instructions {
				t.Errorf("chain %q store=%v input %q instructions %q, want %q %v %q %q",
					rc.prevID, rc.store, rc.input, rc.instructions, tt.prevID, tt.store, tt.input, tt.instructions)
			}
		})
	}
}

// previous_response_id and store are read in Responses requests only: Chat
// Completions has a "store" of its own, which routex leaves alone.
func TestChainMembersOtherFormats(t *testing.T) {
	hr := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r, err := parseRequest(FormatOpenAI, []byte(`{"model":"m","store":false,"store":true,"previous_response_id":7,"messages":[]}`), hr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.noStore || r.previousID != nil {
		t.Errorf("a Chat request read as a Responses one: noStore=%v previousID=%v", r.noStore, r.previousID)
	}
}

// A previous_response_id of the wrong type is refused after the body is
// known to be valid JSON: a malformed body's error comes first.
func TestChainPreviousIDType(t *testing.T) {
	hr := httptest.NewRequest(http.MethodPost, "/v1/responses", nil)
	for _, tt := range []struct{ name, body, want string }{
		{"number", `{"model":"m","previous_response_id":7,"input":"x"}`, `"previous_response_id" must be a string`},
		{"object", `{"model":"m","previous_response_id":{},"input":"x"}`, `"previous_response_id" must be a string`},
		{"then broken", `{"model":"m","previous_response_id":7,"input":"x"`, "not valid JSON"},
		{"then duplicate", `{"model":"m","previous_response_id":7,"input":"x","input":"y"}`, `"input" more than once`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRequest(FormatResponses, []byte(tt.body), hr, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// Request stays within its allocation size class: every request the
// Client serves allocates one.
func TestRequestSizeClass(t *testing.T) {
	if size := unsafe.Sizeof(Request{}); size > 512 {
		t.Errorf("Request is %d bytes, past the 512-byte size class", size)
	}
}

func TestExpandChainRefuses(t *testing.T) {
	chain := []StoredResponse{{ID: "resp_1", ChannelID: "a", Input: []byte(`[]`), Output: []byte(`[]`)}}
	for _, tt := range []struct{ name, body, want string }{
		{"number input", `{"model":"m","input":7}`, "must be a string or a list"},
		{"object input", `{"model":"m","input":{"role":"user"}}`, "must be a string or a list"},
		{"input twice", `{"model":"m","input":"a","inp\u0075t":"b"}`, "twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := expandChain([]byte(tt.body), chain, "a")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestStoredInput(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"hi \"you\""`, `[{"type":"message","role":"user","content":"hi \"you\""}]`},
		{`[{"role":"user","content":"x"}]`, `[{"role":"user","content":"x"}]`},
		{``, `[]`},
		{`null`, `[]`},
	} {
		if got := string(storedInput(tt.in)); got != tt.want {
			t.Errorf("storedInput(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestChainLinkSee feeds a link the caller's stream bytes as a converter
// writes them: only the final response event saves, whatever its framing.
func TestChainLinkSee(t *testing.T) {
	resp := `{"id":"resp_9","status":"%s","output":[{"type":"message","role":"assistant","content":[]}]}`
	for _, tt := range []struct {
		name   string
		events string
		saved  bool
	}{
		{"completed", "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"response.completed\"}\n\n" +
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":" + fmt.Sprintf(resp, "completed") + "}\n\n", true},
		{"incomplete", "event: response.incomplete\r\ndata: {\"type\":\"response.incomplete\",\"response\":" + fmt.Sprintf(resp, "incomplete") + "}\r\n\r\n", true},
		{"data over two lines", "event: response.completed\ndata: {\"type\":\"response.completed\",\ndata: \"response\":" + fmt.Sprintf(resp, "completed") + "}\n\n", true},
		{"no blank line at the end", "data: {\"type\":\"response.completed\",\"response\":" + fmt.Sprintf(resp, "completed") + "}", true},
		{"failed", "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":" + fmt.Sprintf(resp, "failed") + "}\n\n", false},
		{"marker in text only", "data: {\"type\":\"response.output_text.delta\",\"delta\":\"response.completed\"}\n\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cs := newChainStore(&settings{now: time.Now, logger: slog.New(slog.DiscardHandler)})
			l := &chainLink{cs: cs, rc: &responseChain{store: true, input: `"q"`}, channelID: "a", model: "m"}
			l.see([]byte(tt.events))
			r, err := cs.get(context.Background(), "resp_9", "")
			if tt.saved != (err == nil) {
				t.Fatalf("saved = %v (err %v), want %v", err == nil, err, tt.saved)
			}
			if tt.saved && (string(r.Input) != `[{"type":"message","role":"user","content":"q"}]` || !strings.HasPrefix(string(r.Output), `[{"type":"message"`)) {
				t.Errorf("stored %+v", r)
			}
		})
	}
}

// TestChainStoreMemoryBound keeps the LRU within its byte bound: the least
// recently used responses go first.
func TestChainStoreMemoryBound(t *testing.T) {
	cs := newChainStore(&settings{now: time.Now, logger: slog.New(slog.DiscardHandler), responseMemory: 3200}) // three of the responses below
	put := func(id string) {
		cs.put(&StoredResponse{ID: id, Input: bytes.Repeat([]byte("x"), 900), Output: []byte("[]"), Store: true,
			ExpiresAt: time.Now().Add(time.Hour)})
	}
	found := func(id string) bool { _, err := cs.get(context.Background(), id, ""); return err == nil }
	put("r1")
	put("r2")
	put("r3")
	if !found("r1") { // r1 is now the most recently used
		t.Fatal("r1 pushed out before the bound was reached")
	}
	put("r4")
	if found("r2") || !found("r1") || !found("r3") || !found("r4") {
		t.Errorf("after a fourth: r1 %v r2 %v r3 %v r4 %v, want r2 alone gone", found("r1"), found("r2"), found("r3"), found("r4"))
	}
	put("r4") // replacing is not counted twice
	if cs.bytes > cs.memory || cs.lru.Len() != 3 {
		t.Errorf("%d bytes in %d entries, bound %d", cs.bytes, cs.lru.Len(), cs.memory)
	}
}

// responsesUpstream is a scripted OpenAI Responses provider. Like OpenAI,
// it keeps the responses it was asked to store and refuses a
// previous_response_id it does not hold. Each answer carries encrypted
// reasoning and a text naming the upstream and the turn.
//
// The chain tests need that state, which internal/mockupstream does not
// keep on purpose: it answers every turn alike, with one response id, and
// its other users need no memory of earlier requests. This is the only
// Responses provider of the package's tests that is not mockupstream.
type responsesUpstream struct {
	name string
	srv  *httptest.Server

	mu     sync.Mutex
	bodies []string
	held   map[string]bool
}

func newResponsesUpstream(t *testing.T, name string) *responsesUpstream {
	u := &responsesUpstream{name: name, held: map[string]bool{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *responsesUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/responses" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.bodies = append(u.bodies, string(body))
	n := len(u.bodies)
	prev := gjson.GetBytes(body, "previous_response_id").Str
	if prev != "" && !u.held[prev] {
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(previousNotFoundBody(prev))
		return
	}
	id := fmt.Sprintf("resp_%s_%d", u.name, n)
	if gjson.GetBytes(body, "store").Type != gjson.False {
		u.held[id] = true
	}
	u.mu.Unlock()
	resp := fmt.Sprintf(`{"id":%q,"object":"response","created_at":1767000000,"status":"completed","model":"gpt-5",`+
		`"output":[{"type":"reasoning","id":"rs_%[2]s_%[3]d","summary":[],"encrypted_content":"enc-%[2]s-%[3]d"},`+
		`{"type":"message","id":"msg_%[2]s_%[3]d","role":"assistant","status":"completed","content":[{"type":"output_text","text":"answer %[3]d from %[2]s","annotations":[]}]}],`+
		`"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}}`,
		id, u.name, n)
	if !gjson.GetBytes(body, "stream").Bool() {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, resp)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	created := fmt.Sprintf(`{"id":%q,"object":"response","created_at":1767000000,"status":"in_progress","model":"gpt-5","output":[]}`, id)
	item := gjson.Get(resp, "output.1").Raw
	text := gjson.Get(item, "content.0.text").Str
	seq := 0
	event := func(typ, data string) {
		fmt.Fprintf(w, "event: %s\ndata: {\"type\":%q,\"sequence_number\":%d,%s}\n\n", typ, typ, seq, data)
		seq++
	}
	event("response.created", `"response":`+created)
	event("response.output_item.added", fmt.Sprintf(`"output_index":1,"item":{"type":"message","id":"msg_%s_%d","role":"assistant","status":"in_progress","content":[]}`, u.name, n))
	event("response.output_text.delta", fmt.Sprintf(`"output_index":1,"content_index":0,"item_id":"msg_%s_%d","delta":%q`, u.name, n, text))
	event("response.output_item.done", `"output_index":1,"item":`+item)
	event("response.completed", `"response":`+resp)
}

func (u *responsesUpstream) body(t *testing.T, i int) string {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if i >= len(u.bodies) {
		t.Fatalf("upstream %s got %d requests, want at least %d", u.name, len(u.bodies), i+1)
	}
	return u.bodies[i]
}

func (u *responsesUpstream) requests() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.bodies)
}

func responsesChannel(id string, u *responsesUpstream, priority int) Channel {
	return Channel{ID: id, Type: FormatResponses, BaseURL: u.srv.URL, Priority: priority}
}

func newChainClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func responsesSDK(c *Client) openai.Client {
	return openai.NewClient(ooption.WithBaseURL("http://routex.invalid/v1/"), ooption.WithAPIKey("caller-key"),
		ooption.WithHTTPClient(c.HTTPClient()), ooption.WithMaxRetries(0))
}

// post sends a raw Responses request and returns the status, the body and
// the channel that served it.
func post(t *testing.T, c *Client, ctx context.Context, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://routex.invalid/v1/responses", strings.NewReader(body))
	must(t, err)
	resp, err := c.RoundTrip(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(b), resp.Header.Get("X-Routex-Channel")
}

func texts(t *testing.T, input gjson.Result) []string {
	t.Helper()
	var out []string
	input.ForEach(func(_, item gjson.Result) bool {
		s := item.Get("type").Str
		if s == "" {
			s = "message"
		}
		if id := item.Get("id").Str; id != "" {
			s += "#" + id
		}
		switch c := item.Get("content"); {
		case c.Type == gjson.String:
			s += ":" + c.Str
		case c.IsArray():
			s += ":" + c.Get("0.text").Str
		}
		if e := item.Get("encrypted_content").Str; e != "" {
			s += ":" + e
		}
		out = append(out, s)
		return true
	})
	return out
}

// TestResponseChainSameChannel continues a conversation, through openai-go's
// Responses client, on the Responses channel that holds it: the request
// reaches it as the caller sent it, previous_response_id included.
func TestResponseChainSameChannel(t *testing.T) {
	a := newResponsesUpstream(t, "a")
	c := newChainClient(t, WithChannels(responsesChannel("a", a, 0)))
	sdk := responsesSDK(c)
	ctx := context.Background()

	first, err := sdk.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-5", Instructions: openai.String("Be brief."),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("What is 1+1?")},
	})
	must(t, err)
	if first.ID != "resp_a_1" || first.OutputText() != "answer 1 from a" {
		t.Fatalf("first answer %q %q", first.ID, first.OutputText())
	}
	second, err := sdk.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-5", PreviousResponseID: openai.String(first.ID),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("And 2+2?")},
	})
	must(t, err)
	if second.ID != "resp_a_2" {
		t.Fatalf("second answer %q", second.ID)
	}
	sent := a.body(t, 1)
	if p := gjson.Get(sent, "previous_response_id").Str; p != "resp_a_1" {
		t.Errorf("previous_response_id upstream = %q, want resp_a_1", p)
	}
	if got := gjson.Get(sent, "input").Raw; got != `"And 2+2?"` {
		t.Errorf("input upstream = %s, want the turn's own", got)
	}

	// Byte for byte, with a body the test writes itself.
	body := `{"model":"gpt-5", "previous_response_id":"resp_a_2","input":[{"role":"user","content":"3+3?"}],"metadata":{"k":"v"}}`
	status, answer, ch := post(t, c, ctx, body)
	if status != http.StatusOK || ch != "a" || gjson.Get(answer, "id").Str != "resp_a_3" {
		t.Fatalf("third turn: %d on %q: %s", status, ch, answer)
	}
	if got := a.body(t, 2); got != body {
		t.Errorf("forwarded body changed:\n got %s\nwant %s", got, body)
	}
}

// TestResponseChainRebuilt runs three turns: two on channel "a", then,
// with "a" out of rotation, a third on "b", which holds none of the
// conversation and gets it rebuilt without "a"'s reasoning. A fourth turn
// continues on "b" although "a" is back with a better priority: the chain
// sticks to the channel that holds it.
func TestResponseChainRebuilt(t *testing.T) {
	a, b := newResponsesUpstream(t, "a"), newResponsesUpstream(t, "b")
	chA, chB := responsesChannel("a", a, 0), responsesChannel("b", b, 1)
	c := newChainClient(t, WithChannels(chA, chB))
	ctx := context.Background()

	turn := func(body, wantChannel, wantID string) {
		t.Helper()
		status, answer, ch := post(t, c, ctx, body)
		if status != http.StatusOK || ch != wantChannel || gjson.Get(answer, "id").Str != wantID {
			t.Fatalf("%d on %q: %s; want %s from %s", status, ch, answer, wantID, wantChannel)
		}
	}
	turn(`{"model":"gpt-5","instructions":"first rules","input":"one"}`, "a", "resp_a_1")
	turn(`{"model":"gpt-5","previous_response_id":"resp_a_1","input":[{"role":"user","content":[{"type":"input_text","text":"two"}]}]}`, "a", "resp_a_2")

	chA.Disabled = true
	must(t, c.SetChannels(chA, chB))
	turn(`{"model":"gpt-5","instructions":"third rules","previous_response_id":"resp_a_2","input":"three","stream":false}`, "b", "resp_b_1")
	sent := b.body(t, 0)
	if gjson.Get(sent, "previous_response_id").Exists() {
		t.Error("previous_response_id reached a channel that does not hold the conversation")
	}
	if got := gjson.Get(sent, "instructions").Str; got != "third rules" {
		t.Errorf("instructions = %q, want the turn's own", got)
	}
	want := "message:one|message:answer 1 from a|message:two|message:answer 2 from a|message:three"
	if got := strings.Join(texts(t, gjson.Get(sent, "input")), "|"); got != want {
		t.Errorf("rebuilt input:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(sent, "enc-a") || strings.Contains(sent, "rs_a") {
		t.Errorf("a's reasoning reached b: %s", sent)
	}

	chA.Disabled = false
	must(t, c.SetChannels(chA, chB))
	turn(`{"model":"gpt-5","previous_response_id":"resp_b_1","input":"four"}`, "b", "resp_b_2")
	if got := b.body(t, 1); gjson.Get(got, "previous_response_id").Str != "resp_b_1" {
		t.Errorf("b holds the conversation, yet got it rebuilt: %s", got)
	}
	// A new conversation goes where the balancer says.
	turn(`{"model":"gpt-5","input":"new"}`, "a", "resp_a_3")
}

// TestResponseChainStoreFalse rebuilds the conversation even for the channel
// that produced it when the provider does not keep it: the request says
// "store":false, or the answer it continues did. The channel's own
// encrypted reasoning goes back to it.
func TestResponseChainStoreFalse(t *testing.T) {
	a := newResponsesUpstream(t, "a")
	c := newChainClient(t, WithChannels(responsesChannel("a", a, 0)))
	ctx := context.Background()

	for i, tt := range []struct{ body, want string }{
		{`{"model":"gpt-5","input":"one"}`, ""},
		{`{"model":"gpt-5","store":false,"previous_response_id":"resp_a_1","input":"two"}`,
			"message:one|reasoning#rs_a_1:enc-a-1|message#msg_a_1:answer 1 from a|message:two"},
		{`{"model":"gpt-5","previous_response_id":"resp_a_2","input":"three"}`,
			"message:one|reasoning#rs_a_1:enc-a-1|message#msg_a_1:answer 1 from a|message:two|reasoning#rs_a_2:enc-a-2|message#msg_a_2:answer 2 from a|message:three"},
	} {
		status, answer, _ := post(t, c, ctx, tt.body)
		if status != http.StatusOK {
			t.Fatalf("turn %d: %d %s", i+1, status, answer)
		}
		if tt.want == "" {
			continue
		}
		sent := a.body(t, i)
		if gjson.Get(sent, "previous_response_id").Exists() {
			t.Errorf("turn %d: previous_response_id forwarded to a channel that does not hold it", i+1)
		}
		if got := strings.Join(texts(t, gjson.Get(sent, "input")), "|"); got != tt.want {
			t.Errorf("turn %d input:\n got %s\nwant %s", i+1, got, tt.want)
		}
	}
}

// TestResponseChainRefused answers what cannot be continued as OpenAI does,
// without asking any channel.
func TestResponseChainRefused(t *testing.T) {
	a := newResponsesUpstream(t, "a")
	clock := fakeclock.New()
	c := newChainClient(t, WithChannels(responsesChannel("a", a, 0)), WithClock(clock.Now), WithResponseRetention(time.Hour, 0))
	ctx := context.Background()
	if status, answer, _ := post(t, c, ContextWithKeyID(ctx, "k1"), `{"model":"gpt-5","input":"one"}`); status != http.StatusOK {
		t.Fatalf("first turn: %d %s", status, answer)
	}
	notFound := func(id string) string {
		return `{"error":{"message":"Previous response with id '` + id + `' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}`
	}
	for _, tt := range []struct {
		name, key, body string
		advance         time.Duration
		want            string
	}{
		{"unknown id", "k1", `{"model":"gpt-5","previous_response_id":"resp_nope","input":"x"}`, 0, notFound("resp_nope")},
		{"another key's", "k2", `{"model":"gpt-5","previous_response_id":"resp_a_1","input":"x"}`, 0, notFound("resp_a_1")},
		{"not a string", "k1", `{"model":"gpt-5","previous_response_id":7,"input":"x"}`, 0, `"previous_response_id\" must be a string`},
		{"named twice", "k1", `{"model":"gpt-5","previous_response_id":"resp_a_1","previous_response_i\u0064":"resp_x","input":"x"}`, 0, `"previous_response_id\" more than once`},
		{"named twice in another case", "k1", `{"model":"gpt-5","previous_response_id":"resp_a_1","Previous_Response_ID":"resp_x","input":"x"}`, 0, `"previous_response_id\" more than once`},
		{"store twice", "k1", `{"model":"gpt-5","previous_response_id":"resp_a_1","store":true,"st\u006fre":false,"input":"x"}`, 0, `"store\" more than once`},
		{"expired", "k1", `{"model":"gpt-5","previous_response_id":"resp_a_1","input":"x"}`, time.Hour, notFound("resp_a_1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock.Advance(tt.advance)
			status, answer, _ := post(t, c, ContextWithKeyID(ctx, tt.key), tt.body)
			if status != http.StatusBadRequest || !strings.Contains(answer, tt.want) {
				t.Errorf("%d %s, want 400 with %s", status, answer, tt.want)
			}
			if a.requests() != 1 {
				t.Errorf("the channel was asked: %d requests", a.requests())
			}
		})
	}
}

// TestResponseChainSticks keeps every turn of a conversation on the channel
// of its first, where round robin would alternate.
func TestResponseChainSticks(t *testing.T) {
	a, b := newResponsesUpstream(t, "a"), newResponsesUpstream(t, "b")
	c := newChainClient(t, WithChannels(responsesChannel("a", a, 0), responsesChannel("b", b, 0)), WithStrategy("round_robin"))
	ctx := context.Background()
	_, answer, first := post(t, c, ctx, `{"model":"gpt-5","input":"start"}`)
	prev := gjson.Get(answer, "id").Str
	for i := range 5 {
		status, answer, ch := post(t, c, ctx, `{"model":"gpt-5","previous_response_id":"`+prev+`","input":"more"}`)
		if status != http.StatusOK || ch != first {
			t.Fatalf("turn %d: %d on %q, want %q: %s", i+2, status, ch, first, answer)
		}
		prev = gjson.Get(answer, "id").Str
	}
	seen := map[string]bool{}
	for range 2 {
		_, _, ch := post(t, c, ctx, `{"model":"gpt-5","input":"unrelated"}`)
		seen[ch] = true
	}
	if len(seen) != 2 {
		t.Errorf("requests without a chain went to %v only: round robin did not alternate, so the test proves nothing", seen)
	}
}

// TestResponseChainStream saves a streamed answer from its
// response.completed event, in time for the next request: openai-go's
// stream is read to that event, and the follow-up goes to another channel,
// which needs the streamed output rebuilt.
func TestResponseChainStream(t *testing.T) {
	a, b := newResponsesUpstream(t, "a"), newResponsesUpstream(t, "b")
	chA, chB := responsesChannel("a", a, 0), responsesChannel("b", b, 1)
	c := newChainClient(t, WithChannels(chA, chB))
	sdk := responsesSDK(c)
	ctx := context.Background()

	stream := sdk.Responses.NewStreaming(ctx, responses.ResponseNewParams{
		Model: "gpt-5", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("stream one")},
	})
	var id, text string
	for stream.Next() {
		ev := stream.Current()
		if ev.Type == "response.output_text.delta" {
			text += ev.Delta
		}
		if ev.Type == "response.completed" {
			id = ev.Response.ID
			break
		}
	}
	must(t, stream.Close())
	if id != "resp_a_1" || text != "answer 1 from a" {
		t.Fatalf("streamed %q %q (stream error %v)", id, text, stream.Err())
	}

	chA.Disabled = true
	must(t, c.SetChannels(chA, chB))
	next, err := sdk.Responses.New(ctx, responses.ResponseNewParams{
		Model: "gpt-5", PreviousResponseID: openai.String(id),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("two")},
	})
	must(t, err)
	if next.ID != "resp_b_1" {
		t.Fatalf("follow-up %q", next.ID)
	}
	want := "message:stream one|message:answer 1 from a|message:two"
	if got := strings.Join(texts(t, gjson.Get(b.body(t, 0), "input")), "|"); got != want {
		t.Errorf("rebuilt input:\n got %s\nwant %s", got, want)
	}
}

// TestResponseChainFromStore continues, on a new Client, a conversation a
// closed Client kept in a ResponseStore; the answer was too large for either
// Client's memory, so only the Store has it.
func TestResponseChainFromStore(t *testing.T) {
	a := newResponsesUpstream(t, "a")
	st := &mapResponses{}
	opts := []Option{WithChannels(responsesChannel("a", a, 0)), WithResponseRetention(time.Hour, 1), WithStore(nopStore{st})}
	c1 := newChainClient(t, opts...)
	ctx := context.Background()
	if status, answer, _ := post(t, c1, ctx, `{"model":"gpt-5","input":"one"}`); status != http.StatusOK {
		t.Fatalf("%d %s", status, answer)
	}
	// store:false answers stay in memory: this one is not in the Store.
	post(t, c1, ctx, `{"model":"gpt-5","store":false,"input":"private"}`)
	must(t, c1.Close())
	if len(st.m) != 1 || st.m["resp_a_1"].ChannelID != "a" {
		t.Fatalf("Store holds %v, want resp_a_1 alone", st.m)
	}

	c2 := newChainClient(t, opts...)
	status, answer, _ := post(t, c2, ctx, `{"model":"gpt-5","store":false,"previous_response_id":"resp_a_1","input":"two"}`)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, answer)
	}
	want := "message:one|reasoning#rs_a_1:enc-a-1|message#msg_a_1:answer 1 from a|message:two"
	if got := strings.Join(texts(t, gjson.Get(a.body(t, 2), "input")), "|"); got != want {
		t.Errorf("rebuilt input:\n got %s\nwant %s", got, want)
	}
	st.err = errors.New("disk on fire")
	status, answer, _ = post(t, c2, ctx, `{"model":"gpt-5","previous_response_id":"resp_a_9","input":"x"}`)
	if status != http.StatusServiceUnavailable || strings.Contains(answer, "fire") {
		t.Errorf("a failing Store: %d %s, want 503 without its error", status, answer)
	}
}

// Instances sharing a Store save a response before its answer ends: the
// conversation's next request may reach another instance at once, which
// must find it there. The Store takes 50 ms for each put.
func TestResponseChainWriteThrough(t *testing.T) {
	a := newResponsesUpstream(t, "a")
	st := &mapResponses{slow: 50 * time.Millisecond}
	c := newChainClient(t, WithChannels(responsesChannel("a", a, 0)), WithStore(nopStore{st}),
		WithShared(Shared{Sessions: mapSessions{}}))
	sdk := responsesSDK(c)
	stream := sdk.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "gpt-5", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("one")},
	})
	defer stream.Close()
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.completed" {
			st.mu.Lock()
			_, saved := st.m[ev.Response.ID]
			st.mu.Unlock()
			if !saved {
				t.Fatalf("the caller has %s's last event before the Store has it", ev.Response.ID)
			}
			return
		}
	}
	t.Fatalf("no response.completed: %v", stream.Err())
}

// mapSessions is a SessionShare that keeps nothing.
type mapSessions struct{}

func (mapSessions) Session(context.Context, string) (Session, bool, error) {
	return Session{}, false, nil
}
func (mapSessions) PutSession(context.Context, Session) error   { return nil }
func (mapSessions) DeleteSession(context.Context, string) error { return nil }

// mapResponses is a ResponseStore in a map.
type mapResponses struct {
	mu   sync.Mutex
	m    map[string]StoredResponse
	err  error
	slow time.Duration // each put takes this long
}

func (s *mapResponses) PutResponse(_ context.Context, r StoredResponse) error {
	time.Sleep(s.slow)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]StoredResponse{}
	}
	s.m[r.ID] = r
	return nil
}

func (s *mapResponses) Response(_ context.Context, id string, now time.Time) (StoredResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return StoredResponse{}, s.err
	}
	r, ok := s.m[id]
	if !ok || !r.ExpiresAt.After(now) {
		return StoredResponse{}, ErrNotFound
	}
	return r, nil
}

// nopStore is an empty Store whose responses are kept by its ResponseStore.
type nopStore struct{ *mapResponses }

func (nopStore) Channels(context.Context) ([]Channel, error)       { return nil, nil }
func (nopStore) RevealChannels(context.Context) ([]Channel, error) { return nil, nil }
func (nopStore) Channel(context.Context, string) (Channel, error)  { return Channel{}, ErrNotFound }
func (nopStore) RevealChannel(context.Context, string) (Channel, error) {
	return Channel{}, ErrNotFound
}
func (nopStore) Rule(context.Context, string) (Rule, error)  { return Rule{}, ErrNotFound }
func (nopStore) PutChannel(context.Context, Channel) error   { return nil }
func (nopStore) DeleteChannel(context.Context, string) error { return ErrNotFound }
func (nopStore) Rules(context.Context) ([]Rule, error)       { return nil, nil }
func (nopStore) PutRule(context.Context, Rule) error         { return nil }
func (nopStore) DeleteRule(context.Context, string) error    { return ErrNotFound }
func (nopStore) Strategy(context.Context) (string, error)    { return "", nil }
func (nopStore) SetStrategy(context.Context, string) error   { return nil }
func (nopStore) Sessions(context.Context, time.Time) ([]Session, error) {
	return nil, nil
}
func (nopStore) PutSession(context.Context, Session) error            { return nil }
func (nopStore) DeleteSession(context.Context, string) error          { return ErrNotFound }
func (nopStore) AddRecords(context.Context, []analytics.Record) error { return nil }
func (nopStore) Records(context.Context, RecordQuery) ([]analytics.Record, error) {
	return nil, nil
}
func (nopStore) Aggregate(context.Context, AggregateQuery) ([]Aggregate, error) { return nil, nil }
func (nopStore) Watch(func()) func()                                            { return func() {} }
func (nopStore) Close() error                                                   { return nil }

func benchChain(tb testing.TB) []StoredResponse {
	_, sec := readSections(tb, "testdata/chain/three_turns_other_channel.txt")
	var chain []StoredResponse
	if err := json.Unmarshal([]byte(sec["chain"]), &chain); err != nil {
		tb.Fatal(err)
	}
	return chain
}

// BenchmarkExpandChain rebuilds a two-answer conversation, with a 2 KB turn
// of its own, for a channel that did not produce it and for one that did.
func BenchmarkExpandChain(b *testing.B) {
	chain := benchChain(b)
	body := []byte(`{"model":"gpt-5","instructions":"Be brief.","previous_response_id":"resp_2","input":[{"role":"user","content":"` +
		strings.Repeat("lorem ipsum ", 170) + `"}]}`)
	for _, ch := range []string{"b", "a"} {
		b.Run("channel="+ch, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := expandChain(body, chain, ch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzExpandChain checks that any valid request body comes out as valid
// JSON with no previous_response_id and an input array, or is refused.
func FuzzExpandChain(f *testing.F) {
	files, _ := filepath.Glob("testdata/chain/*.txt")
	for _, path := range files {
		_, sec := readSections(f, path)
		f.Add([]byte(strings.TrimSpace(sec["body"])))
	}
	f.Add([]byte(`{"input":"x","input":"y"}`))
	f.Add([]byte(`{"inp\u0075t":[1,"a",{"id":"x","type":"reasoning"}]}`))
	chain := benchChain(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if !jsonx.ValidBytes(body) || gjson.ParseBytes(body).Type != gjson.JSON || !gjson.ParseBytes(body).IsObject() {
			return
		}
		for _, ch := range []string{"a", "b"} {
			out, err := expandChain(body, chain, ch)
			if err != nil {
				continue
			}
			if !jsonx.ValidBytes(out) {
				t.Fatalf("invalid output for %s:\n%s", body, out)
			}
			got := gjson.ParseBytes(out)
			if got.Get("previous_response_id").Exists() || !got.Get("input").IsArray() {
				t.Fatalf("output for %s:\n%s", body, out)
			}
		}
	})
}
