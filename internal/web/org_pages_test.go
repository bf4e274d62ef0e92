package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestMembersAndGroupsPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		_, vicID, _ := s.Signup(t, "Vic Viewer", "vic@example.com", "Vic's own", "client")
		s.AddMember(t, w.agencyID, vicID, "viewer")

		a := ada.get("/app/members")
		a.expect(t, "members", 200, "Members & Groups", "Ada Lovelace", "(you)", "Vic Viewer", `name="role"`,
			`data-confirm="Remove Vic Viewer (vic@example.com) from the agency?`, "No groups yet", `id="f-group_name"`)

		// The last admin cannot leave or be demoted: the page says why.
		ada.post("/app/members/"+w.adaID+"/remove", nil).redirects(t, "remove the last admin", "/app/members")
		ada.get("/app/members").expect(t, "last admin", 200, "An agency needs at least one admin")
		ada.post("/app/members/"+w.adaID+"/role", url.Values{"role": {"viewer"}}).redirects(t, "demote the last admin", "/app/members")
		ada.get("/app/members").expect(t, "last admin demoted", 200, "An agency needs at least one admin")
		ada.post("/app/members/"+vicID+"/role", url.Values{"role": {"member"}}).redirects(t, "role", "/app/members")
		ada.get("/app/members").expect(t, "role changed", 200, "Vic Viewer is now member.")
		if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'member.role_change' AND account_id = ?`, w.agencyID); n != 1 {
			t.Fatalf("%d role changes audited, want 1", n)
		}

		// Groups: errors beside their fields, then create, rename, members, delete.
		ada.post("/app/groups", url.Values{"name": {" "}}).expect(t, "group without a name", 400, `id="f-group_name-error"`, "Enter a name.")
		ada.post("/app/groups", url.Values{"name": {"Paris"}}).redirects(t, "group", "/app/members#group-"+groupID(t, s, w.agencyID, "Paris"))
		a = ada.post("/app/groups", url.Values{"name": {"PARIS"}})
		a.expect(t, "a taken name", 409, `id="f-group_name-error"`, "already used", `value="PARIS"`)
		paris := groupID(t, s, w.agencyID, "Paris")
		_ = s.AddGroup(t, w.agencyID, "Lyon")
		lyon := groupID(t, s, w.agencyID, "Lyon")
		a = ada.post("/app/groups/"+paris+"/rename", url.Values{"name": {"Lyon"}})
		a.expect(t, "rename to a taken name", 409, `id="f-group-`+paris+`-name-error"`, `value="Lyon"`)
		a.lacks(t, "rename error", `id="f-group_name-error"`)
		ada.post("/app/groups/"+paris+"/rename", url.Values{"name": {"Paris office"}}).redirects(t, "rename", "/app/members#group-"+paris)
		ada.post("/app/groups/"+paris+"/members", url.Values{"user_ids": {vicID, "usr_stranger"}}).
			expect(t, "a stranger in a group", 400, `id="f-group-`+paris+`-members-error"`, "usr_stranger")
		ada.post("/app/groups/"+paris+"/members", url.Values{"user_ids": {vicID, w.adaID}}).redirects(t, "members", "/app/members#group-"+paris)
		a = ada.get("/app/members")
		a.expect(t, "group members", 200, "“Paris office” now has 2 members.", "Paris office", "Ada Lovelace, Vic Viewer")
		ada.post("/app/groups/"+lyon+"/delete", nil).redirects(t, "delete group", "/app/members#groups")
		ada.get("/app/members").lacks(t, "deleted group", "Lyon")

		// Vic, a member now, reads but is offered nothing to change.
		vic := loginAs(t, s, "vic@example.com", testkit.Password)
		vic.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "switch", "/app")
		a = vic.get("/app/members")
		a.expect(t, "member's view", 200, "Paris office", "Ada Lovelace")
		a.lacks(t, "member's view", `action="/app/groups"`, "/remove", `name="role"`)
		vic.post("/app/groups", url.Values{"name": {"Mine"}}).expect(t, "member creates a group", 403, "Forbidden")
		vic.post("/app/members/"+w.adaID+"/remove", nil).expect(t, "member removes the admin", 403)
	})
}

// groupID finds a group by name, for tests.
func groupID(t *testing.T, s *testkit.Server, agencyID, name string) string {
	t.Helper()
	var id string
	if err := s.DB.Get(t.Context(), &id, `SELECT id FROM agency_groups WHERE agency_id = ? AND name = ?`, agencyID, name); err != nil {
		t.Fatalf("group %s: %v", name, err)
	}
	return id
}

func TestBrandsAndSettingsPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		ada.post("/app/clients/"+w.clientID+"/brands", url.Values{"brand_id": {w.nike}}).expect(t, "grant", 303)

		a := ada.get("/app/brands")
		a.expect(t, "brands", 200, "Adidas", "Nike", "1 client", "0 clients", `data-live="brand-list"`,
			`data-confirm="Delete the brand “Nike”? Navy Client loses access to it and its reports.`,
			`data-confirm="Delete the brand “Adidas”? No client has it.`)
		ada.get("/app/brands?q=NIK").lacks(t, "brand search", "Adidas")
		ada.post("/app/brands", url.Values{"name": {""}}).expect(t, "brand without a name", 400, `id="f-name-error"`)
		ada.post("/app/brands", url.Values{"name": {"nike"}}).expect(t, "brand name taken", 409, `id="f-name-error"`, "already used")
		ada.post("/app/brands", url.Values{"name": {"Puma"}}).redirects(t, "create brand", "/app/brands")
		ada.get("/app/brands").expect(t, "created", 200, "Brand “Puma” created", "Puma")
		a = ada.post("/app/brands/"+w.adidas+"/rename", url.Values{"name": {"Puma"}})
		a.expect(t, "rename to a taken name", 409, `id="f-brand-`+w.adidas+`-name-error"`, "<details class=\"inline-edit\" open>")
		ada.post("/app/brands/"+w.adidas+"/rename", url.Values{"name": {"Adidas Originals"}}).redirects(t, "rename", "/app/brands")
		ada.post("/app/brands/"+w.nike+"/delete", nil).redirects(t, "delete brand", "/app/brands")
		ada.get("/app/brands").lacks(t, "deleted brand", ">Nike<")
		if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'brand.delete' AND account_id = ?`, w.clientID); n != 1 {
			t.Fatalf("the client's log has %d brand deletions, want 1", n)
		}
		ada.post("/app/brands/brd_nope/delete", nil).expect(t, "unknown brand", 404)

		a = ada.get("/app/settings")
		a.expect(t, "settings", 200, `id="f-at_risk_days"`, `value="14"`, `value="45"`, `value="7"`, `value="15"`,
			`min="1" max="365"`, "From 5 to 480. Default 15.")
		form := url.Values{"at_risk_days": {"30"}, "churn_days": {"20"}, "client_invite_ttl_days": {"14"},
			"team_invite_ttl_days": {"7"}, "impersonation_idle_minutes": {"15"}}
		a = ada.post("/app/settings", form)
		a.expect(t, "churn before at risk", 400, `id="f-churn_days-error"`, "more than 30 days", `value="30"`)
		form.Set("churn_days", "lots")
		ada.post("/app/settings", form).expect(t, "not a number", 400, `id="f-churn_days-error"`, "whole number")
		form.Set("churn_days", "60")
		ada.post("/app/settings", form).redirects(t, "save settings", "/app/settings")
		ada.get("/app/settings").expect(t, "saved", 200, "Settings saved.", `value="30"`, `value="60"`)

		_, vicID, _ := s.Signup(t, "Vic Viewer", "vic@example.com", "Vic's own", "client")
		s.AddMember(t, w.agencyID, vicID, "viewer")
		vic := loginAs(t, s, "vic@example.com", testkit.Password)
		vic.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "switch", "/app")
		a = vic.get("/app/settings")
		a.expect(t, "viewer's settings", 200, "30 days without a login", "Only your agency's admins")
		a.lacks(t, "viewer's settings", `<input`)
		vic.post("/app/settings", form).expect(t, "viewer saves settings", 403, "Forbidden")
		a = vic.get("/app/brands")
		a.expect(t, "viewer's brands", 200, "Puma")
		a.lacks(t, "viewer's brands", "/delete", "/rename")
		vic.post("/app/brands/"+w.adidas+"/delete", nil).expect(t, "viewer deletes a brand", 403, "Forbidden")
	})
}

func TestPortalPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, grace := w.s, w.grace
		_, bobID, _ := s.Signup(t, "Bob Navy", "bob@navy.example", "Bob's own", "agency")
		s.AddMember(t, w.clientID, bobID, "member")

		a := grace.get("/app")
		a.expect(t, "portal home", 200, `href="/app/agencies"`, `href="/app/users"`)
		a.lacks(t, "portal home", `href="/app/clients"`)
		a = grace.get("/app/agencies")
		a.expect(t, "agencies", 200, "No agency manages this account yet", w.clientID, "data-copy", "Send a link request",
			"The agency's account ID or an admin's e-mail")
		a.lacks(t, "agencies", "Who in your agency")
		grace.post("/app/agencies", url.Values{"target": {"nobody@example.com"}}).expect(t, "an unknown address", 404,
			`id="f-target-error"`)
		grace.post("/app/agencies", url.Values{"target": {adminEmail}}).redirects(t, "ask an agency", "/app/agencies")
		a = grace.get("/app/agencies")
		a.expect(t, "sent", 200, "Link request sent to “Analytical Agency”", "Cancel request")
		linkID := a.find(t, "cancel form", `action="/app/links/(lnk_[A-Za-z0-9_-]+)/cancel"`)

		// The agency admin sees it as incoming, with the access choice.
		a = w.ada.get("/app/links")
		a.expect(t, "agency's incoming", 200, "Navy Client", "Accept…", `action="/app/links/`+linkID+`/accept"`, "Decline")
		grace.post("/app/links/"+linkID+"/cancel", nil).redirects(t, "cancel", "/app/agencies")
		grace.get("/app/agencies").expect(t, "cancelled", 200, "Request cancelled.")
		w.ada.post("/app/links/"+linkID+"/accept", url.Values{"access": {"all"}}).redirects(t, "accept a cancelled request", "/app/links")
		w.ada.get("/app/links").expect(t, "cancelled meanwhile", 200, "This link is cancelled, so it cannot be accepted.")

		// Users: the admin changes roles and removes; a member only reads.
		a = grace.get("/app/users")
		a.expect(t, "users", 200, "Grace Hopper", "Bob Navy", "(you)", `action="/app/users/`+bobID+`/role"`)
		grace.post("/app/users/"+w.graceID+"/role", url.Values{"role": {"member"}}).redirects(t, "demote self", "/app/users")
		grace.get("/app/users").expect(t, "last admin", 200, "An account needs at least one admin")
		grace.post("/app/users/"+bobID+"/role", url.Values{"role": {"admin"}}).redirects(t, "promote", "/app/users")
		grace.get("/app/users").expect(t, "promoted", 200, "Bob Navy is now an admin.")
		grace.post("/app/users/"+bobID+"/role", url.Values{"role": {"member"}}).redirects(t, "demote", "/app/users")
		bob := loginAs(t, s, "bob@navy.example", testkit.Password)
		bob.post("/app/switch", url.Values{"account_id": {w.clientID}}).redirects(t, "switch", "/app")
		a = bob.get("/app/users")
		a.expect(t, "member's users", 200, "Grace Hopper")
		a.lacks(t, "member's users", "/remove", `name="role"`)
		bob.post("/app/users/"+w.graceID+"/remove", nil).expect(t, "member removes the admin", 403, "Forbidden")
		a = bob.get("/app/agencies")
		a.expect(t, "member's agencies", 200, w.clientID)
		a.lacks(t, "member's agencies", "Send request")
		bob.post("/app/agencies", url.Values{"target": {adminEmail}}).expect(t, "member sends a request", 403)
		grace.post("/app/users/"+bobID+"/remove", nil).redirects(t, "remove", "/app/users")
		if strings.Contains(grace.get("/app/users").body, "Bob Navy") {
			t.Fatal("Bob was not removed")
		}
	})
}
