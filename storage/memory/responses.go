package memory

import (
	"bytes"
	"container/list"
	"context"
	"fmt"
	"time"

	"github.com/routex/routex"
)

// DefaultMaxResponses is how many stored responses a Store keeps unless
// WithMaxResponses says otherwise.
const DefaultMaxResponses = 10_000

// WithMaxResponses bounds the stored responses kept (routex.ResponseStore)
// to n: past it, the least recently written go first. Zero or less keeps
// every response until it expires, so memory grows with traffic.
func WithMaxResponses(n int) Option {
	return func(s *Store) { s.maxResponses = max(n, 0) }
}

var _ routex.ResponseStore = (*Store)(nil)

// PutResponse creates or replaces the response with r.ID, keeping a copy.
// Responses expired when r was created are dropped on the way, as are the
// oldest past WithMaxResponses. A response larger than
// routex.MaxStoredResponseBytes is refused.
func (s *Store) PutResponse(ctx context.Context, r routex.StoredResponse) error {
	if r.Size() > routex.MaxStoredResponseBytes {
		return fmt.Errorf("memory: response %q is %d bytes, over routex.MaxStoredResponseBytes", r.ID, r.Size())
	}
	r = cloneResponse(r)
	return s.write(ctx, func() error {
		if e, ok := s.responses[r.ID]; ok {
			e.Value = r
			s.responseOrder.MoveToBack(e)
		} else {
			s.responses[r.ID] = s.responseOrder.PushBack(r)
		}
		// Oldest written first: with one retention, also first to expire.
		for e := s.responseOrder.Front(); e != nil; e = s.responseOrder.Front() {
			old := e.Value.(routex.StoredResponse)
			over := s.maxResponses > 0 && s.responseOrder.Len() > s.maxResponses
			if !over && (r.CreatedAt.IsZero() || old.ExpiresAt.After(r.CreatedAt)) {
				break
			}
			s.responseOrder.Remove(e)
			delete(s.responses, old.ID)
		}
		return nil
	})
}

// Response returns a copy of the response with the given id, or an error
// wrapping routex.ErrNotFound if there is none or it has expired at now.
func (s *Store) Response(ctx context.Context, id string, now time.Time) (routex.StoredResponse, error) {
	var out routex.StoredResponse
	err := s.read(ctx, func() error {
		e, ok := s.responses[id]
		if ok {
			out = e.Value.(routex.StoredResponse)
		}
		if !ok || !out.ExpiresAt.After(now) {
			return fmt.Errorf("memory: response %q: %w", id, routex.ErrNotFound)
		}
		out = cloneResponse(out)
		return nil
	})
	return out, err
}

func cloneResponse(r routex.StoredResponse) routex.StoredResponse {
	r.Instructions = bytes.Clone(r.Instructions)
	r.Input = bytes.Clone(r.Input)
	r.Output = bytes.Clone(r.Output)
	return r
}

func newResponses(s *Store) {
	s.maxResponses = DefaultMaxResponses
	s.responses = make(map[string]*list.Element)
	s.responseOrder = list.New()
}
