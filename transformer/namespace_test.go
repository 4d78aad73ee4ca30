package transformer

import (
	"testing"

	"github.com/tidwall/gjson"
)

// Codex declares some tools inside a namespace and offers a tool search it
// runs itself. Toward formats without either, the namespace's functions go
// flat and come back with their namespace; the client's tool search is
// left out rather than refused.
func TestResponsesNamespaceAndClientToolSearch(t *testing.T) {
	req := `{"model":"m","input":"hi","tools":[
		{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},
		{"type":"namespace","name":"multi_agent_v1","description":"agents","tools":[
			{"type":"function","name":"close_agent","description":"Close one","parameters":{"type":"object","properties":{"id":{"type":"string"}}}}]},
		{"type":"tool_search","execution":"client","description":"Find tools"}]}`
	for _, to := range []Format{Anthropic, OpenAI} {
		out, c, err := ConvertRequest(Responses, to, []byte(req))
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		names := gjson.GetBytes(out, "tools.#.name").String() + gjson.GetBytes(out, "tools.#.function.name").String()
		if want := `["exec_command","close_agent"]`; names != want && names != want+"[]" && names != "[]"+want {
			t.Errorf("%s: tools %s, want %s", to, names, want)
		}
		if got := c.Namespace("close_agent"); got != "multi_agent_v1" {
			t.Errorf("%s: namespace %q", to, got)
		}
		if c.Namespace("exec_command") != "" {
			t.Errorf("%s: exec_command has no namespace", to)
		}
	}

	_, c, err := ConvertRequest(Responses, Anthropic, []byte(req))
	if err != nil {
		t.Fatal(err)
	}
	answer := `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"toolu_1","name":"close_agent","input":{"id":"a1"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`
	out, err := ConvertResponse(c, []byte(answer))
	if err != nil {
		t.Fatal(err)
	}
	call := gjson.GetBytes(out, `output.#(type=="function_call")`)
	if call.Get("name").Str != "close_agent" || call.Get("namespace").Str != "multi_agent_v1" {
		t.Errorf("call %s, want close_agent in multi_agent_v1", call.Raw)
	}

	if _, _, err := ConvertRequest(Responses, Anthropic, []byte(`{"model":"m","input":"hi","tools":[{"type":"tool_search"}]}`)); err == nil {
		t.Error("a tool search run at OpenAI is refused toward Anthropic")
	}
}
