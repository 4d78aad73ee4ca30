package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixture is a Manager over a memory Store, a test authorization server
// and a fake clock, with one channel "ch" holding a token.
type fixture struct {
	a     *authServer
	store *tokenStore
	clk   *clock
	logs  *logBuffer
	m     *Manager
	tok   Token // the token stored at the start
}

func newFixture(t *testing.T, jsonRequests bool, expiresIn time.Duration, s Settings) *fixture {
	t.Helper()
	f := &fixture{
		a:     newAuthServer(t, jsonRequests),
		store: newTokenStore(),
		clk:   newClock(),
		logs:  &logBuffer{},
	}
	s.Now = f.clk.Now
	s.Logger = f.logs.logger()
	m, err := NewManager(f.store, Fixed(f.a.provider()), s)
	if err != nil {
		t.Fatal(err)
	}
	f.m = m
	access, refresh := f.a.issue()
	f.tok = Token{
		ChannelID:    "ch",
		AccessToken:  access,
		RefreshToken: refresh,
		TokenType:    "Bearer",
		Expiry:       f.clk.Now().Add(expiresIn),
		UpdatedAt:    f.clk.Now().Add(-8 * time.Hour), // issued long ago
	}
	if err := f.store.PutToken(t.Context(), f.tok); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) failRefreshes(status int) {
	f.a.mu.Lock()
	f.a.failRefresh = func(w http.ResponseWriter, _ string) {
		oauthError(w, status, "server_error", "try later")
	}
	f.a.mu.Unlock()
}

func TestManagerServesFromMemory(t *testing.T) {
	f := newFixture(t, true, time.Hour, Settings{})
	for range 3 {
		got, err := f.m.AccessToken(t.Context(), "ch")
		if err != nil || got != f.tok.AccessToken {
			t.Fatalf("AccessToken = %q, %v", got, err)
		}
	}
	if n := f.a.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes of a fresh token", n)
	}
	st := f.m.Status("ch")
	if st.State != StateOK || !st.Expiry.Equal(f.tok.Expiry) || st.Provider != "test" {
		t.Errorf("status = %+v", st)
	}
}

func TestManagerRefresh(t *testing.T) {
	for _, jsonRequests := range []bool{true, false} {
		name := map[bool]string{true: "json", false: "form"}[jsonRequests]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, jsonRequests, 4*time.Minute, Settings{}) // inside RefreshBefore (5m)
			got, err := f.m.AccessToken(t.Context(), "ch")
			if err != nil {
				t.Fatal(err)
			}
			if got == f.tok.AccessToken || !strings.HasPrefix(got, "at-") {
				t.Fatalf("got the old token back")
			}
			if n := f.a.refreshes.Load(); n != 1 {
				t.Fatalf("%d refreshes, want 1", n)
			}
			stored, err := f.store.RevealToken(t.Context(), "ch")
			if err != nil {
				t.Fatal(err)
			}
			if stored.AccessToken != got || stored.RefreshToken == f.tok.RefreshToken || stored.RefreshToken == "" {
				t.Errorf("the refreshed, rotated token was not stored")
			}
			if want := f.clk.Now().Add(time.Hour); !stored.Expiry.Equal(want) {
				t.Errorf("expiry %v, want %v (from expires_in on the Manager's clock)", stored.Expiry, want)
			}
			// Fresh now: no second refresh.
			again, err := f.m.AccessToken(t.Context(), "ch")
			if err != nil || again != got || f.a.refreshes.Load() != 1 {
				t.Errorf("second call: %v, %d refreshes", err, f.a.refreshes.Load())
			}
			// An hour later it is due again, and the rotated token works.
			f.clk.Advance(56 * time.Minute)
			third, err := f.m.AccessToken(t.Context(), "ch")
			if err != nil || third == got || f.a.refreshes.Load() != 2 {
				t.Errorf("third call: %v, %d refreshes", err, f.a.refreshes.Load())
			}
			st := f.m.Status("ch")
			if st.State != StateOK || !st.RefreshedAt.Equal(f.clk.Now()) || st.Failures != 0 {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

func TestManagerConcurrentRequestsRefreshOnce(t *testing.T) {
	const n = 50
	f := newFixture(t, true, time.Minute, Settings{})
	f.a.entered = make(chan struct{}, 1)
	f.a.release = make(chan struct{})
	if err := f.m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	var waiting sync.WaitGroup
	waiting.Add(n)
	f.m.testHookWaiting = waiting.Done

	var wg sync.WaitGroup
	tokens := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tokens[i], errs[i] = f.m.AccessToken(t.Context(), "ch")
		})
	}
	// Every request has joined the refresh, which is held at the server.
	waiting.Wait()
	<-f.a.entered
	if st := f.m.Status("ch"); st.State != StateRefreshing {
		t.Errorf("state while refreshing = %v", st.State)
	}
	close(f.a.release)
	wg.Wait()

	if got := f.a.refreshes.Load(); got != 1 {
		t.Fatalf("%d refreshes for %d concurrent requests, want 1", got, n)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if tokens[i] != tokens[0] || tokens[i] == f.tok.AccessToken {
			t.Fatalf("request %d got a different or stale token", i)
		}
	}
}

