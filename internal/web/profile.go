package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
)

// The user's profile: their name and password (every user, in the portal's
// brand when the current account is a client).

func (h *handler) profileShow(w http.ResponseWriter, r *http.Request, p *page, status int) {
	p.Title = "Profile"
	p.Data = h.profileData(r, p)
	if _, ok := p.Values["name"]; !ok {
		p.Values["name"] = p.Actor.Name
	}
	h.render(w, r, status, "profile", p)
}

func (h *handler) profile(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	h.profileShow(w, r, p, http.StatusOK)
}

func (h *handler) saveProfile(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	form(w, r, p, "name")
	if err := h.deps.Auth.ChangeName(r.Context(), a, p.Values["name"]); err != nil {
		h.profileShow(w, r, p, h.formError(w, r, p, err, "name"))
		return
	}
	h.setFlash(w, flash{Notice: "Your name is saved."})
	redirect(w, r, "/app/profile")
}

func (h *handler) changePassword(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	form(w, r, p)
	err := h.deps.Auth.ChangePassword(r.Context(), a, r.PostFormValue("current_password"), r.PostFormValue("password"))
	if err != nil {
		h.profileShow(w, r, p, h.formError(w, r, p, err, "current_password", "password"))
		return
	}
	h.setFlash(w, flash{Notice: "Your password is changed. Your other sessions have ended."})
	redirect(w, r, "/app/profile")
}
