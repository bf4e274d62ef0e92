package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// org is an agency with its admin, for the organisation tests.
type org struct {
	s       *testkit.Server
	admin   *testkit.APIClient
	adminID string
	id      string
	n       int
}

func newOrg(t *testing.T, e db.Dialect) *org {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	admin, adminID, ag := s.Signup(t, "Ada Admin", "ada@example.com", "Acme Agency", "agency")
	return &org{s: s, admin: admin, adminID: adminID, id: ag}
}

// join signs a new user up (with a client account of their own) and makes
// them a member of the agency with the role.
func (o *org) join(t *testing.T, name, role string) (*testkit.APIClient, string) {
	t.Helper()
	o.n++
	email := fmt.Sprintf("%s%d@example.com", strings.ToLower(strings.Fields(name)[0]), o.n)
	c, uid, _ := o.s.Signup(t, name, email, name+" Own", "client")
	o.s.AddMember(t, o.id, uid, role)
	return c, uid
}

func (o *org) path(rest string) string { return "/api/v1/agencies/" + o.id + rest }

// count runs a COUNT(*) query on the server's database.
func count(t *testing.T, s *testkit.Server, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// events returns the audit events of an account with the action, newest first.
func events(t *testing.T, c *testkit.APIClient, accountID, action string) []map[string]any {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/accounts/"+accountID+"/audit?"+url.Values{"action": {action}}.Encode(), nil)
	var out []map[string]any
	for _, e := range r.Body["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func list(r testkit.Response, key string) []map[string]any {
	var out []map[string]any
	for _, v := range r.Body[key].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// wantError checks an error answer: its status, its code ("" for any) and
// its field ("" for any).
func wantError(t *testing.T, r testkit.Response, status int, code, field string) {
	t.Helper()
	e, _ := r.Body["error"].(map[string]any)
	if r.Status != status || (code != "" && r.Code() != code) || (field != "" && e["field"] != field) {
		t.Fatalf("got %d %s, want %d %s (field %q)", r.Status, r.Raw, status, code, field)
	}
}

// together runs the calls at the same moment and returns their statuses.
func together(calls ...func() int) []int {
	out := make([]int, len(calls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, c := range calls {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = c()
		}()
	}
	start.Done()
	done.Wait()
	return out
}

func TestAgencyMembersAndRoles(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		am, amID := o.join(t, "Bob Manager", "account_manager")
		viewer, viewerID := o.join(t, "Cy Viewer", "viewer")
		other, otherID, _ := o.s.Signup(t, "Olga Other", "olga@example.com", "Other Agency", "agency")
		_, _, client := o.s.Signup(t, "Cleo Client", "cleo@example.com", "Client Co", "client")
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: client, AccountManagers: []string{amID}})

		// Every member reads the list; nobody else sees it.
		for _, c := range []*testkit.APIClient{o.admin, am, viewer} {
			r := c.Must(t, 200, "GET", o.path("/members"), nil)
			ms := list(r, "members")
			if len(ms) != 3 || ms[0]["name"] != "Ada Admin" || ms[0]["role"] != "admin" || ms[0]["email"] != "ada@example.com" ||
				ms[0]["id"] != o.adminID || ms[0]["joined_at"] == nil || ms[1]["role"] != "account_manager" || ms[2]["id"] != viewerID {
				t.Fatalf("members: %s", r.Raw)
			}
		}
		if r := other.Do(t, "GET", o.path("/members"), nil); r.Status != 404 {
			t.Fatalf("another agency's admin: %d", r.Status)
		}
		// Pages of one, by cursor.
		var names []string
		for cursor := ""; ; {
			r := o.admin.Must(t, 200, "GET", o.path("/members?limit=1&cursor="+url.QueryEscape(cursor)), nil)
			for _, m := range list(r, "members") {
				names = append(names, m["name"].(string))
			}
			if cursor, _ = r.Body["next_cursor"].(string); cursor == "" {
				break
			}
		}
		if !slices.Equal(names, []string{"Ada Admin", "Bob Manager", "Cy Viewer"}) {
			t.Fatalf("paged names %v", names)
		}
		wantError(t, o.admin.Do(t, "GET", o.path("/members?cursor=garbage!"), nil), 400, "invalid_cursor", "cursor")

		// Only admins change roles.
		wantError(t, am.Do(t, "PATCH", o.path("/members/"+viewerID), map[string]any{"role": "member"}), 403, "forbidden", "")
		wantError(t, o.admin.Do(t, "PATCH", o.path("/members/"+viewerID), map[string]any{"role": "owner"}), 400, "invalid_role", "role")
		wantError(t, o.admin.Do(t, "PATCH", o.path("/members/"+otherID), map[string]any{"role": "member"}), 404, "not_found", "")
		if r := o.admin.Must(t, 200, "GET", o.path("/members"), nil); list(r, "members")[2]["role"] != "viewer" {
			t.Fatalf("a refused change changed the role: %s", r.Raw)
		}

		// An account manager who stops being one loses their assignments.
		r := o.admin.Must(t, 200, "PATCH", o.path("/members/"+amID), map[string]any{"role": "member"})
		if r.Body["role"] != "member" || r.Body["id"] != amID || r.Body["email"] == nil {
			t.Fatalf("role change: %s", r.Raw)
		}
		if n := count(t, o.s, `SELECT COUNT(*) FROM client_account_managers WHERE user_id = ?`, amID); n != 0 {
			t.Fatalf("assignments kept: %d", n)
		}
		ev := events(t, o.admin, o.id, "member.role_change")
		if len(ev) != 1 || ev[0]["target_id"] != amID || ev[0]["actor_id"] != o.adminID ||
			ev[0]["before"].(map[string]any)["role"] != "account_manager" || ev[0]["after"].(map[string]any)["role"] != "member" ||
			fmt.Sprint(ev[0]["after"].(map[string]any)["unassigned_client_ids"]) != "["+client+"]" {
			t.Fatalf("audit: %v", ev)
		}
		// Setting the same role again changes nothing and audits nothing.
		o.admin.Must(t, 200, "PATCH", o.path("/members/"+amID), map[string]any{"role": "member"})
		if n := len(events(t, o.admin, o.id, "member.role_change")); n != 1 {
			t.Fatalf("no-op change audited: %d events", n)
		}

		// The last admin can be neither demoted nor removed.
		wantError(t, o.admin.Do(t, "PATCH", o.path("/members/"+o.adminID), map[string]any{"role": "member"}), 409, "last_admin", "")
		wantError(t, o.admin.Do(t, "DELETE", o.path("/members/"+o.adminID), nil), 409, "last_admin", "")
		// With a second admin, the first may step down.
		o.admin.Must(t, 200, "PATCH", o.path("/members/"+viewerID), map[string]any{"role": "admin"})
		o.admin.Must(t, 200, "PATCH", o.path("/members/"+o.adminID), map[string]any{"role": "viewer"})
		wantError(t, o.admin.Do(t, "PATCH", o.path("/members/"+viewerID), map[string]any{"role": "member"}), 403, "forbidden", "")
		wantError(t, viewer.Do(t, "DELETE", o.path("/members/"+viewerID), nil), 409, "last_admin", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND role = 'admin'`, o.id); n != 1 {
			t.Fatalf("%d admins", n)
		}
	})
}

// Two admins demoting (or removing) each other at the same moment must leave
// one admin: exactly one request wins; the other is refused (409 when it ran
// alongside, 403/404 when the first had already finished).
func TestAgencyLastAdminRace(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		second, secondID := o.join(t, "Bea Admin", "admin")
		// Tokens, because a removal ends the sessions working in the agency.
		first, second := o.admin.Token(t), second.Token(t)
		conflicts := 0
		for round := range 8 {
			var sts []int
			if round%2 == 0 {
				sts = together(
					func() int {
						return first.Do(t, "PATCH", o.path("/members/"+secondID), map[string]any{"role": "member"}).Status
					},
					func() int {
						return second.Do(t, "PATCH", o.path("/members/"+o.adminID), map[string]any{"role": "member"}).Status
					})
			} else {
				sts = together(
					func() int { return first.Do(t, "DELETE", o.path("/members/"+secondID), nil).Status },
					func() int { return second.Do(t, "DELETE", o.path("/members/"+o.adminID), nil).Status })
			}
			won := 200
			if round%2 == 1 {
				won = 204
			}
			wins := 0
			for _, st := range sts {
				switch st {
				case won:
					wins++
				case 409:
					conflicts++
				case 403, 404:
				default:
					t.Fatalf("round %d: statuses %v", round, sts)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: statuses %v, want exactly one success", round, sts)
			}
			var admins []string
			if err := o.s.DB.Select(context.Background(), &admins, `SELECT user_id FROM memberships WHERE account_id = ? AND role = 'admin'`, o.id); err != nil {
				t.Fatal(err)
			}
			if len(admins) != 1 {
				t.Fatalf("round %d: admins %v", round, admins)
			}
			// Put the loser back as an admin for the next round.
			winner, loserID := first, secondID
			if admins[0] == secondID {
				winner, loserID = second, o.adminID
			}
			if round%2 == 1 {
				o.s.AddMember(t, o.id, loserID, "admin")
			} else {
				winner.Must(t, 200, "PATCH", o.path("/members/"+loserID), map[string]any{"role": "admin"})
			}
		}
		t.Logf("%d of 8 rounds refused with 409 (the rest lost the access check after the winner finished)", conflicts)
	})
}

func TestAgencyRemoveMemberEndsAccess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		mo, moID := o.join(t, "Mo Member", "member")
		token := mo.Token(t)
		// One session working in the agency, one in Mo's own account.
		mo.Must(t, 200, "PUT", "/api/v1/me/account", map[string]any{"account_id": o.id})
		own := o.s.Login(t, "mo1@example.com", testkit.Password)
		var ownAccount string
		if err := o.s.DB.Get(context.Background(), &ownAccount, `SELECT account_id FROM memberships WHERE user_id = ? AND account_id <> ?`, moID, o.id); err != nil {
			t.Fatal(err)
		}
		own.Must(t, 200, "PUT", "/api/v1/me/account", map[string]any{"account_id": ownAccount})
		_, _, client := o.s.Signup(t, "Cleo Client", "cleo@example.com", "Client Co", "client")
		group := o.s.AddGroup(t, o.id, "Team", moID)
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: client, AccessUsers: []string{moID}, AccountManagers: []string{moID}})
		token.Must(t, 200, "GET", "/api/v1/accounts/"+o.id, nil)
		token.Must(t, 200, "GET", "/api/v1/accounts/"+client, nil)

		// Only admins remove; a stranger does not even see the agency.
		wantError(t, mo.Do(t, "DELETE", o.path("/members/"+o.adminID), nil), 403, "forbidden", "")
		o.admin.Must(t, 204, "DELETE", o.path("/members/"+moID), nil)

		// Access ends at once, by every route in.
		for _, p := range []string{"/api/v1/accounts/" + o.id, "/api/v1/accounts/" + client, o.path("/members"), o.path("/groups/" + group)} {
			if r := token.Do(t, "GET", p, nil); r.Status != 404 {
				t.Errorf("removed member's token on %s: %d", p, r.Status)
			}
		}
		if r := mo.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Errorf("session in the agency survived: %d", r.Status)
		}
		own.Must(t, 200, "GET", "/api/v1/me", nil) // the session elsewhere stays
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM memberships WHERE user_id = ? AND account_id = '` + o.id + `'`: 0,
			`SELECT COUNT(*) FROM group_members WHERE user_id = ?`:                               0,
			`SELECT COUNT(*) FROM link_access_users WHERE user_id = ?`:                           0,
			`SELECT COUNT(*) FROM client_account_managers WHERE user_id = ?`:                     0,
			`SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`:             1,
		} {
			if n := count(t, o.s, q, moID); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		ev := events(t, o.admin, o.id, "member.remove")
		if len(ev) != 1 || ev[0]["target_id"] != moID {
			t.Fatalf("audit: %v", ev)
		}
		before, after := ev[0]["before"].(map[string]any), ev[0]["after"].(map[string]any)
		if before["role"] != "member" || before["email"] != "mo1@example.com" || fmt.Sprint(before["group_ids"]) != "["+group+"]" ||
			fmt.Sprint(before["account_manager_of"]) != "["+client+"]" || after["sessions_ended"] != float64(1) {
			t.Fatalf("audit: %v", ev[0])
		}
		wantError(t, o.admin.Do(t, "DELETE", o.path("/members/"+moID), nil), 404, "not_found", "")
	})
}

func TestAgencyGroups(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		mem, memID := o.join(t, "Mia Member", "member")
		otherAdmin, _, otherAgency := o.s.Signup(t, "Olga Other", "olga@example.com", "Other Agency", "agency")
		_, outsiderID := (&org{s: o.s, id: otherAgency, n: 50}).join(t, "Oscar Outsider", "member")
		foreign := o.s.AddGroup(t, otherAgency, "Theirs")

		r := o.admin.Must(t, 201, "POST", o.path("/groups"), map[string]any{"name": "  Designers "})
		g := r.Body["id"].(string)
		if r.Body["name"] != "Designers" || len(r.Body["members"].([]any)) != 0 || !strings.HasPrefix(g, "grp_") {
			t.Fatalf("create: %s", r.Raw)
		}
		wantError(t, o.admin.Do(t, "POST", o.path("/groups"), map[string]any{"name": "DESIGNERS"}), 409, "name_taken", "")
		wantError(t, o.admin.Do(t, "POST", o.path("/groups"), map[string]any{"name": "   "}), 400, "invalid_name", "name")
		wantError(t, o.admin.Do(t, "POST", o.path("/groups"), map[string]any{"name": strings.Repeat("é", 81)}), 400, "invalid_name", "name")
		wantError(t, o.admin.Do(t, "POST", o.path("/groups"), map[string]any{"name": "a\nb"}), 400, "invalid_name", "name")
		wantError(t, o.admin.Do(t, "POST", o.path("/groups"), map[string]any{}), 400, "invalid_name", "name")
		o.admin.Must(t, 201, "POST", o.path("/groups"), map[string]any{"name": strings.Repeat("é", 80)})
		wantError(t, mem.Do(t, "POST", o.path("/groups"), map[string]any{"name": "Mine"}), 403, "forbidden", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM agency_groups WHERE agency_id = ?`, o.id); n != 2 {
			t.Fatalf("%d groups after refused creations", n)
		}

		// Members: only the agency's own.
		r = o.admin.Must(t, 200, "PUT", o.path("/groups/"+g+"/members"), map[string]any{"user_ids": []string{memID, o.adminID, memID}})
		if ms := r.Body["members"].([]any); len(ms) != 2 || ms[0].(map[string]any)["name"] != "Ada Admin" {
			t.Fatalf("members: %s", r.Raw)
		}
		for _, bad := range [][]string{{memID, outsiderID}, {""}, {"usr_nosuchuser"}} {
			wantError(t, o.admin.Do(t, "PUT", o.path("/groups/"+g+"/members"), map[string]any{"user_ids": bad}), 400, "invalid_user_ids", "user_ids")
		}
		wantError(t, o.admin.Do(t, "PUT", o.path("/groups/"+g+"/members"), map[string]any{}), 400, "invalid_user_ids", "user_ids")
		wantError(t, mem.Do(t, "PUT", o.path("/groups/"+g+"/members"), map[string]any{"user_ids": []string{}}), 403, "forbidden", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM group_members WHERE group_id = ?`, g); n != 2 {
			t.Fatalf("refused PUT changed the members: %d", n)
		}

		// Every member reads; pages of one.
		r = mem.Must(t, 200, "GET", o.path("/groups?limit=1"), nil)
		if gs := list(r, "groups"); len(gs) != 1 || gs[0]["id"] != g || len(gs[0]["members"].([]any)) != 2 || r.Body["next_cursor"] == "" {
			t.Fatalf("list: %s", r.Raw)
		}
		r = mem.Must(t, 200, "GET", o.path("/groups?limit=1&cursor="+r.Body["next_cursor"].(string)), nil)
		if gs := list(r, "groups"); len(gs) != 1 || gs[0]["id"] == g || r.Body["next_cursor"] != "" {
			t.Fatalf("page 2: %s", r.Raw)
		}
		mem.Must(t, 200, "GET", o.path("/groups/"+g), nil)

		// Rename, with the same uniqueness.
		o.admin.Must(t, 201, "POST", o.path("/groups"), map[string]any{"name": "Writers"})
		r = o.admin.Must(t, 200, "PATCH", o.path("/groups/"+g), map[string]any{"name": "Design Team"})
		if r.Body["name"] != "Design Team" || len(r.Body["members"].([]any)) != 2 {
			t.Fatalf("rename: %s", r.Raw)
		}
		wantError(t, o.admin.Do(t, "PATCH", o.path("/groups/"+g), map[string]any{"name": "writers"}), 409, "name_taken", "")
		o.admin.Must(t, 200, "PATCH", o.path("/groups/"+g), map[string]any{"name": "design team"}) // its own name, another case

		// Another agency's group is not found through this agency, and
		// this agency's groups are not found by another agency.
		for _, c := range []struct {
			method, path string
			body         any
		}{{"GET", "/groups/" + foreign, nil}, {"PATCH", "/groups/" + foreign, map[string]any{"name": "X"}},
			{"DELETE", "/groups/" + foreign, nil}, {"PUT", "/groups/" + foreign + "/members", map[string]any{"user_ids": []string{}}}} {
			wantError(t, o.admin.Do(t, c.method, o.path(c.path), c.body), 404, "not_found", "")
		}
		wantError(t, otherAdmin.Do(t, "GET", o.path("/groups/"+g), nil), 404, "not_found", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM agency_groups WHERE id = ? AND name = 'Theirs'`, foreign); n != 1 {
			t.Fatal("another agency's group changed")
		}

		// Deleting a group ends the access it gave.
		_, _, client := o.s.Signup(t, "Cleo Client", "cleo@example.com", "Client Co", "client")
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: client, AccessGroups: []string{g}})
		mem.Must(t, 200, "GET", "/api/v1/accounts/"+client, nil)
		wantError(t, mem.Do(t, "DELETE", o.path("/groups/"+g), nil), 403, "forbidden", "")
		o.admin.Must(t, 204, "DELETE", o.path("/groups/"+g), nil)
		wantError(t, mem.Do(t, "GET", "/api/v1/accounts/"+client, nil), 404, "not_found", "")
		wantError(t, o.admin.Do(t, "GET", o.path("/groups/"+g), nil), 404, "not_found", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM group_members WHERE group_id = ?`, g) +
			count(t, o.s, `SELECT COUNT(*) FROM link_access_groups WHERE group_id = ?`, g); n != 0 {
			t.Fatalf("%d rows left", n)
		}

		for action, n := range map[string]int{"group.create": 3, "group.rename": 2, "group.members": 1, "group.delete": 1} {
			if got := len(events(t, o.admin, o.id, action)); got != n {
				t.Errorf("%s: %d events, want %d", action, got, n)
			}
		}
		del := events(t, o.admin, o.id, "group.delete")[0]
		if b := del["before"].(map[string]any); b["name"] != "design team" || len(b["user_ids"].([]any)) != 2 || len(b["link_access"].([]any)) != 1 {
			t.Fatalf("group.delete audit: %v", del)
		}
	})
}

