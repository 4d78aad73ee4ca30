package main

import (
	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
	"github.com/routex/routex/storage/sqlite"
)

// The server keeps, beside what its routex.Client needs (routex.Store),
// its own things: proxy keys, settings (the administrator, admin tokens)
// and OAuth tokens. Each part of the server takes only the part of the
// Store it uses; storage/sqlite implements them all.

// watched tells of every change to what it keeps, as routex.Store.Watch.
type watched interface {
	Watch(fn func()) (stop func())
}

// settingStore keeps the server's settings, watched so that a change made
// anywhere reaches what holds them in memory.
type settingStore interface {
	routex.SettingStore
	watched
}

// keyStore keeps the proxy API keys, watched likewise.
type keyStore interface {
	routex.KeyStore
	watched
}

// serverStore is all of it.
type serverStore interface {
	routex.Store
	routex.KeyStore
	routex.SettingStore
	oauth.TokenStore
}

// storage/sqlite keeps all of it.
var _ serverStore = (*sqlite.Store)(nil)
