package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// frozenClock sets the login throttle of ts on a clock that moves only
// when the test says.
func frozenClock(ts *testServer) *testClock {
	c := &testClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	ts.srv.logins.setClock(c.Now)
	return c
}

// clientFrom returns a client whose connections come from ip, one of the
// loopback addresses (Linux answers on all of 127.0.0.0/8), so that the
// server sees another client address.
func (ts *testServer) clientFrom(t *testing.T, ip string) *apiClient {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	conn, err := d.DialContext(t.Context(), "tcp", mustURL(t, ts.url).Host)
	if err != nil {
		t.Skipf("cannot connect from %s (%v): this system answers only on 127.0.0.1", ip, err)
	}
	conn.Close()
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiClient{base: ts.url, hc: &http.Client{Jar: jar, Transport: tr}}
}

// refusedFor checks a 429 of the login throttle and its wait in seconds.
func refusedFor(t *testing.T, r reply, seconds int) {
	t.Helper()
	msg := r.wantError(t, http.StatusTooManyRequests, "too_many_requests")
	assert.Equal(t, strconv.Itoa(seconds), r.header.Get("Retry-After"))
	assert.Equal(t, fmt.Sprintf("too many failed logins; try again in %d s", seconds), msg)
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()

	t.Run("by address", func(t *testing.T) {
		t.Parallel()
		ts, _ := setUp(t)
		clock := frozenClock(ts)
		c := ts.clientFrom(t, "127.0.0.2")
		// A new name each time: this is the address's count, not an account's.
		n := 0
		fail := func() reply {
			n++
			return c.do(t, http.MethodPost, "/api/login", credentials{fmt.Sprintf("guess-%d", n), "wrong-password"})
		}
		for range addressPolicy.free {
			fail().wantError(t, http.StatusUnauthorized, "unauthorized")
		}
		// Now each attempt waits, twice as long each time.
		wait := time.Second
		for failed := addressPolicy.free; failed < addressPolicy.lockAfter; failed++ {
			refusedFor(t, fail(), int(wait/time.Second))
			refusedFor(t, c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}), int(wait/time.Second))
			clock.Add(wait)
			fail().wantError(t, http.StatusUnauthorized, "unauthorized")
			wait = min(2*wait, addressPolicy.maxDelay)
		}
		// Locked out: the right password too, for the whole lockout.
		refusedFor(t, c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}), 900)
		clock.Add(addressPolicy.lockout - time.Second)
		refusedFor(t, c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}), 1)
		// Other addresses are not held to it.
		ts.client().do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
		clock.Add(time.Second)
		c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	})

	t.Run("by account, across addresses", func(t *testing.T) {
		t.Parallel()
		ts, _ := setUp(t)
		clock := frozenClock(ts)
		// Two guesses from each address, under any address's threshold.
		for i := range accountPolicy.lockAfter {
			c := ts.clientFrom(t, fmt.Sprintf("127.0.1.%d", 1+i/2))
			c.do(t, http.MethodPost, "/api/login", credentials{adminName, "wrong-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
			if i+1 >= accountPolicy.free && i+1 < accountPolicy.lockAfter {
				// The account waits, whichever address asks.
				r := ts.clientFrom(t, "127.0.2.1").do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword})
				r.wantError(t, http.StatusTooManyRequests, "too_many_requests")
				clock.Add(accountPolicy.maxDelay)
			}
		}
		fresh := ts.clientFrom(t, "127.0.2.2")
		refusedFor(t, fresh.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}), 900)
		// Other names are not locked: the lockout is the account's.
		fresh.do(t, http.MethodPost, "/api/login", credentials{"someone", "wrong-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
		clock.Add(accountPolicy.lockout)
		fresh.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
	})

	t.Run("a success starts over", func(t *testing.T) {
		t.Parallel()
		ts, _ := setUp(t)
		frozenClock(ts)
		c := ts.clientFrom(t, "127.0.0.3")
		for range addressPolicy.free - 1 {
			c.do(t, http.MethodPost, "/api/login", credentials{adminName, "wrong-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
		}
		c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)
		// Without the reset the second of these would wait.
		for range addressPolicy.free {
			c.do(t, http.MethodPost, "/api/login", credentials{adminName, "wrong-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
		}
		refusedFor(t, c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}), 1)
	})

	t.Run("the password change is throttled too", func(t *testing.T) {
		t.Parallel()
		ts, admin := setUp(t)
		frozenClock(ts)
		for range addressPolicy.free {
			admin.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": "wrong-password", "new": "another-password"}).
				wantError(t, http.StatusUnauthorized, "unauthorized")
		}
		refusedFor(t, admin.do(t, http.MethodPut, "/api/settings/password", map[string]string{"current": adminPassword, "new": "another-password"}), 1)
	})

	t.Run("concurrent attempts are charged before they are checked", func(t *testing.T) {
		t.Parallel()
		ts, _ := setUp(t)
		frozenClock(ts)
		c := ts.clientFrom(t, "127.0.0.4")
		statuses := make(chan int, 12)
		var wg sync.WaitGroup
		for range cap(statuses) {
			wg.Go(func() {
				statuses <- c.do(t, http.MethodPost, "/api/login", credentials{adminName, "wrong-password"}).status
			})
		}
		wg.Wait()
		close(statuses)
		checked := 0
		for s := range statuses {
			if s == http.StatusUnauthorized {
				checked++
			} else {
				assert.Contains(t, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, s)
			}
		}
		assert.LessOrEqual(t, checked, addressPolicy.free, "only the free attempts reach the password check")
	})
}

