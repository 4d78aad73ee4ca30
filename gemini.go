package routex

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/transformer"
)

// Gemini names its endpoints by the model they run, in the path:
// POST /v1beta/models/{model}:generateContent, :streamGenerateContent and
// :countTokens, GET /v1beta/models and /v1beta/models/{model}; the same
// under /v1 (google.golang.org/genai's default) and /v1alpha.

// geminiVersions are the API versions Google serves the Gemini API under.
var geminiVersions = [...]string{"v1beta", "v1", "v1alpha"}

// isGeminiVersion reports whether seg names a Gemini API version.
func isGeminiVersion(seg string) bool {
	for _, v := range geminiVersions {
		if seg == v {
			return true
		}
	}
	return false
}

// geminiMethod splits a cleaned path ".../{version}/models/{model}:{method}"
// into its model and method. The model is one path segment.
func geminiMethod(p string) (model, method string, ok bool) {
	i := strings.LastIndex(p, "/models/")
	if i < 0 || !isGeminiVersion(p[strings.LastIndexByte(p[:i], '/')+1:i]) {
		return "", "", false
	}
	rest := p[i+len("/models/"):]
	j := strings.LastIndexByte(rest, ':')
	if j <= 0 || strings.IndexByte(rest[:j], '/') >= 0 {
		return "", "", false
	}
	return rest[:j], rest[j+1:], true
}

// classifyGemini reads a Gemini endpoint from a cleaned path: a method
// call on a model, or the model listing under v1beta (and under v1 when
// the caller is one of Google's clients, for OpenAI's /v1/models is the
// same path).
func classifyGemini(req *http.Request, p string) (endpoint, bool) {
	if !strings.Contains(p, "/models") {
		return 0, false
	}
	if _, method, ok := geminiMethod(p); ok {
		switch method {
		case "generateContent", "streamGenerateContent":
			return endpointGenerate, true
		case "countTokens":
			return endpointGeminiCount, true
		}
		return endpointPassthrough, true
	}
	if req.Method != http.MethodGet {
		return 0, false
	}
	// GET …/{version}/models or …/{version}/models/{model}.
	i := strings.LastIndex(p, "/models")
	if i < 0 {
		return 0, false
	}
	if tail := p[i+len("/models"):]; tail != "" && (tail[0] != '/' || strings.IndexByte(tail[1:], '/') >= 0) {
		return 0, false
	}
	switch version := p[strings.LastIndexByte(p[:i], '/')+1 : i]; {
	case version == "v1beta", version == "v1alpha":
		return endpointModels, true
	case version == "v1" && googleCaller(req):
		return endpointModels, true
	}
	return 0, false
}

// googleCaller reports whether req comes from one of Google's clients: it
// carries Google's API key header or key parameter, or its client header.
func googleCaller(req *http.Request) bool {
	return req.Header.Get("X-Goog-Api-Key") != "" || req.Header.Get("X-Goog-Api-Client") != "" ||
		strings.Contains(req.URL.RawQuery, "key=") && req.URL.Query().Has("key")
}

// geminiTarget reads a Gemini request's model and whether it streams from
// its path.
func geminiTarget(req *http.Request) (model string, stream bool) {
	if req == nil || req.URL == nil {
		return "", false
	}
	model, method, _ := geminiMethod(req.URL.Path)
	return model, method == "streamGenerateContent"
}

// geminiArray reports whether a Gemini caller asked for its stream as a
// JSON array: Google streams one unless alt=sse asks for events.
func geminiArray(req *http.Request) bool {
	// Read from the raw query: parsing it would build a map per stream.
	for q := req.URL.RawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if k, v, _ := strings.Cut(kv, "="); k == "alt" {
			return v != "sse"
		}
	}
	return true
}

// geminiUpstreamPath returns the path, below the channel's API version,
// that x's request goes to on a gemini channel for model, or "" when model
// cannot be put in a path.
func geminiUpstreamPath(x *exchange, model string) string {
	if x.ep == endpointGeminiCount {
		p := transformer.GeminiPath(model, false)
		if p == "" {
			return ""
		}
		return strings.TrimSuffix(p, ":generateContent") + ":countTokens"
	}
	return transformer.GeminiPath(model, x.r.Stream)
}

