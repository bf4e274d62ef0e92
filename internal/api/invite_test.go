package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Invitations (SPEC §4, issue 5), through the public API on both engines.

func newInvWorld(t *testing.T, e db.Dialect, fake bool) *clWorld {
	t.Helper()
	s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: fake})
	w := &clWorld{s: s}
	w.admin, w.adminID, w.agency = s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
	w.otherAd, _, w.other = s.Signup(t, "Bob Other", "bob@example.com", "Agency B", "agency")
	w.am, w.amID = w.staff(t, "Amy Manager", "account_manager")
	w.member, w.memberID = w.staff(t, "Max Member", "member")
	return w
}

// invToken takes the token out of an invitation URL.
func invToken(t *testing.T, u string) string {
	t.Helper()
	i := strings.LastIndex(u, "/invite/")
	if i < 0 {
		t.Fatalf("not an invitation url: %q", u)
	}
	return u[i+len("/invite/"):]
}

// invMailURL returns the invitation link in the newest invitation e-mail to
// an address, read from the outbox as a person reads their mail.
func invMailURL(t *testing.T, s *testkit.Server, to string) string {
	t.Helper()
	return s.MailLink(t, "invitation", to, "/invite/")
}

func invAccept(t *testing.T, s *testkit.Server, token, name string) testkit.Response {
	return s.NewClient().Do(t, "POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": name, "password": testkit.Password})
}

func TestInviteClientByEmail(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		nike, adidas := w.s.AddBrand(t, w.agency, "Nike"), w.s.AddBrand(t, w.agency, "Adidas")
		r := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": " Carla@Client.Example ", "brand_ids": []string{nike}, "message": "Welcome aboard, Carla!", "client_name": "Carla Co"})
		inv := r.Body
		clientID, _ := inv["client_account_id"].(string)
		if inv["status"] != "pending" || inv["email"] != "carla@client.example" || inv["role"] != "admin" || clientID == "" ||
			!strings.HasPrefix(inv["id"].(string), "inv_") || !strings.HasPrefix(inv["url"].(string), w.s.URL+"/invite/") {
			t.Fatalf("invitation: %s", r.Raw)
		}
		exp, err := time.Parse(time.RFC3339, inv["expires_at"].(string))
		if err != nil || exp.Sub(time.Now()) < 13*24*time.Hour || exp.Sub(time.Now()) > 14*24*time.Hour+time.Minute {
			t.Errorf("expires_at %v, want 14 days from now", inv["expires_at"])
		}
		// The client exists at once, pending, with the invited address as
		// its contact and the brand granted.
		d := w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body
		if d["name"] != "Carla Co" || d["status"] != "pending" || d["email"] != "carla@client.example" || d["pending_invitations"] != 1.0 {
			t.Errorf("detail: %v", d)
		}
		if b := d["brands"].([]any); len(b) != 1 || b[0].(map[string]any)["id"] != nike {
			t.Errorf("brands: %v", b)
		}
		lst := w.list(t, w.admin, "status=pending")
		if names := clNames(lst); len(names) != 1 || names[0] != "Carla Co" {
			t.Errorf("pending filter: %v", names)
		}
		// The e-mail carries the message, its own link (not the answer's,
		// which the inviter sees: see TestInviterCannotOwnTheInviteesIdentity)
		// and the expiry, branded as the agency.
		link := invMailURL(t, w.s, "carla@client.example")
		if link == inv["url"] || !strings.HasPrefix(link, w.s.URL+"/invite/") {
			t.Errorf("mail link %q, answer %q", link, inv["url"])
		}
		msgs, _, _ := w.s.Mailer.List(t.Context(), 10, "")
		if m := msgs[0]; m.FromName != "Agency A" || !strings.Contains(m.Text, "Welcome aboard, Carla!") ||
			!strings.Contains(m.Text, "expires on") || !strings.Contains(m.HTML, "Agency A") {
			t.Errorf("mail: from %q\n%s", m.FromName, m.Text)
		}
		token := invToken(t, link)
		lk := w.s.NewClient().Must(t, 200, "GET", "/api/v1/invitations/lookup?token="+token, nil).Body
		if lk["email"] != "carla@client.example" || lk["user_exists"] != false || lk["account_name"] != "Carla Co" ||
			lk["branding"].(map[string]any)["agency_name"] != "Agency A" {
			t.Errorf("lookup: %v", lk)
		}
		// Sign up through the invitation: logged in, admin of the client.
		carla := w.s.NewClient()
		acc := carla.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Carla", "password": testkit.Password})
		if acc.Body["role"] != "admin" || acc.Body["account"].(map[string]any)["id"] != clientID || !strings.Contains(acc.Header.Get("Set-Cookie"), "liaison_session=") {
			t.Fatalf("accept: %s %v", acc.Raw, acc.Header)
		}
		me := carla.Must(t, 200, "GET", "/api/v1/me", nil).Body
		ms := me["memberships"].([]any)
		if len(ms) != 1 || ms[0].(map[string]any)["account"].(map[string]any)["id"] != clientID || ms[0].(map[string]any)["role"] != "admin" {
			t.Errorf("me: %v", me)
		}
		d = w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body
		if d["status"] != "active" || d["email"] != "carla@client.example" || d["users_count"] != 1.0 || d["pending_invitations"] != 0.0 {
			t.Errorf("after acceptance: %v", d)
		}
		// Single use: a second acceptance and a lookup are 410, nothing changes.
		users := count(t, w.s, `SELECT COUNT(*) FROM users`)
		wantError(t, invAccept(t, w.s, token, "Mallory"), 410, "invitation_used", "")
		wantError(t, w.s.NewClient().Do(t, "GET", "/api/v1/invitations/lookup?token="+token, nil), 410, "invitation_used", "")
		wantError(t, w.s.NewClient().Do(t, "GET", "/api/v1/invitations/lookup?token=nope", nil), 404, "invitation_not_found", "")
		if n := count(t, w.s, `SELECT COUNT(*) FROM users`); n != users {
			t.Errorf("users %d → %d", users, n)
		}
		// Audited on the agency and the client.
		for _, a := range []string{w.agency, clientID} {
			if clAudits(t, w.s, a, "invitation.create") != 1 || clAudits(t, w.s, a, "invitation.accept") != 1 {
				t.Errorf("audit on %s", a)
			}
		}
		// Listed as accepted; brands of another agency are not found.
		l := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/invitations", nil).Body["invitations"].([]any)
		if len(l) != 1 || l[0].(map[string]any)["status"] != "accepted" || l[0].(map[string]any)["url"] != nil {
			t.Errorf("list: %v", l)
		}
		_ = adidas
	})
}

