package transformer_test

import (
	"fmt"

	"github.com/routex/routex/transformer"
)

func ExampleConvertRequest() {
	body := []byte(`{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be brief.",
		"messages":[{"role":"user","content":"Hi"}]}`)
	out, conv, err := transformer.ConvertRequest(transformer.Anthropic, transformer.OpenAI, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	fmt.Println(conv.Model)
	// Output:
	// {"model":"claude-sonnet-4-5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_completion_tokens":256}
	// claude-sonnet-4-5
}

func ExampleConvertResponse() {
	// An Anthropic caller answered by an OpenAI upstream.
	conv := &transformer.Conversion{From: transformer.Anthropic, To: transformer.OpenAI, Model: "claude-sonnet-4-5"}
	reply := []byte(`{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o",
		"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,"annotations":[]},
		"logprobs":null,"finish_reason":"stop"}],
		"usage":{"prompt_tokens":180,"completion_tokens":12,"prompt_tokens_details":{"cached_tokens":30}}}`)
	out, err := transformer.ConvertResponse(conv, reply)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	// Output:
	// {"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":150,"cache_creation_input_tokens":0,"cache_read_input_tokens":30,"output_tokens":12}}
}

func ExampleConvertError() {
	conv := &transformer.Conversion{From: transformer.OpenAI, To: transformer.Anthropic}
	status, body := transformer.ConvertError(conv, 529,
		[]byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	fmt.Println(status, string(body))
	// Output:
	// 503 {"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}
}

func ExampleErrorBody() {
	// routex refusing a Responses API caller answers in that caller's shape.
	fmt.Println(string(transformer.ErrorBody(transformer.Responses, 404, "routex does not serve this endpoint")))
	// Output:
	// {"error":{"message":"routex does not serve this endpoint","type":"not_found_error","param":null,"code":null}}
}
