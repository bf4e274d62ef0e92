package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The Billing page: the monthly total, the billable brands, the months
// chart with its table, the preview (errors beside the field), the ledger
// with causes in words, and the plan switch; only for agency admins.
func TestBillingPage(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		ada := newVisitor(t, s)
		ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
		_, agencyID := ada.me("agency")
		ada.get("/app/billing").expect(t, "empty billing", 200, "No brand is billable", "$0.00", "Nothing yet")
		nike := s.AddBrand(t, agencyID, "Nike")
		if a := ada.post("/app/clients", url.Values{"name": {"Run Club"}, "brand_ids": {nike}, "seats": {"0"}, "enabled": {"on"}, "access": {"all"}}); a.status != 303 {
			t.Fatalf("create client: %d\n%s", a.status, a.body)
		}
		a := ada.get("/app/billing")
		a.expect(t, "billing", 200, `id="billing-total">$49.00<`, "Nike", "A client was created with the brand", "Billed per month",
			`id="preview-total"`, "Started")
		// The preview's bad period is beside its field.
		bad := ada.get("/app/billing?from=2026-13-01&to=x")
		bad.expect(t, "bad preview", 400, `id="f-from-error"`)
		// The plan switches from tomorrow.
		ada.post("/app/billing/plan", url.Values{"plan": {"annual"}}).redirects(t, "plan", "/app/billing")
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		ada.get("/app/billing").expect(t, "planned", 200, "From "+tomorrow+" your plan is annual.")
		// A member of the agency does not see it.
		_, memberID, _ := s.Signup(t, "Max", "max@example.com", "Max Own", "client")
		s.AddMember(t, agencyID, memberID, "member")
		max := loginAs(t, s, "max@example.com", testkit.Password)
		max.post("/app/switch", url.Values{"account_id": {agencyID}})
		if b := max.get("/app/billing"); b.status == 200 || strings.Contains(b.body, "Monthly total") {
			t.Fatalf("a member sees billing: %d", b.status)
		}
	})
}
