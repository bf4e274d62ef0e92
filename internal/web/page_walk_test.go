package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/web"
)

// The page walk: every page of web.Pages, as each role of each tenant, as
// the other agency of a shared client, as a stranger and as nobody, on each
// tenant's things, compared with SPEC §1 (as internal/api/access_test.go
// does for the API). Pages answer 404 for what is not visible, 403 for what
// is visible but not allowed, and send nobody to the login page.

// pagePersona is one caller of the page walk, with a browser session whose
// current account is cur.
type pagePersona struct {
	name  string
	v     *visitor
	cur   string                // the current account
	agent bool                  // the current account is an agency
	roles map[string]authz.Role // account ID → role there (direct, or linked)
	via   string                // the agency through which they see client C
	op    bool
	as    bool // an agency user in Login As on client C
}

// pageWorld is the access walk's world on the pages: agencies A, B and D,
// client C linked to A (active, a group and an account manager), to B
// (pending) and to D (active: D shares C with A).
type pageWorld struct {
	s                    *testkit.Server
	agencyA, agencyB     string
	agencyD, clientC     string
	linkAC, linkBC       string
	brandA, brandB       string
	reportA, reportB     string
	templateA, templateB string
	scheduleA, scheduleB string // of reportA and reportB
	invC, invCbyD        string
	invA, invB           string
	personas             []pagePersona
}

// userPages are the pages of no tenant, written out apart from the table:
// what the walk expects of each. "user!" is a user page that nobody may
// open during Login As (403; SPEC §6).
var userPages = map[string]string{
	"GET /{$}": "public", "GET /static/": "public", "GET /setup": "public", "POST /setup": "public",
	"GET /signup": "public", "POST /signup": "public", "GET /login": "public", "POST /login": "public",
	"POST /logout": "public", "GET /forgot": "public", "POST /forgot": "public",
	"GET /reset/{token}": "public", "POST /reset/{token}": "public",
	"GET /invite/{token}": "public", "POST /invite/{token}": "public",
	"GET /verify/{token}": "public", "POST /verify/{token}": "public",
	"GET /digest/unsubscribe/{token}": "public", "POST /digest/unsubscribe/{token}": "public",
	"GET /app": "user", "GET /app/{section}": "user", "GET /app/links": "user", "POST /app/login-as/end": "user",
	"GET /r/{token}":   "user",
	"POST /app/switch": "user!", "GET /app/sessions": "user!", "POST /app/sessions/end-others": "user!",
	"POST /app/sessions/{id}/end": "user!", "GET /app/tokens": "user!", "POST /app/tokens": "user!",
	"POST /app/tokens/{id}/revoke": "user!", "GET /app/profile": "user!", "POST /app/profile": "user!",
	"POST /app/profile/password": "user!", "POST /app/profile/digest": "user!", "POST /app/profile/verification": "user!",
	"GET /login/code": "public", "POST /login/code": "public", "GET /login/setup": "public", "POST /login/setup": "public",
	"GET /app/profile/two-factor": "user!", "POST /app/profile/two-factor": "user!",
	"POST /app/profile/two-factor/recovery-codes": "user!", "POST /app/profile/two-factor/disable": "user!",
	"GET /operator/outbox": "operator", "GET /operator/outbox/{id}": "operator", "GET /operator/outbox/{id}/html": "operator",
}

// emptyFormNotFound are pages whose empty form names a thing that exists
// nowhere: 404 is their answer to a caller who is allowed.
var emptyFormNotFound = map[string]bool{"POST /app/clients/{client_id}/brands": true, "POST /app/brand": true}

// refusedAsClientPages are the actions nobody takes while logged in as a
// client (SPEC §6, issue 7), whatever their role there: 403.
var refusedAsClientPages = map[authz.Action]bool{authz.LinkDecide: true, authz.LinkDisconnect: true,
	authz.ClientImpersonate: true, authz.ImpersonationLogRead: true, authz.ClientSecurityManage: true}

