package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex"
	"github.com/routex/routex/internal/mockupstream"
	"github.com/routex/routex/internal/testserver"
)

// A fleet is several server processes run as one router: one PostgreSQL
// database, one Redis, and a round-robin balancer in front, as
// docker-compose.yml runs them.
type fleet struct {
	pg     *testserver.Postgres
	redis  *testserver.Redis
	db     string // the database's URL
	env    []string
	nodes  []*node
	lb     *httptest.Server
	key    string // a proxy key
	tokens string // the OAuth token endpoint the instances use
}

// node is one server process.
type node struct {
	url  string
	cmd  *exec.Cmd
	logs *logBuffer
	api  *apiClient
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startFleet starts n instances on a new database and Redis.
func startFleet(t *testing.T, n int, tokenURL string) *fleet {
	t.Helper()
	f := &fleet{pg: testserver.StartPostgres(t), redis: testserver.StartRedis(t), tokens: tokenURL}
	f.db = f.pg.NewDatabase(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	f.env = []string{
		"ROUTEX_POSTGRES=" + f.db,
		"ROUTEX_REDIS=" + f.redis.URL(),
		"ROUTEX_ENCRYPTION_KEY=" + hex.EncodeToString(key),
		"ROUTEX_ADMIN_TOKEN=" + adminToken,
		"ROUTEX_ADMIN_USER=" + adminName,
		"ROUTEX_ADMIN_PASSWORD=" + adminPassword,
		"ROUTEX_TEST_TOKEN_URL=" + tokenURL,
	}
	var wg sync.WaitGroup
	f.nodes = make([]*node, n)
	for i := range f.nodes {
		wg.Go(func() { f.nodes[i] = f.start(t) })
	}
	wg.Wait()
	for _, nd := range f.nodes {
		if nd == nil {
			t.FailNow()
		}
	}
	var next atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, n)
	for i, nd := range f.nodes {
		u, _ := url.Parse(nd.url)
		proxies[i] = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }, FlushInterval: -1}
	}
	f.lb = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[next.Add(1)%uint64(n)].ServeHTTP(w, r)
	}))
	t.Cleanup(f.lb.Close)
	_, f.key = makeKey(t, f.nodes[0].api, "fleet")
	return f
}

