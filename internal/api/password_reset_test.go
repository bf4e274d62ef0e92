package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// An agency-triggered password reset for a client user (SPEC §10; seed
// 002 "Resetting passwords"): sent in the agency's brand, the old password
// working until the link is used, audited on both sides, limited per
// address, refused during Login As and to those who do not manage users.
func TestAgencyPasswordReset(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		_, bossID, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{"portal_name": "Ada Insights"})
		p := "/api/v1/accounts/" + acme + "/users/" + bossID + "/password-reset"
		w.member.Must(t, 403, "POST", p, nil)
		w.otherAd.Must(t, 404, "POST", p, nil)
		wantError(t, w.admin.Do(t, "POST", "/api/v1/accounts/"+acme+"/users/"+w.memberID+"/password-reset", nil), 404, "user_not_found", "")
		w.admin.Must(t, 202, "POST", p, nil)
		msgs, _, err := w.s.Mailer.List(t.Context(), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if m := msgs[0]; m.Template != "password_reset" || m.To != "boss@acme.example" ||
			!strings.Contains(m.Subject, "Ada Insights") || !strings.Contains(m.Text, "Ada Admin at Ada Insights sent you this link") {
			t.Fatalf("e-mail: %s %s %q\n%s", m.Template, m.To, m.Subject, m.Text)
		}
		// The old password still works; the link sets a new one.
		w.s.Login(t, "boss@acme.example", testkit.Password)
		link := w.s.MailLink(t, "password_reset", "boss@acme.example", "/reset/")
		token := link[strings.LastIndex(link, "/")+1:]
		w.s.NewClient().Must(t, 200, "POST", "/api/v1/password/reset", map[string]any{"token": token, "password": "a brand new passphrase 42"})
		w.s.Login(t, "boss@acme.example", "a brand new passphrase 42")
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "user.password_reset_sent"); n != 1 {
				t.Errorf("%d user.password_reset_sent entries on %s", n, acc)
			}
		}
		// A co-branded client's user gets it under the client's own name
		// (issue 24).
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+acme+"/branding", map[string]any{"portal_name": "Acme Hub"})
		w.admin.Must(t, 202, "POST", p, nil)
		if msgs, _, err = w.s.Mailer.List(t.Context(), 10, ""); err != nil {
			t.Fatal(err)
		}
		if m := msgs[0]; m.Template != "password_reset" || !strings.Contains(m.Subject, "Acme Hub") || strings.Contains(m.Subject, "Ada Insights") {
			t.Fatalf("co-branded e-mail: %q\n%s", m.Subject, m.Text)
		}
		// Five an hour per address, shared with "forgot password".
		for range 3 {
			w.admin.Must(t, 202, "POST", p, nil)
		}
		wantError(t, w.admin.Do(t, "POST", p, nil), 429, "", "")
		// During Login As: refused.
		w.admin.Must(t, 200, "POST", w.clientPath(acme)+"/impersonate", nil)
		wantError(t, w.admin.Do(t, "POST", "/api/v1/accounts/"+acme+"/users/"+bossID+"/password-reset", nil), 403, "impersonation_forbidden", "")
	})
}
