package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/web"
)

func TestTemplatesParse(t *testing.T) {
	if err := web.CheckTemplates(); err != nil {
		t.Fatal(err)
	}
}

// visitor is a cookie-jar HTTP client that does not follow redirects, so
// that each answer can be checked.
type visitor struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newVisitor(t *testing.T, s *testkit.Server) *visitor {
	return &visitor{t: t, c: s.Client(), base: s.URL}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (v *visitor) do(req *http.Request) answer {
	v.t.Helper()
	res, err := v.c.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (v *visitor) get(path string) answer {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.base+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.do(req)
}

func (v *visitor) post(path string, form url.Values) answer {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

// expect checks the status and that the body holds every text.
func (a answer) expect(t *testing.T, what string, status int, texts ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, a.status, status, a.body)
	}
	body := html.UnescapeString(a.body)
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Fatalf("%s: body lacks %q\n%s", what, s, a.body)
		}
	}
}

// redirects checks a 303 to the given location.
func (a answer) redirects(t *testing.T, what, to string) {
	t.Helper()
	if a.status != http.StatusSeeOther || a.header.Get("Location") != to {
		t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, a.status, a.header.Get("Location"), to, a.body)
	}
}

const (
	adminEmail = "ada@example.com"
	adminPass  = "correct horse battery"
)

func setupForm() url.Values {
	return url.Values{"name": {"Ada Lovelace"}, "email": {adminEmail}, "password": {adminPass}, "account_name": {"Analytical Agency"}}
}

func TestFirstRunSetupAndLogin(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	v := newVisitor(t, s)

	v.get("/").redirects(t, "root on a fresh server", "/setup")
	v.get("/signup").redirects(t, "signup before setup", "/setup")
	v.get("/setup").expect(t, "setup form", 200, "Set up Liaison", `name="account_name"`, `lang="en"`, "<main")

	bad := setupForm()
	bad.Set("password", "short")
	a := v.post("/setup", bad)
	a.expect(t, "setup with a short password", 400, "at least 10 characters", `value="Ada Lovelace"`, `value="Analytical Agency"`)
	if strings.Contains(a.body, "short") && strings.Contains(a.body, `value="short"`) {
		t.Fatal("the password was echoed back into the form")
	}

	a = v.post("/setup", setupForm())
	a.redirects(t, "setup", "/app")
	if !strings.Contains(a.header.Get("Set-Cookie"), "liaison_session=") {
		t.Fatalf("setup set no session cookie: %v", a.header.Values("Set-Cookie"))
	}
	v.get("/app").expect(t, "app after setup", 200, "Analytical Agency", "Ada Lovelace", "Your agency is ready",
		`href="/app/clients"`, "Members & Groups", "Portal & Domains", `href="/operator/outbox"`, `action="/logout"`)
	v.get("/").redirects(t, "root when logged in", "/app")
	v.get("/login").redirects(t, "login when logged in", "/app")

	anon := newVisitor(t, s)
	anon.get("/setup").redirects(t, "setup after setup", "/login")
	anon.post("/setup", setupForm()).redirects(t, "second setup", "/login")
	anon.get("/").redirects(t, "root when anonymous", "/login")
	anon.get("/app").redirects(t, "app when anonymous", "/login")
	anon.get("/app/tokens").redirects(t, "tokens when anonymous", "/login?next=%2Fapp%2Ftokens")

	// Log out, then log in through the form.
	v.post("/logout", nil).redirects(t, "logout", "/login")
	v.get("/app").redirects(t, "app after logout", "/login")
	v.get("/login").expect(t, "login page after logout", 200, "You are logged out", "Forgot password?", `href="/signup"`)

	a = v.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password here"}})
	a.expect(t, "bad password", 401, "The e-mail address or password is not right", `value="ada@example.com"`)
	if !regexp.MustCompile(`id="f-password"[^>]* autofocus`).MatchString(a.body) {
		t.Fatalf("after a bad password the password field is not focused:\n%s", a.body)
	}
	v.post("/login", url.Values{"email": {"not-an-address"}, "password": {"x"}}).expect(t, "bad address", 400, "Enter an e-mail address like")
	v.post("/login", url.Values{"email": {"ADA@example.com "}, "password": {adminPass}, "next": {"/app/sessions"}}).
		redirects(t, "login", "/app/sessions")
	v.post("/logout", nil)
	v.post("/login", url.Values{"email": {adminEmail}, "password": {adminPass}, "next": {"//evil.example/"}}).
		redirects(t, "login with a foreign next", "/app")
}

