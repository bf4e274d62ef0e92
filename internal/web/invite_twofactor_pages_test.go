package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/totp"
)

// TestInviteTwoFactorPages: a new person who accepts an invitation into a
// client that requires two-factor sign-in (issue 21) is sent to the
// login's set-up step, as the login form sends them, in the agency's
// brand, with nothing open until it is done; the set-up ends in the portal
// of the client joined, with one login recorded.
func TestInviteTwoFactorPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		_, _, agencyID := s.Signup(t, "Ada Lovelace", "ada@example.com", "Analytical Agency", "agency")
		boss, _, acme := s.Signup(t, "Wile Boss", "boss@acme.example", "Acme", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: acme, AccessAll: true})
		boss.Must(t, 200, "PUT", "/api/v1/accounts/"+acme+"/security", map[string]any{"require_2fa": true})
		boss.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "road@acme.example", "role": "member"})
		link := outboxLink(t, s, "road@acme.example")
		token := link[strings.LastIndex(link, "/")+1:]

		road := newVisitor(t, s)
		road.get("/invite/"+token).expect(t, "landing", 200, "Choose a password", "· Analytical Agency</title>")
		road.post("/invite/"+token, url.Values{"name": {"Road Runner"}, "password": {testkit.Password}}).
			redirects(t, "accept", "/login/setup")
		road.get("/app").redirects(t, "half signed in", "/login")
		var logins int
		countLogins := func() int {
			t.Helper()
			if err := s.DB.Get(t.Context(), &logins, `SELECT COUNT(*) FROM activity_events a JOIN users u ON u.id = a.user_id
				WHERE a.client_id = ? AND u.email = 'road@acme.example' AND a.kind = 'login'`, acme); err != nil {
				t.Fatal(err)
			}
			return logins
		}
		if n := countLogins(); n != 0 {
			t.Fatalf("%d logins before the second factor", n)
		}
		page := road.get("/login/setup")
		// In the brand the invitation wore (and the portal will), not
		// Liaison's: the authenticator app names the agency too.
		page.expect(t, "set-up", 200, "Welcome to Acme", "requires two-factor sign-in", `id="totp-secret"`,
			"Set up two-factor sign-in · Analytical Agency</title>")
		secret := strings.ReplaceAll(page.find(t, "secret", `id="totp-secret">([^<]+)<`), " ", "")
		code, err := totp.Code(secret, s.Now())
		if err != nil {
			t.Fatal(err)
		}
		road.post("/login/setup", url.Values{"code": {code}}).expect(t, "recovery codes", 200, `href="/app"`)
		road.get("/app").expect(t, "portal", 200, "Acme")
		var me struct {
			Current string `json:"current_account_id"`
		}
		if err := json.Unmarshal([]byte(road.get("/api/v1/me").body), &me); err != nil || me.Current != acme {
			t.Fatalf("signed in to %q, want the client joined %q (%v)", me.Current, acme, err)
		}
		if n := countLogins(); n != 1 {
			t.Errorf("%d logins recorded, want 1", n)
		}
	})
}
