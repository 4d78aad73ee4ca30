package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/routex/routex"
	"github.com/routex/routex/oauth"
)

// signInModes are the ways an Anthropic account signs in. A subscription
// (Claude Pro or Max) gives OAuth tokens the channel sends and keeps fresh;
// a Console sign-in mints an API key, which the channel then uses like any
// other. Tests point them at a local authorization server.
var signInModes = map[string]func() oauth.Provider{
	"subscription": oauth.AnthropicSubscription,
	"console":      oauth.AnthropicConsole,
}

// flowTTL bounds how long a started sign-in waits for its code.
const flowTTL = 15 * time.Minute

// accounts runs the sign-ins of OAuth channels ("Add account") and holds
// the Manager that keeps their tokens fresh for the Client.
type accounts struct {
	manager *oauth.Manager

	mu    sync.Mutex
	flows map[string]pending // by channel ID
}

type pending struct {
	mode    string
	flow    *oauth.Flow
	started time.Time
}

// newAccounts keeps tokens in st; locker, when not nil, makes instances
// sharing st refresh each token once between them.
func newAccounts(st oauth.TokenStore, locker oauth.Locker, logger *slog.Logger) (*accounts, error) {
	m, err := oauth.NewManager(st, func(string) (oauth.Provider, bool) { return signInModes["subscription"](), true },
		oauth.Settings{Logger: logger, Locker: locker})
	if err != nil {
		return nil, err
	}
	return &accounts{manager: m, flows: make(map[string]pending)}, nil
}

// start begins a sign-in for channel id and returns the URL to open.
func (a *accounts) start(id, mode string) (string, error) {
	newProvider, ok := signInModes[mode]
	if !ok {
		return "", fmt.Errorf("unknown sign-in mode %q: use subscription or console", mode)
	}
	f, err := oauth.Start(newProvider())
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for k, p := range a.flows {
		if now.Sub(p.started) > flowTTL {
			delete(a.flows, k)
		}
	}
	a.flows[id] = pending{mode: mode, flow: f, started: now}
	return f.URL(), nil
}

// finish exchanges the pasted code of channel id's sign-in and updates the
// channel: a subscription token goes to the Manager (and the Store) and the
// channel signs with it; a Console sign-in becomes the channel's API key.
func (a *accounts) finish(ctx context.Context, st routex.Store, ch routex.Channel, code string) (routex.Channel, error) {
	a.mu.Lock()
	p, ok := a.flows[ch.ID]
	if ok && time.Since(p.started) > flowTTL {
		ok = false
	}
	a.mu.Unlock()
	if !ok {
		return ch, errNoSignIn
	}
	tok, err := p.flow.Exchange(ctx, http.DefaultClient, code)
	if err != nil {
		return ch, err
	}
	a.mu.Lock()
	delete(a.flows, ch.ID)
	a.mu.Unlock()
	if p.mode == "console" {
		key, err := oauth.CreateAPIKey(ctx, http.DefaultClient, p.flow.Provider(), tok.AccessToken)
		if err != nil {
			return ch, err
		}
		ch.APIKey, ch.OAuth = key, false
		return ch, st.PutChannel(ctx, ch)
	}
	tok.ChannelID = ch.ID
	if err := a.manager.Put(ctx, tok); err != nil {
		return ch, err
	}
	ch.APIKey, ch.OAuth = "", true
	return ch, st.PutChannel(ctx, ch)
}

// status reports channel id's account, reading its token from the Store
// first if the Manager has not yet, so that an account never signed in
// shows as missing rather than unknown.
func (a *accounts) status(ctx context.Context, id string) oauth.Status {
	st := a.manager.Status(id)
	if st.State == oauth.StateUnknown {
		if err := a.manager.Load(ctx, id); err == nil {
			st = a.manager.Status(id)
		}
	}
	return st
}

var errNoSignIn = fmt.Errorf("no sign-in is waiting for this channel; start one first")

// ---- handlers ----

