package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
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
