package routex_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/storage/memory"
)

func TestExplain(t *testing.T) {
	up := mock(t, "up")
	a := channel("a", routex.FormatAnthropic, up)
	a.Models = []string{"claude-*"}
	a.Priority = 1
	b := channel("b", routex.FormatOpenAI, up)
	b.Models = []string{"gpt-*", "claude-*"}
	b.ModelMap = map[string]string{"claude-opus": "gpt-5"}
	b.Priority = 2
	rule := routex.Rule{ID: "tools-to-b", Condition: routex.Condition{Keywords: []string{"refactor"}},
		Target: routex.Target{Channel: "b", Model: "claude-opus"}}
	// Rules whose targets cannot take the request: a channel that does
	// not exist, one that does not serve the model.
	gone := routex.Rule{ID: "to-gone", Priority: 9, Condition: routex.Condition{Keywords: []string{"review"}},
		Target: routex.Target{Channel: "gemini-channel"}}
	wrong := routex.Rule{ID: "to-a-as-gpt", Priority: 8, Condition: routex.Condition{Keywords: []string{"review"}},
		Target: routex.Target{Channel: "a", Model: "gpt-5"}}
	c := newClient(t, routex.WithChannels(a, b), routex.WithRules(rule, gone, wrong), routex.WithStrategy("priority"))

	explain := func(path, body string) (routex.Decision, error) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		return c.Explain(req)
	}
	for _, tt := range []struct {
		name, path, body string
		want             routex.Decision
		err              error
	}{
		{"balancer order", "/v1/messages", `{"model":"claude-sonnet","messages":[{"role":"user","content":"hi"}]}`,
			routex.Decision{Format: routex.FormatAnthropic, Model: "claude-sonnet", TargetModel: "claude-sonnet", Channels: []string{"a", "b"}}, nil},
		{"rule with rewrite and model map", "/v1/chat/completions", `{"model":"claude-sonnet","messages":[{"role":"user","content":"please refactor"}]}`,
			routex.Decision{Format: routex.FormatOpenAI, Model: "claude-sonnet", Rule: "tools-to-b", TargetModel: "gpt-5", Channels: []string{"b", "a"}}, nil},
		{"rules that matched and passed", "/v1/messages", `{"model":"claude-sonnet","messages":[{"role":"user","content":"review this code"}]}`,
			routex.Decision{Format: routex.FormatAnthropic, Model: "claude-sonnet", TargetModel: "claude-sonnet", Channels: []string{"a", "b"},
				Passed: []routex.PassedRule{
					{Rule: "to-gone", Reason: `its target channel "gemini-channel" does not exist`},
					{Rule: "to-a-as-gpt", Reason: `its target channel "a" does not serve model "gpt-5"`},
				}}, nil},
		{"unknown model", "/v1/messages", `{"model":"llama","messages":[]}`,
			routex.Decision{Format: routex.FormatAnthropic, Model: "llama", Channels: []string{}}, routex.ErrNoChannel},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := explain(tt.path, tt.body)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(d, tt.want) {
				t.Errorf("Explain = %+v\nwant %+v", d, tt.want)
			}
		})
	}
	if _, err := explain("/v1/messages", `{"model":`); err == nil {
		t.Error("Explain of malformed JSON returned no error")
	}
	if up.Calls() != 0 {
		t.Errorf("Explain sent %d requests upstream", up.Calls())
	}
}

func TestKeyIDAttribution(t *testing.T) {
	up := mock(t, "up")
	recs := newRecords()
	c := newClient(t, routex.WithChannels(channel("a", routex.FormatAnthropic, up)), routex.WithRecorder(recs))
	req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
	req = req.WithContext(routex.ContextWithKeyID(req.Context(), "key-7"))
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := recs.last(t, 1).KeyID; got != "key-7" {
		t.Errorf("record KeyID = %q, want key-7", got)
	}
}

