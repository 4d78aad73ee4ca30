package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A proxy key reaches only the endpoints routex serves and those the
// operator opens: not the channel key's file deletion, not a path that
// climbs out of the API root.
func TestProxyReachesOnlyAllowedEndpoints(t *testing.T) {
	t.Parallel()
	ts, c := setUp(t)
	_, key := makeKey(t, c, "k")
	calls := ts.up.Calls()
	ts.send(t, http.MethodDelete, "/v1/files/file-123", key, "").want(t, http.StatusNotFound)
	ts.send(t, http.MethodPost, "/v1/%2e%2e/%2e%2e/admin", key, `{"model":"`+sonnet+`"}`).want(t, http.StatusBadRequest)
	assert.Equal(t, calls, ts.up.Calls(), "nothing reached the provider")

	open, oc := setUp(t, func(cfg *Config) { cfg.Passthrough = []string{"/v1/files/"} })
	_, okey := makeKey(t, oc, "k")
	open.send(t, http.MethodDelete, "/v1/files/file-123", okey, "", "Anthropic-Version", "2023-06-01")
	assert.Equal(t, "/v1/files/file-123", open.up.Last().Path)
}
