package routex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/routex/routex/balancer"
	"github.com/routex/routex/breaker"
)

// attempt is one try of a request on one channel. It ends exactly once,
// through end, which tells the channel's breaker (opening it, or starting
// a rate limit's cool-down), the Authorizer (a refused token) and the
// balancer's observer what came of it. Quota is taken when it begins.
type attempt struct {
	c    *Client
	rt   *route
	done func(error) // the breaker's ticket
	obs  balancer.Observer
	sent time.Time // when the request left; zero until then
	// credential is the Authorization header sent to an OAuth channel,
	// for the Authorizer to drop if the upstream refuses it.
	credential string
	ended      bool
}

// outcome is what came of an attempt.
type outcome struct {
	// err is why no answer came, or why the answer is unusable: the
	// transport's error, a timeout, a stream cut or in error, a body that
	// is not JSON; context.Canceled when the caller went away. nil when
	// the upstream answered, whatever its status.
	err    error
	status int         // the upstream's status; 0 when none came
	header http.Header // its headers, for a rate limit's Retry-After
	// latency is the balancer's measure of the attempt: the wait for the
	// answer, or for a stream's first event. 0 means "until now".
	latency time.Duration
}

// begin opens an attempt on rt for x: a ticket from rt's breaker and a
// request from its quotas. It reports false when either refuses, rt having
// opened, been rate-limited or run out since planning.
func (c *Client) begin(x *exchange, rt *route) bool {
	done, err := c.breakers.Allow(rt.ID)
	if err != nil {
		return false
	}
	if !c.takeQuota(x.req.Context(), rt) {
		done(breaker.ErrIgnore)
		return false
	}
	x.try = attempt{c: c, rt: rt, done: done, obs: x.cfg.observer}
	return true
}

// send marks the request as sent upstream: from now on the balancer
// counts the attempt in flight.
func (a *attempt) send(credential string) {
	a.sent, a.credential = a.c.s.now(), credential
	if a.obs != nil {
		a.obs.Begin(a.rt.ID)
	}
}

// skip ends an attempt that sent nothing: the request could not be put in
// the channel's format, or signed, or built. It says nothing of the
// channel's health.
func (a *attempt) skip() {
	if !a.ended {
		a.ended = true
		a.done(breaker.ErrIgnore)
	}
}

// end reports o, once.
func (a *attempt) end(o outcome) {
	if a.ended {
		return
	}
	a.ended = true
	verdict := a.verdict(o)
	a.done(verdict)
	if a.obs == nil || a.sent.IsZero() {
		return
	}
	latency := o.latency
	if latency == 0 {
		latency = a.c.s.now().Sub(a.sent)
	}
	var bad error
	switch {
	case errors.Is(verdict, context.Canceled):
	case verdict != nil && !errors.Is(verdict, breaker.ErrIgnore):
		bad = verdict
	case o.status == http.StatusTooManyRequests || o.status == 529:
		bad = verdict // a rate limit: the balancer steers away too
	}
	a.obs.End(a.rt.ID, latency, bad)
}

// verdict is what the breaker hears of o: nil for an answer, ErrIgnore for
// what is not the channel's fault, context.Canceled for a caller who went
// away, else the channel's failure. It also starts a rate limit's
// cool-down and drops a refused OAuth token.
func (a *attempt) verdict(o outcome) error {
	switch {
	case errors.Is(o.err, context.Canceled):
		return context.Canceled
	case o.err != nil:
		return o.err
	case o.status == http.StatusUnauthorized && a.rt.OAuth:
		// The token was refused: the Authorizer gets a fresh one for
		// the next attempt, and the account is not blamed for it.
		if inv, ok := a.c.s.authorizer.(invalidator); ok {
			inv.Invalidate(a.rt.ID, a.credential)
		}
		return breaker.ErrIgnore
	case o.status == http.StatusTooManyRequests || o.status == 529:
		// Overload and rate limits are the provider's weather, not a
		// broken channel: cool down, don't trip the breaker.
		a.c.noteHealth(a.rt.ID, HealthRateLimited, a.c.breakers.RateLimitFor(a.rt.ID, o.header))
		return breaker.ErrIgnore
	case o.status == http.StatusUnauthorized || o.status == http.StatusForbidden,
		o.status >= 500, o.status == http.StatusRequestTimeout, o.status == http.StatusConflict:
		// A revoked key, an exhausted account, a server in trouble:
		// the channel's fault, so its breaker learns of it.
		return fmt.Errorf("upstream status %d", o.status)
	case o.status >= 400:
		return breaker.ErrIgnore // the request's fault, not the channel's
	}
	return nil
}