// geminiEndpoint maps a Gemini path onto a gemini channel's BaseURL: a
// BaseURL ending in an API version ("…/v1beta") keeps its own; otherwise
// the caller's version stays, or v1beta when the path names none.
func (rt *route) geminiEndpoint(p string) string {
	version := "/v1beta"
	if seg, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/"); ok && isGeminiVersion(seg) {
		version, p = "/"+seg, "/"+rest
	}
	if last := rt.basePath[strings.LastIndexByte(rt.basePath, '/')+1:]; isGeminiVersion(last) {
		return rt.basePath + p
	}
	return rt.basePath + version + p
}

// geminiThinking reports whether a thinkingConfig asks for thinking: any
// budget but 0 (-1 is the model's choice), a level, or thoughts included.
func geminiThinking(tc gjson.Result) bool {
	if !tc.IsObject() {
		return false
	}
	if b := tc.Get("thinkingBudget"); b.Exists() {
		return b.Int() != 0
	}
	return tc.Get("thinkingLevel").Str != "" || tc.Get("includeThoughts").Bool()
}

// geminiTools returns the names of a Gemini request's function
// declarations, and whether it offers Google Search.
func geminiTools(tools gjson.Result) (names []string, search bool) {
	tools.ForEach(func(_, t gjson.Result) bool {
		t.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "functionDeclarations", "function_declarations":
				v.ForEach(func(_, fd gjson.Result) bool {
					if n := fd.Get("name").Str; n != "" {
						names = append(names, n)
					}
					return true
				})
			case "googleSearch", "google_search", "googleSearchRetrieval", "google_search_retrieval":
				search = true
			}
			return true
		})
		return true
	})
	return names, search
}

// geminiUserText returns the text of a Gemini conversation's user turns,
// joined with "\n", and of its last one. A turn without a role is the
// user's, as Google takes it.
func geminiUserText(contents gjson.Result) (all, last string) {
	var b strings.Builder
	contents.ForEach(func(_, c gjson.Result) bool {
		if role := c.Get("role").Str; role != "" && role != "user" {
			return true
		}
		var t strings.Builder
		c.Get("parts").ForEach(func(_, p gjson.Result) bool {
			if txt := p.Get("text"); txt.Type == gjson.String && !p.Get("thought").Bool() {
				if t.Len() > 0 {
					t.WriteByte('\n')
				}
				t.WriteString(txt.Str)
			}
			return true
		})
		if t.Len() == 0 {
			return true
		}
		last = t.String()
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(last)
		return true
	})
	return b.String(), last
}

// geminiCountContents counts a Gemini conversation's tokens through count
// and returns the tokens it adds itself: each turn's framing and images.
func geminiCountContents(contents gjson.Result, count func(string)) int {
	n := 0
	contents.ForEach(func(_, c gjson.Result) bool {
		n += messageOverhead
		c.Get("parts").ForEach(func(_, p gjson.Result) bool {
			p.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "text":
					count(v.Str)
				case "functionCall", "function_call", "functionResponse", "function_response",
					"executableCode", "codeExecutionResult":
					count(v.Raw)
				case "inlineData", "inline_data", "fileData", "file_data":
					if mt := geminiMimeType(v); strings.HasPrefix(mt, "image/") {
						n += imageTokens
					} else if d := v.Get("data"); d.Type == gjson.String {
						// Base64 of a document: its text is about as long
						// as its decoded bytes.
						count(d.Str[:len(d.Str)*3/4])
					}
				}
				return true
			})
			return true
		})
		return true
	})
	return n
}

// geminiMimeType returns the mime type of inlineData or fileData.
func geminiMimeType(v gjson.Result) string {
	if mt := v.Get("mimeType"); mt.Exists() {
		return mt.Str
	}
	return v.Get("mime_type").Str
}

// geminiHasImage reports whether any part of a Gemini conversation holds
// an image.
func geminiHasImage(contents gjson.Result) bool {
	found := false
	contents.ForEach(func(_, c gjson.Result) bool {
		c.Get("parts").ForEach(func(_, p gjson.Result) bool {
			p.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "inlineData", "inline_data", "fileData", "file_data":
					found = strings.HasPrefix(geminiMimeType(v), "image/")
				}
				return !found
			})
			return !found
		})
		return !found
	})
	return found
}
