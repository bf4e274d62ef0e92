package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
)

// guardFunc is web.go's g: a page's target, action and section, then its
// handler, behind the guard.
type guardFunc func(t target, action authz.Action, section string, fn func(*call)) http.HandlerFunc

// dailyRoutes are the pages of what an agency reaches for every day (issue
// 18): restoring a revoked client, changing who sees a client, a client
// user's password reset, the audit log and the overview. Kept apart from
// web.go's table so that the table stays readable.
func (h *handler) dailyRoutes(m *pageMux, g guardFunc) {
	m.HandleFunc("POST /app/clients/{client_id}/restore", g(agencyClient, authz.ClientDisconnect, "clients", h.clientRestore))
	m.HandleFunc("POST /app/clients/{client_id}/access", g(agencyClient, authz.ClientDisconnect, "clients", h.clientAccessSave))
	m.HandleFunc("POST /app/clients/{client_id}/users/{user_id}/password-reset", g(agencyClient, authz.ClientUsersManage, "clients", h.clientUserReset))
	m.HandleFunc("POST /app/invitations/{invitation_id}/link", g(invitationOf, authz.InvitationManage, "", h.invitationLink))
	m.HandleFunc("POST /app/settings/timezone", g(ownAgency, authz.AgencyManage, "settings", h.saveTimezone))
	// The audit log (audit_pages.go): the agency's, and a client's for its admins.
	m.HandleFunc("GET /app/audit", g(ownAgency, authz.AuditRead, "audit", h.auditPage))
	m.HandleFunc("GET /app/audit.csv", g(ownAgency, authz.AuditRead, "audit", h.auditCSV))
	m.HandleFunc("GET /app/"+clientAuditSlug, g(ownClient, authz.AuditRead, clientAuditSlug, h.auditPage))
	m.HandleFunc("GET /app/"+clientAuditSlug+".csv", g(ownClient, authz.AuditRead, clientAuditSlug, h.auditCSV))
}

// clientRestore lifts a revocation: the client's users may log in at once.
func (h *handler) clientRestore(c *call) {
	if _, err := h.deps.Clients.Restore(c.ctx(), c.rel, c.a); err != nil {
		c.refused(err, h.clientPath(c))
		return
	}
	c.done("Access restored. The client's users can log in again; its history is as it was.", h.clientPath(c))
}

// clientUserReset e-mails a client user a link to choose a new password,
// in the agency's brand.
func (h *handler) clientUserReset(c *call) {
	if err := h.deps.Auth.SendResetFor(c.ctx(), c.rel, c.a, c.r.PathValue("user_id")); err != nil {
		c.refused(err, h.clientPath(c)+"#users")
		return
	}
	c.done("Password reset sent. The link works for 24 hours; their current password works until they use it.", h.clientPath(c)+"#users")
}

// invitationLink shows a pending invitation's link to copy, once, above
// the list it came from (the new-link panel with its Copy button).
func (h *handler) invitationLink(c *call) {
	c.form()
	back := backTo(c, "/app/invitations")
	inv, err := h.deps.Invites.CopyLink(c.ctx(), c.rel, c.a, c.r.PathValue("invitation_id"))
	if err != nil {
		c.refused(err, back)
		return
	}
	h.setFlash(c.w, flash{Notice: "A link for " + inv.Email + " to copy and share: the e-mailed link keeps working, a link copied earlier does not.", Link: inv.URL})
	redirect(c.w, c.r, back)
}
