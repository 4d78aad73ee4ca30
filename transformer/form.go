package transformer

import "github.com/routex/routex/internal/jsonx"

// The intermediate form.
//
// Every wire format is a codec: it decodes its requests, responses, stream
// events and errors into the types below and encodes them from these types.
// A conversion from one format to another is the first format's decoder
// followed by the second's encoder, so each format is written once, and a
// new format is one new codec with its golden files. The same format on
// both sides is passed through untouched and never reaches the form.
//
// The form borrows from the body it was decoded from: its jsonx.Values are raw
// JSON cut out of that body (a string keeps its quotes and escapes), so text
// passes through without being unescaped and re-escaped. A form is valid only
// while its body is, and it is reused through pools: nothing may keep a
// reference to it after the conversion that filled it.
//
// Decoders are faithful: they keep what their format said, in the order it
// said it. Encoders adapt: each enforces its own format's rules (role
// alternation, where tool results go, which ids and names are valid, what
// may be empty) and drops what its format cannot express.

// role is who speaks a message.
type role uint8

// The roles of a conversation.
const (
	roleUser role = iota
	roleAssistant
	// roleSystem is an instruction placed in the conversation itself
	// (Chat's system and developer messages after the first user turn,
	// Claude Code's mid-conversation system messages). Instructions that
	// come before the conversation are formRequest.System.
	roleSystem
)

// blockKind says what a formPart holds.
type blockKind uint8

// The kinds of content a message, a response or a tool result holds.
const (
	// blockText is text: Text is a JSON string token.
	blockText blockKind = iota
	// blockImage is an image: see Source.
	blockImage
	// blockDocument is a document (a PDF, a text document): see Source.
	blockDocument
	// blockThinking is readable reasoning: Text is the thinking or the
	// reasoning summary, Signature what its producer needs to accept it
	// back (an Anthropic signature, OpenAI encrypted_content).
	blockThinking
	// blockRedacted is reasoning only its producer can read:
	// Signature holds the opaque data.
	blockRedacted
	// blockToolCall is a call of a tool the caller declared: ID, Name and
	// Input.
	blockToolCall
	// blockToolResult is the answer to a tool call: ID is the call's id,
	// Content the result.
	blockToolResult
	// blockRefusal is a model's refusal to answer: Text says why.
	blockRefusal
)

// mediaSource says where an image's or document's bytes are.
type mediaSource uint8

// The sources of images and documents.
const (
	srcNone mediaSource = iota
	// srcBase64: Data is the base64 string token, MediaType its type.
	srcBase64
	// srcURL: Data is the URL string token (https: or data:).
	srcURL
	// srcText: Data is the document's text, a string token.
	srcText
	// srcFileID: Data is a provider's file id, usable only there.
	srcFileID
	// srcContent: Content holds the document's parts.
	srcContent
)

// formPart is one piece of content. Which fields mean something depends on
// Kind; the rest are empty.
type formPart struct {
	Kind blockKind
	// Text is a string token: the text, thinking or refusal.
	Text jsonx.Value
	// Signature is the opaque data that lets Origin's providers accept
	// thinking back (blockThinking, blockRedacted). Encoders of any
	// other format drop it; the thinking's text may still go.
	Signature jsonx.Value
	// Origin is the format whose provider produced Signature.
	Origin Format
	// ID is a tool call's id (blockToolCall, blockToolResult), or a
	// reasoning item's id (blockThinking from the Responses API).
	ID jsonx.Value
	// Name is the called tool's name, as the caller declared it.
	Name jsonx.Value
	// Input is a tool call's arguments: a JSON object, or when InputString
	// is set a string token whose text is the arguments' JSON (or, for a
	// freeform call, the free text itself).
	Input       jsonx.Value
	InputString bool
	// Freeform marks a call of a freeform tool (toolFreeform).
	Freeform bool
	// Source, MediaType, Data, Title and Detail describe an image or a
	// document.
	Source    mediaSource
	MediaType jsonx.Value
	Data      jsonx.Value
	Title     jsonx.Value
	Detail    jsonx.Value
	// Content is a tool result's content, or a srcContent document's.
	Content []formPart
	// IsError marks a tool result that reports a failure.
	IsError bool
	// CacheControl is an Anthropic cache mark, an object, as given.
	CacheControl jsonx.Value
	// Citations are a text's citations, as Anthropic gives them.
	Citations jsonx.Value
}

