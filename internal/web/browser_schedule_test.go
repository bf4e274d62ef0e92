package web_test

import (
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestBrowserTemplateAndSchedulePages renders the templates pages and a
// report with its schedules panel (a schedule and its form) in Chromium,
// axe-checked, as the agency's admin (issue 17).
func TestBrowserTemplateAndSchedulePages(t *testing.T) {
	w, rid := reportWorld(t, db.SQLite)
	page := "/app/reports/" + rid
	w.ada.post(page+"/schedules", url.Values{"frequency": {"monthly"}, "day": {"last"}, "hour": {"7"},
		"recipients": {"admins:" + w.clientID, "user:" + w.adaID}}).redirects(t, "add schedule", page+"#schedules")
	tpl := w.ada.post("/app/report-templates", url.Values{"report_id": {rid}}).header.Get("Location")
	b := newTab(t, w.s.URL)
	b.login(adminEmail, adminPass)
	for _, p := range []string{page, "/app/report-templates", tpl} {
		b.visit(p, 200)
		b.accessibleAtWidths(p)
	}
}
