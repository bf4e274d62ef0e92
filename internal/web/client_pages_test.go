package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// me reads the visitor's user ID and the ID of its first account of a kind.
func (v *visitor) me(kind string) (userID, accountID string) {
	v.t.Helper()
	a := v.get("/api/v1/me")
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Memberships []struct {
			Account struct{ ID, Kind string } `json:"account"`
		} `json:"memberships"`
	}
	if err := json.Unmarshal([]byte(a.body), &me); err != nil {
		v.t.Fatalf("me: %v\n%s", err, a.body)
	}
	for _, m := range me.Memberships {
		if m.Account.Kind == kind {
			return me.User.ID, m.Account.ID
		}
	}
	return me.User.ID, ""
}

// loginAs logs a new visitor in through the form.
func loginAs(t *testing.T, s *testkit.Server, email, password string) *visitor {
	t.Helper()
	v := newVisitor(t, s)
	v.post("/login", url.Values{"email": {email}, "password": {password}}).redirects(t, "login "+email, "/app")
	return v
}

// find returns the first submatch of re in the body, or fails.
func (a answer) find(t *testing.T, what, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("%s: no %s in\n%s", what, re, a.body)
	}
	return m[1]
}

// lacks fails when the body holds any of the texts.
func (a answer) lacks(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(a.body, s) {
			t.Fatalf("%s: body holds %q\n%s", what, s, a.body)
		}
	}
}