func TestTestChannel(t *testing.T) {
	up := mock(t, "up")
	c := newClient(t)
	for _, typ := range []routex.Format{routex.FormatAnthropic, routex.FormatOpenAI} {
		ch := channel("t", typ, up)
		ch.Models = []string{"claude-*", "claude-haiku-4-5"}
		res := c.TestChannel(t.Context(), ch, "")
		if !res.OK || res.Status != 200 || res.Model != "claude-haiku-4-5" {
			t.Errorf("%s: TestChannel = %+v, want ok with claude-haiku-4-5", typ, res)
		}
		last := up.Last()
		if got := gjson.GetBytes(last.Body, "max_tokens").Int(); got != 1 {
			t.Errorf("%s: test request max_tokens = %d, want 1", typ, got)
		}
		if typ == routex.FormatAnthropic && last.Header.Get("X-Api-Key") != ch.APIKey {
			t.Errorf("anthropic test request carried no key")
		}
	}

	ch := channel("t", routex.FormatOpenAI, up)
	up.Always(mockupstream.Behavior{Status: 401})
	res := c.TestChannel(t.Context(), ch, "gpt-5")
	if res.OK || res.Status != 401 || res.Error == "" {
		t.Errorf("TestChannel of a 401 = %+v", res)
	}
	if strings.Contains(res.Error, ch.APIKey) {
		t.Errorf("error shows the key: %s", res.Error)
	}

	res = c.TestChannel(t.Context(), routex.Channel{ID: "x", Type: routex.FormatOpenAI, BaseURL: "http://127.0.0.1:1"}, "gpt-5")
	if res.OK || res.Error == "" {
		t.Errorf("TestChannel of a closed port = %+v", res)
	}
	if res := c.TestChannel(t.Context(), routex.Channel{ID: "y", Type: "nope"}, ""); res.OK || res.Error == "" {
		t.Errorf("TestChannel of an invalid channel = %+v", res)
	}
}

func TestForgetSessionIsNotResurrected(t *testing.T) {
	up := mock(t, "up")
	st := memory.New()
	defer st.Close()
	c, err := routex.New(routex.WithStore(st), routex.WithChannels(channel("a", routex.FormatAnthropic, up)))
	require.NoError(t, err)
	for i := range 50 {
		key := fmt.Sprint("s", i)
		post(t, c, anthropicPath, anthropicBody("claude-x", "hi"), "X-Session-Id", key)
		// Forgotten at once, while its save may still be queued.
		require.True(t, c.ForgetSession(key))
	}
	require.False(t, c.ForgetSession("never"))
	require.NoError(t, c.Close())
	left, err := st.Sessions(t.Context(), time.Now())
	require.NoError(t, err)
	assert.Empty(t, left, "forgotten sessions came back from the Store")
	assert.False(t, c.ForgetSession("s1"), "after Close")
}

type authorizerFunc func(ctx context.Context, channelID string, h http.Header) error

func (f authorizerFunc) Authorize(ctx context.Context, channelID string, h http.Header) error {
	return f(ctx, channelID, h)
}

func TestTestChannelSignsAndEscapes(t *testing.T) {
	up := mock(t, "up")
	c := newClient(t, routex.WithAuthorizer(authorizerFunc(func(_ context.Context, id string, h http.Header) error {
		h.Set("Authorization", "Bearer token-of-"+id)
		return nil
	})))
	ch := routex.Channel{ID: "acct", Type: routex.FormatAnthropic, BaseURL: up.URL, OAuth: true}
	odd := `claude-"quoted"-\-é`
	res := c.TestChannel(t.Context(), ch, odd)
	require.True(t, res.OK, "%+v", res)
	last := up.Last()
	assert.Equal(t, "Bearer token-of-acct", last.Header.Get("Authorization"), "an OAuth channel's test is signed")
	require.True(t, gjson.ValidBytes(last.Body), "%s", last.Body)
	assert.Equal(t, odd, gjson.GetBytes(last.Body, "model").String())

	// Without an Authorizer an OAuth channel cannot be tested, and says why.
	res = newClient(t).TestChannel(t.Context(), ch, "m")
	assert.False(t, res.OK)
	assert.Contains(t, res.Error, "Authorizer")
}
