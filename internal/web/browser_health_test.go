package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserClientHealth loads a client's page in Chromium: both charts
// are drawn (visible, sized, coloured by the stylesheet, not blocked by the
// CSP), fit a phone's width, their tables open, and "Load more" appends the
// next events in place.
func TestBrowserClientHealth(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, navy := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: navy, AccessAll: true})
	grace := loginAs(t, s, "grace@navy.example", testkit.Password)
	for _, p := range []string{"/app", "/app/reports", "/app/agencies"} {
		grace.get(p).expect(t, p, 200)
	}
	for range 22 { // with the logins, more than a page of events
		grace.get("/app/profile").expect(t, "profile", 200)
	}
	s.Activity.Flush(context.Background()) // page views are written in batches

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.visit("/app/clients/"+navy, 200)
	got := b.eval(`(() => {
		const out = [];
		for (const svg of document.querySelectorAll("#health svg.chart-svg")) {
			const r = svg.getBoundingClientRect();
			out.push([Math.round(r.width) > 200, Math.round(r.height) > 50, getComputedStyle(svg).visibility,
				svg.getAttribute("role"), (svg.getAttribute("aria-label") || "").length > 20].join(","));
		}
		const bar = document.querySelector("#health rect.chart-bar");
		const line = document.querySelector("#health polyline.chart-line");
		out.push(document.querySelectorAll("#health rect.chart-bar").length);
		out.push(getComputedStyle(bar).fill !== "rgb(0, 0, 0)" && getComputedStyle(line).stroke !== "none");
		out.push(line.getAttribute("points").split(" ").length);
		return out.join("|");
	})()`)
	if want := "true,true,visible,img,true|true,true,visible,img,true|13|true|90"; got != want {
		t.Fatalf("charts: %s, want %s", got, want)
	}

	// The table beside a chart opens.
	b.do("open the table", chromedp.Click(chromedp.CSS("#chart-logins details summary")))
	if rows := b.eval(`String(document.querySelector("#chart-logins details table").getBoundingClientRect().height > 0)`); rows != "true" {
		t.Fatal("the logins table stays hidden")
	}

	// On a phone the charts fit the screen.
	b.do("phone", chromedp.EmulateViewport(390, 844, EmulateMobileUnder(390)))
	if w := b.eval(`String(Math.max(...[...document.querySelectorAll("svg.chart-svg")].map(s => s.getBoundingClientRect().right)))`); mustInt(t, w) > 390 {
		t.Fatalf("a chart is %s px wide on a 390 px screen", w)
	}
	b.do("desktop", chromedp.EmulateViewport(1280, 900))

	// "Load more" appends the rest of the events without leaving the page.
	before := b.eval(`String(document.querySelectorAll("#activity-rows tr").length)`)
	b.do("load more", chromedp.Click(chromedp.CSS(`#activity a[data-more="activity-rows"]`)))
	b.poll("more rows", `document.querySelectorAll("#activity-rows tr").length > 20`)
	if p := b.path(); p != "/app/clients/"+navy || before != "20" {
		t.Fatalf("after load more: at %s, %s rows before", p, before)
	}
	if n := b.eval(`String(document.querySelectorAll("#activity-rows tr").length)`); n != "27" { // 2 logins, 25 page views
		t.Fatalf("%s events after load more, want 27", n)
	}
	b.noProblems("load more", 0)
}

func mustInt(t *testing.T, s string) int {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return int(f)
}
