package routex

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// Request is the read-only view of one inbound request that rules and
// matchers see. It is built by parsing the body once; the costlier views
// (text, tools, images, the token estimate) are computed on first use, so a
// rule set that looks only at the model never pays for them.
//
// A Request is not safe for concurrent use; matchers run one at a time.
type Request struct {
	// Format is the caller's wire format, from the request path.
	Format Format
	// Model is the model the caller asked for: valid UTF-8, at most
	// MaxModelBytes long.
	Model string
	// Stream reports whether the caller asked for a streamed answer.
	Stream bool
	// SessionKey identifies the caller's session: the x-session-id header,
	// else x-claude-code-session-id, else Anthropic metadata.user_id, a
	// Responses prompt_cache_key, or OpenAI user. A key longer than
	// MaxSessionKeyBytes is kept as its digest. Empty when none.
	SessionKey string
	// Body is the raw request body. Do not modify it.
	Body []byte
	// HTTP is the caller's request. Its body has been consumed; use Body.
	HTTP *http.Request

	counter TokenCounter

	// Raw JSON of the fields the lazy views read; substrings of Body.
	system, messages, tools, thinking gjson.Result
	reasoning                         bool // OpenAI reasoning_effort / reasoning present
	webSearchOpt                      bool // OpenAI web_search_options present
	streamUsage                       bool // OpenAI stream_options.include_usage is true
	unsignedThinking                  bool // some member "signature" is "": see dropUnsignedThinking

	// The lazy views. The bools sit together: the struct fits a 512-byte
	// size class.
	done      uint8 // which lazy views are computed
	hasImages bool
	webSearch bool
	// noStore reports a Responses request's "store":false.
	noStore   bool
	userText  string
	lastUser  string
	tokens    int
	toolNames []string

	// refused is what parsePassthrough, which returns no error, found
	// wrong with the request; admit gives it.
	refused *refusal

	// previousID is a Responses request's previous_response_id, nil when
	// absent, null or "". A pointer, not a string: a string's 16 bytes
	// would take the struct past its 512-byte size class, and only a
	// request that continues a conversation pays for it.
	previousID *string
}

