package routex

import (
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzParseModelPage feeds provider listings of every format to the
// parser (modelPage hands it valid JSON only): it never panics, and
// finds models only in a list.
func FuzzParseModelPage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"gpt-4o","created":1715367049}]}`))
	f.Add([]byte(`[{"id":"m"}]`))
	f.Add([]byte(`{"data":[{"type":"model","id":"claude-x","created_at":"2025-01-01T00:00:00Z"}],"has_more":true,"last_id":"claude-x"}`))
	f.Add([]byte(`{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"p"}`))
	f.Add([]byte(`{"data":{"id":1},"has_more":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, format := range []Format{FormatOpenAI, FormatResponses, FormatAnthropic, FormatGemini} {
			models, next := parseModelPage(format, b)
			if format != FormatAnthropic && format != FormatGemini && next != "" {
				t.Errorf("%s: an OpenAI listing has no next page, got %q", format, next)
			}
			// A body that is JSON but holds no list holds no model.
			if gjson.ValidBytes(b) && !gjson.ParseBytes(b).IsArray() && !gjson.GetBytes(b, "data").IsArray() && !gjson.GetBytes(b, "models").IsArray() && len(models) > 0 {
				t.Errorf("%s: models read from a body with no list: %q", format, b)
			}
		}
	})
}
