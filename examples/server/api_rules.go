package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/routex/routex"
)

// ruleView is a rule as the API shows it.
type ruleView struct {
	routex.Rule
	// Notice says why the rule, though saved, would not take a request
	// now.
	Notice string `json:"notice,omitempty"`
	// Source is "config" for a rule the config file defines, which the
	// API does not change.
	Source string `json:"source,omitempty"`
}

// viewRules shows rules with their notices.
func (s *Server) viewRules(ctx context.Context, rules ...routex.Rule) ([]ruleView, error) {
	chs, err := s.store.Channels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ruleView, len(rules))
	for i, rule := range rules {
		out[i].Rule, out[i].Source = rule, s.configured.source("rule", rule.ID)
		if !slices.ContainsFunc(chs, func(c routex.Channel) bool { return c.ID == rule.Target.Channel }) {
			out[i].Notice = fmt.Sprintf("no channel %q exists: the rule is saved, but until that channel is created it takes no request (its matches go on to the next rule or the balancer)", rule.Target.Channel)
		}
	}
	return out, nil
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.store.Rules(r.Context())
	if err == nil {
		var out []ruleView
		if out, err = s.viewRules(r.Context(), rules...); err == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	s.storeError(w, "rules", err)
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.store.Rule(r.Context(), r.PathValue("id"))
	if err == nil {
		var out []ruleView
		if out, err = s.viewRules(r.Context(), rule); err == nil {
			writeJSON(w, http.StatusOK, out[0])
			return
		}
	}
	s.storeError(w, "rule", err)
}

func (s *Server) saveRule(w http.ResponseWriter, ctx context.Context, rule routex.Rule, status int) {
	if err := s.client.CheckRule(rule); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_rule", err.Error())
		return
	}
	if err := s.store.PutRule(ctx, rule); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	out, err := s.viewRules(ctx, rule)
	if err != nil {
		s.storeError(w, "rule", err)
		return
	}
	writeJSON(w, status, out[0])
}

// ruleBody is a rule as the API takes it: the library's shape, or the
// product's documented one, where "type" names the kind of rule and
// "targetChannel" and "targetModel" stand beside "target".
type ruleBody struct {
	routex.Rule
	Type          string `json:"type,omitempty"`
	TargetChannel string `json:"targetChannel,omitempty"`
	TargetModel   string `json:"targetModel,omitempty"`
}

// ruleTypes says, for each rule type, the condition field it names and
// whether a condition holds it; "custom" takes any condition. A flag
// type's flag (flag, when not nil) is set to true when the condition
// leaves it out: "a tools rule" means requests that have tools.
var ruleTypes = map[string]struct {
	field string
	has   func(c *routex.Condition) bool
	flag  func(c *routex.Condition) **bool
}{
	"longContext": {"tokenThreshold", func(c *routex.Condition) bool { return c.TokenThreshold > 0 }, nil},
	"keywords":    {"keywords", func(c *routex.Condition) bool { return len(c.Keywords) > 0 }, nil},
	"regex":       {"userPattern", func(c *routex.Condition) bool { return c.UserPattern != "" }, nil},
	"model":       {"modelPattern", func(c *routex.Condition) bool { return c.ModelPattern != "" }, nil},
	"header":      {"header", func(c *routex.Condition) bool { return c.Header != nil }, nil},
	"tools":       {"hasTools", nil, func(c *routex.Condition) **bool { return &c.HasTools }},
	"images":      {"hasImages", nil, func(c *routex.Condition) **bool { return &c.HasImages }},
	"thinking":    {"thinking", nil, func(c *routex.Condition) **bool { return &c.Thinking }},
	"webSearch":   {"webSearch", nil, func(c *routex.Condition) **bool { return &c.WebSearch }},
	"custom":      {"", func(c *routex.Condition) bool { return !reflect.ValueOf(*c).IsZero() }, nil},
}