// loggedIn sets the server up and returns the admin's visitor.
func loggedIn(t *testing.T) (*testkit.Server, *visitor) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	v := newVisitor(t, s)
	v.post("/setup", setupForm()).redirects(t, "setup", "/app")
	return s, v
}

func TestAppPages(t *testing.T) {
	s, v := loggedIn(t)
	for _, sec := range []string{"clients", "links", "invitations", "brands", "members", "settings", "portal", "billing", "audit"} {
		a := v.get("/app/" + sec)
		a.expect(t, sec, 200, `aria-current="page"`)
		if strings.Contains(a.body, "Coming soon") {
			t.Fatalf("%s is still a placeholder", sec)
		}
	}
	v.get("/app/nothing-here").expect(t, "unknown section", 404, "Page not found", "Analytical Agency")
	v.get("/no/such/page").expect(t, "unknown page", 404, "Page not found", "<main")
	newVisitor(t, s).get("/no/such/page").expect(t, "unknown page, anonymous", 404, "Page not found")
	v.get("/logout").expect(t, "GET /logout", 404, "Page not found")

	v.get("/app/sessions").expect(t, "sessions", 200, "Sessions", "This session", "Go program", "127.0.0.1", "just now", "data-relative")
	other := newVisitor(t, s)
	other.post("/login", url.Values{"email": {adminEmail}, "password": {adminPass}}).redirects(t, "second login", "/app")
	a := v.get("/app/sessions")
	a.expect(t, "two sessions", 200, "End all other sessions", `data-confirm="End every session`)
	v.post("/app/sessions/end-others", nil).redirects(t, "end others", "/app/sessions")
	v.get("/app/sessions").expect(t, "after ending others", 200, "Ended 1 other session.")
	other.get("/app").redirects(t, "ended session", "/login")

	v.get("/app/tokens").expect(t, "tokens", 200, "API tokens", "No tokens yet", `name="name"`)
	v.post("/app/tokens", url.Values{"name": {""}}).expect(t, "token without name", 400, "Give the token a name")
	v.post("/app/tokens", url.Values{"name": {"Reporting script"}}).redirects(t, "create token", "/app/tokens")
	a = v.get("/app/tokens")
	a.expect(t, "token shown", 200, "Your new token", "Reporting script", "data-copy", "Revoke")
	tok := regexp.MustCompile(`value="(lia_[A-Za-z0-9_-]+)"`).FindStringSubmatch(a.body)
	if tok == nil {
		t.Fatalf("no token on the page:\n%s", a.body)
	}
	// The token works against the API, and is never shown again.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok[1])
	v.do(req).expect(t, "API with the new token", 200, adminEmail)
	if b := v.get("/app/tokens").body; strings.Contains(b, tok[1]) || strings.Contains(b, "Your new token") {
		t.Fatal("the token was shown twice")
	}
	id := regexp.MustCompile(`/app/tokens/(tok_[A-Za-z0-9_-]+)/revoke`).FindStringSubmatch(a.body)
	if id == nil {
		t.Fatalf("no revoke form:\n%s", a.body)
	}
	v.post("/app/tokens/"+id[1]+"/revoke", nil).redirects(t, "revoke", "/app/tokens")
	v.get("/app/tokens").expect(t, "after revoke", 200, "Token revoked", "No tokens yet")
	v.post("/app/tokens/"+id[1]+"/revoke", nil).redirects(t, "revoke twice", "/app/tokens")
	v.get("/app/tokens").expect(t, "after revoking twice", 200, "already revoked")
}

