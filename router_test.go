package routex_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/breaker"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/storage/memory"
	"github.com/routex/routex/transformer"
)

// post sends body to path through c and returns the response with its body
// read.
func post(t *testing.T, c *routex.Client, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://routex.invalid"+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

const anthropicPath, openaiPath = "/v1/messages", "/v1/chat/completions"

func anthropicBody(model, text string) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":64,"messages":[{"role":"user","content":%q}]}`, model, text)
}

func TestRulesRouteByEveryCondition(t *testing.T) {
	def, special := mock(t, "default"), mock(t, "special")
	defCh := channel("default", routex.FormatAnthropic, def)
	spCh := channel("special", routex.FormatAnthropic, special)
	spCh.Priority = 5 // the balancer alone never picks it first

	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 400) // ≈ 4 000 tokens
	cases := []struct {
		name   string
		cond   routex.Condition
		match  string // body that matches
		miss   string // body that does not
		header []string
	}{
		{"tokenThreshold", routex.Condition{TokenThreshold: 2000},
			anthropicBody("claude-x", long), anthropicBody("claude-x", "short"), nil},
		{"keywords", routex.Condition{Keywords: []string{"refactor", "DEBUG"}},
			anthropicBody("claude-x", "please Debug this"), anthropicBody("claude-x", "hello"), nil},
		{"userPattern", routex.Condition{UserPattern: `(?i)\bticket-\d+\b`},
			anthropicBody("claude-x", "fix TICKET-42 now"), anthropicBody("claude-x", "fix it now"), nil},
		{"modelPattern glob", routex.Condition{ModelPattern: "claude-opus-*"},
			anthropicBody("claude-opus-4-5", "hi"), anthropicBody("claude-sonnet-4-5", "hi"), nil},
		{"modelPattern regexp", routex.Condition{ModelPattern: `/^claude-(opus|haiku)/`},
			anthropicBody("claude-haiku-4-5", "hi"), anthropicBody("claude-sonnet-4-5", "hi"), nil},
		{"hasTools", routex.Condition{HasTools: routex.Bool(true)},
			`{"model":"claude-x","max_tokens":9,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}`,
			anthropicBody("claude-x", "hi"), nil},
		{"hasImages", routex.Condition{HasImages: routex.Bool(true)},
			`{"model":"claude-x","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"what is this"}]}]}`,
			anthropicBody("claude-x", "hi"), nil},
		{"thinking", routex.Condition{Thinking: routex.Bool(true)},
			`{"model":"claude-x","max_tokens":9000,"thinking":{"type":"enabled","budget_tokens":4000},"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"claude-x","max_tokens":9,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"hi"}]}`, nil},
		{"webSearch", routex.Condition{WebSearch: routex.Bool(true)},
			`{"model":"claude-x","max_tokens":9,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],"messages":[{"role":"user","content":"news?"}]}`,
			`{"model":"claude-x","max_tokens":9,"tools":[{"name":"calc","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}`, nil},
		{"custom", routex.Condition{Custom: "vip"},
			anthropicBody("claude-x", "I am a VIP"), anthropicBody("claude-x", "hello"), nil},
	}
	vip := routex.MatcherFunc(func(r *routex.Request) (bool, error) { return strings.Contains(r.UserText(), "VIP"), nil })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, routex.WithChannels(defCh, spCh), routex.WithCondition("vip", vip),
				routex.WithRules(routex.Rule{ID: "r-" + tc.name, Condition: tc.cond, Target: routex.Target{Channel: "special"}}))
			resp, body := post(t, c, anthropicPath, tc.match, tc.header...)
			require.Equal(t, 200, resp.StatusCode, body)
			assert.Equal(t, "special", channelOf(resp))
			assert.Equal(t, "r-"+tc.name, resp.Header.Get("X-Routex-Rule"))

			resp, body = post(t, c, anthropicPath, tc.miss, tc.header...)
			require.Equal(t, 200, resp.StatusCode, body)
			assert.Equal(t, "default", channelOf(resp))
			assert.Empty(t, resp.Header.Get("X-Routex-Rule"))
		})
	}

	t.Run("header", func(t *testing.T) {
		c := newClient(t, routex.WithChannels(defCh, spCh), routex.WithRules(routex.Rule{ID: "team",
			Condition: routex.Condition{Header: &routex.HeaderCondition{Name: "x-team", Pattern: "^research$"}},
			Target:    routex.Target{Channel: "special"}}))
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Team", "research")
		assert.Equal(t, "special", channelOf(resp))
		resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Team", "sales")
		assert.Equal(t, "default", channelOf(resp))
	})

	t.Run("go matcher, model rewrite and priority order", func(t *testing.T) {
		c := newClient(t, routex.WithChannels(defCh, spCh), routex.WithRules(
			routex.Rule{ID: "low", Priority: 1, Condition: routex.Condition{Keywords: []string{"x"}}, Target: routex.Target{Channel: "default"}},
			routex.Rule{ID: "high", Priority: 9, Matcher: routex.MatcherFunc(func(r *routex.Request) (bool, error) {
				return r.Stream == false && r.Format == routex.FormatAnthropic, nil
			}), Target: routex.Target{Channel: "special", Model: "claude-opus-4-5"}},
		))
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "x"))
		assert.Equal(t, "high", resp.Header.Get("X-Routex-Rule"))
		assert.Contains(t, string(special.Last().Body), `"model":"claude-opus-4-5"`)
	})

	t.Run("unavailable target falls back to the balancer", func(t *testing.T) {
		c := newClient(t, routex.WithChannels(defCh, spCh), routex.WithBreaker(breaker.Settings{FailureThreshold: 1}),
			routex.WithRules(routex.Rule{ID: "kw", Condition: routex.Condition{Keywords: []string{"go"}}, Target: routex.Target{Channel: "special"}}))
		special.Always(mockupstream.Behavior{Status: 500})
		defer special.Behave(nil)
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "go"))
		assert.Equal(t, "default", channelOf(resp), "failed over after the rule's target failed")
		calls := special.Calls()
		resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "go"))
		assert.Equal(t, "default", channelOf(resp))
		assert.Empty(t, resp.Header.Get("X-Routex-Rule"), "the rule's target is open: the balancer chose")
		assert.Equal(t, calls, special.Calls())
	})
}

