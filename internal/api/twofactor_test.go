package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/totp"
)

// Two-factor sign-in (issue 21). Codes are computed from the secret the
// set-up answers, at the server's (fake) time.

// tfCode is the code of a secret at the server's time, moved by d.
func tfCode(t *testing.T, s *testkit.Server, secret string, d time.Duration) string {
	t.Helper()
	c, err := totp.Code(secret, s.Now().Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tfEnable sets two-factor sign-in up for a logged-in client and answers
// the secret and the recovery codes.
func tfEnable(t *testing.T, s *testkit.Server, c *testkit.APIClient) (string, []string) {
	t.Helper()
	secret := c.Must(t, 200, "POST", "/api/v1/me/two-factor/setup", nil).Body["secret"].(string)
	r := c.Must(t, 200, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": tfCode(t, s, secret, 0)})
	var codes []string
	for _, v := range r.Body["recovery_codes"].([]any) {
		codes = append(codes, v.(string))
	}
	return secret, codes
}

// tfLogin answers the password step and returns the client and its
// challenge (status 202).
func tfLogin(t *testing.T, s *testkit.Server, email string) (*testkit.APIClient, map[string]any) {
	t.Helper()
	c := s.NewClient()
	r := c.Must(t, 202, "POST", "/api/v1/login", map[string]any{"email": email, "password": testkit.Password})
	if r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a challenge set a cookie: %s", r.Header.Get("Set-Cookie"))
	}
	return c, r.Body["second_factor"].(map[string]any)
}

func TestTwoFactorSignIn(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		sam, samID, _ := s.Signup(t, "Sam Staff", "sam@example.com", "Sam Co", "agency")

		st := sam.Must(t, 200, "GET", "/api/v1/me/two-factor", nil)
		if st.Body["enabled"] != false || st.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("status before: %s %v", st.Raw, st.Header)
		}
		// The set-up shows the same secret until confirmed, with a QR code.
		a := sam.Must(t, 200, "POST", "/api/v1/me/two-factor/setup", nil)
		b := sam.Must(t, 200, "POST", "/api/v1/me/two-factor/setup", nil)
		secret := a.Body["secret"].(string)
		if b.Body["secret"] != secret || !strings.HasPrefix(a.Body["otpauth_uri"].(string), "otpauth://totp/") || a.Body["qr_png"] == "" {
			t.Fatalf("setup: %s / %s", a.Raw, b.Raw)
		}
		wantError(t, sam.Do(t, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": "000000x"}), 400, "invalid_code", "code")
		// Still off: a password alone signs in.
		s.Login(t, "sam@example.com", testkit.Password)
		first := tfCode(t, s, secret, 0)
		r := sam.Must(t, 200, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": first})
		recovery := r.Body["recovery_codes"].([]any)
		if len(recovery) != 10 {
			t.Fatalf("recovery codes: %s", r.Raw)
		}
		wantError(t, sam.Do(t, "POST", "/api/v1/me/two-factor/setup", nil), 409, "two_factor_on", "")
		if st := sam.Must(t, 200, "GET", "/api/v1/me/two-factor", nil); st.Body["enabled"] != true || st.Body["recovery_codes_left"] != 10.0 {
			t.Fatalf("status after: %s", st.Raw)
		}

		// The password now leads to a challenge, which is no session.
		half, ch := tfLogin(t, s, "sam@example.com")
		if ch["method"] != "totp" || ch["challenge"] == "" {
			t.Fatalf("challenge: %v", ch)
		}
		wantError(t, half.Do(t, "GET", "/api/v1/me", nil), 401, "", "")
		answer := func(c *testkit.APIClient, ch map[string]any, code string) testkit.Response {
			return c.Do(t, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch["challenge"], "code": code})
		}
		// The code that confirmed the set-up was used: refused in its window.
		wantError(t, answer(half, ch, first), 400, "invalid_code", "code")
		s.Clock.Advance(totp.Period)
		next := tfCode(t, s, secret, 0)
		ok := answer(half, ch, next)
		if ok.Status != 200 || ok.Body["user"].(map[string]any)["id"] != samID || !strings.Contains(ok.Header.Get("Set-Cookie"), "liaison_session=") {
			t.Fatalf("second factor: %d %s", ok.Status, ok.Raw)
		}
		half.Must(t, 200, "GET", "/api/v1/me", nil)
		// The challenge is used up, and the code too.
		wantError(t, answer(half, ch, next), 401, "challenge_expired", "")
		c2, ch2 := tfLogin(t, s, "sam@example.com")
		wantError(t, answer(c2, ch2, next), 400, "invalid_code", "code")
		// A recovery code works once.
		rc := recovery[0].(string)
		c2.Must(t, 200, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch2["challenge"], "code": strings.ToUpper(rc)})
		c3, ch3 := tfLogin(t, s, "sam@example.com")
		wantError(t, answer(c3, ch3, rc), 400, "invalid_code", "code")
		if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'user.two_factor.recovery_code'`, samID); n != 1 {
			t.Errorf("%d recovery-code audit entries", n)
		}
		// A challenge lives ten minutes.
		s.Clock.Advance(11 * time.Minute)
		wantError(t, answer(c3, ch3, tfCode(t, s, secret, 0)), 401, "challenge_expired", "")

		// Codes are limited like passwords: ten tries in 15 minutes.
		c4, ch4 := tfLogin(t, s, "sam@example.com")
		limited := false
		for i := 0; i < 12 && !limited; i++ {
			limited = answer(c4, ch4, "123456").Status == 429
		}
		if !limited {
			t.Fatal("no rate limit on codes")
		}
		s.Clock.Advance(totp.Period)
		wantError(t, answer(c4, ch4, tfCode(t, s, secret, 0)), 429, "", "")
		s.Clock.Advance(16 * time.Minute)
		c5, ch5 := tfLogin(t, s, "sam@example.com")
		c5.Must(t, 200, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch5["challenge"], "code": tfCode(t, s, secret, 0)})

		// New recovery codes, on a code; the old ones stop working.
		s.Clock.Advance(totp.Period)
		nr := c5.Must(t, 200, "POST", "/api/v1/me/two-factor/recovery-codes", map[string]any{"code": tfCode(t, s, secret, 0)})
		if len(nr.Body["recovery_codes"].([]any)) != 10 || nr.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("new recovery codes: %s", nr.Raw)
		}
		c6, ch6 := tfLogin(t, s, "sam@example.com")
		wantError(t, answer(c6, ch6, recovery[1].(string)), 400, "invalid_code", "code")

		// Turning it off takes the password and a code.
		s.Clock.Advance(totp.Period)
		wantError(t, c5.Do(t, "POST", "/api/v1/me/two-factor/disable", map[string]any{"password": "wrong password here", "code": tfCode(t, s, secret, 0)}), 400, "invalid_password", "password")
		wantError(t, c5.Do(t, "POST", "/api/v1/me/two-factor/disable", map[string]any{"password": testkit.Password, "code": "999999"}), 400, "invalid_code", "code")
		c5.Must(t, 204, "POST", "/api/v1/me/two-factor/disable", map[string]any{"password": testkit.Password, "code": tfCode(t, s, secret, 0)})
		s.Login(t, "sam@example.com", testkit.Password)
		if n := count(t, s, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'two_factor_off' AND to_addr = 'sam@example.com'`); n != 1 {
			t.Errorf("%d two_factor_off e-mails", n)
		}
		for _, action := range []string{"user.two_factor.enable", "user.two_factor.disable"} {
			if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = ?`, samID, action); n != 1 {
				t.Errorf("%d %s entries", n, action)
			}
		}
	})
}

// A password reset proves the address, not the second factor.
func TestTwoFactorPasswordReset(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		sam, _, _ := s.Signup(t, "Sam Staff", "sam@example.com", "Sam Co", "agency")
		secret, _ := tfEnable(t, s, sam)
		s.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": "sam@example.com"})
		link := s.MailLink(t, "password_reset", "sam@example.com", "/reset/")
		c := s.NewClient()
		r := c.Must(t, 202, "POST", "/api/v1/password/reset", map[string]any{"token": link[strings.LastIndex(link, "/")+1:], "password": "a brand new passphrase 42"})
		ch := r.Body["second_factor"].(map[string]any)
		wantError(t, c.Do(t, "GET", "/api/v1/me", nil), 401, "", "")
		s.Clock.Advance(totp.Period)
		c.Must(t, 200, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch["challenge"], "code": tfCode(t, s, secret, 0)})
		c.Must(t, 200, "GET", "/api/v1/me", nil)
	})
}

// An agency requires it of its staff; a client of its users; an agency
// admin resets a member's; Login As can require it.
func TestTwoFactorRequiredAndReset(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		settings := "/api/v1/agencies/" + w.agency + "/settings"
		w.member.Must(t, 403, "PUT", settings, map[string]any{"require_2fa": true})
		r := w.admin.Must(t, 200, "PUT", settings, map[string]any{"require_2fa": true})
		if r.Body["require_2fa"] != true || r.Body["require_2fa_login_as"] != false {
			t.Fatalf("settings: %s", r.Raw)
		}
		if clAudits(t, w.s, w.agency, "settings.update") == 0 {
			t.Error("no settings.update audit entry")
		}
		// Staff without it set it up at their next sign-in, and nothing
		// else opens until then.
		c, ch := tfLogin(t, w.s, "staff2@example.com") // Max Member
		if ch["method"] != "totp_setup" {
			t.Fatalf("challenge: %v", ch)
		}
		wantError(t, c.Do(t, "GET", "/api/v1/me", nil), 401, "", "")
		wantError(t, c.Do(t, "POST", "/api/v1/login/second-factor/setup", map[string]any{"challenge": "nope"}), 401, "challenge_expired", "")
		setup := c.Must(t, 200, "POST", "/api/v1/login/second-factor/setup", map[string]any{"challenge": ch["challenge"]})
		secret := setup.Body["secret"].(string)
		r = c.Must(t, 200, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch["challenge"], "code": tfCode(t, w.s, secret, 0)})
		if len(r.Body["recovery_codes"].([]any)) != 10 {
			t.Fatalf("no recovery codes after a set-up at sign-in: %s", r.Raw)
		}
		c.Must(t, 200, "GET", "/api/v1/me", nil)
		// Required: it stays on.
		wantError(t, c.Do(t, "POST", "/api/v1/me/two-factor/disable", map[string]any{"password": testkit.Password, "code": tfCode(t, w.s, secret, time.Minute)}), 409, "two_factor_required", "")
		members := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/members", nil)
		if !strings.Contains(string(members.Raw), `"two_factor":true`) {
			t.Errorf("members: %s", members.Raw)
		}

		// The reset: admins only, of their own agency's members, not their own.
		reset := "/api/v1/agencies/" + w.agency + "/members/" + w.memberID + "/two-factor/reset"
		w.viewer.Must(t, 403, "POST", reset, nil)
		w.otherAd.Must(t, 404, "POST", reset, nil)
		wantError(t, w.admin.Do(t, "POST", "/api/v1/agencies/"+w.agency+"/members/"+w.adminID+"/two-factor/reset", nil), 409, "own_two_factor", "")
		w.admin.Must(t, 204, "POST", reset, nil)
		wantError(t, w.admin.Do(t, "POST", reset, nil), 409, "two_factor_off", "")
		if n := clAudits(t, w.s, w.agency, "member.two_factor.reset"); n != 1 {
			t.Errorf("%d member.two_factor.reset entries", n)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'two_factor_off' AND to_addr = 'staff2@example.com'`); n != 1 {
			t.Errorf("%d reset e-mails", n)
		}
		// Still required: the next sign-in walks them through a new set-up.
		if _, ch := tfLogin(t, w.s, "staff2@example.com"); ch["method"] != "totp_setup" {
			t.Fatalf("after reset: %v", ch)
		}

		// A client admin requires it of the client's users.
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		r = boss.Must(t, 200, "PUT", "/api/v1/accounts/"+acme+"/security", map[string]any{"require_2fa": true})
		if r.Body["require_2fa"] != true || r.Body["allow_impersonation"] != true {
			t.Fatalf("security: %s", r.Raw)
		}
		if _, ch := tfLogin(t, w.s, "boss@acme.example"); ch["method"] != "totp_setup" {
			t.Fatalf("client user: %v", ch)
		}
		if n := clAudits(t, w.s, acme, "client.security.update"); n != 1 {
			t.Errorf("%d client.security.update entries", n)
		}

		// Login As can require it of whoever starts it.
		w.admin.Must(t, 200, "PUT", settings, map[string]any{"require_2fa": false, "require_2fa_login_as": true})
		wantError(t, w.admin.Do(t, "POST", w.clientPath(acme)+"/impersonate", nil), 403, "two_factor_required", "")
		tfEnable(t, w.s, w.admin)
		w.admin.Must(t, 200, "POST", w.clientPath(acme)+"/impersonate", nil)
		// Nobody sets up two-factor sign-in as the client.
		wantError(t, w.admin.Do(t, "POST", "/api/v1/me/two-factor/setup", nil), 403, "impersonation_forbidden", "")
	})
}
