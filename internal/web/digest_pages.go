package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The weekly health digest's settings (SPEC §5): the checkbox on the
// profile of an agency admin, and the one-click "stop these e-mails" link
// of the e-mail, which asks to confirm (a GET never changes anything; mail
// scanners open links).

// profileData is what the profile page shows beyond the name and password.
type profileData struct {
	// DigestAdmin: the user is an admin of an agency, so a digest can reach
	// them; DigestOn: they did not opt out.
	DigestAdmin, DigestOn bool
	// TwoFactor is the user's two-factor sign-in (twofactor_pages.go).
	TwoFactor auth.TwoFactorStatus
}

func (h *handler) profileData(r *http.Request, p *page) profileData {
	var d profileData
	if p.Shell == nil || p.Actor == nil {
		return d
	}
	for _, m := range p.Shell.Memberships {
		if m.Account.Kind == "agency" && m.Role == "admin" {
			d.DigestAdmin = true
		}
	}
	if d.DigestAdmin {
		on, err := h.deps.Digest.Subscribed(r.Context(), p.Actor.UserID)
		if err != nil {
			h.deps.Log.ErrorContext(r.Context(), "digest preference", "err", err)
		}
		d.DigestOn = on
	}
	tf, err := h.deps.Auth.TwoFactorStatus(r.Context(), p.Actor)
	if err != nil {
		h.deps.Log.ErrorContext(r.Context(), "two-factor status", "err", err)
	}
	d.TwoFactor = tf
	return d
}

func (h *handler) saveDigest(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	form(w, r, p, "health_digest")
	on := r.PostFormValue("health_digest") == "on"
	if err := h.deps.Digest.SetSubscribed(r.Context(), a.UserID, on); err != nil {
		h.profileShow(w, r, p, h.formError(w, r, p, err, "health_digest"))
		return
	}
	msg := "You no longer get the weekly health digest."
	if on {
		msg = "You get the weekly health digest every Monday."
	}
	h.setFlash(w, flash{Notice: msg})
	redirect(w, r, "/app/profile")
}

type unsubscribeData struct {
	Token string
	Email string
}

func (h *handler) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Stop the weekly health digest")
	tok := r.PathValue("token")
	if !h.deps.Digest.ValidLink(r.Context(), tok) {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "digest_unsubscribe_gone", p)
		return
	}
	p.Data = unsubscribeData{Token: tok}
	h.render(w, r, http.StatusOK, "digest_unsubscribe", p)
}

func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Stop the weekly health digest")
	email, err := h.deps.Digest.Unsubscribe(r.Context(), r.PathValue("token"))
	if errs.Is(err, errs.Gone) {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "digest_unsubscribe_gone", p)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Data = unsubscribeData{Email: email}
	h.render(w, r, http.StatusOK, "digest_unsubscribed", p)
}