func TestInvalidRulesAreRefused(t *testing.T) {
	up := mock(t, "a")
	cases := []struct {
		rule  routex.Rule
		field string
	}{
		{routex.Rule{ID: "", Target: routex.Target{Channel: "a"}}, "id"},
		{routex.Rule{ID: "r1"}, "target.channel"},
		{routex.Rule{ID: "r2", Condition: routex.Condition{UserPattern: "("}, Target: routex.Target{Channel: "a"}}, "condition.userPattern"},
		{routex.Rule{ID: "r3", Condition: routex.Condition{ModelPattern: "/[/"}, Target: routex.Target{Channel: "a"}}, "condition.modelPattern"},
		{routex.Rule{ID: "r4", Condition: routex.Condition{Header: &routex.HeaderCondition{Name: "x", Pattern: "+"}}, Target: routex.Target{Channel: "a"}}, "condition.header.pattern"},
		{routex.Rule{ID: "r5", Condition: routex.Condition{Custom: "nope"}, Target: routex.Target{Channel: "a"}}, "condition.custom"},
		{routex.Rule{ID: "r6", Condition: routex.Condition{Keywords: []string{" "}}, Target: routex.Target{Channel: "a"}}, "condition.keywords"},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			_, err := routex.New(routex.WithChannels(channel("a", routex.FormatAnthropic, up)), routex.WithRules(tc.rule))
			var ce *routex.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "rule", ce.Kind)
			assert.Equal(t, tc.rule.ID, ce.ID)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
	t.Run("channel", func(t *testing.T) {
		_, err := routex.New(routex.WithChannels(routex.Channel{ID: "x", Type: "grpc", BaseURL: "http://h"}))
		var ce *routex.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "type", ce.Field)
		assert.Contains(t, err.Error(), `"x"`)
	})
}

