package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// solidPNG is a w×h PNG of one colour.
func solidPNG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// domainLink is the first link to the custom domain's path… in the newest
// e-mail of the template to an address: the e-mails of a branded agency
// point at its domain.
func domainLink(t *testing.T, s *testkit.Server, template, to, base, path string) string {
	t.Helper()
	m := mailTo(t, s, template, to)
	i := strings.Index(m.Text, base+path)
	if i < 0 {
		t.Fatalf("no %s%s link in the %s e-mail:\n%s", base, path, template, m.Text)
	}
	return strings.TrimPrefix(strings.Fields(m.Text[i:])[0], base)
}

// TestBrowserCustomDomain walks, in Chromium on a verified custom domain
// of an agency that hides Liaison, every page a client's user can reach —
// the login page, the portal's pages, the login page after logging out,
// the password reset, an invitation to their existing account with its
// log-in step, a cancelled invitation, the refusal once their agency
// disables them, the error pages — and reads every e-mail a client can
// receive. Each page shows the agency's logo (the light one, also when the
// system theme is dark: the app stays light), its colour and title, and
// never Liaison's name or mark; each e-mail neither.
func TestBrowserCustomDomain(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s := w.s
		brandAgency(t, s, w.agencyID)
		admin := s.Login(t, adminEmail, adminPass)
		admin.Must(t, http.StatusOK, "POST", "/api/v1/agencies/"+w.agencyID+"/portal/logos/light",
			solidPNG(t, 160, 40, color.RGBA{15, 118, 110, 255}))
		// A dark logo (white on dark backgrounds) that the light app must not show.
		admin.Must(t, http.StatusOK, "POST", "/api/v1/agencies/"+w.agencyID+"/portal/logos/dark",
			solidPNG(t, 120, 40, color.RGBA{255, 255, 255, 255}))
		const domain = "portal.analytical.example"
		s.AddDomain(t, w.agencyID, domain, "verified")
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
		for _, brand := range []string{w.nike, w.adidas} { // two brands: the switcher shows
			if _, err := s.DB.Exec(t.Context(), `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				w.clientID, brand, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}

		_, _, bruceClient := s.Signup(t, "Bruce Wayne", "bruce@wayne.example", "Wayne Client", "client")
		// The e-mails from here on are the ones to read (a person's own
		// sign-up to Liaison, before any agency, is Liaison's).
		before, _, err := s.Mailer.List(t.Context(), 500, "")
		if err != nil {
			t.Fatal(err)
		}
		earlier := map[string]bool{}
		for _, m := range before {
			earlier[m.ID] = true
		}

		b := domainTab(t, s, domain)
		check := func(what string) {
			t.Helper()
			if title := b.eval(`document.title`); !strings.Contains(title, "Analytical Portal") || strings.Contains(title, plainName) {
				t.Fatalf("%s: title %q", what, title)
			}
			if text := b.eval(`document.body.innerText`); strings.Contains(text, plainName) {
				t.Fatalf("%s: the page names Liaison:\n%s", what, text)
			}
			if n := b.eval(`String(document.querySelectorAll("svg.logo").length)`); n != "0" {
				t.Fatalf("%s: %s of Liaison's marks on the page", what, n)
			}
			b.poll(what+": the light logo", `(() => { const i = document.querySelector("header .brand-img");
				return !!i && i.complete && i.naturalWidth === 160 && i.getAttribute("src").startsWith("/brand/logos/"); })()`)
			if alt := b.eval(`document.querySelector("header .brand-img").alt`); alt != "Analytical Portal" {
				t.Fatalf("%s: logo alt %q", what, alt)
			}
			if v := b.eval(`getComputedStyle(document.documentElement).getPropertyValue("--primary").trim()`); v != "#0f766e" {
				t.Fatalf("%s: --primary is %q", what, v)
			}
			if bg := b.eval(`(() => { const e = document.querySelector(".btn-primary"); return e ? getComputedStyle(e).backgroundColor : "none" })()`); bg != "rgb(15, 118, 110)" && bg != "none" {
				t.Fatalf("%s: primary button colour %q", what, bg)
			}
		}
		visit := func(path string, status int64) {
			t.Helper()
			if st := b.open(path); st != status {
				t.Fatalf("%s on %s: %d, want %d (page says %q)", path, domain, st, status, b.text("main"))
			}
			allowed := 0
			if status != 200 {
				allowed = int(status)
			}
			b.noProblems(path, allowed)
			check(path)
		}
		submit := func(what, button, want string) {
			t.Helper()
			b.expectPath(what, b.submit(what, button), want)
			check(what)
		}

		visit("/login", 200)
		if s := b.text(".welcome"); !strings.Contains(s, "Hello clients") {
			t.Fatalf("welcome message: %q", s)
		}
		visit("/forgot", 200)
		visit("/reset/not-a-real-token", http.StatusGone)
		visit("/no/such/page", 404)

		// The client logs in on the domain and gets the agency's portal.
		b.open("/login")
		b.fill(map[string]string{"f-email": w.graceEmail, "f-password": w.gracePw})
		submit("login", "main form button[type=submit]", "/app")
		for _, p := range []string{"/app", "/app/reports", "/app/agencies", "/app/users", "/app/security", "/app/profile",
			"/app/sessions", "/app/tokens"} {
			visit(p, 200)
		}
		if n := b.eval(`String(document.querySelectorAll("#brand-switch option").length)`); n != "2" {
			t.Fatalf("brand switcher with %s brands", n)
		}
		visit("/app/no-such-section", 404)
		visit("/app/clients", 404)
		// A part of the portal the agency switched off.
		perm := func(on bool) {
			t.Helper()
			if _, err := s.DB.Exec(t.Context(), `UPDATE agency_clients SET perm_reports = ? WHERE client_id = ?`, on, w.clientID); err != nil {
				t.Fatal(err)
			}
		}
		perm(false)
		visit("/app/reports", http.StatusForbidden)
		perm(true)
		// A dark system theme: the app stays light, so does the logo.
		scheme := func(v string) {
			t.Helper()
			if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}}); err != nil {
				t.Fatal(err)
			}
		}
		scheme("dark")
		visit("/app", 200)
		scheme("light")

		// Logged out: the login page is the agency's.
		b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
		submit("log out", ".usermenu .menu-button", "/login")

		// The password reset, from the e-mail to the new password.
		b.open("/forgot")
		b.fill(map[string]string{"f-email": w.graceEmail})
		submit("ask for a reset", "main form button[type=submit]", "/forgot")
		visit(domainLink(t, s, "password_reset", w.graceEmail, b.base, "/reset/"), 200)
		b.fill(map[string]string{"f-password": "a brand new passphrase"})
		submit("new password", "main form button[type=submit]", "/app")

		// An invitation to the existing account, into a second client:
		// landing, log-in step, acceptance, the portal with the welcome.
		w.ada.post("/app/invitations", url.Values{"email": {w.graceEmail}, "client_name": {"Navy Reserve"}}).
			redirects(t, "invite grace", "/app/invitations")
		inv := domainLink(t, s, "invitation", w.graceEmail, b.base, "/invite/")
		b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
		submit("log out", ".usermenu .menu-button", "/login")
		visit(inv, 200)
		submit("log in to accept", `main a.btn-primary[href^="/login?next="]`, "/login")
		b.fill(map[string]string{"f-email": w.graceEmail, "f-password": "a brand new passphrase"})
		submit("log in", "main form button[type=submit]", inv)
		submit("accept", "main form button[type=submit]", "/app")
		if s := b.text(".notice-success p"); s != "Welcome to Navy Reserve." {
			t.Fatalf("notice after accepting: %q", s)
		}
		if n := b.eval(`String(document.querySelectorAll("main .welcome strong").length) + document.querySelector("main").innerText.includes("**")`); n != "1false" {
			t.Fatalf("the welcome message on the portal home: %s (want rendered once)", n)
		}

		// A cancelled invitation's link.
		w.ada.post("/app/clients/"+w.clientID+"/invitations", url.Values{"invite_email": {"carla@client.example"}, "invite_role": {"member"}}).
			redirects(t, "invite carla", "/app/clients/"+w.clientID+"#invitations")
		carla := domainLink(t, s, "invitation", "carla@client.example", b.base, "/invite/")
		var invID string
		if err := s.DB.Get(t.Context(), &invID, `SELECT id FROM invitations WHERE email = ?`, "carla@client.example"); err != nil {
			t.Fatal(err)
		}
		w.ada.post("/app/invitations/"+invID+"/cancel", nil).redirects(t, "cancel", "/app/invitations")
		visit(carla, http.StatusGone)

		// The other e-mails a client receives: Login As started, a link
		// request from the agency and its cancellation.
		w.ada.post("/app/clients/"+w.clientID+"/login-as", url.Values{"reason": {"Check the reports"}}).expect(t, "login as", http.StatusSeeOther)
		w.ada.post("/app/login-as/end", nil).expect(t, "end login as", http.StatusSeeOther)
		w.ada.post("/app/links", url.Values{"target": {bruceClient}}).redirects(t, "link request", "/app/links")
		var linkID string
		if err := s.DB.Get(t.Context(), &linkID, `SELECT id FROM links WHERE client_id = ? AND status = 'pending'`, bruceClient); err != nil {
			t.Fatal(err)
		}
		w.ada.post("/app/links/"+linkID+"/cancel", nil).redirects(t, "cancel the request", "/app/links")

		// A new person accepts a link invitation on the domain: their
		// confirmation e-mail.
		w.ada.post("/app/invitations", url.Values{"email": {"dora@client.example"}, "client_name": {"Dora Co"}, "delivery": {"link"}}).
			redirects(t, "link invitation", "/app/invitations")
		dora := w.ada.get("/app/invitations").find(t, "link", `value="http[^"]+(/invite/[^"]+)"`)
		visit("/app", 200)
		b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
		submit("log out", ".usermenu .menu-button", "/login")
		visit(dora, 200)
		b.fill(map[string]string{"f-name": "Dora", "f-password": testkit.Password})
		submit("dora signs up", "main form button[type=submit]", "/app")
		visit(domainLink(t, s, "email_verify", "dora@client.example", b.base, "/verify/"), 200)
		submit("dora confirms", "main form button[type=submit]", b.path())
		visit("/app", 200)
		b.do("open the user menu", chromedp.Click(chromedp.CSS(".usermenu summary")))
		submit("dora logs out", ".usermenu .menu-button", "/login")

		// Grace's clients disabled: the login refuses, in the brand.
		var clients []string
		if err := s.DB.Select(t.Context(), &clients, `SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE u.email = ?`, w.graceEmail); err != nil || len(clients) != 2 {
			t.Fatalf("grace's accounts %v, %v", clients, err)
		}
		for _, c := range clients {
			admin.Must(t, http.StatusOK, "PATCH", "/api/v1/agencies/"+w.agencyID+"/clients/"+c, map[string]any{"enabled": false})
		}
		visit("/app", 200) // the session ended with the change: the login page
		if p := b.path(); p != "/login" {
			t.Fatalf("a disabled client's user is at %s", p)
		}
		b.fill(map[string]string{"f-email": w.graceEmail, "f-password": "a brand new passphrase"})
		b.submit("disabled login", "main form button[type=submit]")
		b.noProblems("disabled login", http.StatusForbidden)
		check("disabled login")
		if s := b.text(".notice-error"); !strings.Contains(s, "disabled by your agency") {
			t.Fatalf("disabled login says %q", s)
		}

		// Every e-mail a client's user received names the agency only.
		msgs, _, err := s.Mailer.List(t.Context(), 500, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range msgs {
			if m.To == adminEmail || earlier[m.ID] {
				continue
			}
			noLiaison(t, m)
			if m.FromName != "Analytical Portal" {
				t.Fatalf("the %s e-mail to %s is from %q", m.Template, m.To, m.FromName)
			}
			seen[m.Template] = true
		}
		for _, tpl := range []string{"password_reset", "password_changed", "invitation", "impersonation_started", "link_request", "link_answer",
			"email_verify"} {
			if !seen[tpl] {
				t.Fatalf("no %s e-mail to a client was read (read: %v)", tpl, seen)
			}
		}
	})
}
