package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// sourceWorld is dataWorld with a data source of the agency and a second
// brand.
type sourceWorld struct {
	*dataWorld
	source, token string
	brand2        string
}

func newSourceWorld(t *testing.T, e db.Dialect) *sourceWorld {
	w := &sourceWorld{dataWorld: newDataWorld(t, e)}
	r := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/sources", map[string]any{"name": "Google Ads"})
	w.source, w.token = r.Body["id"].(string), r.Body["token"].(string)
	w.brand2 = w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/brands", map[string]any{"name": "Adidas"}).Body["id"].(string)
	return w
}

// push posts a source batch with a token.
func (w *sourceWorld) push(t *testing.T, token string, body any) testkit.Response {
	c := w.s.NewClient()
	c.Bearer = token
	return c.Do(t, http.MethodPost, "/api/v1/sources/"+w.source+"/data", body)
}

func ipt(item, date, metric string, value float64, dim string) map[string]any {
	p := pt(date, metric, value, dim)
	p["item"] = item
	return p
}

// sessionsTotal reads the brand's sessions on its total line over the last
// 30 days, summed.
func (w *sourceWorld) sessionsTotal(t *testing.T, brand string) float64 {
	r := w.admin.Must(t, 200, "GET", "/api/v1/brands/"+brand+"/data?metrics=sessions&granularity=month&from="+w.day(29)+"&to="+w.day(0), nil)
	total := 0.0
	for _, p := range r.Body["series"].([]any)[0].(map[string]any)["points"].([]any) {
		if v, ok := p.(map[string]any)["value"].(float64); ok {
			total += v
		}
	}
	return total
}

