package web

import (
	"net/http"
	"strconv"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

type sessionsData struct{ Sessions []auth.SessionInfo }

// sessions lists the user's live sessions, this one marked.
func (h *handler) sessions(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Sessions", "")
	if !ok {
		return
	}
	list, err := h.deps.Auth.Sessions(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Data = sessionsData{Sessions: list}
	h.render(w, r, http.StatusOK, "sessions", p)
}

func (h *handler) endSession(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	id := r.PathValue("id")
	if id == a.SessionID {
		// Ending this session is logging out.
		h.logout(w, r)
		return
	}
	err := h.deps.Auth.RevokeSession(r.Context(), a, id)
	switch {
	case errs.Is(err, errs.NotFound):
		h.setFlash(w, flash{Error: "That session had already ended."})
	case err != nil:
		h.fail(w, r, err)
		return
	default:
		h.setFlash(w, flash{Notice: "Session ended."})
	}
	redirect(w, r, "/app/sessions")
}

func (h *handler) endOtherSessions(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	n, err := h.deps.Auth.RevokeOtherSessions(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "No other session was open."
	switch {
	case n == 1:
		msg = "Ended 1 other session."
	case n > 1:
		msg = "Ended " + strconv.Itoa(n) + " other sessions."
	}
	h.setFlash(w, flash{Notice: msg})
	redirect(w, r, "/app/sessions")
}

type tokensData struct {
	Tokens   []auth.APIToken
	NewToken string // shown once, right after creation
}

// tokens lists the user's API tokens and offers to create one.
func (h *handler) tokens(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "API tokens", "")
	if !ok {
		return
	}
	h.renderTokens(w, r, a, p, http.StatusOK)
}

func (h *handler) renderTokens(w http.ResponseWriter, r *http.Request, a *authz.Actor, p *page, status int) {
	list, err := h.deps.Auth.Tokens(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Data = tokensData{Tokens: list, NewToken: p.flash.Token}
	h.render(w, r, status, "tokens", p)
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "API tokens", "")
	if !ok {
		return
	}
	form(w, r, p, "name")
	t, err := h.deps.Auth.CreateToken(r.Context(), a, p.Values["name"])
	if err != nil {
		h.renderTokens(w, r, a, p, h.formError(w, r, p, err, "name"))
		return
	}
	h.setFlash(w, flash{Notice: "Token “" + t.Name + "” created.", Token: t.Token})
	redirect(w, r, "/app/tokens")
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	err := h.deps.Auth.RevokeToken(r.Context(), a, r.PathValue("id"))
	switch {
	case errs.Is(err, errs.NotFound):
		h.setFlash(w, flash{Error: "That token was already revoked."})
	case err != nil:
		h.fail(w, r, err)
		return
	default:
		h.setFlash(w, flash{Notice: "Token revoked. Programs that used it can no longer sign in."})
	}
	redirect(w, r, "/app/tokens")
}
