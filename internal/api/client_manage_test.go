package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func (w *clWorld) clientPath(clientID string) string {
	return "/api/v1/agencies/" + w.agency + "/clients/" + clientID
}

// clEvent returns the newest audit event of the account with the action, as
// the agency admin reads it through the API.
func clEvent(t *testing.T, c *testkit.APIClient, accountID, action string) map[string]any {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/accounts/"+accountID+"/audit?action="+action, nil)
	evs := r.Body["events"].([]any)
	if len(evs) == 0 {
		t.Fatalf("no %s event on %s", action, accountID)
	}
	return evs[0].(map[string]any)
}

func TestClientDetailAndUpdate(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		boss, bossID, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		_, runnerID, _ := w.s.Signup(t, "Road Runner", "runner@acme.example", "Runner Own", "client")
		w.s.AddMember(t, acme, runnerID, "member")
		brand := w.s.AddBrand(t, w.agency, "Nike")
		p := w.clientPath(acme)
		w.admin.Must(t, 204, "PUT", p+"/brands/"+brand, nil)

		d := w.admin.Must(t, 200, "GET", p, nil).Body
		if d["id"] != acme || d["name"] != "Acme" || d["status"] != "active" || d["email"] != "boss@acme.example" ||
			d["seats"] != 0.0 || d["users_count"] != 2.0 || d["pending_invitations"] != 0.0 || d["enabled"] != true ||
			d["revoked_at"] != nil || d["last_active_at"] == nil || len(d["account_managers"].([]any)) != 0 {
			t.Fatalf("detail: %v", d)
		}
		if _, err := time.Parse(time.RFC3339, d["created_at"].(string)); err != nil {
			t.Errorf("created_at %v", d["created_at"])
		}
		perms := d["permissions"].(map[string]any)
		if perms["can_export"] != true || perms["manage_billing"] != false || perms["reports"] != true || perms["users"] != true {
			t.Errorf("default permissions: %v", perms)
		}
		users := d["users"].([]any)
		if len(users) != 2 || users[0].(map[string]any)["id"] != bossID || users[0].(map[string]any)["role"] != "admin" ||
			users[1].(map[string]any)["role"] != "member" || users[1].(map[string]any)["status"] != "active" {
			t.Errorf("users: %v", users)
		}
		if b := d["brands"].([]any); len(b) != 1 || b[0].(map[string]any)["id"] != brand {
			t.Errorf("brands: %v", b)
		}
		// Everyone who sees the client reads it; the client's own admin and
		// another agency do not see it here.
		w.viewer.Must(t, 200, "GET", p, nil)
		boss.Must(t, 404, "GET", p, nil)
		w.otherAd.Must(t, 404, "GET", p, nil)
		w.member.Must(t, 403, "PATCH", p, map[string]any{"seats": 3})
		w.viewer.Must(t, 403, "PATCH", p, map[string]any{"seats": 3})

		unchanged := func(why string) {
			t.Helper()
			d := w.admin.Must(t, 200, "GET", p, nil).Body
			if d["seats"] != 0.0 || len(d["account_managers"].([]any)) != 0 || d["permissions"].(map[string]any)["can_export"] != true {
				t.Fatalf("%s changed the client: %v", why, d)
			}
			if n := clAudits(t, w.s, acme, "client.update"); n != 0 {
				t.Fatalf("%s wrote %d audit entries", why, n)
			}
		}
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"seats": 1}), 422, "seats_below_usage", "")
		unchanged("seats below usage")
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"seats": -1}), 400, "invalid_seats", "seats")
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"seats": 5, "permissions": map[string]any{"can_export": false},
			"account_manager_ids": []string{w.amID, w.memberID}}), 400, "invalid_account_manager_ids", "account_manager_ids")
		unchanged("a member as account manager")
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"account_manager_ids": []string{bossID}}), 400, "", "account_manager_ids")
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"seats": "many"}), 400, "", "seats")
		wantError(t, w.admin.Do(t, "PATCH", p, `{"seats":`), 400, "", "")
		unchanged("bad input")

		d = w.admin.Must(t, 200, "PATCH", p, map[string]any{"seats": 2, "permissions": map[string]any{"can_export": false, "users": false},
			"account_manager_ids": []string{w.amID, w.adminID, w.amID}}).Body
		perms = d["permissions"].(map[string]any)
		if d["seats"] != 2.0 || perms["can_export"] != false || perms["users"] != false || perms["reports"] != true ||
			len(d["account_managers"].([]any)) != 2 {
			t.Fatalf("after PATCH: %v", d)
		}
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.update"); n != 1 {
				t.Errorf("%d client.update entries on %s", n, acc)
			}
		}
		ev := clEvent(t, w.admin, acme, "client.update")
		before, after := ev["before"].(map[string]any), ev["after"].(map[string]any)
		if before["seats"] != 0.0 || after["seats"] != 2.0 || len(after["account_manager_ids"].([]any)) != 2 || ev["actor_id"] != w.adminID {
			t.Errorf("audit before/after: %v", ev)
		}
		// The same change again records nothing; the assigned account
		// manager may now manage the client too.
		w.admin.Must(t, 200, "PATCH", p, map[string]any{"seats": 2})
		w.am.Must(t, 200, "PATCH", p, map[string]any{"seats": 0})
		if n := clAudits(t, w.s, acme, "client.update"); n != 2 {
			t.Errorf("%d client.update entries, want 2", n)
		}
	})
}

