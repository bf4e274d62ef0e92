package api_test

// Benchmark of report sharing (issue 24): a brand's report list and one
// report as a client member, for whom every read applies the sharing rule
// (authz.SharedCondition), and as the client's admin, for whom it does
// not. 200 reports; 20 groups of the client; every other report shared with
// one group; the member is in 2 of them. Figures in bench/README.md.
//
//	go test -run XXX -bench 'SharedReports' -benchtime 200x ./internal/api/

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func BenchmarkSharedReports(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s := testkit.StartServer(b, e, testkit.ServerOptions{})
		adm, _, agencyID := s.Signup(b, "Bench Admin", "bench@example.com", "Bench Agency", "agency")
		admin := adm.Token(b)
		brand := admin.Must(b, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Bench"}).Body["id"].(string)
		ca, _, clientID := s.Signup(b, "Client Admin", "ca@client.example", "Bench Client", "client")
		s.AddLink(b, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID})
		admin.Must(b, 204, "PUT", "/api/v1/agencies/"+agencyID+"/clients/"+clientID+"/brands/"+brand, nil)
		mc, memberID, _ := s.Signup(b, "Client Member", "cm@client.example", "Member Own", "client")
		s.AddMember(b, clientID, memberID, "member")
		clientAdmin, member := ca.Token(b), mc.Token(b)
		var groups []string
		for i := 0; i < 20; i++ {
			g := clientAdmin.Must(b, 201, "POST", "/api/v1/accounts/"+clientID+"/groups", map[string]any{"name": fmt.Sprintf("Group %02d", i)}).Body["id"].(string)
			groups = append(groups, g)
		}
		for _, g := range groups[:2] {
			clientAdmin.Must(b, 200, "PUT", "/api/v1/accounts/"+clientID+"/groups/"+g+"/members", map[string]any{"user_ids": []string{memberID}})
		}
		var shared string
		for i := 0; i < 200; i++ {
			id := admin.Must(b, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": fmt.Sprintf("Report %03d", i)}).Body["id"].(string)
			if i%2 == 0 {
				admin.Must(b, 200, "PUT", "/api/v1/reports/"+id+"/sharing", map[string]any{"clients": []map[string]any{
					{"client_id": clientID, "all": false, "group_ids": []string{groups[i%20]}}}})
				if i%20 == 0 {
					shared = id // in group 0: the member sees it
				}
			}
		}
		// Of the shared reports, 0, 20, 40 … (group 0) are the member's
		// (group 1 has none), plus the 100 shared with everyone.
		if n := len(member.Must(b, 200, "GET", "/api/v1/brands/"+brand+"/reports", nil).Body["reports"].([]any)); n != 110 {
			b.Fatalf("the member sees %d reports, want 110", n)
		}
		for _, who := range []struct {
			name string
			c    *testkit.APIClient
		}{{"member", member}, {"client-admin", clientAdmin}} {
			for _, rt := range []struct{ name, path string }{{"list", "/api/v1/brands/" + brand + "/reports"}, {"get", "/api/v1/reports/" + shared}} {
				b.Run(who.name+"/"+rt.name, func(b *testing.B) {
					hc := &http.Client{Transport: benchTransport(nil)}
					for b.Loop() {
						req, _ := http.NewRequest(http.MethodGet, s.URL+rt.path, nil)
						req.Header.Set("Authorization", "Bearer "+who.c.Bearer)
						res, err := hc.Do(req)
						if err != nil || res.StatusCode != 200 {
							b.Fatalf("%s: %v %v", rt.path, err, res)
						}
						_ = res.Body.Close()
					}
				})
			}
		}
	})
}
