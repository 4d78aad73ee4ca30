package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/sse"
)

// window is how far back the live figures look.
const window = 60

// live keeps per-second figures of the last minute and sends them, and each
// finished request, to the dashboards watching /api/events. It is an
// analytics.Recorder: Record never blocks, and a watcher too slow to keep
// up misses events rather than slowing requests.
type live struct {
	now     func() time.Time // the clock; time.Now but in tests
	tickC   <-chan time.Time // when to send the figures; a one-second ticker but in tests
	stop    func()
	mu      sync.Mutex
	seconds [window]second // ring by unix second
	subs    map[chan event]struct{}
	closed  bool
	done    chan struct{}
}

type second struct {
	unix                int64
	requests, errors    int64
	inputTok, outputTok int64
	cost                float64
	latencies           []time.Duration
}

type event struct {
	name string
	data []byte
}

// newLive starts the live figures on the wall clock.
func newLive() *live {
	t := time.NewTicker(time.Second)
	return newLiveClock(time.Now, t.C, t.Stop)
}

// newLiveClock starts the live figures on the clock now, sending them to
// watchers at each tick.
func newLiveClock(now func() time.Time, tick <-chan time.Time, stop func()) *live {
	l := &live{now: now, tickC: tick, stop: stop, subs: make(map[chan event]struct{}), done: make(chan struct{})}
	go l.tick()
	return l
}

// Record implements analytics.Recorder.
func (l *live) Record(r analytics.Record) {
	now := l.now().Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.seconds[now%window]
	if s.unix != now {
		*s = second{unix: now, latencies: s.latencies[:0]}
	}
	s.requests++
	if r.Failed() {
		s.errors++
	}
	s.inputTok += r.InputTokens
	s.outputTok += r.OutputTokens
	if r.Cost != nil {
		s.cost += *r.Cost
	}
	s.latencies = append(s.latencies, r.Latency)
	if len(l.subs) > 0 {
		data, _ := json.Marshal(viewRecord(&r))
		l.sendLocked(event{"request", data})
	}
}

// stats is the "stats" event: the last minute's figures.
type stats struct {
	Time         time.Time `json:"time"`
	RPS          float64   `json:"rps"`
	Requests     int64     `json:"requests"`
	Errors       int64     `json:"errors"`
	InputTokens  int64     `json:"inputTokens"`
	OutputTokens int64     `json:"outputTokens"`
	Cost         float64   `json:"cost"`
	LatencyP50Ms float64   `json:"latencyP50Ms"`
	LatencyP95Ms float64   `json:"latencyP95Ms"`
}

func (l *live) statsLocked(now time.Time) stats {
	st := stats{Time: now.UTC().Truncate(time.Second)}
	var lat []time.Duration
	cutoff := now.Unix() - window
	for i := range l.seconds {
		s := &l.seconds[i]
		if s.unix <= cutoff || s.unix > now.Unix() {
			continue
		}
		st.Requests += s.requests
		st.Errors += s.errors
		st.InputTokens += s.inputTok
		st.OutputTokens += s.outputTok
		st.Cost += s.cost
		lat = append(lat, s.latencies...)
	}
	st.RPS = float64(st.Requests) / window
	if len(lat) > 0 {
		slices.Sort(lat)
		pick := func(p int) float64 {
			return float64(lat[max((p*len(lat)+99)/100, 1)-1]) / float64(time.Millisecond)
		}
		st.LatencyP50Ms, st.LatencyP95Ms = pick(50), pick(95)
	}
	return st
}

// rate returns requests per second over the last minute.
func (l *live) rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statsLocked(l.now()).RPS
}

func (l *live) tick() {
	defer l.stop()
	for {
		select {
		case <-l.done:
			return
		case <-l.tickC:
			now := l.now()
			l.mu.Lock()
			if len(l.subs) > 0 {
				data, _ := json.Marshal(l.statsLocked(now))
				l.sendLocked(event{"stats", data})
			}
			l.mu.Unlock()
		}
	}
}

func (l *live) sendLocked(e event) {
	for ch := range l.subs {
		select {
		case ch <- e:
		default: // a slow watcher misses this one
		}
	}
}

func (l *live) subscribe() (chan event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false
	}
	ch := make(chan event, 64)
	l.subs[ch] = struct{}{}
	return ch, true
}

func (l *live) unsubscribe(ch chan event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.subs[ch]; ok {
		delete(l.subs, ch)
		close(ch)
	}
}

// Close ends every event stream; it may be called more than once.
func (l *live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	close(l.done)
	for ch := range l.subs {
		delete(l.subs, ch)
		close(ch)
	}
}

// events streams the live figures as Server-Sent Events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		apiError(w, http.StatusInternalServerError, "internal", "streaming unsupported")
		return
	}
	ch, ok := s.live.subscribe()
	if !ok {
		apiError(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down")
		return
	}
	defer s.live.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The first figures at once, not a second later.
	s.live.mu.Lock()
	first, _ := json.Marshal(s.live.statsLocked(s.live.now()))
	s.live.mu.Unlock()
	if sse.WriteEvent(w, "stats", first) != nil {
		return
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			if sse.WriteEvent(w, e.name, e.data) != nil {
				return
			}
			fl.Flush()
		}
	}
}