// SPEC §3: a disabled client's users cannot log in (clear message) and their
// open sessions end; the agency still reads and manages the client. A
// client stays open while any agency managing it keeps it enabled.
func TestClientDisable(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		bossToken := boss.Token(t)
		dual, dualID, _ := w.s.Signup(t, "Dual Person", "dual@example.com", "Dual Own", "client")
		w.s.AddMember(t, acme, dualID, "member")
		p := w.clientPath(acme)

		w.admin.Must(t, 200, "PATCH", p, map[string]any{"enabled": false})
		boss.Must(t, 401, "GET", "/api/v1/me", nil)
		r := w.s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "boss@acme.example", "password": testkit.Password})
		wantError(t, r, 403, "account_disabled", "")
		bossToken.Must(t, 404, "GET", "/api/v1/accounts/"+acme, nil)
		bossToken.Must(t, 404, "GET", "/api/v1/accounts/"+acme+"/users", nil)
		// A user with another account still logs in (and keeps the session
		// that was not in the client), but no longer sees the client.
		dual.Must(t, 200, "GET", "/api/v1/me", nil)
		dual2 := w.s.Login(t, "dual@example.com", testkit.Password)
		dual2.Must(t, 404, "GET", "/api/v1/accounts/"+acme, nil)
		// The agency still opens and manages it.
		if d := w.admin.Must(t, 200, "GET", p, nil).Body; d["enabled"] != false {
			t.Errorf("detail: %v", d)
		}
		w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+acme+"/users", nil)
		w.admin.Must(t, 200, "PATCH", p, map[string]any{"seats": 10})

		w.admin.Must(t, 200, "PATCH", p, map[string]any{"enabled": true})
		boss = w.s.Login(t, "boss@acme.example", testkit.Password)
		bossToken.Must(t, 200, "GET", "/api/v1/accounts/"+acme, nil)

		// A second agency that keeps it enabled keeps it open.
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.other, ClientID: acme, AccessAll: true})
		w.admin.Must(t, 200, "PATCH", p, map[string]any{"enabled": false})
		boss.Must(t, 200, "GET", "/api/v1/me", nil)
		bossToken.Must(t, 200, "GET", "/api/v1/accounts/"+acme, nil)
		w.otherAd.Must(t, 200, "PATCH", "/api/v1/agencies/"+w.other+"/clients/"+acme, map[string]any{"enabled": false})
		boss.Must(t, 401, "GET", "/api/v1/me", nil)
		bossToken.Must(t, 404, "GET", "/api/v1/accounts/"+acme, nil)
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.update"); n < 3 {
				t.Errorf("%d client.update entries on %s", n, acc)
			}
		}
	})
}

