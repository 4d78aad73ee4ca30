package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/analytics"
	"github.com/routex/routex/storage/memory"
)

// TestMetricsInvalidUTF8 sends a model name that is not valid UTF-8 to a
// channel that serves it. Prometheus refuses such label values with a
// panic; the metrics recorder must clean them, so that the caller still
// gets its answer and the Store its record.
func TestMetricsInvalidUTF8(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "utf8")
	ch := mainChannel(ts.up)
	ch.Models = []string{"claude-*"}
	c.do(t, http.MethodPut, "/api/channels/main", ch).want(t, http.StatusOK)

	// By hand: encoding/json would replace the bad byte.
	body := `{"model":"claude-` + "\xff" + `","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	r := ts.send(t, http.MethodPost, "/v1/messages", key, body)
	assert.NotZero(t, r.status) // an answer, whatever the library makes of the name
	ts.drain(t)
	assert.Equal(t, uint64(1), ts.srv.client.RecordStats().Written, "the usage record was lost")

	// Every label the recorder sets, straight to it.
	ts.srv.metrics.Record(analytics.Record{ChannelID: "ch\xff", Model: "m\xfe", UpstreamModel: "u\xfd", Status: 200,
		InputTokens: 1, Cost: new(float64)})
	text := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	assert.Equal(t, 1.0, metricValue(t, text, "routex_requests_total", "channel", "ch\uFFFD"))
}

// TestMetricsCardinality sends 10 000 requests, each for a model of its own,
// to a channel that serves them through a glob: they must not make 10 000
// series. Only models a channel names get a label of their own, and that
// set follows changes to the channels.
func TestMetricsCardinality(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "cardinality")
	ch := mainChannel(ts.up)
	ch.Models = []string{sonnet, "claude-*"}
	ch.ModelMap = map[string]string{"fast": haiku}
	c.do(t, http.MethodPut, "/api/channels/main", ch).want(t, http.StatusOK)

	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody(sonnet, false)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("fast", false)).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("claude-bogus-first", false)).want(t, http.StatusOK)
	before := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	assert.Equal(t, 1.0, metricValue(t, before, "routex_requests_total", "model", sonnet))
	assert.Equal(t, 1.0, metricValue(t, before, "routex_requests_total", "model", "fast"))
	assert.Equal(t, 1.0, metricValue(t, before, "routex_requests_total", "model", "other"))

	const n, workers = 10000, 8
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				req := newRequest(t, http.MethodPost, ts.url+"/v1/messages", anthropicBody(fmt.Sprintf("claude-bogus-%d", i), false))
				req.Header.Set("X-Api-Key", key)
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	after := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	t.Logf("/metrics: %d bytes before the %d models, %d after", len(before), n, len(after))
	assert.Equal(t, modelSeries(before), modelSeries(after), "series with a model label")
	assert.Equal(t, float64(n+1), metricValue(t, after, "routex_requests_total", "model", "other"))
	assert.Less(t, len(after), 2*len(before))

	// Once a channel names a model, it has a label of its own.
	ch.Models = append(ch.Models, "claude-bogus-1")
	c.do(t, http.MethodPut, "/api/channels/main", ch).want(t, http.StatusOK)
	ts.send(t, http.MethodPost, "/v1/messages", key, anthropicBody("claude-bogus-1", false)).want(t, http.StatusOK)
	text := string(c.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	assert.Equal(t, 1.0, metricValue(t, text, "routex_requests_total", "model", "claude-bogus-1"))
}

// modelSeries counts the samples that carry a model label.
func modelSeries(text string) int {
	n := 0
	for line := range strings.Lines(text) {
		if !strings.HasPrefix(line, "#") && strings.Contains(line, `model="`) {
			n++
		}
	}
	return n
}

// TestClientRecorderPanic gives a Client a recorder that panics, ahead of
// its Store: the caller still gets its answer, and the Store its record.
func TestClientRecorderPanic(t *testing.T) {
	t.Parallel()
	up := newMock(t, "main")
	st := memory.New()
	client, err := routex.New(
		routex.WithStore(st),
		routex.WithChannels(mainChannel(up)),
		routex.WithLogger(silent),
		routex.WithRecorder(analytics.RecorderFunc(func(analytics.Record) { panic("recorder bug") })),
	)
	require.NoError(t, err)
	for _, stream := range []bool{false, true} {
		req := newRequest(t, http.MethodPost, "http://routex/v1/messages", anthropicBody(sonnet, stream))
		req.Header.Set("Anthropic-Version", "2023-06-01")
		resp, err := client.RoundTrip(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		// The whole answer: a stream to its last event.
		assert.Contains(t, string(b), map[bool]string{false: "hello from main", true: "event: message_stop"}[stream])
	}
	require.NoError(t, client.Close())
	recs, err := st.Records(t.Context(), routex.RecordQuery{})
	require.NoError(t, err)
	assert.Len(t, recs, 2)
}
