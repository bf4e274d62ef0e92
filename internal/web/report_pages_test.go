package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// commas formats an integer as the report page does: 12,345.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// reportWorld: an agency whose Nike brand holds 90 days of demo data, a
// client (Grace) granted Nike, and a report built in the agency app.
func reportWorld(t *testing.T, e db.Dialect) (*agencyWorld, string) {
	w := newAgencyWorld(t, e)
	s := w.s
	ctx := context.Background()
	if _, err := s.Data.Demo(ctx, w.nike, 90); err != nil {
		t.Fatal(err)
	}
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
	for _, b := range []string{w.nike, w.adidas} {
		if _, err := s.DB.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, w.clientID, b, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
	}
	w.grace.post("/app/brand", url.Values{"brand_id": {w.nike}, "next": {"/app/reports"}}).redirects(t, "choose Nike", "/app/reports")
	w.ada.get("/app/brands").expect(t, "brands", 200, `href="/app/brands/`+w.nike+`/reports"`)
	w.ada.get("/app/brands/"+w.nike+"/reports").expect(t, "no reports", 200, "No reports yet", "5 metrics")
	a := w.ada.post("/app/brands/"+w.nike+"/reports", url.Values{"title": {"Shop overview"}, "default_range": {"last_30_days"}, "comparison": {"previous_period"}})
	if a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/app/reports/rep_") {
		t.Fatalf("create report: %d %s", a.status, a.header.Get("Location"))
	}
	rid := strings.TrimSuffix(strings.TrimPrefix(a.header.Get("Location"), "/app/reports/"), "/edit")
	for _, f := range []url.Values{
		{"op": {"add"}, "kind": {"bar"}, "metrics": {"sessions", "revenue"}, "granularity": {"week"}, "title": {"Weekly"}},
		{"op": {"add"}, "kind": {"table"}, "by": {"dimension"}, "top": {"3"}, "metrics": {"sessions", "conversion_rate"}},
		{"op": {"add"}, "kind": {"tile"}, "metrics": {"revenue"}},
		{"op": {"up"}, "index": {"4"}},
	} {
		w.ada.post("/app/reports/"+rid+"/widgets", f).redirects(t, "builder "+f.Get("op"), "/app/reports/"+rid+"/edit")
	}
	// A widget the validator refuses changes nothing and says why.
	w.ada.post("/app/reports/"+rid+"/widgets", url.Values{"op": {"add"}, "kind": {"line"}}).redirects(t, "bad widget", "/app/reports/"+rid+"/edit")
	w.ada.get("/app/reports/"+rid+"/edit").expect(t, "builder", 200, "Widget 5: a line shows 1 to 5 metrics", "Preview with the brand", `data-chart="bar"`)
	return w, rid
}

func TestReportPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w, rid := reportWorld(t, e)
		s := w.s
		var widgets string
		if err := s.DB.Get(context.Background(), &widgets, `SELECT widgets FROM reports WHERE id = ?`, rid); err != nil {
			t.Fatal(err)
		}
		if strings.Count(widgets, `"kind"`) != 5 {
			t.Fatalf("widgets: %s", widgets)
		}
		// The client reads it: the list keeps the range, the page shows the
		// tiles' totals, the charts and their tables.
		w.grace.get("/app/reports?range=last_7_days").expect(t, "portal list", 200, "Shop overview", `/app/reports/`+rid+`?range=last_7_days`)
		a := w.grace.get("/app/reports/" + rid + "?range=last_7_days")
		today := s.Now().UTC().Format(time.DateOnly)
		week := s.Now().UTC().AddDate(0, 0, -6).Format(time.DateOnly)
		var sessions, revenue float64
		if err := s.DB.Get(context.Background(), &sessions, `SELECT SUM(value) FROM metric_points WHERE brand_id = ? AND metric = 'sessions'
			AND dimension = '' AND day >= ? AND day <= ?`, w.nike, week, today); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Get(context.Background(), &revenue, `SELECT SUM(value) FROM metric_points WHERE brand_id = ? AND metric = 'revenue'
			AND dimension = '' AND day >= ? AND day <= ?`, w.nike, week, today); err != nil {
			t.Fatal(err)
		}
		a.expect(t, "report page", 200, "Shop overview", "Last 7 days", "vs previous 7 days", "Sessions "+commas(int64(sessions))+" in total",
			`class="tile-value">`+commas(int64(revenue)/100)+"."+fmt.Sprintf("%02d", int64(revenue)%100)+" EUR<", `data-chart="bar"`, `data-chart="line"`, "Table of these numbers", "Other", "Conversion rate",
			`name="next" value="/app/reports?from=`+week)
		a.lacks(t, "report page", "Edit report")
		// "Weekly" draws sessions (a count) and revenue (a currency): revenue
		// has a right axis of its own, and no axis reads "-0".
		a.expect(t, "two units, two axes", 200, "Sessions (left axis)", "Revenue (right axis)", `text-anchor="start"`)
		a.lacks(t, "an axis label", ">-0<", ">-0%<")
		// The CSV and PDF buttons follow can_export.
		a.expect(t, "export buttons", 200, "Download CSV", "Download PDF")
		if _, err := s.DB.Exec(context.Background(), `UPDATE agency_clients SET can_export = FALSE WHERE client_id = ?`, w.clientID); err != nil {
			t.Fatal(err)
		}
		w.grace.get("/app/reports/"+rid).lacks(t, "no export", "Download CSV", "Download PDF")
		// Reading a report is a page view of the portal's reports.
		if n := count(t, s, `SELECT COUNT(*) FROM activity_events WHERE client_id = ? AND kind = 'page_view' AND page = 'reports' AND brand_id = ?`,
			w.clientID, w.nike); n < 2 {
			t.Errorf("%d report page views recorded", n)
		}
		// A range that does not exist is said, and the default shown.
		w.grace.get("/app/reports/"+rid+"?from="+today+"&to="+week).expect(t, "backwards range", 200, "The range is backwards", "Last 30 days")
		// Someone else's client sees nothing; the agency's viewer sees it.
		_, _, _ = s.Signup(t, "Oz", "oz@other.example", "Other Co", "client")
		oz := loginAs(t, s, "oz@other.example", testkit.Password)
		if a := oz.get("/app/reports/" + rid); a.status != 404 {
			t.Errorf("another client: %d", a.status)
		}
		if a := w.grace.get("/app/reports/" + rid + "/edit"); a.status != 403 {
			t.Errorf("client on the builder: %d", a.status)
		}
		// Without data for the range: an empty state that says so.
		w.grace.get("/app/reports/"+rid+"?from="+s.Now().UTC().AddDate(-2, 0, 0).Format(time.DateOnly)+"&to="+
			s.Now().UTC().AddDate(-2, 0, 6).Format(time.DateOnly)).expect(t, "empty range", 200, "No data for this range yet")
		// The builder deletes it.
		w.ada.post("/app/reports/"+rid+"/delete", nil).redirects(t, "delete", "/app/brands/"+w.nike+"/reports")
		w.grace.get("/app/reports").expect(t, "no reports", 200, "No reports for Nike yet")
	})
}
