package transformer

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestBodyEdits(t *testing.T) {
	cases := []struct {
		name, opts string
		to         Format
		in, want   string
	}{
		{"maxtoken caps", `{"max":100}`, Anthropic, `{"max_tokens":64000}`, `{"max_tokens":100}`},
		{"maxtoken keeps lower", `{"max":100}`, Anthropic, `{"max_tokens":50}`, `{"max_tokens":50}`},
		{"maxtoken default", `{"default":4096}`, OpenAI, `{"model":"m"}`, `{"model":"m","max_tokens":4096}`},
		{"maxtoken caps openai's newer key", `["maxtoken",{"max":10}]`, OpenAI, `{"max_completion_tokens":99}`, `{"max_completion_tokens":10}`},
		{"sampling toward anthropic", ``, Anthropic, `{"temperature":1.7,"top_p":0.9,"top_k":5}`, `{"temperature":1,"top_k":5}`},
		{"sampling toward openai", ``, OpenAI, `{"temperature":1.7,"top_k":5}`, `{"temperature":1.7}`},
		{"sampling with options", `{"drop":["seed"],"maxTemperature":0.5}`, OpenAI, `{"temperature":0.9,"seed":1}`, `{"temperature":0.5}`},
		{"cleancache", ``, Anthropic,
			`{"system":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"cache_control","cache_control":{"type":"ephemeral"}}]}],"tools":[{"name":"t","cache_control":{}}]}`,
			`{"system":[{"type":"text","text":"a"}],"messages":[{"role":"user","content":[{"type":"text","text":"cache_control"}]}],"tools":[{"name":"t"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var spec Spec
			raw := tc.opts
			switch {
			case raw == "":
				raw = `"` + map[bool]string{true: "cleancache", false: "sampling"}[tc.name == "cleancache"] + `"`
			case raw[0] == '{':
				name := "maxtoken"
				if tc.name[:8] == "sampling" {
					name = "sampling"
				}
				raw = `{"name":"` + name + `","options":` + raw + `}`
			}
			if err := json.Unmarshal([]byte(raw), &spec); err != nil {
				t.Fatal(err)
			}
			ch, err := NewChain(tc.to, []Spec{{Name: string(tc.to)}, spec})
			if err != nil {
				t.Fatal(err)
			}
			got, err := ch.TransformRequest(&Conversion{To: tc.to}, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("output is not JSON: %s", got)
			}
			_ = json.Unmarshal([]byte(tc.want), &w)
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if string(gb) != string(wb) {
				t.Errorf("got  %s\nwant %s", gb, wb)
			}
		})
	}
}

func TestChainErrors(t *testing.T) {
	if _, err := NewChain(Anthropic, []Spec{{Name: "nope"}}); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := NewChain(Anthropic, []Spec{{Name: "openai"}}); err == nil {
		t.Error("a format name that contradicts the channel's type must be refused")
	}
	if _, err := NewChain(Anthropic, []Spec{{Name: "maxtoken"}}); err == nil {
		t.Error("maxtoken without options must be refused")
	}
	if _, err := NewChain(Anthropic, []Spec{{Name: "maxtoken", Options: json.RawMessage(`{"max":"x"}`)}}); err == nil {
		t.Error("bad options must be refused")
	}
}

func TestTestEntryPoint(t *testing.T) {
	out, err := Test("anthropic-to-openai", DirRequest, []byte(`{"model":"m","max_tokens":5,"system":"be brief","messages":[{"role":"user","content":"hi"}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Messages []struct{ Role string } `json:"messages"`
	}
	if err := json.Unmarshal(out, &v); err != nil || len(v.Messages) != 2 || v.Messages[0].Role != "system" {
		t.Fatalf("converted request: %s (%v)", out, err)
	}
	out, err = Test("cleancache", DirRequest, []byte(`{"a":{"cache_control":1},"b":2}`), nil)
	if err != nil || string(out) != `{"a":{},"b":2}` {
		t.Fatalf("cleancache: %s %v", out, err)
	}
	if _, err := Test("anthropic-to-openai", "sideways", []byte(`{}`), nil); err == nil {
		t.Error("unknown direction must be refused")
	}
	if _, err := Test("nope", DirRequest, []byte(`{}`), nil); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown transformer: %v", err)
	}
}