func TestRefusalsInCallersFormat(t *testing.T) {
	up := mock(t, "a")
	ch := channel("a", routex.FormatAnthropic, up)
	ch.Models = []string{"claude-*"}
	oc := channel("o", routex.FormatOpenAI, up)
	oc.Models = []string{"gpt-*"}
	c := newClient(t, routex.WithChannels(ch, oc), routex.WithMaxBodyBytes(1024))
	cases := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"malformed json anthropic", anthropicPath, `{"model":`, 400, `"type":"error"`},
		{"malformed json openai", openaiPath, `{"model": nope}`, 400, `"error":{"message"`},
		{"not an object", openaiPath, `[1,2]`, 400, `must be a JSON object`},
		{"empty body", anthropicPath, ``, 400, `empty`},
		{"missing model", anthropicPath, `{"max_tokens":1,"messages":[]}`, 400, `no \"model\"`},
		{"unknown model anthropic", anthropicPath, anthropicBody("llama-3", "hi"), 404, `not_found_error`},
		{"unknown model openai", openaiPath, `{"model":"llama-3","messages":[]}`, 404, `model_not_found`},
		{"too large", anthropicPath, anthropicBody("claude-x", strings.Repeat("a", 2000)), 413, `request_too_large`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := up.Calls()
			resp, body := post(t, c, tc.path, tc.body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Contains(t, body, tc.want)
			assert.True(t, json.Valid([]byte(body)), body)
			assert.Equal(t, "false", resp.Header.Get("X-Should-Retry"))
			assert.Equal(t, calls, up.Calls(), "refused requests never reach an upstream")
		})
	}
}

// Buffered answers state their length, converted or not, answered by a
// channel or refused, so that a server passing them on need not chunk them.
func TestBufferedAnswersHaveContentLength(t *testing.T) {
	up := mock(t, "a")
	a := channel("a", routex.FormatAnthropic, up)
	a.Models = []string{"claude-*"}
	o := channel("o", routex.FormatOpenAI, up)
	o.Models = []string{"gpt-*"}
	c := newClient(t, routex.WithChannels(a, o))
	for _, tc := range []struct{ name, path, body string }{
		{"same format", anthropicPath, anthropicBody("claude-x", "hi")},
		{"converted", anthropicPath, anthropicBody("gpt-4o", "hi")},
		{"refused", anthropicPath, `{"model":`},
		{"unknown model", openaiPath, `{"model":"llama","messages":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, c, tc.path, tc.body)
			assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
			assert.Equal(t, int64(len(body)), resp.ContentLength)
		})
	}
}

// A client's request whose body has no known length (ContentLength 0 with
// a Body) is read to its end, not taken for empty.
func TestBodyOfUnknownLength(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	req, err := http.NewRequest(http.MethodPost, "http://routex.invalid"+anthropicPath,
		io.MultiReader(strings.NewReader(anthropicBody("claude-x", "hi"))))
	require.NoError(t, err)
	require.Zero(t, req.ContentLength)
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

// A body nested deeper than any real request is refused like other bad
// JSON, however deep: validation keeps its own stack, not the goroutine's.
func TestDeeplyNestedBodyRefused(t *testing.T) {
	up := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	for _, depth := range []int{10_001, 4 << 20} {
		body := `{"model":"claude-x","messages":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		resp, got := post(t, c, anthropicPath, body)
		assert.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, got, "nesting too deep")
	}
	assert.Zero(t, up.Calls())
}

func TestNonRetryableStatusReturnsAtOnce(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	a.Always(mockupstream.Behavior{Status: 400})
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), bc))
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, body, "mock a status 400")
	assert.Equal(t, 0, b.Calls())
}

func TestAllAttemptsFail(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	a.Always(mockupstream.Behavior{Reset: true})
	b.Always(mockupstream.Behavior{Status: 503, Header: map[string]string{"Retry-After": "7"}})
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), channel("b", routex.FormatAnthropic, b)),
		routex.WithStrategy("priority"))
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 503, resp.StatusCode, "the last upstream error, as the upstream said it")
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))
	assert.Contains(t, body, "mock b status 503")

	a.Always(mockupstream.Behavior{Status: 503})
	b.Always(mockupstream.Behavior{Reset: true})
	resp, body = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 502, resp.StatusCode)
	assert.Contains(t, body, `"type":"error"`)
	assert.Contains(t, body, "all 2 upstream attempts failed")
	assert.NotContains(t, body, "secret", "no key in the message")
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	clock := newFakeClock()
	a, b := mock(t, "a"), mock(t, "b")
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	var mu sync.Mutex
	var changes []string
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), bc), routex.WithClock(clock.Now),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 3, CoolDown: time.Minute, OnStateChange: func(k string, from, to breaker.State) {
			mu.Lock()
			changes = append(changes, k+":"+to.String())
			mu.Unlock()
		}}))
	a.Always(mockupstream.Behavior{Status: 500})
	for i := 0; i < 3; i++ {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		require.Equal(t, "b", channelOf(resp))
	}
	require.Equal(t, 3, a.Calls())
	assert.Equal(t, breaker.Open, statusOf(c, "a").Breaker)

	for i := 0; i < 5; i++ {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		require.Equal(t, "b", channelOf(resp))
	}
	assert.Equal(t, 3, a.Calls(), "an open breaker keeps traffic off the channel")

	a.Behave(nil) // healed
	clock.Advance(61 * time.Second)
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "a", channelOf(resp), "the half-open probe goes to a")
	assert.Equal(t, breaker.Closed, statusOf(c, "a").Breaker)
	mu.Lock()
	assert.Equal(t, []string{"a:open", "a:half-open", "a:closed"}, changes)
	mu.Unlock()
}

