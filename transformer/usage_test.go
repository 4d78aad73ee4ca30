package transformer

import "testing"

func TestParseUsage(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		body string
		want Usage
		ok   bool
	}{
		{"anthropic", Anthropic,
			`{"usage":{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":30,"output_tokens":12}}`,
			Usage{Input: 100, CacheWrite: 50, CacheRead: 30, Output: 12}, true},
		{"chat cached and reasoning", OpenAI,
			`{"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":128}}}`,
			Usage{Input: 86, CacheRead: 1920, Output: 300, Reasoning: 128}, true},
		{"chat gateway cache writes", OpenAI,
			`{"usage":{"prompt_tokens":180,"completion_tokens":12,"prompt_tokens_details":{"cached_tokens":30},"cache_creation_input_tokens":50}}`,
			Usage{Input: 100, CacheRead: 30, CacheWrite: 50, Output: 12}, true},
		{"responses cached and reasoning", Responses,
			`{"object":"response","usage":{"input_tokens":2006,"input_tokens_details":{"cached_tokens":1920},"output_tokens":300,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2306}}`,
			Usage{Input: 86, CacheRead: 1920, Output: 300, Reasoning: 128}, true},
		{"responses cache writes", Responses,
			`{"usage":{"input_tokens":180,"input_tokens_details":{"cached_tokens":30,"cache_write_tokens":50},"output_tokens":12,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":192}}`,
			Usage{Input: 100, CacheRead: 30, CacheWrite: 50, Output: 12}, true},
		{"responses cached over input", Responses,
			`{"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":30},"output_tokens":1}}`,
			Usage{Input: 0, CacheRead: 30, Output: 1}, true},
		{"no usage", Responses, `{"object":"response","usage":null}`, Usage{}, false},
		{"not JSON", OpenAI, `oops`, Usage{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseUsage(tt.f, []byte(tt.body))
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseUsage = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestUsageMeter(t *testing.T) {
	tests := []struct {
		name   string
		f      Format
		events []Event
		want   Usage
		seen   bool
	}{
		{"responses completed", Responses, []Event{
			{Type: "response.created", Data: []byte(`{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","usage":null}}`)},
			{Type: "response.output_text.delta", Data: []byte(`{"type":"response.output_text.delta","sequence_number":1,"delta":"the \"usage\" is"}`)},
			{Type: "response.completed", Data: []byte(`{"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed",` +
				`"usage":{"input_tokens":2006,"input_tokens_details":{"cached_tokens":1920},"output_tokens":300,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":2306}}}`)},
		}, Usage{Input: 86, CacheRead: 1920, Output: 300, Reasoning: 128}, true},
		{"responses incomplete without event names", Responses, []Event{
			{Data: []byte(`{"type":"response.incomplete","response":{"status":"incomplete","usage":{"input_tokens":20,"output_tokens":2}}}`)},
		}, Usage{Input: 20, Output: 2}, true},
		{"responses failed", Responses, []Event{
			{Type: "response.failed", Data: []byte(`{"type":"response.failed","response":{"status":"failed","error":{"message":"x"},"usage":{"input_tokens":5,"output_tokens":0}}}`)},
		}, Usage{Input: 5}, true},
		{"responses no usage", Responses, []Event{
			{Type: "response.created", Data: []byte(`{"type":"response.created","response":{"usage":null}}`)},
		}, Usage{}, false},
		{"chat usage chunk with reasoning", OpenAI, []Event{
			{Data: []byte(`{"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}]}`)},
			{Data: []byte(`{"id":"c","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":50,"prompt_tokens_details":{"cached_tokens":10},"completion_tokens_details":{"reasoning_tokens":40}}}`)},
		}, Usage{Input: 20, CacheRead: 10, Output: 50, Reasoning: 40}, true},
		{"anthropic start and delta", Anthropic, []Event{
			{Type: "message_start", Data: []byte(`{"type":"message_start","message":{"usage":{"input_tokens":100,"cache_read_input_tokens":30,"output_tokens":1}}}`)},
			{Type: "message_delta", Data: []byte(`{"type":"message_delta","usage":{"input_tokens":0,"output_tokens":12}}`)},
		}, Usage{Input: 100, CacheRead: 30, Output: 12}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m UsageMeter
			for _, ev := range tt.events {
				m.Observe(tt.f, ev)
			}
			if m.Usage != tt.want || m.Seen() != tt.seen {
				t.Errorf("meter %+v seen %v, want %+v seen %v", m.Usage, m.Seen(), tt.want, tt.seen)
			}
		})
	}
}
