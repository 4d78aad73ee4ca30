package breaker_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/routex/routex/breaker"
)

func ExampleSet() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	set := breaker.NewSet(breaker.Settings{
		FailureThreshold: 2,
		CoolDown:         30 * time.Second,
		Now:              func() time.Time { return now },
		OnStateChange: func(key string, from, to breaker.State) {
			fmt.Printf("%s: %s -> %s\n", key, from, to)
		},
	})

	for range 2 {
		done, err := set.Allow("primary")
		if err != nil {
			fmt.Println(err)
			return
		}
		done(errors.New("502 Bad Gateway"))
	}
	_, err := set.Allow("primary")
	fmt.Println(err)

	now = now.Add(30 * time.Second)
	done, _ := set.Allow("primary") // the probe
	done(nil)
	fmt.Println(set.Status("primary").State)

	// Output:
	// primary: closed -> open
	// routex/breaker: circuit open
	// primary: open -> half-open
	// primary: half-open -> closed
	// closed
}

func ExampleSet_RateLimitFor() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	set := breaker.NewSet(breaker.Settings{Now: func() time.Time { return now }})

	// A 429 from an OpenAI-style upstream: the token limit is the one used up.
	h := http.Header{}
	h.Set("x-ratelimit-remaining-requests", "99")
	h.Set("x-ratelimit-reset-requests", "600ms")
	h.Set("x-ratelimit-remaining-tokens", "0")
	h.Set("x-ratelimit-reset-tokens", "6m0s")

	until := set.RateLimitFor("openai-1", h)
	fmt.Println(until.Sub(now), set.Ready("openai-1"))

	// An overloaded upstream that says nothing gets the default cool-down.
	until = set.RateLimitFor("anthropic-1", nil)
	fmt.Println(until.Sub(now))

	// Output:
	// 6m0s false
	// 1m0s
}