func TestManagerBackoffThenFailed(t *testing.T) {
	f := newFixture(t, true, -time.Minute, Settings{ // already expired
		MaxFailures: 3,
		MinBackoff:  time.Minute,
		MaxBackoff:  10 * time.Minute,
	})
	f.failRefreshes(http.StatusServiceUnavailable)
	ctx := t.Context()

	// First failure: back off one minute.
	_, err := f.m.AccessToken(ctx, "ch")
	var re *RefreshError
	if !errors.As(err, &re) || !errors.Is(err, ErrBackoff) || re.Failures != 1 {
		t.Fatalf("err = %v, want a back-off RefreshError", err)
	}
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable || te.Code != "server_error" {
		t.Errorf("the cause is not reachable: %v", err)
	}
	if !re.RetryAt.Equal(f.clk.Now().Add(time.Minute)) {
		t.Errorf("RetryAt = %v", re.RetryAt)
	}
	st := f.m.Status("ch")
	if st.State != StateBackoff || st.Failures != 1 || !st.NextRetry.Equal(re.RetryAt) ||
		!strings.Contains(st.LastError, "503") {
		t.Errorf("status = %+v", st)
	}
	if f.m.Available("ch") {
		t.Error("available with an expired token during back-off")
	}

	// During the back-off: a quick error, and no call to the server.
	for range 10 {
		if _, err := f.m.AccessToken(ctx, "ch"); !errors.Is(err, ErrBackoff) {
			t.Fatalf("err = %v, want ErrBackoff", err)
		}
	}
	if n := f.a.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes during the back-off, want 1", n)
	}

	// Second failure: back off two minutes (exponential).
	f.clk.Advance(time.Minute)
	if _, err := f.m.AccessToken(ctx, "ch"); !errors.As(err, &re) || re.Failures != 2 ||
		!re.RetryAt.Equal(f.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("second failure: %v", err)
	}
	f.clk.Advance(time.Minute)
	if _, err := f.m.AccessToken(ctx, "ch"); !errors.Is(err, ErrBackoff) || f.a.refreshes.Load() != 2 {
		t.Fatalf("still backing off: %v, %d refreshes", err, f.a.refreshes.Load())
	}

	// Third failure: out of rotation.
	f.clk.Advance(time.Minute)
	_, err = f.m.AccessToken(ctx, "ch")
	if !errors.Is(err, ErrSignInRequired) || errors.Is(err, ErrBackoff) {
		t.Fatalf("err = %v, want ErrSignInRequired", err)
	}
	if !strings.Contains(err.Error(), "sign-in required") || !strings.Contains(err.Error(), `"ch"`) {
		t.Errorf("unclear error: %v", err)
	}
	st = f.m.Status("ch")
	if st.State != StateFailed || st.Failures != 3 || !st.NextRetry.IsZero() || st.LastError == "" {
		t.Errorf("status = %+v", st)
	}
	if f.m.Available("ch") {
		t.Error("a failed channel is available")
	}
	b, _ := json.Marshal(f.m.Statuses())
	if !strings.Contains(string(b), `"state":"failed"`) {
		t.Errorf("statuses JSON = %s", b)
	}

	// Not retried forever.
	f.clk.Advance(24 * time.Hour)
	for range 5 {
		if _, err := f.m.AccessToken(ctx, "ch"); !errors.Is(err, ErrSignInRequired) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := f.a.refreshes.Load(); n != 3 {
		t.Fatalf("%d refreshes, want 3", n)
	}
	if !strings.Contains(f.logs.String(), "out of rotation") {
		t.Errorf("no log of the failure:\n%s", f.logs.String())
	}

	// A new sign-in puts it back.
	access, refresh := f.a.issue()
	if err := f.m.Put(ctx, Token{ChannelID: "ch", AccessToken: access, RefreshToken: refresh,
		Expiry: f.clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.m.AccessToken(ctx, "ch")
	if err != nil || got != access {
		t.Fatalf("after Put: %v", err)
	}
	if st := f.m.Status("ch"); st.State != StateOK || st.Failures != 0 || st.LastError != "" {
		t.Errorf("status after Put = %+v", st)
	}
	if !f.m.Available("ch") {
		t.Error("not available after Put")
	}
}

func TestManagerServesValidTokenWhileRefreshFails(t *testing.T) {
	f := newFixture(t, true, 3*time.Minute, Settings{MinBackoff: time.Minute})
	f.failRefreshes(http.StatusInternalServerError)
	got, err := f.m.AccessToken(t.Context(), "ch")
	if err != nil || got != f.tok.AccessToken {
		t.Fatalf("AccessToken = %v; want the still valid old token", err)
	}
	if st := f.m.Status("ch"); st.State != StateBackoff || st.Failures != 1 {
		t.Errorf("status = %+v", st)
	}
	if !f.m.Available("ch") {
		t.Error("unavailable though its token is valid")
	}
	// During the back-off the old token is served without a refresh.
	if got, err := f.m.AccessToken(t.Context(), "ch"); err != nil || got != f.tok.AccessToken ||
		f.a.refreshes.Load() != 1 {
		t.Fatalf("during back-off: %v, %d refreshes", err, f.a.refreshes.Load())
	}
	// Once it expires, the back-off error shows.
	f.clk.Advance(3*time.Minute - expirySkew + time.Second)
	if _, err := f.m.AccessToken(t.Context(), "ch"); err == nil {
		t.Fatal("an expired token was served")
	}
}

func TestManagerInvalidGrantFailsAtOnce(t *testing.T) {
	f := newFixture(t, true, -time.Minute, Settings{})
	f.a.mu.Lock()
	delete(f.a.refreshTok, f.tok.RefreshToken) // revoked
	f.a.mu.Unlock()
	_, err := f.m.AccessToken(t.Context(), "ch")
	var te *TokenError
	if !errors.Is(err, ErrSignInRequired) || !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Fatalf("err = %v, want ErrSignInRequired caused by invalid_grant", err)
	}
	if st := f.m.Status("ch"); st.State != StateFailed || st.Failures != 1 {
		t.Errorf("status = %+v", st)
	}
}

func TestManagerMissingToken(t *testing.T) {
	f := newFixture(t, true, time.Hour, Settings{})
	if st := f.m.Status("other"); st.State != StateUnknown {
		t.Errorf("unread channel: %v", st.State)
	}
	_, err := f.m.AccessToken(t.Context(), "other")
	if !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("err = %v", err)
	}
	if st := f.m.Status("other"); st.State != StateMissing {
		t.Errorf("state = %v", st.State)
	}
	if f.m.Available("other") {
		t.Error("a channel without a token is available")
	}
	if err := f.m.Delete(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.AccessToken(t.Context(), "ch"); !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("after Delete: %v", err)
	}
	if _, err := f.store.RevealToken(t.Context(), "ch"); !errors.Is(err, ErrNoToken) {
		t.Errorf("the Store still has the token: %v", err)
	}
}

