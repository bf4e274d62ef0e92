package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// pushDemoish pushes 60 days of sessions: the total line is 100 a day, the
// dimensions a, b, c, d 40, 30, 20, 10 a day; revenue is 1000 a day.
func (w *dataWorld) pushDemoish(t *testing.T) {
	var batch []map[string]any
	for i := 0; i < 60; i++ {
		batch = append(batch, pt(w.day(i), "sessions", 100, ""), pt(w.day(i), "revenue", 1000, ""))
		for j, d := range []string{"a", "b", "c", "d"} {
			batch = append(batch, pt(w.day(i), "sessions", float64(40-10*j), d))
		}
	}
	w.member.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(batch...))
}

var sampleWidgets = []map[string]any{
	{"kind": "tile", "metrics": []string{"sessions"}},
	{"kind": "line", "title": "Traffic", "metrics": []string{"sessions", "revenue"}, "granularity": "week"},
	{"kind": "table", "by": "dimension", "metrics": []string{"sessions"}, "top": 2},
	{"kind": "table", "metrics": []string{"sessions", "revenue"}},
	{"kind": "text", "text": "Numbers are **daily**."},
}

func TestReportCRUDAndData(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		w.pushDemoish(t)
		r := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{
			"title": "Weekly traffic", "default_range": "last_7_days", "widgets": sampleWidgets})
		rid := r.Body["id"].(string)
		if ws := r.Body["widgets"].([]any); len(ws) != 5 || ws[0].(map[string]any)["kind"] != "tile" ||
			ws[3].(map[string]any)["granularity"] != "day" || ws[3].(map[string]any)["by"] != "date" {
			t.Fatalf("created: %s", r.Raw)
		}
		list := w.clientUser.Must(t, 200, "GET", "/api/v1/brands/"+w.brand+"/reports", nil)
		if rs := list.Body["reports"].([]any); len(rs) != 1 {
			t.Fatalf("list: %s", list.Raw)
		}
		// The default range: the last 7 days, compared with the 7 before.
		d := w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data", nil)
		if d.Body["from"] != w.day(6) || d.Body["to"] != w.day(0) || d.Body["compare_from"] != w.day(13) || d.Body["range"] != "last_7_days" {
			t.Fatalf("default range: %s", clip(d.Raw))
		}
		tile := d.Body["widgets"].([]any)[0].(map[string]any)["tile"].(map[string]any)
		if tile["value"] != 700.0 || tile["previous"] != 700.0 || tile["change"] != 0.0 {
			t.Errorf("tile: %v", tile)
		}
		// A custom range that reaches past the data: the change is against
		// a shorter previous period.
		d = w.admin.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data?from="+w.day(39)+"&to="+w.day(0), nil)
		tile = d.Body["widgets"].([]any)[0].(map[string]any)["tile"].(map[string]any)
		if tile["value"] != 4000.0 || tile["previous"] != 2000.0 || tile["change"] != 100.0 {
			t.Errorf("tile over 40 days: %v", tile)
		}
		table := d.Body["widgets"].([]any)[2].(map[string]any)
		rows := table["rows"].([]any)
		want := []struct {
			label string
			value float64
		}{{"a", 1600}, {"b", 1200}, {"Other", 1200}}
		if len(rows) != 3 {
			t.Fatalf("by dimension: %v", table)
		}
		for i, wr := range want {
			row := rows[i].(map[string]any)
			if row["label"] != wr.label || row["values"].([]any)[0] != wr.value {
				t.Errorf("row %d: %v, want %v", i, row, wr)
			}
		}
		if byDate := d.Body["widgets"].([]any)[3].(map[string]any)["rows"].([]any); len(byDate) != 40 {
			t.Errorf("table by date has %d rows", len(byDate))
		}
		if html := d.Body["widgets"].([]any)[4].(map[string]any)["html"].(string); !strings.Contains(html, "<strong>daily</strong>") {
			t.Errorf("text: %q", html)
		}
		// Edit: reorder by replacing the list, change the comparison.
		r = w.member.Must(t, 200, "PATCH", "/api/v1/reports/"+rid, map[string]any{"comparison": "none",
			"widgets": []map[string]any{sampleWidgets[4], sampleWidgets[0]}})
		if ws := r.Body["widgets"].([]any); len(ws) != 2 || ws[0].(map[string]any)["kind"] != "text" || r.Body["title"] != "Weekly traffic" {
			t.Errorf("patched: %s", r.Raw)
		}
		d = w.admin.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data", nil)
		if tile := d.Body["widgets"].([]any)[1].(map[string]any)["tile"].(map[string]any); tile["change"] != nil || d.Body["compare_from"] != nil {
			t.Errorf("no comparison: %s", clip(d.Raw))
		}
		audit := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/audit?action=report.update", nil)
		if evs := audit.Body["events"].([]any); len(evs) != 1 {
			t.Errorf("audit: %s", audit.Raw)
		}
		// Access.
		w.other.Must(t, 404, "GET", "/api/v1/reports/"+rid, nil)
		w.other.Must(t, 404, "GET", "/api/v1/reports/"+rid+"/data", nil)
		w.clientUser.Must(t, 403, "PATCH", "/api/v1/reports/"+rid, map[string]any{"title": "Mine"})
		w.view.Must(t, 403, "DELETE", "/api/v1/reports/"+rid, nil)
		w.view.Must(t, 200, "GET", "/api/v1/reports/"+rid, nil)
		w.member.Must(t, 204, "DELETE", "/api/v1/reports/"+rid, nil)
		w.member.Must(t, 404, "GET", "/api/v1/reports/"+rid, nil)
	})
}

