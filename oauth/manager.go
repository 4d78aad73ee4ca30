package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/routex/routex/internal/enum"
	"github.com/routex/routex/internal/secret"
)

// Errors of [Manager.AccessToken]. Match them with errors.Is; a
// *RefreshError carries the details.
var (
	// ErrSignInRequired means the channel has no usable token and needs a
	// new sign-in: none is stored, it expired without a refresh token, or
	// refreshing it failed for good.
	ErrSignInRequired = errors.New("routex/oauth: sign-in required")
	// ErrBackoff means the channel's last refresh failed, its token has
	// expired, and the next refresh is not due yet.
	ErrBackoff = errors.New("routex/oauth: token refresh backing off")
)

// Defaults applied when a [Settings] field is zero.
const (
	DefaultRefreshBefore  = 5 * time.Minute
	DefaultMinBackoff     = 30 * time.Second
	DefaultMaxBackoff     = 15 * time.Minute
	DefaultMaxFailures    = 5
	DefaultRefreshTimeout = 30 * time.Second
)

// expirySkew is how long before its expiry a token stops being handed out
// even while a refresh is impossible: a request needs time to reach the
// server.
const expirySkew = 10 * time.Second

// BackoffFunc returns how long to wait before the next refresh after
// failures consecutive failed ones (failures >= 1), between lo and hi
// (Settings.MinBackoff and MaxBackoff).
type BackoffFunc func(lo, hi time.Duration, failures int) time.Duration

// ExponentialBackoff waits lo after the first failure and doubles the wait
// after each further one, up to hi. It is the default BackoffFunc.
func ExponentialBackoff(lo, hi time.Duration, failures int) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	return min(max(d, lo), hi)
}

// Settings configures a [Manager]. It is copied by [NewManager]; the zero
// value is ready to use.
type Settings struct {
	// RefreshBefore is how long before its expiry a token is refreshed.
	// Zero or less means DefaultRefreshBefore (5m).
	RefreshBefore time.Duration
	// MinBackoff is the wait after a first failed refresh; zero or less
	// means DefaultMinBackoff (30s). MaxBackoff caps the waits; zero or
	// less means DefaultMaxBackoff (15m).
	MinBackoff, MaxBackoff time.Duration
	// Backoff computes the wait after a failed refresh. Nil means
	// ExponentialBackoff.
	Backoff BackoffFunc
	// MaxFailures is the number of consecutive failed refreshes after which
	// a channel is StateFailed, out of rotation until a new token is Put.
	// A refresh the provider refuses for good (invalid_grant: the refresh
	// token was revoked or already used) fails the channel at once. Zero or
	// less means DefaultMaxFailures (5).
	MaxFailures int
	// RefreshTimeout bounds one refresh, which runs on behalf of every
	// request waiting for it, detached from their contexts. Zero or less
	// means DefaultRefreshTimeout (30s).
	RefreshTimeout time.Duration
	// HTTPClient sends requests to token endpoints. Nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives refreshes, failures and state changes, never a token.
	// Nil discards them.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Locker, if not nil, is held around each refresh, so that instances
	// sharing the TokenStore refresh a token once between them. When it
	// cannot be reached the refresh goes ahead without it.
	Locker Locker
}

// State is where a channel's token stands.
type State int

// The token states.
const (
	// StateUnknown: the Manager has not read the channel's token yet.
	StateUnknown State = iota
	// StateOK: the token is valid, or due for a refresh on the next request.
	StateOK
	// StateRefreshing: a refresh is in flight.
	StateRefreshing
	// StateBackoff: the last refresh failed; the next waits until NextRetry.
	// Requests still get the old token while it is valid.
	StateBackoff
	// StateFailed: refreshing failed for good; the channel needs a new
	// sign-in and is out of rotation until then.
	StateFailed
	// StateMissing: no token is stored for the channel.
	StateMissing
)

var stateNames = [...]string{
	StateUnknown:    "unknown",
	StateOK:         "ok",
	StateRefreshing: "refreshing",
	StateBackoff:    "backoff",
	StateFailed:     "failed",
	StateMissing:    "missing",
}

// String returns the state's name: "ok", "refreshing", "backoff", "failed",
// "missing" or "unknown".
func (s State) String() string { return enum.String(s, stateNames[:]) }

// MarshalText encodes the state as its String form, so it reads well in
// JSON.
func (s State) MarshalText() ([]byte, error) { return enum.Marshal(s, stateNames[:], "routex/oauth") }

