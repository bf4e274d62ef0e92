package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/totp"
)

// The two-factor pages (issue 21) on both engines: the code step, turning
// it off from the profile, an admin's reset from the members page, and the
// agency's and the client's require switches.
func TestTwoFactorPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		_, _, agencyID := s.Signup(t, "Ada Lovelace", "ada@example.com", "Analytical Agency", "agency")
		samAPI, samID, _ := s.Signup(t, "Sam Staff", "sam@example.com", "Sam Own", "client")
		s.AddMember(t, agencyID, samID, "member")
		enable := func() string {
			secret := samAPI.Must(t, 200, "POST", "/api/v1/me/two-factor/setup", nil).Body["secret"].(string)
			c, _ := totp.Code(secret, s.Now())
			samAPI.Must(t, 200, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": c})
			s.Clock.Advance(totp.Period)
			return secret
		}
		enable()
		ada := loginAs(t, s, "ada@example.com", testkit.Password)
		ada.get("/app/members").expect(t, "members", 200, "/app/members/"+samID+"/two-factor/reset", "2FA")
		ada.post("/app/members/"+samID+"/two-factor/reset", url.Values{}).redirects(t, "reset", "/app/members")
		ada.post("/app/members/"+samID+"/two-factor/reset", url.Values{}).redirects(t, "reset again", "/app/members")
		ada.get("/app/members").expect(t, "refused reset", 200, "has no two-factor sign-in to reset")
		var mails int
		if err := s.DB.Get(t.Context(), &mails, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'two_factor_off' AND to_addr = 'sam@example.com'`); err != nil || mails != 1 {
			t.Fatalf("%d reset e-mails, %v", mails, err)
		}

		// Who may: the reset and the switches are the agency admins'; the
		// other agency finds no such member; nobody half signed in or
		// signed out reaches the profile's forms.
		_, _, otherID := s.Signup(t, "Olga Other", "olga@other.example", "Other Agency", "agency")
		olga := loginAs(t, s, "olga@other.example", testkit.Password)
		if a := olga.post("/app/members/"+samID+"/two-factor/reset", url.Values{}); a.status != 404 {
			t.Fatalf("another agency's admin: %d", a.status)
		}
		_ = otherID
		nobody := newVisitor(t, s)
		nobody.get("/login/code").redirects(t, "no challenge", "/login")
		nobody.get("/login/setup").redirects(t, "no challenge (set-up)", "/login")
		nobody.post("/login/code", url.Values{"code": {"123456"}}).redirects(t, "no challenge (post)", "/login")
		for _, p := range []string{"/app/profile/two-factor", "/app/profile/two-factor/disable", "/app/settings/two-factor"} {
			if a := nobody.post(p, url.Values{}); a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/login") {
				t.Fatalf("POST %s signed out: %d %s", p, a.status, a.header.Get("Location"))
			}
		}

		// The code step of the pages.
		secret := enable()
		sam := newVisitor(t, s)
		sam.post("/login", url.Values{"email": {"sam@example.com"}, "password": {testkit.Password}, "next": {"/app/profile"}}).
			redirects(t, "password", "/login/code?next=%2Fapp%2Fprofile")
		sam.get("/app").redirects(t, "half signed in", "/login")
		sam.get("/login/code").expect(t, "code page", 200, "Enter your code", `autocomplete="one-time-code"`)
		sam.post("/login/code", url.Values{"code": {"12"}, "next": {"/app/profile"}}).expect(t, "bad code", 400, `id="f-code-error"`)
		c, _ := totp.Code(secret, s.Now())
		sam.post("/login/code", url.Values{"code": {c}, "next": {"/app/profile"}}).redirects(t, "code", "/app/profile")
		sam.get("/app/profile").expect(t, "profile", 200, "Two-factor sign-in", "Turn off two-factor sign-in")
		sam.post("/app/profile/two-factor/recovery-codes", url.Values{"new_codes_code": {"000000"}}).
			expect(t, "new codes, wrong code", 400, `id="f-new_codes_code-error"`)
		if a := sam.post("/app/settings/two-factor", url.Values{"require_2fa": {"on"}}); a.status != 403 && a.status != 404 {
			t.Fatalf("a member changes the two-factor settings: %d %s", a.status, a.header.Get("Location"))
		}
		sam.post("/app/profile/two-factor/disable", url.Values{"tf_password": {"not my password"}, "code": {c}}).
			expect(t, "wrong password", 400, `id="f-tf_password-error"`)
		s.Clock.Advance(totp.Period)
		c, _ = totp.Code(secret, s.Now())
		sam.post("/app/profile/two-factor/disable", url.Values{"tf_password": {testkit.Password}, "code": {c}}).redirects(t, "disable", "/app/profile")
		if a := sam.get("/app/profile/two-factor"); a.status != 200 || a.header.Get("Cache-Control") != "no-store" || !strings.Contains(a.body, `id="totp-secret"`) {
			t.Fatalf("set-up page: %d %v", a.status, a.header)
		}

		// The agency requires it of its staff.
		ada.post("/app/settings/two-factor", url.Values{"require_2fa": {"on"}}).redirects(t, "require", "/app/settings#two-factor")
		ada.get("/app/settings").expect(t, "settings", 200, `name="require_2fa" id="f-require_2fa" checked`)
		newVisitor(t, s).post("/login", url.Values{"email": {"sam@example.com"}, "password": {testkit.Password}}).
			redirects(t, "required", "/login/setup")

		// A client's admin requires it of the client's users.
		s.Signup(t, "Wile Boss", "boss@acme.example", "Acme", "client")
		boss := loginAs(t, s, "boss@acme.example", testkit.Password)
		boss.get("/app/security").expect(t, "security", 200, "Require two-factor sign-in of our users")
		boss.post("/app/security", url.Values{"require_2fa": {"on"}, "allow_impersonation": {"on"}}).redirects(t, "client requires", "/app/security")
		boss.get("/app/security").expect(t, "security after", 200, `name="require_2fa" id="require_2fa" checked`, `name="allow_impersonation" id="allow_impersonation" checked`)
		newVisitor(t, s).post("/login", url.Values{"email": {"boss@acme.example"}, "password": {testkit.Password}}).
			redirects(t, "client user", "/login/setup")
	})
}