func TestInviteLinkAndExistingUser(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		r := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": "bob@example.com", "delivery": "link"})
		if r.Body["expires_at"] != nil || r.Body["status"] != "pending" {
			t.Fatalf("link invitation: %s", r.Raw)
		}
		if n := len(lkMails(t, w.s, "invitation")); n != 0 {
			t.Errorf("%d e-mails for a link invitation", n)
		}
		clientID := r.Body["client_account_id"].(string)
		if d := w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body; d["status"] != "link_invite" || d["email"] != "bob@example.com" {
			t.Errorf("detail: %v", d)
		}
		// The list's cached counts follow every invitation change (the
		// invitations triggers move client_list_version).
		counts := func() map[string]any { return w.list(t, w.admin, "").Body["counts"].(map[string]any) }
		if c := counts(); c["link_invite"] != 1.0 || c["pending"] != 0.0 {
			t.Errorf("counts: %v", c)
		}
		second := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": "sid@example.com", "delivery": "link"}).Body["id"].(string)
		if c := counts(); c["link_invite"] != 2.0 {
			t.Errorf("counts after a second link: %v", c)
		}
		// Cancelling the second removes the client created for it, which
		// nobody joined: no empty "pending" client is left.
		w.admin.Must(t, 204, "DELETE", "/api/v1/invitations/"+second, nil)
		if c := counts(); c["link_invite"] != 1.0 || c["pending"] != 0.0 || c["all"] != 1.0 {
			t.Errorf("counts after cancelling: %v", c)
		}
		// Bob has a user: he must log in, then accepts with one click.
		token := invToken(t, r.Body["url"].(string))
		if lk := w.s.NewClient().Must(t, 200, "GET", "/api/v1/invitations/lookup?token="+token, nil).Body; lk["user_exists"] != true {
			t.Errorf("lookup: %v", lk)
		}
		wantError(t, invAccept(t, w.s, token, "Bob"), 401, "login_required", "")
		wantError(t, w.admin.Do(t, "POST", "/api/v1/invitations/accept", map[string]any{"token": token}), 409, "email_mismatch", "")
		w.otherAd.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": token})
		if d := w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body; d["status"] != "active" {
			t.Errorf("detail after: %v", d)
		}
		if c := counts(); c["link_invite"] != 0.0 || c["active"] != 1.0 || c["pending"] != 0.0 {
			t.Errorf("counts after acceptance: %v", c)
		}
		me := w.otherAd.Must(t, 200, "GET", "/api/v1/me", nil).Body
		if me["current_account_id"] != clientID || len(me["memberships"].([]any)) != 2 {
			t.Errorf("me: %v", me)
		}
	})
}

