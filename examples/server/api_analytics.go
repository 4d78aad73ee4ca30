package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/routex/routex"
)

// timeRange reads from and to (RFC 3339), by default the last day.
func timeRange(q map[string][]string) (from, to time.Time, err error) {
	to = time.Now()
	from = to.Add(-24 * time.Hour)
	if v := first(q["from"]...); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("from: %v", err)
		}
	}
	if v := first(q["to"]...); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, fmt.Errorf("to: %v", err)
		}
	}
	return from, to, nil
}

var buckets = map[string]time.Duration{"": 0, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

func (s *Server) analytics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := timeRange(q)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	bucket, ok := buckets[q.Get("bucket")]
	if !ok {
		apiError(w, http.StatusBadRequest, "bad_request", "bucket must be minute, hour or day")
		return
	}
	group := routex.GroupBy(q.Get("group"))
	switch group {
	case routex.GroupNone, routex.GroupChannel, routex.GroupModel, routex.GroupKey:
	default:
		apiError(w, http.StatusBadRequest, "bad_request", "group must be channel, model or key")
		return
	}
	aggs, err := s.store.Aggregate(r.Context(), routex.AggregateQuery{From: from, To: to, Bucket: bucket, GroupBy: group,
		ChannelID: q.Get("channel"), Model: q.Get("model"), KeyID: q.Get("key")})
	if err != nil {
		s.storeError(w, "analytics", err)
		return
	}
	writeJSON(w, http.StatusOK, viewAggregates(aggs))
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	total := func(d time.Duration) (aggregateView, error) {
		aggs, err := s.store.Aggregate(r.Context(), routex.AggregateQuery{From: now.Add(-d), To: now})
		if err != nil || len(aggs) == 0 {
			return viewAggregate(&routex.Aggregate{}), err
		}
		return viewAggregate(&aggs[0]), nil
	}
	hour, err := total(time.Hour)
	if err != nil {
		s.storeError(w, "overview", err)
		return
	}
	day, err := total(24 * time.Hour)
	if err != nil {
		s.storeError(w, "overview", err)
		return
	}
	avail := 0
	status := s.client.Status()
	for _, st := range status {
		if st.Available {
			avail++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"hour": hour, "day": day, "rps": s.live.rate(),
		"channels": map[string]int{"total": len(status), "available": avail},
	})
}

func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rq := routex.RecordQuery{ChannelID: q.Get("channel"), Model: q.Get("model"), KeyID: q.Get("key"), Failed: q.Get("failed") == "true"}
	var err error
	num := func(name string, dst *int, min, max int) bool {
		v := q.Get(name)
		if v == "" {
			return true
		}
		n, e := strconv.Atoi(v)
		if e != nil || n < min || n > max {
			apiError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("%s must be a whole number from %d to %d", name, min, max))
			return false
		}
		*dst = n
		return true
	}
	// The Store reads a zero limit as its own default: limit starts at 1.
	rq.Limit = 50
	if !num("limit", &rq.Limit, 1, 1000) || !num("offset", &rq.Offset, 0, 1<<30) || !num("status", &rq.Status, 0, 999) {
		return
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		if rq.From, rq.To, err = timeRange(q); err != nil {
			apiError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
	}
	recs, err := s.store.Records(r.Context(), rq)
	if err != nil {
		s.storeError(w, "requests", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": viewRecords(recs), "limit": rq.Limit, "offset": rq.Offset})
}
