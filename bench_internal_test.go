package routex

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchBody builds an Anthropic request of about size bytes: a system
// prompt, tools and a conversation, the shape coding agents send.
func benchBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":4096,"stream":true,"metadata":{"user_id":"user-42"},`)
	b.WriteString(`"system":[{"type":"text","text":"You are a careful coding assistant. Answer briefly.","cache_control":{"type":"ephemeral"}}],`)
	b.WriteString(`"tools":[{"name":"read_file","description":"Read a file from the workspace","input_schema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}],`)
	b.WriteString(`"messages":[`)
	turn := 0
	for b.Len() < size-200 {
		if turn > 0 {
			b.WriteByte(',')
		}
		role := "user"
		if turn%2 == 1 {
			role = "assistant"
		}
		fmt.Fprintf(&b, `{"role":%q,"content":[{"type":"text","text":"Turn %d: please look at the function parseConfig in config.go and explain why the timeout is ignored when the value is zero; then suggest a fix."}]}`, role, turn)
		turn++
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func benchClient(b *testing.B) *Client {
	c, err := New(
		WithChannels(
			Channel{ID: "a", Type: FormatAnthropic, BaseURL: "http://127.0.0.1:1", Models: []string{"claude-*"}, Weight: 3},
			Channel{ID: "b", Type: FormatAnthropic, BaseURL: "http://127.0.0.1:2", Models: []string{"claude-sonnet-4-5", "claude-opus-4-5"}, Weight: 1},
			Channel{ID: "c", Type: FormatOpenAI, BaseURL: "http://127.0.0.1:3"},
		),
		WithRules(
			Rule{ID: "opus", Priority: 3, Condition: Condition{ModelPattern: "claude-opus-*"}, Target: Target{Channel: "b"}},
			Rule{ID: "vision", Priority: 2, Condition: Condition{HasImages: Bool(true)}, Target: Target{Channel: "b"}},
			Rule{ID: "big", Priority: 1, Condition: Condition{TokenThreshold: 100_000, ModelPattern: "claude-haiku-*"}, Target: Target{Channel: "b"}},
		),
		WithStrategy("weighted"),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkRoutingDecision measures what routex adds before the first byte
// goes upstream: parsing the body, rules, candidates and the balancer.
func BenchmarkRoutingDecision(b *testing.B) {
	for _, size := range []int{2 << 10, 200 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			c := benchClient(b)
			body := benchBody(size)
			req := httptest.NewRequest("POST", "/v1/messages", nil)
			req.Header.Set("X-Session-Id", "")
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := parseRequest(FormatAnthropic, body, req, c.s.counter)
				if err != nil {
					b.Fatal(err)
				}
				x := exchangePool.Get().(*exchange)
				*x = exchange{req: req, r: r, cfg: c.cfg.Load(), routes: x.routes[:0], cands: x.cands[:0]}
				if rf := c.plan(x); rf != nil {
					b.Fatal(rf)
				}
				if len(x.routes) != 2 {
					b.Fatalf("routes = %d", len(x.routes))
				}
				x.req, x.r, x.cfg, x.rule = nil, nil, nil, nil
				exchangePool.Put(x)
			}
		})
	}
}
