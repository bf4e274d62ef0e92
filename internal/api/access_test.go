package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// persona is one caller of the access walk: a role in one of the tenants, a
// stranger (a user of an unrelated account), or nobody (no credentials).
type persona struct {
	name   string
	client *testkit.APIClient
	roles  map[string]authz.Role // account ID → role there (direct, or linked for clients)
	op     bool
	// via is the agency through which the persona sees client C: the
	// agency of a linked role, or of a Login As; "" for C's own users.
	via string
}

// world is three agencies and a client, a user in every role, a group,
// links and brands: agency A is linked to client C (active; A's member sees
// C through a group, A's account manager is assigned, A's viewer does not
// see it), agency B has a pending request to C, and agency D shares C with
// A (an active link of its own, issue 15): D's admin sees C, but none of
// A's invitations, and A none of D's.
type world struct {
	s                *testkit.Server
	agencyA, agencyB string
	agencyD          string
	clientC          string
	linkAC, linkBC   string
	brandA, brandB   string
	reportA, reportB string
	// data sources of A and of B (issue 17), and their tokens
	sourceA, sourceB       string
	sourceTokA, sourceTokB string
	// report templates of A and B, and schedules on reportA and reportB
	// (issue 17)
	templateA, templateB string
	scheduleA, scheduleB string
	// webhook endpoints of A and of B (issue 21), and a delivery of each
	webhookA, webhookB   string
	deliveryA, deliveryB string
	// invitations into C (by A, and by D), into A and into B (staff)
	invC, invA, invB string
	invCbyD          string
	personas         []persona
	// perms are client C's permissions as agency A set them (clientGated).
	perms map[string]bool
}

// clientGated are the routes that a client's own users — and an agency
// user logged in as the client — may use only while a client permission is
// on, on top of their role (seed 001: client admins manage billing
// information only when the agency enabled manage_billing). Written apart
// from authz, as the matrix cells are; the walk tries these routes with the
// permission off and on.
var clientGated = map[string]string{
	"GET /api/v1/accounts/{id}/billing-details": "manage_billing",
	"PUT /api/v1/accounts/{id}/billing-details": "manage_billing",
}

// newWorld builds the world; every persona calls with an API token (so that
// logout and session routes do not end the persona's own access halfway
// through the walk).
func newWorld(t *testing.T, e db.Dialect) *world { return newWorldWith(t, e, nil) }

