package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// brandAgency gives the agency a branding that hides Liaison.
func brandAgency(t *testing.T, s *testkit.Server, agencyID string) {
	t.Helper()
	if _, err := s.DB.Exec(context.Background(), `INSERT INTO agency_portal (agency_id, portal_name, primary_color, accent_color,
		welcome_message, hide_liaison_branding, updated_at) VALUES (?, 'Analytical Portal', '#0f766e', '#b45309', 'Hello **clients**', TRUE, ?)`,
		agencyID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}

// TestPortalShell: a client linked to a branded agency sees the agency's
// portal (theme, name, no Liaison), switches between its granted brands
// (remembered), loses a feature the agency switches off (hidden, 403), and
// edits its profile.
func TestPortalShell(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, grace := w.s, w.grace
		brandAgency(t, s, w.agencyID)
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
		for _, b := range []string{w.nike, w.adidas} {
			if _, err := s.DB.Exec(context.Background(), `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				w.clientID, b, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
		a := grace.get("/app")
		a.expect(t, "portal home", 200, "/brand/themes/"+w.agencyID+".css?v=", "Analytical Portal</title>", `class="brand-name">Analytical Portal`,
			`name="brand_id"`, `href="/app/reports"`, `href="/app/users"`, `href="/app/security"`, `href="/app/profile"`)
		a.lacks(t, "portal home", "Liaison", "img/logo.svg")
		if !strings.Contains(a.body, `value="`+w.adidas+`" selected`) {
			t.Fatalf("first brand (by name) not current:\n%s", a.body)
		}
		grace.post("/app/brand", url.Values{"brand_id": {w.nike}, "next": {"/app/reports"}}).redirects(t, "switch brand", "/app/reports")
		a = grace.get("/app/reports")
		a.expect(t, "reports of the chosen brand", 200, "Reports", "Nike")
		if !strings.Contains(a.body, `value="`+w.nike+`" selected`) {
			t.Fatalf("the chosen brand is not remembered:\n%s", a.body)
		}
		// A brand the account was not granted is not offered.
		other := s.AddBrand(t, w.agencyID, "Puma")
		if a := grace.post("/app/brand", url.Values{"brand_id": {other}}); a.status != 404 {
			t.Fatalf("switch to an ungranted brand: %d", a.status)
		}

		// The agency switches reports and users off: hidden, and 403.
		if _, err := s.DB.Exec(context.Background(), `UPDATE agency_clients SET perm_reports = FALSE, perm_users = FALSE
			WHERE agency_id = ? AND client_id = ?`, w.agencyID, w.clientID); err != nil {
			t.Fatal(err)
		}
		a = grace.get("/app")
		a.expect(t, "portal without reports", 200, `href="/app/agencies"`)
		a.lacks(t, "portal without reports", `href="/app/reports"`, `href="/app/users"`)
		grace.get("/app/reports").expect(t, "reports switched off", 403, "switched off")
		grace.get("/app/users").expect(t, "users switched off", 403, "switched off")

		// Profile: name, and the password with its current one.
		grace.get("/app/profile").expect(t, "profile", 200, "Grace Hopper", `name="current_password"`)
		grace.post("/app/profile", url.Values{"name": {"Grace B. Hopper"}}).redirects(t, "rename", "/app/profile")
		grace.get("/app/profile").expect(t, "renamed", 200, "Grace B. Hopper", "Your name is saved.")
		grace.post("/app/profile/password", url.Values{"current_password": {"wrong one here"}, "password": {"a brand new passphrase"}}).
			expect(t, "wrong current password", 400, `id="f-current_password-error"`, "not your current password")
		grace.post("/app/profile/password", url.Values{"current_password": {w.gracePw}, "password": {"a brand new passphrase"}}).
			redirects(t, "change password", "/app/profile")
		loginAs(t, s, w.graceEmail, "a brand new passphrase")

		// The agency app stays Liaison's.
		w.ada.get("/app/clients").expect(t, "agency app", 200, "Liaison")
	})
}

// TestBrandedLoginOnCustomDomain: the login page on a verified domain is
// the agency's, without Liaison; the same page elsewhere is Liaison's.
func TestBrandedLoginOnCustomDomain(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		brandAgency(t, w.s, w.agencyID)
		w.s.AddDomain(t, w.agencyID, "portal.analytical.example", "verified")
		v := newVisitor(t, w.s)
		a := v.get("/login")
		a.expect(t, "plain login", 200, "Log in · Liaison")
		a.lacks(t, "plain login", "Analytical Portal")
		req := mustReq(t, w.s.URL+"/login")
		req.Host = "portal.analytical.example"
		a = v.do(req)
		a.expect(t, "branded login", 200, "Log in · Analytical Portal", "<strong>clients</strong>", "/brand/themes/"+w.agencyID+".css")
		a.lacks(t, "branded login", "Liaison")
	})
}

func mustReq(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
