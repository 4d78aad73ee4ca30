package routex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// DefaultResponseRetention is how long an answer to a Responses API request
// can be continued with previous_response_id unless WithResponseRetention
// says otherwise: 30 days, as OpenAI keeps stored responses.
const DefaultResponseRetention = 30 * 24 * time.Hour

// MaxStoredResponseBytes is the largest StoredResponse, by Size, that a
// Client keeps; a ResponseStore may refuse larger ones. Bigger answers
// cannot be continued with previous_response_id.
const MaxStoredResponseBytes = 64 << 20

// DefaultResponseMemory is the most bytes of stored responses a Client
// keeps in memory unless WithResponseRetention says otherwise.
const DefaultResponseMemory = 64 << 20

const (
	// maxResponseIDBytes bounds a response id: longer ones are neither kept
	// nor looked up. OpenAI's are about 50 bytes.
	maxResponseIDBytes = 256
	// maxChainLength bounds the responses one previous_response_id walks
	// back through, so that a loop in what a Store returns cannot hold a
	// request forever.
	maxChainLength = 10_000
	// responseQueueSize is how many responses may wait for the Store.
	responseQueueSize = 1024
)

// StoredResponse is what routex keeps of one answer to a Responses API
// request (POST /v1/responses) so that a later request naming it in
// previous_response_id can be served by any channel: the input the caller
// sent, the output items of the answer in Responses form, and which channel
// produced them. For a channel that cannot hold the conversation, routex
// rebuilds it from the chain of stored responses (each names the one it
// continued in PreviousID).
type StoredResponse struct {
	// ID is the response's id as the caller received it ("resp_…").
	ID string `json:"id"`
	// PreviousID is the previous_response_id the request named, "" when
	// it started a conversation.
	PreviousID string `json:"previousId,omitempty"`
	// KeyID is the proxy API key the request was made with (see
	// ContextWithKeyID); only requests with the same key can continue it.
	KeyID string `json:"keyId,omitempty"`
	// ChannelID is the channel that produced the answer. Encrypted
	// reasoning in Input and Output is sent back to it alone.
	ChannelID string `json:"channelId"`
	// Model is the model the caller asked for.
	Model string `json:"model"`
	// Store is the request's store flag: false when it sent
	// "store":false. The channel was asked to keep the answer only when it
	// is true, and only then does routex write it to a Store; answers with
	// Store false are kept in the Client's memory alone.
	Store bool `json:"store"`
	// Instructions is the request's instructions member as JSON, nil when
	// it had none. A continuation does not inherit it, as at OpenAI.
	Instructions json.RawMessage `json:"instructions,omitempty"`
	// Input is the request's input as a JSON array of items; a string
	// input is one user message item.
	Input json.RawMessage `json:"input"`
	// Output is the answer's output items, a JSON array.
	Output json.RawMessage `json:"output"`
	// CreatedAt is when the answer was complete; ExpiresAt is when it can
	// no longer be continued.
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Size is the number of bytes r holds, roughly: what bounds the memory and
// storage it takes.
func (r *StoredResponse) Size() int64 {
	return int64(len(r.ID) + len(r.PreviousID) + len(r.KeyID) + len(r.ChannelID) + len(r.Model) +
		len(r.Instructions) + len(r.Input) + len(r.Output) + 128)
}

// ResponseStore is the optional capability of a Store that keeps stored
// responses, so that a conversation continued with previous_response_id
// survives a restart of the Client and reaches the other instances sharing
// the Store. A Client whose Store implements it writes every answer with
// Store true to it, in the background, and reads it when a response is not
// in its memory. storage/memory and storage/sqlite implement it, and
// storage/storetest checks it.
//
// Implementations must be safe for concurrent use and must copy what they
// are given and what they return. Expired responses may be deleted at any
// time after ExpiresAt.
type ResponseStore interface {
	// PutResponse creates or replaces the response with r.ID.
	PutResponse(ctx context.Context, r StoredResponse) error
	// Response returns the response with the given id; an error wrapping
	// ErrNotFound if there is none or if it has expired at now (its
	// ExpiresAt is not after now).
	Response(ctx context.Context, id string, now time.Time) (StoredResponse, error)
}

// WithResponseRetention sets how long an answer to a Responses API request
// can be continued with previous_response_id (default 30 days) and, if
// memory > 0, how many bytes of such answers the Client keeps in memory
// (default 64 MiB), the least recently used going first. A Store that
// implements ResponseStore keeps them beyond that memory and across
// restarts; without one, an answer pushed out of memory can no longer be
// continued.
func WithResponseRetention(retention time.Duration, memory int64) Option {
	return func(s *settings) error {
		if retention <= 0 {
			return &ConfigError{Kind: "option", ID: "WithResponseRetention", Field: "retention", Err: fmt.Errorf("must be positive")}
		}
		if memory < 0 {
			return &ConfigError{Kind: "option", ID: "WithResponseRetention", Field: "memory", Err: fmt.Errorf("must not be negative")}
		}
		s.responseRetention, s.responseMemory = retention, memory
		return nil
	}
}

// chainStore keeps stored responses for a Client: in a bounded LRU in
// memory, written before the answer reaches the caller so that a follow-up
// sent right after finds it, and in the Store, if it is a ResponseStore,
// written in the background so that no answer waits on storage.
type chainStore struct {
	retention time.Duration
	memory    int64
	now       func() time.Time
	logger    *slog.Logger
	store     ResponseStore // nil: memory only
	// writeThrough saves each response before its answer ends, for
	// instances sharing the Store: the conversation's next request may
	// reach another instance as soon as the answer does (WithShared).
	writeThrough bool

	mu    sync.Mutex
	lru   *simplelru.LRU[string, *StoredResponse]
	bytes int64 // Size of everything in lru

	queue    chan StoredResponse
	queueMu  sync.RWMutex // guards sends on queue against close
	closed   bool
	queueing sync.WaitGroup
}

// writeThroughTimeout bounds the wait for a response saved before its
// answer ends.
const writeThroughTimeout = 2 * time.Second

func newChainStore(s *settings) *chainStore {
	cs := &chainStore{retention: s.responseRetention, memory: s.responseMemory, now: s.now, logger: s.logger}
	if cs.retention <= 0 {
		cs.retention = DefaultResponseRetention
	}
	if cs.memory <= 0 {
		cs.memory = DefaultResponseMemory
	}
	// The byte bound is the one that matters; the count only keeps the
	// LRU's own bookkeeping in proportion.
	cs.lru, _ = simplelru.NewLRU(1<<20, func(_ string, r *StoredResponse) { cs.bytes -= r.Size() })
	if rs, ok := s.store.(ResponseStore); ok {
		cs.store = rs
		cs.queue = make(chan StoredResponse, responseQueueSize)
		cs.queueing.Add(1)
		go cs.persist()
	}
	return cs
}

// close waits for the responses queued for the Store to be written.
func (cs *chainStore) close() {
	if cs.queue == nil {
		return
	}
	cs.queueMu.Lock()
	if !cs.closed {
		cs.closed = true
		close(cs.queue)
	}
	cs.queueMu.Unlock()
	cs.queueing.Wait()
}

func (cs *chainStore) persist() {
	defer cs.queueing.Done()
	for r := range cs.queue {
		if err := cs.store.PutResponse(context.Background(), r); err != nil {
			cs.logger.Error("routex: saving response", "response", r.ID, "err", err)
		}
	}
}

// put keeps r: in memory at once, in the Store soon after, or, with
// writeThrough, before the answer's last event reaches the caller.
func (cs *chainStore) put(r *StoredResponse) {
	cs.remember(r)
	if !r.Store || cs.queue == nil {
		return
	}
	if cs.writeThrough {
		ctx, cancel := context.WithTimeout(context.Background(), writeThroughTimeout)
		err := cs.store.PutResponse(ctx, *r)
		cancel()
		if err == nil {
			return
		}
		cs.logger.Warn("routex: saving response failed; queued to try again", "response", r.ID, "err", err)
	}
	cs.queueMu.RLock()
	defer cs.queueMu.RUnlock()
	if cs.closed {
		return
	}
	select {
	case cs.queue <- *r:
	default:
		cs.logger.Warn("routex: response not persisted, queue full", "response", r.ID)
	}
}

// remember puts r in the LRU, pushing out the least recently used
// responses past the byte bound.
func (cs *chainStore) remember(r *StoredResponse) {
	size := r.Size()
	if size > cs.memory {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.lru.Remove(r.ID) // a replaced entry is counted out by the callback
	cs.lru.Add(r.ID, r)
	cs.bytes += size
	for cs.bytes > cs.memory {
		if _, _, ok := cs.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// get returns the live response id made with keyID, from memory or the
// Store; an error wrapping ErrNotFound when there is none.
func (cs *chainStore) get(ctx context.Context, id, keyID string) (*StoredResponse, error) {
	now := cs.now()
	cs.mu.Lock()
	r, ok := cs.lru.Get(id)
	if ok && !r.ExpiresAt.After(now) {
		cs.lru.Remove(id)
		ok = false
	}
	cs.mu.Unlock()
	if !ok {
		if cs.store == nil {
			return nil, ErrNotFound
		}
		sr, err := cs.store.Response(ctx, id, now)
		if err != nil {
			return nil, err
		}
		if !sr.ExpiresAt.After(now) || sr.ID != id {
			return nil, ErrNotFound
		}
		// What comes back is spliced into requests as it is: it must be
		// what was saved, arrays of items.
		if !jsonArray(sr.Input) || !jsonArray(sr.Output) || (len(sr.Instructions) > 0 && !jsonx.ValidBytes(sr.Instructions)) {
			return nil, fmt.Errorf("stored response %q is damaged", id)
		}
		r = &sr
		cs.remember(r)
	}
	if r.KeyID != keyID {
		return nil, ErrNotFound
	}
	return r, nil
}

// history returns the responses a request continuing id builds on, oldest
// first, id's last.
func (cs *chainStore) history(ctx context.Context, id, keyID string) ([]StoredResponse, error) {
	var out []StoredResponse
	var seen map[string]bool
	for next := id; next != ""; {
		if len(out) == maxChainLength || seen[next] {
			return nil, errChainTooLong
		}
		r, err := cs.get(ctx, next, keyID)
		if err != nil {
			return nil, err
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[next] = true
		out = append(out, *r)
		next = r.PreviousID
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// errChainTooLong refuses a previous_response_id that continues more
// responses than a request may carry (or a chain a Store returned looping).
var errChainTooLong = fmt.Errorf("the conversation continued by previous_response_id is longer than %d responses", maxChainLength)

func jsonArray(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '[' && jsonx.ValidBytes(b)
}

// responseChain is what the pipeline knows of one Responses API request's
// place in a conversation: the members it reads, and the stored responses it
// continues.
type responseChain struct {
	prevID       string // previous_response_id; "" when none
	store        bool   // false when the request sent "store":false
	input        string // the input member as written; "" when absent
	instructions string // the instructions member as written; "" when absent
	history      []StoredResponse

	// The request rebuilt for the channel last asked for (rebuiltFor).
	rebuilt    *Request
	rebuiltFor string
}

// channel returns the channel the conversation is on, "" when the request
// continues none.
func (rc *responseChain) channel() string {
	if rc == nil || len(rc.history) == 0 {
		return ""
	}
	return rc.history[len(rc.history)-1].ChannelID
}

// chainOf returns what a response chain needs of a Responses API request,
// as parseRequest read it in its one pass over the body (which refused
// these members given twice, since JSON readers disagree on which one
// counts).
func chainOf(r *Request) *responseChain {
	rc := &responseChain{store: !r.noStore, input: r.messages.Raw, instructions: r.system.Raw}
	if r.previousID != nil {
		rc.prevID = *r.previousID
	}
	return rc
}

// continueChain reads where a Responses API request stands in its
// conversation, before routing: the stored responses its
// previous_response_id continues. It returns the refusal to answer with,
// or nil to go on.
func (c *Client) continueChain(x *exchange) *http.Response {
	rc := chainOf(x.r)
	x.chain = rc
	if rc.prevID == "" {
		return nil
	}
	var err error
	if len(rc.prevID) > maxResponseIDBytes {
		err = ErrNotFound
	} else {
		rc.history, err = c.chains.history(x.req.Context(), rc.prevID, x.rec.KeyID)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		resp := c.refuse(x, &refusal{status: http.StatusBadRequest, code: "previous_response_not_found", err: ErrBadRequest,
			msg: previousNotFound(rc.prevID)})
		setBody(resp, previousNotFoundBody(rc.prevID))
		return resp
	case errors.Is(err, errChainTooLong):
		return c.refuse(x, errBody(err.Error()))
	case err != nil:
		return c.refuse(x, &refusal{status: http.StatusServiceUnavailable, code: "store_unavailable", err: ErrUnavailable,
			msg:    "the response named in previous_response_id could not be read; try again later",
			detail: "reading the response chain: " + err.Error()})
	}
	return nil
}

func previousNotFound(id string) string {
	return "Previous response with id '" + truncate(id, 200) + "' not found."
}

// previousNotFoundBody is OpenAI's own answer to an unknown
// previous_response_id, which clients such as Codex recognise.
func previousNotFoundBody(id string) []byte {
	param := "previous_response_id"
	b, _ := json.Marshal(struct {
		Error openAIError `json:"error"`
	}{openAIError{Message: previousNotFound(id), Type: "invalid_request_error", Param: &param, Code: "previous_response_not_found"}})
	return b
}

type openAIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// chainedRequest returns the request to send to rt. A channel that holds the
// conversation itself (a Responses channel that produced its last answer,
// asked to store it, and asked to store this one) gets the caller's request
// as it is; any other gets it rebuilt, the stored conversation in its input
// in place of previous_response_id.
func (c *Client) chainedRequest(x *exchange, rt *route) (*Request, error) {
	rc := x.chain
	if rc == nil || len(rc.history) == 0 {
		return x.r, nil
	}
	head := &rc.history[len(rc.history)-1]
	if rt.Type == FormatResponses && rt.ID == head.ChannelID && head.Store && rc.store {
		return x.r, nil
	}
	if rc.rebuilt != nil && rc.rebuiltFor == rt.ID {
		return rc.rebuilt, nil
	}
	body, err := expandChain(x.r.Body, rc.history, rt.ID)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.s.maxBody {
		return nil, fmt.Errorf("the conversation rebuilt from previous_response_id is %d bytes, over the %d-byte request limit", len(body), c.s.maxBody)
	}
	r := *x.r
	r.Body = body
	r.previousID = nil // expandChain took it out of the body
	rc.rebuilt, rc.rebuiltFor = &r, rt.ID
	return &r, nil
}

// expandChain rewrites a Responses API request body so that it carries its
// whole conversation: previous_response_id is removed, and input becomes the
// input and output items of every response in chain, oldest first, then the
// request's own input (a string input as one user message). Every other
// member, instructions included, is kept as written.
//
// Items of a response that channelID did not produce lose what only their
// producer can use: reasoning items (their encrypted content and signatures
// verify only there, and their ids resolve only in its store) and the ids of
// the other items (a provider refuses an item it knows without the
// reasoning that came with it).
func expandChain(body []byte, chain []StoredResponse, channelID string) ([]byte, error) {
	size := len(body) + 64
	for i := range chain {
		size += len(chain[i].Input) + len(chain[i].Output)
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	wrote := false
	member := func(key string) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, key...)
		out = append(out, `":`...)
	}
	m := jsonx.Members(jsonx.BytesString(body))
	for m.Next() {
		switch jsonx.Unescape(m.Key()) {
		case "previous_response_id":
			continue
		case "input":
			if wrote {
				return nil, errors.New(`the request body has "input" twice`)
			}
			wrote = true
			member("input")
			var err error
			if out, err = appendConversation(out, chain, channelID, m.Value()); err != nil {
				return nil, err
			}
			continue
		}
		member(m.Key())
		out = append(out, m.Value()...)
	}
	if err := m.Err(); err != nil {
		return nil, fmt.Errorf("the request body is not a valid JSON object: %w", err)
	}
	if !wrote {
		member("input")
		out, _ = appendConversation(out, chain, channelID, "")
	}
	return append(out, '}'), nil
}

// appendConversation appends the items of chain and then those of input,
// the request's own input as written, as one JSON array.
func appendConversation(dst []byte, chain []StoredResponse, channelID, input string) ([]byte, error) {
	dst = append(dst, '[')
	n := 0
	for i := range chain {
		r := &chain[i]
		own := r.ChannelID == channelID
		dst, n = appendItems(dst, n, jsonx.BytesString(r.Input), own)
		dst, n = appendItems(dst, n, jsonx.BytesString(r.Output), own)
	}
	switch v := gjson.Parse(input); v.Type {
	case gjson.String:
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendUserMessage(dst, input)
	case gjson.JSON:
		if !v.IsArray() {
			return nil, errors.New(`"input" must be a string or a list of items`)
		}
		dst, _ = appendItems(dst, n, input, true)
	case gjson.Null:
	default:
		if input != "" {
			return nil, errors.New(`"input" must be a string or a list of items`)
		}
	}
	return append(dst, ']'), nil
}

// appendUserMessage appends the item a string input stands for; text is the
// JSON string as written.
func appendUserMessage(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"message","role":"user","content":`...)
	dst = append(dst, strings.TrimSpace(text)...)
	return append(dst, '}')
}

// appendItems appends the items of the JSON array arr, after the n already
// in the array being written, and returns the new count. Items that are not
// own lose their reasoning and their ids (see expandChain).
func appendItems(dst []byte, n int, arr string, own bool) ([]byte, int) {
	gjson.Parse(arr).ForEach(func(_, item gjson.Result) bool {
		if !own && item.IsObject() && item.Get("type").Str == "reasoning" {
			return true
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		if own || !item.IsObject() {
			dst = append(dst, item.Raw...)
			return true
		}
		dst = appendWithoutID(dst, item.Raw)
		return true
	})
	return dst, n
}

// appendWithoutID appends the JSON object obj without its top-level "id".
func appendWithoutID(dst []byte, obj string) []byte {
	start := len(dst)
	dst = append(dst, '{')
	m := jsonx.Members(obj)
	for m.Next() {
		if jsonx.Unescape(m.Key()) == "id" {
			continue
		}
		if len(dst) > start+1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, m.Key()...)
		dst = append(dst, `":`...)
		dst = append(dst, m.Value()...)
	}
	if m.Err() != nil {
		// Not reached for stored items, which were valid when saved.
		return append(dst[:start], obj...)
	}
	return append(dst, '}')
}

// chainLink is the answer one Responses API request adds to its chain: it
// saves the answer once it has seen it whole.
type chainLink struct {
	cs        *chainStore
	rc        *responseChain
	channelID string
	model     string
	keyID     string
	saved     bool
}

// chainLink returns the link x's answer from rt adds, nil when x is not a
// Responses API request.
func (c *Client) chainLink(x *exchange, rt *route) *chainLink {
	if x.chain == nil {
		return nil
	}
	return &chainLink{cs: c.chains, rc: x.chain, channelID: rt.ID, model: x.r.Model, keyID: x.rec.KeyID}
}

// keepAnswer saves x's whole answer from rt, a Responses object, and
// leaves resp's body as it was.
func (c *Client) keepAnswer(x *exchange, rt *route, resp *http.Response) {
	l := c.chainLink(x, rt)
	if l == nil {
		return
	}
	// The body is buffered: reading it costs a copy, and the copy is what
	// the caller reads from now on.
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	l.save(jsonx.BytesString(b))
}

var (
	completedMarker  = []byte("response.completed")
	incompleteMarker = []byte("response.incomplete")
)

// see looks through events in the caller's format, whole SSE events as the
// stream converter wrote them, for the one that ends the response, and
// saves the response it carries. Only that event is parsed.
func (l *chainLink) see(events []byte) {
	if l == nil || l.saved || (!bytes.Contains(events, completedMarker) && !bytes.Contains(events, incompleteMarker)) {
		return
	}
	// data is the event's one data line, or its lines joined in joined.
	var data, joined []byte
	lines := 0
	for len(events) > 0 && !l.saved {
		var line []byte
		if i := bytes.IndexByte(events, '\n'); i >= 0 {
			line, events = events[:i], events[i+1:]
		} else {
			line, events = events, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		switch {
		case len(line) == 0:
			l.seeEvent(data)
			data, joined, lines = nil, joined[:0], 0
		case bytes.HasPrefix(line, []byte("data:")):
			v := bytes.TrimPrefix(line[5:], []byte{' '})
			switch lines++; lines {
			case 1:
				data = v
			case 2:
				joined = append(append(append(joined[:0], data...), '\n'), v...)
				data = joined
			default:
				joined = append(append(joined, '\n'), v...)
				data = joined
			}
		}
	}
	if !l.saved {
		l.seeEvent(data)
	}
}

func (l *chainLink) seeEvent(data []byte) {
	if len(data) == 0 {
		return
	}
	// save copies what it keeps, so the event is read in place.
	ev := jsonx.BytesString(data)
	switch gjson.Get(ev, "type").Str {
	case "response.completed", "response.incomplete":
		if r := gjson.Get(ev, "response"); r.IsObject() {
			l.save(r.Raw)
		}
	}
}

// save keeps resp, a Responses object, as the answer of the link's request,
// if it is one that can be continued. It keeps copies of what it reads.
func (l *chainLink) save(resp string) {
	if l == nil || l.saved {
		return
	}
	var id, status, output string
	m := jsonx.Members(resp)
	for m.Next() {
		switch jsonx.Unescape(m.Key()) {
		case "id":
			id = m.Value()
		case "status":
			status = m.Value()
		case "output":
			output = m.Value()
		}
	}
	if m.Err() != nil || len(output) == 0 || output[0] != '[' {
		return
	}
	switch gjson.Parse(status).Str {
	case "completed", "incomplete", "":
	default:
		return // failed or cancelled: nothing to continue
	}
	idv := gjson.Parse(id)
	if idv.Type != gjson.String || idv.Str == "" || len(idv.Str) > maxResponseIDBytes {
		return
	}
	l.saved = true
	rc := l.rc
	r := &StoredResponse{
		ID: strings.Clone(idv.Str), PreviousID: strings.Clone(rc.prevID), KeyID: l.keyID,
		ChannelID: l.channelID, Model: l.model, Store: rc.store,
		Input: storedInput(rc.input), Output: []byte(output),
	}
	if rc.instructions != "" && rc.instructions != "null" {
		r.Instructions = []byte(rc.instructions)
	}
	if r.Size() > MaxStoredResponseBytes {
		l.cs.logger.Warn("routex: response too large to keep for previous_response_id", "response", r.ID, "bytes", r.Size())
		return
	}
	r.CreatedAt = l.cs.now()
	r.ExpiresAt = r.CreatedAt.Add(l.cs.retention)
	l.cs.put(r)
}

// storedInput returns a request's input member as a JSON array of items,
// in a copy of its own.
func storedInput(input string) []byte {
	switch v := gjson.Parse(input); {
	case v.Type == gjson.String:
		b := appendUserMessage(append(make([]byte, 0, len(input)+48), '['), input)
		return append(b, ']')
	case v.IsArray():
		return []byte(input)
	}
	return []byte("[]")
}
