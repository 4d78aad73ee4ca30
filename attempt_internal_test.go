package routex

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routex/routex/breaker"
)

// observed records what a balancer observer hears.
type observed struct{ begins, ends []error }

func (o *observed) Begin(string)                           { o.begins = append(o.begins, nil) }
func (o *observed) End(_ string, _ time.Duration, e error) { o.ends = append(o.ends, e) }

// refusals records the credentials an Authorizer is told were refused.
type refusals struct{ refused []string }

func (t *refusals) Authorize(context.Context, string, http.Header) error { return nil }
func (t *refusals) Invalidate(_, credential string)                      { t.refused = append(t.refused, credential) }

// Each outcome reaches the breaker, the cool-down, the Authorizer and the
// balancer once, as what it is.
func TestAttemptEnd(t *testing.T) {
	auth := &refusals{}
	c, err := New(WithChannels(
		Channel{ID: "key", Type: FormatAnthropic, BaseURL: "http://127.0.0.1:1"},
		Channel{ID: "acct", Type: FormatAnthropic, BaseURL: "http://127.0.0.1:2", OAuth: true},
	), WithAuthorizer(auth))
	require.NoError(t, err)
	defer c.Close()
	failure := errors.New("connection reset")
	retryIn := http.Header{"Retry-After": {"30"}}
	for _, tt := range []struct {
		name    string
		channel string
		o       outcome
		verdict error // what the breaker hears; nil for an answer
		bad     bool  // whether the balancer hears of a failure
	}{
		{"answer", "key", outcome{status: 200}, nil, false},
		{"transport error", "key", outcome{err: failure}, failure, true},
		{"caller gone", "key", outcome{err: context.Canceled}, context.Canceled, false},
		{"server error", "key", outcome{status: 503}, errors.New("upstream status 503"), true},
		{"revoked key", "key", outcome{status: 401}, errors.New("upstream status 401"), true},
		{"request's fault", "key", outcome{status: 400}, breaker.ErrIgnore, false},
		{"refused token", "acct", outcome{status: 401}, breaker.ErrIgnore, false},
		{"rate limit", "key", outcome{status: 429, header: retryIn}, breaker.ErrIgnore, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.ResetChannel(tt.channel)
			obs := &observed{}
			rt := c.cfg.Load().byID[tt.channel]
			var heard []error
			a := attempt{c: c, rt: rt, obs: obs, done: func(err error) { heard = append(heard, err) }}
			a.send("Bearer t-1")
			a.end(tt.o)
			a.end(outcome{status: 200}) // a second end is not heard
			a.skip()
			require.Len(t, heard, 1)
			if tt.verdict == nil {
				assert.NoError(t, heard[0])
			} else {
				assert.EqualError(t, heard[0], tt.verdict.Error())
			}
			require.Len(t, obs.ends, 1)
			assert.Equal(t, tt.bad, obs.ends[0] != nil, "the balancer hears %v", obs.ends[0])
			assert.Equal(t, tt.o.status == 429, !c.breakers.Status(tt.channel).RateLimitedUntil.IsZero(), "cool-down")
		})
	}
	assert.Equal(t, []string{"Bearer t-1"}, auth.refused, "the refused token, once")

	// An attempt that sent nothing says nothing to the balancer.
	obs := &observed{}
	var heard []error
	a := attempt{c: c, rt: c.cfg.Load().byID["key"], obs: obs, done: func(err error) { heard = append(heard, err) }}
	a.skip()
	a.end(outcome{err: failure})
	assert.Equal(t, []error{breaker.ErrIgnore}, heard)
	assert.Empty(t, obs.begins)
	assert.Empty(t, obs.ends)
}
