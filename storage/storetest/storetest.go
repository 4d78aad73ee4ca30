// Package storetest is the conformance suite for routex.Store
// implementations. Every backend's tests call Run, so all backends behave
// the same for the routex Client and for the programs that read them.
package storetest

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/routex/routex"
)

// Run runs the conformance suite against the Store that open returns. open is
// called once per subtest and must return a new, empty Store; Run closes it
// when the subtest ends, so open should not.
//
// Beyond the comments on routex.Store, the suite pins down these details:
// a session whose ExpiresAt equals now has expired; records with equal Time
// may come back in either order; Aggregate buckets are UTC intervals
// (time.Time.Truncate), its percentiles use the nearest-rank method (the
// p-th percentile of n sorted values is the ceil(p*n/100)-th) over every
// record in the group, and an unknown GroupBy is an error; after Close,
// methods return an error. Tokens, keys and settings are checked through
// oauth.TokenStore, routex.KeyStore and routex.SettingStore, and skipped
// for a Store that does not implement them. Times are compared with time.Time.Equal, at
// millisecond precision or coarser, so a backend may return them in UTC; an
// empty slice or map may come back as nil and the reverse. A Store that
// implements routex.ResponseStore returns a response's bytes as they were
// put, and a response whose ExpiresAt equals now has expired; the response
// tests are skipped for a Store that does not.
func Run(t *testing.T, open func(t *testing.T) routex.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, routex.Store)
	}{
		{"Channels", testChannels},
		{"ChannelCopies", testChannelCopies},
		{"Rules", testRules},
		{"RuleCopies", testRuleCopies},
		{"ByID", testByID},
		{"Strategy", testStrategy},
		{"Sessions", testSessions},
		{"Tokens", testTokens},
		{"Keys", testKeys},
		{"Settings", testSettings},
		{"Records", testRecords},
		{"RecordsDefaultLimit", testRecordsDefaultLimit},
		{"Aggregate", testAggregate},
		{"AggregatePercentiles", testAggregatePercentiles},
		{"Watch", testWatch},
		{"WatchReads", testWatchReads},
		{"Concurrent", testConcurrent},
		{"Close", testClose},
		{"Responses", testResponses},
		{"ResponseCopies", testResponseCopies},
		{"ResponseLarge", testResponseLarge},
		{"ResponsesClosed", testResponsesClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				// A Store left locked by a failed test would hang Close and
				// with it the whole run; report that instead.
				closed := make(chan struct{})
				go func() {
					s.Close()
					close(closed)
				}()
				select {
				case <-closed:
				case <-time.After(10 * time.Second):
					t.Error("Close did not return")
				}
			})
			tt.fn(t, s)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, routex.ErrNotFound) {
		t.Errorf("%s: err = %v, want one wrapping routex.ErrNotFound", what, err)
	}
}

// channels returns the channels with their secrets, as routex loads them.
func channels(t *testing.T, s routex.Store) []routex.Channel {
	t.Helper()
	cs, err := s.RevealChannels(t.Context())
	must(t, err)
	return cs
}

func rules(t *testing.T, s routex.Store) []routex.Rule {
	t.Helper()
	rs, err := s.Rules(t.Context())
	must(t, err)
	return rs
}

// equal compares with reflect.DeepEqual after normalize, so a backend may
// return an empty slice or map where nil was stored, or the reverse.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func normalize(v any) any {
	switch v := v.(type) {
	case []routex.Channel:
		out := make([]routex.Channel, len(v))
		for i, c := range v {
			if len(c.Models) == 0 {
				c.Models = nil
			}
			if len(c.ModelMap) == 0 {
				c.ModelMap = nil
			}
			if len(c.Headers) == 0 {
				c.Headers = nil
			}
			out[i] = c
		}
		return out
	case []routex.Rule:
		out := make([]routex.Rule, len(v))
		for i, r := range v {
			if len(r.Condition.Keywords) == 0 {
				r.Condition.Keywords = nil
			}
			out[i] = r
		}
		return out
	}
	return v
}