// start starts one instance and waits until it answers.
func (f *fleet) start(t *testing.T) *node {
	addr := freeAddr(t)
	nd := &node{url: "http://" + addr, logs: &logBuffer{}}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelp$")
	cmd.Env = append(append(os.Environ(), f.env...), "ROUTEX_TEST_MAIN_ARGS=-addr "+addr+" -data "+t.TempDir())
	cmd.Stdout, cmd.Stderr = nd.logs, nd.logs
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	nd.cmd = cmd
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("instance %s:\n%s", nd.url, nd.logs)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(nd.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Errorf("instance %s did not start: %v\n%s", nd.url, err, nd.logs)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	jar, _ := cookiejar.New(nil)
	nd.api = &apiClient{base: nd.url, hc: &http.Client{Jar: jar}, bearer: adminToken}
	return nd
}

// send posts an Anthropic request to base with the fleet's proxy key.
func (f *fleet) send(t *testing.T, base, model string, header ...string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", strings.NewReader(anthropicBody(model, false)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", f.key)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s: %v", base, err)
		return 0, nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// channel creates a channel through instance i.
func (f *fleet) channel(t *testing.T, i int, ch map[string]any) {
	t.Helper()
	f.nodes[i].api.do(t, http.MethodPost, "/api/channels", ch).want(t, http.StatusCreated)
}

// everywhere waits until every instance serves model: a change made
// through one instance reaches the others through the database.
func (f *fleet) everywhere(t *testing.T, model string) {
	t.Helper()
	for _, nd := range f.nodes {
		deadline := time.Now().Add(5 * time.Second)
		for {
			var ids []string
			for _, m := range decodeAs[struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
			}](t, nd.get(t, "/v1/models", f.key)).Data {
				ids = append(ids, m.ID)
			}
			if strings.Contains(" "+strings.Join(ids, " ")+" ", " "+model+" ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not serve %s within 5 s", nd.url, model)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (nd *node) get(t *testing.T, path, key string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, nd.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	return roundTrip(t, http.DefaultClient, req)
}

// sharedStatus is what /api/status says of the instance's Redis.
func (nd *node) sharedStatus(t *testing.T) routex.SharedStatus {
	t.Helper()
	return decodeAs[struct {
		Shared routex.SharedStatus `json:"shared"`
	}](t, nd.api.do(t, http.MethodGet, "/api/status", nil).want(t, http.StatusOK)).Shared
}

// breaker returns what instance nd says of channel id's breaker.
func (nd *node) breaker(t *testing.T, id string) string {
	t.Helper()
	st := decodeAs[struct {
		Channels []struct {
			ID      string `json:"id"`
			Breaker string `json:"breaker"`
		} `json:"channels"`
	}](t, nd.api.do(t, http.MethodGet, "/api/status", nil).want(t, http.StatusOK))
	for _, c := range st.Channels {
		if c.ID == id {
			return c.Breaker
		}
	}
	return ""
}

// tokenServer is an OAuth token endpoint whose code exchange hands out a
// token that lives 4 s, and which counts refreshes, each held for hold so
// that concurrent requests pile up behind the first.
func tokenServer(t *testing.T, hold time.Duration) (*httptest.Server, *atomic.Int32) {
	var refreshes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &in) != nil {
			v, _ := url.ParseQuery(string(body))
			in = map[string]string{"grant_type": v.Get("grant_type")}
		}
		w.Header().Set("Content-Type", "application/json")
		switch in["grant_type"] {
		case "refresh_token":
			n := refreshes.Add(1)
			time.Sleep(hold)
			json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-refreshed-%d-%s", n, secretMark),
				"refresh_token": fmt.Sprintf("rt-refreshed-%d-%s", n, secretMark), "token_type": "Bearer", "expires_in": 28800})
		default:
			json.NewEncoder(w).Encode(map[string]any{"access_token": "at-first-" + secretMark, "refresh_token": "rt-first-" + secretMark,
				"token_type": "Bearer", "expires_in": 4})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &refreshes
}

// TestFleet runs three instances on one PostgreSQL and one Redis behind a
// round-robin balancer, and checks that they act as one router.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and three servers")
	}
	tokens, refreshes := tokenServer(t, 300*time.Millisecond)
	f := startFleet(t, 3, tokens.URL+"/token")

	t.Run("a change through one instance routes the next request of another", func(t *testing.T) {
		a, b := newMock(t, "rule-a"), newMock(t, "rule-b")
		f.channel(t, 0, map[string]any{"id": "rule-a", "type": "anthropic", "baseUrl": a.URL, "apiKey": "sk-a-" + secretMark, "models": []string{"m-rule"}})
		f.channel(t, 0, map[string]any{"id": "rule-b", "type": "anthropic", "baseUrl": b.URL, "apiKey": "sk-b-" + secretMark, "models": []string{"m-rule"}, "priority": 1})
		f.everywhere(t, "m-rule")
		start := time.Now()
		f.nodes[0].api.do(t, http.MethodPost, "/api/rules", map[string]any{"id": "to-b", "priority": 10,
			"condition": map[string]any{"modelPattern": "m-rule"}, "target": map[string]any{"channel": "rule-b"}}).want(t, http.StatusCreated)
		status, h := f.send(t, f.nodes[2].url, "m-rule")
		took := time.Since(start)
		if h.Get("X-Routex-Rule") != "to-b" {
			// The change travels by LISTEN/NOTIFY, and C reloads its
			// snapshot when it hears: a request sent within those few
			// milliseconds is routed as before. Say how long it took.
			deadline := time.Now().Add(time.Second)
			for h.Get("X-Routex-Rule") != "to-b" && time.Now().Before(deadline) {
				status, h = f.send(t, f.nodes[2].url, "m-rule")
			}
			took = time.Since(start)
			require.Equal(t, "to-b", h.Get("X-Routex-Rule"), "the rule made through instance A never reached C")
		}
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "rule-b", h.Get("X-Routex-Channel"))
		t.Logf("rule made through A, applied by C's request %v later", took)
	})

	t.Run("a quota is exact across instances", func(t *testing.T) {
		up := newMock(t, "quota")
		f.channel(t, 1, map[string]any{"id": "quota", "type": "anthropic", "baseUrl": up.URL, "apiKey": "sk-q-" + secretMark,
			"models": []string{"m-quota"}, "limits": []map[string]any{{"perMs": 60000, "requests": 30}}})
		f.everywhere(t, "m-quota")
		if s := time.Now().Second(); s >= 50 {
			// The window rolls at the minute: start in a fresh one.
			time.Sleep(time.Duration(61-s) * time.Second)
		}
		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				switch status, _ := f.send(t, f.lb.URL, "m-quota"); status {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusServiceUnavailable, http.StatusTooManyRequests:
					refused.Add(1)
				default:
					t.Errorf("status %d", status)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(30), ok.Load(), "requests let through by a 30-a-minute quota, 64 callers on three instances")
		assert.Equal(t, int32(34), refused.Load())
		assert.Equal(t, 30, up.Calls(), "requests the account received")
	})

	t.Run("a session stays on its channel whichever instance it reaches", func(t *testing.T) {
		a, b := newMock(t, "sess-a"), newMock(t, "sess-b")
		f.nodes[0].api.do(t, http.MethodPut, "/api/strategy", map[string]any{"strategy": "round_robin"}).want(t, http.StatusOK)
		defer f.nodes[0].api.do(t, http.MethodPut, "/api/strategy", map[string]any{"strategy": "priority"})
		f.channel(t, 2, map[string]any{"id": "sess-a", "type": "anthropic", "baseUrl": a.URL, "apiKey": "sk-sa-" + secretMark, "models": []string{"m-sess"}})
		f.channel(t, 2, map[string]any{"id": "sess-b", "type": "anthropic", "baseUrl": b.URL, "apiKey": "sk-sb-" + secretMark, "models": []string{"m-sess"}})
		f.everywhere(t, "m-sess")
		for _, session := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} {
			_, h := f.send(t, f.lb.URL, "m-sess", "X-Session-Id", session)
			first := h.Get("X-Routex-Channel")
			for range 6 {
				_, h := f.send(t, f.lb.URL, "m-sess", "X-Session-Id", session)
				assert.Equal(t, first, h.Get("X-Routex-Channel"), "session %s", session)
			}
		}
		assert.Positive(t, a.Calls())
		assert.Positive(t, b.Calls(), "sessions spread over both channels")
	})

	t.Run("a channel failing at one instance is avoided by the others", func(t *testing.T) {
		bad, good := newMock(t, "bad"), newMock(t, "good")
		bad.Always(mockupstream.Behavior{Status: 500})
		f.channel(t, 0, map[string]any{"id": "bad", "type": "anthropic", "baseUrl": bad.URL, "apiKey": "sk-bad-" + secretMark, "models": []string{"m-fail"}})
		f.channel(t, 0, map[string]any{"id": "good", "type": "anthropic", "baseUrl": good.URL, "apiKey": "sk-good-" + secretMark, "models": []string{"m-fail"}, "priority": 1})
		f.everywhere(t, "m-fail")
		for f.nodes[0].breaker(t, "bad") != "open" {
			status, _ := f.send(t, f.nodes[0].url, "m-fail")
			require.Equal(t, http.StatusOK, status)
			require.Less(t, bad.Calls(), 20, "the breaker never opened")
		}
		opened := time.Now()
		for _, nd := range f.nodes[1:] {
			for nd.breaker(t, "bad") != "open" {
				require.Less(t, time.Since(opened), 2*time.Second, "%s did not hear of the open breaker", nd.url)
				time.Sleep(time.Millisecond)
			}
		}
		t.Logf("the other instances had the breaker open %v after instance A", time.Since(opened))
		calls := bad.Calls()
		for _, nd := range f.nodes[1:] {
			status, h := f.send(t, nd.url, "m-fail")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "good", h.Get("X-Routex-Channel"))
		}
		assert.Equal(t, calls, bad.Calls(), "no other instance tried the dead channel")
	})

	t.Run("one OAuth refresh for 50 requests across instances", func(t *testing.T) {
		acct := newMock(t, "acct")
		f.channel(t, 0, map[string]any{"id": "max", "type": "anthropic", "baseUrl": acct.URL, "models": []string{"m-oauth-soon"}})
		start := decodeAs[map[string]string](t, f.nodes[0].api.do(t, http.MethodPost, "/api/channels/max/signin", map[string]string{"mode": "subscription"}).want(t, http.StatusOK))
		u, err := url.Parse(start["url"])
		require.NoError(t, err)
		f.nodes[0].api.do(t, http.MethodPost, "/api/channels/max/signin/finish", map[string]string{"code": "good-code#" + u.Query().Get("state")}).want(t, http.StatusOK)
		signedIn := time.Now()
		// The model is added once the channel is an account's, so that an
		// instance serving it has the account too.
		f.nodes[0].api.do(t, http.MethodPut, "/api/channels/max", map[string]any{"id": "max", "type": "anthropic", "baseUrl": acct.URL,
			"oauth": true, "models": []string{"m-oauth"}}).want(t, http.StatusOK)
		f.everywhere(t, "m-oauth")
		// A token is due for refresh in the second half of its life (the
		// token endpoint gives 4 s): wait for it.
		time.Sleep(time.Until(signedIn.Add(2200 * time.Millisecond)))
		before := refreshes.Load()
		var wg sync.WaitGroup
		var failed atomic.Int32
		for range 50 {
			wg.Go(func() {
				if status, _ := f.send(t, f.lb.URL, "m-oauth"); status != http.StatusOK {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Zero(t, failed.Load(), "requests that failed")
		assert.Equal(t, int32(1), refreshes.Load()-before, "refreshes for 50 concurrent requests on three instances")
		tokensSeen := map[string]bool{}
		for _, r := range acct.Requests() {
			tokensSeen[r.Header.Get("Authorization")] = true
		}
		assert.Equal(t, map[string]bool{"Bearer at-refreshed-1-" + secretMark: true}, tokensSeen, "every instance sent the one refreshed token")
	})

	t.Run("Redis killed mid-run", func(t *testing.T) {
		up := newMock(t, "steady")
		f.channel(t, 1, map[string]any{"id": "steady", "type": "anthropic", "baseUrl": up.URL, "apiKey": "sk-st-" + secretMark,
			"models": []string{"m-steady"}, "limits": []map[string]any{{"perMs": 60000, "requests": 100000}}})
		f.everywhere(t, "m-steady")
		l := f.load(t, "m-steady")
		l.waitSent(t, 20)
		f.redis.Stop()
		for _, nd := range f.nodes {
			waitUntil(t, 10*time.Second, nd.url+" noticing Redis gone", func() bool { return !nd.sharedStatus(t).Reachable })
		}
		f.eachServes(t, "steady", 10, "while Redis is gone")
		f.redis.Start()
		for _, nd := range f.nodes {
			waitUntil(t, 15*time.Second, nd.url+" finding Redis back", func() bool { return nd.sharedStatus(t).Reachable })
		}
		sent, failed := l.stop()
		assert.Zero(t, failed, "requests failed while Redis was gone (of %d)", sent)
		assert.Positive(t, sent)
		for _, nd := range f.nodes {
			assert.EqualValues(t, 1, nd.sharedStatus(t).Outages, nd.url)
		}
		// Shared again: a breaker opened at one instance reaches the others.
		bad := newMock(t, "bad-after")
		bad.Always(mockupstream.Behavior{Status: 500})
		f.channel(t, 1, map[string]any{"id": "bad-after", "type": "anthropic", "baseUrl": bad.URL, "apiKey": "sk-ba-" + secretMark, "models": []string{"m-steady"}, "priority": -1})
		f.everywhere(t, "m-steady")
		for f.nodes[1].breaker(t, "bad-after") != "open" {
			f.send(t, f.nodes[1].url, "m-steady")
			require.Less(t, bad.Calls(), 20)
		}
		for _, nd := range []*node{f.nodes[0], f.nodes[2]} {
			waitUntil(t, 2*time.Second, nd.url+" hearing of the breaker after Redis came back", func() bool { return nd.breaker(t, "bad-after") == "open" })
		}
	})

	t.Run("PostgreSQL killed mid-run", func(t *testing.T) {
		up := newMock(t, "rec")
		f.channel(t, 2, map[string]any{"id": "rec", "type": "anthropic", "baseUrl": up.URL, "apiKey": "sk-rec-" + secretMark, "models": []string{"m-rec"}})
		f.everywhere(t, "m-rec")
		l := f.load(t, "m-rec")
		l.waitSent(t, 20)
		f.pg.Stop()
		// Stop has returned: what each instance serves now, it must queue.
		f.eachServes(t, "rec", 10, "while PostgreSQL is down")
		f.pg.Start()
		l.waitSent(t, l.sent()+20)
		sent, failed := l.stop()
		assert.Zero(t, failed, "requests failed while PostgreSQL was gone (of %d)", sent)
		// Every record reaches the database once it is back.
		waitUntil(t, 30*time.Second, "the outage's records reaching the database", func() bool {
			return f.records(t, "rec") >= sent
		})
		assert.Equal(t, sent, f.records(t, "rec"), "records of channel rec")
		assert.Equal(t, sent, up.Calls())
	})
}

// load sends requests for model through the balancer from 4 callers until
// stop is called, which reports how many were sent and how many did not
// succeed.
func (f *fleet) load(t *testing.T, model string) *loadRun {
	l := &loadRun{}
	ctx, cancel := context.WithCancel(context.Background())
	for range 4 {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				status, _ := f.send(t, f.lb.URL, model)
				l.n.Add(1)
				if status != http.StatusOK {
					l.bad.Add(1)
				}
			}
		})
	}
	l.cancel = cancel
	return l
}