// formMessage is one turn of a conversation. Tool results are parts of user
// messages, whatever shape the caller's format gave them.
type formMessage struct {
	role  role
	Parts []formPart
}

// toolKind says what kind of tool a formTool is.
type toolKind uint8

// The kinds of tools.
const (
	// toolFunction takes JSON arguments described by Schema.
	toolFunction toolKind = iota
	// toolFreeform takes free text (the Responses API's "custom" tools,
	// such as Codex's apply_patch). Formats without them carry it as a
	// function with one string parameter, "input".
	toolFreeform
	// toolBuiltin runs at the provider (web search, code execution…):
	// Type is its type token, Raw its whole definition. Only its own
	// format can carry it.
	toolBuiltin
)

// formTool is a tool the caller declares.
type formTool struct {
	Kind        toolKind
	Name        jsonx.Value
	Description jsonx.Value
	// Schema is a function's parameters, a JSON Schema object.
	Schema jsonx.Value
	Strict jsonx.Value
	// Grammar is a freeform tool's format object, as given.
	Grammar      jsonx.Value
	Type         jsonx.Value
	Raw          jsonx.Value
	CacheControl jsonx.Value
	// Origin is the format a builtin tool came from.
	Origin Format
}

// choiceMode is how the model must use tools.
type choiceMode uint8

// The tool choices.
const (
	choiceUnset choiceMode = iota
	choiceAuto
	// choiceAny requires some tool call.
	choiceAny
	choiceNone
	// choiceTool requires a call of formToolChoice.Name.
	choiceTool
)

// formToolChoice is the caller's tool choice.
type formToolChoice struct {
	Mode choiceMode
	Name jsonx.Value
}

// tri is a setting that may be unset.
type tri uint8

// The values of a tri.
const (
	triUnset tri = iota
	triTrue
	triFalse
)

// formReasoning is what the caller asked of the model's reasoning.
type formReasoning struct {
	// Effort is "", "minimal", "low", "medium", "high" or "xhigh" ("max"
	// reads as "xhigh"); "none" turns reasoning off.
	Effort string
	// Budget is a thinking budget in tokens, 0 when none was given.
	Budget int64
	// Disabled reports that the caller turned reasoning off.
	Disabled bool
	// Adaptive is Anthropic's {"type":"adaptive"}: the model decides.
	Adaptive bool
	// Summary is the Responses API's reasoning.summary token.
	Summary jsonx.Value
}

// formOutput is a structured output the caller asked for.
type formOutput struct {
	// Schema is a JSON Schema object; empty when none.
	Schema jsonx.Value
	Name   jsonx.Value
	Strict jsonx.Value
	// JSONObject asks for any JSON object (no schema).
	JSONObject bool
}

// formRequest is a request in the intermediate form.
type formRequest struct {
	Model        jsonx.Value
	Stream       bool
	IncludeUsage bool
	// System is the instructions before the conversation: text parts.
	System   []formPart
	Messages []formMessage
	Tools    []formTool
	Choice   formToolChoice
	// ParallelToolCalls is whether the model may call several tools at
	// once.
	ParallelToolCalls tri
	// MaxTokens is a number token, empty when no limit was given.
	MaxTokens jsonx.Value
	// Stop holds string tokens.
	Stop        []jsonx.Value
	Temperature jsonx.Value
	TopP        jsonx.Value
	TopK        jsonx.Value
	// User is a string token naming the end user.
	User jsonx.Value
	// Metadata is OpenAI's metadata object (not Anthropic's).
	Metadata       jsonx.Value
	Reasoning      formReasoning
	Output         formOutput
	PromptCacheKey jsonx.Value
	Store          jsonx.Value
	ServiceTier    jsonx.Value
}