func TestAgencySettings(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		viewer, _ := o.join(t, "Vic Viewer", "viewer")
		other, _, _ := o.s.Signup(t, "Olga Other", "olga@example.com", "Other Agency", "agency")
		defaults := `{"at_risk_days":14,"churn_days":45,"client_invite_ttl_days":14,"team_invite_ttl_days":7,"impersonation_idle_minutes":15,"impersonation_reason_required":false,"notify_client_on_impersonation":true,"timezone":"UTC","headline_metrics":[],"require_2fa":false,"require_2fa_login_as":false}`
		get := func(c *testkit.APIClient) string {
			t.Helper()
			return strings.TrimSpace(string(c.Must(t, 200, "GET", o.path("/settings"), nil).Raw))
		}
		if got := get(viewer); got != defaults {
			t.Fatalf("defaults: %s", got)
		}
		wantError(t, other.Do(t, "GET", o.path("/settings"), nil), 404, "not_found", "")
		wantError(t, viewer.Do(t, "PUT", o.path("/settings"), map[string]any{"at_risk_days": 20}), 403, "forbidden", "")

		for _, c := range []struct {
			body  string
			field string
		}{
			{`{"at_risk_days":0}`, "at_risk_days"},
			{`{"at_risk_days":366}`, "at_risk_days"},
			{`{"churn_days":1}`, "churn_days"},
			{`{"churn_days":731}`, "churn_days"},
			{`{"churn_days":14}`, "churn_days"}, // not more than the current at_risk_days
			{`{"at_risk_days":50}`, "churn_days"},
			{`{"at_risk_days":30,"churn_days":30}`, "churn_days"},
			{`{"client_invite_ttl_days":0}`, "client_invite_ttl_days"},
			{`{"client_invite_ttl_days":91}`, "client_invite_ttl_days"},
			{`{"team_invite_ttl_days":0}`, "team_invite_ttl_days"},
			{`{"team_invite_ttl_days":91}`, "team_invite_ttl_days"},
			{`{"impersonation_idle_minutes":4}`, "impersonation_idle_minutes"},
			{`{"impersonation_idle_minutes":481}`, "impersonation_idle_minutes"},
			{`{"at_risk_days":"20"}`, "at_risk_days"},
			{`{"at_risk_days":1.5}`, "at_risk_days"},
		} {
			r := o.admin.Do(t, "PUT", o.path("/settings"), c.body)
			if e, _ := r.Body["error"].(map[string]any); r.Status != 400 || e["field"] != c.field {
				t.Errorf("%s: %d %s, want 400 on %s", c.body, r.Status, r.Raw, c.field)
			}
		}
		if got := get(o.admin); got != defaults {
			t.Fatalf("refused updates changed the settings: %s", got)
		}
		if n := count(t, o.s, `SELECT COUNT(*) FROM agency_settings`); n != 0 {
			t.Fatalf("%d rows after refused updates", n)
		}

		full := `{"at_risk_days":30,"churn_days":90,"client_invite_ttl_days":30,"team_invite_ttl_days":3,"impersonation_idle_minutes":60,"impersonation_reason_required":true,"notify_client_on_impersonation":false,"timezone":"Europe/Paris","headline_metrics":[],"require_2fa":true,"require_2fa_login_as":true}`
		if r := o.admin.Must(t, 200, "PUT", o.path("/settings"), full); strings.TrimSpace(string(r.Raw)) != full {
			t.Fatalf("put: %s", r.Raw)
		}
		if got := get(viewer); got != full {
			t.Fatalf("round trip: %s", got)
		}
		// Omitted fields keep their values.
		o.admin.Must(t, 200, "PUT", o.path("/settings"), `{"team_invite_ttl_days":9}`)
		if got := get(o.admin); got != strings.Replace(full, `"team_invite_ttl_days":3`, `"team_invite_ttl_days":9`, 1) {
			t.Fatalf("partial: %s", got)
		}
		o.admin.Must(t, 200, "PUT", o.path("/settings"), `{}`) // nothing to change, nothing audited

		ev := events(t, o.admin, o.id, "settings.update")
		if len(ev) != 2 {
			t.Fatalf("%d settings.update events", len(ev))
		}
		first := ev[1]
		if b, a := first["before"].(map[string]any), first["after"].(map[string]any); b["churn_days"] != float64(45) || a["churn_days"] != float64(90) ||
			first["actor_id"] != o.adminID || first["account_id"] != o.id {
			t.Fatalf("audit: %v", first)
		}
	})
}