// decodeRule reads a rule in either shape, refusing a type its condition
// does not fit and targets given twice over.
func decodeRule(w http.ResponseWriter, r *http.Request) (routex.Rule, bool) {
	var b ruleBody
	if !decode(w, r, &b) {
		return routex.Rule{}, false
	}
	rule := b.Rule
	refuse := func(msg string) (routex.Rule, bool) {
		apiError(w, http.StatusBadRequest, "invalid_rule", msg)
		return routex.Rule{}, false
	}
	if b.Type != "" {
		t, ok := ruleTypes[b.Type]
		if !ok {
			names := slices.Sorted(maps.Keys(ruleTypes))
			return refuse(fmt.Sprintf("unknown rule type %q (want one of %s)", b.Type, strings.Join(names, ", ")))
		}
		c := &rule.Condition
		if t.flag != nil {
			if f := t.flag(c); *f == nil {
				*f = routex.Bool(true)
			}
		} else if !t.has(c) {
			if t.field == "" {
				return refuse(fmt.Sprintf("a %q rule needs a condition", b.Type))
			}
			return refuse(fmt.Sprintf("a %q rule needs condition.%s", b.Type, t.field))
		}
	}
	for _, f := range []struct {
		name      string
		flat, set *string
	}{{"targetChannel", &b.TargetChannel, &rule.Target.Channel}, {"targetModel", &b.TargetModel, &rule.Target.Model}} {
		switch {
		case *f.flat == "":
		case *f.set == "":
			*f.set = *f.flat
		case *f.set != *f.flat:
			return refuse(fmt.Sprintf("%s %q and target disagree (%q); give one", f.name, *f.flat, *f.set))
		}
	}
	return rule, true
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := decodeRule(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if rule.ID == "" {
		base := slug(rule.Name)
		if base == "" {
			base = "rule"
		}
		rule.ID = base
		for n := 2; ; n++ {
			if _, err := s.store.Rule(ctx, rule.ID); errors.Is(err, routex.ErrNotFound) {
				break
			} else if err != nil {
				s.storeError(w, "rule", err)
				return
			}
			rule.ID = fmt.Sprintf("%s-%d", base, n)
		}
	} else if _, err := s.store.Rule(ctx, rule.ID); err == nil {
		apiError(w, http.StatusConflict, "conflict", fmt.Sprintf("rule %q exists; PUT /api/rules/%s replaces it", rule.ID, rule.ID))
		return
	}
	s.saveRule(w, ctx, rule, http.StatusCreated)
}

func (s *Server) putRule(w http.ResponseWriter, r *http.Request) {
	if s.refuseConfigured(w, "rule", r.PathValue("id")) {
		return
	}
	rule, ok := decodeRule(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if rule.ID != "" && rule.ID != id {
		apiError(w, http.StatusBadRequest, "invalid_rule", fmt.Sprintf("the body's id %q is not the path's %q", rule.ID, id))
		return
	}
	rule.ID = id
	if _, err := s.store.Rule(r.Context(), id); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	s.saveRule(w, r.Context(), rule, http.StatusOK)
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) {
	if s.refuseConfigured(w, "rule", r.PathValue("id")) {
		return
	}
	if err := s.store.DeleteRule(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "rule", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) enableRule(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.refuseConfigured(w, "rule", r.PathValue("id")) {
			return
		}
		rule, err := s.store.Rule(r.Context(), r.PathValue("id"))
		if err != nil {
			s.storeError(w, "rule", err)
			return
		}
		rule.Disabled = !on
		s.saveRule(w, r.Context(), rule, http.StatusOK)
	}
}

// testRule is the dry run: which rule and channels a request would take.
func (s *Server) testRule(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Path == "" {
		in.Path = "/v1/messages"
	}
	if !strings.HasPrefix(in.Path, "/") {
		apiError(w, http.StatusBadRequest, "bad_request", "path must start with /")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://routex"+in.Path, bytes.NewReader(in.Body))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	d, err := s.client.Explain(req)
	out := struct {
		routex.Decision
		Error string `json:"error,omitempty"`
	}{Decision: d}
	if err != nil {
		out.Error = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}