// count reads one number from the database.
func count(t *testing.T, s *testkit.Server, q string, args ...any) int {
	t.Helper()
	// Page views are written in batches (activity/recorder.go): every one
	// recorded so far counts.
	s.Activity.Flush(context.Background())
	var n int
	if err := s.DB.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// agencyWorld is an agency (Ada, admin and operator) with two brands, and a
// client (Grace, its admin) that signed up on its own.
type agencyWorld struct {
	s                   *testkit.Server
	ada                 *visitor
	agencyID, adaID     string
	nike, adidas        string
	clientID, graceID   string
	grace               *visitor
	graceEmail, gracePw string
}

func newAgencyWorld(t *testing.T, e db.Dialect) *agencyWorld {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &agencyWorld{s: s, ada: newVisitor(t, s), graceEmail: "grace@navy.example", gracePw: testkit.Password}
	w.ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	w.adaID, w.agencyID = w.ada.me("agency")
	w.nike = s.AddBrand(t, w.agencyID, "Nike")
	w.adidas = s.AddBrand(t, w.agencyID, "Adidas")
	_, w.graceID, w.clientID = s.Signup(t, "Grace Hopper", w.graceEmail, "Navy Client", "client")
	w.grace = loginAs(t, s, w.graceEmail, w.gracePw)
	return w
}

func TestClientPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada

		a := ada.get("/app/clients")
		a.expect(t, "empty client list", 200, "No clients yet", `href="/app/clients/new"`, "Add client", "Export CSV",
			`data-live="client-list"`, `type="search"`, "All <span class=\"count\">0</span>", "At risk")

		// The form, and its errors beside their fields, with nothing created.
		ada.get("/app/clients/new").expect(t, "new client form", 200, "Add a client", `name="brand_ids" value="`+w.nike+`"`,
			"The entire agency", "Chosen people and groups", `name="user_ids" value="`+w.adaID+`"`)
		a = ada.post("/app/clients", url.Values{"name": {"  "}, "seats": {"3"}, "brand_ids": {w.nike}, "enabled": {"on"}})
		a.expect(t, "client without a name", 400, `id="f-name-error"`, "Enter a name.", `value="3"`)
		if !regexp.MustCompile(`value="` + w.nike + `" checked`).MatchString(a.body) {
			t.Fatalf("the ticked brand was not kept:\n%s", a.body)
		}
		ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"many"}}).
			expect(t, "seats not a number", 400, `id="f-seats-error"`, "whole number", `value="Acme"`)
		ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"-2"}}).
			expect(t, "negative seats", 400, `id="f-seats-error"`)
		ada.post("/app/clients", url.Values{"name": {"Acme"}, "access": {"some"}, "user_ids": {"usr_nobody"}}).
			expect(t, "a stranger in the access list", 400, `id="f-access-error"`, "members of this agency")
		if n := count(t, s, `SELECT COUNT(*) FROM links WHERE agency_id = ?`, w.agencyID); n != 0 {
			t.Fatalf("%d links after refused forms", n)
		}

		a = ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"5"}, "brand_ids": {w.nike}, "enabled": {"on"}, "access": {"all"}})
		if a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/app/clients/acc_") {
			t.Fatalf("create: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
		}
		acme := strings.TrimPrefix(a.header.Get("Location"), "/app/clients/")
		a = ada.get("/app/clients/" + acme)
		a.expect(t, "new client's page", 200, "Client “Acme” created", "Acme", `class="badge badge-pending">Pending`,
			"Nike", "0 of 5 seats", "Nobody has joined Acme yet", "Revoke access", `data-confirm="Revoke Acme's access?`)
		if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'client.create' AND account_id IN (?, ?)`, w.agencyID, acme); n != 2 {
			t.Fatalf("client.create audited on %d accounts, want 2", n)
		}

		// A link request by account ID, accepted by the client's admin.
		a = ada.post("/app/links", url.Values{"target": {"acc_doesnotexist"}, "access": {"all"}})
		a.expect(t, "request to nobody", 404, `id="f-target-error"`, "No account to link with", `value="acc_doesnotexist"`)
		ada.post("/app/links", url.Values{"target": {w.clientID}, "access": {"all"}}).redirects(t, "send request", "/app/links")
		ada.get("/app/links").expect(t, "links after sending", 200, "Link request sent to “Navy Client”", "Sent requests", "Navy Client",
			"Cancel request", "The entire agency")
		ada.post("/app/links", url.Values{"target": {w.graceEmail}}).
			expect(t, "second request", 409, `id="f-target-error"`, "already have a pending or active link")
		mails, _, err := s.Mailer.List(context.Background(), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(mails) == 0 || mails[0].To != w.graceEmail || !strings.Contains(mails[0].Subject, "asks to link") {
			t.Fatalf("no request e-mail to Grace: %+v", mails)
		}
		// The e-mail's link, /app/links, leads a client to its own page.
		w.grace.get("/app/links").redirects(t, "links in a portal", "/app/agencies")
		a = w.grace.get("/app/agencies")
		a.expect(t, "client's incoming request", 200, "Incoming requests", "Analytical Agency", `data-confirm="Link with Analytical Agency?`,
			`href="/app/agencies"`, `href="/app/users"`, w.clientID)
		linkID := a.find(t, "accept form", `action="/app/links/(lnk_[A-Za-z0-9_-]+)/accept"`)
		w.grace.post("/app/links/"+linkID+"/accept", nil).redirects(t, "accept", "/app/agencies")
		w.grace.get("/app/agencies").expect(t, "after accepting", 200, "Linked with “Analytical Agency”", "Linked agencies", "Disconnect")
		w.grace.post("/app/links/"+linkID+"/accept", nil).redirects(t, "accept twice", "/app/agencies")
		w.grace.get("/app/agencies").expect(t, "accepting twice", 200, "This link is active, so it cannot be accepted.")

		// The list: both clients, tabs with counts, search, sort, status filter.
		a = ada.get("/app/clients")
		a.expect(t, "client list", 200, "Acme", "Navy Client", w.graceEmail, `class="badge badge-active">Active`,
			`class="badge badge-pending">Pending`, "All <span class=\"count\">2</span>", "Active <span class=\"count\">1</span>",
			`/login-as?from=/app/clients`, "Login As", `action="/app/clients/`+acme+`/disconnect"`, "1 user · unlimited", "0 of 5 seats")
		a = ada.get("/app/clients?q=NAVY")
		a.expect(t, "search", 200, "Navy Client", `value="NAVY"`, "All <span class=\"count\">1</span>")
		a.lacks(t, "search", ">Acme<")
		ada.get("/app/clients?q=nike").expect(t, "search by brand", 200, ">Acme<")
		a = ada.get("/app/clients?status=pending")
		a.expect(t, "pending tab", 200, ">Acme<", `href="/app/clients?status=pending" aria-current="page"`)
		a.lacks(t, "pending tab", "Navy Client</a>")
		ada.get("/app/clients?status=churned").expect(t, "empty tab", 200, "No clients match", "Show all clients")
		ada.get("/app/clients?sort=-health").expect(t, "sorted by health", 200, `aria-sort="descending"`, `href="/app/clients?sort=health"`)
		ada.get("/app/clients?status=bogus").redirects(t, "bad status", "/app/clients")
		ada.get("/app/clients?cursor=garbage").redirects(t, "bad cursor", "/app/clients")
		csv := a.find(t, "export link", `href="(/api/v1/agencies/[^"]+/clients\.csv[^"]*)"`)
		if !strings.Contains(csv, "status=pending") {
			t.Fatalf("the export ignores the filter: %s", csv)
		}
		exp := ada.get(strings.ReplaceAll(csv, "&amp;", "&"))
		exp.expect(t, "CSV export", 200, "Acme")
		if strings.Contains(exp.body, "Navy Client") || !strings.HasPrefix(exp.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %s\n%s", exp.header.Get("Content-Type"), exp.body)
		}

		// The detail: settings, brands, users.
		nav := "/app/clients/" + w.clientID
		ada.get(nav).expect(t, "linked client's page", 200, "Navy Client", "Grace Hopper", w.graceEmail, `name="can_export" checked`)
		ada.post(nav+"/settings", url.Values{"seats": {"x"}}).expect(t, "bad seats", 400, `id="f-seats-error"`)
		_, bobID, _ := s.Signup(t, "Bob Navy", "bob@navy.example", "Bob's own", "client")
		s.AddMember(t, w.clientID, bobID, "member")
		a = ada.post(nav+"/settings", url.Values{"seats": {"1"}, "enabled": {"on"}})
		a.expect(t, "seats below usage", 422, `id="f-seats-error"`, "more users than 1 seats")
		ada.post(nav+"/settings", url.Values{"seats": {"4"}, "enabled": {"on"}, "reports": {"on"}}).redirects(t, "settings", nav)
		a = ada.get(nav)
		a.expect(t, "after settings", 200, "Settings saved.", `value="4"`, `name="reports" checked`, "2 of 4 seats")
		a.lacks(t, "after settings", `name="can_export" checked`)
		ada.post(nav+"/brands", url.Values{"brand_id": {w.adidas}}).redirects(t, "grant brand", nav+"#brands")
		ada.get(nav).expect(t, "granted", 200, "Brand added", `action="/app/clients/`+w.clientID+`/brands/`+w.adidas+`/remove"`)
		ada.post(nav+"/brands", url.Values{"brand_id": {"brd_elsewhere"}}).expect(t, "unknown brand", 404, `id="f-brand_id-error"`)
		ada.post(nav+"/brands/"+w.adidas+"/remove", nil).redirects(t, "remove brand", nav+"#brands")
		ada.post(nav+"/users/"+bobID+"/role", url.Values{"role": {"admin"}}).redirects(t, "role", nav+"#users")
		ada.get(nav).expect(t, "role changed", 200, "Role changed.")
		ada.post(nav+"/users/"+bobID+"/remove", nil).redirects(t, "remove user", nav+"#users")
		ada.get(nav).lacks(t, "user removed", "bob@navy.example")
		// Grace is now the client's only admin: the agency may neither
		// demote nor remove her (409 last_admin, as on every other page).
		ada.post(nav+"/users/"+w.graceID+"/role", url.Values{"role": {"member"}}).redirects(t, "demote the last admin", nav+"#users")
		ada.get(nav).expect(t, "last admin kept", 200, "An account needs at least one admin")
		ada.post(nav+"/users/"+w.graceID+"/remove", nil).redirects(t, "remove the last admin", nav+"#users")
		ada.get(nav).expect(t, "last admin stays", 200, "An account needs at least one admin", w.graceEmail)
		ada.post(nav+"/managers", url.Values{"account_manager_ids": {w.adaID}}).redirects(t, "managers", nav+"#managers")
		ada.get(nav).expect(t, "managers saved", 200, "Account managers saved.", `value="`+w.adaID+`" checked`)

		// Revoke, then disconnect.
		ada.post(nav+"/revoke", nil).redirects(t, "revoke", nav)
		ada.get(nav).expect(t, "revoked", 200, `class="badge badge-revoked">Revoked`, "Access revoked")
		ada.post(nav+"/revoke", nil).redirects(t, "revoke twice", nav)
		ada.get(nav).expect(t, "revoked twice", 200, "already revoked")
		ada.post("/app/clients/"+acme+"/disconnect", nil).redirects(t, "disconnect", "/app/clients")
		a = ada.get("/app/clients")
		a.expect(t, "after disconnect", 200, "Disconnected from “Acme”")
		a.lacks(t, "after disconnect", ">Acme<")
		ada.get("/app/clients/"+acme).expect(t, "a disconnected client", 404, "Page not found")
	})
}