// newWorldWith is newWorld where agency A turned client C's permissions in
// perms on (manage_billing is off by default; the others are on).
func newWorldWith(t *testing.T, e db.Dialect, perms map[string]bool) *world {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &world{s: s, perms: map[string]bool{}}
	ctx := context.Background()
	l, err := s.Signups.Setup(ctx, auth.SignupInput{Name: "Op Admin", Email: "a-admin@example.com", Password: testkit.Password, AccountName: "Agency A", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	w.agencyA = l.Account.ID
	adminA := s.Login(t, "a-admin@example.com", testkit.Password)
	bc, bAdminID, b := s.Signup(t, "B Admin", "b-admin@example.com", "Agency B", "agency")
	w.agencyB = b
	cc, _, c := s.Signup(t, "C Admin", "c-admin@example.com", "Client C", "client")
	w.clientC = c
	sc, _, _ := s.Signup(t, "Stranger", "stranger@example.com", "Elsewhere", "client")
	var asClient *testkit.APIClient
	add := func(name, email, acc, role string) (*testkit.APIClient, string) {
		cl, uid, _ := s.Signup(t, name, email, name+" Own", "client")
		s.AddMember(t, acc, uid, role)
		return cl, uid
	}
	am, amID := add("A AM", "a-am@example.com", w.agencyA, "account_manager")
	mem, memID := add("A Member", "a-member@example.com", w.agencyA, "member")
	view, _ := add("A Viewer", "a-viewer@example.com", w.agencyA, "viewer")
	cmem, _ := add("C Member", "c-member@example.com", w.clientC, "member")
	group := s.AddGroup(t, w.agencyA, "Team Blue", memID)
	w.linkAC = s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyA, ClientID: w.clientC, AccessGroups: []string{group}, AccountManagers: []string{amID}})
	w.linkBC = s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyB, ClientID: w.clientC, Status: "pending"})
	dc, _, d := s.Signup(t, "D Admin", "d-admin@example.com", "Agency D", "agency")
	w.agencyD = d
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyD, ClientID: w.clientC})
	w.brandA = s.AddBrand(t, w.agencyA, "Brand of A")
	w.brandB = s.AddBrand(t, w.agencyB, "Brand of B")
	w.reportA = adminA.Must(t, 201, "POST", "/api/v1/brands/"+w.brandA+"/reports", map[string]any{"title": "A's report"}).Body["id"].(string)
	w.reportB = bc.Must(t, 201, "POST", "/api/v1/brands/"+w.brandB+"/reports", map[string]any{"title": "B's report"}).Body["id"].(string)
	srcA := adminA.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyA+"/sources", map[string]any{"name": "A's source"})
	w.sourceA, w.sourceTokA = srcA.Body["id"].(string), srcA.Body["token"].(string)
	srcB := bc.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyB+"/sources", map[string]any{"name": "B's source"})
	w.sourceB, w.sourceTokB = srcB.Body["id"].(string), srcB.Body["token"].(string)
	w.templateA = adminA.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyA+"/report-templates", map[string]any{"report_id": w.reportA}).Body["id"].(string)
	w.templateB = bc.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyB+"/report-templates", map[string]any{"report_id": w.reportB}).Body["id"].(string)
	weekly := func(uid string) map[string]any {
		return map[string]any{"frequency": "weekly", "weekday": "monday", "recipients": []map[string]any{{"kind": "user", "user_id": uid}}}
	}
	w.scheduleA = adminA.Must(t, 201, "POST", "/api/v1/reports/"+w.reportA+"/schedules", weekly(l.User.ID)).Body["id"].(string)
	w.scheduleB = bc.Must(t, 201, "POST", "/api/v1/reports/"+w.reportB+"/schedules", weekly(bAdminID)).Body["id"].(string)
	// Endpoints on a name that never resolves (.invalid): a delivery the
	// walk causes fails at once instead of reaching out.
	hook := map[string]any{"url": "https://hooks.example.invalid/liaison", "events": []string{"invitation.sent"}}
	w.webhookA = adminA.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyA+"/webhooks", hook).Body["id"].(string)
	w.webhookB = bc.Must(t, 201, "POST", "/api/v1/agencies/"+w.agencyB+"/webhooks", hook).Body["id"].(string)
	// C has brand A, so its users read brand A's data and reports (issue 16).
	if _, err := s.DB.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, w.clientC, w.brandA, s.Now()); err != nil {
		t.Fatal(err)
	}
	if len(perms) > 0 {
		adminA.Must(t, 200, "PATCH", "/api/v1/agencies/"+w.agencyA+"/clients/"+w.clientC, map[string]any{"permissions": perms})
		for k, v := range perms {
			w.perms[k] = v
		}
	}
	asClient = s.Login(t, "a-am@example.com", testkit.Password)
	asClient.Must(t, 200, "POST", "/api/v1/agencies/"+w.agencyA+"/clients/"+w.clientC+"/impersonate", nil)
	A, B, C := w.agencyA, w.agencyB, w.clientC
	w.invC = adminA.Must(t, 201, "POST", "/api/v1/accounts/"+C+"/invitations", map[string]any{"email": "inv-c@example.com", "role": "member"}).Body["id"].(string)
	w.invA = adminA.Must(t, 201, "POST", "/api/v1/agencies/"+A+"/members", map[string]any{"email": "inv-a@example.com", "role": "member"}).Body["id"].(string)
	w.invB = bc.Must(t, 201, "POST", "/api/v1/agencies/"+B+"/members", map[string]any{"email": "inv-b@example.com", "role": "member"}).Body["id"].(string)
	w.invCbyD = dc.Must(t, 201, "POST", "/api/v1/accounts/"+C+"/invitations", map[string]any{"email": "inv-c-by-d@example.com", "role": "member"}).Body["id"].(string)
	// The staff invitations above are events: each endpoint has a delivery.
	for _, p := range [][2]*string{{&w.deliveryA, &w.webhookA}, {&w.deliveryB, &w.webhookB}} {
		if err := s.DB.Get(ctx, p[0], `SELECT id FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id LIMIT 1`, *p[1]); err != nil {
			t.Fatalf("no delivery of %s: %v", *p[1], err)
		}
	}
	w.personas = []persona{
		{"agency A admin (operator)", adminA.Token(t), map[string]authz.Role{A: authz.AgencyAdmin, C: authz.LinkedAdmin}, true, A},
		{"agency A account manager", am.Token(t), map[string]authz.Role{A: authz.AgencyAccountManager, C: authz.LinkedAccountManager}, false, A},
		{"agency A member", mem.Token(t), map[string]authz.Role{A: authz.AgencyMember, C: authz.LinkedMember}, false, A},
		{"agency A viewer", view.Token(t), map[string]authz.Role{A: authz.AgencyViewer}, false, ""},
		{"agency B admin", bc.Token(t), map[string]authz.Role{B: authz.AgencyAdmin}, false, ""},
		{sharingPersona, dc.Token(t), map[string]authz.Role{w.agencyD: authz.AgencyAdmin, C: authz.LinkedAdmin}, false, w.agencyD},
		{"client C admin", cc.Token(t), map[string]authz.Role{C: authz.ClientAdmin}, false, ""},
		{"client C member", cmem.Token(t), map[string]authz.Role{C: authz.ClientMember}, false, ""},
		{"stranger", sc.Token(t), nil, false, ""},
		{"nobody", s.NewClient(), nil, false, ""},
		// Login As needs a browser session: this persona uses a cookie.
		{asClientPersona, asClient, map[string]authz.Role{C: authz.ClientAdmin}, false, A},
	}
	return w
}

// asClientPersona is an agency user in Login As on client C (issue 7), who
// must be that client's admin and nothing else.
const asClientPersona = "agency A account manager as client C (Login As)"

