package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/routex/routex"
)

// Callers do not choose the metrics' series: models a channel does not
// name itself are labelled "other", however many callers invent.
func TestMetricsCardinalityIsBounded(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "metrics")
	anyModel := newMock(t, "any")
	c.do(t, http.MethodPost, "/api/channels", routex.Channel{ID: "any", Type: routex.FormatOpenAI, BaseURL: anyModel.URL,
		APIKey: "sk-any-0123456789abcdef", Priority: 5}).want(t, http.StatusCreated)

	for i := 0; i < 300; i++ {
		ts.send(t, http.MethodPost, "/v1/chat/completions", key, openaiBody(fmt.Sprintf("made-up-%d", i), false)).want(t, http.StatusOK)
	}
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	ts.drain(t)
	text := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	assert.NotContains(t, text, "made-up-")
	assert.Equal(t, 300.0, metricValue(t, text, "routex_requests_total", "channel", "any", "model", "other", "status", "200"))
	assert.Equal(t, 1.0, metricValue(t, text, "routex_requests_total", "channel", "main", "model", sonnet, "status", "200"))
	assert.Less(t, strings.Count(text, "\n"), 400, "series do not grow with the callers' model names")
}