func TestStaticFiles(t *testing.T) {
	_, v := loggedIn(t)
	page := v.get("/app").body
	m := regexp.MustCompile(`href="(/static/css/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no hashed stylesheet link:\n%s", page)
	}
	a := v.get(m[1])
	a.expect(t, "stylesheet", 200, "--primary: #2563eb")
	if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Fatalf("Cache-Control %q", cc)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := v.get("/static/css/app.css").header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Fatalf("an unversioned URL is cached for good: %q", cc)
	}
	for _, js := range []string{"confirm", "forms", "copy", "time", "keys", "list"} {
		v.get("/static/js/"+js+".js").expect(t, js, 200, "use strict")
	}
	v.get("/static/nope.css").expect(t, "missing asset", 404)
	v.get("/static/").expect(t, "static dir", 404)
	for _, s := range []string{"<script>", "style=", "onclick", "http://", "https://"} {
		if strings.Contains(page, s) {
			t.Fatalf("the page holds %q, which the CSP or the no-external-resources rule forbids", s)
		}
	}
}

func TestOutboxAndPasswordReset(t *testing.T) {
	s, admin := loggedIn(t)
	admin.get("/operator/outbox").expect(t, "empty outbox", 200, "Outbox", "No e-mails yet")

	anon := newVisitor(t, s)
	anon.get("/forgot").expect(t, "forgot form", 200, "Reset your password")
	anon.post("/forgot", url.Values{"email": {"nobody@example.com"}}).redirects(t, "forgot unknown", "/forgot")
	anon.get("/forgot").expect(t, "forgot notice", 200, "If an account exists for that address")
	anon.post("/forgot", url.Values{"email": {adminEmail}}).redirects(t, "forgot known", "/forgot")
	anon.get("/forgot").expect(t, "same notice", 200, "If an account exists for that address")
	anon.post("/forgot", url.Values{"email": {"nope"}}).expect(t, "forgot bad address", 400, "Enter an e-mail address like")
	anon.get("/operator/outbox").expect(t, "outbox, anonymous", 404, "Page not found")

	list := admin.get("/operator/outbox")
	list.expect(t, "outbox", 200, adminEmail, "Reset your Liaison password")
	id := regexp.MustCompile(`/operator/outbox/(mail_[A-Za-z0-9_-]+)`).FindStringSubmatch(list.body)
	if id == nil {
		t.Fatalf("no message link:\n%s", list.body)
	}
	msg := admin.get("/operator/outbox/" + id[1])
	msg.expect(t, "message", 200, "<iframe", "sandbox", `src="/operator/outbox/`+id[1]+`/html"`, "<pre", "/reset/")
	frame := admin.get("/operator/outbox/" + id[1] + "/html")
	frame.expect(t, "message html", 200, "/reset/")
	if csp := frame.header.Get("Content-Security-Policy"); csp != "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'" {
		t.Fatalf("message html CSP %q", csp)
	}
	if n := len(frame.header.Values("Content-Security-Policy")); n != 1 {
		t.Fatalf("%d CSP headers", n)
	}
	if xfo := frame.header.Get("X-Frame-Options"); xfo == "DENY" {
		t.Fatalf("X-Frame-Options %q blocks the frame", xfo)
	}
	if csp := msg.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("the page itself lost its CSP: %q", csp)
	}
	admin.get("/operator/outbox/mail_doesnotexist").expect(t, "missing message", 404, "Page not found")
	admin.get("/operator/outbox?cursor=garbage").redirects(t, "bad cursor", "/operator/outbox")

	// The reset link from the e-mail.
	tok := regexp.MustCompile(`/reset/([A-Za-z0-9_-]+)`).FindStringSubmatch(html.UnescapeString(msg.body))
	if tok == nil {
		t.Fatalf("no reset link in the message:\n%s", msg.body)
	}
	path := "/reset/" + tok[1]
	anon.get(path).expect(t, "reset form", 200, "Choose a new password", `action="`+path+`"`)
	anon.post(path, url.Values{"password": {"short"}}).expect(t, "short new password", 400, "at least 10 characters")
	anon.post(path, url.Values{"password": {"a brand new passphrase"}}).redirects(t, "reset", "/app")
	anon.get("/app").expect(t, "logged in after reset", 200, "Your password is changed", "Ada Lovelace")
	anon.post(path, url.Values{"password": {"another new passphrase"}}).expect(t, "reset twice", 410, "This link no longer works", `href="/forgot"`)
	// A used link says so as soon as it is opened, before any typing.
	anon.get(path).expect(t, "used link opened", 410, "This link no longer works")
	anon.get("/reset/nonsense").expect(t, "unknown link opened", 410, "This link no longer works")
	admin.get("/app").redirects(t, "old session after reset", "/login")
}

func TestSignupAndOperatorIsHidden(t *testing.T) {
	s, _ := loggedIn(t)
	v := newVisitor(t, s)
	v.get("/signup").expect(t, "signup form", 200, "Create your account", `value="agency"`, `value="client"`)
	form := url.Values{"name": {"Grace Hopper"}, "email": {adminEmail}, "password": {"compilers are fun"},
		"account_name": {"Navy Client"}, "account_kind": {"client"}}
	a := v.post("/signup", form)
	a.expect(t, "signup with a taken address", 409, "already exists", `value="Grace Hopper"`, `value="Navy Client"`)
	if !regexp.MustCompile(`value="client" checked`).MatchString(a.body) {
		t.Fatalf("the chosen kind was not kept:\n%s", a.body)
	}
	if !strings.Contains(a.body, `id="f-email-error"`) {
		t.Fatalf("the error is not next to the e-mail field:\n%s", a.body)
	}
	form.Set("email", "grace@example.com")
	v.post("/signup", form).redirects(t, "signup", "/app")
	home := v.get("/app")
	home.expect(t, "client portal", 200, "Navy Client", "Your portal", "Welcome, Grace Hopper")
	if strings.Contains(home.body, `href="/app/clients"`) || strings.Contains(home.body, "/operator/outbox") {
		t.Fatalf("a client user sees agency navigation or the outbox:\n%s", home.body)
	}
	v.get("/app/clients").expect(t, "agency section in a portal", 404, "Page not found")
	for _, p := range []string{"/operator/outbox", "/operator/outbox/mail_x", "/operator/outbox/mail_x/html"} {
		a := v.get(p)
		a.expect(t, p+" for a non-operator", 404, "Page not found")
		if strings.Contains(a.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatal("the 404 carries the mail CSP")
		}
	}
	v.get("/signup").redirects(t, "signup when logged in", "/app")

	// Grace's address is unconfirmed until she follows the e-mailed link:
	// the profile says so and offers a new link; the link's page asks
	// before it confirms (a GET changes nothing), and works once.
	v.get("/app/profile").expect(t, "unconfirmed profile", 200, "Confirm your e-mail address", "Send a new link")
	v.post("/app/profile/verification", url.Values{}).redirects(t, "new link", "/app/profile")
	link := s.MailLink(t, "email_verify", "grace@example.com", "/verify/")
	path := strings.TrimPrefix(link, s.URL)
	anon := newVisitor(t, s)
	anon.get(path).expect(t, "confirmation page", 200, "Confirm my address", "grace@example.com")
	v.get("/app/profile").expect(t, "a GET confirmed nothing", 200, "Send a new link")
	anon.post(path, url.Values{}).expect(t, "confirm", 200, "Your address is confirmed")
	if a := v.get("/app/profile"); strings.Contains(a.body, "Send a new link") {
		t.Fatalf("the profile still asks to confirm:\n%s", a.body)
	}
	anon.get(path).expect(t, "used link", 410, "no longer works")
	anon.post(path, url.Values{}).expect(t, "used link again", 410, "no longer works")
}

func TestSignupClosed(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Env: map[string]string{"LIAISON_OPEN_SIGNUP": "false"}})
	v := newVisitor(t, s)
	v.post("/setup", setupForm()).redirects(t, "setup", "/app")
	anon := newVisitor(t, s)
	anon.get("/signup").expect(t, "closed signup", 403, "Sign-up is closed", "invitation")
	anon.post("/signup", url.Values{"name": {"X"}}).expect(t, "closed signup post", 403, "Sign-up is closed")
	if strings.Contains(anon.get("/login").body, `href="/signup"`) {
		t.Fatal("the login page offers a closed sign-up")
	}
}
