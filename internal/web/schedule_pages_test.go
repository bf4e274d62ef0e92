package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The templates pages and the schedules panel (issue 17): the agency saves
// a report as a template and applies it to brands with a checklist; a
// schedule is added from the report page, a day 31 refused beside its
// field; a client user finds neither the templates nor the panel.
func TestTemplateAndSchedulePages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w, rid := reportWorld(t, e)
		ctx := context.Background()
		w.ada.get("/app/report-templates").expect(t, "no templates", 200, "No templates yet", "Nike — Shop overview")
		a := w.ada.post("/app/report-templates", url.Values{"report_id": {rid}, "name": {"Standard"}})
		if a.status != 303 || !strings.HasPrefix(a.header.Get("Location"), "/app/report-templates/rtp_") {
			t.Fatalf("save template: %d %s", a.status, a.header.Get("Location"))
		}
		tpage := a.header.Get("Location")
		w.ada.get(tpage).expect(t, "template page", 200, "Not applied yet", "Every brand with clients", "Adidas", "1 client")
		w.ada.post(tpage+"/apply", url.Values{}).expect(t, "nothing chosen", 400, "Choose at least one brand")
		w.ada.post(tpage+"/apply", url.Values{"brand_ids": {w.adidas}}).expect(t, "applied", 200, "1 created, 0 updated, 0 skipped")
		var n int
		if err := w.s.DB.Get(ctx, &n, `SELECT COUNT(*) FROM reports r JOIN brands b ON b.id = r.brand_id WHERE b.name = 'Adidas'`); err != nil || n != 1 {
			t.Fatalf("Adidas reports: %d %v", n, err)
		}
		w.ada.post(tpage+"/apply", url.Values{"all_with_clients": {"on"}}).expect(t, "all with clients", 200, "1 created, 1 updated, 0 skipped")
		w.grace.get("/app/report-templates").expect(t, "client: templates", 404)
		w.grace.get(tpage).expect(t, "client: template", 404)

		// The schedules panel on the report page.
		page := "/app/reports/" + rid
		w.ada.get(page).expect(t, "panel", 200, "Scheduled e-mails", "No schedules", "Every admin of <strong>Navy Client</strong>", "Save as template")
		w.ada.post(page+"/schedules", url.Values{"frequency": {"monthly"}, "day": {"31"}, "hour": {"8"}, "recipients": {"user:" + w.graceID}}).
			expect(t, "day 31", 400, "does not exist in every month", `id="f-day-error"`)
		w.ada.post(page+"/schedules", url.Values{"frequency": {"weekly"}, "weekday": {"friday"}, "hour": {"8"}}).
			expect(t, "no recipients", 400, "Choose at least one recipient", `id="f-recipients-error"`)
		w.ada.post(page+"/schedules", url.Values{"frequency": {"weekly"}, "weekday": {"friday"}, "hour": {"9"},
			"recipients": {"admins:" + w.clientID, "user:" + w.adaID}}).redirects(t, "add schedule", page+"#schedules")
		w.ada.get(page).expect(t, "schedule shown", 200, "every Friday at 09:00 (UTC)", "every admin of Navy Client", "No deliveries yet")
		g := w.grace.get(page)
		g.expect(t, "client: report", 200)
		if strings.Contains(g.body, "Scheduled e-mails") || strings.Contains(g.body, "Save as template") {
			t.Fatal("a client user sees the schedules panel")
		}
		var sid string
		if err := w.s.DB.Get(ctx, &sid, `SELECT id FROM report_schedules`); err != nil {
			t.Fatal(err)
		}
		w.grace.post(page+"/schedules/"+sid+"/delete", url.Values{}).expect(t, "client: delete schedule", 404)
		w.ada.post(page+"/schedules/"+sid+"/delete", url.Values{}).redirects(t, "delete schedule", page+"#schedules")
	})
}