func TestManagerExpiredWithoutRefreshToken(t *testing.T) {
	f := newFixture(t, true, time.Hour, Settings{})
	tok := f.tok
	tok.RefreshToken = ""
	tok.Expiry = f.clk.Now().Add(2 * time.Minute)
	if err := f.m.Put(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if got, err := f.m.AccessToken(t.Context(), "ch"); err != nil || got != tok.AccessToken {
		t.Fatalf("still valid: %v", err)
	}
	f.clk.Advance(2 * time.Minute)
	if _, err := f.m.AccessToken(t.Context(), "ch"); !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("err = %v", err)
	}
	if f.a.refreshes.Load() != 0 {
		t.Error("refreshed without a refresh token")
	}
}

func TestManagerInvalidate(t *testing.T) {
	f := newFixture(t, true, time.Hour, Settings{})
	old, _ := f.m.AccessToken(t.Context(), "ch")
	// Many requests rejected together.
	for range 5 {
		f.m.Invalidate("ch", "Bearer "+old)
	}
	got, err := f.m.AccessToken(t.Context(), "ch")
	if err != nil || got == old {
		t.Fatalf("after Invalidate: %v", err)
	}
	// A late report about the old token changes nothing.
	f.m.Invalidate("ch", old)
	f.m.Invalidate("unknown", old)
	if again, _ := f.m.AccessToken(t.Context(), "ch"); again != got || f.a.refreshes.Load() != 1 {
		t.Errorf("%d refreshes, want 1", f.a.refreshes.Load())
	}
}