// UnmarshalText decodes a state written by MarshalText.
func (s *State) UnmarshalText(text []byte) error {
	return enum.Unmarshal(s, text, stateNames[:], "routex/oauth")
}

// Status is a snapshot of one channel's token, safe to show: it holds no
// secret.
type Status struct {
	ChannelID string `json:"channelId"`
	Provider  string `json:"provider,omitempty"`
	State     State  `json:"state"`
	// Expiry is when the current access token expires; zero if it does not
	// or there is none.
	Expiry time.Time `json:"expiry,omitzero"`
	// Failures counts consecutive failed refreshes.
	Failures int `json:"failures,omitempty"`
	// LastError describes the last failure, secrets masked.
	LastError string `json:"lastError,omitempty"`
	// NextRetry is when the next refresh may run after a failure; in the
	// past, the next request triggers it.
	NextRetry time.Time `json:"nextRetry,omitzero"`
	// RefreshedAt is when the token was last refreshed or stored.
	RefreshedAt time.Time `json:"refreshedAt,omitzero"`
}

// RefreshError is returned by [Manager.AccessToken] when the channel's token
// cannot be refreshed and the old one is no longer valid. errors.Is matches
// it with ErrBackoff or ErrSignInRequired, depending on State, and reaches
// Err, the last failure (a *TokenError when the provider refused).
type RefreshError struct {
	ChannelID string
	State     State     // StateBackoff or StateFailed
	Failures  int       // consecutive failed refreshes
	RetryAt   time.Time // next refresh; zero once the channel failed
	Err       error     // the last failure
}