func newPageWorld(t *testing.T, e db.Dialect) *pageWorld {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &pageWorld{s: s}
	ctx := context.Background()
	l, err := s.Signups.Setup(ctx, auth.SignupInput{Name: "Op Admin", Email: "a-admin@example.com", Password: testkit.Password, AccountName: "Agency A", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	w.agencyA = l.Account.ID
	A := w.agencyA
	adminA := s.Login(t, "a-admin@example.com", testkit.Password)
	bc, bAdmin, B := s.Signup(t, "B Admin", "b-admin@example.com", "Agency B", "agency")
	cc, _, C := s.Signup(t, "C Admin", "c-admin@example.com", "Client C", "client")
	dc, _, D := s.Signup(t, "D Admin", "d-admin@example.com", "Agency D", "agency")
	// The stranger's own account is an agency: a client of no agency has
	// its portal's pages turned off (the features are an agency's), which
	// is no access rule.
	sc, _, elsewhere := s.Signup(t, "Stranger", "stranger@example.com", "Elsewhere", "agency")
	w.agencyB, w.clientC, w.agencyD = B, C, D
	add := func(name, email, acc, role string) (*testkit.APIClient, string) {
		cl, uid, _ := s.Signup(t, name, email, name+" Own", "client")
		s.AddMember(t, acc, uid, role)
		return cl, uid
	}
	am, amID := add("A AM", "a-am@example.com", A, "account_manager")
	mem, memID := add("A Member", "a-member@example.com", A, "member")
	view, _ := add("A Viewer", "a-viewer@example.com", A, "viewer")
	cmem, _ := add("C Member", "c-member@example.com", C, "member")
	group := s.AddGroup(t, A, "Team Blue", memID)
	w.linkAC = s.AddLink(t, testkit.LinkFixture{AgencyID: A, ClientID: C, AccessGroups: []string{group}, AccountManagers: []string{amID}})
	w.linkBC = s.AddLink(t, testkit.LinkFixture{AgencyID: B, ClientID: C, Status: "pending"})
	s.AddLink(t, testkit.LinkFixture{AgencyID: D, ClientID: C})
	w.brandA, w.brandB = s.AddBrand(t, A, "Brand of A"), s.AddBrand(t, B, "Brand of B")
	w.reportA = adminA.Must(t, 201, "POST", "/api/v1/brands/"+w.brandA+"/reports", map[string]any{"title": "A's report"}).Body["id"].(string)
	w.reportB = bc.Must(t, 201, "POST", "/api/v1/brands/"+w.brandB+"/reports", map[string]any{"title": "B's report"}).Body["id"].(string)
	w.templateA = adminA.Must(t, 201, "POST", "/api/v1/agencies/"+A+"/report-templates", map[string]any{"report_id": w.reportA}).Body["id"].(string)
	w.templateB = bc.Must(t, 201, "POST", "/api/v1/agencies/"+B+"/report-templates", map[string]any{"report_id": w.reportB}).Body["id"].(string)
	if _, err := s.DB.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, C, w.brandA, s.Now()); err != nil {
		t.Fatal(err)
	}
	schedule := func(c *testkit.APIClient, reportID, userID string) string {
		return c.Must(t, 201, "POST", "/api/v1/reports/"+reportID+"/schedules", map[string]any{"frequency": "weekly", "weekday": "monday",
			"hour": 8, "recipients": []map[string]any{{"kind": "user", "user_id": userID}}}).Body["id"].(string)
	}
	w.scheduleA, w.scheduleB = schedule(adminA, w.reportA, amID), schedule(bc, w.reportB, bAdmin)
	w.invC = adminA.Must(t, 201, "POST", "/api/v1/accounts/"+C+"/invitations", map[string]any{"email": "inv-c@example.com", "role": "member"}).Body["id"].(string)
	w.invA = adminA.Must(t, 201, "POST", "/api/v1/agencies/"+A+"/members", map[string]any{"email": "inv-a@example.com", "role": "member"}).Body["id"].(string)
	w.invB = bc.Must(t, 201, "POST", "/api/v1/agencies/"+B+"/members", map[string]any{"email": "inv-b@example.com", "role": "member"}).Body["id"].(string)
	w.invCbyD = dc.Must(t, 201, "POST", "/api/v1/accounts/"+C+"/invitations", map[string]any{"email": "inv-c-by-d@example.com", "role": "member"}).Body["id"].(string)

	// Each persona's browser session, on the account the walk names.
	browser := func(c *testkit.APIClient, cur string) *visitor {
		v := &visitor{t: t, c: c.HTTP, base: s.URL}
		v.post("/app/switch", url.Values{"account_id": {cur}}).redirects(t, "switch", "/app")
		return v
	}
	asClient := browser(s.Login(t, "a-am@example.com", testkit.Password), A)
	asClient.post("/app/clients/"+C+"/login-as", url.Values{"reason": {"walk"}}).redirects(t, "login as", "/app")
	w.personas = []pagePersona{
		{"agency A admin (operator)", browser(adminA, A), A, true, map[string]authz.Role{A: authz.AgencyAdmin, C: authz.LinkedAdmin}, A, true, false},
		{"agency A account manager", browser(am, A), A, true, map[string]authz.Role{A: authz.AgencyAccountManager, C: authz.LinkedAccountManager}, A, false, false},
		{"agency A member", browser(mem, A), A, true, map[string]authz.Role{A: authz.AgencyMember, C: authz.LinkedMember}, A, false, false},
		{"agency A viewer", browser(view, A), A, true, map[string]authz.Role{A: authz.AgencyViewer}, "", false, false},
		{"agency B admin", browser(bc, B), B, true, map[string]authz.Role{B: authz.AgencyAdmin}, "", false, false},
		{"agency D admin (shares client C with A)", browser(dc, D), D, true, map[string]authz.Role{D: authz.AgencyAdmin, C: authz.LinkedAdmin}, D, false, false},
		{"client C admin", browser(cc, C), C, false, map[string]authz.Role{C: authz.ClientAdmin}, "", false, false},
		{"client C member", browser(cmem, C), C, false, map[string]authz.Role{C: authz.ClientMember}, "", false, false},
		{"stranger", browser(sc, elsewhere), elsewhere, true, map[string]authz.Role{elsewhere: authz.AgencyAdmin}, "", false, false},
		{"nobody", newVisitor(t, s), "", false, nil, "", false, false},
		{"agency A account manager as client C (Login As)", asClient, C, false, map[string]authz.Role{C: authz.ClientAdmin}, A, false, true},
	}
	return w
}

// pageTarget is one thing a page is tried on, with the expected outcome
// for a persona.
type pageTarget struct {
	params map[string]string
	expect func(p pagePersona) (visible, allowed bool)
}

// targets are a guarded page's things to try, with SPEC §1 written out for
// each kind of target. Roles are read with authz.Allowed (the matrix, which
// the API walk checks cell by cell); what is visible from which current
// account is written here.
func (w *pageWorld) targets(pg web.Page) []pageTarget {
	may := func(p pagePersona, acc string) bool { return authz.Allowed(p.roles[acc], pg.Action) }
	direct := func(r authz.Role) bool { return r != "" && !strings.HasPrefix(string(r), "linked:") }
	one := func(params map[string]string, f func(p pagePersona) (bool, bool)) []pageTarget {
		return []pageTarget{{params, f}}
	}
	switch pg.Target {
	case "ownAgency":
		return one(nil, func(p pagePersona) (bool, bool) { return p.agent, p.agent && may(p, p.cur) })
	case "ownClient":
		return one(nil, func(p pagePersona) (bool, bool) {
			if p.agent {
				return false, false
			}
			if _, gated := authz.Gated(pg.Action); gated { // C's gated permissions are off (seed 001)
				return true, false
			}
			return true, may(p, p.cur)
		})
	case "agencyClient":
		return one(map[string]string{"client_id": w.clientC}, func(p pagePersona) (bool, bool) {
			if !p.agent || p.via != p.cur {
				return false, false
			}
			return true, may(p, w.clientC)
		})
	case "brandOf", "templateOf":
		key, ids := "brand_id", [2]string{w.brandA, w.brandB}
		if pg.Target == "templateOf" {
			key, ids = "template_id", [2]string{w.templateA, w.templateB}
		}
		var out []pageTarget
		for i, ag := range []string{w.agencyA, w.agencyB} {
			out = append(out, pageTarget{map[string]string{key: ids[i]}, func(p pagePersona) (bool, bool) {
				return p.agent && p.cur == ag, p.agent && p.cur == ag && may(p, ag)
			}})
		}
		return out
	case "reportOf":
		var out []pageTarget
		for i, ag := range []string{w.agencyA, w.agencyB} {
			granted := i == 0 // C has brand A
			params := map[string]string{"report_id": [2]string{w.reportA, w.reportB}[i], "schedule_id": [2]string{w.scheduleA, w.scheduleB}[i]}
			out = append(out, pageTarget{params, func(p pagePersona) (bool, bool) {
				if p.agent {
					return p.cur == ag, p.cur == ag && may(p, ag)
				}
				data := pg.Action == authz.BrandDataRead || pg.Action == authz.BrandDataWrite || pg.Action == authz.BrandDataDelete || pg.Action == authz.BrandReportExport
				if granted && data && p.cur == w.clientC {
					return true, pg.Action == authz.BrandDataRead || pg.Action == authz.BrandReportExport
				}
				return false, false
			}})
		}
		return out
	case "linkOf":
		// SPEC §2: either side's members see a link; the receiving side's
		// admins decide, the sender's admins and account managers cancel,
		// either side's admins disconnect. Both links were sent by the agency.
		var out []pageTarget
		for i, ag := range []string{w.agencyA, w.agencyB} {
			out = append(out, pageTarget{map[string]string{"link_id": [2]string{w.linkAC, w.linkBC}[i]}, func(p pagePersona) (bool, bool) {
				if p.cur != ag && p.cur != w.clientC {
					return false, false
				}
				r := p.roles[p.cur]
				switch pg.Action {
				case authz.LinkDecide:
					return true, r == authz.ClientAdmin
				case authz.LinkCancel:
					return true, r == authz.AgencyAdmin || r == authz.AgencyAccountManager
				case authz.LinkDisconnect:
					return true, r == authz.AgencyAdmin || r == authz.ClientAdmin
				}
				return true, true
			}})
		}
		return out
	case "invitationOf":
		// Decided on the account the invitation is into; of those into C,
		// an agency's user finds only their agency's.
		var out []pageTarget
		for _, inv := range [][4]string{{w.invC, w.clientC, string(authz.ClientUsersManage), w.agencyA},
			{w.invCbyD, w.clientC, string(authz.ClientUsersManage), w.agencyD},
			{w.invA, w.agencyA, string(authz.AgencyManage), ""}, {w.invB, w.agencyB, string(authz.AgencyManage), ""}} {
			id, into, action, sender := inv[0], inv[1], authz.Action(inv[2]), inv[3]
			out = append(out, pageTarget{map[string]string{"invitation_id": id}, func(p pagePersona) (bool, bool) {
				role, ok := p.roles[into]
				if !ok || (sender != "" && p.via != "" && p.via != sender) || (p.cur != into && p.cur != p.via) ||
					(direct(role) && p.cur != into) {
					return false, false
				}
				return true, authz.Allowed(role, action)
			}})
		}
		return out
	}
	return nil
}

// TestEveryPageAsEveryRole walks the page table; a page the walk does not
// know (a public or user page missing from userPages, a guarded page of a
// new kind of target) fails it. A page that changes state gets a fresh
// world of its own (walk).
func TestEveryPageAsEveryRole(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		pages := web.Pages()
		if len(pages) < 100 {
			t.Fatalf("page table has %d pages", len(pages))
		}
		known := map[string]bool{}
		var w *pageWorld
		for _, pg := range pages {
			key := pg.Method + " " + pg.Path
			if pg.Method == "" {
				continue // the catch-all 404
			}
			want, listed := userPages[key]
			switch {
			case pg.Access == web.PageGuarded && listed:
				t.Errorf("%s is guarded; the walk lists it as %s", key, want)
				continue
			case pg.Access != web.PageGuarded && !listed:
				t.Errorf("%s (%s) is missing from the page walk: add it to userPages", key, pg.Access)
				continue
			case pg.Access != web.PageGuarded && strings.TrimSuffix(want, "!") != string(pg.Access):
				t.Errorf("%s is %s in the table, %s in the walk", key, pg.Access, want)
				continue
			case pg.Access == web.PageGuarded && w == nil:
				w = &pageWorld{}
			}
			if pg.Access == web.PageGuarded && w.targets(pg) == nil {
				t.Errorf("%s: the walk knows no target %q", key, pg.Target)
				continue
			}
			known[key] = true
		}
		for key := range userPages {
			if !known[key] {
				t.Errorf("the walk lists %s, which is not in the page table", key)
			}
		}
		if t.Failed() {
			return
		}
		// The world is built once per engine; every world of the walk is
		// a copy of it (page_world_snapshot_test.go).
		snap := snapshotPageWorld(t, e)
		shared := snap.start(t)
		for _, pg := range pages {
			if pg.Method == "" {
				continue
			}
			t.Run(pg.Method+" "+pg.Path, func(t *testing.T) {
				t.Parallel()
				if pg.Method == http.MethodGet {
					shared.walk(t, pg, nil)
					return
				}
				snap.walkFresh(t, pg)
			})
		}
	})
}