// parseRequest reads the fields routing needs in one pass over the body's
// top level. body must not change afterwards: the view aliases it.
func parseRequest(f Format, body []byte, hr *http.Request, counter TokenCounter) (*Request, error) {
	r := &Request{Format: f, Body: body, HTTP: hr, counter: counter}
	if len(body) == 0 {
		return r, errBody("the request body is empty; send a JSON object")
	}
	// One pass validates the body and reads its top level. It also notes
	// thinking blocks without a signature anywhere in the body, so that
	// finding none costs no second look.
	var user, metaUser, cacheKey string
	var badPreviousID bool
	var seen member // the members read so far
	read := formatMembers(f)
	m := jsonx.Members(jsonx.BytesString(body))
	m.WatchEmpty("signature")
	for m.Next() {
		k := jsonx.Unescape(m.Key())
		bit, exact := memberOf(k)
		if bit &= read; bit == 0 {
			continue
		}
		if exact {
			switch v := m.Value(); bit {
			case memberModel:
				r.Model = gjson.Parse(v).String() // cloned below
			case memberStream:
				r.Stream = gjson.Parse(v).Bool()
			case memberSystem, memberInstructions:
				r.system = gjson.Parse(v)
			case memberMessages, memberInput:
				r.messages = gjson.Parse(v)
			case memberTools:
				r.tools = gjson.Parse(v)
			case memberThinking:
				r.thinking = gjson.Parse(v)
			case memberReasoningEffort:
				e := gjson.Parse(v)
				r.reasoning = e.Type == gjson.String && e.Str != "" && e.Str != "none"
			case memberReasoning:
				if f == FormatResponses {
					// Minimal effort is the Responses API's "no thinking
					// to speak of".
					e := gjson.Get(v, "effort").Str
					r.reasoning = e != "" && e != "none" && e != "minimal"
				} else {
					r.reasoning = v[0] == '{'
				}
			case memberWebSearchOptions:
				r.webSearchOpt = true
			case memberStreamOptions:
				r.streamUsage = gjson.Get(v, "include_usage").Bool()
			case memberUser:
				user = gjson.Parse(v).String()
			case memberMetadata:
				metaUser = gjson.Get(v, "user_id").String()
			case memberPromptCacheKey:
				cacheKey = gjson.Parse(v).String()
			case memberPreviousResponseID:
				switch p := gjson.Parse(v); p.Type {
				case gjson.String:
					if p.Str != "" {
						id := p.Str
						r.previousID = &id
					}
				case gjson.Null:
				default:
					// Refused once the whole body is known valid, as a
					// malformed body's error comes first.
					badPreviousID = true
				}
			case memberStore:
				r.noStore = v == "false"
			case memberContents:
				r.messages = gjson.Parse(v)
			case memberSystemInstruction:
				r.system = gjson.Parse(v).Get("parts")
			case memberGenerationConfig:
				tc := gjson.Get(v, "thinkingConfig")
				if !tc.Exists() {
					tc = gjson.Get(v, "thinking_config")
				}
				r.thinking = tc
			}
		}
		// A member routex reads, given twice, is refused rather than
		// guessed: JSON readers disagree on which one counts (a key check
		// reading the first "model" and a router or provider the last
		// would let a caller past its allowlist).
		if seen&bit != 0 {
			r.Model = recordable(r.Model)
			return r, duplicate(bit)
		}
		seen |= bit
	}
	switch err := m.Err(); {
	case errors.Is(err, jsonx.ErrNotObject):
		return r, errBody("the request body must be a JSON object")
	case err != nil:
		r.Model = recordable(r.Model)
		return r, errBody("the request body is not valid JSON: " + err.Error())
	}
	r.unsignedThinking = m.FoundEmpty()
	if f == FormatGemini {
		// The path names the model and says whether to stream.
		r.Model, r.Stream = geminiTarget(hr)
	}
	// Cloned, as the session key below: both outlive the request in usage
	// records and session tables, and a substring would keep the whole
	// body alive with them.
	r.Model = strings.Clone(r.Model)
	if rf := checkModel(r); rf != nil {
		return r, rf
	}
	key, from := metaUser, `"metadata.user_id"`
	switch {
	case f == FormatResponses && cacheKey != "":
		// The Responses API's own name for what keeps a conversation on
		// one cache: Codex gives it the conversation's id.
		key, from = cacheKey, `"prompt_cache_key"`
	case f != FormatAnthropic:
		key, from = user, `"user"`
	}
	if hr != nil {
		if k := hr.Header.Get("X-Session-Id"); k != "" {
			key, from = k, "the x-session-id header"
		} else if k := hr.Header.Get("X-Claude-Code-Session-Id"); k != "" {
			key, from = k, "the x-claude-code-session-id header"
		}
	}
	if !utf8.ValidString(key) {
		return r, errBody("the session key in " + from + " is not valid UTF-8")
	}
	r.SessionKey = sessionKey(key)
	if badPreviousID {
		return r, errBody(`"previous_response_id" must be a string`)
	}
	return r, nil
}

// member is a bit for each top-level member parseRequest reads, for the
// duplicate check.
type member uint32

const (
	memberModel member = 1 << iota
	memberStream
	memberSystem
	memberMessages
	memberTools
	memberThinking
	memberReasoningEffort
	memberReasoning
	memberWebSearchOptions
	memberStreamOptions
	memberUser
	memberMetadata
	memberInstructions
	memberInput
	memberPromptCacheKey
	memberContents
	memberSystemInstruction
	memberGenerationConfig
	memberPreviousResponseID
	memberStore
)

// readMembers names the members of memberOf, in bit order.
var readMembers = [...]string{
	"model", "stream", "system", "messages", "tools", "thinking", "reasoning_effort",
	"reasoning", "web_search_options", "stream_options", "user", "metadata",
	"instructions", "input", "prompt_cache_key", "contents", "systemInstruction",
	"generationConfig", "previous_response_id", "store",
}

