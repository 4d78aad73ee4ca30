package transformer

import "github.com/tidwall/gjson"

// The readers below gather the members of one JSON object the converters
// need in a single pass. gjson's Get rescans an object from its start for
// every key it looks up, skipping every value in between; one ForEach per
// object avoids that. The structs stay small because a conversion reads
// one per content block.

// contentBlock is an Anthropic message or content block.
type contentBlock struct {
	typ, role string
	isError   bool
	text, thinking, id, name, input,
	content, source, title, toolUseID gjson.Result
}

func (b *contentBlock) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			b.typ = x.Str
		case "role":
			b.role = x.Str
		case "text":
			b.text = x
		case "thinking":
			b.thinking = x
		case "id":
			b.id = x
		case "name":
			b.name = x
		case "input":
			b.input = x
		case "content":
			b.content = x
		case "source":
			b.source = x
		case "title":
			b.title = x
		case "tool_use_id":
			b.toolUseID = x
		case "is_error":
			b.isError = x.Type == gjson.True
		}
		return true
	})
}

// sourceBlock is the source of an Anthropic image or document.
type sourceBlock struct {
	typ                           string
	mediaType, data, url, content gjson.Result
}

func (s *sourceBlock) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			s.typ = x.Str
		case "media_type":
			s.mediaType = x
		case "data":
			s.data = x
		case "url":
			s.url = x
		case "content":
			s.content = x
		}
		return true
	})
}

// toolDef is a tool definition in either format, or an OpenAI function.
type toolDef struct {
	typ                                   string
	name, description, schema, strict, fn gjson.Result
	arguments                             gjson.Result
}

func (t *toolDef) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			t.typ = x.Str
		case "name":
			t.name = x
		case "description":
			t.description = x
		case "input_schema", "parameters":
			t.schema = x
		case "strict":
			t.strict = x
		case "function":
			t.fn = x
		case "arguments":
			t.arguments = x
		}
		return true
	})
}

// openAIMessage is an OpenAI message.
type openAIMessage struct {
	role                                     string
	content, toolCalls, functionCall, callID gjson.Result
}

func (m *openAIMessage) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "role":
			m.role = x.Str
		case "content":
			m.content = x
		case "tool_calls":
			m.toolCalls = x
		case "function_call":
			m.functionCall = x
		case "tool_call_id":
			m.callID = x
		}
		return true
	})
}

// openAIPart is an OpenAI content part, or a tool call.
type openAIPart struct {
	typ                               string
	text, refusal, imageURL, file, id gjson.Result
	function                          gjson.Result
}

func (p *openAIPart) read(v gjson.Result) {
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			p.typ = x.Str
		case "text":
			p.text = x
		case "refusal":
			p.refusal = x
		case "image_url":
			p.imageURL = x
		case "file":
			p.file = x
		case "id":
			p.id = x
		case "function":
			p.function = x
		}
		return true
	})
}