func TestSourcePushMapAndUnmap(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newSourceWorld(t, e)
		if !strings.HasPrefix(w.token, "lis_") {
			t.Fatalf("token %q", w.token)
		}
		// The token is shown once: never in a read.
		g := w.admin.Must(t, 200, "GET", "/api/v1/sources/"+w.source, nil)
		if _, ok := g.Body["token"]; ok || strings.Contains(string(g.Raw), w.token) {
			t.Fatalf("token in a read: %s", g.Raw)
		}
		batch := pts(ipt("acct-1", w.day(1), "sessions", 10, ""), ipt("acct-1", w.day(2), "sessions", 5, ""),
			ipt("acct-2", w.day(1), "sessions", 7, ""), ipt("acct-3", w.day(1), "sessions", 1000, ""))
		r := w.push(t, w.token, batch)
		if r.Status != 200 || r.Body["received"] != 4.0 || r.Body["inserted"] != 4.0 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		if r := w.push(t, w.token, batch); r.Status != 200 || r.Body["inserted"] != 0.0 || r.Body["updated"] != 4.0 {
			t.Fatalf("again: %d %s", r.Status, r.Raw)
		}
		// Unmapped: the brand sees nothing, the data is kept.
		if v := w.sessionsTotal(t, w.brand); v != 0 {
			t.Fatalf("unmapped data shows: %v", v)
		}
		items := w.admin.Must(t, 200, "GET", "/api/v1/sources/"+w.source+"/items", nil).Body["items"].([]any)
		if len(items) != 3 || items[0].(map[string]any)["points"] != 2.0 || items[0].(map[string]any)["last_date"] != w.day(1) ||
			items[0].(map[string]any)["brand_id"] != nil {
			t.Fatalf("items: %v", items)
		}
		// The brand's own data and two items mapped to it add up.
		w.member.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(pt(w.day(1), "sessions", 100, "")))
		w.admin.Must(t, 200, "PUT", "/api/v1/sources/"+w.source+"/mappings", map[string]any{"mappings": []map[string]any{
			{"item": "acct-1", "brand_id": w.brand}, {"item": "acct-2", "brand_id": w.brand}, {"item": "acct-3", "brand_id": w.brand2}}})
		if v := w.sessionsTotal(t, w.brand); v != 122 {
			t.Errorf("mapped: %v, want 100 + 15 + 7", v)
		}
		if v := w.sessionsTotal(t, w.brand2); v != 1000 {
			t.Errorf("other brand: %v", v)
		}
		// Future points of a mapped item show at once; a report too.
		rid := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "R", "default_range": "last_7_days",
			"widgets": []map[string]any{{"kind": "tile", "metrics": []string{"sessions"}}}}).Body["id"].(string)
		tile := func() any {
			return w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data", nil).Body["widgets"].([]any)[0].(map[string]any)["tile"].(map[string]any)["value"]
		}
		if v := tile(); v != 122.0 {
			t.Errorf("report: %v", v)
		}
		w.push(t, w.token, pts(ipt("acct-2", w.day(0), "sessions", 3, "")))
		if v := tile(); v != 125.0 {
			t.Errorf("report after a push: %v", v)
		}
		// The mapped item's metric is in the brand's catalogue, with its points.
		ms := w.admin.Must(t, 200, "GET", "/api/v1/brands/"+w.brand2+"/metrics", nil).Body["metrics"].([]any)
		if len(ms) != 1 || ms[0].(map[string]any)["name"] != "sessions" || ms[0].(map[string]any)["points"] != 1.0 {
			t.Errorf("catalogue of the mapped brand: %v", ms)
		}
		// Unmapping removes it; the data stays with the source.
		w.admin.Must(t, 200, "PUT", "/api/v1/sources/"+w.source+"/mappings", map[string]any{"mappings": []map[string]any{{"item": "acct-2", "brand_id": nil}}})
		if v := tile(); v != 115.0 {
			t.Errorf("report after unmapping: %v", v)
		}
		// A brand of another agency, or none: 400, nothing changed.
		_, _, otherAgency := w.s.Signup(t, "Xe", "xe@elsewhere.example", "Elsewhere", "agency")
		_ = otherAgency
		if r := w.admin.Do(t, "PUT", "/api/v1/sources/"+w.source+"/mappings", map[string]any{"mappings": []map[string]any{
			{"item": "acct-2", "brand_id": w.brand}, {"item": "acct-1", "brand_id": "brd_nope"}}}); r.Status != 400 || !strings.Contains(string(r.Raw), "mappings[1].brand_id") {
			t.Errorf("bad brand: %d %s", r.Status, r.Raw)
		}
		if v := tile(); v != 115.0 {
			t.Errorf("a refused mapping changed data: %v", v)
		}
		st := w.admin.Must(t, 200, "GET", "/api/v1/sources/"+w.source, nil).Body
		if st["items_mapped"] != 2.0 || st["items_unmapped"] != 1.0 || st["points_today"] != 9.0 || st["points_7_days"] != 9.0 || st["last_push_at"] == nil {
			t.Errorf("status: %v", st)
		}
		audit := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/audit?action=source.mappings", nil)
		if evs := audit.Body["events"].([]any); len(evs) != 2 {
			t.Errorf("mapping audit: %s", audit.Raw)
		}
		// Deleting the source takes its data out of every brand.
		w.admin.Must(t, 204, "DELETE", "/api/v1/sources/"+w.source, nil)
		if v := tile(); v != 100.0 {
			t.Errorf("after deleting the source: %v", v)
		}
		if v := w.sessionsTotal(t, w.brand2); v != 0 {
			t.Errorf("other brand after deleting the source: %v", v)
		}
		var left int
		if err := w.s.DB.Get(t.Context(), &left, `SELECT (SELECT COUNT(*) FROM metric_series WHERE source_id IS NOT NULL) + (SELECT COUNT(*) FROM source_items)
			+ (SELECT COUNT(*) FROM metric_days WHERE series_id NOT IN (SELECT id FROM metric_series))`); err != nil || left != 0 {
			t.Errorf("%d rows left, %v", left, err)
		}
		audit = w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/audit?action=source.delete", nil)
		if evs := audit.Body["events"].([]any); len(evs) != 1 || !strings.Contains(string(audit.Raw), `"points":5`) {
			t.Errorf("delete audit: %s", audit.Raw)
		}
	})
}