func TestClientRevoke(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"account_manager_ids": []string{w.amID}})
		p := w.clientPath(acme) + "/revoke"
		// SPEC §1: revoking is the agency admins' alone.
		w.am.Must(t, 403, "POST", p, nil)
		w.member.Must(t, 403, "POST", p, nil)
		w.otherAd.Must(t, 404, "POST", p, nil)
		got := clTogether(
			func() int { return w.admin.Do(t, "POST", p, nil).Status },
			func() int { return w.admin.Do(t, "POST", p, map[string]any{}).Status })
		if !slices.Equal(got, []int{200, 409}) {
			t.Fatalf("two revokes at once: %v", got)
		}
		wantError(t, w.admin.Do(t, "POST", p, nil), 409, "already_revoked", "")
		d := w.admin.Must(t, 200, "GET", w.clientPath(acme), nil).Body
		if d["status"] != "revoked" || d["revoked_at"] == nil {
			t.Fatalf("after revoke: %v", d)
		}
		boss.Must(t, 401, "GET", "/api/v1/me", nil)
		r := w.s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "boss@acme.example", "password": testkit.Password})
		wantError(t, r, 403, "account_disabled", "")
		if c := w.list(t, w.admin, "status=revoked"); len(clItems(c)) != 1 || c.Body["counts"].(map[string]any)["revoked"] != 1.0 {
			t.Errorf("revoked tab: %s", c.Raw)
		}
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.revoke"); n != 1 {
				t.Errorf("%d client.revoke entries on %s", n, acc)
			}
		}
		// The data stays: the agency still reads the client and its users.
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ?`, acme); n != 1 {
			t.Errorf("memberships after revoke: %d", n)
		}
	})
}

func TestClientBrands(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		acme := w.client(t, "Acme", testkit.LinkFixture{})
		mine := w.s.AddBrand(t, w.agency, "Nike")
		theirs := w.s.AddBrand(t, w.other, "Adidas")
		p := w.clientPath(acme) + "/brands/"
		w.admin.Must(t, 204, "PUT", p+mine, nil)
		w.admin.Must(t, 204, "PUT", p+mine, nil)
		wantError(t, w.admin.Do(t, "PUT", p+theirs, nil), 404, "brand_not_found", "")
		wantError(t, w.admin.Do(t, "PUT", p+"brd_nope", nil), 404, "", "")
		w.member.Must(t, 403, "PUT", p+mine, nil)
		w.otherAd.Must(t, 404, "PUT", p+theirs, nil)
		if b := w.admin.Must(t, 200, "GET", w.clientPath(acme), nil).Body["brands"].([]any); len(b) != 1 || b[0].(map[string]any)["name"] != "Nike" {
			t.Fatalf("brands: %v", b)
		}
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.brand_grant"); n != 1 {
				t.Errorf("%d client.brand_grant entries on %s (a repeated grant records nothing)", n, acc)
			}
		}
		w.admin.Must(t, 204, "DELETE", p+mine, nil)
		wantError(t, w.admin.Do(t, "DELETE", p+mine, nil), 404, "brand_not_granted", "")
		wantError(t, w.admin.Do(t, "DELETE", p+theirs, nil), 404, "", "")
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.brand_remove"); n != 1 {
				t.Errorf("%d client.brand_remove entries on %s", n, acc)
			}
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM client_brands WHERE client_id = ?`, acme); n != 0 {
			t.Errorf("%d grants left", n)
		}
	})
}

