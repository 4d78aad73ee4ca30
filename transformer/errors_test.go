package transformer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestConvertError(t *testing.T) {
	a2o := &Conversion{From: OpenAI, To: Anthropic} // Anthropic upstream, OpenAI caller
	o2a := &Conversion{From: Anthropic, To: OpenAI}
	a2r := &Conversion{From: Responses, To: Anthropic} // Anthropic upstream, Responses caller
	o2r := &Conversion{From: Responses, To: OpenAI}
	r2a := &Conversion{From: Anthropic, To: Responses}
	r2o := &Conversion{From: OpenAI, To: Responses}
	tests := []struct {
		name       string
		c          *Conversion
		status     int
		body       string
		wantStatus int
		want       string
	}{
		{"anthropic overloaded", a2o, 529,
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}`,
			503, `{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}`},
		{"anthropic rate limit", a2o, 429,
			`{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
			429, `{"error":{"message":"Number of request tokens has exceeded your per-minute rate limit","type":"rate_limit_error","param":null,"code":null}}`},
		{"anthropic prompt too long", a2o, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}`,
			400, `{"error":{"message":"prompt is too long: 208310 tokens > 200000 maximum","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}`},
		{"anthropic HTML gateway page", a2o, 502,
			"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>",
			502, `{"error":{"message":"upstream returned HTTP 502: 502 Bad Gateway 502 Bad Gateway","type":"api_error","param":null,"code":null}}`},

		{"openai auth", o2a, 401,
			`{"error":{"message":"Incorrect API key provided: sk-...abcd.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			401, `{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided: sk-...abcd."}}`},
		{"openai 503 → 529", o2a, 503,
			`{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`,
			529, `{"type":"error","error":{"type":"overloaded_error","message":"The engine is currently overloaded, please try again later"}}`},
		{"openai context length", o2a, 400,
			`{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens."}}`},
		{"openai user too long is not context", o2a, 400,
			`{"error":{"message":"Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 150 instead.","type":"invalid_request_error","param":"user","code":"string_above_max_length"}}`,
			400, `{"type":"error","error":{"type":"invalid_request_error","message":"Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 150 instead."}}`},
		{"openai 404", o2a, 404,
			`{"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}`,
			404, `{"type":"error","error":{"type":"not_found_error","message":"The model 'gpt-9' does not exist"}}`},
		{"openai 413", o2a, 413, `{"error":{"message":"Request too large"}}`,
			413, `{"type":"error","error":{"type":"request_too_large","message":"Request too large"}}`},
		{"openai 403", o2a, 403, `{"error":{"message":"Country not supported","code":"unsupported_country_region_territory"}}`,
			403, `{"type":"error","error":{"type":"permission_error","message":"Country not supported"}}`},
		{"openai 500", o2a, 500, `{"error":{"message":"The server had an error","type":"server_error"}}`,
			500, `{"type":"error","error":{"type":"api_error","message":"The server had an error"}}`},
		{"vllm shape", o2a, 400, `{"object":"error","message":"max_tokens must be at least 1","type":"BadRequestError","param":null,"code":400}`,
			400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens must be at least 1"}}`},
		{"fastapi detail", o2a, 422, `{"detail":"Unprocessable"}`,
			422, `{"type":"error","error":{"type":"invalid_request_error","message":"Unprocessable"}}`},
		{"error string", o2a, 429, `{"error":"Too many requests"}`,
			429, `{"type":"error","error":{"type":"rate_limit_error","message":"Too many requests"}}`},
		{"plain text", o2a, 504, "upstream request timeout\n",
			504, `{"type":"error","error":{"type":"api_error","message":"upstream returned HTTP 504: upstream request timeout"}}`},
		{"empty body", o2a, 502, ``,
			502, `{"type":"error","error":{"type":"api_error","message":"upstream returned HTTP 502"}}`},
		{"JSON without a message", o2a, 500, `{"status":"failed"}`,
			500, `{"type":"error","error":{"type":"api_error","message":"upstream returned HTTP 500: {\"status\":\"failed\"}"}}`},
		{"control characters and bad UTF-8", o2a, 502, "bad\x00\x1b[31m \xff gateway\n\n\tnow",
			502, `{"type":"error","error":{"type":"api_error","message":"upstream returned HTTP 502: bad [31m gateway now"}}`},

		{"a2r overloaded", a2r, 529,
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			503, `{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}`},
		{"a2r prompt too long", a2r, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}`,
			400, `{"error":{"message":"prompt is too long: 208310 tokens > 200000 maximum","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}`},
		{"a2r timeout type kept", a2r, 504,
			`{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}`,
			504, `{"error":{"message":"Request timed out","type":"timeout_error","param":null,"code":null}}`},
		{"o2r code and param kept", o2r, 400,
			`{"error":{"message":"Invalid 'user': string too long.","type":"invalid_request_error","param":"user","code":"string_above_max_length"}}`,
			400, `{"error":{"message":"Invalid 'user': string too long.","type":"invalid_request_error","param":"user","code":"string_above_max_length"}}`},
		{"o2r numeric code dropped", o2r, 400, `{"object":"error","message":"max_tokens must be at least 1","type":"BadRequestError","param":null,"code":400}`,
			400, `{"error":{"message":"max_tokens must be at least 1","type":"invalid_request_error","param":null,"code":null}}`},
		{"r2a rate limit", r2a, 429,
			`{"error":{"message":"Rate limit reached for gpt-5","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			429, `{"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached for gpt-5"}}`},
		{"r2a 503 → 529", r2a, 503, `{"error":{"message":"Overloaded","type":"server_error"}}`,
			529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		{"r2a context length", r2a, 400,
			`{"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}`,
			400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: Your input exceeds the context window of this model."}}`},
		{"r2o auth", r2o, 401,
			`{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			401, `{"error":{"message":"Incorrect API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}`},
		{"r2o HTML page", r2o, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
			502, `{"error":{"message":"upstream returned HTTP 502: 502 Bad Gateway","type":"api_error","param":null,"code":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ConvertError(tt.c, tt.status, []byte(tt.body))
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if !sameJSON(t, body, tt.want) {
				t.Errorf("body %s\nwant %s", body, tt.want)
			}
		})
	}
}

func TestConvertErrorSnippetBounded(t *testing.T) {
	long := strings.Repeat("é", 500) // two bytes a rune: a cut mid-rune would show
	_, body := ConvertError(&Conversion{From: Anthropic, To: OpenAI}, 502, []byte(long))
	msg := gjson.GetBytes(body, "error.message").Str
	snippet := strings.TrimPrefix(msg, "upstream returned HTTP 502: ")
	if len(snippet) > maxErrorSnippet || len(snippet) < maxErrorSnippet-1 || strings.ContainsRune(snippet, '\uFFFD') {
		t.Errorf("snippet of %d bytes: %q", len(snippet), snippet)
	}
}

func TestConvertErrorPassThrough(t *testing.T) {
	body := []byte("<html>oops</html>")
	for _, c := range []*Conversion{nil, {From: OpenAI, To: OpenAI}, {From: Anthropic, To: Anthropic}, {From: Responses, To: Responses}} {
		status, out := ConvertError(c, 529, body)
		if status != 529 || string(out) != string(body) {
			t.Errorf("ConvertError(%v) = %d %q, want 529 and the body unchanged", c, status, out)
		}
	}
}

func TestErrorBody(t *testing.T) {
	got := ErrorBody(Anthropic, 400, `messages: "bad"`)
	if !sameJSON(t, got, `{"type":"error","error":{"type":"invalid_request_error","message":"messages: \"bad\""}}`) {
		t.Errorf("Anthropic: %s", got)
	}
	got = ErrorBody(OpenAI, 429, "slow down")
	if !sameJSON(t, got, `{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}`) {
		t.Errorf("OpenAI: %s", got)
	}
	got = ErrorBody(Responses, 404, "no such endpoint")
	if !sameJSON(t, got, `{"error":{"message":"no such endpoint","type":"not_found_error","param":null,"code":null}}`) {
		t.Errorf("Responses: %s", got)
	}
}

func TestAnthropicErrorType(t *testing.T) {
	for status, want := range map[int]string{
		400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
		404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
		529: "overloaded_error", 503: "overloaded_error", 409: "invalid_request_error", 502: "api_error",
	} {
		if got := AnthropicErrorType(status); got != want {
			t.Errorf("AnthropicErrorType(%d) = %q, want %q", status, got, want)
		}
	}
}

func FuzzConvertError(f *testing.F) {
	f.Add(529, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`), true)
	f.Add(502, []byte("<html>\xff</html>"), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, toOpenAI bool) {
		// The status picks one of the six directions.
		pairs := [...][2]Format{{Anthropic, OpenAI}, {OpenAI, Anthropic}, {Responses, Anthropic},
			{Responses, OpenAI}, {Anthropic, Responses}, {OpenAI, Responses}}
		p := pairs[(status&0xff)%len(pairs)]
		c := &Conversion{From: p[0], To: p[1]}
		if toOpenAI && p[0] == Anthropic {
			c.From, c.To = c.To, c.From
		}
		_, out := ConvertError(c, status, body)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		if gjson.GetBytes(out, "error.message").Str == "" {
			t.Fatalf("no message: %s", out)
		}
	})
}