func TestDeadKeyOpensBreaker(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	a.Always(mockupstream.Behavior{Status: 401})
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), bc), routex.WithBreaker(breaker.Settings{FailureThreshold: 2}))
	for i := 0; i < 2; i++ {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 401, resp.StatusCode, "a 401 is returned as it is")
	}
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 200, resp.StatusCode, "then the dead key is out of rotation")
	assert.Equal(t, "b", channelOf(resp))
}

func statusOf(c *routex.Client, id string) routex.ChannelStatus {
	for _, s := range c.Status() {
		if s.ID == id {
			return s
		}
	}
	return routex.ChannelStatus{}
}

func TestRateLimitCoolDown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		wait   time.Duration
	}{
		{"retry-after", map[string]string{"Retry-After": "30"}, 429, 30 * time.Second},
		{"anthropic unified reset", map[string]string{"anthropic-ratelimit-unified-reset": "UNIX+45"}, 429, 45 * time.Second},
		{"openai reset", map[string]string{"x-ratelimit-reset-requests": "20s", "x-ratelimit-remaining-requests": "0"}, 429, 20 * time.Second},
		{"529 without header", nil, 529, 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			a, b := mock(t, "a"), mock(t, "b")
			h := map[string]string{}
			for k, v := range tc.header {
				h[k] = strings.ReplaceAll(v, "UNIX+45", fmt.Sprint(clock.Now().Add(45*time.Second).Unix()))
			}
			a.Behave(func(n int, _ *mockupstream.Request) mockupstream.Behavior {
				if n == 1 {
					return mockupstream.Behavior{Status: tc.status, Header: h}
				}
				return mockupstream.Behavior{}
			})
			bc := channel("b", routex.FormatAnthropic, b)
			bc.Priority = 1
			c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), bc), routex.WithClock(clock.Now))
			resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, "b", channelOf(resp))
			assert.WithinDuration(t, clock.Now().Add(tc.wait), statusOf(c, "a").RateLimitedUntil, 0)
			clock.Advance(tc.wait - time.Second)
			resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, "b", channelOf(resp), "still cooling down")
			assert.Equal(t, 1, a.Calls())
			clock.Advance(2 * time.Second)
			resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
			assert.Equal(t, "a", channelOf(resp), "back after the reset")
			assert.Equal(t, breaker.Closed, statusOf(c, "a").Breaker, "a rate limit is not a breaker failure")
		})
	}

	t.Run("all rate-limited", func(t *testing.T) {
		a := mock(t, "a")
		a.Always(mockupstream.Behavior{Status: 429, Header: map[string]string{"Retry-After": "12"}})
		clock := newFakeClock()
		c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)), routex.WithClock(clock.Now))
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 429, resp.StatusCode)
		resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
		assert.Equal(t, 503, resp.StatusCode)
		assert.Equal(t, "12", resp.Header.Get("Retry-After"))
		assert.Contains(t, body, "overloaded_error")
		assert.Equal(t, 1, a.Calls())
	})
}

