package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Every page is framed by a brand (SPEC §7): the public pages (login,
// password reset, invitations, confirmation) by the agency whose verified
// custom domain the Host names; on the server's own host by the agency the
// page is about (the invitation's, the user's: wear, wearUser), else the
// portal this browser last showed (portalCookie), else the plain portal;
// the client portal by its agency (portal); the agency app by the Host's.

// hostBrand is the brand of the request's Host.
func (h *handler) hostBrand(r *http.Request) branding.Brand {
	if h.deps.Branding == nil {
		return branding.Brand{Name: branding.PlainName}
	}
	b, err := h.deps.Branding.ForHost(r.Context(), r.Host)
	if err != nil {
		h.deps.Log.WarnContext(r.Context(), "web: brand for host", "host", r.Host, "err", err)
		return h.deps.Branding.Plain()
	}
	return b
}

// clientPortal is the portal of the actor's current client account.
func (h *handler) clientPortal(r *http.Request, a *authz.Actor, clientID string) (branding.ClientView, error) {
	hostAgency, err := h.deps.Branding.AgencyForHost(r.Context(), r.Host)
	if err != nil {
		return branding.ClientView{}, err
	}
	return h.deps.Branding.ClientPortal(r.Context(), a.UserID, clientID, hostAgency)
}

// portalCookie remembers, in this browser, the agency whose client portal
// it last showed, so that the public pages that follow on the server's
// own host (the login page after logging out or after the session ended,
// the password reset) wear that agency's brand instead of Liaison's. It
// names an agency only, which the portal shows anyway; an agency app page
// clears it.
const portalCookie = "liaison_portal"

// rememberedBrand is the brand the portal cookie names, or host (the
// request's Host's, which a custom domain always keeps).
func (h *handler) rememberedBrand(r *http.Request, host branding.Brand) branding.Brand {
	c, err := r.Cookie(portalCookie)
	if err != nil || !validID(c.Value) || host.Branded() || onCustomDomain(r) {
		return host
	}
	if b, ok := h.agencyBrand(r, c.Value); ok {
		return b
	}
	return host
}

// validID accepts what an account ID looks like, before it is looked up.
func validID(s string) bool {
	if len(s) < 5 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// agencyBrand is an agency's brand; false when there is none to wear.
func (h *handler) agencyBrand(r *http.Request, agencyID string) (branding.Brand, bool) {
	if agencyID == "" || h.deps.Branding == nil {
		return branding.Brand{}, false
	}
	b, err := h.deps.Branding.For(r.Context(), agencyID)
	if err != nil {
		if !errs.Is(err, errs.NotFound) {
			h.deps.Log.WarnContext(r.Context(), "web: agency brand", "agency", agencyID, "err", err)
		}
		return branding.Brand{}, false
	}
	return b, true
}

// onCustomDomain reports whether the request came on an agency's verified
// custom domain, whose brand no other wins over.
func onCustomDomain(r *http.Request) bool {
	a, _ := branding.HostAgency(r.Context())
	return a != ""
}

// wear dresses a public page in an agency's brand (the invitation's, the
// user's agency on a reset or refused login), unless the request came on
// an agency's custom domain.
func (h *handler) wear(r *http.Request, p *page, agencyID string) {
	if onCustomDomain(r) {
		return
	}
	if b, ok := h.agencyBrand(r, agencyID); ok {
		p.Brand = b
	}
}

// wearUser dresses a public page in the brand of the one agency all of
// the user's accounts are clients of (none: the page keeps its brand).
func (h *handler) wearUser(r *http.Request, p *page, userID string) {
	if onCustomDomain(r) || userID == "" || h.deps.Branding == nil {
		return
	}
	b, err := h.deps.Branding.ForUser(r.Context(), userID)
	if err != nil {
		h.deps.Log.WarnContext(r.Context(), "web: user brand", "err", err)
		return
	}
	if b.Branded() {
		p.Brand = b
	}
}

// rememberPortal sets or clears the portal cookie for the page about to
// be rendered: set in a branded client portal, cleared in the agency app.
func (h *handler) rememberPortal(w http.ResponseWriter, r *http.Request, p *page) {
	if p.Shell == nil || p.Shell.Current == nil {
		return
	}
	had := ""
	if c, err := r.Cookie(portalCookie); err == nil {
		had = c.Value
	}
	want := ""
	if p.Shell.Portal != nil && p.Brand.Branded() {
		want = p.Brand.AgencyID
	}
	if want == had {
		return
	}
	h.setPortalCookie(w, want)
}

// setPortalCookie names agencyID in the portal cookie ("": clears it).
func (h *handler) setPortalCookie(w http.ResponseWriter, agencyID string) {
	c := &http.Cookie{Name: portalCookie, Value: agencyID, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		Secure: h.deps.SecureCookies, SameSite: http.SameSiteLaxMode}
	if agencyID == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// rememberAgency sets the portal cookie to an agency's ahead of its
// portal: a person who just joined one of its clients and must set up
// two-factor sign-in before the portal opens (an invitation's acceptance)
// sees that step, and names it in their authenticator app, in the brand
// the invitation wore, not in Liaison's.
func (h *handler) rememberAgency(w http.ResponseWriter, r *http.Request, agencyID string) {
	if onCustomDomain(r) || !validID(agencyID) {
		return // a custom domain's brand wins anyway
	}
	if _, ok := h.agencyBrand(r, agencyID); ok {
		h.setPortalCookie(w, agencyID)
	}
}
