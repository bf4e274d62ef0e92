package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// E-mail confirmation (auth/verify.go): the link of the confirmation e-mail
// opens a page that asks, and the button confirms (a GET never changes
// anything; mail scanners open links). The profile offers a new link while
// the address is unconfirmed.

type verifyData struct {
	Token, Email string
}

func (h *handler) verifyForm(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Confirm your e-mail address")
	tok := r.PathValue("token")
	u, err := h.deps.Auth.CheckVerifyToken(r.Context(), tok)
	if err != nil {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "verify_gone", p)
		return
	}
	p.Data = verifyData{Token: tok, Email: u.Email}
	h.wearUser(r, p, u.ID) // a client's agency's brand, as a reset page's
	h.render(w, r, http.StatusOK, "verify", p)
}

func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Confirm your e-mail address")
	u, err := h.deps.Auth.VerifyEmail(r.Context(), r.PathValue("token"), requestctx.IP(r.Context()))
	if err != nil {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "verify_gone", p)
		return
	}
	p.Title = "Your address is confirmed"
	p.Data = verifyData{Email: u.Email}
	h.wearUser(r, p, u.ID)
	h.render(w, r, http.StatusOK, "verified", p)
}

func (h *handler) resendVerification(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	if err := h.deps.Auth.ResendVerification(r.Context(), a); err != nil {
		msg := "Something went wrong on our side. Please try again in a moment."
		if e := errs.As(err); e != nil && e.Kind != errs.Internal {
			msg = e.Message
		} else {
			h.deps.Log.ErrorContext(r.Context(), "resend verification", "err", err)
		}
		h.setFlash(w, flash{Error: msg})
	} else {
		h.setFlash(w, flash{Notice: "A new confirmation link is on its way to " + a.Email + "."})
	}
	redirect(w, r, "/app/profile")
}
