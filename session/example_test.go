package session_test

import (
	"fmt"
	"time"

	"github.com/routex/routex/session"
)

func ExampleTable() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sessions := session.New(session.Settings{
		TTL: time.Hour,
		Now: func() time.Time { return now },
	})

	e := sessions.Set("conversation-42", "anthropic-1")
	fmt.Println(e.ExpiresAt.Format(time.Kitchen))

	now = now.Add(59 * time.Minute)
	channel, ok := sessions.Get("conversation-42")
	fmt.Printf("%q %v\n", channel, ok)

	// The window is fixed from the assignment: reading it did not extend it.
	now = now.Add(time.Minute)
	channel, ok = sessions.Get("conversation-42")
	fmt.Printf("%q %v\n", channel, ok)

	// Output:
	// 1:00PM
	// "anthropic-1" true
	// "" false
}
