package main

import (
	"net/http"
	"strings"

	"github.com/routex/routex"
)

// proxyRefusal answers a proxy caller in its own format: Anthropic's error
// body on /v1/messages (and to callers that send Anthropic headers),
// OpenAI's elsewhere.
func (s *Server) proxyRefusal(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	f := routex.FormatOpenAI
	if strings.HasPrefix(r.URL.Path, "/v1/messages") || r.Header.Get("Anthropic-Version") != "" || r.Header.Get("X-Api-Key") != "" {
		f = routex.FormatAnthropic
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Should-Retry", "false")
	w.WriteHeader(status)
	w.Write(routex.ErrorBody(f, status, code, msg))
}
