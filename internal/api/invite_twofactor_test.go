package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A new person who accepts an invitation into an account that requires
// two-factor sign-in (issue 21) is signed in as a login would sign them
// in: the acceptance is made (invitation, user, membership, audit) but
// answers 202 with a totp_setup challenge and no session; the login's
// second step sets it up and opens the session in the account joined. The
// login counts once, when the session opens.
func TestInviteAcceptRequiresTwoFactor(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, true)
		s := w.s
		logins := func(clientID, email string) int {
			return count(t, s, `SELECT COUNT(*) FROM activity_events a JOIN users u ON u.id = a.user_id
				WHERE a.client_id = ? AND u.email = ? AND a.kind = 'login'`, clientID, email)
		}
		// accept2FA accepts as a new person, expects the challenge, checks
		// that nothing opens with what came back, then sets two-factor
		// sign-in up and answers the client now signed in.
		accept2FA := func(token, email, accountID string) *testkit.APIClient {
			t.Helper()
			audits := clAudits(t, s, accountID, "invitation.accept")
			c := s.NewClient()
			r := c.Do(t, "POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Road Runner", "password": testkit.Password})
			ch, _ := r.Body["second_factor"].(map[string]any)
			if r.Status != http.StatusAccepted || ch["method"] != "totp_setup" || ch["challenge"] == "" || ch["challenge"] == nil {
				t.Fatalf("accept: %d %s", r.Status, r.Raw)
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Fatalf("a challenge set a cookie: %s", r.Header.Get("Set-Cookie"))
			}
			if r.Body["account"].(map[string]any)["id"] != accountID || r.Body["user"].(map[string]any)["email"] != email {
				t.Fatalf("accept body: %s", r.Raw)
			}
			// No session: not with the jar, not with the challenge as a
			// cookie or a bearer token.
			wantError(t, c.Do(t, "GET", "/api/v1/me", nil), 401, "", "")
			forged := s.NewClient()
			forged.Header.Set("Cookie", "liaison_session="+ch["challenge"].(string))
			wantError(t, forged.Do(t, "GET", "/api/v1/me", nil), 401, "", "")
			wantError(t, (&testkit.APIClient{S: s, HTTP: s.Client(), Bearer: ch["challenge"].(string), Header: http.Header{}}).
				Do(t, "GET", "/api/v1/me", nil), 401, "", "")
			if n := count(t, s, `SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ?`, email); n != 0 {
				t.Fatalf("%d sessions before the second factor", n)
			}
			// Yet the acceptance is made, in full: used, joined, audited.
			if n := count(t, s, `SELECT COUNT(*) FROM invitations i JOIN users u ON u.id = i.accepted_by
				JOIN memberships m ON m.user_id = u.id AND m.account_id = i.account_id
				WHERE u.email = ? AND i.account_id = ? AND i.status = 'accepted'`, email, accountID); n != 1 {
				t.Fatalf("acceptance made %d times", n)
			}
			if n := clAudits(t, s, accountID, "invitation.accept"); n != audits+1 {
				t.Errorf("%d invitation.accept entries, want %d", n, audits+1)
			}
			wantError(t, invAccept(t, s, token, "Mallory"), 410, "invitation_used", "")
			// The login's second step: set-up, then the code.
			secret := c.Must(t, 200, "POST", "/api/v1/login/second-factor/setup", map[string]any{"challenge": ch["challenge"]}).Body["secret"].(string)
			done := c.Must(t, 200, "POST", "/api/v1/login/second-factor", map[string]any{"challenge": ch["challenge"], "code": tfCode(t, s, secret, 0)})
			if !strings.Contains(done.Header.Get("Set-Cookie"), "liaison_session=") || len(done.Body["recovery_codes"].([]any)) != 10 {
				t.Fatalf("second factor: %s %v", done.Raw, done.Header)
			}
			me := c.Must(t, 200, "GET", "/api/v1/me", nil).Body
			if me["current_account_id"] != accountID {
				t.Fatalf("signed in elsewhere than the account joined: %v", me)
			}
			if st := c.Must(t, 200, "GET", "/api/v1/me/two-factor", nil).Body; st["enabled"] != true || st["required"] != true {
				t.Errorf("two-factor status: %v", st)
			}
			return c
		}

		// A client's admin requires it; a new person joins the client.
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		boss.Must(t, 200, "PUT", "/api/v1/accounts/"+acme+"/security", map[string]any{"require_2fa": true})
		boss.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "road@acme.example", "role": "member"})
		token := invToken(t, invMailURL(t, s, "road@acme.example"))
		before := logins(acme, "road@acme.example")
		if before != 0 {
			t.Fatalf("%d logins before", before)
		}
		accept2FA(token, "road@acme.example", acme)
		// Exactly one login: the second step's, not the acceptance's too.
		if n := logins(acme, "road@acme.example"); n != 1 {
			t.Errorf("%d logins recorded for the acceptance behind a challenge, want 1", n)
		}

		// A client without the requirement: 200 and a session at once, as
		// before, and one login.
		_, _, plain := w.clientUser(t, "Pat Plain", "pat@plain.example", "Plain")
		w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{"email": "kim@plain.example",
			"client_account_id": plain, "role": "member"})
		kim := s.NewClient()
		r := kim.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": invToken(t, invMailURL(t, s, "kim@plain.example")),
			"name": "Kim", "password": testkit.Password})
		if r.Body["second_factor"] != nil || !strings.Contains(r.Header.Get("Set-Cookie"), "liaison_session=") {
			t.Fatalf("accept without the requirement: %s %v", r.Raw, r.Header)
		}
		kim.Must(t, 200, "GET", "/api/v1/me", nil)
		if n := logins(plain, "kim@plain.example"); n != 1 {
			t.Errorf("%d logins recorded for a plain acceptance, want 1", n)
		}

		// The agency requires it of its staff; a new member joins.
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/settings", map[string]any{"require_2fa": true})
		w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/members", map[string]any{"email": "zed@example.com", "role": "viewer"})
		accept2FA(invToken(t, invMailURL(t, s, "zed@example.com")), "zed@example.com", w.agency)
	})
}
