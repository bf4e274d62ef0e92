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

// refusedAsClient is SPEC §6 and issue 7 written out apart from the api
// package: what nobody may do while logged in as a client (403), whatever
// the target. Every other User route but these three is refused too.
var refusedAsClient = map[string]bool{
	"POST /api/v1/agencies/{id}/clients/{client_id}/impersonate": true,
	"POST /api/v1/links/{id}/accept":                             true,
	"POST /api/v1/links/{id}/decline":                            true,
	"DELETE /api/v1/links/{id}":                                  true,
	// Issue 21: end dates are the link's admins' (authz.LinkDisconnect).
	"PUT /api/v1/links/{id}/end":               true,
	"POST /api/v1/links/{id}/end/extend":       true,
	"POST /api/v1/tokens":                      true,
	"GET /api/v1/accounts/{id}/impersonations": true,
	"GET /api/v1/accounts/{id}/security":       true,
	"PUT /api/v1/accounts/{id}/security":       true,
	// SPEC §6: nobody changes client users' passwords during Login As.
	"POST /api/v1/accounts/{id}/users/{user_id}/password-reset": true,
}

var openAsClient = map[string]bool{"GET /api/v1/me": true, "POST /api/v1/logout": true, "POST /api/v1/impersonation/end": true,
	"POST /api/v1/activity": true} // recorded with the impersonator, never as the client's own

// fill substitutes the route's path parameters: the named ones from params,
// any other with an ID that exists nowhere.
func fill(path string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}') + i
		b.WriteString(path[:i])
		if v, ok := params[path[i+1:j]]; ok {
			b.WriteString(v)
		} else {
			b.WriteString("x_doesnotexist")
		}
		path = path[j+1:]
	}
}

func body(method string) any {
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		return map[string]any{}
	}
	return nil
}

// target is one resource a route is tried on, with the expected outcome
// for a persona: visible (else 404) and allowed (else 403).
type target struct {
	params map[string]string
	expect func(p persona) (visible, allowed bool)
}

// linkRule is SPEC §2 in plain words, written apart from authz so that the
// walk does not agree with the code by construction: members of either side
// see a link; the receiving side's admins decide; the sender's admins (and an
// agency's account managers) cancel; either side's admins disconnect.
func linkRule(action authz.Action, agencyRole, clientRole authz.Role, initiatedBy string) (visible, allowed bool) {
	if agencyRole == "" && clientRole == "" {
		return false, false
	}
	admin := func(r authz.Role) bool { return r == authz.AgencyAdmin || r == authz.ClientAdmin }
	receiving, sending := clientRole, agencyRole
	if initiatedBy == "client" {
		receiving, sending = agencyRole, clientRole
	}
	switch action {
	case authz.LinkDecide:
		return true, admin(receiving)
	case authz.LinkCancel:
		return true, admin(sending) || sending == authz.AgencyAccountManager
	case authz.LinkDisconnect:
		return true, admin(agencyRole) || admin(clientRole)
	case authz.AgencyManage: // the agency's sharing of the client (issue 18)
		return true, agencyRole == authz.AgencyAdmin
	}
	return true, true
}

// brandRule is SPEC §1 and §12 on a brand, written apart from authz: every
// user of the brand's agency sees it (the role decides the action); a user
// of a client granted the brand sees its data and reports only, and may
// read and export them, nothing more; anyone else sees nothing.
func brandRule(action authz.Action, agencyRole, clientRole authz.Role, granted bool) (visible, allowed bool) {
	agencyMay := map[authz.Role]bool{}
	switch action {
	case authz.BrandDataRead, authz.BrandReportExport, authz.AgencyRead, authz.ReportSharingRead:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true, authz.AgencyViewer: true}
	case authz.BrandDataWrite, authz.ReportShare:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true}
	case authz.BrandDataDelete:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true}
	case authz.AgencyManage:
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true}
	case authz.ReportTemplateRead: // issue 17: templates are the agency's
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true, authz.AgencyMember: true, authz.AgencyViewer: true}
	case authz.ReportTemplateManage, authz.ReportScheduleManage: // SPEC §1: admins and account managers
		agencyMay = map[authz.Role]bool{authz.AgencyAdmin: true, authz.AgencyAccountManager: true}
	}
	if strings.HasPrefix(string(agencyRole), "agency:") {
		return true, agencyMay[agencyRole]
	}
	dataAction := action == authz.BrandDataRead || action == authz.BrandDataWrite || action == authz.BrandDataDelete || action == authz.BrandReportExport
	if granted && dataAction && strings.HasPrefix(string(clientRole), "client:") {
		return true, action == authz.BrandDataRead || action == authz.BrandReportExport
	}
	return false, false
}