func TestManagerAdoptsNewerStoredToken(t *testing.T) {
	f := newFixture(t, true, 2*time.Minute, Settings{})
	if err := f.m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	// Another instance sharing the Store refreshed the token.
	access, refresh := f.a.issue()
	f.clk.Advance(time.Second)
	newer := Token{ChannelID: "ch", AccessToken: access, RefreshToken: refresh,
		Expiry: f.clk.Now().Add(time.Hour), UpdatedAt: f.clk.Now()}
	if err := f.store.PutToken(t.Context(), newer); err != nil {
		t.Fatal(err)
	}
	got, err := f.m.AccessToken(t.Context(), "ch")
	if err != nil || got != access {
		t.Fatalf("AccessToken = %v; want the stored newer token", err)
	}
	if n := f.a.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes, want 0", n)
	}
}

func TestManagerLoad(t *testing.T) {
	f := newFixture(t, true, -time.Minute, Settings{MaxFailures: 1})
	f.failRefreshes(http.StatusInternalServerError)
	if _, err := f.m.AccessToken(t.Context(), "ch"); !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("err = %v", err)
	}
	// Loading the same token again keeps the channel failed.
	if err := f.m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	if st := f.m.Status("ch"); st.State != StateFailed {
		t.Fatalf("state = %v", st.State)
	}
	// A sign-in written to the Store directly, then loaded, revives it.
	access, refresh := f.a.issue()
	f.clk.Advance(time.Second)
	if err := f.store.PutToken(t.Context(), Token{ChannelID: "ch", AccessToken: access,
		RefreshToken: refresh, Expiry: f.clk.Now().Add(time.Hour), UpdatedAt: f.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.m.AccessToken(t.Context(), "ch"); err != nil || got != access {
		t.Fatalf("after Load: %v", err)
	}
}

func TestManagerPutDuringRefreshWins(t *testing.T) {
	f := newFixture(t, true, time.Minute, Settings{})
	f.a.entered = make(chan struct{}, 1)
	f.a.release = make(chan struct{})
	if err := f.m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		tok, _ := f.m.AccessToken(context.Background(), "ch")
		done <- tok
	}()
	<-f.a.entered
	access, refresh := f.a.issue()
	signedIn := Token{ChannelID: "ch", AccessToken: access, RefreshToken: refresh,
		Expiry: f.clk.Now().Add(time.Hour)}
	if err := f.m.Put(t.Context(), signedIn); err != nil {
		t.Fatal(err)
	}
	close(f.a.release)
	if got := <-done; got != access {
		t.Errorf("the refresh overrode the sign-in")
	}
	stored, _ := f.store.RevealToken(t.Context(), "ch")
	if stored.AccessToken != access {
		t.Errorf("the Store lost the sign-in")
	}
}