func TestClientUsers(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		boss, bossID, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		runner, runnerID, _ := w.s.Signup(t, "Road Runner", "runner@acme.example", "Runner Own", "client")
		w.s.AddMember(t, acme, runnerID, "member")
		users := "/api/v1/accounts/" + acme + "/users"

		r := boss.Must(t, 200, "GET", users, nil)
		us := r.Body["users"].([]any)
		if len(us) != 2 {
			t.Fatalf("users: %s", r.Raw)
		}
		u := us[0].(map[string]any)
		if u["id"] != bossID || u["email"] != "boss@acme.example" || u["name"] != "Wile Boss" || u["role"] != "admin" ||
			u["status"] != "active" || u["last_active_at"] != nil {
			t.Errorf("user: %v", u)
		}
		runner.Must(t, 200, "GET", users, nil) // the team sees itself
		w.admin.Must(t, 200, "GET", users, nil)
		w.otherAd.Must(t, 404, "GET", users, nil)
		w.admin.Must(t, 403, "GET", "/api/v1/accounts/"+w.agency+"/users", nil) // not a client account
		runner.Must(t, 403, "PATCH", users+"/"+bossID, map[string]any{"role": "member"})
		runner.Must(t, 403, "DELETE", users+"/"+bossID, nil)

		wantError(t, boss.Do(t, "PATCH", users+"/"+runnerID, map[string]any{"role": "owner"}), 400, "invalid_role", "role")
		wantError(t, boss.Do(t, "PATCH", users+"/"+runnerID, map[string]any{}), 400, "", "role")
		wantError(t, boss.Do(t, "PATCH", users+"/usr_nope", map[string]any{"role": "admin"}), 404, "user_not_found", "")
		wantError(t, boss.Do(t, "PATCH", users+"/"+bossID, map[string]any{"role": "member"}), 409, "last_admin", "")
		wantError(t, boss.Do(t, "DELETE", users+"/"+bossID, nil), 409, "last_admin", "")

		boss.Must(t, 200, "PATCH", users+"/"+runnerID, map[string]any{"role": "admin"})
		if n := clAudits(t, w.s, acme, "client.user_role"); n != 1 || clAudits(t, w.s, w.agency, "client.user_role") != 0 {
			t.Errorf("client.user_role entries: %d on the client (the agency did nothing)", n)
		}
		// The two admins step down at the same moment: each passes the
		// access check (each is still admin), and the database keeps one.
		got := clTogether(
			func() int { return boss.Do(t, "PATCH", users+"/"+bossID, map[string]any{"role": "member"}).Status },
			func() int { return runner.Do(t, "PATCH", users+"/"+runnerID, map[string]any{"role": "member"}).Status })
		if !slices.Equal(got, []int{200, 409}) {
			t.Fatalf("two admins stepping down at once: %v", got)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND role = 'admin'`, acme); n != 1 {
			t.Fatalf("%d admins left", n)
		}
		var adminID string
		if err := w.s.DB.Get(t.Context(), &adminID, `SELECT user_id FROM memberships WHERE account_id = ? AND role = 'admin'`, acme); err != nil {
			t.Fatal(err)
		}
		winner, loser, loserID := boss, runner, runnerID
		if adminID == runnerID {
			winner, loser, loserID = runner, boss, bossID
		}
		// Removal is immediate: the membership goes and the session the
		// removed user had open in the client ends.
		loser.Must(t, 200, "PUT", "/api/v1/me/account", map[string]any{"account_id": acme})
		winner.Must(t, 204, "DELETE", users+"/"+loserID, nil)
		loser.Must(t, 401, "GET", "/api/v1/me", nil)
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND user_id = ?`, acme, loserID); n != 0 {
			t.Fatalf("membership left")
		}
		winner.Must(t, 404, "DELETE", users+"/"+loserID, nil)
		if n := clAudits(t, w.s, acme, "client.user_remove"); n != 1 {
			t.Errorf("%d client.user_remove entries", n)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM mail_outbox WHERE to_addr IN ('boss@acme.example', 'runner@acme.example')
			AND template <> 'email_verify'`); n != 0 {
			t.Errorf("removal sent %d e-mails", n)
		}

		// The agency turns the users feature off: it binds the client's
		// own users, not the agency.
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"permissions": map[string]any{"users": false}})
		wantError(t, winner.Do(t, "GET", users, nil), 403, "feature_disabled", "")
		w.admin.Must(t, 200, "GET", users, nil)
		// The agency, which manages the account, may not demote or remove
		// its last admin either: the same 409 last_admin as everywhere.
		wantError(t, w.admin.Do(t, "PATCH", users+"/"+adminID, map[string]any{"role": "member"}), 409, "last_admin", "")
		wantError(t, w.admin.Do(t, "DELETE", users+"/"+adminID, nil), 409, "last_admin", "")
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND role = 'admin'`, acme); n != 1 {
			t.Fatalf("%d admins left after the agency's attempts", n)
		}
		// A change by the agency is recorded on both sides.
		_, thirdID, _ := w.s.Signup(t, "Third", "third@acme.example", "Third Own", "client")
		w.s.AddMember(t, acme, thirdID, "member")
		w.admin.Must(t, 200, "PATCH", users+"/"+thirdID, map[string]any{"role": "admin"})
		if n := clAudits(t, w.s, w.agency, "client.user_role"); n != 1 {
			t.Errorf("%d client.user_role entries on the agency", n)
		}
		// An agency user who only reads may not manage users.
		w.member.Must(t, 200, "GET", users, nil)
		w.member.Must(t, 403, "DELETE", users+"/"+adminID, nil)
	})
}

// Many admins stepping down at the same moment: all but one succeed, and
// the account keeps exactly one admin on both engines.
func TestClientLastAdminRace(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		first, firstID, acme := w.clientUser(t, "Admin 0", "admin0@acme.example", "Acme")
		admins := map[string]*testkit.APIClient{firstID: first}
		for i := 1; i < 8; i++ {
			c, uid, _ := w.s.Signup(t, "Admin", fmt.Sprintf("admin%d@acme.example", i), "Own", "client")
			w.s.AddMember(t, acme, uid, "admin")
			admins[uid] = c
		}
		var calls []func() int
		for uid, c := range admins {
			calls = append(calls, func() int {
				return c.Do(t, "PATCH", "/api/v1/accounts/"+acme+"/users/"+uid, map[string]any{"role": "member"}).Status
			})
		}
		got := clTogether(calls...)
		if !slices.Equal(got, []int{200, 200, 200, 200, 200, 200, 200, 409}) {
			t.Fatalf("eight admins stepping down: %v", got)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND role = 'admin'`, acme); n != 1 {
			t.Fatalf("%d admins left", n)
		}
	})
}

// The detail names the agency's active link, so a page or a program can
// disconnect from it without searching the link list.
func TestClientDetailNamesItsLink(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		admin, _, agency := s.Signup(t, "Lia", "lia@example.com", "Lia Agency", "agency")
		_, _, client := s.Signup(t, "Cal", "cal@example.com", "Cal Co", "client")
		linkID := s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: client})
		d := admin.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients/"+client, nil)
		if d.Body["link_id"] != linkID {
			t.Fatalf("link_id %v, want %s", d.Body["link_id"], linkID)
		}
		admin.Must(t, 200, "DELETE", "/api/v1/links/"+linkID, nil)
		admin.Must(t, 404, "GET", "/api/v1/agencies/"+agency+"/clients/"+client, nil)
	})
}
