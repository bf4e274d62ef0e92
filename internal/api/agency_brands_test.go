package api_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

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