func TestInviteBadInputChangesNothing(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		foreign := w.s.AddBrand(t, w.other, "Puma")
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		otherClient := w.client(t, "Hidden", testkit.LinkFixture{AgencyID: w.other, AccessAll: true})
		tables := func() string {
			return fmt.Sprint(count(t, w.s, `SELECT COUNT(*) FROM invitations`), count(t, w.s, `SELECT COUNT(*) FROM accounts`),
				count(t, w.s, `SELECT COUNT(*) FROM mail_outbox`), count(t, w.s, `SELECT COUNT(*) FROM audit_events`),
				count(t, w.s, `SELECT COUNT(*) FROM client_brands`), count(t, w.s, `SELECT COUNT(*) FROM links`))
		}
		before := tables()
		p := "/api/v1/agencies/" + w.agency + "/invitations"
		cases := []struct {
			who         *testkit.APIClient
			path        string
			body        map[string]any
			status      int
			code, field string
		}{
			{w.admin, p, map[string]any{"email": "not-an-address"}, 400, "", "email"},
			{w.admin, p, map[string]any{"email": "x@y.example", "delivery": "pigeon"}, 400, "", "delivery"},
			{w.admin, p, map[string]any{"email": "x@y.example", "brand_ids": []string{"brd_nope"}}, 404, "brand_not_found", ""},
			{w.admin, p, map[string]any{"email": "x@y.example", "brand_ids": []string{foreign}}, 404, "brand_not_found", ""},
			{w.admin, p, map[string]any{"email": "x@y.example", "role": "member"}, 400, "", "role"},
			{w.admin, p, map[string]any{"email": "x@y.example", "client_account_id": acme, "role": "owner"}, 400, "", "role"},
			{w.admin, p, map[string]any{"email": "x@y.example", "client_account_id": otherClient}, 404, "", ""},
			{w.admin, p, map[string]any{"email": "boss@acme.example", "client_account_id": acme}, 409, "already_member", ""},
			{w.member, p, map[string]any{"email": "x@y.example"}, 403, "", ""},
			{w.admin, "/api/v1/agencies/" + w.agency + "/members", map[string]any{"email": "x@y.example", "role": "owner"}, 400, "", "role"},
			{w.admin, "/api/v1/agencies/" + w.agency + "/members", map[string]any{"email": "staff1@example.com", "role": "member"}, 409, "already_member", ""},
			{w.otherAd, "/api/v1/accounts/" + acme + "/invitations", map[string]any{"email": "x@y.example", "role": "member"}, 404, "", ""},
		}
		for i, c := range cases {
			r := c.who.Do(t, "POST", c.path, c.body)
			t.Run(fmt.Sprint(i), func(t *testing.T) { wantError(t, r, c.status, c.code, c.field) })
		}
		if after := tables(); after != before {
			t.Errorf("tables changed: %s → %s", before, after)
		}
		// A second open invitation to the same address and account is a conflict.
		w.admin.Must(t, 201, "POST", p, map[string]any{"email": "new@acme.example", "client_account_id": acme})
		wantError(t, w.admin.Do(t, "POST", p, map[string]any{"email": "new@acme.example", "client_account_id": acme}), 409, "already_invited", "")
	})
}

