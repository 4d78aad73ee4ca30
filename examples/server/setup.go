package main

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/routex/routex"
)

// The first-run setup asks for a one-time token, printed in the log at
// start, so that the first visitor of a fresh public deploy does not become
// its administrator, as Jupyter and Grafana do it.
const (
	setupTokenHeader = "X-Setup-Token"
	minSetupToken    = 16
)

// setupTokenOK reports whether r carries the setup token.
func (s *Server) setupTokenOK(r *http.Request) bool {
	got := r.Header.Get(setupTokenHeader)
	return s.setupToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.setupToken)) == 1
}

// announceSetup logs where to finish the setup and the token to paste
// there; a token the deploy set itself is not repeated in the log.
func (s *Server) announceSetup(url string) {
	if s.cfg.SetupToken != "" {
		s.logger.Warn("routex: setup needed: open " + url + " and paste the setup token set in ROUTEX_SETUP_TOKEN or the config file")
		return
	}
	s.logger.Warn("routex: setup needed: open " + url + " and paste the setup token: " + s.setupToken)
}

// dashboardURL is the address to open for a listener on addr: on this
// machine when it listens on every interface.
func dashboardURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// setupTestResult is the wizard's view of a channel test. Its caller holds
// the setup token, not the server, so the answer says what to fix without
// making the server a probe of what it can reach: no upstream body, no
// network error, no time taken by a failure. Errors found before anything
// was sent are about the channel as given, and stay.
func setupTestResult(res routex.TestResult) testResult {
	res.ListingError = "" // which model was tried, not why the listing failed
	out := viewTest(res)
	if res.OK || res.Latency == 0 {
		return out
	}
	out.LatencyMs = 0
	status := res.Status
	switch {
	case status == 0:
		out.Error = "no answer from the provider: check the base URL"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		out.Error = fmt.Sprintf("HTTP %d: the provider refused the API key", status)
	case status == http.StatusNotFound:
		out.Error = "HTTP 404: not found: check the base URL and the model"
	case status == http.StatusTooManyRequests:
		out.Error = "HTTP 429: the provider is rate limiting; try again later"
	case status >= 500:
		out.Error = "HTTP " + strconv.Itoa(status) + ": the provider failed"
	default:
		out.Error = "HTTP " + strconv.Itoa(status) + ": the provider refused the test request"
	}
	return out
}
