package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/chromedp/chromedp"

	"github.com/routex/routex/internal/mockupstream"
)

// browser finds a Chromium to drive. Without one the test is skipped,
// unless ROUTEX_E2E=1 (set by .ci/run, which installs Chromium) makes the
// missing browser a failure.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ROUTEX_E2E") == "1" {
		t.Fatal("ROUTEX_E2E=1 but no Chromium is installed")
	}
	t.Skip("no Chromium installed; .ci/run installs it and sets ROUTEX_E2E=1")
	return ""
}

// setField sets an input's, select's or textarea's value the way a person
// typing would, so that React sees it: through the native setter, then the
// input and change events.
func setField(testid, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-testid=%q]');
		if (!el) throw new Error('no element %s');
		const proto = Object.getPrototypeOf(el);
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, %q);
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, testid, testid, value)
	return discard(chromedp.Evaluate[bool](js))
}

// discard makes an action whose value is not needed fit in a list of steps.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

func byTestID(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// screenshot saves the page to ROUTEX_SCREENSHOTS (or the test's temp dir).
func screenshot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("ROUTEX_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// TestDashboardEndToEnd drives the dashboard in headless Chromium: the
// setup wizard adds a channel pointing at a local provider, a rule is
// created in the rules page, a request goes through the proxy with the
// official Anthropic SDK, and the overview counts it.
func TestDashboardEndToEnd(t *testing.T) {
	exe := browser(t)
	up := mockupstream.New("upstream")
	t.Cleanup(up.Close)

	cfg := Config{Addr: "127.0.0.1:0", Data: t.TempDir(), AdminToken: "e2e-admin-token-0123456789", MaxBodyBytes: 1 << 20, ShutdownTimeout: 5 * time.Second}
	var log logBuffer
	srv, err := NewServer(t.Context(), cfg, log.logger())
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		web.Close()
		srv.Close()
	})
	// What run says once it listens: where to go, and the token to paste.
	srv.announceSetup(web.URL + "/")
	m := setupTokenInLog.FindStringSubmatch(log.String())
	if m == nil || m[1] != web.URL+"/" {
		t.Fatalf("the log does not say where to paste the setup token:\n%s", log.String())
	}
	setupToken := m[2]

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1400, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			if len(html) > 3000 {
				html = html[:3000]
			}
			t.Fatalf("%s: %v\npage: %s", step, err, html)
		}
	}
	// confirmed clicks button, which asks first, confirms, and waits
	// until gone has left the page. A toast sits over a row's button, so
	// it waits for that to go first.
	confirmed := func(step, button, gone string) {
		t.Helper()
		run(step,
			chromedp.WaitNotPresent(byTestID("toast")),
			chromedp.Click(byTestID(button)),
			chromedp.WaitVisible(byTestID("confirm-ok")),
			chromedp.Click(byTestID("confirm-ok")),
			chromedp.WaitNotPresent(byTestID(gone)),
		)
	}

	// 1. The wizard: the setup token from the log; the channel, tested;
	// the strategy; the administrator.
	run("wizard token",
		chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(byTestID("wizard-setup-token")),
		setField("wizard-setup-token", "not-the-token"),
		chromedp.Click(byTestID("wizard-next")),
		chromedp.WaitVisible(byTestID("wizard-error")),
		screenshot(t, "0-wizard-token-refused"),
		setField("wizard-setup-token", setupToken),
		chromedp.Click(byTestID("wizard-next")),
	)
	run("wizard step 1",
		chromedp.WaitVisible(byTestID("wizard-channel-type")),
		setField("wizard-channel-type", "anthropic"),
		setField("wizard-channel-name", "Local Claude"),
		setField("wizard-channel-baseurl", up.URL),
		setField("wizard-channel-key", "sk-ant-e2e-upstream-key-0001"),
		setField("wizard-channel-models", "claude-sonnet-4-5, claude-haiku-4-5"),
		chromedp.Click(byTestID("wizard-test")),
		chromedp.WaitVisible(byTestID("wizard-test-result")),
		screenshot(t, "1-wizard-channel"),
	)
	if ok, err := chromedp.Run(ctx, chromedp.AttributeValue(byTestID("wizard-test-result"), "data-ok")); err != nil || ok.Value != "true" {
		t.Fatalf("the wizard's connection test failed (data-ok=%q, %v)", ok.Value, err)
	}
	run("wizard step 2",
		chromedp.Click(byTestID("wizard-next")),
		chromedp.WaitVisible(byTestID("wizard-strategy-round_robin")),
		chromedp.Click(byTestID("wizard-strategy-round_robin")),
		screenshot(t, "2-wizard-strategy"),
		chromedp.Click(byTestID("wizard-next")),
	)
	run("wizard step 3",
		chromedp.WaitVisible(byTestID("wizard-username")),
		setField("wizard-username", "admin"),
		setField("wizard-password", "correct horse battery"),
		setField("wizard-password-confirm", "correct horse battery"),
		chromedp.Click(byTestID("wizard-finish")),
		chromedp.WaitVisible(byTestID("nav-overview")),
		screenshot(t, "3-overview-empty"),
	)

	// The wizard's choices are in the Store, and the Client uses them.
	chs, err := srv.store.RevealChannels(t.Context())
	if err != nil || len(chs) != 1 || chs[0].BaseURL != up.URL || chs[0].APIKey != "sk-ant-e2e-upstream-key-0001" {
		t.Fatalf("channels after the wizard = %+v, %v", chs, err)
	}
	if got := srv.client.Strategy(); got != "round_robin" {
		t.Errorf("strategy after the wizard = %q, want round_robin", got)
	}
	channelID := chs[0].ID

	// 2. A rule, made in the rules page: Haiku requests go to the channel
	// as Sonnet.
	run("rule",
		chromedp.Click(byTestID("nav-rules")),
		chromedp.WaitVisible(byTestID("rule-add")),
		chromedp.Click(byTestID("rule-add")),
		chromedp.WaitVisible(byTestID("rule-id")),
		setField("rule-id", "haiku-upgrade"),
		setField("rule-name", "Haiku to Sonnet"),
		setField("rule-model-pattern", "claude-haiku-*"),
		setField("rule-target-channel", channelID),
		setField("rule-target-model", "claude-sonnet-4-5"),
		chromedp.Click(byTestID("rule-save")),
		chromedp.WaitVisible(byTestID("rule-row-haiku-upgrade")),
		chromedp.WaitVisible(byTestID("rule-delete-haiku-upgrade")),
		screenshot(t, "4-rules"),
	)

	// A rule with a bad pattern is refused where the person is looking: the
	// server's message, in sight at 1400×900 without scrolling.
	badRule := `{"id":"bad-pattern","condition":{"userPattern":"("},"target":{"channel":"` + channelID + `"}}`
	status, answer := adminCall(t, http.MethodPost, web.URL+"/api/rules", cfg.AdminToken, badRule)
	var refusal struct {
		Error struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal(answer, &refusal); status != http.StatusBadRequest || err != nil || refusal.Error.Message == "" {
		t.Fatalf("the API answers a bad pattern with %d %s", status, answer)
	}
	run("bad rule",
		chromedp.Click(byTestID("rule-add")),
		chromedp.WaitVisible(byTestID("rule-id")),
		setField("rule-id", "bad-pattern"),
		setField("rule-user-pattern", "("),
		setField("rule-target-channel", channelID),
		chromedp.Click(byTestID("rule-save")),
		chromedp.WaitVisible(byTestID("rule-error")),
		screenshot(t, "4-rule-error"),
	)
	inView, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const r = document.querySelector('[data-testid="rule-error"]').getBoundingClientRect();
		return window.innerHeight <= 900 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
	})()`))
	if err != nil || !inView {
		t.Errorf("the rule dialog's error is not in the viewport (%v)", err)
	}
	if text, err := chromedp.Run(ctx, chromedp.Text(byTestID("rule-error"))); err != nil || strings.TrimSpace(text) != refusal.Error.Message {
		t.Errorf("the rule dialog's error reads %q (%v), want the server's %q", text, err, refusal.Error.Message)
	}
	run("close bad rule", chromedp.Click(byTestID("modal-close")), chromedp.WaitNotPresent(byTestID("rule-form")))

	// A rule aimed at a channel that does not exist is saved, and says,
	// after saving and in the list, that it takes no request.
	run("rule to a missing channel",
		chromedp.Click(byTestID("rule-add")),
		chromedp.WaitVisible(byTestID("rule-id")),
		setField("rule-id", "to-nowhere"),
		setField("rule-model-pattern", "nothing-asks-for-this"),
		discard(chromedp.Evaluate[bool](`(() => {
			const sel = document.querySelector('[data-testid="rule-target-channel"]');
			const o = document.createElement('option');
			o.value = 'no-such-channel'; o.textContent = 'no-such-channel';
			sel.appendChild(o);
			return true;
		})()`)),
		setField("rule-target-channel", "no-such-channel"),
		chromedp.Click(byTestID("rule-save")),
		chromedp.WaitVisible(byTestID("rule-notice-to-nowhere")),
		screenshot(t, "4-rule-notice"),
	)
	if text, err := chromedp.Run(ctx, chromedp.Text(byTestID("rule-notice-to-nowhere"))); err != nil || !strings.Contains(text, `no channel "no-such-channel" exists`) {
		t.Errorf("the rule to a missing channel says %q (%v)", text, err)
	}
	if toasts, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="toast"]')].map(t => t.textContent).join("|")`)); err != nil || !strings.Contains(toasts, "no-such-channel") {
		t.Errorf("after saving, the toasts say %q (%v), not the rule's notice", toasts, err)
	}
	if status, body := adminCall(t, http.MethodDelete, web.URL+"/api/rules/to-nowhere", cfg.AdminToken, ""); status != http.StatusNoContent {
		t.Fatalf("deleting the rule to nowhere: %d %s", status, body)
	}

	// 3. A proxy key (through the API with the admin token), and a request
	// with the official SDK.
	key := createKeyWithToken(t, web.URL, cfg.AdminToken)
	sdk := anthropic.NewClient(option.WithBaseURL(web.URL), option.WithAPIKey(key), option.WithMaxRetries(0))
	msg, err := sdk.Messages.New(t.Context(), anthropic.MessageNewParams{
		Model:     "claude-haiku-4-5",
		MaxTokens: 64,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
	})
	if err != nil {
		t.Fatalf("request through the proxy: %v", err)
	}
	if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "hello from upstream") {
		t.Fatalf("answer = %+v", msg.Content)
	}
	if got := up.Last().Body; !strings.Contains(string(got), `"claude-sonnet-4-5"`) {
		t.Errorf("the rule did not rewrite the model: upstream got %s", got)
	}

	// 4. The overview counts it, once the record is written (the writer
	// batches; the page polls).
	run("overview", chromedp.Click(byTestID("nav-overview")), chromedp.WaitVisible(byTestID("stat-requests-hour")))
	count, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const el = document.querySelector('[data-testid="stat-requests-hour"]');
		return el && el.textContent.trim() === "1" ? el.textContent : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(250*time.Millisecond)))
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(byTestID("overview-stats")))
		t.Fatalf("the overview never counted the request: %v\n%s", err, html)
	}
	run("screenshot", screenshot(t, "5-overview-counted"))
	t.Logf("overview shows %q requests in the last hour", count)

	// 5. Every other page renders with the data it has, without an error.
	for i, page := range []struct{ nav, ready string }{
		{"nav-channels", "channel-delete-" + channelID},
		{"nav-requests", "request-row"},
		{"nav-analytics", "analytics-totals"},
		{"nav-keys", "keys-table"},
		{"nav-transformers", "transformers-list"},
		{"nav-settings", "records-card"},
	} {
		run(page.nav, chromedp.Click(byTestID(page.nav)), chromedp.WaitVisible(byTestID(page.ready)),
			screenshot(t, fmt.Sprintf("%d-%s", 6+i, strings.TrimPrefix(page.nav, "nav-"))))
		if errs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[role="alert"]').length`)); err != nil || errs != 0 {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("main"))
			t.Errorf("%s shows %d errors (%v): %.2000s", page.nav, errs, err, html)
		}
	}

	// The request log gives the request's latency, from the API's latencyMs.
	run("request latency", chromedp.Click(byTestID("nav-requests")), chromedp.WaitVisible(byTestID("request-latency")))
	if lat, err := chromedp.Run(ctx, chromedp.Text(byTestID("request-latency"))); err != nil || !regexp.MustCompile(`^\d+(\.\d+)? m?s$`).MatchString(lat) {
		t.Errorf("the request log's latency reads %q (%v), want a duration", lat, err)
	}

	// The channel dialog's timeout, in seconds, is saved as timeoutMs.
	run("channel timeout",
		chromedp.Click(byTestID("nav-channels")),
		chromedp.WaitVisible(byTestID("channel-edit-"+channelID)),
		// The rule's toasts sit over the row's buttons.
		chromedp.WaitNotPresent(byTestID("toast")),
		chromedp.Click(byTestID("channel-edit-"+channelID)),
		chromedp.WaitVisible(byTestID("channel-timeout")),
		setField("channel-timeout", "42.5"),
		chromedp.Click(byTestID("channel-save")),
		chromedp.WaitNotPresent(byTestID("channel-form")),
	)
	if chs, err := srv.store.RevealChannels(t.Context()); err != nil || len(chs) != 1 || chs[0].Timeout != 42500*time.Millisecond {
		t.Errorf("after saving a 42.5 s timeout in the dialog, channels = %+v, %v", chs, err)
	}
	run("channel timeout shown",
		chromedp.Click(byTestID("channel-edit-"+channelID)),
		chromedp.WaitVisible(byTestID("channel-timeout")),
	)
	if v, err := chromedp.Run(ctx, chromedp.Value(byTestID("channel-timeout"))); err != nil || v != "42.5" {
		t.Errorf("the dialog shows the saved timeout as %q (%v), want 42.5", v, err)
	}
	run("close channel dialog", chromedp.Click(byTestID("modal-close")), chromedp.WaitNotPresent(byTestID("channel-form")))

	// A server that cannot be reached is not an empty list: the channels
	// page says it could not load them, and loads them on retry.
	run("server unreachable",
		chromedp.Click(byTestID("nav-rules")),
		chromedp.WaitVisible(byTestID("rule-add")),
		discard(chromedp.Evaluate[bool](`(() => {
			window.realFetch = window.fetch;
			window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
			return true;
		})()`)),
		chromedp.Click(byTestID("nav-channels")),
		chromedp.WaitVisible(byTestID("load-failed")),
		screenshot(t, "6-channels-unreachable"),
	)
	if text, err := chromedp.Run(ctx, chromedp.Text(byTestID("load-failed"))); err != nil || !strings.Contains(text, "Cannot reach the routex server") {
		t.Errorf("with the server unreachable the channels page says %q (%v)", text, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="empty"]').length`)); err != nil || n != 0 {
		t.Errorf("with the server unreachable the channels page shows %d empty states (%v)", n, err)
	}
	run("server back",
		discard(chromedp.Evaluate[bool](`(() => { window.fetch = window.realFetch; return true; })()`)),
		chromedp.Click(byTestID("load-retry")),
		chromedp.WaitVisible(byTestID("channel-row-"+channelID)),
	)

	// 6. A sticky session whose key is a dot segment, which a browser
	// cannot put in a path, is forgotten from the settings page.
	dots, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, web.URL+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`))
	dots.Header.Set("X-Api-Key", key)
	dots.Header.Set("Anthropic-Version", "2023-06-01")
	dots.Header.Set("X-Session-Id", "..")
	if resp, err := http.DefaultClient.Do(dots); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request with a session: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	run("open sessions",
		chromedp.Click(byTestID("nav-settings")),
		chromedp.WaitVisible(byTestID("sessions-refresh")),
		chromedp.Click(byTestID("sessions-refresh")),
		chromedp.WaitVisible(byTestID("session-delete")),
	)
	confirmed("forget session", "session-delete", "session-delete")
	if left := srv.client.Sessions(); len(left) != 0 {
		t.Errorf("sessions after forgetting in the dashboard: %+v", left)
	}

	// 7. Deleting asks first, then deletes: the rule leaves the page and
	// the server.
	run("open rules", chromedp.Click(byTestID("nav-rules")), chromedp.WaitVisible(byTestID("rule-delete-haiku-upgrade")))
	confirmed("delete rule", "rule-delete-haiku-upgrade", "rule-row-haiku-upgrade")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, web.URL+"/api/rules", nil)
	req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(string(rules), "haiku-upgrade") {
		t.Errorf("after deleting in the dashboard, /api/rules answers %d: %s", resp.StatusCode, rules)
	}

	// 8. A secret is shown once, when it is made: an API key made in the
	// keys page (which wants a name first) calls the proxy, and deleting it
	// asks first; an admin token made in the settings page calls the
	// management API, and revoking it asks first.
	messages := func(key string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, web.URL+"/v1/messages",
			strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("X-Api-Key", key)
		req.Header.Set("Anthropic-Version", "2023-06-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// rowOf waits for the row, among those whose test id starts with
	// prefix, that shows text (the list loads again after a create), and
	// returns the rest of its test id.
	rowOf := func(prefix, text string) string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(
			`[...document.querySelectorAll('[data-testid^=%q]')].find((r) => r.textContent.includes(%q))?.dataset.testid ?? null`, prefix, text),
			chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
		if err != nil || id == "" {
			t.Fatalf("no row %s… shows %q (%v)", prefix, text, err)
		}
		return strings.TrimPrefix(id, prefix)
	}
	// create makes a proxy key (kind "key") or an admin token (kind
	// "token") on page nav: saving without a name is refused, then it is
	// named and saved, and its secret, shown once, is returned.
	create := func(nav, kind, name string) string {
		t.Helper()
		run("create "+kind,
			chromedp.Click(byTestID(nav)),
			chromedp.WaitVisible(byTestID(kind+"-add")),
			chromedp.Click(byTestID(kind+"-add")),
			chromedp.WaitVisible(byTestID(kind+"-save")),
			chromedp.Click(byTestID(kind+"-save")),
			chromedp.WaitVisible(byTestID(kind+"-error")),
			setField(kind+"-name", name),
			chromedp.Click(byTestID(kind+"-save")),
			chromedp.WaitVisible(byTestID(kind+"-secret")),
		)
		secret, err := chromedp.Run(ctx, chromedp.Text(byTestID(kind+"-secret")))
		if err != nil || secret == "" {
			t.Fatalf("the new %s's dialog shows %q (%v)", kind, secret, err)
		}
		run(kind+" shown once", chromedp.Click(byTestID(kind+"-done")), chromedp.WaitNotPresent(byTestID(kind+"-created")))
		return secret
	}
	browserKey := create("nav-keys", "key", "browser-key")
	if !strings.HasPrefix(browserKey, "rx-") {
		t.Errorf("the key made in the dashboard is %q", browserKey)
	}
	if status := messages(browserKey); status != http.StatusOK {
		t.Errorf("a request with the key made in the dashboard: %d", status)
	}
	keyID := rowOf("key-row-", "browser-key")
	confirmed("delete key", "key-delete-"+keyID, "key-row-"+keyID)
	if status := messages(browserKey); status != http.StatusUnauthorized {
		t.Errorf("a request with the key deleted in the dashboard: %d", status)
	}

	adminToken := create("nav-settings", "token", "browser-token")
	if status, body := adminCall(t, http.MethodGet, web.URL+"/api/rules", adminToken, ""); status != http.StatusOK {
		t.Errorf("the management API with the admin token made in the dashboard: %d %s", status, body)
	}
	tokenID := rowOf("token-row-", "browser-token")
	confirmed("revoke admin token", "token-revoke-"+tokenID, "token-row-"+tokenID)
	if status, body := adminCall(t, http.MethodGet, web.URL+"/api/rules", adminToken, ""); status != http.StatusUnauthorized {
		t.Errorf("the management API with the admin token revoked in the dashboard: %d %s", status, body)
	}
}

func createKeyWithToken(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/keys", strings.NewReader(`{"name":"e2e"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Key string `json:"key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.Key == "" {
		t.Fatalf("creating a key: status %d, %v", resp.StatusCode, err)
	}
	return out.Key
}

// adminCall calls the management API with the admin token.
func adminCall(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