func channelA() routex.Channel {
	return routex.Channel{
		ID:       "a",
		Name:     "Anthropic direct",
		Type:     routex.FormatAnthropic,
		BaseURL:  "https://api.anthropic.com",
		APIKey:   "sk-ant-secret-0001",
		Models:   []string{"claude-*", "claude-opus-4-1"},
		ModelMap: map[string]string{"claude-sonnet": "claude-sonnet-4-5"},
		Priority: 1,
		Weight:   3,
		Headers:  map[string]string{"anthropic-beta": "tools-2024", "X-Team": "core"},
		Timeout:  30 * time.Second,
	}
}

func channelB() routex.Channel {
	return routex.Channel{
		ID:       "b",
		Type:     routex.FormatOpenAI,
		BaseURL:  "https://openrouter.ai/api/v1",
		APIKey:   "sk-or-secret-0002",
		Disabled: true,
	}
}

func testChannels(t *testing.T, s routex.Store) {
	ctx := t.Context()
	if cs := channels(t, s); len(cs) != 0 {
		t.Fatalf("new store has channels: %+v", cs)
	}
	// Put out of ID order: Channels must sort.
	must(t, s.PutChannel(ctx, channelB()))
	must(t, s.PutChannel(ctx, channelA()))
	equal(t, "Channels after put", channels(t, s), []routex.Channel{channelA(), channelB()})

	// RevealChannels is how routex loads the secrets; Channels, the
	// listing, never shows them.
	if cs := channels(t, s); cs[0].APIKey != "sk-ant-secret-0001" {
		t.Errorf("RevealChannels: APIKey = %q, want the secret back", cs[0].APIKey)
	}
	listed, err := s.Channels(ctx)
	must(t, err)
	equal(t, "Channels (redacted)", listed, []routex.Channel{channelA().Redacted(), channelB().Redacted()})
	for _, c := range listed {
		if strings.Contains(c.APIKey, "secret") {
			t.Errorf("Channels: channel %q shows its key %q", c.ID, c.APIKey)
		}
	}

	replaced := channelA()
	replaced.Name = "renamed"
	replaced.Models = []string{"claude-haiku-*"}
	replaced.ModelMap = nil
	replaced.Headers = map[string]string{"X-Team": "edge"}
	replaced.Disabled = true
	replaced.Timeout = 0
	must(t, s.PutChannel(ctx, replaced))
	equal(t, "Channels after replace", channels(t, s), []routex.Channel{replaced, channelB()})

	must(t, s.DeleteChannel(ctx, "a"))
	equal(t, "Channels after delete", channels(t, s), []routex.Channel{channelB()})
	mustNotFound(t, "DeleteChannel of a deleted id", s.DeleteChannel(ctx, "a"))
	mustNotFound(t, "DeleteChannel of an unknown id", s.DeleteChannel(ctx, "never"))
	equal(t, "Channels after failed deletes", channels(t, s), []routex.Channel{channelB()})
}

func testChannelCopies(t *testing.T, s routex.Store) {
	ctx := t.Context()
	in := channelA()
	must(t, s.PutChannel(ctx, in))
	// The caller keeps its value and may change it.
	in.Models[0] = "changed"
	in.ModelMap["claude-sonnet"] = "changed"
	in.Headers["X-Team"] = "changed"

	got := channels(t, s)
	equal(t, "Channels after changing the value put", got, []routex.Channel{channelA()})
	got[0].Models[0] = "changed"
	got[0].ModelMap["claude-sonnet"] = "changed"
	got[0].ModelMap["new"] = "x"
	got[0].Headers["X-Team"] = "changed"
	got[0].APIKey = "changed"
	equal(t, "Channels after changing a returned value", channels(t, s), []routex.Channel{channelA()})
}

func ruleFull() routex.Rule {
	return routex.Rule{
		ID:       "full",
		Name:     "every field",
		Priority: 10,
		Disabled: true,
		Condition: routex.Condition{
			TokenThreshold: 60000,
			Keywords:       []string{"refactor", "Architecture"},
			UserPattern:    `(?i)\bplan\b`,
			ModelPattern:   "claude-*",
			HasTools:       routex.Bool(true),
			HasImages:      routex.Bool(false), // a set false must not read back as unset
			Thinking:       routex.Bool(true),
			WebSearch:      routex.Bool(false),
			Header:         &routex.HeaderCondition{Name: "X-Tier", Pattern: "^gold$"},
			Custom:         "business-hours",
		},
		Target: routex.Target{Channel: "a", Model: "claude-opus-4-1"},
	}
}