func TestManagerWaiterContext(t *testing.T) {
	f := newFixture(t, true, time.Minute, Settings{})
	f.a.entered = make(chan struct{}, 1)
	f.a.release = make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := f.m.AccessToken(ctx, "ch")
		errc <- err
	}()
	<-f.a.entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The refresh itself goes on, detached from the request that started it.
	close(f.a.release)
	got, err := f.m.AccessToken(t.Context(), "ch")
	if err != nil || got == f.tok.AccessToken || f.a.refreshes.Load() != 1 {
		t.Fatalf("after: %v, %d refreshes", err, f.a.refreshes.Load())
	}
}

func TestManagerAuthorize(t *testing.T) {
	f := newFixture(t, true, time.Hour, Settings{})
	h := http.Header{"X-Api-Key": {"sk-x"}, "Anthropic-Beta": {"tools-1"}}
	if err := f.m.Authorize(t.Context(), "ch", h); err != nil {
		t.Fatal(err)
	}
	if h.Get("Authorization") != "Bearer "+f.tok.AccessToken || h.Get("X-Api-Key") != "" ||
		h.Get("Anthropic-Beta") != "tools-1,"+AnthropicBeta {
		t.Errorf("headers = %v", h.Get("Anthropic-Beta"))
	}
	if err := f.m.Authorize(t.Context(), "nobody", http.Header{}); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("err = %v", err)
	}
}