func TestSessionStickiness(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), channel("b", routex.FormatAnthropic, b)),
		routex.WithStrategy("round_robin"))
	for _, session := range []string{"s1", "s2", "s3", "s4"} {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", session)
		first := channelOf(resp)
		for i := 0; i < 5; i++ {
			resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", session)
			assert.Equal(t, first, channelOf(resp), "session %s stays", session)
		}
	}
	assert.Equal(t, 12, a.Calls())
	assert.Equal(t, 12, b.Calls(), "sessions spread over both channels")

	t.Run("metadata.user_id and user", func(t *testing.T) {
		body := `{"model":"claude-x","max_tokens":5,"metadata":{"user_id":"u-7"},"messages":[{"role":"user","content":"hi"}]}`
		resp, _ := post(t, c, anthropicPath, body)
		first := channelOf(resp)
		for i := 0; i < 3; i++ {
			resp, _ := post(t, c, anthropicPath, body)
			assert.Equal(t, first, channelOf(resp))
		}
		found := false
		for _, s := range c.Sessions() {
			found = found || s.Key == "u-7"
		}
		assert.True(t, found)
	})

	t.Run("a sticky channel that fails is replaced", func(t *testing.T) {
		resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "s-move")
		first := channelOf(resp)
		srv := map[string]*mockupstream.Server{"a": a, "b": b}[first]
		srv.Always(mockupstream.Behavior{Status: 503})
		defer srv.Behave(nil)
		resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "s-move")
		moved := channelOf(resp)
		assert.NotEqual(t, first, moved)
		srv.Behave(nil)
		resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "s-move")
		assert.Equal(t, moved, channelOf(resp), "the session now sticks to its new channel")
	})
}

func TestStoreChangesApplyOnNextRequest(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	st := memory.New()
	ctx := context.Background()
	require.NoError(t, st.PutChannel(ctx, channel("a", routex.FormatAnthropic, a)))
	recs := newRecords()
	c := newClient(t, routex.WithStore(st), routex.WithRecorder(recs))
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "a", channelOf(resp))

	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = -1
	require.NoError(t, st.PutChannel(ctx, bc))
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, "b", channelOf(resp), "new channel in force on the next request")

	require.NoError(t, st.PutRule(ctx, routex.Rule{ID: "to-a", Condition: routex.Condition{Keywords: []string{"alpha"}}, Target: routex.Target{Channel: "a"}}))
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "alpha"))
	assert.Equal(t, "a", channelOf(resp))

	require.NoError(t, st.DeleteChannel(ctx, "a"))
	resp, _ = post(t, c, anthropicPath, anthropicBody("claude-x", "alpha"))
	assert.Equal(t, "b", channelOf(resp))

	require.NoError(t, st.SetStrategy(ctx, "round_robin"))
	assert.Equal(t, "round_robin", c.Strategy())

	// Sessions and records reach the store.
	post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", "persist-me")
	require.NoError(t, c.Close())
	sessions, err := st.Sessions(ctx, time.Now())
	require.NoError(t, err)
	require.Len(t, sessions, 1)
	assert.Equal(t, "persist-me", sessions[0].Key)
	stored, err := st.Records(ctx, routex.RecordQuery{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, stored, 5, "Close drains the record queue")
	for _, r := range stored {
		assert.NotContains(t, fmt.Sprint(r), "secret")
	}

	// A new Client restores the sessions.
	c2 := newClient(t, routex.WithStore(st))
	assert.Len(t, c2.Sessions(), 1)
}

func TestStreamCutMidwayIsRecorded(t *testing.T) {
	a := mock(t, "a")
	a.Text = "one two three four five"
	a.Always(mockupstream.Behavior{CutAfter: 4})
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)), routex.WithRecorder(recs),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 1}))
	resp, body := post(t, c, anthropicPath, `{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "message_start")
	rec := recs.last(t, 1)
	assert.Contains(t, rec.Error, "ended before")
	assert.Equal(t, int64(12), rec.InputTokens, "usage seen before the cut is kept")
	assert.Equal(t, breaker.Open, statusOf(c, "a").Breaker, "a failure mid-stream counts")
}

func TestStreamEventsFlowIncrementally(t *testing.T) {
	a := mock(t, "a")
	a.Text = "w1 w2 w3"
	gate := make(chan struct{})
	// The upstream waits between events until the test has seen the first.
	a.Always(mockupstream.Behavior{EventGap: time.Hour})
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)))
	req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages", strings.NewReader(`{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := c.HTTPClient().Do(req.WithContext(ctx))
	require.NoError(t, err)
	go func() {
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		if bytes.Contains(buf[:n], []byte("message_start")) {
			close(gate)
		}
	}()
	select {
	case <-gate:
	case <-time.After(10 * time.Second):
		t.Fatal("the first event did not reach the caller while the upstream was still streaming")
	}
	cancel()
	resp.Body.Close()
}

func TestPassthroughAndModels(t *testing.T) {
	a := mock(t, "a")
	ch := channel("a", routex.FormatAnthropic, a)
	ch.Models = []string{"claude-x"}
	c := newClient(t, routex.WithChannels(ch))
	resp, _ := post(t, c, "/v1/messages/count_tokens", `{"model":"claude-x","messages":[]}`)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "/v1/messages/count_tokens", a.Last().Path)
	assert.Equal(t, ch.APIKey, a.Last().Header.Get("X-Api-Key"))

	req, _ := http.NewRequest(http.MethodGet, "http://x/v1/models", nil)
	res, err := c.RoundTrip(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	assert.Contains(t, string(b), `{"id":"claude-x","object":"model","created":`)
	assert.NotContains(t, string(b), `"created":0`, "a real time")
}

func TestCallerRequestUntouched(t *testing.T) {
	a := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)))
	body := anthropicBody("claude-x", "hi")
	req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages", strings.NewReader(body))
	req.Header.Set("X-Api-Key", "caller")
	before := req.Header.Clone()
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, before, req.Header)
	require.NotNil(t, req.GetBody, "GetBody stays usable for the caller's retries")
	rc, _ := req.GetBody()
	again, _ := io.ReadAll(rc)
	assert.Equal(t, body, string(again))
}

