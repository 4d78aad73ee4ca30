package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/routex/routex"
)

// modelSync keeps the models of the channels with syncModels set as their
// providers list them: at start, every cfg.ModelsRefresh, and when such a
// channel is saved with a provider (type, base URL, key) it was not synced
// with. A failed listing is logged once per channel, until one succeeds,
// and leaves the channel's list as it was; so does an empty listing, which
// would turn the channel into one that serves any model.
type modelSync struct {
	s       *Server
	every   time.Duration
	wake    chan struct{}
	ctx     context.Context
	stop    context.CancelFunc
	done    chan struct{}
	unwatch func()

	mu      sync.Mutex        // guards synced and failing; one pass at a time
	synced  map[string]string // channel ID → the provider it was last synced with
	failing map[string]bool   // channels whose failure was logged
}

// startModelSync starts syncing every interval; 0 starts nothing.
func startModelSync(s *Server, every time.Duration) *modelSync {
	m := &modelSync{s: s, every: every, wake: make(chan struct{}, 1), done: make(chan struct{}),
		synced: map[string]string{}, failing: map[string]bool{}}
	m.ctx, m.stop = context.WithCancel(context.Background())
	if every <= 0 {
		close(m.done)
		return m
	}
	// A Watch callback runs inside the store's write: it only signals.
	m.unwatch = s.store.Watch(func() {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	})
	go m.run()
	return m
}

// close stops the syncing and waits for a pass under way to end.
func (m *modelSync) close() {
	if m.unwatch != nil {
		m.unwatch()
	}
	m.stop()
	<-m.done
}

func (m *modelSync) run() {
	defer close(m.done)
	m.refresh(true)
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.refresh(true)
		case <-m.wake:
			m.refresh(false)
		}
	}
}

// listingSource names what a channel's listing depends on.
func listingSource(c routex.Channel) string {
	return string(c.Type) + "\x00" + c.BaseURL + "\x00" + c.APIKey + "\x00" + map[bool]string{true: "oauth"}[c.OAuth]
}

// refresh syncs the channels with syncModels set: all of them, or only
// those not synced with their current provider.
func (m *modelSync) refresh(all bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	chs, err := m.s.store.RevealChannels(m.ctx)
	if err != nil {
		if m.ctx.Err() == nil {
			m.s.logger.Warn("routex: refreshing model lists: reading channels", "err", err)
		}
		return
	}
	for _, c := range chs {
		if !c.SyncModels || (!all && m.synced[c.ID] == listingSource(c)) {
			continue
		}
		m.sync(c)
		if m.ctx.Err() != nil {
			return
		}
	}
}

// sync replaces c's models with its provider's listing.
func (m *modelSync) sync(c routex.Channel) {
	m.synced[c.ID] = listingSource(c)
	listed, err := m.s.client.FetchModels(m.ctx, c)
	if err == nil && len(listed) == 0 {
		err = errEmptyListing
	}
	if err != nil {
		if m.ctx.Err() == nil && !m.failing[c.ID] {
			m.failing[c.ID] = true
			m.s.logger.Warn("routex: the channel's provider did not list its models; its model list is unchanged", "channel", c.ID, "err", err)
		}
		return
	}
	if m.failing[c.ID] {
		delete(m.failing, c.ID)
		m.s.logger.Info("routex: the channel's provider lists its models again", "channel", c.ID)
	}
	ids := make([]string, len(listed))
	for i, l := range listed {
		ids[i] = l.ID
	}
	slices.Sort(ids)
	if slices.Equal(ids, c.Models) {
		return
	}
	// Read again: the channel may have been edited while its provider
	// answered.
	cur, err := m.s.store.RevealChannel(m.ctx, c.ID)
	if err != nil || !cur.SyncModels || listingSource(cur) != listingSource(c) {
		return
	}
	cur.Models = ids
	if err := m.s.store.PutChannel(m.ctx, cur); err != nil {
		m.s.logger.Warn("routex: saving the channel's model list", "channel", c.ID, "err", err)
		return
	}
	m.s.logger.Info("routex: the channel's model list was refreshed from its provider", "channel", c.ID, "models", len(ids))
}

var errEmptyListing = errors.New("the provider listed no model")