// Which members parseRequest reads in each format. Messages and Chat
// requests share theirs; the Responses API gives the conversation other
// names, and a member of another API means nothing in it.
const (
	messagesMembers  = memberMetadata<<1 - 1
	responsesMembers = memberModel | memberStream | memberTools | memberReasoning | memberUser |
		memberInstructions | memberInput | memberPromptCacheKey | memberPreviousResponseID | memberStore
	// A Gemini body names no model and no stream: its path does.
	geminiMembers = memberContents | memberSystemInstruction | memberTools | memberGenerationConfig
)

// formatMembers returns the members parseRequest reads in format f.
func formatMembers(f Format) member {
	switch f {
	case FormatResponses:
		return responsesMembers
	case FormatGemini:
		return geminiMembers
	}
	return messagesMembers
}

// memberOf returns the bit of the member that k names, and whether k is
// that member's name itself rather than a spelling that a
// case-insensitive decoder would take for it (foldedMember).
func memberOf(k string) (member, bool) {
	switch k {
	case "model":
		return memberModel, true
	case "stream":
		return memberStream, true
	case "system":
		return memberSystem, true
	case "messages":
		return memberMessages, true
	case "tools":
		return memberTools, true
	case "thinking":
		return memberThinking, true
	case "reasoning_effort":
		return memberReasoningEffort, true
	case "reasoning":
		return memberReasoning, true
	case "web_search_options":
		return memberWebSearchOptions, true
	case "stream_options":
		return memberStreamOptions, true
	case "user":
		return memberUser, true
	case "metadata":
		return memberMetadata, true
	case "instructions":
		return memberInstructions, true
	case "input":
		return memberInput, true
	case "prompt_cache_key":
		return memberPromptCacheKey, true
	case "contents":
		return memberContents, true
	// Google reads each of its fields by its JSON name and by its proto
	// name alike.
	case "systemInstruction", "system_instruction":
		return memberSystemInstruction, true
	case "generationConfig", "generation_config":
		return memberGenerationConfig, true
	case "previous_response_id":
		return memberPreviousResponseID, true
	case "store":
		return memberStore, true
	}
	return foldedMember(k), false
}

// foldedMember returns the bit of the member routex reads that k names for
// a decoder that matches names as encoding/json does (case-insensitively,
// "Model" or "ſtream" for "stream"), or 0. A provider written in Go might
// read "Model" where routex reads "model". Keys in lower-case ASCII, the
// ones routex does not read included, are answered by one scan.
func foldedMember(k string) member {
	for i := 0; i < len(k); i++ {
		if c := k[i]; 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			for j, name := range readMembers {
				if strings.EqualFold(k, name) {
					return 1 << j
				}
			}
			return 0
		}
	}
	return 0
}

// duplicate refuses a body that gives the member bit more than once.
func duplicate(bit member) *refusal {
	name := readMembers[bits.TrailingZeros32(uint32(bit))]
	return errBody(fmt.Sprintf("the request body has the member %q more than once (names compared unescaped and regardless of case); send it once", name))
}

// MaxModelBytes is the longest model name a request may give: no model is
// named at such length, and the name is kept in every usage record.
const MaxModelBytes = 256

// checkModel refuses a model that cannot be a model's name: invalid UTF-8,
// which would reach labels and records, or longer than MaxModelBytes. The
// refusal's record keeps a recordable form of it.
func checkModel(r *Request) *refusal {
	switch {
	case !utf8.ValidString(r.Model):
		r.Model = recordable(r.Model)
		return errBody(`the request's "model" is not valid UTF-8`)
	case len(r.Model) > MaxModelBytes:
		r.Model = recordable(r.Model)
		return errBody(fmt.Sprintf(`the request's "model" is longer than %d bytes`, MaxModelBytes))
	}
	return nil
}