// stopReason is why a model stopped.
type stopReason uint8

// The stop reasons.
const (
	stopEnd stopReason = iota
	stopMaxTokens
	stopToolUse
	stopSequence
	stopRefusal
	stopPause
	stopContextWindow
)

// formResponse is a complete answer in the intermediate form.
type formResponse struct {
	ID    jsonx.Value
	Model jsonx.Value
	// Content is what the model produced, in order: text, thinking,
	// redacted thinking, tool calls, refusals.
	Content      []formPart
	Stop         stopReason
	stopSequence jsonx.Value
	Usage        Usage
}

// eventKind says what a formEvent is.
type eventKind uint8

// The events of a stream in the intermediate form. A stream is Start, then
// for each block BlockStart, Delta*, BlockStop (blocks may interleave by
// Index), then Stop; an error may come at any point and ends it; Ping carries
// nothing.
const (
	eventStart eventKind = iota
	eventBlockStart
	eventDelta
	eventBlockStop
	eventStop
	eventError
	eventPing
)

// deltaKind says what a Delta event's Text adds to its block.
type deltaKind uint8

// The deltas.
const (
	deltaText deltaKind = iota
	deltaThinking
	deltaSignature
	// deltaInput is a fragment of a tool call's arguments (or of a
	// freeform call's text).
	deltaInput
	deltaCitation
	deltaRefusal
)

// formEvent is one event of a stream in the intermediate form.
type formEvent struct {
	Kind eventKind
	// Index is the block's position among the blocks of the answer,
	// counted from 0 in order of BlockStart.
	Index int
	// ID and Model are the answer's (eventStart).
	ID, Model jsonx.Value
	// Block is the block being started (eventBlockStart): its Kind, and a
	// tool call's ID, Name and Freeform.
	Block formPart
	// Delta and Text are what a Delta event adds: Text is a string token.
	Delta deltaKind
	Text  jsonx.Value
	// Stop and stopSequence end the answer (eventStop).
	Stop         stopReason
	stopSequence jsonx.Value
	// Usage is the usage known so far (eventStart, eventStop).
	Usage Usage
	// Err is an error event's error (eventError).
	Err formError
}

// errorKind classifies an error the way every format can say it.
type errorKind uint8

// The error types, named after Anthropic's.
const (
	errKindAPI errorKind = iota
	errKindInvalidRequest
	errKindAuthentication
	errKindPermission
	errKindNotFound
	errKindTooLarge
	errKindRateLimit
	errKindOverloaded
	errKindTimeout
)

// formError is an error answer in the intermediate form.
type formError struct {
	Status  int
	Type    errorKind
	Message string
	// Code and Param are OpenAI's error code and offending parameter, when
	// known.
	Code, Param string
}

// The codecs, one per format. Each is a stateless value whose methods,
// spread over files named after the format, decode into the form and
// encode from it; the stream side keeps its state in values it creates per
// stream.
type (
	anthropicCodec struct{}
	chatCodec      struct{}
	responsesCodec struct{}
	geminiCodec    struct{}
)

// Thinking from one format's provider, carried through a format that has
// no field for its signature, travels in the nearest opaque field that
// comes back untouched: a Responses reasoning item's encrypted_content. It
// is written as the prefix, the origin's one-letter name ('a' Anthropic),
// a kind letter ('t' thinking with a signature, 'r' redacted thinking), a
// colon, and the opaque data as it was. The Responses decoder recognises it
// and restores the thinking with its Origin, so that the signature goes back
// to its own provider and nowhere else.
const carriedPrefix = "rtx1:"