// fillPage substitutes a page's path parameters: the named ones from
// params, any other with an ID that exists nowhere.
func fillPage(path string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}') + i
		b.WriteString(path[:i])
		name := strings.TrimSuffix(path[i+1:j], "$")
		if v, ok := params[name]; ok {
			b.WriteString(v)
		} else if name != "" {
			b.WriteString("x_doesnotexist")
		}
		path = path[j+1:]
	}
}

// walk tries one page on each of its targets as every persona. A page
// that posts (fresh != nil) is tried in a world of its own: on each
// target, first by the personas who may not use it (who change nothing),
// then by those who may, until one of them did something (an answer below
// 400): the others would meet a changed world, and so does the next
// target, which gets a fresh world. During a user page, the Login As
// persona goes first (the account manager's "end other sessions" ends it).
func (w *pageWorld) walk(t *testing.T, pg web.Page, fresh func() *pageWorld) {
	key, changes := pg.Method+" "+pg.Path, fresh != nil
	targetsOf := func(w *pageWorld) []pageTarget {
		if pg.Access == web.PageGuarded {
			return w.targets(pg)
		}
		return []pageTarget{{params: map[string]string{}, expect: func(pagePersona) (bool, bool) { return true, true }}}
	}
	done := false
	for ti := range targetsOf(w) {
		if done {
			w = fresh()
		}
		tg := targetsOf(w)[ti]
		order := make([]pagePersona, 0, len(w.personas))
		for _, first := range []bool{true, false} {
			for _, p := range w.personas {
				visible, allowed := tg.expect(p)
				if p.as && visible && refusedAsClientPages[pg.Action] {
					allowed = false
				}
				if (!visible || !allowed || (p.as && pg.Access != web.PageGuarded)) == first {
					order = append(order, p)
				}
			}
		}
		done = false
		for _, p := range order {
			visible, allowed := tg.expect(p)
			if p.as && visible && refusedAsClientPages[pg.Action] {
				allowed = false
			}
			if changes && done && visible && allowed {
				continue
			}
			path := fillPage(pg.Path, tg.params)
			var a answer
			if pg.Method == http.MethodGet {
				a = p.v.get(path)
			} else {
				a = p.v.post(path, url.Values{})
			}
			if changes && a.status < 400 && p.name != "nobody" {
				done = true
			}
			where := pg.Method + " " + path + " as " + p.name
			loc := a.header.Get("Location")
			switch {
			case a.status >= 500:
				t.Errorf("%s: %d %s", where, a.status, a.body)
				continue
			case p.name == "nobody":
				if pg.Access == web.PageUser || pg.Access == web.PageGuarded {
					if a.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
						t.Errorf("%s: %d to %q, want 303 to the login page", where, a.status, loc)
					}
				} else if pg.Access == web.PageOperator && a.status != 404 {
					t.Errorf("%s: %d, want 404", where, a.status)
				}
				continue
			}
			switch pg.Access {
			case web.PagePublic:
				if a.status == 401 || a.status == 403 {
					t.Errorf("%s: public page answered %d", where, a.status)
				}
			case web.PageUser:
				if p.as && userPages[key] == "user!" {
					if a.status != 403 {
						t.Errorf("%s: %d, want 403 during Login As", where, a.status)
					}
				} else if a.status == 401 || a.status == 403 {
					t.Errorf("%s: %d for a logged-in user", where, a.status)
				}
			case web.PageOperator:
				if !p.op && a.status != 404 {
					t.Errorf("%s: non-operator got %d, want 404", where, a.status)
				}
				if p.op && (a.status == 401 || a.status == 403) {
					t.Errorf("%s: operator got %d", where, a.status)
				}
			case web.PageGuarded:
				switch {
				case !visible && a.status != 404:
					t.Errorf("%s: not visible, got %d, want 404", where, a.status)
				case visible && !allowed && a.status != 403:
					t.Errorf("%s: may not %s, got %d %s, want 403", where, pg.Action, a.status, loc)
				case visible && allowed && (a.status == 401 || a.status == 403 ||
					(a.status == 404 && !strings.Contains(path, "x_doesnotexist") && !emptyFormNotFound[key])):
					t.Errorf("%s: allowed, got %d", where, a.status)
				}
			}
		}
	}
}
