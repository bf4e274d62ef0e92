package web_test

import (
	"image/color"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserClientGroups (issue 24), in Chromium: Navy's admin creates the
// group Finance and puts Fiona in it; the agency's admin shares Revenue
// with Finance only, from the report's sharing page; Fiona then sees
// Revenue and Traffic, Tom (not in Finance) only Traffic and a 404 for
// Revenue. Navy's portal, co-branded, shows its own logo (and its
// full-screen logo in the full-screen view, opened by its button); Wayne,
// another client of the same agency, shows the agency's.
func TestBrowserClientGroups(t *testing.T) {
	w := newGroupsWorld(t, db.SQLite)
	s := w.s
	agencyLogo := w.api.Must(t, http.StatusOK, "POST", "/api/v1/agencies/"+w.agencyID+"/portal/logos/light",
		solidPNG(t, 160, 40, color.RGBA{15, 118, 110, 255})).Body["logos"].(map[string]any)["light"].(string)
	cb := "/api/v1/agencies/" + w.agencyID + "/clients/" + w.clientID + "/branding"
	navyLogo := w.api.Must(t, http.StatusOK, "POST", cb+"/logos/light", solidPNG(t, 160, 40, color.RGBA{30, 58, 138, 255})).
		Body["logos"].(map[string]any)["light"].(string)
	navyFull := w.api.Must(t, http.StatusOK, "POST", cb+"/logos/fullscreen", solidPNG(t, 320, 80, color.RGBA{30, 58, 138, 255})).
		Body["logos"].(map[string]any)["fullscreen"].(string)
	w.api.Must(t, http.StatusOK, "PUT", cb, map[string]any{"portal_name": "Navy × Analytical"})

	b := newTab(t, s.URL)
	b.login(w.graceEmail, w.gracePw)
	b.open("/app")
	b.expectPath("groups in the nav", b.submit("open groups", `.sidebar a[href="/app/user-groups"]`), "/app/user-groups")
	b.noProblems("groups page", 0)
	b.fill(map[string]string{"f-name": "Finance"})
	b.expectPath("create", b.submit("create group", "#new-group button[type=submit]"), "/app/user-groups")
	if txt := b.text("main"); !strings.Contains(txt, "Group “Finance” created") {
		t.Fatalf("no notice: %q", txt)
	}
	b.do("open the group's editor", chromedp.Click(chromedp.CSS(".card-group details summary")))
	b.do("tick Fiona", chromedp.Click(chromedp.CSS(`.card-group input[name=user_ids][value="`+w.fionaID+`"]`)))
	b.expectPath("save members", b.submit("save members", `.card-group form[action$="/members"] button[type=submit]`), "/app/user-groups")
	if txt := b.text("#group-rows"); !strings.Contains(txt, "Fiona Finance") {
		t.Fatalf("members: %q", txt)
	}
	b.noProblems("members saved", 0)
	b.logout()

	// The agency shares Revenue with Finance only.
	b.login(adminEmail, adminPass)
	b.open("/app/reports/" + w.revenue)
	b.expectPath("sharing button", b.submit("open sharing", `a[href="/app/reports/`+w.revenue+`/sharing"]`), "/app/reports/"+w.revenue+"/sharing")
	b.do("chosen groups", chromedp.Click(chromedp.CSS(`input[name="share-`+w.clientID+`"][value=groups]`)))
	b.do("tick Finance", chromedp.Click(chromedp.CSS(`input[name="groups-`+w.clientID+`"]`)))
	b.expectPath("save sharing", b.submit("save sharing", "#sharing-form button[type=submit]"), "/app/reports/"+w.revenue+"/sharing")
	b.noProblems("sharing saved", 0)
	// The agency's pages of the client: its groups and its branding.
	b.visit("/app/reports/"+w.revenue+"/fullscreen", 200)
	b.visit("/app/clients/"+w.clientID+"/groups", 200)
	b.visit("/app/clients/"+w.clientID+"/branding", 200)
	b.logout()

	// Fiona, in Finance: both reports, and the full-screen view.
	b.login("fiona@navy.example", testkit.Password)
	b.open("/app")
	switchIn(b, w.clientID)
	b.poll("in Navy", `document.querySelector(".sidebar a[href='/app/reports']") !== null`)
	b.open("/app/reports")
	if txt := b.text("main"); !strings.Contains(txt, "Revenue") || !strings.Contains(txt, "Traffic") {
		t.Fatalf("Fiona's reports: %q", txt)
	}
	if src := b.eval(`document.querySelector(".topbar .brand-img").getAttribute("src")`); src != navyLogo {
		t.Fatalf("Navy's portal logo %q, want its own %q", src, navyLogo)
	}
	b.open("/app/reports/" + w.revenue)
	b.expectPath("full screen", b.submit("full screen", "#fullscreen-link"), "/app/reports/"+w.revenue+"/fullscreen")
	if src := b.eval(`document.getElementById("fullscreen-logo").getAttribute("src")`); src != navyFull {
		t.Fatalf("full-screen logo %q, want %q", src, navyFull)
	}
	if n := b.eval(`String(document.querySelectorAll(".sidebar, .topbar").length)`); n != "0" {
		t.Fatalf("the full-screen view has navigation")
	}
	b.noProblems("full screen", 0)
	b.expectPath("exit full screen", b.submit("exit", ".fullscreen-exit"), "/app/reports/"+w.revenue)
	b.logout()

	// Tom, not in Finance: Traffic only; Revenue does not exist for him.
	b.login("tom@navy.example", testkit.Password)
	b.open("/app")
	switchIn(b, w.clientID)
	b.poll("in Navy", `document.querySelector(".sidebar a[href='/app/reports']") !== null`)
	b.open("/app/reports")
	if txt := b.text("main"); strings.Contains(txt, "Revenue") || !strings.Contains(txt, "Traffic") {
		t.Fatalf("Tom's reports: %q", txt)
	}
	if st := b.open("/app/reports/" + w.revenue); st != 404 {
		t.Fatalf("Tom opens Revenue: %d", st)
	}
	b.noProblems("Tom's 404", 404)
	b.logout()

	// Wayne, another client of the agency: the agency's logo.
	b.login("bruce@wayne.example", testkit.Password)
	b.open("/app")
	b.poll("in Wayne", `document.querySelector(".sidebar a[href='/app/reports']") !== null`)
	if src := b.eval(`document.querySelector(".topbar .brand-img").getAttribute("src")`); src != agencyLogo {
		t.Fatalf("Wayne's portal logo %q, want the agency's %q", src, agencyLogo)
	}
	if strings.Contains(b.eval(`document.body.innerText`), "Navy") {
		t.Fatalf("Wayne's portal names Navy")
	}
	b.noProblems("Wayne", 0)
}

// switchIn makes accountID the tab's current account through the account
// switcher of the top bar.
func switchIn(b *tab, accountID string) {
	b.t.Helper()
	b.do("switch to "+accountID, chromedp.Evaluate[chromedp.Void](`(() => { window.__switching = true;
		const s = document.getElementById("account-switch"); s.value = "`+accountID+`"; s.form.requestSubmit(); })()`))
	// The poll may meet the navigation it waits for: try again then.
	expr := `window.__switching === undefined && document.readyState === "complete" &&
		document.getElementById("account-switch") !== null && document.getElementById("account-switch").value === "` + accountID + `"`
	var err error
	for range 5 {
		if _, err = chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second))); err == nil {
			return
		}
	}
	b.t.Fatalf("switch to %s: %v", accountID, err)
}