func TestManagerSaveFailureKeepsToken(t *testing.T) {
	f := newFixture(t, true, time.Minute, Settings{})
	bad := &failingStore{tokenStore: f.store}
	m, err := NewManager(bad, Fixed(f.a.provider()), Settings{Now: f.clk.Now, Logger: f.logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	bad.failPut.Store(true)
	got, err := m.AccessToken(t.Context(), "ch")
	if err != nil || got == f.tok.AccessToken {
		t.Fatalf("AccessToken = %v", err)
	}
	if st := m.Status("ch"); !strings.Contains(st.LastError, "saving") {
		t.Errorf("status = %+v", st)
	}
}

type failingStore struct {
	*tokenStore
	failPut atomic.Bool
}

func (s *failingStore) PutToken(ctx context.Context, t Token) error {
	if s.failPut.Load() {
		return errors.New("disk full")
	}
	return s.tokenStore.PutToken(ctx, t)
}

func TestNewManagerValidates(t *testing.T) {
	if _, err := NewManager(nil, Fixed(Provider{}), Settings{}); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := NewManager(newTokenStore(), nil, Settings{}); err == nil {
		t.Error("nil providers accepted")
	}
}

func TestManagerNoProvider(t *testing.T) {
	f := newFixture(t, true, -time.Minute, Settings{})
	m, _ := NewManager(f.store, ByChannel(map[string]Provider{}), Settings{Now: f.clk.Now, MaxFailures: 1})
	_, err := m.AccessToken(t.Context(), "ch")
	if !errors.Is(err, ErrSignInRequired) || !strings.Contains(err.Error(), "no OAuth provider") {
		t.Fatalf("err = %v", err)
	}
}

func TestExponentialBackoff(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second},
		{5, 10 * time.Second}, {50, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := ExponentialBackoff(time.Second, 10*time.Second, tt.failures); got != tt.want {
			t.Errorf("failures %d: %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestStateText(t *testing.T) {
	for s := StateUnknown; s <= StateMissing; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s || string(b) != s.String() {
			t.Errorf("%v: %q, %v", s, b, err)
		}
	}
	if _, err := State(99).MarshalText(); err == nil {
		t.Error("invalid state marshalled")
	}
	var s State
	if err := s.UnmarshalText([]byte("nope")); err == nil {
		t.Error("unknown state accepted")
	}
}

func TestManagerShortLivedTokens(t *testing.T) {
	// Tokens living 4 minutes, under RefreshBefore (5m): refreshed at half
	// their life, not on every request.
	f := newFixture(t, true, 4*time.Minute, Settings{})
	f.a.expiresIn = 240
	fresh := f.tok
	fresh.UpdatedAt = f.clk.Now()
	if err := f.m.Put(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := f.m.AccessToken(t.Context(), "ch"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.a.refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes of a token with 4 minutes left of 4", n)
	}
	f.clk.Advance(2 * time.Minute)
	for range 5 {
		if _, err := f.m.AccessToken(t.Context(), "ch"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.a.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}

func TestManagerLoadFromStoreWatch(t *testing.T) {
	// A Client reloads tokens when the Store reports a change; the Store
	// calls back while the Manager's own write is in progress.
	f := newFixture(t, true, time.Minute, Settings{})
	var loads atomic.Int32
	stop := f.store.Watch(func() {
		loads.Add(1)
		if err := f.m.Load(context.Background(), "ch"); err != nil {
			t.Error(err)
		}
	})
	defer stop()

	got, err := f.m.AccessToken(t.Context(), "ch") // refresh, then PutToken
	if err != nil || got == f.tok.AccessToken {
		t.Fatalf("refresh: %v", err)
	}
	access, refresh := f.a.issue()
	if err := f.m.Put(t.Context(), Token{ChannelID: "ch", AccessToken: access, RefreshToken: refresh}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.m.AccessToken(t.Context(), "ch"); got != access {
		t.Error("Put lost")
	}
	if err := f.m.Delete(t.Context(), "ch"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.AccessToken(t.Context(), "ch"); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("after Delete: %v", err)
	}
	if loads.Load() < 3 {
		t.Errorf("%d watch calls", loads.Load())
	}
	// A sign-in written to the Store by someone else, without UpdatedAt,
	// reaches the Manager through the watch.
	access, refresh = f.a.issue()
	if err := f.store.PutToken(t.Context(), Token{ChannelID: "ch", AccessToken: access, RefreshToken: refresh}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.m.AccessToken(t.Context(), "ch"); err != nil || got != access {
		t.Errorf("external sign-in: %v", err)
	}
}

// chanLocker is a Locker for Managers in one process: one holder at a
// time, as storage/redis's is across processes.
type chanLocker struct{ held chan struct{} }

func newChanLocker() *chanLocker { return &chanLocker{held: make(chan struct{}, 1)} }

func (l *chanLocker) Lock(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	select {
	case l.held <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-l.held }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Two instances sharing a TokenStore and a Locker refresh a due token once
// between them, however many requests each has waiting; without the
// Locker each refreshes it, and the second refresh spends a rotated token.
func TestManagersShareOneRefresh(t *testing.T) {
	for _, locked := range []bool{true, false} {
		t.Run(map[bool]string{true: "with a Locker", false: "without"}[locked], func(t *testing.T) {
			const n = 50
			s := Settings{}
			if locked {
				s.Locker = newChanLocker()
			}
			f := newFixture(t, true, time.Minute, s)
			s.Now, s.Logger = f.clk.Now, f.logs.logger()
			other, err := NewManager(f.store, Fixed(f.a.provider()), s)
			if err != nil {
				t.Fatal(err)
			}
			f.a.entered = make(chan struct{}, 2)
			f.a.release = make(chan struct{})
			var wg sync.WaitGroup
			tokens := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				m := f.m
				if i%2 == 1 {
					m = other
				}
				wg.Go(func() { tokens[i], errs[i] = m.AccessToken(t.Context(), "ch") })
			}
			<-f.a.entered // one refresh is held at the server
			if !locked {
				<-f.a.entered // and, without a lock, the other instance's too
			}
			close(f.a.release)
			wg.Wait()
			want := int32(1)
			if !locked {
				want = 2
			}
			if got := f.a.refreshes.Load(); got != want {
				t.Fatalf("%d refreshes, want %d", got, want)
			}
			if !locked {
				return
			}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("request %d: %v", i, errs[i])
				}
				if tokens[i] != tokens[0] || tokens[i] == f.tok.AccessToken {
					t.Fatalf("request %d got a different or stale token", i)
				}
			}
		})
	}
}