// recordable returns a copy of a model name that is valid UTF-8 and at most
// MaxModelBytes long, for the record of a refused request.
func recordable(s string) string {
	if len(s) > MaxModelBytes {
		s = s[:MaxModelBytes]
	}
	return strings.Clone(strings.ToValidUTF8(s, "\uFFFD"))
}

// MaxSessionKeyBytes is the longest session key kept as the caller sent
// it; a longer one is kept as its SHA-256 digest ("sha256:" and 32 hex
// digits), so that no caller decides what a session costs to hold, save
// and reload.
const MaxSessionKeyBytes = 128

// sessionKey returns the key under which the session named s is kept: a
// copy of s (a substring would keep the request body alive in session
// tables and records), or its digest when s is long. s is valid UTF-8.
func sessionKey(s string) string {
	if len(s) <= MaxSessionKeyBytes {
		return strings.Clone(s)
	}
	sum := sha256.Sum256(jsonx.StringBytes(s))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// parsePassthrough builds the view of a request to an endpoint routex does
// not interpret: only the model is read, from the top level of a JSON
// object. The body goes to the provider as it is, so a model the provider
// could read differently from routex (given twice, or not UTF-8) is
// refused, through admit; so is a session key that is not UTF-8. A body
// that is not a valid JSON object names no model.
func parsePassthrough(f Format, body []byte, hr *http.Request) *Request {
	r := &Request{Format: f, Body: body, HTTP: hr, done: doneImages | doneTools | doneUser | doneTokens}
	if f == FormatGemini {
		// The path names the model.
		r.Model, _ = geminiTarget(hr)
		r.Model = strings.Clone(r.Model)
		if rf := checkModel(r); rf != nil {
			r.refused = rf
			return r
		}
	} else if s := strings.TrimLeft(jsonx.BytesString(body), " \t\r\n"); s != "" && s[0] == '{' {
		seen := false
		m := jsonx.Members(s)
		for m.Next() {
			k := jsonx.Unescape(m.Key())
			if k != "model" && foldedMember(k) != memberModel {
				continue
			}
			if seen {
				r.Model, r.refused = recordable(r.Model), duplicate(memberModel)
				return r
			}
			seen = true
			if v := gjson.Parse(m.Value()); k == "model" && v.Type == gjson.String {
				r.Model = v.Str
			}
		}
		if m.Err() != nil {
			r.Model = ""
		}
		r.Model = strings.Clone(r.Model)
		if rf := checkModel(r); rf != nil {
			r.refused = rf
			return r
		}
	}
	if hr != nil {
		key := hr.Header.Get("X-Session-Id")
		if !utf8.ValidString(key) {
			r.refused = errBody("the session key in the x-session-id header is not valid UTF-8")
			return r
		}
		r.SessionKey = sessionKey(key)
	}
	return r
}

// HasTools reports whether the request defines tools.
func (r *Request) HasTools() bool {
	has := false
	r.tools.ForEach(func(_, _ gjson.Result) bool { has = true; return false })
	return has
}

// ToolNames returns the names of the tools the request defines.
func (r *Request) ToolNames() []string { r.scanTools(); return r.toolNames }

// HasImages reports whether any message carries an image.
func (r *Request) HasImages() bool {
	if r.done&doneImages == 0 {
		r.done |= doneImages
		// Most requests carry no image: a substring test answers them
		// without walking the conversation.
		switch {
		case r.Format == FormatGemini:
			r.hasImages = strings.Contains(r.messages.Raw, `image/`) && geminiHasImage(r.messages)
		case strings.Contains(r.messages.Raw, `"image`) || strings.Contains(r.messages.Raw, `"input_image`):
			r.hasImages = hasImageBlock(r.messages)
		}
	}
	return r.hasImages
}

// WebSearch reports whether a web search tool is offered to the model.
func (r *Request) WebSearch() bool { r.scanTools(); return r.webSearch }

// Thinking reports whether extended thinking (Anthropic), reasoning
// (OpenAI reasoning_effort / reasoning) or thinking (Gemini's
// generationConfig.thinkingConfig, other than a budget of 0) is requested.
func (r *Request) Thinking() bool {
	if r.reasoning {
		return true
	}
	if !r.thinking.Exists() {
		return false
	}
	if r.Format == FormatGemini {
		return geminiThinking(r.thinking)
	}
	if r.thinking.IsObject() {
		t := r.thinking.Get("type").Str
		return t != "" && t != "disabled"
	}
	return r.thinking.Bool()
}

// SystemText returns the system prompt's text, blocks joined with "\n".
// For OpenAI requests it is the text of the system and developer messages,
// after a Responses request's instructions.
func (r *Request) SystemText() string {
	var b strings.Builder
	appendText(&b, r.system)
	if r.Format == FormatOpenAI || r.Format == FormatResponses {
		r.messages.ForEach(func(_, m gjson.Result) bool {
			if role := m.Get("role").Str; role == "system" || role == "developer" {
				appendText(&b, m.Get("content"))
			}
			return true
		})
	}
	return b.String()
}

// UserText returns the text of every user message, joined with "\n".
// Keyword and userPattern conditions search it.
func (r *Request) UserText() string { r.scanUser(); return r.userText }

// LastUserText returns the text of the last user message.
func (r *Request) LastUserText() string { r.scanUser(); return r.lastUser }

// InputTokens returns the estimated number of input tokens: system prompt,
// messages and tool definitions, counted by the Client's TokenCounter.
func (r *Request) InputTokens() int {
	if r.done&doneTokens == 0 {
		r.done |= doneTokens
		r.countTokens()
	}
	return r.tokens
}

// The lazy views, each computed on first use.
const (
	doneImages = 1 << iota
	doneTools
	doneUser
	doneTokens
)

// imageTokens is what one image is assumed to cost: its size is not known
// without decoding it, and about a megapixel is typical.
const imageTokens = 1200

// messageOverhead approximates the role and framing tokens of each message.
const messageOverhead = 4

func (r *Request) scanTools() {
	if r.done&doneTools != 0 {
		return
	}
	r.done |= doneTools
	if r.Format == FormatGemini {
		r.toolNames, r.webSearch = geminiTools(r.tools)
		return
	}
	r.tools.ForEach(func(_, t gjson.Result) bool {
		name := t.Get("name").Str
		if name == "" {
			name = t.Get("function.name").Str
		}
		if strings.HasPrefix(t.Get("type").Str, "web_search") || name == "web_search" {
			r.webSearch = true
		}
		if name != "" {
			r.toolNames = append(r.toolNames, name)
		}
		return true
	})
	if r.webSearchOpt {
		r.webSearch = true
	}
}

// scanUser collects the text of the user messages.
func (r *Request) scanUser() {
	if r.done&doneUser != 0 {
		return
	}
	r.done |= doneUser
	if r.Format == FormatResponses && r.messages.Type == gjson.String {
		// A Responses input given as one string is one user message.
		r.userText, r.lastUser = r.messages.Str, r.messages.Str
		return
	}
	if r.Format == FormatGemini {
		r.userText, r.lastUser = geminiUserText(r.messages)
		return
	}
	var all strings.Builder
	r.messages.ForEach(func(_, m gjson.Result) bool {
		if m.Get("role").Str != "user" {
			return true
		}
		var last strings.Builder
		content := m.Get("content")
		if content.Type == gjson.String {
			last.WriteString(content.Str)
		} else {
			content.ForEach(func(_, b gjson.Result) bool {
				if t := b.Get("type").Str; t == "text" || t == "input_text" {
					if last.Len() > 0 {
						last.WriteByte('\n')
					}
					last.WriteString(b.Get("text").Str)
				}
				return true
			})
		}
		if last.Len() == 0 {
			return true
		}
		r.lastUser = last.String()
		if all.Len() > 0 {
			all.WriteByte('\n')
		}
		all.WriteString(r.lastUser)
		return true
	})
	r.userText = all.String()
}

// countTokens estimates the input tokens of the whole request.
func (r *Request) countTokens() {
	count := func(s string) {
		if r.counter != nil && s != "" {
			r.tokens += r.counter.CountTokens(jsonx.StringBytes(s))
		}
	}
	count(rawText(r.system))
	if r.Format == FormatResponses && r.messages.Type == gjson.String {
		// A Responses input given as one string: one user message.
		r.tokens += messageOverhead
		count(r.messages.Str)
	} else if r.Format == FormatGemini {
		r.tokens += geminiCountContents(r.messages, count)
	} else {
		r.countMessages(count)
	}
	r.tools.ForEach(func(_, t gjson.Result) bool {
		count(t.Raw)
		return true
	})
}

// countMessages counts the tokens of the conversation's messages (a
// Responses request's input items).
func (r *Request) countMessages(count func(string)) {
	r.messages.ForEach(func(_, m gjson.Result) bool {
		r.tokens += messageOverhead
		content := m.Get("content")
		if content.Type == gjson.String {
			count(content.Str)
		} else {
			r.countBlocks(content, count)
		}
		if tc := m.Get("tool_calls"); tc.IsArray() {
			count(tc.Raw)
		}
		if r.Format == FormatResponses {
			r.countItem(m, count)
		}
		return true
	})
}

// countBlocks counts the tokens of content blocks, both formats, descending
// into tool results.
func (r *Request) countBlocks(content gjson.Result, count func(string)) {
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "text", "input_text", "output_text", "summary_text":
			count(b.Get("text").Str)
		case "image", "image_url", "input_image":
			r.tokens += imageTokens
		case "tool_result":
			if c := b.Get("content"); c.Type == gjson.String {
				count(c.Str)
			} else {
				r.countBlocks(c, count)
			}
		case "tool_use":
			count(b.Get("input").Raw)
		case "thinking":
			count(b.Get("thinking").Str)
		case "document", "file", "input_file":
			count(b.Raw)
		}
		return true
	})
}