func (s *Server) startSignIn(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Mode string `json:"mode"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Mode == "" {
		in.Mode = "subscription"
	}
	ch, err := s.store.Channel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	if ch.Type != routex.FormatAnthropic {
		apiError(w, http.StatusBadRequest, "invalid_channel", "sign-in is for Anthropic channels; give OpenAI-format channels an API key")
		return
	}
	url, err := s.accounts.start(ch.ID, in.Mode)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": url, "mode": in.Mode})
}

func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	ch, err := s.store.RevealChannel(ctx, r.PathValue("id"))
	if err != nil {
		s.storeError(w, "channel", err)
		return
	}
	ch, err = s.accounts.finish(ctx, s.store, ch, in.Code)
	if err != nil {
		// Exchange errors name the step and the provider's error code,
		// never a token.
		s.logger.Warn("routex: sign-in failed", "channel", ch.ID, "err", err)
		apiError(w, http.StatusBadRequest, "sign_in_failed", err.Error())
		return
	}
	s.logger.Info("routex: account signed in", "channel", ch.ID, "oauth", ch.OAuth)
	writeJSON(w, http.StatusOK, s.view(ctx, ch.Redacted(), s.statusByID()))
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.manager.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.storeError(w, "token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	chs, err := s.store.Channels(r.Context())
	if err != nil {
		s.storeError(w, "channels", err)
		return
	}
	out := []oauth.Status{}
	for _, c := range chs {
		if c.OAuth {
			out = append(out, s.accounts.status(r.Context(), c.ID))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// signInCommand signs an Anthropic account in from a terminal, for servers
// reached over SSH: it prints the URL, reads the pasted code and stores the
// result in the server's database, creating the channel if it is new. Run
// it while the server is stopped (or restart the server after): a running
// server reads tokens from the database only when it starts.
func signInCommand(args []string, getenv func(string) string, in io.Reader, out io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("signin", flag.ContinueOnError)
	fs.SetOutput(out)
	id := fs.String("channel", "", "the channel to sign in (created if missing)")
	mode := fs.String("mode", "subscription", "subscription (Claude Pro/Max: OAuth tokens) or console (mints an API key)")
	data := fs.String("data", "", "data directory (env ROUTEX_DATA; default ./data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("name the channel: signin -channel <id>")
	}
	newProvider, ok := signInModes[*mode]
	if !ok {
		return fmt.Errorf("unknown -mode %q: use subscription or console", *mode)
	}
	cfg := Config{Data: first(*data, getenv("ROUTEX_DATA"), "data"), EncryptionKey: getenv("ROUTEX_ENCRYPTION_KEY"),
		Postgres: getenv("ROUTEX_POSTGRES")}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	key, err := encryptionKey(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg, key, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	chs, err := st.RevealChannels(ctx)
	if err != nil {
		return err
	}
	ch := routex.Channel{ID: *id, Name: *id, Type: routex.FormatAnthropic, BaseURL: "https://api.anthropic.com"}
	for _, c := range chs {
		if c.ID == *id {
			ch = c
		}
	}
	if ch.Type != routex.FormatAnthropic {
		return fmt.Errorf("channel %q is not an Anthropic channel", *id)
	}
	p := newProvider()
	tok, err := oauth.SignIn(ctx, p, in, out, http.DefaultClient)
	if err != nil {
		return err
	}
	if *mode == "console" {
		if ch.APIKey, err = oauth.CreateAPIKey(ctx, http.DefaultClient, p, tok.AccessToken); err != nil {
			return err
		}
		ch.OAuth = false
	} else {
		tok.ChannelID, tok.UpdatedAt = ch.ID, time.Now()
		if err := st.PutToken(ctx, tok); err != nil {
			return err
		}
		ch.APIKey, ch.OAuth = "", true
	}
	if err := st.PutChannel(ctx, ch); err != nil {
		return err
	}
	fmt.Fprintf(out, "Channel %q is signed in.\n", ch.ID)
	return nil
}
