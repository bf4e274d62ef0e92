package web

import (
	"net/http"
	"strconv"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientbilling"
	"github.com/liaison-dev/liaison/internal/errs"
)

// A client's billing details (SPEC §12): the portal's Billing page, for the
// client's admins while the agency allows manage_billing (the page table's
// rule, authz.BillingDetailsRead/Write with its gate; its navigation item
// only when that check passes), and the "Billing details" panel of the
// agency's client page, for its admins and assigned account managers.
// During Login As the agency user meets the portal page as the client's
// admin would. Both forms post every field; the domain validates them and
// an error goes beside its field.

// billingSlug is the portal page's path under /app (the agency's own
// Billing section is /app/billing).
const billingSlug = "billing-details"

// billingFieldView is one field of the form.
type billingFieldView struct {
	ID, Name, Label, Type, Auto, Hint, Value, Error string
	Max                                             string
	Multiline                                       bool
}

// DescribedBy links the input to its hint and error.
func (f billingFieldView) DescribedBy() string {
	return fieldView{ID: f.ID, Hint: f.Hint, Error: f.Error}.DescribedBy()
}

// billingPanel is the form (or, for a viewer who may not change them, the
// list) of the billing details; the "billing-details" partial shows it.
type billingPanel struct {
	Action  string
	Manage  bool
	Fields  []billingFieldView
	Details clientbilling.Details
}

// billingInputs are how each field is typed in: input type, autocomplete
// and hint.
var billingInputs = map[string][3]string{
	"contact_name":  {"text", "name", "Who receives the invoices."},
	"contact_email": {"email", "email", "Where invoices are sent."},
	"company_name":  {"text", "organization", "As it should appear on invoices."},
	"address":       {"", "street-address", "Up to 10 lines."},
	"tax_id":        {"text", "off", "VAT number, EIN, ABN or similar."},
	"po_reference":  {"text", "off", "A purchase-order number to quote on invoices."},
}

// billingPanelOf builds the panel: after a refused post, the values that
// were posted; otherwise the stored ones.
func billingPanelOf(p *page, d clientbilling.Details, action string, manage bool) billingPanel {
	bp := billingPanel{Action: action, Manage: manage, Details: d}
	for _, f := range clientbilling.Fields {
		in := billingInputs[f.Name]
		v, posted := p.Values[f.Name]
		if !posted {
			v = f.Value(d)
		}
		bp.Fields = append(bp.Fields, billingFieldView{ID: "f-" + f.Name, Name: f.Name, Label: f.Label, Type: in[0],
			Auto: in[1], Hint: in[2], Value: v, Error: p.Errors[f.Name], Max: strconv.Itoa(f.MaxLength()), Multiline: f.Multiline()})
	}
	return bp
}

// billingFields maps each field's name to itself for call.invalid.
func billingFields() map[string]string {
	m := map[string]string{}
	for _, f := range clientbilling.Fields {
		m[f.Name] = f.Name
	}
	return m
}

// billingChange reads the posted form: the fields it holds are the ones
// to replace.
func (c *call) billingChange() clientbilling.Change {
	names := make([]string, 0, len(clientbilling.Fields))
	for _, f := range clientbilling.Fields {
		names = append(names, f.Name)
	}
	c.form(names...)
	var ch clientbilling.Change
	for _, f := range clientbilling.Fields {
		if _, ok := c.r.PostForm[f.Name]; ok {
			f.Set(&ch, c.p.Values[f.Name])
		}
	}
	return ch
}

type portalBillingData struct{ Panel billingPanel }

// portalBilling is the client portal's Billing page.
func (h *handler) portalBilling(c *call) { h.showPortalBilling(c, http.StatusOK) }

func (h *handler) showPortalBilling(c *call, status int) {
	d, err := h.deps.ClientBilling.Get(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Billing"
	c.p.Data = portalBillingData{Panel: billingPanelOf(c.p, d, "/app/"+billingSlug, c.can(authz.BillingDetailsWrite))}
	c.render(status, "portal_billing")
}

func (h *handler) portalBillingSave(c *call) {
	if _, err := h.deps.ClientBilling.Update(c.ctx(), c.rel, c.a, c.billingChange()); err != nil {
		c.invalid(err, billingFields(), func(st int) { h.showPortalBilling(c, st) })
		return
	}
	c.done("Billing details saved.", "/app/"+billingSlug)
}

// clientBilling is the panel of the agency's client page, or nil for a
// viewer who may not read the details.
func (h *handler) clientBilling(c *call) (*billingPanel, error) {
	if !c.can(authz.BillingDetailsRead) {
		return nil, nil
	}
	d, err := h.deps.ClientBilling.Get(c.ctx(), c.rel)
	if err != nil {
		return nil, err
	}
	bp := billingPanelOf(c.p, d, h.clientPath(c)+"/billing-details", c.can(authz.BillingDetailsWrite))
	return &bp, nil
}

func (h *handler) clientBillingSave(c *call) {
	if _, err := h.deps.ClientBilling.Update(c.ctx(), c.rel, c.a, c.billingChange()); err != nil {
		c.invalid(err, billingFields(), func(st int) { h.showClient(c, st) })
		return
	}
	c.done("Billing details saved.", h.clientPath(c)+"#billing")
}

// billingInNav reports whether the portal's navigation offers Billing: the
// page's own check, so that the item and the page cannot disagree.
func (h *handler) billingInNav(r *http.Request, a *authz.Actor, clientID string) (bool, error) {
	_, err := h.deps.Authz.Check(r.Context(), a, clientID, authz.BillingDetailsRead)
	if err == nil {
		return true, nil
	}
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return false, err
}
