package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// domainTab is a browser tab in which the name domain resolves to the
// test server (Chromium's --host-resolver-rules), so that pages are asked
// for with that Host, as on a real custom domain.
func domainTab(t *testing.T, s *testkit.Server, domain string) *tab {
	t.Helper()
	exe := chromiumPath(t)
	hostport := strings.TrimPrefix(s.URL, "http://")
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP "+domain+" "+hostport),
		// Production serves custom domains over HTTPS; the test speaks
		// plain HTTP, which Chromium otherwise reports on (COOP ignored).
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", "http://"+domain),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 50*time.Second)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	b := &tab{t: t, ctx: ctx, base: "http://" + domain}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrowserCustomDomain opens the login page and the portal on a
// verified custom domain in Chromium: the agency's logo is shown (and
// loads), its primary colour is on the buttons, and "Liaison" appears
// nowhere in the page's text or title, since the agency hides it.
func TestBrowserCustomDomain(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s := w.s
		brandAgency(t, s, w.agencyID)
		img := image.NewRGBA(image.Rect(0, 0, 160, 40))
		for x := 0; x < 160; x++ {
			for y := 0; y < 40; y++ {
				img.Set(x, y, color.RGBA{15, 118, 110, 255})
			}
		}
		var logo bytes.Buffer
		if err := png.Encode(&logo, img); err != nil {
			t.Fatal(err)
		}
		admin := s.Login(t, adminEmail, adminPass)
		admin.Must(t, http.StatusOK, "POST", "/api/v1/agencies/"+w.agencyID+"/portal/logos/light", logo.Bytes())
		const domain = "portal.analytical.example"
		s.AddDomain(t, w.agencyID, domain, "verified")
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})

		b := domainTab(t, s, domain)
		if st := b.open("/login"); st != 200 {
			t.Fatalf("login on %s: %d", domain, st)
		}
		check := func(what string) {
			t.Helper()
			if title := b.eval(`document.title`); !strings.Contains(title, "Analytical Portal") || strings.Contains(title, "Liaison") {
				t.Fatalf("%s: title %q", what, title)
			}
			if text := b.eval(`document.body.innerText`); strings.Contains(text, "Liaison") {
				t.Fatalf("%s: the page names Liaison:\n%s", what, text)
			}
			if src := b.eval(`(() => { const i = document.querySelector("header .brand-img"); return i && i.complete && i.naturalWidth === 160 ? i.getAttribute("src") : "missing" })()`); !strings.HasPrefix(src, "/brand/logos/") {
				t.Fatalf("%s: logo %q", what, src)
			}
			if alt := b.eval(`document.querySelector("header .brand-img").alt`); alt != "Analytical Portal" {
				t.Fatalf("%s: logo alt %q", what, alt)
			}
			if v := b.eval(`getComputedStyle(document.documentElement).getPropertyValue("--primary").trim()`); v != "#0f766e" {
				t.Fatalf("%s: --primary is %q", what, v)
			}
			if bg := b.eval(`(() => { const e = document.querySelector(".btn-primary"); return e ? getComputedStyle(e).backgroundColor : "none" })()`); bg != "rgb(15, 118, 110)" && bg != "none" {
				t.Fatalf("%s: primary button colour %q", what, bg)
			}
			b.noProblems(what, 0)
		}
		if bg := b.eval(`getComputedStyle(document.querySelector(".btn-primary")).backgroundColor`); bg != "rgb(15, 118, 110)" {
			t.Fatalf("login button colour %q", bg)
		}
		check("login page")
		if s := b.text(".welcome"); !strings.Contains(s, "Hello clients") {
			t.Fatalf("welcome message: %q", s)
		}

		// The client logs in on the domain and gets the agency's portal.
		b.fill(map[string]string{"f-email": w.graceEmail, "f-password": w.gracePw})
		b.expectPath("login", b.submit("login", "main form button[type=submit]"), "/app")
		for _, p := range []string{"/app", "/app/reports", "/app/agencies", "/app/users", "/app/security", "/app/profile"} {
			b.visit(p, 200)
			check("portal " + p)
		}
	})
}
