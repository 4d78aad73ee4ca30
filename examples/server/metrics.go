package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/routex/routex/analytics"
	"github.com/routex/routex/breaker"
)

// metrics counts every finished request for Prometheus. It is an
// analytics.Recorder; channel health is read from the Client at scrape time.
type metrics struct {
	s        *Server
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	cost     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ttfb     *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		s:   s,
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "routex_requests_total", Help: "Requests answered, by channel, model and HTTP status.",
		}, []string{"channel", "model", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "routex_tokens_total", Help: "Tokens used, by channel, model and kind (input, output, cache_read, cache_write).",
		}, []string{"channel", "model", "kind"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "routex_cost_usd_total", Help: "Cost in USD of the requests whose model has a price.",
		}, []string{"channel", "model"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "routex_request_duration_seconds", Help: "Time from arrival to the last byte.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"channel"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "routex_time_to_first_byte_seconds", Help: "Time from arrival to the response headers (first event for streams).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
	}
	m.reg.MustRegister(m.requests, m.tokens, m.cost, m.latency, m.ttfb,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&clientCollector{s: s})
	return m
}

// Record implements analytics.Recorder.
func (m *metrics) Record(r analytics.Record) {
	ch, model := r.ChannelID, ""
	// Callers name models; a label per made-up name would grow without
	// bound. Only the names a channel gives itself are labels, the rest
	// are "other" (and refusals before a channel was chosen, "").
	switch {
	case ch == "":
	case m.s.client == nil:
		model = "other"
	case m.s.client.NamesModel(ch, r.Model):
		model = r.Model
	case r.UpstreamModel != r.Model && m.s.client.NamesModel(ch, r.UpstreamModel):
		model = r.UpstreamModel
	default:
		model = "other"
	}
	// Label values must be UTF-8, or the client library panics.
	ch, model = strings.ToValidUTF8(ch, "\uFFFD"), strings.ToValidUTF8(model, "\uFFFD")
	m.requests.WithLabelValues(ch, model, strconv.Itoa(r.Status)).Inc()
	for _, t := range [...]struct {
		kind string
		n    int64
	}{{"input", r.InputTokens}, {"output", r.OutputTokens}, {"cache_read", r.CacheReadTokens}, {"cache_write", r.CacheWriteTokens}} {
		if t.n > 0 {
			m.tokens.WithLabelValues(ch, model, t.kind).Add(float64(t.n))
		}
	}
	if r.Cost != nil {
		m.cost.WithLabelValues(ch, model).Add(*r.Cost)
	}
	m.latency.WithLabelValues(ch).Observe(r.Latency.Seconds())
	if r.TTFB > 0 {
		m.ttfb.WithLabelValues(ch).Observe(r.TTFB.Seconds())
	}
}

// clientCollector reports channel health and the record writer's counters.
type clientCollector struct{ s *Server }

var (
	descAvailable  = prometheus.NewDesc("routex_channel_available", "1 when the channel would take a request now.", []string{"channel"}, nil)
	descBreaker    = prometheus.NewDesc("routex_channel_breaker_open", "1 when the channel's circuit breaker is open or half-open.", []string{"channel"}, nil)
	descWritten    = prometheus.NewDesc("routex_records_written_total", "Usage records saved to the database.", nil, nil)
	descDropped    = prometheus.NewDesc("routex_records_dropped_total", "Usage records dropped because the write queue was full.", nil, nil)
	descFailed     = prometheus.NewDesc("routex_records_failed_total", "Usage records the database refused.", nil, nil)
	descShared     = prometheus.NewDesc("routex_shared_reachable", "1 while the state shared with other instances (-redis) answers, 0 while this instance serves on its own; absent without one.", nil, nil)
	descOutages    = prometheus.NewDesc("routex_shared_outages_total", "Times the shared state (-redis) became unreachable.", nil, nil)
	descSharedDrop = prometheus.NewDesc("routex_shared_dropped_total", "Updates to the shared state lost: its queue was full or it was unreachable.", nil, nil)
)

func (c *clientCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAvailable, descBreaker, descWritten, descDropped, descFailed, descShared, descOutages, descSharedDrop} {
		ch <- d
	}
}

func (c *clientCollector) Collect(ch chan<- prometheus.Metric) {
	client := c.s.client
	if client == nil {
		return
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, st := range client.Status() {
		ch <- prometheus.MustNewConstMetric(descAvailable, prometheus.GaugeValue, b(st.Available), st.ID)
		ch <- prometheus.MustNewConstMetric(descBreaker, prometheus.GaugeValue, b(st.Breaker != breaker.Closed), st.ID)
	}
	rs := client.RecordStats()
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(rs.Written))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(rs.Dropped))
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(rs.Failed))
	if ss := client.SharedStatus(); ss.Configured {
		ch <- prometheus.MustNewConstMetric(descShared, prometheus.GaugeValue, b(ss.Reachable))
		ch <- prometheus.MustNewConstMetric(descOutages, prometheus.CounterValue, float64(ss.Outages))
		ch <- prometheus.MustNewConstMetric(descSharedDrop, prometheus.CounterValue, float64(ss.Dropped))
	}
}

func (s *Server) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	if s.cfg.MetricsPublic {
		return h
	}
	return s.auth.require(h)
}
