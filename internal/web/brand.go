package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
)

// Every page is framed by a brand (SPEC §7): the public pages (login,
// password reset, and the invite landing when it arrives) by the agency
// whose verified custom domain the Host names, or the plain portal; the
// client portal by its agency (portal); the agency app by the plain one.

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
