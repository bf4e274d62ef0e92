package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

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
