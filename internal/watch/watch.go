// Package watch keeps the callbacks a Store calls after each configuration
// change, for every Store backend to share.
package watch

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Set is a set of callbacks. The zero value is ready to use; a Set is safe
// for concurrent use. Notify reads the callbacks without a lock, because it
// runs on every configuration write while registrations are rare.
type Set struct {
	mu       sync.Mutex                 // serialises changes to the list
	watchers atomic.Pointer[[]*watcher] // copy-on-write
}

type watcher struct {
	fn      func()
	stopped atomic.Bool
}

// Add registers fn. stop unregisters it and may be called more than once; a
// call to fn already under way when stop is called still completes.
func (s *Set) Add(fn func()) (stop func()) {
	w := &watcher{fn: fn}
	s.mu.Lock()
	var next []*watcher
	if ws := s.watchers.Load(); ws != nil {
		next = slices.Clone(*ws)
	}
	s.watchers.Store(new(append(next, w)))
	s.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			w.stopped.Store(true)
			s.mu.Lock()
			defer s.mu.Unlock()
			next := slices.DeleteFunc(slices.Clone(*s.watchers.Load()), func(x *watcher) bool { return x == w })
			s.watchers.Store(&next)
		})
	}
}

// Notify calls every registered callback in the calling goroutine. Call it
// with no lock held: callbacks read the Store.
func (s *Set) Notify() {
	if ws := s.watchers.Load(); ws != nil {
		for _, w := range *ws {
			if !w.stopped.Load() {
				w.fn()
			}
		}
	}
}