func (e *RefreshError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "routex/oauth: channel %q: ", e.ChannelID)
	if e.State == StateFailed {
		b.WriteString("sign-in required: token refresh failed")
	} else {
		fmt.Fprintf(&b, "token refresh backing off until %s", e.RetryAt.UTC().Format(time.RFC3339))
	}
	if e.Failures > 0 {
		fmt.Fprintf(&b, " (%d failed in a row)", e.Failures)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel for State and the last failure.
func (e *RefreshError) Unwrap() []error {
	sentinel := ErrBackoff
	if e.State == StateFailed {
		sentinel = ErrSignInRequired
	}
	if e.Err == nil {
		return []error{sentinel}
	}
	return []error{sentinel, e.Err}
}

// Manager keeps the OAuth tokens of channels: it reads them from a Store,
// hands out access tokens from memory and refreshes them before they
// expire, one refresh per channel at a time, writing refreshed tokens back
// to the Store. A Manager is safe for concurrent use.
//
// Tokens are read from the Store the first time a channel is used (or by
// Load) and then served from memory. Store a new sign-in with Put; if
// tokens reach the Store another way, call Load.
type Manager struct {
	store     TokenStore
	providers ProviderFunc

	refreshBefore  time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	backoff        BackoffFunc
	maxFailures    int
	refreshTimeout time.Duration
	client         *http.Client
	log            *slog.Logger
	now            func() time.Time
	locker         Locker

	flights singleflight.Group

	mu       sync.Mutex
	channels map[string]*channel

	// testHookWaiting, if set, is called by a request that waits for a
	// refresh, once it has joined it.
	testHookWaiting func()
}

// channel is the Manager's record of one channel's token. Fields but commit
// are guarded by Manager.mu.
type channel struct {
	// commit serialises writes of this channel's token to the Store, so a
	// refresh finishing late cannot overwrite a newer sign-in.
	commit sync.Mutex

	known       bool // read from the Store, or Put
	missing     bool
	tok         Token
	gen         uint64 // bumped whenever tok is replaced
	refreshing  bool
	invalid     bool // the upstream rejected tok.AccessToken
	failures    int
	failed      bool
	lastErr     string // lastCause's text, secrets masked
	lastCause   error
	retryAt     time.Time
	refreshedAt time.Time
}

// NewManager returns a Manager keeping tokens in store and refreshing them
// with the provider that providers names for each channel.
func NewManager(store TokenStore, providers ProviderFunc, s Settings) (*Manager, error) {
	if store == nil {
		return nil, errors.New("routex/oauth: NewManager: nil Store")
	}
	if providers == nil {
		return nil, errors.New("routex/oauth: NewManager: nil ProviderFunc")
	}
	m := &Manager{
		store:          store,
		providers:      providers,
		refreshBefore:  orDefault(s.RefreshBefore, DefaultRefreshBefore),
		minBackoff:     orDefault(s.MinBackoff, DefaultMinBackoff),
		maxBackoff:     orDefault(s.MaxBackoff, DefaultMaxBackoff),
		backoff:        s.Backoff,
		maxFailures:    s.MaxFailures,
		refreshTimeout: orDefault(s.RefreshTimeout, DefaultRefreshTimeout),
		client:         s.HTTPClient,
		log:            s.Logger,
		now:            s.Now,
		locker:         s.Locker,
		channels:       make(map[string]*channel),
	}
	m.maxBackoff = max(m.maxBackoff, m.minBackoff)
	if m.backoff == nil {
		m.backoff = ExponentialBackoff
	}
	if m.maxFailures <= 0 {
		m.maxFailures = DefaultMaxFailures
	}
	if m.client == nil {
		m.client = http.DefaultClient
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// channel returns the record of id, creating it. m.mu must be held.
func (m *Manager) channel(id string) *channel {
	c := m.channels[id]
	if c == nil {
		c = &channel{}
		m.channels[id] = c
	}
	return c
}

// AccessToken returns a valid access token for the channel, refreshing it
// first when it expires within RefreshBefore. However many requests ask at
// once, one refresh runs; the others wait for it (or for their ctx).
//
// When a refresh fails while the old token is still valid, the old token is
// returned. Otherwise the error is a *RefreshError: during the back-off it
// is returned at once, without contacting the provider (errors.Is
// ErrBackoff), and once the channel has failed for good, until a new token
// is Put (errors.Is ErrSignInRequired). A channel with no stored token
// returns an error matching ErrSignInRequired.
func (m *Manager) AccessToken(ctx context.Context, channelID string) (string, error) {
	for range 3 {
		now := m.now()
		m.mu.Lock()
		c := m.channel(channelID)
		if !c.known {
			m.mu.Unlock()
			if err := m.loadShared(ctx, channelID); err != nil {
				return "", err
			}
			continue
		}
		tok, refresh, expiredNoRefresh, err := m.decide(c, channelID, now)
		m.mu.Unlock()
		if expiredNoRefresh {
			m.log.Warn("oauth: token expired and has no refresh token; sign in again",
				"channel", channelID)
		}
		if !refresh {
			return tok, err
		}
		return m.refreshShared(ctx, channelID)
	}
	return "", fmt.Errorf("routex/oauth: channel %q: token changed repeatedly while being read", channelID)
}

// decide works out AccessToken's answer from the cached record, or that a
// refresh is needed. m.mu must be held.
func (m *Manager) decide(c *channel, id string, now time.Time) (tok string, refresh, expiredNoRefresh bool, err error) {
	switch {
	case c.missing:
		return "", false, false, missingError(id)
	case c.failed:
		return "", false, false, c.refreshError(id)
	}
	if !m.needsRefresh(c, now) {
		return c.tok.AccessToken, false, false, nil
	}
	ok := usable(c, now)
	if c.tok.RefreshToken == "" {
		if ok {
			return c.tok.AccessToken, false, false, nil
		}
		c.failed = true
		c.lastErr = "the token expired and has no refresh token"
		return "", false, true, c.refreshError(id)
	}
	if now.Before(c.retryAt) {
		if ok {
			return c.tok.AccessToken, false, false, nil
		}
		return "", false, false, c.refreshError(id)
	}
	return "", true, false, nil
}

func missingError(id string) error {
	return fmt.Errorf("%w: channel %q has no OAuth token", ErrSignInRequired, id)
}

// refreshError describes c's failure. m.mu must be held.
func (c *channel) refreshError(id string) *RefreshError {
	e := &RefreshError{ChannelID: id, State: StateBackoff, Failures: c.failures, RetryAt: c.retryAt}
	if c.failed {
		e.State, e.RetryAt = StateFailed, time.Time{}
	}
	switch {
	case c.lastCause != nil:
		e.Err = c.lastCause
	case c.lastErr != "":
		e.Err = errors.New(c.lastErr)
	}
	return e
}

// needsRefresh reports whether c's token is due for a refresh: it expires
// within RefreshBefore, or within half its lifetime for tokens that live
// shorter than twice that, so that they are not refreshed on every request.
func (m *Manager) needsRefresh(c *channel, now time.Time) bool {
	if c.invalid {
		return true
	}
	if c.tok.Expiry.IsZero() {
		return false
	}
	before := m.refreshBefore
	if life := c.tok.Expiry.Sub(c.tok.UpdatedAt); !c.tok.UpdatedAt.IsZero() && life > 0 && before > life/2 {
		before = life / 2
	}
	return !now.Before(c.tok.Expiry.Add(-before))
}

// usable reports whether c's access token may still be sent.
func usable(c *channel, now time.Time) bool {
	return c.tok.AccessToken != "" && !c.invalid &&
		(c.tok.Expiry.IsZero() || now.Before(c.tok.Expiry.Add(-expirySkew)))
}

// loadShared reads the channel's token from the Store once, however many
// requests ask.
func (m *Manager) loadShared(ctx context.Context, id string) error {
	ch := m.flights.DoChan("load\x00"+id, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.refreshTimeout)
		defer cancel()
		return nil, m.Load(ctx, id)
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refreshShared runs the channel's refresh, or joins the one in flight.
func (m *Manager) refreshShared(ctx context.Context, id string) (string, error) {
	ch := m.flights.DoChan("refresh\x00"+id, func() (any, error) {
		return m.refresh(ctx, id)
	})
	if m.testHookWaiting != nil {
		m.testHookWaiting()
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// refresh refreshes the channel's token and returns the access token to
// use. It runs detached from the request that started it, since others
// wait for it too.
func (m *Manager) refresh(reqCtx context.Context, id string) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), m.refreshTimeout)
	defer cancel()

	m.mu.Lock()
	c := m.channel(id)
	// A request that found the token due may get here just after another
	// refresh finished: decide again so it does not refresh twice.
	if tok, due, _, err := m.decide(c, id, m.now()); !due {
		m.mu.Unlock()
		return tok, err
	}
	c.refreshing = true
	gen, old := c.gen, c.tok
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		c.refreshing = false
		m.mu.Unlock()
	}()

	if m.locker != nil {
		// Held until the refreshed token is saved: an instance waiting
		// for it then reads that token below, and refreshes nothing.
		unlock, err := m.locker.Lock(ctx, "oauth-refresh:"+id, m.refreshTimeout)
		if err != nil {
			m.log.Warn("oauth: the refresh lock could not be taken; refreshing without it", "channel", id, "error", err)
		} else {
			defer unlock()
		}
	}

	// Another instance sharing the Store, or a sign-in stored behind our
	// back, may have replaced the token; refreshing the old one would then
	// fail (refresh tokens are single-use where they rotate).
	stored, err := m.store.RevealToken(ctx, id)
	switch {
	case errors.Is(err, ErrNoToken):
		m.mu.Lock()
		if c.gen == gen {
			c.reset(Token{})
			c.missing = true
		}
		m.mu.Unlock()
		m.log.Warn("oauth: token deleted from the store; sign in again", "channel", id)
		return "", missingError(id)
	case err != nil:
		m.log.Warn("oauth: reading the token from the store failed; refreshing the cached one",
			"channel", id, "error", secret.Scrub(err.Error(), old.AccessToken, old.RefreshToken))
	case newer(stored, old):
		now := m.now()
		m.mu.Lock()
		if c.gen == gen {
			c.reset(stored)
		}
		tok, usableNow := c.tok.AccessToken, usable(c, now) && !m.needsRefresh(c, now)
		gen, old = c.gen, c.tok
		m.mu.Unlock()
		if usableNow {
			m.log.Info("oauth: using the newer token found in the store", "channel", id)
			return tok, nil
		}
	}

	now := m.now()
	p, ok := m.providers(id)
	var fresh Token
	if !ok {
		err = errors.New("routex/oauth: no OAuth provider configured for the channel")
	} else {
		fresh, err = p.refresh(ctx, m.client, old.RefreshToken, now)
	}
	if err != nil {
		return m.fail(c, id, gen, old, err, now)
	}
	fresh.ChannelID = id

	c.commit.Lock()
	defer c.commit.Unlock()
	m.mu.Lock()
	stale := c.gen != gen
	current, currentUsable := c.tok.AccessToken, usable(c, now)
	m.mu.Unlock()
	if stale {
		// A sign-in replaced the token while this refresh ran; it wins.
		if currentUsable {
			return current, nil
		}
		return "", missingError(id)
	}
	saveErr := m.store.PutToken(ctx, fresh)
	m.mu.Lock()
	c.reset(fresh)
	c.refreshedAt = now
	if saveErr != nil {
		c.lastErr = "refreshed, but saving the token failed: " +
			secret.Scrub(saveErr.Error(), fresh.AccessToken, fresh.RefreshToken)
	}
	m.mu.Unlock()
	if saveErr != nil {
		// The refresh token may have rotated: the old one in the Store is
		// dead. Keep serving the new token; the next refresh saves again.
		m.log.Error("oauth: token refreshed but not saved", "channel", id,
			"error", secret.Scrub(saveErr.Error(), fresh.AccessToken, fresh.RefreshToken))
	} else {
		m.log.Info("oauth: token refreshed", "channel", id, "provider", p.Name, "expiry", fresh.Expiry)
	}
	return fresh.AccessToken, nil
}

// newer reports whether the stored token replaced the cached one. A stored
// token older than the cached one is a copy a failed save left behind; one
// without UpdatedAt was written by someone who did not say, and is taken.
func newer(stored, cached Token) bool {
	if stored.AccessToken == "" {
		return false
	}
	if stored.AccessToken == cached.AccessToken && stored.RefreshToken == cached.RefreshToken {
		return false
	}
	return stored.UpdatedAt.IsZero() || !stored.UpdatedAt.Before(cached.UpdatedAt)
}

// fail records a failed refresh and returns what the waiting requests get.
func (m *Manager) fail(c *channel, id string, gen uint64, old Token, err error, now time.Time) (string, error) {
	msg := secret.Scrub(err.Error(), old.AccessToken, old.RefreshToken)
	var te *TokenError
	permanent := errors.As(err, &te) && te.Permanent()

	m.mu.Lock()
	if c.gen != gen {
		// A sign-in replaced the token meanwhile: this failure is moot.
		tok, ok := c.tok.AccessToken, usable(c, now)
		m.mu.Unlock()
		if ok {
			return tok, nil
		}
		return "", missingError(id)
	}
	c.failures++
	c.lastErr = msg
	c.lastCause = &maskedError{msg: msg, err: err}
	if permanent || c.failures >= m.maxFailures {
		c.failed = true
		c.retryAt = time.Time{}
	} else {
		c.retryAt = now.Add(m.backoff(m.minBackoff, m.maxBackoff, c.failures))
	}
	failures, retryAt, failed := c.failures, c.retryAt, c.failed
	ok := usable(c, now) && !c.failed
	rerr := c.refreshError(id)
	m.mu.Unlock()

	if failed {
		m.log.Error("oauth: token refresh failed; channel out of rotation until a new sign-in",
			"channel", id, "failures", failures, "error", msg)
	} else {
		m.log.Warn("oauth: token refresh failed; backing off",
			"channel", id, "failures", failures, "retry_at", retryAt, "error", msg)
	}
	if ok {
		return old.AccessToken, nil
	}
	return "", rerr
}

// reset replaces c's token and clears its failure record. m.mu must be
// held.
func (c *channel) reset(t Token) {
	c.known = true
	c.missing = t.AccessToken == ""
	c.tok = t
	c.gen++
	c.invalid = false
	c.failures = 0
	c.failed = false
	c.lastErr = ""
	c.lastCause = nil
	c.retryAt = time.Time{}
}

// Authorize sets the channel's credentials on h: its access token as a
// Bearer token and the headers its provider requires (anthropic-beta for
// Anthropic), removing any X-Api-Key. It returns AccessToken's errors.
func (m *Manager) Authorize(ctx context.Context, channelID string, h http.Header) error {
	tok, err := m.AccessToken(ctx, channelID)
	if err != nil {
		return err
	}
	p, _ := m.providers(channelID)
	p.Authorize(h, tok)
	return nil
}

// Invalidate reports that the upstream rejected accessToken (a 401), so
// the next AccessToken refreshes the channel's token. accessToken may carry
// its scheme ("Bearer ..."), as in the Authorization header sent. It is
// ignored if the channel's token has changed since, so that many requests
// rejected together cause one refresh.
func (m *Manager) Invalidate(channelID, accessToken string) {
	if scheme, rest, ok := strings.Cut(accessToken, " "); ok && strings.EqualFold(scheme, "bearer") {
		accessToken = strings.TrimSpace(rest)
	}
	if accessToken == "" {
		return
	}
	m.mu.Lock()
	c := m.channels[channelID]
	hit := c != nil && c.tok.AccessToken == accessToken && !c.invalid
	if hit {
		c.invalid = true
	}
	m.mu.Unlock()
	if hit {
		m.log.Info("oauth: access token rejected upstream; refreshing", "channel", channelID)
	}
}

// Put stores t, a token from a new sign-in, as the token of t.ChannelID,
// and puts the channel back in rotation: its failures are forgotten. A
// refresh in flight for the channel is discarded.
func (m *Manager) Put(ctx context.Context, t Token) error {
	if t.ChannelID == "" {
		return errors.New("routex/oauth: Put: token has no ChannelID")
	}
	if t.AccessToken == "" {
		return fmt.Errorf("routex/oauth: Put: channel %q: token has no AccessToken", t.ChannelID)
	}
	now := m.now()
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = now
	}
	m.mu.Lock()
	c := m.channel(t.ChannelID)
	m.mu.Unlock()

	c.commit.Lock()
	defer c.commit.Unlock()
	if err := m.store.PutToken(ctx, t); err != nil {
		return fmt.Errorf("routex/oauth: channel %q: storing the token: %w", t.ChannelID,
			&maskedError{msg: secret.Scrub(err.Error(), t.AccessToken, t.RefreshToken), err: err})
	}
	m.mu.Lock()
	c.reset(t)
	c.refreshedAt = now
	m.mu.Unlock()
	m.log.Info("oauth: token stored", "channel", t.ChannelID, "expiry", t.Expiry)
	return nil
}

// Delete removes the channel's token from the Store and from memory: the
// channel is StateMissing until a new token is Put.
func (m *Manager) Delete(ctx context.Context, channelID string) error {
	m.mu.Lock()
	c := m.channel(channelID)
	m.mu.Unlock()

	c.commit.Lock()
	defer c.commit.Unlock()
	if err := m.store.DeleteToken(ctx, channelID); err != nil && !errors.Is(err, ErrNoToken) {
		return fmt.Errorf("routex/oauth: channel %q: deleting the token: %w", channelID, err)
	}
	m.mu.Lock()
	c.reset(Token{})
	m.mu.Unlock()
	m.log.Info("oauth: token deleted", "channel", channelID)
	return nil
}

// Load reads the channel's token from the Store. If it differs from the one
// in memory (or none was), it replaces it and the channel's failures are
// forgotten; the same token, or an older one (by UpdatedAt), changes
// nothing. Call it when tokens may reach the Store other than through Put,
// for example from a Store Watch callback: Load only reads the Store, and
// may be called while the Manager itself is writing to it.
func (m *Manager) Load(ctx context.Context, channelID string) error {
	m.mu.Lock()
	c := m.channel(channelID)
	gen := c.gen
	m.mu.Unlock()

	t, err := m.store.RevealToken(ctx, channelID)
	if err != nil && !errors.Is(err, ErrNoToken) {
		return fmt.Errorf("routex/oauth: channel %q: reading the token: %w", channelID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.gen != gen {
		// Put, Delete or a refresh replaced the token after the read
		// began: what was read is no newer than what they left.
		return nil
	}
	switch {
	case err != nil: // not found
		if !c.known || !c.missing {
			c.reset(Token{})
		}
	case !c.known || newer(t, c.tok):
		c.reset(t)
	}
	return nil
}

// Available reports whether the channel can take a request now without
// waiting for a sign-in: false when it has no token, has failed, or its
// token has expired during a back-off. A channel not read yet is assumed
// available. It does no I/O.
func (m *Manager) Available(channelID string) bool {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.channels[channelID]
	switch {
	case c == nil || !c.known:
		return true
	case c.missing, c.failed:
		return false
	case c.failures > 0 && now.Before(c.retryAt):
		return usable(c, now)
	}
	return true
}

// Status returns a snapshot of the channel's token. It does no I/O: a
// channel not read yet is StateUnknown.
func (m *Manager) Status(channelID string) Status {
	st := Status{ChannelID: channelID}
	if p, ok := m.providers(channelID); ok {
		st.Provider = p.Name
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.channels[channelID]
	if c == nil || !c.known {
		return st
	}
	st.Expiry = c.tok.Expiry
	st.Failures = c.failures
	st.LastError = c.lastErr
	st.NextRetry = c.retryAt
	st.RefreshedAt = c.refreshedAt
	switch {
	case c.missing:
		st.State = StateMissing
	case c.failed:
		st.State = StateFailed
	case c.refreshing:
		st.State = StateRefreshing
	case c.failures > 0:
		st.State = StateBackoff
	default:
		st.State = StateOK
	}
	return st
}

// Statuses returns the status of every channel the Manager has seen,
// ordered by channel ID.
func (m *Manager) Statuses() []Status {
	m.mu.Lock()
	ids := make([]string, 0, len(m.channels))
	for id := range m.channels {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	slices.Sort(ids)
	out := make([]Status, 0, len(ids))
	for _, id := range ids {
		out = append(out, m.Status(id))
	}
	return out
}
