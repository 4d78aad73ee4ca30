package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// throttlePolicy says how the failed logins of one source (a client
// address, or an account) are answered.
type throttlePolicy struct {
	free      int           // failures answered with no wait before the next attempt
	lockAfter int           // failures that lock the source out
	base      time.Duration // the wait after free failures, doubled after each further one
	maxDelay  time.Duration // the longest wait short of a lockout
	lockout   time.Duration
	forget    time.Duration // a source with no failure for this long starts over
}

// Client addresses get a few tries, then a wait that doubles, then a
// lockout. An account is tried from every address, so it gets more tries
// before it locks, but it does lock: a guesser with many addresses gets
// accountPolicy.lockAfter guesses per lockout, whatever it has.
var (
	addressPolicy = throttlePolicy{free: 3, lockAfter: 10, base: time.Second, maxDelay: 30 * time.Second,
		lockout: 15 * time.Minute, forget: time.Hour}
	accountPolicy = throttlePolicy{free: 5, lockAfter: 20, base: time.Second, maxDelay: 30 * time.Second,
		lockout: 15 * time.Minute, forget: time.Hour}
)

// Bounds on what the throttle remembers: the least recently failed
// sources are forgotten first.
const (
	throttleAddresses = 10_000
	throttleAccounts  = 1_000
)

// failures is what the throttle knows of one source.
type failures struct {
	count int
	last  time.Time // of the last failure
	until time.Time // no attempt before then
}

// charge counts one more failure at now and returns the lockout it starts,
// or 0.
func (p throttlePolicy) charge(f *failures, now time.Time) (lockout time.Duration) {
	if now.Sub(f.last) > p.forget {
		f.count = 0
	}
	f.count++
	f.last = now
	switch {
	case f.count >= p.lockAfter:
		f.until = now.Add(p.lockout)
		return p.lockout
	case f.count >= p.free:
		d := p.base << (f.count - p.free)
		if d > p.maxDelay || d <= 0 {
			d = p.maxDelay
		}
		f.until = now.Add(d)
	}
	return 0
}

// loginThrottle slows down and then locks out password guessing, by
// client address and by account. An attempt is charged as a failure
// before the password is checked and refunded when it was right, so that
// attempts sent all at once cannot all start before the first one fails.
// It is safe for concurrent use.
type loginThrottle struct {
	logger *slog.Logger

	mu    sync.Mutex
	now   func() time.Time // tests set it through setClock
	addrs *simplelru.LRU[string, *failures]
	names *simplelru.LRU[string, *failures]
	// admin is the administrator's account, kept apart so that failing
	// with made-up names cannot push it out of names.
	admin failures
}

func newLoginThrottle(logger *slog.Logger) *loginThrottle {
	addrs, _ := simplelru.NewLRU[string, *failures](throttleAddresses, nil) // errors only on a size below 1
	names, _ := simplelru.NewLRU[string, *failures](throttleAccounts, nil)
	return &loginThrottle{logger: logger, now: time.Now, addrs: addrs, names: names}
}

// setClock makes the throttle read the time from now (for tests).
func (t *loginThrottle) setClock(now func() time.Time) {
	t.mu.Lock()
	t.now = now
	t.mu.Unlock()
}

// loginOutcome is how an admitted login attempt ended.
type loginOutcome int

const (
	loginFailed    loginOutcome = iota // the password was wrong
	loginOK                            // the password was right
	loginUnchecked                     // the password could not be checked (busy, caller gone, store failure)
)

// allow admits a login attempt from addr for account, or refuses it with
// how long to wait (and logs the refusal). isAdmin says that account is
// the administrator's. An admitted attempt must be ended by done.
func (t *loginThrottle) allow(addr, account string, isAdmin bool) (done func(loginOutcome), wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	byAddr := t.entry(t.addrs, addr)
	byName := &t.admin
	if !isAdmin {
		byName = t.entry(t.names, account)
	}
	scope := "address"
	wait = byAddr.until.Sub(now)
	if w := byName.until.Sub(now); w > wait {
		wait, scope = w, "account"
	}
	if wait > 0 {
		t.logger.Warn("routex: login refused: too many failed logins", "remote", addr, "user", account, "scope", scope,
			"retryAfter", retrySeconds(wait))
		return nil, wait
	}
	addrBefore, nameBefore := *byAddr, *byName
	addrLock := addressPolicy.charge(byAddr, now)
	nameLock := accountPolicy.charge(byName, now)
	addrCharged, nameCharged := *byAddr, *byName
	return func(o loginOutcome) {
		switch o {
		case loginFailed:
			if addrLock > 0 {
				t.logger.Warn("routex: login locked out: too many failed logins", "scope", "address", "remote", addr, "for", addrLock.String())
			}
			if nameLock > 0 {
				t.logger.Warn("routex: login locked out: too many failed logins", "scope", "account", "user", account, "for", nameLock.String())
			}
		case loginOK:
			// The address and the account start over. A guesser gains
			// nothing from it, as only the password gets here; a user who
			// mistyped is not held to old failures.
			t.mu.Lock()
			defer t.mu.Unlock()
			t.addrs.Remove(addr)
			if isAdmin {
				t.admin = failures{}
			} else {
				t.names.Remove(account)
			}
		case loginUnchecked:
			// The charge is taken back, unless another attempt has been
			// charged since: then this one stays counted, erring on the
			// side of the throttle.
			t.mu.Lock()
			defer t.mu.Unlock()
			if *byAddr == addrCharged && *byName == nameCharged {
				*byAddr, *byName = addrBefore, nameBefore
			}
		}
	}, 0
}

// entry returns the failures of key in c, added if new.
func (t *loginThrottle) entry(c *simplelru.LRU[string, *failures], key string) *failures {
	if f, ok := c.Get(key); ok {
		return f
	}
	f := &failures{}
	c.Add(key, f)
	return f
}

// retrySeconds is wait in whole seconds, rounded up, as Retry-After says it.
func retrySeconds(wait time.Duration) int {
	return int((wait + time.Second - 1) / time.Second)
}

// clientAddress is the address logins are throttled by: the host of
// r.RemoteAddr (X-Forwarded-For is anyone's to write), and for IPv6 its
// /64, which one host often holds whole.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
