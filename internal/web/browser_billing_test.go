package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserBillingDetails: the client's admin opens Billing from the
// portal's navigation, fills the form, meets an error beside its field and
// saves; the agency admin reads and changes them in the Billing details
// panel of the client's page. Every page loads with a silent console.
func TestBrowserBillingDetails(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})
	s.Login(t, adminEmail, adminPass).Must(t, http.StatusOK, "PATCH", "/api/v1/agencies/"+agencyID+"/clients/"+clientID,
		map[string]any{"permissions": map[string]any{"manage_billing": true}})

	b := newTab(t, s.URL)
	b.login("grace@navy.example", testkit.Password)
	b.expectPath("Billing in the navigation", b.submit("open Billing", `nav a[href="/app/billing-details"]`), "/app/billing-details")
	b.visit("/app/billing-details", 200)
	b.fill(map[string]string{"f-contact_name": "Grace Hopper", "f-contact_email": "grace@navy.example", "f-company_name": "US Navy",
		"f-address": "1 Pentagon\nArlington, VA", "f-po_reference": "PO-1906"})
	// Eleven lines of address: the server refuses them beside the field.
	b.do("too many lines", chromedp.SetValue(chromedp.ID("f-address"), strings.Repeat("line\n", 11)+"end"))
	b.expectPath("refused", b.submit("save", "main form.billing-form button[type=submit]"), "/app/billing-details")
	if msg := b.text("#f-address-error"); !strings.Contains(msg, "at most 10") {
		t.Fatalf("address error: %q", msg)
	}
	if v := b.eval(`document.getElementById("f-company_name").value + "|" + document.getElementById("f-address").getAttribute("aria-invalid")`); v != "US Navy|true" {
		t.Fatalf("after the error: %q", v)
	}
	b.shoot("/app/billing-details-error")
	b.noProblems("refused save", 400)
	b.do("fix the address", chromedp.SetValue(chromedp.ID("f-address"), "1 Pentagon\nArlington, VA"))
	b.expectPath("saved", b.submit("save", "main form.billing-form button[type=submit]"), "/app/billing-details")
	if s := b.text("main"); !strings.Contains(s, "Billing details saved") || !strings.Contains(s, "by Grace Hopper") {
		t.Fatalf("after saving: %q", s)
	}
	b.noProblems("save", 0)
	b.logout()

	b.login(adminEmail, adminPass)
	page := "/app/clients/" + clientID
	b.visit(page, 200)
	if v := b.eval(`document.querySelector("#billing #f-company_name").value + "|" + document.querySelector("#billing #f-address").value`); v != "US Navy|1 Pentagon\nArlington, VA" {
		t.Fatalf("agency panel: %q", v)
	}
	b.do("change the tax ID", chromedp.SendKeys(chromedp.CSS("#billing #f-tax_id"), "US-12"))
	b.expectPath("agency saves", b.submit("agency save", "#billing button[type=submit]"), page)
	if v := b.eval(`document.querySelector("#billing #f-tax_id").value`); v != "US-12" {
		t.Fatalf("tax ID after saving: %q", v)
	}
	b.shoot(page + "-billing")
	b.noProblems("agency save", 0)
}