func TestAgencyBrands(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		mem, _ := o.join(t, "Mia Member", "member")
		other, _, otherAgency := o.s.Signup(t, "Olga Other", "olga@example.com", "Other Agency", "agency")
		c1Admin, _, c1 := o.s.Signup(t, "Cleo One", "cleo1@example.com", "Client One", "client")
		_, _, c2 := o.s.Signup(t, "Cleo Two", "cleo2@example.com", "Client Two", "client")
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: c1})
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: c2})

		r := o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "Nike"})
		nike := r.Body["id"].(string)
		if r.Body["name"] != "Nike" || r.Body["clients"] != float64(0) || r.Body["created_at"] == nil || !strings.HasPrefix(nike, "brd_") {
			t.Fatalf("create: %s", r.Raw)
		}
		wantError(t, o.admin.Do(t, "POST", o.path("/brands"), map[string]any{"name": "NIKE"}), 409, "name_taken", "")
		wantError(t, o.admin.Do(t, "POST", o.path("/brands"), map[string]any{"name": ""}), 400, "invalid_name", "name")
		wantError(t, mem.Do(t, "POST", o.path("/brands"), map[string]any{"name": "Reebok"}), 403, "forbidden", "")
		adidas := o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "adidas"}).Body["id"].(string)
		puma := o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "Puma_1"}).Body["id"].(string)
		// The same name in another agency is fine.
		other.Must(t, 201, "POST", "/api/v1/agencies/"+otherAgency+"/brands", map[string]any{"name": "Nike"})

		names := func(r testkit.Response) []string {
			var out []string
			for _, b := range list(r, "brands") {
				out = append(out, b["name"].(string))
			}
			return out
		}
		if got := names(mem.Must(t, 200, "GET", o.path("/brands"), nil)); !slices.Equal(got, []string{"adidas", "Nike", "Puma_1"}) {
			t.Fatalf("list: %v", got)
		}
		for q, want := range map[string][]string{"IK": {"Nike"}, "a": {"adidas", "Puma_1"}, "%": nil, "_": {"Puma_1"}, "zz": nil} {
			if got := names(mem.Must(t, 200, "GET", o.path("/brands?q="+url.QueryEscape(q)), nil)); !slices.Equal(got, want) {
				t.Errorf("q=%s: %v, want %v", q, got, want)
			}
		}
		r = mem.Must(t, 200, "GET", o.path("/brands?limit=2"), nil)
		if got := names(r); len(got) != 2 || r.Body["next_cursor"] == "" {
			t.Fatalf("page 1: %s", r.Raw)
		}
		if got := names(mem.Must(t, 200, "GET", o.path("/brands?limit=2&cursor="+r.Body["next_cursor"].(string)), nil)); !slices.Equal(got, []string{"Puma_1"}) {
			t.Fatalf("page 2: %v", got)
		}

		// One brand, by its own routes.
		mem.Must(t, 200, "GET", "/api/v1/brands/"+nike, nil)
		r = o.admin.Must(t, 200, "PATCH", "/api/v1/brands/"+nike, map[string]any{"name": "Nike Inc"})
		if r.Body["name"] != "Nike Inc" || r.Body["id"] != nike {
			t.Fatalf("rename: %s", r.Raw)
		}
		wantError(t, o.admin.Do(t, "PATCH", "/api/v1/brands/"+puma, map[string]any{"name": "nike inc"}), 409, "name_taken", "")
		wantError(t, mem.Do(t, "PATCH", "/api/v1/brands/"+puma, map[string]any{"name": "Puma"}), 403, "forbidden", "")
		for _, c := range []*testkit.APIClient{other, c1Admin} {
			for _, m := range []string{"GET", "PATCH"} {
				wantError(t, c.Do(t, m, "/api/v1/brands/"+nike, map[string]any{"name": "Mine"}), 404, "not_found", "")
			}
		}

		// Clients with access are counted.
		for _, cb := range [][2]string{{c1, nike}, {c2, nike}, {c1, adidas}} {
			if _, err := o.s.DB.Exec(context.Background(), `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				cb[0], cb[1], o.s.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if r := mem.Must(t, 200, "GET", "/api/v1/brands/"+nike, nil); r.Body["clients"] != float64(2) {
			t.Fatalf("clients: %s", r.Raw)
		}
		for action, n := range map[string]int{"brand.create": 3, "brand.rename": 1} {
			if got := len(events(t, o.admin, o.id, action)); got != n {
				t.Errorf("%s: %d events, want %d", action, got, n)
			}
		}
	})
}

// Deleting a brand takes every client's access to it away in the same
// transaction and says so on the agency's log and on each client's.
func TestAgencyBrandDelete(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		o := newOrg(t, e)
		mem, _ := o.join(t, "Mia Member", "member")
		other, _, _ := o.s.Signup(t, "Olga Other", "olga@example.com", "Other Agency", "agency")
		c1Admin, _, c1 := o.s.Signup(t, "Cleo One", "cleo1@example.com", "Client One", "client")
		_, _, c2 := o.s.Signup(t, "Cleo Two", "cleo2@example.com", "Client Two", "client")
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: c1})
		o.s.AddLink(t, testkit.LinkFixture{AgencyID: o.id, ClientID: c2})
		nike := o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "Nike"}).Body["id"].(string)
		adidas := o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "Adidas"}).Body["id"].(string)
		for _, cb := range [][2]string{{c1, nike}, {c2, nike}, {c1, adidas}} {
			if _, err := o.s.DB.Exec(context.Background(), `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				cb[0], cb[1], o.s.Now()); err != nil {
				t.Fatal(err)
			}
		}

		for _, c := range []*testkit.APIClient{other, c1Admin} {
			wantError(t, c.Do(t, "DELETE", "/api/v1/brands/"+nike, nil), 404, "not_found", "")
		}
		wantError(t, mem.Do(t, "DELETE", "/api/v1/brands/"+nike, nil), 403, "forbidden", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM client_brands WHERE brand_id = ?`, nike); n != 2 {
			t.Fatalf("a refused delete changed access: %d", n)
		}
		o.admin.Must(t, 204, "DELETE", "/api/v1/brands/"+nike, nil)
		wantError(t, o.admin.Do(t, "GET", "/api/v1/brands/"+nike, nil), 404, "not_found", "")
		wantError(t, o.admin.Do(t, "DELETE", "/api/v1/brands/"+nike, nil), 404, "not_found", "")
		if n := count(t, o.s, `SELECT COUNT(*) FROM client_brands WHERE brand_id = ?`, nike); n != 0 {
			t.Fatalf("%d client_brands rows left", n)
		}
		if n := count(t, o.s, `SELECT COUNT(*) FROM client_brands WHERE brand_id = ?`, adidas); n != 1 {
			t.Fatalf("another brand's access went too: %d", n)
		}
		ev := events(t, o.admin, o.id, "brand.delete")
		if len(ev) != 1 || ev[0]["target_id"] != nike || ev[0]["actor_id"] != o.adminID {
			t.Fatalf("audit: %v", ev)
		}
		var lost []string
		for _, c := range ev[0]["before"].(map[string]any)["client_ids"].([]any) {
			lost = append(lost, c.(string))
		}
		slices.Sort(lost)
		want := []string{c1, c2}
		slices.Sort(want)
		if !slices.Equal(lost, want) || ev[0]["before"].(map[string]any)["name"] != "Nike" {
			t.Fatalf("audit: %v", ev[0])
		}
		if ev := events(t, c1Admin, c1, "brand.delete"); len(ev) != 1 || ev[0]["target_id"] != nike {
			t.Fatalf("the client's log: %v", ev)
		}
		// The name is free again.
		o.admin.Must(t, 201, "POST", o.path("/brands"), map[string]any{"name": "NIKE"})
	})
}