func TestInviteResendCancelExpire(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, true)
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		// API tokens: sessions would end while the clock moves a week.
		boss, w.admin, w.otherAd = boss.Token(t), w.admin.Token(t), w.otherAd.Token(t)
		// A team invitation by the client's admin: 7 days.
		r := boss.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "road@acme.example", "role": "member"})
		invID, first := r.Body["id"].(string), invToken(t, r.Body["url"].(string))
		if exp, _ := time.Parse(time.RFC3339, r.Body["expires_at"].(string)); !exp.Equal(w.s.Clock.Now().Add(7 * 24 * time.Hour)) {
			t.Errorf("team expiry %v", exp)
		}
		// The client's own invitation is the client's: its agency reads it
		// but neither resends nor cancels it (issue 15).
		wantError(t, w.admin.Do(t, "POST", "/api/v1/invitations/"+invID+"/resend", nil), 403, "invitation_of_client", "")
		wantError(t, w.admin.Do(t, "DELETE", "/api/v1/invitations/"+invID, nil), 403, "invitation_of_client", "")
		// Resend: a new link, the old one dead, a new e-mail.
		rs := boss.Must(t, 200, "POST", "/api/v1/invitations/"+invID+"/resend", nil)
		second := invToken(t, rs.Body["url"].(string))
		if second == first || len(lkMails(t, w.s, "invitation")) != 2 {
			t.Fatalf("resend: %s", rs.Raw)
		}
		wantError(t, w.s.NewClient().Do(t, "GET", "/api/v1/invitations/lookup?token="+first, nil), 404, "invitation_not_found", "")
		// Expiry: past 7 days the link is 410, the job marks it and audits.
		w.s.Clock.Advance(7*24*time.Hour + time.Minute)
		wantError(t, invAccept(t, w.s, second, "Road"), 410, "invitation_expired", "")
		// The server's own runner may claim the job first: wait for it.
		for i := 0; count(t, w.s, `SELECT COUNT(*) FROM invitations WHERE id = ? AND status = 'expired'`, invID) != 1; i++ {
			if i == 100 {
				t.Fatalf("job did not expire the invitation")
			}
			if _, err := w.s.Jobs.RunDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if clAudits(t, w.s, acme, "invitation.expire") != 1 || clAudits(t, w.s, w.agency, "invitation.expire") != 1 {
			t.Errorf("expiry not audited on both")
		}
		l := boss.Must(t, 200, "GET", "/api/v1/accounts/"+acme+"/invitations?status=expired", nil).Body["invitations"].([]any)
		if len(l) != 1 {
			t.Errorf("expired list: %v", l)
		}
		// A newer invitation to the address blocks reviving the old one.
		newer := boss.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "road@acme.example", "role": "member"}).Body["id"].(string)
		wantError(t, boss.Do(t, "POST", "/api/v1/invitations/"+invID+"/resend", nil), 409, "already_invited", "")
		boss.Must(t, 204, "DELETE", "/api/v1/invitations/"+newer, nil)
		// Resending an expired invitation brings it back; cancelling kills it.
		third := invToken(t, boss.Must(t, 200, "POST", "/api/v1/invitations/"+invID+"/resend", nil).Body["url"].(string))
		boss.Must(t, 204, "DELETE", "/api/v1/invitations/"+invID, nil)
		wantError(t, invAccept(t, w.s, third, "Road"), 410, "invitation_cancelled", "")
		wantError(t, boss.Do(t, "DELETE", "/api/v1/invitations/"+invID, nil), 409, "invitation_cancelled", "")
		wantError(t, w.otherAd.Do(t, "DELETE", "/api/v1/invitations/"+invID, nil), 404, "", "")
		for _, a := range []string{"invitation.resend", "invitation.cancel"} {
			if clAudits(t, w.s, acme, a) == 0 || clAudits(t, w.s, w.agency, a) == 0 {
				t.Errorf("%s not audited on both", a)
			}
		}
	})
}

func TestInviteStaff(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		r := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/members", map[string]any{"email": "zed@example.com", "role": "viewer"})
		if r.Body["client_account_id"] != nil || r.Body["kind"] != "staff" {
			t.Fatalf("staff invitation: %s", r.Raw)
		}
		wantError(t, w.am.Do(t, "POST", "/api/v1/agencies/"+w.agency+"/members", map[string]any{"email": "y@example.com", "role": "viewer"}), 403, "", "")
		l := w.member.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/invitations?kind=staff", nil).Body["invitations"].([]any)
		if len(l) != 1 {
			t.Errorf("staff list: %v", l)
		}
		zed := w.s.NewClient()
		zed.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": invToken(t, invMailURL(t, w.s, "zed@example.com")),
			"name": "Zed", "password": testkit.Password})
		members := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/members", nil).Body["members"].([]any)
		found := false
		for _, m := range members {
			if m.(map[string]any)["email"] == "zed@example.com" && m.(map[string]any)["role"] == "viewer" {
				found = true
			}
		}
		if !found {
			t.Errorf("zed not a viewer: %v", members)
		}
	})
}

