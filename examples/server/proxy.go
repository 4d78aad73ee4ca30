package main

import (
	"net/http"

	"github.com/routex/routex"
)

// proxyRefusal answers a proxy caller in its own format, as the Client
// would (routex.CallerFormat).
func (s *Server) proxyRefusal(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	f := routex.CallerFormat(r)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Should-Retry", "false")
	w.WriteHeader(status)
	w.Write(routex.ErrorBody(f, status, code, msg))
}