func (w *world) targets(rt api.Route) []target {
	acc := rt.Access
	direct := func(r authz.Role) bool { return r != "" && !strings.HasPrefix(string(r), "linked:") }
	switch acc.Kind {
	case api.Account:
		var out []target
		perm, gated := clientGated[rt.Method+" "+rt.Path]
		for _, id := range []string{w.agencyA, w.agencyB, w.clientC} {
			out = append(out, target{map[string]string{acc.Param: id}, func(p persona) (bool, bool) {
				role, ok := p.roles[id]
				if gated && id == w.clientC && direct(role) && !w.perms[perm] {
					return ok, false
				}
				return ok, ok && authz.Allowed(role, acc.Action)
			}})
		}
		return out
	case api.AgencyClient:
		var out []target
		agencies := []string{w.agencyA, w.agencyB}
		if rt.Method == http.MethodGet {
			// D's own view of C: what it reads there is its own (issue 15).
			// Its writes take the same path as A's, and each success would
			// cost a fresh world, so only the reads are walked.
			agencies = append(agencies, w.agencyD)
		}
		for _, ag := range agencies {
			out = append(out, target{map[string]string{acc.Param: ag, acc.ClientParam: w.clientC}, func(p persona) (bool, bool) {
				// B's link is pending; A and D see C through their own.
				if !direct(p.roles[ag]) || ag == w.agencyB || p.via != ag {
					return false, false
				}
				role, ok := p.roles[w.clientC]
				return ok, ok && authz.Allowed(role, acc.Action)
			}})
		}
		return out
	case api.Brand:
		var out []target
		for _, pair := range [][2]string{{w.brandA, w.agencyA}, {w.brandB, w.agencyB}} {
			brand, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: brand}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Report:
		var out []target
		for _, tr := range [][3]string{{w.reportA, w.brandA, w.agencyA}, {w.reportB, w.brandB, w.agencyB}} {
			rep, brand, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: rep}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Source, api.SourceToken:
		// SPEC §1: sources belong to the agency as a whole; its admins and
		// account managers manage them, its other users are refused, and
		// nobody else (client users included) finds them. A source's push
		// takes its token only: every persona gets 401 (walk).
		var out []target
		for _, pair := range [][2]string{{w.sourceA, w.agencyA}, {w.sourceB, w.agencyB}} {
			src, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: src}, func(p persona) (bool, bool) {
				r := p.roles[ag]
				if !strings.HasPrefix(string(r), "agency:") || p.name == asClientPersona {
					return false, false
				}
				return true, r == authz.AgencyAdmin || r == authz.AgencyAccountManager
			}})
		}
		return out
	case api.Webhook:
		// Issue 21: an agency's webhooks are its admins' alone; its other
		// users are refused, nobody else (client users, the other agency
		// of a shared client, Login As) finds them.
		var out []target
		for _, tr := range [][3]string{{w.webhookA, w.deliveryA, w.agencyA}, {w.webhookB, w.deliveryB, w.agencyB}} {
			hook, delivery, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: hook, "delivery_id": delivery}, func(p persona) (bool, bool) {
				r := p.roles[ag]
				if !strings.HasPrefix(string(r), "agency:") || p.name == asClientPersona {
					return false, false
				}
				return true, r == authz.AgencyAdmin
			}})
		}
		return out
	case api.Schedule:
		var out []target
		for _, tr := range [][3]string{{w.scheduleA, w.brandA, w.agencyA}, {w.scheduleB, w.brandB, w.agencyB}} {
			sch, brand, ag := tr[0], tr[1], tr[2]
			out = append(out, target{map[string]string{acc.Param: sch}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], p.roles[w.clientC], brand == w.brandA)
			}})
		}
		return out
	case api.Template:
		var out []target
		for _, pair := range [][2]string{{w.templateA, w.agencyA}, {w.templateB, w.agencyB}} {
			tpl, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: tpl}, func(p persona) (bool, bool) {
				return brandRule(acc.Action, p.roles[ag], "", false)
			}})
		}
		return out
	case api.Link:
		var out []target
		for _, pair := range [][2]string{{w.linkAC, w.agencyA}, {w.linkBC, w.agencyB}} {
			link, ag := pair[0], pair[1]
			out = append(out, target{map[string]string{acc.Param: link}, func(p persona) (bool, bool) {
				var agencyRole, clientRole authz.Role
				if r := p.roles[ag]; direct(r) {
					agencyRole = r
				}
				if r := p.roles[w.clientC]; direct(r) {
					clientRole = r
				}
				return linkRule(acc.Action, agencyRole, clientRole, "agency")
			}})
		}
		return out
	case api.Invitation:
		// Decided on the account the invitation is into: managing a
		// client's users, or an agency's members. Of the invitations into
		// C, an agency's user (linked, or in Login As) finds only those
		// their agency sent; C's own users find all.
		var out []target
		for _, inv := range [][4]string{{w.invC, w.clientC, string(authz.ClientUsersManage), w.agencyA},
			{w.invCbyD, w.clientC, string(authz.ClientUsersManage), w.agencyD},
			{w.invA, w.agencyA, string(authz.AgencyManage), ""}, {w.invB, w.agencyB, string(authz.AgencyManage), ""}} {
			id, account, action, sender := inv[0], inv[1], authz.Action(inv[2]), inv[3]
			out = append(out, target{map[string]string{acc.Param: id}, func(p persona) (bool, bool) {
				role, ok := p.roles[account]
				if ok && sender != "" && p.via != "" && p.via != sender {
					return false, false
				}
				return ok, ok && authz.Allowed(role, action)
			}})
		}
		return out
	}
	return []target{{params: map[string]string{}}}
}

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

