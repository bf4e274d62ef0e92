package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

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
