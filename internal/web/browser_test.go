package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// chromiumPath finds the browser, or skips (fails in CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LIAISON_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		testkit.SkipOrFail(t, "browser test skipped: install chromium or set LIAISON_CHROMIUM")
	}
	return p
}

// tab is one browser tab with what its console said.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string // console errors, exceptions, CSP violations
	dialogs  []string // confirm() questions, all accepted
	shots    int      // screenshots taken for $LIAISON_SCREENSHOTS
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	exe := chromiumPath(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Room for axe-core on every page, on a busy machine.
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })

	b := &tab{t: t, ctx: ctx, base: base}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	// A focused page, so that the clipboard API works in headless mode.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, perm := range []string{"clipboard-write", "clipboard-read"} {
		_, _ = chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: base})
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	// Accept every confirm() (data-confirm buttons), noting its question.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// listen runs in chromedp's read loop: it only records.
func (b *tab) listen(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range e.Args {
				var str string
				if json.Unmarshal([]byte(a.Value), &str) == nil {
					args = append(args, str)
				} else {
					args = append(args, string(a.Value)+a.Description)
				}
			}
			p = "console.error: " + strings.Join(args, " ")
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		p = "exception: " + d.Text
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || strings.Contains(e.Entry.Text, "Content Security Policy") {
			p = fmt.Sprintf("log %s/%s: %s (%s)", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// takeProblems returns and clears what the console said.
func (b *tab) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// noProblems fails the test when the console said anything since the last
// check, except the browser's note that the page itself answered the
// status allowed (a form shown again with its errors answers 4xx).
func (b *tab) noProblems(what string, allowed int) {
	b.t.Helper()
	var bad []string
	for _, p := range b.takeProblems() {
		if allowed != 0 && strings.HasPrefix(p, "log network/error: ") &&
			strings.Contains(p, fmt.Sprintf("status of %d ", allowed)) && !strings.Contains(p, "/static/") {
			continue
		}
		bad = append(bad, p)
	}
	if len(bad) > 0 {
		b.t.Fatalf("%s: the console says:\n%s", what, strings.Join(bad, "\n"))
	}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and returns the document's status. Every page a
// test opens is checked by axe-core.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.accessibleAtWidths(path)
	return res.Status
}

// submit clicks a button that sends a form and waits for the page that
// answers; it returns that page's path.
func (b *tab) submit(what, button string) string {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	b.accessibleAtWidths(what)
	return b.path()
}

func (b *tab) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Path
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// fill types into the fields of the form, by input id.
func (b *tab) fill(fields map[string]string) {
	b.t.Helper()
	for id, v := range fields {
		b.do("fill "+id, chromedp.SendKeys(chromedp.ID(id), v))
	}
}

func (b *tab) expectPath(what, got, want string) {
	b.t.Helper()
	if got != want {
		b.t.Fatalf("%s: at %s, want %s (page says %q)", what, got, want, b.text("main"))
	}
}

func (b *tab) logout() {
	b.t.Helper()
	b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
	b.expectPath("log out", b.submit("log out", ".usermenu .menu-button"), "/login")
	if s := b.text("main"); !strings.Contains(s, "You are logged out") {
		b.t.Fatalf("no logout notice: %q", s)
	}
}

// TestBrowserFlows clicks through first-run setup, sign-up, log in,
// sessions and API tokens in a real browser.
func TestBrowserFlows(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	b := newTab(t, s.URL)

	if st := b.open("/"); st != 200 || b.path() != "/setup" {
		t.Fatalf("a fresh server shows %s (%d), want /setup", b.path(), st)
	}
	b.fill(map[string]string{"f-name": "Ada Lovelace", "f-email": adminEmail, "f-password": adminPass, "f-account_name": "Analytical Agency"})
	b.expectPath("setup", b.submit("setup", "main form button[type=submit]"), "/app")
	if s := b.text("main"); !strings.Contains(s, "Analytical Agency") || !strings.Contains(s, "Your agency is ready") {
		t.Fatalf("app after setup: %q", s)
	}
	b.logout()

	// Sign up as a client, with an error first: the address is taken.
	b.open("/signup")
	b.fill(map[string]string{"f-name": "Grace Hopper", "f-email": adminEmail, "f-password": "compilers are fun", "f-account_name": "Navy Client"})
	b.do("choose client", chromedp.Click(chromedp.CSS(`input[name=account_kind][value=client]`)))
	b.submit("signup, taken address", "main form button[type=submit]")
	b.noProblems("signup with a taken address", 409)
	b.shoot("/signup-error")
	if s := b.text("#f-email-error"); !strings.Contains(s, "already exists") {
		t.Fatalf("error beside the e-mail field: %q", s)
	}
	if v, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("f-name"))); v != "Grace Hopper" {
		t.Fatalf("the name was not kept: %q", v)
	}
	b.do("fix the address", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-email").value = ""`),
		chromedp.SendKeys(chromedp.ID("f-email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("f-password"), "compilers are fun"))
	b.expectPath("signup", b.submit("signup", "main form button[type=submit]"), "/app")
	b.shoot("/portal")
	if s := b.text("main"); !strings.Contains(s, "Welcome, Grace Hopper") {
		t.Fatalf("portal after signup: %q", s)
	}
	b.logout()

	// Log in through the form; a wrong password first.
	b.fill(map[string]string{"f-email": "grace@example.com", "f-password": "not my password"})
	b.submit("bad login", "main form button[type=submit]")
	b.noProblems("bad login", 401)
	b.shoot("/login-error")
	if s := b.text(".notice-error"); !strings.Contains(s, "not right") {
		t.Fatalf("bad login says %q", s)
	}
	b.fill(map[string]string{"f-password": "compilers are fun"})
	b.expectPath("login", b.submit("login", "main form button[type=submit]"), "/app")
	if s := b.text(".topbar"); !strings.Contains(s, "Grace Hopper") {
		t.Fatalf("top bar after login: %q", s)
	}

	// Sessions and tokens, reached through the user menu.
	b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
	b.expectPath("sessions", b.submit("sessions", `.menu a[href="/app/sessions"]`), "/app/sessions")
	if s := b.text("main"); !strings.Contains(s, "This session") || !strings.Contains(s, "Headless Chrome") {
		t.Fatalf("sessions page: %q", s)
	}
	b.open("/app/tokens")
	b.fill(map[string]string{"f-name": "Reporting script"})
	b.expectPath("create token", b.submit("create token", "main form button[type=submit]"), "/app/tokens")
	b.shoot("/tokens-new")
	tok, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("new-token")))
	if err != nil || !regexp.MustCompile(`^lia_[A-Za-z0-9_-]{20,}$`).MatchString(tok) {
		t.Fatalf("new token %q, %v", tok, err)
	}
	b.do("copy", chromedp.Click(chromedp.CSS(`button[data-copy="#new-token"]`)))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.querySelector('button[data-copy="#new-token"]').textContent === "Copied"`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the copy button does not say Copied: %v (it says %q)", err, b.text(`button[data-copy="#new-token"]`))
	}
	b.open("/app/tokens")
	b.shoot("/tokens-list")
	if s := b.text("main"); strings.Contains(s, tok) || !strings.Contains(s, "Reporting script") {
		t.Fatalf("token list shows the secret again or lost the token: %q", s)
	}
	b.expectPath("revoke", b.submit("revoke", `main form[action$="/revoke"] button`), "/app/tokens")
	if s := b.text("main"); !strings.Contains(s, "Token revoked") {
		t.Fatalf("after revoke: %q", s)
	}
	b.mu.Lock()
	dialogs := append([]string(nil), b.dialogs...)
	b.mu.Unlock()
	if len(dialogs) != 1 || !strings.Contains(dialogs[0], "Reporting script") {
		t.Fatalf("revoke asked %q, want one question naming the token", dialogs)
	}
	b.noProblems("flows", 0)
}

// pageChecks are what every page must have: a main element, lang="en", a
// heading, and a label for every field.
const pageChecks = `(() => {
	const bad = [];
	if (!document.querySelector("main")) bad.push("no <main>");
	if (document.documentElement.lang !== "en") bad.push("lang is not en");
	if (!document.querySelector("h1")) bad.push("no <h1>");
	for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
		if (!el.labels || el.labels.length === 0) bad.push("no label for " + (el.id || el.name));
	}
	for (const el of document.querySelectorAll("[style]")) bad.push("inline style on " + el.tagName);
	for (const el of document.querySelectorAll("script:not([src]), style")) bad.push("inline " + el.tagName);
	for (const el of document.querySelectorAll("[href], [src], [action]")) {
		const u = el.getAttribute("href") || el.getAttribute("src") || el.getAttribute("action");
		if (/^(https?:)?\/\//.test(u)) bad.push("external resource " + u);
	}
	return bad.join("; ");
})()`

// visit loads a page, checks its status, its main element and the
// console, and returns nothing: it fails the test instead.
func (b *tab) visit(path string, status int64) {
	b.t.Helper()
	if got := b.open(path); got != status {
		b.t.Fatalf("%s: status %d, want %d (page says %q)", path, got, status, b.text("main"))
	}
	bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](pageChecks))
	if err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
	if bad != "" {
		b.t.Fatalf("%s: %s", path, bad)
	}
	allowed := 0
	if status != 200 {
		allowed = int(status)
	}
	b.noProblems(path, allowed)
	b.shoot(path)
}

// accessibleAtWidths runs axe-core on the page as a desktop and as a
// phone sees it.
func (b *tab) accessibleAtWidths(path string) {
	b.t.Helper()
	b.accessible(path)
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, EmulateMobileUnder(390)))
	b.accessible(path + " at 390 px")
	b.do("viewport", chromedp.EmulateViewport(1280, 900))
}

// shoot keeps a screenshot of the page at phone and desktop widths in
// $LIAISON_SCREENSHOTS, when set, to look at the layout.
func (b *tab) shoot(path string) {
	dir := os.Getenv("LIAISON_SCREENSHOTS")
	if dir == "" {
		return
	}
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(path, "-"), "-")
	b.shots++
	b.screenshots(dir, fmt.Sprintf("%02d-%s", b.shots, name))
}

// screenshots writes <name>-390.png and <name>-1280.png of the current page.
func (b *tab) screenshots(dir, name string) {
	b.t.Helper()
	for _, w := range []int64{390, 1280} {
		b.do("viewport", chromedp.EmulateViewport(w, 844, EmulateMobileUnder(w)))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(fmt.Sprintf("%s/%s-%d.png", dir, name, w), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1280, 900))
}

// EmulateMobileUnder turns on mobile emulation for phone widths.
func EmulateMobileUnder(w int64) chromedp.EmulateViewportOption {
	return func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
		p.Mobile = w < 700
	}
}

// TestBrowserEveryPage loads every page, anonymous and logged in, and
// checks that it renders its main element with a silent console.
func TestBrowserEveryPage(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	b := newTab(t, s.URL)

	b.visit("/setup", 200)
	b.fill(map[string]string{"f-name": "Ada Lovelace", "f-email": adminEmail, "f-password": adminPass, "f-account_name": "Analytical Agency"})
	b.expectPath("setup", b.submit("setup", "main form button[type=submit]"), "/app")
	// An e-mail for the outbox pages.
	newVisitor(t, s).post("/forgot", url.Values{"email": {adminEmail}}).redirects(t, "forgot", "/forgot")

	// A second account, so that the top bar shows the account switcher.
	client := addMembership(t, s, adminEmail, "client", "Zeta Client", "member")

	b.visit("/app", 200)
	shots := t.TempDir()
	b.screenshots(shots, "app")
	t.Logf("screenshots of /app in %s", shots)
	for _, sec := range []string{"clients", "links", "invitations", "brands", "members", "access-requests", "billing", "audit", "settings", "portal"} {
		b.visit("/app/"+sec, 200)
	}
	// The same pages with something in them, and a client's own page.
	ada := loginAs(t, s, adminEmail, adminPass)
	adaID, agencyID := ada.me("agency")
	s.AddBrand(t, agencyID, "Nike")
	s.AddGroup(t, agencyID, "Paris office", adaID)
	created := ada.post("/app/clients", url.Values{"name": {"Acme Corp"}, "seats": {"3"}})
	created.expect(t, "create a client", 303)
	_, _, navy := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	ada.post("/app/links", url.Values{"target": {navy}, "access": {"some"}, "group_ids": {groupID(t, s, agencyID, "Paris office")}}).
		redirects(t, "send a request", "/app/links")
	s.Signup(t, "Bruce Wayne", "bruce@wayne.example", "Wayne Client", "client")
	loginAs(t, s, "bruce@wayne.example", testkit.Password).post("/app/agencies", url.Values{"target": {agencyID}}).
		redirects(t, "a client asks", "/app/agencies")
	for _, p := range []string{"/app/clients", "/app/clients/new", created.header.Get("Location"), "/app/links", "/app/members",
		"/app/brands", "/app/settings", "/app/clients?q=zzz", "/app/clients?status=revoked"} {
		b.visit(p, 200)
	}
	// An agency accepts with its access choice, opened in place.
	b.open("/app/links")
	b.do("open accept", chromedp.Click(chromedp.CSS("#incoming details.accept summary")))
	b.do("choose people", chromedp.Click(chromedp.CSS("#incoming input[name=access][value=some]")))
	if vis := b.eval(`getComputedStyle(document.querySelector("#incoming .access-list")).display`); vis == "none" {
		t.Fatal("the people and groups stay hidden after choosing them")
	}
	b.shoot("/app/links-accept")
	b.noProblems("accept form", 0)
	b.visit("/app/clients/acc_nosuchclient", 404)
	b.visit("/app/sessions", 200)
	b.visit("/app/tokens", 200)
	b.visit("/operator/outbox", 200)
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`main table a[href^="/operator/outbox/"]`), "href"))
	if err != nil || !href.Exists {
		t.Fatalf("no e-mail in the outbox: %v", err)
	}
	b.visit(href.Value, 200)
	// The e-mail's HTML is in a sandboxed frame that loaded without a CSP
	// complaint (checked by visit) and shows the message.
	framed, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
		const f = document.querySelector("iframe.mail-frame");
		return f ? f.getAttribute("sandbox") + "|" + f.getAttribute("src") : "none";
	})()`))
	if err != nil || !strings.HasPrefix(framed, "|/operator/outbox/") {
		t.Fatalf("mail frame %q, %v", framed, err)
	}
	// The switcher sends itself when another account is chosen.
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("account-switch");
		s.value = "`+client+`";
		s.dispatchEvent(new Event("change"));
	})()`)); err != nil {
		t.Fatalf("switch: %v", err)
	}
	if s := b.text("main"); !strings.Contains(s, "Your portal") || !strings.Contains(s, "Zeta Client") {
		t.Fatalf("after switching: %q", s)
	}
	b.noProblems("switch", 0)
	b.visit("/app", 200)
	b.visit("/app/agencies", 200)
	b.visit("/app/users", 200)
	b.visit("/app/no-such-section", 404)
	b.visit("/no/such/page", 404)

	b.logout()
	b.visit("/login", 200)
	b.visit("/signup", 200)
	b.visit("/forgot", 200)
	// A dead reset link says so at once, before anything is typed.
	b.visit("/reset/not-a-real-token", 410)
	if s := b.text("h1"); s != "This link no longer works" {
		t.Fatalf("bad reset token shows %q", s)
	}
	b.visit("/elsewhere", 404)

	// The listener hears what it must: a console error, an exception and a
	// CSP violation (an inline script, which the server's policy refuses).
	b.do("make noise", chromedp.Evaluate[chromedp.Void](`(() => {
		console.error("probe");
		const s = document.createElement("script");
		s.textContent = "1";
		document.body.appendChild(s);
		setTimeout(() => { throw new Error("thrown probe"); }, 0);
	})()`), chromedp.Sleep(300*time.Millisecond))
	heard := strings.Join(b.takeProblems(), "\n")
	for _, want := range []string{"console.error: probe", "thrown probe", "Content Security Policy"} {
		if !strings.Contains(heard, want) {
			t.Fatalf("the console listener missed %q; it heard:\n%s", want, heard)
		}
	}

	// The closed sign-up page, on a server that has it closed.
	closed := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Env: map[string]string{"LIAISON_OPEN_SIGNUP": "false"}})
	newVisitor(t, closed).post("/setup", setupForm()).redirects(t, "setup", "/app")
	b.base = closed.URL
	b.visit("/signup", 403)
}