func TestClosedClient(t *testing.T) {
	c, err := routex.New()
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages", strings.NewReader("{}"))
	_, err = c.RoundTrip(req)
	assert.ErrorIs(t, err, routex.ErrClosed)
}

func TestCallerCancellationIsNotAFailure(t *testing.T) {
	a := mock(t, "a")
	arrived := make(chan struct{}, 1)
	a.Behave(func(int, *mockupstream.Request) mockupstream.Behavior {
		arrived <- struct{}{}
		return mockupstream.Behavior{Hang: true}
	})
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)), routex.WithRecorder(recs),
		routex.WithBreaker(breaker.Settings{FailureThreshold: 1}))
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://x/v1/messages", strings.NewReader(anthropicBody("claude-x", "hi")))
		go func() {
			<-arrived // the upstream has the request
			cancel()
		}()
		_, err := c.RoundTrip(req)
		require.ErrorIs(t, err, context.Canceled)
	}
	assert.Equal(t, breaker.Closed, statusOf(c, "a").Breaker, "a caller giving up says nothing about the channel")
	rec := recs.last(t, 3)
	assert.Equal(t, "canceled by the caller", rec.Error)

	// A stream the caller closes early is not a failure either.
	a.Behave(func(int, *mockupstream.Request) mockupstream.Behavior {
		return mockupstream.Behavior{EventGap: time.Hour}
	})
	req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages", strings.NewReader(`{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := c.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	rec = recs.last(t, 4)
	assert.Contains(t, rec.Error, "closed by the caller")
	assert.Equal(t, breaker.Closed, statusOf(c, "a").Breaker)
}

func TestConcurrentTrafficAndConfigChanges(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), channel("b", routex.FormatAnthropic, b)),
		routex.WithStrategy("least_used"), routex.WithRecorder(recs))
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				body := anthropicBody("claude-x", "hi")
				if i%3 == 0 {
					body = `{"model":"claude-x","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
				}
				req, _ := http.NewRequest(http.MethodPost, "http://x/v1/messages", strings.NewReader(body))
				req.Header.Set("X-Session-Id", fmt.Sprintf("s%d", g%3))
				resp, err := c.RoundTrip(req)
				if err != nil {
					errs <- err
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}(g)
	}
	for i := 0; i < 20; i++ {
		strategy := []string{"round_robin", "weighted", "latency", "least_used", "priority"}[i%5]
		require.NoError(t, c.SetStrategy(strategy))
		require.NoError(t, c.SetRules(routex.Rule{ID: fmt.Sprint("r", i), Condition: routex.Condition{Keywords: []string{"hi"}}, Target: routex.Target{Channel: "b"}}))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, 200, a.Calls()+b.Calls())
}

func TestGarbageFromUpstreamFailsOver(t *testing.T) {
	a, b := mock(t, "a"), mock(t, "b")
	a.Always(mockupstream.Behavior{Garbage: true})
	bc := channel("b", routex.FormatAnthropic, b)
	bc.Priority = 1
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a), bc))
	resp, body := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "b", channelOf(resp))
	assert.Contains(t, body, "hello from b")

	b.Always(mockupstream.Behavior{Garbage: true})
	resp, body = post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 502, resp.StatusCode)
	assert.Contains(t, body, "not JSON")
	assert.Contains(t, body, `"type":"error"`)
}

func TestChannelTransformers(t *testing.T) {
	a := mock(t, "a")
	ch := channel("a", routex.FormatAnthropic, a)
	ch.Transformers = []transformer.Spec{{Name: "anthropic"}, {Name: "maxtoken", Options: json.RawMessage(`{"max":1000}`)}, {Name: "cleancache"}}
	c := newClient(t, routex.WithChannels(ch))
	resp, _ := post(t, c, anthropicPath, `{"model":"claude-x","max_tokens":64000,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"model":"claude-x","max_tokens":1000,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":"hi"}]}`, string(a.Last().Body))

	bad := ch
	bad.ID = "b"
	bad.Transformers = []transformer.Spec{{Name: "no-such"}}
	_, err := routex.New(routex.WithChannels(bad))
	var ce *routex.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "transformers", ce.Field)

	var spec []transformer.Spec
	require.NoError(t, json.Unmarshal([]byte(`["openai", ["maxtoken", {"max": 5}], {"name":"cleancache"}]`), &spec))
	assert.Equal(t, []transformer.Spec{{Name: "openai"}, {Name: "maxtoken", Options: json.RawMessage(`{"max": 5}`)}, {Name: "cleancache"}}, spec)
}

