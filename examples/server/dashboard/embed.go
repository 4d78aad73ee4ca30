// Package dashboard holds the built web dashboard of the routex server,
// embedded so that `go run ./examples/server` needs no Node.js. The sources
// are beside it; `npm ci && npm run build` in this directory rebuilds dist.
package dashboard

import "embed"

// Files holds dist/, the built dashboard: index.html and its assets.
//
//go:embed all:dist
var Files embed.FS