func ruleBare() routex.Rule {
	return routex.Rule{ID: "bare", Target: routex.Target{Channel: "b"}}
}

func testRules(t *testing.T, s routex.Store) {
	ctx := t.Context()
	if rs := rules(t, s); len(rs) != 0 {
		t.Fatalf("new store has rules: %+v", rs)
	}
	full := ruleFull()
	// A Matcher is Go code: it is not stored and reads back nil.
	full.Matcher = routex.MatcherFunc(func(*routex.Request) (bool, error) { return true, nil })
	must(t, s.PutRule(ctx, full))
	must(t, s.PutRule(ctx, ruleBare()))
	// Ordered by ID, not by Priority.
	equal(t, "Rules after put", rules(t, s), []routex.Rule{ruleBare(), ruleFull()})

	got := rules(t, s)[1].Condition
	if got.HasImages == nil || *got.HasImages || got.WebSearch == nil || *got.WebSearch {
		t.Errorf("HasImages, WebSearch = %v, %v; want pointers to false", got.HasImages, got.WebSearch)
	}

	replaced := ruleBare()
	replaced.Priority = 5
	replaced.Condition.HasTools = routex.Bool(false)
	replaced.Target.Model = "gpt-5"
	must(t, s.PutRule(ctx, replaced))
	equal(t, "Rules after replace", rules(t, s), []routex.Rule{replaced, ruleFull()})

	must(t, s.DeleteRule(ctx, "full"))
	equal(t, "Rules after delete", rules(t, s), []routex.Rule{replaced})
	mustNotFound(t, "DeleteRule of a deleted id", s.DeleteRule(ctx, "full"))
	mustNotFound(t, "DeleteRule of an unknown id", s.DeleteRule(ctx, "never"))
}

func testRuleCopies(t *testing.T, s routex.Store) {
	ctx := t.Context()
	in := ruleFull()
	must(t, s.PutRule(ctx, in))
	in.Condition.Keywords[0] = "changed"
	*in.Condition.HasTools = false
	in.Condition.Header.Pattern = "changed"
	equal(t, "Rules after changing the value put", rules(t, s), []routex.Rule{ruleFull()})

	got := rules(t, s)
	c := &got[0].Condition
	c.Keywords[0] = "changed"
	*c.HasTools = false
	*c.HasImages = true
	*c.Thinking = false
	*c.WebSearch = true
	c.Header.Name = "changed"
	equal(t, "Rules after changing a returned value", rules(t, s), []routex.Rule{ruleFull()})
}

func testStrategy(t *testing.T, s routex.Store) {
	ctx := t.Context()
	name, err := s.Strategy(ctx)
	must(t, err)
	if name != "" {
		t.Errorf("Strategy of a new store = %q, want \"\"", name)
	}
	for _, want := range []string{"weighted", "priority"} {
		must(t, s.SetStrategy(ctx, want))
		name, err := s.Strategy(ctx)
		must(t, err)
		if name != want {
			t.Errorf("Strategy = %q, want %q", name, want)
		}
	}
}

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func sessionKeys(t *testing.T, s routex.Store, now time.Time) string {
	t.Helper()
	ss, err := s.Sessions(t.Context(), now)
	must(t, err)
	slices.SortFunc(ss, func(a, b routex.Session) int { return strings.Compare(a.Key, b.Key) })
	parts := make([]string, len(ss))
	for i, se := range ss {
		parts[i] = se.Key + "=" + se.ChannelID + "@" + se.ExpiresAt.UTC().Format(time.TimeOnly)
	}
	return strings.Join(parts, " ")
}