func TestRetryPolicyRetriesTheSameChannel(t *testing.T) {
	a := mock(t, "a")
	a.Behave(func(n int, _ *mockupstream.Request) mockupstream.Behavior {
		if n <= 2 {
			return mockupstream.Behavior{Status: 503}
		}
		return mockupstream.Behavior{}
	})
	recs := newRecords()
	waits := 0
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)), routex.WithRecorder(recs),
		routex.WithRetry(routex.RetryPolicy{MaxAttempts: 3, Backoff: func(n int) time.Duration {
			waits++
			assert.Equal(t, waits, n, "the n-th retry of a channel")
			return time.Millisecond
		}}))
	resp, _ := post(t, c, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 3, recs.last(t, 1).Attempts)
	assert.Equal(t, 2, waits, "a wait before each retry of the one channel")

	// Without MaxAttempts, each candidate is tried once.
	a.Always(mockupstream.Behavior{Status: 503})
	c2 := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)))
	calls := a.Calls()
	resp, _ = post(t, c2, anthropicPath, anthropicBody("claude-x", "hi"))
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, calls+1, a.Calls())
}

func TestUnsignedThinkingStaysBehindTowardAnthropic(t *testing.T) {
	a := mock(t, "a")
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)))
	body := `{"model":"claude-x","max_tokens":9,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"from gpt","signature":""},{"type":"thinking","thinking":"real","signature":"abc"},{"type":"text","text":"a"}]},{"role":"user","content":"next"}]}`
	resp, _ := post(t, c, anthropicPath, body)
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"model":"claude-x","max_tokens":9,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"real","signature":"abc"},{"type":"text","text":"a"}]},{"role":"user","content":"next"}]}`, string(a.Last().Body))
}

func TestRedactedChannel(t *testing.T) {
	ch := routex.Channel{ID: "g", Type: routex.FormatOpenAI, BaseURL: "https://x", APIKey: "sk-live-0123456789abcdef",
		Headers: map[string]string{"X-Goog-Api-Key": "AIza-secret-value-123456", "X-Title": "routex"}}
	r := ch.Redacted()
	assert.Equal(t, "****cdef", r.APIKey)
	assert.NotContains(t, fmt.Sprint(r), "secret-value")
	assert.Equal(t, "routex", r.Headers["X-Title"])
	assert.Equal(t, "sk-live-0123456789abcdef", ch.APIKey, "the original is untouched")
}

// A request refused before any upstream was asked cost nothing: its record
// is priced at zero, not left unpriced, whatever its model.
func TestRefusedRequestCostsNothing(t *testing.T) {
	a := mock(t, "a")
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, a)), routex.WithRecorder(recs),
		routex.WithPricing(analytics.DefaultPricing()))
	resp, _ := post(t, c, anthropicPath, `{"model":"no-such-model-anywhere","max_tokens":5,"messages":[{"role":"user","content":"hi"`)
	assert.Equal(t, 400, resp.StatusCode)
	rec := recs.last(t, 1)
	assert.Equal(t, 0, rec.Attempts)
	require.NotNil(t, rec.Cost, "a refused request has a known cost")
	assert.Zero(t, *rec.Cost)
	assert.Zero(t, a.Calls(), "the upstream was not asked")
}