// countItem counts the tokens of a Responses input item besides its
// content: a tool call's name and arguments, a tool's output, a reasoning
// summary. Encrypted reasoning is opaque, and left out.
func (r *Request) countItem(item gjson.Result, count func(string)) {
	switch item.Get("type").Str {
	case "function_call":
		count(item.Get("name").Str)
		count(item.Get("arguments").Str)
	case "custom_tool_call":
		count(item.Get("name").Str)
		count(item.Get("input").Str)
	case "function_call_output", "custom_tool_call_output":
		if out := item.Get("output"); out.Type == gjson.String {
			count(out.Str)
		} else {
			r.countBlocks(out, count)
		}
	case "reasoning":
		r.countBlocks(item.Get("summary"), count)
	}
}

// hasImageBlock reports whether any message (or tool result) holds an image.
func hasImageBlock(messages gjson.Result) bool {
	found := false
	var walk func(content gjson.Result)
	walk = func(content gjson.Result) {
		content.ForEach(func(_, b gjson.Result) bool {
			switch b.Get("type").Str {
			case "image", "image_url", "input_image":
				found = true
			case "tool_result":
				walk(b.Get("content"))
			}
			return !found
		})
	}
	messages.ForEach(func(_, m gjson.Result) bool {
		if c := m.Get("content"); c.IsArray() {
			walk(c)
		}
		if out := m.Get("output"); !found && out.IsArray() {
			walk(out) // a Responses tool's output
		}
		return !found
	})
	return found
}

// appendText writes the text of a string or an array of text blocks.
func appendText(b *strings.Builder, v gjson.Result) {
	if v.Type == gjson.String {
		if b.Len() > 0 && v.Str != "" {
			b.WriteByte('\n')
		}
		b.WriteString(v.Str)
		return
	}
	v.ForEach(func(_, blk gjson.Result) bool {
		if t := blk.Get("text"); t.Type == gjson.String {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(t.Str)
		}
		return true
	})
}

// rawText returns a string value's text, or the raw JSON of anything else,
// for counting.
func rawText(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
	}
	return v.Raw
}