func testSessions(t *testing.T, s routex.Store) {
	ctx := t.Context()
	if got := sessionKeys(t, s, t0); got != "" {
		t.Fatalf("new store has sessions: %s", got)
	}
	must(t, s.PutSession(ctx, routex.Session{Key: "s1", ChannelID: "a", ExpiresAt: t0.Add(time.Minute)}))
	must(t, s.PutSession(ctx, routex.Session{Key: "s2", ChannelID: "b", ExpiresAt: t0.Add(2 * time.Minute)}))
	must(t, s.PutSession(ctx, routex.Session{Key: "s0", ChannelID: "a", ExpiresAt: t0.Add(-time.Second)}))
	// Written in another zone; the instant is what counts.
	must(t, s.PutSession(ctx, routex.Session{Key: "s3", ChannelID: "c", ExpiresAt: t0.Add(3 * time.Minute).In(time.FixedZone("X", 5*3600))}))

	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{t0.Add(-time.Hour), "s0=a@09:59:59 s1=a@10:01:00 s2=b@10:02:00 s3=c@10:03:00"},
		{t0, "s1=a@10:01:00 s2=b@10:02:00 s3=c@10:03:00"},
		{t0.Add(time.Minute - time.Millisecond), "s1=a@10:01:00 s2=b@10:02:00 s3=c@10:03:00"},
		{t0.Add(time.Minute), "s2=b@10:02:00 s3=c@10:03:00"}, // expired at exactly ExpiresAt
		{t0.Add(150 * time.Second), "s3=c@10:03:00"},
		{t0.Add(time.Hour), ""},
	} {
		if got := sessionKeys(t, s, tt.now); got != tt.want {
			t.Errorf("Sessions(%s) = %q, want %q", tt.now.Format(time.TimeOnly), got, tt.want)
		}
	}

	// Replacing extends the expiry and moves the channel.
	must(t, s.PutSession(ctx, routex.Session{Key: "s1", ChannelID: "b", ExpiresAt: t0.Add(time.Hour)}))
	if got, want := sessionKeys(t, s, t0.Add(150*time.Second)), "s1=b@11:00:00 s3=c@10:03:00"; got != want {
		t.Errorf("Sessions after replace = %q, want %q", got, want)
	}

	must(t, s.DeleteSession(ctx, "s1"))
	must(t, s.DeleteSession(ctx, "s0")) // expired sessions can still be deleted
	mustNotFound(t, "DeleteSession of a deleted key", s.DeleteSession(ctx, "s1"))
	mustNotFound(t, "DeleteSession of an unknown key", s.DeleteSession(ctx, "never"))
	if got, want := sessionKeys(t, s, t0.Add(-time.Hour)), "s2=b@10:02:00 s3=c@10:03:00"; got != want {
		t.Errorf("Sessions after delete = %q, want %q", got, want)
	}
}

// testByID reads channels, rules and keys one at a time.
func testByID(t *testing.T, s routex.Store) {
	ctx := t.Context()
	_, err := s.Channel(ctx, "a")
	mustNotFound(t, "Channel of an empty store", err)
	_, err = s.RevealChannel(ctx, "a")
	mustNotFound(t, "RevealChannel of an empty store", err)
	_, err = s.Rule(ctx, "full")
	mustNotFound(t, "Rule of an empty store", err)

	must(t, s.PutChannel(ctx, channelA()))
	must(t, s.PutChannel(ctx, channelB()))
	must(t, s.PutRule(ctx, ruleFull()))
	got, err := s.RevealChannel(ctx, "a")
	must(t, err)
	equal(t, "RevealChannel", got, channelA())
	got.Headers["X-Team"] = "changed" // the store keeps its own copy
	shown, err := s.Channel(ctx, "a")
	must(t, err)
	equal(t, "Channel", shown, channelA().Redacted())
	rule, err := s.Rule(ctx, "full")
	must(t, err)
	equal(t, "Rule", rule, ruleFull())

	must(t, s.DeleteChannel(ctx, "a"))
	_, err = s.Channel(ctx, "a")
	mustNotFound(t, "Channel after DeleteChannel", err)
	if c, err := s.Channel(ctx, "b"); err != nil || c.ID != "b" {
		t.Errorf("Channel b = %+v, %v", c, err)
	}
}
