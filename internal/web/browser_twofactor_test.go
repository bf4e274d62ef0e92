package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/totp"
)

// TestBrowserTwoFactor sets two-factor sign-in up from the profile by
// scanning nothing: the test reads the key the page shows, computes the
// code at the server's (fake) time and types it; then it signs out and in
// with a code, with a wrong one first, and with a recovery code. An admin
// then requires it of the staff, and a member is walked through the set-up
// at sign-in, and a new member through it on accepting their invitation.
// Every page is checked by axe-core (open, submit).
func TestBrowserTwoFactor(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{FakeClock: true})
	adaAPI, _, agencyID := s.Signup(t, "Ada Lovelace", "ada@example.com", "Analytical Agency", "agency")
	_, samID, _ := s.Signup(t, "Sam Staff", "sam@example.com", "Sam Own", "client")
	s.AddMember(t, agencyID, samID, "member")
	b := newTab(t, s.URL)
	code := func() string {
		t.Helper()
		secret := strings.ReplaceAll(b.text("#totp-secret"), " ", "")
		c, err := totp.Code(secret, s.Now())
		if err != nil {
			t.Fatalf("the page's key %q: %v", secret, err)
		}
		return c
	}
	login := func(email, want string) {
		t.Helper()
		b.open("/login")
		b.fill(map[string]string{"f-email": email, "f-password": testkit.Password})
		b.expectPath("log in "+email, b.submit("log in", "main form button[type=submit]"), want)
	}

	login("ada@example.com", "/app")
	b.open("/app/profile")
	if s := b.text("#two-factor"); !strings.Contains(s, "Off") {
		t.Fatalf("profile before: %q", s)
	}
	b.expectPath("set up", b.submit("set up", `#two-factor a[href="/app/profile/two-factor"]`), "/app/profile/two-factor")
	b.shoot("/two-factor-setup")
	secret := strings.ReplaceAll(b.text("#totp-secret"), " ", "")
	b.fill(map[string]string{"f-code": code()})
	b.submit("confirm", "main form button[type=submit]")
	b.shoot("/two-factor-codes")
	codes := strings.Fields(b.text(".recovery-codes"))
	if len(codes) != 10 || !strings.Contains(b.text("main"), "only time") {
		t.Fatalf("recovery codes: %q", b.text("main"))
	}
	b.expectPath("continue", b.submit("continue", "main a.btn-primary"), "/app/profile")
	if s := b.text("#two-factor"); !strings.Contains(s, "On") || !strings.Contains(s, "10 recovery codes left") {
		t.Fatalf("profile after: %q", s)
	}
	b.logout()

	// Signing in asks for the code; the code of the set-up's step is used.
	s.Clock.Advance(totp.Period)
	login("ada@example.com", "/login/code")
	b.fill(map[string]string{"f-code": "000000"})
	b.submit("wrong code", "main form button[type=submit]")
	b.noProblems("wrong code", 400)
	if s := b.text("#f-code-error"); !strings.Contains(s, "not right") {
		t.Fatalf("error beside the code: %q", s)
	}
	c, _ := totp.Code(secret, s.Now())
	b.fill(map[string]string{"f-code": c})
	b.expectPath("code", b.submit("code", "main form button[type=submit]"), "/app")
	b.logout()
	// A recovery code instead.
	login("ada@example.com", "/login/code")
	b.fill(map[string]string{"f-code": codes[0]})
	b.expectPath("recovery code", b.submit("recovery code", "main form button[type=submit]"), "/app")

	// The admin requires it of the staff (settings), and sees who has it.
	b.open("/app/settings")
	b.do("require", chromedp.Click(chromedp.ID("f-require_2fa")))
	b.expectPath("save", b.submit("save", `form[action="/app/settings/two-factor"] button`), "/app/settings")
	if s := b.text("main"); !strings.Contains(s, "now sign in with a second factor") {
		t.Fatalf("settings: %q", s)
	}
	b.open("/app/members")
	b.logout()

	// Sam has none: the sign-in walks him through it before anything else.
	login("sam@example.com", "/login/setup")
	b.shoot("/login-setup")
	if st := b.open("/app"); st != 200 || b.path() != "/login" {
		t.Fatalf("half signed in, /app answered %d at %s", st, b.path())
	}
	login("sam@example.com", "/login/setup")
	b.fill(map[string]string{"f-code": code()})
	b.submit("set up at sign-in", "main form button[type=submit]")
	if n := len(strings.Fields(b.text(".recovery-codes"))); n != 10 {
		t.Fatalf("%d recovery codes at sign-in", n)
	}
	b.expectPath("continue", b.submit("continue", "main a.btn-primary"), "/app")

	// Zoe, invited now, is walked through it by accepting: no page opens
	// before the set-up, which ends in the agency's app.
	adaAPI.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/members", map[string]any{"email": "zoe@example.com", "role": "viewer"})
	link := s.MailLink(t, "invitation", "zoe@example.com", "/invite/")
	b.logout()
	b.open(strings.TrimPrefix(link, s.URL))
	b.fill(map[string]string{"f-name": "Zoe Viewer", "f-password": testkit.Password})
	b.expectPath("accept", b.submit("accept", "main form button[type=submit]"), "/login/setup")
	b.fill(map[string]string{"f-code": code()})
	b.submit("set up after accepting", "main form button[type=submit]")
	if n := len(strings.Fields(b.text(".recovery-codes"))); n != 10 {
		t.Fatalf("%d recovery codes after accepting", n)
	}
	b.expectPath("continue", b.submit("continue", "main a.btn-primary"), "/app")
	if s := b.text(".usermenu"); !strings.Contains(s, "Zoe") {
		t.Fatalf("signed in as %q, want Zoe", s)
	}
	b.noProblems("two-factor", 0)
}