// A few cells of SPEC §1 written out by hand, so that a wrong matrix cannot
// pass the walk above by agreeing with itself.
func TestAccessSpotChecks(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newWorld(t, e)
		by := map[string]*testkit.APIClient{}
		for _, p := range w.personas {
			by[p.name] = p.client
		}
		cases := []struct {
			who, path string
			want      int
		}{
			{"agency A viewer", "/api/v1/accounts/" + w.agencyA, 200},
			{"agency A viewer", "/api/v1/accounts/" + w.agencyA + "/audit", 403},
			{"agency A member", "/api/v1/accounts/" + w.agencyA + "/audit", 403},
			{"agency A admin (operator)", "/api/v1/accounts/" + w.agencyA + "/audit", 200},
			{"agency B admin", "/api/v1/accounts/" + w.agencyA, 404},
			{"agency B admin", "/api/v1/accounts/" + w.agencyA + "/audit", 404},
			{"client C member", "/api/v1/accounts/" + w.clientC, 200},
			{"client C member", "/api/v1/accounts/" + w.clientC + "/audit", 403},
			{"client C admin", "/api/v1/accounts/" + w.clientC + "/audit", 200},
			{"client C admin", "/api/v1/accounts/" + w.agencyA, 404},
			{"stranger", "/api/v1/accounts/" + w.clientC, 404},
			{"stranger", "/api/v1/accounts/acc_doesnotexist", 404},
			{"agency A member", "/api/v1/outbox", 404},
			// Linked visibility (SPEC §1 "who sees a client").
			{"agency A admin (operator)", "/api/v1/accounts/" + w.clientC, 200},
			{"agency A admin (operator)", "/api/v1/accounts/" + w.clientC + "/audit", 200},
			{"agency A account manager", "/api/v1/accounts/" + w.clientC + "/audit", 200},
			{"agency A member", "/api/v1/accounts/" + w.clientC, 200},
			{"agency A member", "/api/v1/accounts/" + w.clientC + "/audit", 403},
			{"agency A viewer", "/api/v1/accounts/" + w.clientC, 404},
			{"agency B admin", "/api/v1/accounts/" + w.clientC, 404},
			// The other agency that shares C sees C, not A's part of it.
			{sharingPersona, "/api/v1/accounts/" + w.clientC, 200},
			{sharingPersona, "/api/v1/accounts/" + w.clientC + "/audit", 200},
			{sharingPersona, "/api/v1/agencies/" + w.agencyD + "/clients/" + w.clientC, 200},
			{sharingPersona, "/api/v1/agencies/" + w.agencyA + "/clients/" + w.clientC, 404},
			{"agency A admin (operator)", "/api/v1/outbox", 200},
			// Billing details (SPEC §12), with manage_billing off for C.
			{"agency A admin (operator)", "/api/v1/accounts/" + w.clientC + "/billing-details", 200},
			{"agency A account manager", "/api/v1/accounts/" + w.clientC + "/billing-details", 200},
			{"agency A member", "/api/v1/accounts/" + w.clientC + "/billing-details", 403},
			{"agency A viewer", "/api/v1/accounts/" + w.clientC + "/billing-details", 404},
			{"agency B admin", "/api/v1/accounts/" + w.clientC + "/billing-details", 404},
			{"client C admin", "/api/v1/accounts/" + w.clientC + "/billing-details", 403},
			{"client C member", "/api/v1/accounts/" + w.clientC + "/billing-details", 403},
			{"stranger", "/api/v1/accounts/" + w.clientC + "/billing-details", 404},
			{"agency A admin (operator)", "/api/v1/accounts/" + w.agencyA + "/billing-details", 403},
			// Client groups (SPEC §12, issue 24): the client's own; its
			// admin and every agency that sees it read them, its members
			// do not, nobody else finds them.
			{"client C admin", "/api/v1/accounts/" + w.clientC + "/groups", 200},
			{"client C member", "/api/v1/accounts/" + w.clientC + "/groups", 403},
			{"agency A viewer", "/api/v1/accounts/" + w.clientC + "/groups", 404},
			{"agency A member", "/api/v1/accounts/" + w.clientC + "/groups", 200},
			{sharingPersona, "/api/v1/accounts/" + w.clientC + "/groups", 200},
			{"agency B admin", "/api/v1/accounts/" + w.clientC + "/groups", 404},
			{"stranger", "/api/v1/accounts/" + w.clientC + "/groups", 404},
			{"agency A admin (operator)", "/api/v1/accounts/" + w.agencyA + "/groups", 403},
			// Report sharing is the agency's; per-client branding each agency's own.
			{"client C admin", "/api/v1/reports/" + w.reportA + "/sharing", 404},
			{"agency A viewer", "/api/v1/reports/" + w.reportA + "/sharing", 200},
			{sharingPersona, "/api/v1/reports/" + w.reportA + "/sharing", 404},
			{sharingPersona, "/api/v1/agencies/" + w.agencyA + "/clients/" + w.clientC + "/branding", 404},
			{sharingPersona, "/api/v1/agencies/" + w.agencyD + "/clients/" + w.clientC + "/branding", 200},
			{"client C admin", "/api/v1/agencies/" + w.agencyA + "/clients/" + w.clientC + "/branding", 404},
		}
		for _, tc := range cases {
			if r := by[tc.who].Do(t, "GET", tc.path, nil); r.Status != tc.want {
				t.Errorf("GET %s as %s: %d, want %d: %s", tc.path, tc.who, r.Status, tc.want, r.Raw)
			}
		}
		// The operator reads one e-mail of the outbox; others see no such route.
		op := by["agency A admin (operator)"]
		msgs, _ := op.Must(t, 200, "GET", "/api/v1/outbox?limit=1", nil).Body["messages"].([]any)
		if len(msgs) != 1 {
			t.Fatalf("outbox: %v", msgs)
		}
		mid := msgs[0].(map[string]any)["id"].(string)
		op.Must(t, 200, "GET", "/api/v1/outbox/"+mid, nil)
		by["agency A member"].Must(t, 404, "GET", "/api/v1/outbox/"+mid, nil)
	})
}