func TestReportBadInputChangesNothing(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		r := w.admin.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Kept", "widgets": sampleWidgets})
		rid := r.Body["id"].(string)
		six := []string{"a", "b", "c", "d", "e", "f"}
		widgets := func(ws ...map[string]any) map[string]any { return map[string]any{"widgets": ws} }
		cases := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"an unknown kind", widgets(sampleWidgets[0], map[string]any{"kind": "pie", "metrics": []string{"a"}}), "widgets[1].kind"},
			{"6 metrics on a chart", widgets(map[string]any{"kind": "line", "metrics": six}), "widgets[0].metrics"},
			{"a metric with capitals", widgets(map[string]any{"kind": "bar", "metrics": []string{"Sessions"}}), "widgets[0].metrics"},
			{"two metrics on a tile", widgets(map[string]any{"kind": "tile", "metrics": []string{"a", "b"}}), "widgets[0].metrics"},
			{"a granularity of hours", widgets(map[string]any{"kind": "line", "metrics": []string{"a"}, "granularity": "hour"}), "widgets[0].granularity"},
			{"top 0 of 1000", widgets(map[string]any{"kind": "table", "by": "dimension", "metrics": []string{"a"}, "top": 1000}), "widgets[0].top"},
			{"a table by week", widgets(map[string]any{"kind": "table", "by": "week", "metrics": []string{"a"}}), "widgets[0].by"},
			{"an empty text", widgets(map[string]any{"kind": "text"}), "widgets[0].text"},
			{"metrics on a text", widgets(map[string]any{"kind": "text", "text": "x", "metrics": []string{"a"}}), "widgets[0].metrics"},
			{"an empty title", map[string]any{"title": " "}, "title"},
			{"an unknown range", map[string]any{"default_range": "forever"}, "default_range"},
			{"an unknown comparison", map[string]any{"comparison": "last_decade"}, "comparison"},
		}
		for _, tc := range cases {
			r := w.admin.Do(t, "PATCH", "/api/v1/reports/"+rid, tc.body)
			if r.Status != 400 || !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.Status, clip(r.Raw), tc.field)
			}
		}
		w.admin.Must(t, 400, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"widgets": sampleWidgets})
		after := w.admin.Must(t, 200, "GET", "/api/v1/reports/"+rid, nil)
		a, _ := json.Marshal(after.Body["widgets"])
		b, _ := json.Marshal(r.Body["widgets"])
		if string(a) != string(b) || after.Body["title"] != "Kept" {
			t.Errorf("a refused edit changed the report: %s", after.Raw)
		}
		for _, q := range []string{"?from=" + w.day(0) + "&to=" + w.day(7), "?from=" + w.day(3), "?from=x&to=" + w.day(0),
			"?from=" + w.today.AddDate(-20, 0, 0).Format(time.DateOnly) + "&to=" + w.day(0)} {
			if r := w.admin.Do(t, "GET", "/api/v1/reports/"+rid+"/data"+q, nil); r.Status != 400 {
				t.Errorf("data%s: %d %s", q, r.Status, r.Raw)
			}
		}
		lists := w.admin.Must(t, 200, "GET", "/api/v1/brands/"+w.brand+"/reports", nil)
		if n := len(lists.Body["reports"].([]any)); n != 1 {
			t.Errorf("%d reports after refused creations", n)
		}
		// Deleting the brand deletes its reports.
		w.admin.Must(t, 204, "DELETE", "/api/v1/brands/"+w.brand, nil)
		var n int
		if err := w.s.DB.Get(t.Context(), &n, `SELECT COUNT(*) FROM reports WHERE brand_id = ?`, w.brand); err != nil || n != 0 {
			t.Errorf("%d reports of a deleted brand (%v)", n, err)
		}
	})
}

// TestReportDataFollowsEveryChange: report data is cached per data version
// (internal/report/cache.go); each kind of change shows in the very next read.
func TestReportDataFollowsEveryChange(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		w.pushDemoish(t)
		rid := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{
			"title": "Cached", "default_range": "last_7_days", "widgets": sampleWidgets}).Body["id"].(string)
		tile := func() any {
			d := w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data", nil)
			return d.Body["widgets"].([]any)[0].(map[string]any)["tile"].(map[string]any)["value"]
		}
		if v := tile(); v != 700.0 {
			t.Fatalf("tile %v", v)
		}
		_ = tile() // served from the cache
		w.member.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(pt(w.day(0), "sessions", 170, "")))
		if v := tile(); v != 770.0 {
			t.Errorf("after a push: %v", v)
		}
		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/sessions", map[string]any{"aggregation": "last"})
		if v := tile(); v != 170.0 {
			t.Errorf("after a catalogue edit: %v", v)
		}
		w.admin.Must(t, 200, "DELETE", "/api/v1/brands/"+w.brand+"/data?metrics=sessions&from="+w.day(0)+"&to="+w.day(0), nil)
		if v := tile(); v != 100.0 {
			t.Errorf("after a deletion: %v", v)
		}
		w.member.Must(t, 200, "PATCH", "/api/v1/reports/"+rid, map[string]any{"widgets": []map[string]any{
			{"kind": "tile", "metrics": []string{"revenue"}}}})
		if v := tile(); v != 7000.0 {
			t.Errorf("after a report edit: %v", v)
		}
	})
}
