package routex_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routex/routex/internal/mockupstream"
)

// upstreamTokenCount is what the Responses provider's token endpoint
// answers: no local estimate of the tests' small requests comes near it.
const upstreamTokenCount = 4321

// weatherCall is the call the Responses provider makes when a test has it
// call the weather function it offers.
var weatherCall = mockupstream.ToolCall{ID: "call_1", Name: "get_weather", Args: `{"city":"Paris"}`}

// responsesMock is a provider of the Responses API whose token endpoint
// counts.
func responsesMock(t *testing.T, name string) *mockupstream.Server {
	t.Helper()
	s := mock(t, name)
	s.TokenCount = upstreamTokenCount
	return s
}

// requestSince returns the one request s received after the first before,
// failing unless exactly one arrived.
func requestSince(t *testing.T, s *mockupstream.Server, before int) mockupstream.Request {
	t.Helper()
	reqs := s.Requests()
	require.Len(t, reqs, before+1, "requests that reached %s", s.Name)
	return reqs[before]
}

// streamEvents returns the events s streams for body, each framed as sent
// ("event: …\ndata: …\n\n"), for tests that replay them edited.
func streamEvents(t *testing.T, s *mockupstream.Server, body string) []string {
	t.Helper()
	resp, err := http.Post(s.URL+"/v1/responses", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var events []string
	var ev strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		ev.WriteString(sc.Text() + "\n")
		if sc.Text() == "" {
			events = append(events, ev.String())
			ev.Reset()
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, events)
	return events
}
