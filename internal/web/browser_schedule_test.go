package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestBrowserTemplateAndSchedulePages renders the templates pages and a
// report with its schedules panel (a schedule and its form) in Chromium,
// axe-checked, as the agency's admin (issue 17), and edits the schedule
// through its form: a refusal beside its field, then the change.
func TestBrowserTemplateAndSchedulePages(t *testing.T) {
	w, rid := reportWorld(t, db.SQLite)
	page := "/app/reports/" + rid
	w.ada.post(page+"/schedules", url.Values{"frequency": {"monthly"}, "day": {"last"}, "hour": {"7"},
		"recipients": {"admins:" + w.clientID, "user:" + w.adaID}}).redirects(t, "add schedule", page+"#schedules")
	tpl := w.ada.post("/app/report-templates", url.Values{"report_id": {rid}}).header.Get("Location")
	var sid string
	if err := w.s.DB.Get(context.Background(), &sid, `SELECT id FROM report_schedules WHERE report_id = ?`, rid); err != nil {
		t.Fatal(err)
	}
	edit := page + "/schedules/" + sid
	b := newTab(t, w.s.URL)
	b.login(adminEmail, adminPass)
	for _, p := range []string{page, "/app/report-templates", tpl, edit} {
		b.visit(p, 200)
		b.accessibleAtWidths(p)
	}

	b.visit(page, 200)
	b.expectPath("open the edit form", b.submit("open the edit form", `a[href="`+edit+`"]`), edit)
	b.do("untick every recipient", chromedp.Click(chromedp.CSS(`input[name=recipients][value="admins:`+w.clientID+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=recipients][value="user:`+w.adaID+`"]`)))
	b.expectPath("no recipients", b.submit("no recipients", `main form button[type=submit]`), edit)
	if s := b.text("#f-recipients-error"); !strings.Contains(s, "Choose at least one recipient") {
		t.Fatalf("beside the recipients: %q", s)
	}
	b.do("tick Grace, at 10:00", chromedp.Click(chromedp.CSS(`input[name=recipients][value="user:`+w.graceID+`"]`)),
		chromedp.SetValue(chromedp.ID("f-hour"), "10"))
	b.expectPath("save", b.submit("save", `main form button[type=submit]`), page)
	if s := b.text("#sch-" + sid); s != "on the last day of every month at 10:00 (UTC)" {
		t.Fatalf("after the edit the schedule says %q", s)
	}
	if s := b.text("main"); !strings.Contains(s, "Schedule saved") || !strings.Contains(s, "To: Grace Hopper") {
		t.Fatalf("after the edit: %q", s)
	}
}