func TestSourceTokenPauseAndRejections(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newSourceWorld(t, e)
		ok := pts(ipt("site", w.day(0), "visits", 1, ""))
		// Rotating: the old token stops at once, the new one works.
		rot := w.admin.Must(t, 200, "POST", "/api/v1/sources/"+w.source+"/token", nil)
		tok2 := rot.Body["token"].(string)
		if r := w.push(t, w.token, ok); r.Status != 401 || r.Code() != "invalid_source_token" {
			t.Errorf("old token: %d %s", r.Status, r.Raw)
		}
		if r := w.push(t, tok2, ok); r.Status != 200 {
			t.Errorf("new token: %d %s", r.Status, r.Raw)
		}
		// A user's token, a session, nobody: 401 on the push route.
		if r := w.admin.Do(t, "POST", "/api/v1/sources/"+w.source+"/data", ok); r.Status != 401 || r.Code() != "source_token_only" {
			t.Errorf("user on the push route: %d %s", r.Status, r.Raw)
		}
		// Bad batches: 400, nothing stored, the last one kept with why.
		for _, bad := range []map[string]any{
			pts(pt(w.day(0), "visits", 1, "")), // no item
			pts(ipt("site", w.day(0), "Visits", 1, "")),
			pts(ipt("site", "2001-02-30", "visits", 1, "")),
		} {
			if r := w.push(t, tok2, bad); r.Status != 400 {
				t.Errorf("bad batch: %d %s", r.Status, r.Raw)
			}
		}
		st := w.admin.Must(t, 200, "GET", "/api/v1/sources/"+w.source, nil).Body
		rej, _ := st["last_rejected"].(map[string]any)
		if rej == nil || rej["field"] != "points[0].date" || rej["code"] != "invalid_point" || st["points_today"] != 1.0 {
			t.Errorf("status after rejections: %v", st)
		}
		if pd := st["per_day"].([]any); len(pd) != 30 || pd[29].(map[string]any)["points"] != 1.0 {
			t.Errorf("per day: %v", pd)
		}
		// Paused: 409, resumed: 200.
		w.admin.Must(t, 200, "PATCH", "/api/v1/sources/"+w.source, map[string]any{"paused": true})
		if r := w.push(t, tok2, ok); r.Status != 409 || r.Code() != "source_paused" {
			t.Errorf("paused: %d %s", r.Status, r.Raw)
		}
		w.admin.Must(t, 200, "PATCH", "/api/v1/sources/"+w.source, map[string]any{"paused": false})
		if r := w.push(t, tok2, ok); r.Status != 200 {
			t.Errorf("resumed: %d %s", r.Status, r.Raw)
		}
		// Members, viewers and client users do not manage sources.
		w.member.Must(t, 403, "GET", "/api/v1/sources/"+w.source, nil)
		w.view.Must(t, 403, "GET", "/api/v1/agencies/"+w.agency+"/sources", nil)
		w.clientUser.Must(t, 404, "GET", "/api/v1/sources/"+w.source, nil)
		w.clientUser.Must(t, 404, "GET", "/api/v1/sources/"+w.source+"/items", nil)
		audit := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/audit?action=source.push", nil)
		if evs := audit.Body["events"].([]any); len(evs) != 2 {
			t.Errorf("push audit: %d events", len(evs))
		}
	})
}

// TestSourceTokenReachesNothingElse: a source's token against every route
// of the table (the other source's push route included) is 401, but on
// its own source's push route; a public route answers it as it answers
// no credentials at all.
func TestSourceTokenReachesNothingElse(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newWorld(t, e)
		c := w.s.NewClient()
		c.Bearer = w.sourceTokA
		nobody := w.s.NewClient()
		params := map[string]string{"id": w.sourceB, "client_id": w.clientC}
		for _, rt := range w.s.API.Routes() {
			own := rt.Path == "/api/v1/sources/{id}/data"
			path := fill(rt.Path, params)
			r := c.Do(t, rt.Method, path, body(rt.Method))
			if rt.Access.Kind == api.Public {
				if n := nobody.Do(t, rt.Method, path, body(rt.Method)); n.Status != r.Status {
					t.Errorf("%s %s: %d with a source token, %d without", rt.Method, path, r.Status, n.Status)
				}
				continue
			}
			if r.Status != 401 {
				t.Errorf("%s %s with a source token: %d %s", rt.Method, path, r.Status, r.Raw)
			}
			if own {
				r := c.Do(t, rt.Method, fill(rt.Path, map[string]string{"id": w.sourceA}), pts(ipt("x", "2020-01-01", "m", 1, "")))
				if r.Status != 200 {
					t.Errorf("own push route: %d %s", r.Status, r.Raw)
				}
			}
		}
		// Pages do not take it either.
		if r := c.Do(t, http.MethodGet, "/agency/"+w.agencyA+"/sources", nil); r.Status == 200 {
			t.Errorf("a page answered a source token: %d", r.Status)
		}
	})
}