// sharingPersona is the admin of the other agency that shares client C
// with agency A (issue 15): C is theirs to see through their own link, and
// nothing of A's in it is.
const sharingPersona = "agency D admin (shares client C with A)"

// TestEveryRouteAsEveryRole walks the route table: every route, as each role
// of two agencies, as the admin of a third agency that shares the client
// (issue 15), as client admin and member, as a stranger and as nobody,
// against each tenant's resources, and compares the answer with SPEC §1. A
// route that changes state gets a fresh world, so one call cannot change
// what the next one sees.
func TestEveryRouteAsEveryRole(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		// The world is built once per engine (and once more with the
		// gated permission on); every world of the walk is a copy of it
		// (world_snapshot_test.go).
		snap, snapOn := snapshotWorld(t, e, nil), map[string]*worldSnapshot{}
		for _, perm := range clientGated {
			if snapOn[perm] == nil {
				snapOn[perm] = snapshotWorld(t, e, map[string]bool{perm: true})
			}
		}
		w := snap.start(t)
		routes := w.s.API.Routes()
		if len(routes) < 10 {
			t.Fatalf("route table has %d routes", len(routes))
		}
		for _, rt := range routes {
			// A route that changes state gets a world of its own, a copy
			// stopped when it is given up for a fresh one (walkFresh) or
			// when its subtest ends (PostgreSQL has a connection limit).
			key := rt.Method + " " + rt.Path
			perm, gated := clientGated[key]
			if p, ok := authz.Gated(rt.Access.Action); ok != gated || (ok && string(p) != perm) {
				t.Errorf("%s: authz gates it by %q, the walk expects %q", key, p, perm)
			}
			t.Run(key, func(t *testing.T) {
				t.Parallel()
				if rt.Method == http.MethodGet {
					w.walk(t, rt, nil)
				} else {
					snap.walkFresh(t, rt)
				}
				if gated { // and again with the permission on
					if rt.Method == http.MethodGet {
						snapOn[perm].start(t).walk(t, rt, nil)
					} else {
						snapOn[perm].walkFresh(t, rt)
					}
				}
			})
		}
	})
}

// walk tries one route on each of its targets as every persona. For a
// route that changes state, fresh makes a new world after every call that
// succeeded (a DELETE that worked, say), so that no call changes what the
// next persona meets; targets come in a fixed order, so the same target is
// found again in the new world.
func (w *world) walk(t *testing.T, rt api.Route, fresh func() *world) {
	for ti := range w.targets(rt) {
		for pi := range w.personas {
			tg, p := w.targets(rt)[ti], w.personas[pi]
			path := fill(rt.Path, tg.params)
			r := p.client.Do(t, rt.Method, path, body(rt.Method))
			if fresh != nil && r.Status < 300 {
				w = fresh()
			}
			where := rt.Method + " " + path + " as " + p.name
			if r.Status >= 500 {
				t.Errorf("%s: %d %s", where, r.Status, r.Raw)
				continue
			}
			if route := rt.Method + " " + rt.Path; p.name == asClientPersona && (refusedAsClient[route] || (rt.Access.Kind == api.User && !openAsClient[route])) {
				if r.Status != 403 || r.Code() != "impersonation_forbidden" {
					t.Errorf("%s: %d, want 403 impersonation_forbidden: %s", where, r.Status, r.Raw)
				}
				continue
			}
			if p.name == "nobody" {
				if rt.Access.Kind != api.Public && r.Status != 401 {
					t.Errorf("%s: %d, want 401", where, r.Status)
				}
				if rt.Access.Kind == api.Public && (r.Status == 401 || r.Status == 403) {
					t.Errorf("%s: public route answered %d", where, r.Status)
				}
				continue
			}
			switch rt.Access.Kind {
			case api.SourceToken:
				if r.Status != 401 || r.Code() != "source_token_only" {
					t.Errorf("%s: %d, want 401 source_token_only: %s", where, r.Status, r.Raw)
				}
			case api.Public, api.User:
				if r.Status == 401 || r.Status == 403 {
					t.Errorf("%s: %d for a logged-in user", where, r.Status)
				}
			case api.Operator:
				if !p.op && r.Status != 404 {
					t.Errorf("%s: non-operator got %d, want 404", where, r.Status)
				}
				if p.op && (r.Status == 401 || r.Status == 403) {
					t.Errorf("%s: operator got %d", where, r.Status)
				}
			default:
				visible, allowed := tg.expect(p)
				switch {
				case !visible && r.Status != 404:
					t.Errorf("%s: not visible, got %d, want 404: %s", where, r.Status, r.Raw)
				case visible && !allowed && r.Status != 403:
					t.Errorf("%s: may not %s, got %d, want 403: %s", where, rt.Access.Action, r.Status, r.Raw)
				case visible && allowed && (r.Status == 401 || r.Status == 403 ||
					(r.Status == 404 && !strings.Contains(path, "x_doesnotexist"))):
					t.Errorf("%s: allowed, got %d %s", where, r.Status, r.Raw)
				}
			}
		}
	}
}
