package oauth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
)

// tokenStore is a TokenStore in a map, with watchers told of each change as
// the Stores tell theirs, for the Manager's tests; storage/storetest checks
// the real ones.
type tokenStore struct {
	mu       sync.Mutex
	tokens   map[string]Token
	watchers map[int]func()
	next     int
}

func newTokenStore() *tokenStore {
	return &tokenStore{tokens: map[string]Token{}, watchers: map[int]func(){}}
}

func (s *tokenStore) Tokens(context.Context) ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Token{}
	for _, t := range s.tokens {
		out = append(out, t.Redacted())
	}
	slices.SortFunc(out, func(a, b Token) int { return cmp.Compare(a.ChannelID, b.ChannelID) })
	return out, nil
}

func (s *tokenStore) RevealToken(_ context.Context, id string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return Token{}, fmt.Errorf("token of channel %q: %w", id, ErrNoToken)
	}
	return t, nil
}

func (s *tokenStore) PutToken(_ context.Context, t Token) error {
	s.mu.Lock()
	s.tokens[t.ChannelID] = t
	s.mu.Unlock()
	s.changed()
	return nil
}

func (s *tokenStore) DeleteToken(_ context.Context, id string) error {
	s.mu.Lock()
	_, ok := s.tokens[id]
	delete(s.tokens, id)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("token of channel %q: %w", id, ErrNoToken)
	}
	s.changed()
	return nil
}

// Watch calls fn after every change, before the writing call returns.
func (s *tokenStore) Watch(fn func()) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.watchers[id] = fn
	return func() { s.mu.Lock(); delete(s.watchers, id); s.mu.Unlock() }
}

func (s *tokenStore) changed() {
	s.mu.Lock()
	fns := make([]func(), 0, len(s.watchers))
	for _, fn := range s.watchers {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