// Re-inviting a revoked client brings it back with its history; an
// invitation made before the revocation cannot be accepted.
func TestInviteRevokedClient(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		p := "/api/v1/agencies/" + w.agency + "/invitations"
		r := w.admin.Must(t, 201, "POST", p, map[string]any{"email": "old@client.example", "delivery": "link"})
		clientID, old := r.Body["client_account_id"].(string), invToken(t, r.Body["url"].(string))
		w.admin.Must(t, 200, "POST", w.clientPath(clientID)+"/revoke", nil)
		wantError(t, invAccept(t, w.s, old, "Old"), 409, "client_revoked", "")
		if d := w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body; d["status"] != "revoked" {
			t.Fatalf("not revoked: %v", d)
		}
		r = w.admin.Must(t, 201, "POST", p, map[string]any{"email": "new@client.example", "client_account_id": clientID, "role": "admin"})
		if a := invAccept(t, w.s, invToken(t, r.Body["url"].(string)), "New"); a.Status != 200 {
			t.Fatalf("re-invitation: %s", a.Raw)
		}
		d := w.admin.Must(t, 200, "GET", w.clientPath(clientID), nil).Body
		if d["status"] != "active" || d["revoked_at"] != nil {
			t.Errorf("not reinstated: %v", d)
		}
		if clAudits(t, w.s, clientID, "client.revoke") != 1 {
			t.Errorf("history lost")
		}
	})
}

// SPEC §3: with 5 seats and 100 concurrent acceptances exactly 5 succeed,
// the others get 422 no_seats, and nothing of theirs is written.
func TestInviteSeatsRace(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		// The seat rule holds on invitation too: with 2 seats (the boss
		// and one invitation) a second invitation is refused.
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"seats": 2})
		w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "one@acme.example", "role": "member"})
		wantError(t, w.admin.Do(t, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "two@acme.example", "role": "member"}), 422, "no_seats", "")
		// PATCH seats counts open invitations too.
		wantError(t, w.admin.Do(t, "PATCH", w.clientPath(acme), map[string]any{"seats": 1}), 422, "seats_below_usage", "")
		// 100 invitations into an empty client while seats are unlimited,
		// then 5 seats (straight in the database: the API refuses seats
		// below users plus open invitations, the rule on the way in; this
		// tests the rule at acceptance, the last line).
		road := w.client(t, "Road Inc", testkit.LinkFixture{})
		var tokens []string
		for i := range 100 {
			r := w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+road+"/invitations", map[string]any{"email": fmt.Sprintf("p%d@road.example", i), "role": "member", "delivery": "link"})
			tokens = append(tokens, invToken(t, r.Body["url"].(string)))
		}
		if _, err := w.s.DB.Exec(t.Context(), `UPDATE agency_clients SET seats = 5 WHERE client_id = ?`, road); err != nil {
			t.Fatal(err)
		}
		calls := make([]func() int, len(tokens))
		for i, tok := range tokens {
			calls[i] = func() int { return invAccept(t, w.s, tok, fmt.Sprintf("Person %d", i)).Status }
		}
		statuses := clTogether(calls...)
		byStatus := map[int]int{}
		for _, s := range statuses {
			byStatus[s]++
		}
		if byStatus[200] != 5 || byStatus[422] != 95 {
			t.Fatalf("statuses %v, want 5 × 200 and 95 × 422", byStatus)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ?`, road); n != 5 {
			t.Errorf("%d members, want 5", n)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM invitations WHERE account_id = ? AND status = 'accepted'`, road); n != 5 {
			t.Errorf("%d accepted invitations, want 5", n)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM users WHERE email LIKE 'p%@road.example'`); n != 5 {
			t.Errorf("%d users created, want 5", n)
		}
	})
}

// An invitation presents itself as the agency's portal (SPEC §7): the
// e-mail's sender and name, the lookup's branding, the welcome message
// after acceptance.
func TestInviteIsBrandedAsTheAgency(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{
			"portal_name": "Harbor Portal", "primary_color": "#1d4ed8", "sender_name": "Harbor Team", "welcome_message": "Glad to have you."})
		w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": "dora@client.example", "client_name": "Dora Co"})
		msgs, _, _ := w.s.Mailer.List(t.Context(), 10, "")
		if m := msgs[0]; m.FromName != "Harbor Team" || !strings.Contains(m.HTML, "Harbor Portal") || !strings.Contains(m.HTML, "#1d4ed8") {
			t.Errorf("mail: from %q\n%s", m.FromName, m.HTML)
		}
		token := invToken(t, invMailURL(t, w.s, "dora@client.example"))
		b := w.s.NewClient().Must(t, 200, "GET", "/api/v1/invitations/lookup?token="+token, nil).Body["branding"].(map[string]any)
		if b["portal_name"] != "Harbor Portal" || b["color"] != "#1d4ed8" || b["welcome_message"] != "Glad to have you." || b["agency_name"] != "Agency A" {
			t.Errorf("lookup branding: %v", b)
		}
	})
}