// loadRun is a load started by fleet.load.
type loadRun struct {
	n, bad atomic.Int32
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// sent is how many requests have been answered so far.
func (l *loadRun) sent() int { return int(l.n.Load()) }

// waitSent waits until n requests have been answered.
func (l *loadRun) waitSent(t *testing.T, n int) {
	t.Helper()
	waitUntil(t, 10*time.Second, fmt.Sprintf("the callers completing %d requests (have %d)", n, l.sent()), func() bool { return l.sent() >= n })
}

func (l *loadRun) stop() (sent, failed int) {
	l.cancel()
	l.wg.Wait()
	return int(l.n.Load()), int(l.bad.Load())
}

// served is how many requests instance nd has answered 200 through
// channel id, by its /metrics.
func (nd *node) served(t *testing.T, id string) int {
	t.Helper()
	text := string(nd.api.do(t, http.MethodGet, "/metrics", nil).want(t, http.StatusOK).body)
	return max(0, int(metricValue(t, text, "routex_requests_total", "channel", id, "status", "200")))
}

// eachServes waits until every instance has answered n more requests
// through channel id than when it was called.
func (f *fleet) eachServes(t *testing.T, id string, n int, when string) {
	t.Helper()
	from := make([]int, len(f.nodes))
	for i, nd := range f.nodes {
		from[i] = nd.served(t, id)
	}
	for i, nd := range f.nodes {
		waitUntil(t, 10*time.Second, fmt.Sprintf("%s answering %d requests %s", nd.url, n, when), func() bool { return nd.served(t, id)-from[i] >= n })
	}
}

// records counts the usage records of channel id in the database.
func (f *fleet) records(t *testing.T, id string) int {
	t.Helper()
	total := 0
	for _, a := range decodeAs[[]struct {
		Requests int `json:"requests"`
	}](t, f.nodes[0].api.do(t, http.MethodGet, "/api/analytics?channel="+id, nil).want(t, http.StatusOK)) {
		total += a.Requests
	}
	return total
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