func TestClientPagesPaging(t *testing.T) {
	_, ada := loggedIn(t)
	for i := range 27 {
		ada.post("/app/clients", url.Values{"name": {fmt.Sprintf("Client %02d", i)}}).expect(t, "create", 303)
	}
	a := ada.get("/app/clients")
	a.expect(t, "first page", 200, "Client 00", "Client 24", "Load more", `data-more="client-rows"`, "<span class=\"count\">27</span>")
	a.lacks(t, "first page", "Client 25")
	next := unescape(a.find(t, "next page", `href="(/app/clients\?cursor=[^"]+)" data-more`))
	b := ada.get(next)
	b.expect(t, "second page", 200, "Client 25", "Client 26", "First page")
	b.lacks(t, "second page", "Client 24", "Load more")
}

func unescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

// TestClientPagesAccess: another agency's client is not found, a viewer may
// look but not change, and a client's users see none of the agency pages.
func TestClientPagesAccess(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	s, ada := w.s, w.ada
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})

	// Another agency with a client of its own.
	_, _, rivalID := s.Signup(t, "Rita Rival", "rita@rival.example", "Rival Agency", "agency")
	_, _, rivalClient := s.Signup(t, "Carl Client", "carl@rc.example", "Rival's Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: rivalID, ClientID: rivalClient, AccessAll: true})
	ada.get("/app/clients/"+rivalClient).expect(t, "another agency's client", 404, "Page not found")
	ada.post("/app/clients/"+rivalClient+"/settings", url.Values{"seats": {"1"}}).expect(t, "change another agency's client", 404)
	ada.post("/app/clients/"+rivalClient+"/disconnect", nil).expect(t, "disconnect another agency's client", 404)
	rv := loginAs(t, s, "rita@rival.example", testkit.Password)
	rv.get("/app/clients/"+w.clientID).expect(t, "rival opens our client", 404, "Page not found")
	rv.get("/app/clients").lacks(t, "rival's list", "Navy Client")

	// A viewer of our agency: sees the client (shared with everyone), may
	// not change it (403 pages), and is offered no button that would fail.
	_, vicID, _ := s.Signup(t, "Vic Viewer", "vic@example.com", "Vic's own", "client")
	s.AddMember(t, w.agencyID, vicID, "viewer")
	vic := loginAs(t, s, "vic@example.com", testkit.Password)
	vic.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "switch", "/app")
	a := vic.get("/app/clients")
	a.expect(t, "viewer's list", 200, "Navy Client")
	a.lacks(t, "viewer's list", "/disconnect", `href="/app/clients/new"`)
	a = vic.get("/app/clients/" + w.clientID)
	a.expect(t, "viewer's detail", 200, "Navy Client", "Grace Hopper")
	a.lacks(t, "viewer's detail", `action="/app/clients/`+w.clientID+`/settings"`, "Revoke access", "/remove")
	vic.post("/app/clients/"+w.clientID+"/settings", url.Values{"seats": {"1"}}).expect(t, "viewer saves settings", 403, "Forbidden", "not allowed")
	vic.post("/app/clients/"+w.clientID+"/revoke", nil).expect(t, "viewer revokes", 403, "Forbidden")
	vic.get("/app/clients/new").expect(t, "viewer's new client form", 403, "Forbidden")
	vic.post("/app/clients", url.Values{"name": {"Sneaky"}}).expect(t, "viewer creates a client", 403)
	vic.post("/app/links", url.Values{"target": {"acc_x"}}).expect(t, "viewer sends a request", 403)
	if n := count(t, s, `SELECT COUNT(*) FROM accounts WHERE name = 'Sneaky'`); n != 0 {
		t.Fatal("a viewer created a client")
	}

	// A client user sees no agency page, and no other client's page.
	for _, p := range []string{"/app/clients", "/app/clients/" + w.clientID, "/app/clients/new", "/app/members", "/app/brands", "/app/settings"} {
		w.grace.get(p).expect(t, p+" from a client", 404, "Page not found")
	}
	ada.get("/app/agencies").expect(t, "portal page from an agency", 404)
	ada.get("/app/users").expect(t, "portal users from an agency", 404)
	newVisitor(t, s).get("/app/clients").redirects(t, "anonymous", "/login?next=%2Fapp%2Fclients")
}
