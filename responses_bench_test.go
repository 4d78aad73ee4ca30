package routex_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/routex/routex"
)

// BenchmarkResponsesRequest sends a Codex-like Responses API request of
// about 2 KB (instructions, tools, a conversation with a tool round trip,
// "store":false) through the Client to a Responses channel on a local
// upstream: the whole pipeline, the response chain's reading of the body
// included.
func BenchmarkResponsesRequest(b *testing.B) {
	_, c := benchClient(b, routex.FormatResponses)
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-5-codex","instructions":"You are Codex, a coding agent. Be concise.","prompt_cache_key":"0199a7c2-conv",`)
	sb.WriteString(`"reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],"store":false,`)
	sb.WriteString(`"tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}}}],`)
	sb.WriteString(`"input":[`)
	for i := 0; sb.Len() < 2<<10-300; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		call := `"call_` + string(rune('a'+i)) + `"`
		sb.WriteString(`{"type":"message","role":"user","content":[{"type":"input_text","text":"Look at parseConfig in config.go and explain why the timeout is ignored."}]},`)
		sb.WriteString(`{"type":"function_call","call_id":` + call + `,"name":"shell","arguments":"{\"command\":[\"sed\",\"-n\",\"1,80p\",\"config.go\"]}"},`)
		sb.WriteString(`{"type":"function_call_output","call_id":` + call + `,"output":"func parseConfig() {}"}`)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())

	header := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer k"}}
	benchRoundTrips(b, c, "http://routex.invalid/v1/responses", header, body)
}