// TestPasswordChecksTakeTurns: bcrypt comparisons run one at a time, a few
// wait for their turn, and the rest are answered 503 at once.
func TestPasswordChecksTakeTurns(t *testing.T) {
	t.Parallel()
	ts, _ := setUp(t)
	frozenClock(ts)
	a := ts.srv.auth
	late := ts.clientFrom(t, "127.0.3.100")
	for range addressPolicy.free - 1 {
		late.do(t, http.MethodPost, "/api/login", credentials{"nobody", "wrong-password"}).wantError(t, http.StatusUnauthorized, "unauthorized")
	}
	a.hashing <- struct{}{} // a comparison in progress

	results := make(chan int, maxHashWaiters)
	for i := range maxHashWaiters {
		c := ts.clientFrom(t, fmt.Sprintf("127.0.3.%d", i+1))
		go func() {
			results <- c.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).status
		}()
	}
	waitFor(t, "every login to wait its turn", func() bool { return a.hashWaiters.Load() == maxHashWaiters })
	r := late.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword})
	r.wantError(t, http.StatusServiceUnavailable, "busy")
	assert.Equal(t, "1", r.header.Get("Retry-After"))

	<-a.hashing
	for range maxHashWaiters {
		assert.Equal(t, http.StatusOK, <-results)
	}
	// A busy answer is not a failure: had it been charged, this third
	// attempt would wait.
	late.do(t, http.MethodPost, "/api/login", credentials{adminName, adminPassword}).want(t, http.StatusOK)

	t.Run("a waiting caller that leaves gives up its place", func(t *testing.T) {
		a.hashing <- struct{}{}
		defer func() { <-a.hashing }()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := a.matches(ctx, []byte("x"), []byte("y"))
			assert.ErrorIs(t, err, context.Canceled)
		}()
		waitFor(t, "the comparison to wait", func() bool { return a.hashWaiters.Load() == 1 })
		cancel()
		<-done
		assert.Zero(t, a.hashWaiters.Load())
	})
}

func TestLoginThrottleMemory(t *testing.T) {
	t.Parallel()
	th := newLoginThrottle(silent)
	clock := &testClock{now: time.Unix(1e9, 0)}
	th.setClock(clock.Now)
	fail := func(addr, name string, isAdmin bool) {
		done, wait := th.allow(addr, name, isAdmin)
		require.NotNil(t, done, "refused for %s", wait)
		done(loginFailed)
	}
	for i := range accountPolicy.free {
		fail(fmt.Sprintf("10.0.0.%d", i), "admin", true)
	}
	// More made-up names and addresses than are remembered, each failing
	// once.
	for i := range throttleAddresses + 10 {
		fail(fmt.Sprintf("10.1.%d.%d", i/250, i%250), fmt.Sprintf("name-%d", i), false)
	}
	th.mu.Lock()
	assert.Equal(t, throttleAccounts, th.names.Len())
	assert.Equal(t, throttleAddresses, th.addrs.Len())
	th.mu.Unlock()
	// The administrator's failures were not pushed out: it still waits.
	done, wait := th.allow("10.9.9.9", "admin", true)
	assert.Nil(t, done)
	assert.Equal(t, time.Second, wait)
	clock.Add(wait)
	done, _ = th.allow("10.9.9.9", "admin", true)
	require.NotNil(t, done)
	th.mu.Lock()
	assert.Equal(t, accountPolicy.free+1, th.admin.count)
	th.mu.Unlock()
}

// waitFor polls until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-t.Context().Done():
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	for remote, want := range map[string]string{
		"192.0.2.7:5555":                    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":        "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":          "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":             "192.0.2.7",
		"[fe80::1%eth0]:80":                 "fe80::/64",
		"not an address":                    "not an address",
		"@":                                 "@",
		"[2001:db8::1]:80, 198.51.100.1:80": "[2001:db8::1]:80, 198.51.100.1:80",
	} {
		assert.Equal(t, want, clientAddress(&http.Request{RemoteAddr: remote}), remote)
	}
}