// TestEveryRouteIsInTheTable checks that the OpenAPI document and the route
// table list the same operations: a route registered around the table (and
// so around its access check) fails here.
func TestEveryRouteIsInTheTable(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	inTable := map[string]bool{}
	for _, r := range s.API.Routes() {
		inTable[r.Method+" "+r.Path] = true
	}
	doc := s.NewClient().Must(t, 200, "GET", "/api/v1/openapi.json", nil)
	if doc.Body["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc.Body["openapi"])
	}
	n := 0
	for path, item := range doc.Body["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			key := strings.ToUpper(method) + " " + path
			n++
			if !inTable[key] {
				t.Errorf("%s is in the OpenAPI document but not in the route table", key)
			}
			delete(inTable, key)
		}
	}
	for k := range inTable {
		t.Errorf("%s is in the route table but not in the OpenAPI document", k)
	}
	// The SPEC §10 routes of the foundation are all there.
	for _, want := range []string{"POST /api/v1/signup", "POST /api/v1/login", "POST /api/v1/logout", "GET /api/v1/me",
		"POST /api/v1/password/forgot", "POST /api/v1/password/reset", "POST /api/v1/tokens", "GET /api/v1/accounts/{id}",
		"GET /api/v1/accounts/{id}/audit"} {
		found := false
		for _, r := range s.API.Routes() {
			if r.Method+" "+r.Path == want {
				found = true
			}
		}
		if !found {
			t.Errorf("SPEC route %s missing", want)
		}
	}
}
