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
	roles  map[string]authz.Role // account ID → role there
	op     bool
}

type world struct {
	s                *testkit.Server
	agencyA, agencyB string
	clientC          string
	personas         []persona
}

// newWorld builds two agencies and a client with a user in every role, each
// calling with an API token (so that logout and session routes do not end the
// persona's own access halfway through the walk).
func newWorld(t *testing.T, e db.Dialect) *world {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &world{s: s}
	ctx := context.Background()
	l, err := s.Auth.Setup(ctx, auth.SignupInput{Name: "Op Admin", Email: "a-admin@example.com", Password: testkit.Password, AccountName: "Agency A", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	w.agencyA = l.Account.ID
	adminA := s.Login(t, "a-admin@example.com", testkit.Password)
	bc, _, b := s.Signup(t, "B Admin", "b-admin@example.com", "Agency B", "agency")
	w.agencyB = b
	cc, _, c := s.Signup(t, "C Admin", "c-admin@example.com", "Client C", "client")
	w.clientC = c
	sc, _, _ := s.Signup(t, "Stranger", "stranger@example.com", "Elsewhere", "client")
	add := func(name, email, acc, role string) *testkit.APIClient {
		cl, uid, _ := s.Signup(t, name, email, name+" Own", "client")
		s.AddMember(t, acc, uid, role)
		return cl
	}
	am := add("A AM", "a-am@example.com", w.agencyA, "account_manager")
	mem := add("A Member", "a-member@example.com", w.agencyA, "member")
	view := add("A Viewer", "a-viewer@example.com", w.agencyA, "viewer")
	cmem := add("C Member", "c-member@example.com", w.clientC, "member")
	w.personas = []persona{
		{"agency A admin (operator)", adminA.Token(t), map[string]authz.Role{w.agencyA: authz.AgencyAdmin}, true},
		{"agency A account manager", am.Token(t), map[string]authz.Role{w.agencyA: authz.AgencyAccountManager}, false},
		{"agency A member", mem.Token(t), map[string]authz.Role{w.agencyA: authz.AgencyMember}, false},
		{"agency A viewer", view.Token(t), map[string]authz.Role{w.agencyA: authz.AgencyViewer}, false},
		{"agency B admin", bc.Token(t), map[string]authz.Role{w.agencyB: authz.AgencyAdmin}, false},
		{"client C admin", cc.Token(t), map[string]authz.Role{w.clientC: authz.ClientAdmin}, false},
		{"client C member", cmem.Token(t), map[string]authz.Role{w.clientC: authz.ClientMember}, false},
		{"stranger", sc.Token(t), nil, false},
		{"nobody", s.NewClient(), nil, false},
	}
	return w
}

// fill substitutes the route's path parameters: the account parameter with
// the target account, any other with an ID that exists nowhere.
func fill(path, accParam, target string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}') + i
		b.WriteString(path[:i])
		if path[i+1:j] == accParam {
			b.WriteString(target)
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

// TestEveryRouteAsEveryRole walks the route table: every route, as each role
// of two agencies, as client admin and member, as a stranger and as nobody,
// against each tenant's account, and compares the answer with the role ×
// action matrix. A route added without thinking about access fails here.
func TestEveryRouteAsEveryRole(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newWorld(t, e)
		routes := w.s.API.Routes()
		if len(routes) < 10 {
			t.Fatalf("route table has %d routes", len(routes))
		}
		for _, rt := range routes {
			targets := []string{""}
			if rt.Access.Kind == api.Account {
				targets = []string{w.agencyA, w.agencyB, w.clientC}
			}
			for _, target := range targets {
				path := fill(rt.Path, rt.Access.Param, target)
				for _, p := range w.personas {
					r := p.client.Do(t, rt.Method, path, body(rt.Method))
					where := rt.Method + " " + path + " as " + p.name
					if r.Status >= 500 {
						t.Errorf("%s: %d %s", where, r.Status, r.Raw)
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
					case api.Account:
						role, visible := p.roles[target]
						switch {
						case !visible && r.Status != 404:
							t.Errorf("%s: not visible, got %d, want 404", where, r.Status)
						case visible && !authz.Allowed(role, rt.Access.Action) && r.Status != 403:
							t.Errorf("%s: %s may not %s, got %d, want 403", where, role, rt.Access.Action, r.Status)
						case visible && authz.Allowed(role, rt.Access.Action) && (r.Status == 401 || r.Status == 403 ||
							(r.Status == 404 && !strings.Contains(path, "x_doesnotexist"))):
							t.Errorf("%s: allowed, got %d %s", where, r.Status, r.Raw)
						}
					}
				}
			}
		}
	})
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
			{"agency A admin (operator)", "/api/v1/outbox", 200},
		}
		for _, tc := range cases {
			if r := by[tc.who].Do(t, "GET", tc.path, nil); r.Status != tc.want {
				t.Errorf("GET %s as %s: %d, want %d: %s", tc.path, tc.who, r.Status, tc.want, r.Raw)
			}
		}
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
