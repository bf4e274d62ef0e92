package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// billingForm is every field of the billing-details form.
func billingForm(set ...string) url.Values {
	v := url.Values{"contact_name": {""}, "contact_email": {""}, "company_name": {""}, "address": {""}, "tax_id": {""}, "po_reference": {""}}
	for i := 0; i+1 < len(set); i += 2 {
		v.Set(set[i], set[i+1])
	}
	return v
}

// TestBillingDetailsPages: the portal's Billing page and its navigation item
// (client admins while manage_billing is on; members never; Login As sees
// what the client's admin sees), its form with errors beside the fields,
// and the Billing details panel of the agency's client page.
func TestBillingDetailsPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s := w.s
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		_, memberID, _ := s.Signup(t, "Mary Member", "mary@navy.example", "Mary Own", "client")
		s.AddMember(t, w.clientID, memberID, "member")
		mary := loginAs(t, s, "mary@navy.example", testkit.Password)
		// A viewer of the agency sees the client, not its billing details.
		_, vicID, _ := s.Signup(t, "Vic Viewer", "vic@agency.example", "Vic Own", "client")
		s.AddMember(t, w.agencyID, vicID, "viewer")
		vic := loginAs(t, s, "vic@agency.example", testkit.Password)
		vic.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "vic switches", "/app")
		api := s.Login(t, adminEmail, adminPass)
		setBilling := func(on bool) {
			t.Helper()
			api.Must(t, http.StatusOK, "PATCH", "/api/v1/agencies/"+w.agencyID+"/clients/"+w.clientID,
				map[string]any{"permissions": map[string]any{"manage_billing": on}})
		}
		nav := `href="/app/billing-details"`
		audits := func() int {
			return count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'client.billing_details.update'`)
		}

		// Off (the default): no item, and the page says why.
		w.grace.get("/app").lacks(t, "portal home, billing off", nav)
		w.grace.get("/app/billing-details").expect(t, "billing page, off", 403, "not enabled billing management")
		w.grace.post("/app/billing-details", billingForm("company_name", "Navy")).expect(t, "post, off", 403)
		mary.get("/app/billing-details").expect(t, "member, off", 403)

		setBilling(true)
		a := w.grace.get("/app")
		a.expect(t, "portal home, billing on", 200, nav, ">Billing<")
		mary.get("/app").lacks(t, "member's portal, billing on", nav)
		mary.get("/app/billing-details").expect(t, "member, on", 403)
		mary.post("/app/billing-details", billingForm("company_name", "Navy")).expect(t, "member posts", 403)

		a = w.grace.get("/app/billing-details")
		a.expect(t, "billing page", 200, "<h1>Billing</h1>", "No billing details yet", `id="f-contact_email"`, `type="email"`,
			`<textarea id="f-address"`, `id="f-tax_id"`, `id="f-po_reference"`, "Save billing details", `aria-current="page"`)
		if n := count(t, s, `SELECT COUNT(*) FROM activity_events WHERE page = 'billing' AND client_id = ?`, w.clientID); n != 1 {
			t.Errorf("%d billing page views, want 1", n)
		}

		// A bad e-mail: the error beside its field, what was typed kept,
		// nothing saved.
		a = w.grace.post("/app/billing-details", billingForm("company_name", "US Navy", "contact_email", "grace at navy"))
		a.expect(t, "bad e-mail", 400, `id="f-contact_email-error"`, "Enter the contact", `value="US Navy"`, `value="grace at navy"`,
			`aria-describedby="f-contact_email-hint f-contact_email-error"`)
		a = w.grace.post("/app/billing-details", billingForm("company_name", "Navy\x07"))
		// A control character is refused at the edge for every form
		// (web.checkForm): a 400 page that names the field.
		a.expect(t, "control character", 400, "company_name")
		if n := audits(); n != 0 {
			t.Fatalf("refused posts wrote %d audit entries", n)
		}
		w.grace.get("/app/billing-details").lacks(t, "after refused posts", "US Navy")

		w.grace.post("/app/billing-details", billingForm("company_name", "US Navy", "contact_email", "Grace@Navy.example",
			"address", "1 Pentagon\r\nArlington")).redirects(t, "save", "/app/billing-details")
		a = w.grace.get("/app/billing-details")
		a.expect(t, "saved", 200, "Billing details saved.", `value="US Navy"`, `value="grace@navy.example"`,
			">1 Pentagon\nArlington</textarea>", "by Grace Hopper")
		if n := audits(); n != 2 { // the client and the agency
			t.Fatalf("%d audit entries after a save, want 2", n)
		}

		// The agency's client page: the panel, its form and its errors.
		page := "/app/clients/" + w.clientID
		a = w.ada.get(page)
		a.expect(t, "client page", 200, `href="#billing"`, `<section id="billing"`, `action="`+page+`/billing-details"`,
			`value="US Navy"`, "Billing is on in its permissions")
		a = w.ada.post(page+"/billing-details", billingForm("company_name", "US Navy", "tax_id", strings.Repeat("9", 70)))
		a.expect(t, "agency: long tax ID", 400, `id="f-tax_id-error"`, "at most 64 characters", `<section id="billing"`)
		w.ada.post(page+"/billing-details", billingForm("company_name", "United States Navy", "tax_id", "US-1")).
			redirects(t, "agency saves", page+"#billing")
		w.ada.get(page).expect(t, "agency saved", 200, `value="United States Navy"`, `value="US-1"`, "by Ada Lovelace")
		// An agency save sends only the form's fields: the ones left empty
		// are cleared.
		w.grace.get("/app/billing-details").expect(t, "client sees the agency's change", 200, `value="United States Navy"`)
		if n := audits(); n != 4 {
			t.Fatalf("%d audit entries, want 4", n)
		}

		// A viewer of the agency: no panel, and posting is refused.
		a = vic.get(page)
		a.expect(t, "viewer's client page", 200)
		a.lacks(t, "viewer's client page", `<section id="billing"`, "United States Navy")
		vic.post(page+"/billing-details", billingForm("company_name", "X")).expect(t, "viewer posts", 403)

		// Login As: the client admin's view, so the item and the page
		// follow manage_billing.
		start := "/app/clients/" + w.clientID + "/login-as"
		w.ada.post(start, url.Values{"return_to": {page}}).redirects(t, "start Login As", "/app")
		w.ada.get("/app").expect(t, "Login As home", 200, nav)
		w.ada.get("/app/billing-details").expect(t, "Login As billing page", 200, "You are viewing", `value="United States Navy"`)
		setBilling(false)
		a = w.ada.get("/app")
		a.expect(t, "Login As home, off", 200, "You are viewing")
		a.lacks(t, "Login As home, off", nav)
		w.ada.get("/app/billing-details").expect(t, "Login As billing page, off", 403, "not enabled billing management")
		w.ada.post("/app/login-as/end", nil).redirects(t, "return", page)
		// The agency still reads and changes them.
		w.ada.get(page).expect(t, "panel, billing off", 200, `<section id="billing"`, "Billing is off in its permissions")
		w.grace.get("/app/billing-details").expect(t, "client, off again", 403)
	})
}
