package web_test

import (
	"context"
	"image/color"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserMorePages opens, with axe-core, the pages and states the
// other browser tests leave out: Portal & Domains with logos, a domain and
// a refused upload (its error in view, beside its field), a client page
// with open invitations and a full seat count, the invitation landing for
// someone logged in as another person, a page switched off (403), and the
// digest's unsubscribe pages.
func TestBrowserMorePages(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	s := w.s
	admin := s.Login(t, adminEmail, adminPass)
	admin.Must(t, http.StatusOK, "POST", "/api/v1/agencies/"+w.agencyID+"/portal/logos/light",
		solidPNG(t, 160, 40, color.RGBA{15, 118, 110, 255}))
	s.AddDomain(t, w.agencyID, "portal.analytical.example", "pending")

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.visit("/app/portal", 200)

	// A refused upload: the page opens at the slot, the error in view
	// under its field.
	b.open("/app/portal")
	svg := t.TempDir() + "/logo.svg"
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("choose a file", chromedp.SetUploadFiles(chromedp.CSS(`#logo-mobile-file`), []string{svg}))
	b.expectPath("upload", b.submit("upload", `form[action="/app/portal/logos/mobile"] button[type=submit]`), "/app/portal")
	b.noProblems("refused upload", 0)
	if in := b.eval(`(() => { const e = document.getElementById("logo-mobile-error"); if (!e) return "missing";
		const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight ? "in view" : "at " + r.top + " of " + innerHeight; })()`); in != "in view" {
		t.Fatalf("the upload's error is %s", in)
	}

	// A client with a seat limit and open invitations, as the agency sees it.
	a := w.ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"2"}, "enabled": {"on"}, "access": {"all"}})
	a.expect(t, "create", http.StatusSeeOther)
	acme := a.header.Get("Location")
	w.ada.post(acme+"/invitations", url.Values{"invite_email": {"one@acme.example"}, "invite_role": {"admin"}}).
		redirects(t, "invite", acme+"#invitations")
	b.visit(acme, 200)
	b.visit("/app/invitations?status=all", 200)

	// The landing of an invitation for someone else than who is logged in.
	link := strings.TrimPrefix(s.MailLink(t, "invitation", "one@acme.example", "/invite/"), s.URL)
	b.visit(link, 200)
	if !strings.Contains(b.text("main"), "but you are logged in as "+adminEmail) {
		t.Fatalf("landing as someone else: %q", b.text("main"))
	}

	// A switched-off page of the portal.
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
	if _, err := s.DB.Exec(t.Context(), `UPDATE agency_clients SET perm_reports = FALSE WHERE client_id = ?`, w.clientID); err != nil {
		t.Fatal(err)
	}
	b.open("/app")
	b.logout()
	b.login(w.graceEmail, w.gracePw)
	b.visit("/app/reports", http.StatusForbidden)
	b.logout()

	// The digest's one-click unsubscribe: asked, done, gone.
	const tok = "digest-token-for-the-browser-test"
	if _, err := s.DB.Exec(context.Background(), `INSERT INTO digest_unsubscribe (token_hash, user_id, created_at) VALUES (?, ?, ?)`,
		id.Hash(tok), w.adaID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	b.visit("/digest/unsubscribe/"+tok, 200)
	b.submit("unsubscribe", "main form button[type=submit]")
	b.noProblems("unsubscribed", 0)
	b.visit("/digest/unsubscribe/"+tok, http.StatusGone)
}
