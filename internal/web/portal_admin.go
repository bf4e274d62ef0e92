package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The agency's "Portal & Domains" page (issue 8): its branding, logos and
// custom domains. Every member sees them; admins change them.

type portalAdminData struct {
	Portal  branding.Portal
	Domains []branding.Domain
	Slots   []logoSlot
	Manage  bool
	Base    string // the server's own URL, for the "your portal" link
}

type logoSlot struct {
	Slot, Label, Hint, URL string
}

var brandingFields = []string{"portal_name", "primary_color", "accent_color", "welcome_message", "sender_name",
	"sender_email", "support_email"}

func (h *handler) portalAdmin(c *call) { h.showPortalAdmin(c, http.StatusOK, true) }

// showPortalAdmin renders the page; fill puts the saved branding into the
// form (false when the form comes back with its own values and an error).
func (h *handler) showPortalAdmin(c *call, status int, fill bool) {
	p, err := h.deps.Branding.Get(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	ds, err := h.deps.Branding.Domains(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	if fill {
		for k, v := range map[string]string{"portal_name": p.PortalName, "primary_color": p.PrimaryColor, "accent_color": p.AccentColor,
			"welcome_message": p.WelcomeMessage, "sender_name": p.SenderName, "sender_email": p.SenderEmail, "support_email": p.SupportEmail} {
			c.p.Values[k] = v
		}
		if p.HideLiaisonBranding {
			c.p.Values["hide_liaison_branding"] = "on"
		}
	}
	c.p.Title = "Portal & Domains"
	c.p.Data = portalAdminData{Portal: p, Domains: ds, Manage: c.can(authz.AgencyManage), Base: h.deps.BaseURL, Slots: []logoSlot{
		{"light", "Logo", "Shown on light backgrounds, and in e-mails.", p.Logos.Light},
		{"dark", "Logo for dark mode", "For dark backgrounds. Kept for a dark theme of the portal: today's pages are light and show the light logo.", p.Logos.Dark},
		{"mobile", "Logo for phones", "Shown on narrow screens; a compact mark works best.", p.Logos.Mobile},
	}}
	c.render(status, "portal")
}

func (h *handler) portalSave(c *call) {
	c.form(append(brandingFields, "hide_liaison_branding")...)
	v := c.p.Values
	str := func(k string) *string { s := v[k]; return &s }
	hide := v["hide_liaison_branding"] != ""
	_, err := h.deps.Branding.Put(c.ctx(), c.a, c.rel, branding.Update{PortalName: str("portal_name"), PrimaryColor: str("primary_color"),
		AccentColor: str("accent_color"), WelcomeMessage: str("welcome_message"), SenderName: str("sender_name"),
		SenderEmail: str("sender_email"), SupportEmail: str("support_email"), HideLiaisonBranding: &hide})
	if err != nil {
		fields := map[string]string{}
		for _, f := range brandingFields {
			fields[f] = f
		}
		c.invalid(err, fields, func(status int) { h.showPortalAdmin(c, status, false) })
		return
	}
	c.done("Portal saved.", "/app/portal")
}

// portalLogo takes a logo from a multipart form (field "logo"). The bytes
// are checked by the branding service; the file's name and type are not
// looked at.
func (h *handler) portalLogo(c *call) {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, branding.MaxLogoBytes+64<<10)
	var body []byte
	f, _, err := c.r.FormFile("logo")
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(f, branding.MaxLogoBytes+1))
		f.Close()
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		err = errs.E(errs.Invalid, "logo_too_large", "A logo may be at most 1 MiB.")
	case err != nil:
		err = errs.E(errs.Invalid, "logo_missing", "Choose an image file (PNG, JPEG or WebP).")
	default:
		_, err = h.deps.Branding.UploadLogo(c.ctx(), c.a, c.rel, c.r.PathValue("slot"), body)
	}
	if err != nil {
		// Beside the slot's file field, the page scrolled to it.
		c.refusedAt(err, "/app/portal", "logo-"+c.r.PathValue("slot"))
		return
	}
	c.done("Logo saved.", "/app/portal#logos")
}

func (h *handler) portalLogoDelete(c *call) {
	if err := h.deps.Branding.DeleteLogo(c.ctx(), c.a, c.rel, c.r.PathValue("slot")); err != nil {
		c.refused(err, "/app/portal#logos")
		return
	}
	c.done("Logo removed: your portal shows its name instead.", "/app/portal#logos")
}

func (h *handler) portalDomainAdd(c *call) {
	c.form("domain")
	d, err := h.deps.Branding.AddDomain(c.ctx(), c.a, c.rel, c.p.Values["domain"])
	if err != nil {
		c.invalid(err, map[string]string{"domain": "domain", "domain_taken": "domain", "too_many_domains": "domain"},
			func(status int) { h.showPortalAdmin(c, status, true) })
		return
	}
	c.done("Domain added. Publish its TXT record, then verify it.", "/app/portal#domain-"+d.Domain)
}

func (h *handler) portalDomainVerify(c *call) {
	d, err := h.deps.Branding.VerifyDomain(c.ctx(), c.a, c.rel, c.r.PathValue("domain"))
	if err != nil {
		c.refused(err, "/app/portal#domains")
		return
	}
	if d.Status != branding.DomainVerified {
		h.setFlash(c.w, flash{Error: d.Domain + " is not verified yet: " + d.LastError})
		redirect(c.w, c.r, "/app/portal#domains")
		return
	}
	c.done(d.Domain+" is verified: your clients get your portal there.", "/app/portal#domains")
}

func (h *handler) portalDomainDelete(c *call) {
	if err := h.deps.Branding.DeleteDomain(c.ctx(), c.a, c.rel, c.r.PathValue("domain")); err != nil {
		c.refused(err, "/app/portal#domains")
		return
	}
	c.done("Domain removed.", "/app/portal#domains")
}
