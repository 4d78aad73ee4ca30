package routex_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/routex/routex"
)

// A Client is the Transport of an http.Client: requests go to the channels,
// whatever host they name.
func Example() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":3,"output_tokens":1}}`)
	}))
	defer upstream.Close()

	c, err := routex.New(routex.WithChannels(routex.Channel{
		ID: "primary", Type: routex.FormatAnthropic, BaseURL: upstream.URL, APIKey: "sk-ant-example",
	}))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	resp, err := c.HTTPClient().Post("http://api.anthropic.com/v1/messages", "application/json",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Routex-Channel"))
	// Output: 200 primary
}

// Rules send matching requests to a chosen channel, optionally under
// another model name; the rule that chose is reported in X-Routex-Rule.
func ExampleRule() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[]}`)
	}))
	defer upstream.Close()

	c, err := routex.New(
		routex.WithChannels(
			routex.Channel{ID: "cheap", Type: routex.FormatOpenAI, BaseURL: upstream.URL + "/v1"},
			routex.Channel{ID: "strong", Type: routex.FormatOpenAI, BaseURL: upstream.URL + "/v1", Priority: 1},
		),
		routex.WithRules(routex.Rule{
			ID:        "hard-questions",
			Condition: routex.Condition{Keywords: []string{"prove", "refactor"}},
			Target:    routex.Target{Channel: "strong", Model: "gpt-5"},
		}),
	)
	if err != nil {
		panic(err)
	}
	defer c.Close()

	for _, q := range []string{"what time is it", "Refactor this module"} {
		resp, err := c.HTTPClient().Post("http://x/v1/chat/completions", "application/json",
			strings.NewReader(fmt.Sprintf(`{"model":"gpt-5-mini","messages":[{"role":"user","content":%q}]}`, q)))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(q + " -> " + resp.Header.Get("X-Routex-Channel") + " " + resp.Header.Get("X-Routex-Rule")))
	}
	// Output:
	// what time is it -> cheap
	// Refactor this module -> strong hard-questions
}

// Invalid configuration is refused in New, naming the item and field.
func ExampleNew_invalidRule() {
	_, err := routex.New(routex.WithRules(routex.Rule{
		ID:        "broken",
		Condition: routex.Condition{UserPattern: "(unclosed"},
		Target:    routex.Target{Channel: "a"},
	}))
	fmt.Println(err)
	// Output: routex: rule "broken": condition.userPattern: error parsing regexp: missing closing ): `(unclosed`
}
