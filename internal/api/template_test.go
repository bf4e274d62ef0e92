package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func appliedIDs(t *testing.T, body map[string]any, key string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, x := range body[key].([]any) {
		m := x.(map[string]any)
		out[m["brand_id"].(string)] = m["report_id"].(string)
	}
	return out
}

// A report saved as a template and applied to many brands: new reports
// where there were none; on re-apply, the reports it made follow the
// template, except one edited by hand since, which is skipped; "all
// brands with clients" picks exactly those; bad input writes nothing;
// every step is audited; a client user and a member cannot manage it.
func TestReportTemplatesApply(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		w := newDataWorld(t, e) // brand Nike, granted to Client Co
		adidas := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/brands", map[string]any{"name": "Adidas"}).Body["id"].(string)
		puma := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/brands", map[string]any{"name": "Puma"}).Body["id"].(string)
		src := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{
			"title": "Monthly", "default_range": "last_month", "widgets": sampleWidgets}).Body["id"].(string)

		base := "/api/v1/agencies/" + w.agency + "/report-templates"
		// Members read templates but may not make them; client users find nothing.
		w.member.Must(t, 403, "POST", base, map[string]any{"report_id": src})
		w.clientUser.Must(t, 404, "GET", base, nil)
		w.admin.Must(t, 400, "POST", base, map[string]any{"report_id": "rep_doesnotexist"})
		tpl := w.admin.Must(t, 201, "POST", base, map[string]any{"report_id": src, "name": "Standard monthly"})
		tid := tpl.Body["id"].(string)
		if tpl.Body["title"] != "Monthly" || tpl.Body["default_range"] != "last_month" || len(tpl.Body["widgets"].([]any)) != 5 {
			t.Fatalf("template: %s", tpl.Raw)
		}
		if l := w.member.Must(t, 200, "GET", base, nil).Body["report_templates"].([]any); len(l) != 1 {
			t.Fatalf("list: %v", l)
		}
		w.clientUser.Must(t, 404, "GET", "/api/v1/report-templates/"+tid, nil)
		w.clientUser.Must(t, 404, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"brand_ids": []string{w.brand}})
		w.member.Must(t, 403, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"brand_ids": []string{w.brand}})

		count := func() int {
			var n int
			if err := w.s.DB.Get(ctx, &n, `SELECT COUNT(*) FROM reports`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Bad input: nothing chosen, a brand of nobody's.
		w.admin.Must(t, 400, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{})
		if r := w.admin.Must(t, 400, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"brand_ids": []string{adidas, "brd_nope"}}); !strings.Contains(string(r.Raw), `"field":"brand_ids[1]"`) {
			t.Fatalf("bad brand: %s", r.Raw)
		}
		if n := count(); n != 1 {
			t.Fatalf("a refused apply wrote reports: %d", n)
		}

		apply := w.admin.Must(t, 200, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"brand_ids": []string{adidas, puma}})
		made := appliedIDs(t, apply.Body, "created")
		if len(made) != 2 || made[adidas] == "" || len(apply.Body["skipped"].([]any)) != 0 {
			t.Fatalf("first apply: %s", apply.Raw)
		}
		rep := w.admin.Must(t, 200, "GET", "/api/v1/reports/"+made[adidas], nil)
		if rep.Body["title"] != "Monthly" || rep.Body["brand_id"] != adidas || len(rep.Body["widgets"].([]any)) != 5 {
			t.Fatalf("made: %s", rep.Raw)
		}
		// Puma's report is edited by hand; the template changes; re-apply.
		w.member.Must(t, 200, "PATCH", "/api/v1/reports/"+made[puma], map[string]any{"title": "Puma's own"})
		w.admin.Must(t, 200, "PATCH", "/api/v1/report-templates/"+tid, map[string]any{"title": "Monthly v2",
			"widgets": []map[string]any{{"kind": "tile", "metrics": []string{"sessions"}}}})
		again := w.admin.Must(t, 200, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"brand_ids": []string{adidas, puma}})
		if up := appliedIDs(t, again.Body, "updated"); len(up) != 1 || up[adidas] != made[adidas] {
			t.Fatalf("re-apply updated: %s", again.Raw)
		}
		sk := again.Body["skipped"].([]any)
		if len(sk) != 1 || sk[0].(map[string]any)["brand_id"] != puma || sk[0].(map[string]any)["reason"] != "edited" {
			t.Fatalf("re-apply skipped: %s", again.Raw)
		}
		if r := w.admin.Must(t, 200, "GET", "/api/v1/reports/"+made[adidas], nil); r.Body["title"] != "Monthly v2" || len(r.Body["widgets"].([]any)) != 1 {
			t.Fatalf("updated report: %s", r.Raw)
		}
		if r := w.admin.Must(t, 200, "GET", "/api/v1/reports/"+made[puma], nil); r.Body["title"] != "Puma's own" || len(r.Body["widgets"].([]any)) != 5 {
			t.Fatalf("hand-edited report changed: %s", r.Raw)
		}
		// All brands with clients: only Nike has one; it gets a new report.
		all := w.admin.Must(t, 200, "POST", "/api/v1/report-templates/"+tid+"/apply", map[string]any{"all_with_clients": true})
		if c := appliedIDs(t, all.Body, "created"); len(c) != 1 || c[w.brand] == "" || len(all.Body["updated"].([]any)) != 0 {
			t.Fatalf("all with clients: %s", all.Raw)
		}
		// A deleted report is made again.
		w.admin.Must(t, 204, "DELETE", "/api/v1/reports/"+made[adidas], nil)
		if c := appliedIDs(t, w.admin.Must(t, 200, "POST", "/api/v1/report-templates/"+tid+"/apply",
			map[string]any{"brand_ids": []string{adidas}}).Body, "created"); len(c) != 1 {
			t.Fatalf("after delete: %v", c)
		}
		detail := w.member.Must(t, 200, "GET", "/api/v1/report-templates/"+tid, nil)
		uses := detail.Body["reports"].([]any)
		edited := 0
		for _, u := range uses {
			if u.(map[string]any)["edited"] == true {
				edited++
			}
		}
		if len(uses) != 3 || edited != 1 {
			t.Fatalf("uses: %s", detail.Raw)
		}
		var actions []string
		if err := w.s.DB.Select(ctx, &actions, `SELECT action FROM audit_events WHERE action LIKE 'report_template.%' ORDER BY seq`); err != nil {
			t.Fatal(err)
		}
		if len(actions) != 6 || actions[0] != "report_template.create" || actions[1] != "report_template.apply" || actions[2] != "report_template.update" {
			t.Fatalf("audit: %v", actions)
		}
		w.admin.Must(t, 204, "DELETE", "/api/v1/report-templates/"+tid, nil)
		w.admin.Must(t, 200, "GET", "/api/v1/reports/"+made[puma], nil) // its reports stay
	})
}
