package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
)

// The client portal's shell (issue 8): the agency's brand around every
// page, the brand switcher, and one navigation item per feature the agency
// left on and the user's role may use. A feature that is off is hidden and
// its page answers 403 (featureOff).

// portalSections works out the client portal of the current account and
// the navigation it offers.
func (h *handler) portalSections(r *http.Request, a *authz.Actor, cur *account.Membership) (*branding.ClientView, []section, error) {
	v, err := h.clientPortal(r, a, cur.Account.ID)
	if err != nil {
		return nil, nil, err
	}
	admin := cur.Role == "admin"
	var out []section
	if v.Features.Reports {
		out = append(out, section{Slug: "reports", Label: "Reports"})
	}
	out = append(out, section{Slug: "agencies", Label: "Agencies"})
	if v.Features.Users && admin {
		out = append(out, section{Slug: "users", Label: "Users"})
	}
	// Groups of the client's users, which the agency shares reports with
	// (issue 24): its admins manage them.
	if admin {
		out = append(out, section{Slug: "user-groups", Label: "Groups"})
	}
	// Billing: the client's billing details, for its admins while the
	// agency allows manage_billing (billing_details_pages.go).
	if admin || a.Impersonating() {
		on, err := h.billingInNav(r, a, cur.Account.ID)
		if err != nil {
			return nil, nil, err
		}
		if on {
			out = append(out, section{Slug: billingSlug, Label: "Billing"})
		}
	}
	// Security: whether agencies may Login As, and its log (issue 7);
	// not for an agency user who is logged in as the client.
	if admin && !a.Impersonating() {
		out = append(out, section{Slug: "security", Label: "Security"})
	}
	// The account's audit log (audit_pages.go, issue 18): its admins.
	if admin && !a.Impersonating() {
		out = append(out, section{Slug: clientAuditSlug, Label: "Audit log"})
	}
	return &v, out, nil
}

// featureOff answers 403 when the agency switched a portal feature off.
func (c *call) featureOff(on func(branding.Features) bool) bool {
	if p := c.p.Shell.Portal; p != nil && !on(p.Features) {
		c.fail(errs.E(errs.Forbidden, "feature_off", "This part of the portal is switched off for your account."))
		return true
	}
	return false
}

// chooseBrand is the brand switcher: the choice is remembered per user and
// account.
func (h *handler) chooseBrand(c *call) {
	c.form("brand_id")
	hostAgency, err := h.deps.Branding.AgencyForHost(c.ctx(), c.r.Host)
	if err == nil {
		err = h.deps.Branding.ChooseBrand(c.ctx(), c.a.UserID, c.acc.ID, hostAgency, c.p.Values["brand_id"])
	}
	if err != nil {
		c.refused(err, "/app")
		return
	}
	redirect(c.w, c.r, input.LocalPathUnder(c.r.PostFormValue("next"), "/", "/app"))
}
