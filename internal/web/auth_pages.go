package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

var signupFields = []string{"name", "email", "password", "account_kind", "account_name"}

// startSession sets the session cookie of a fresh login.
func (h *handler) startSession(w http.ResponseWriter, l auth.Login) {
	c := auth.Cookie(l, h.deps.SecureCookies)
	http.SetCookie(w, &c)
}

// needsSetup answers whether the server has no user yet; on error it has
// already answered the request.
func (h *handler) needsSetup(w http.ResponseWriter, r *http.Request) (need, ok bool) {
	need, err := h.deps.Auth.NeedsSetup(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return false, false
	}
	return need, true
}

func (h *handler) setupForm(w http.ResponseWriter, r *http.Request) {
	need, ok := h.needsSetup(w, r)
	if !ok {
		return
	}
	if !need {
		redirect(w, r, "/login")
		return
	}
	h.render(w, r, http.StatusOK, "setup", h.page(w, r, "Set up Liaison"))
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) {
	need, ok := h.needsSetup(w, r)
	if !ok {
		return
	}
	if !need {
		redirect(w, r, "/login")
		return
	}
	p := h.page(w, r, "Set up Liaison")
	form(w, r, p, signupFields...)
	l, err := h.deps.Signups.Setup(r.Context(), h.signupInput(r, p))
	if e := errs.As(err); e != nil && e.Code == "already_set_up" {
		redirect(w, r, "/login")
		return
	}
	if err != nil {
		h.render(w, r, h.formError(w, r, p, fieldFor(err), signupFields...), "setup", p)
		return
	}
	h.startSession(w, l.Login)
	h.setFlash(w, flash{Notice: "Welcome to Liaison. Your agency is ready."})
	redirect(w, r, "/app")
}

func (h *handler) signupInput(r *http.Request, p *page) auth.SignupInput {
	return auth.SignupInput{Name: p.Values["name"], Email: p.Values["email"], Password: r.PostFormValue("password"),
		AccountName: p.Values["account_name"], AccountKind: p.Values["account_kind"],
		IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()}
}

// fieldFor gives field-less errors that clearly concern one field their
// field, so that the form shows them there.
func fieldFor(err error) error {
	if e := errs.As(err); e != nil && e.Field == "" && e.Code == "email_taken" {
		c := *e
		c.Field = "email"
		return &c
	}
	return err
}

// signupGate sends the visitor elsewhere when the sign-up form is not for
// them; it reports whether the request was answered.
func (h *handler) signupGate(w http.ResponseWriter, r *http.Request) bool {
	need, ok := h.needsSetup(w, r)
	switch {
	case !ok:
		return true
	case need:
		redirect(w, r, "/setup")
		return true
	case authz.ActorFrom(r.Context()) != nil:
		redirect(w, r, "/app")
		return true
	case !h.deps.Auth.OpenSignup():
		h.render(w, r, http.StatusForbidden, "signup_closed", h.page(w, r, "Sign-up is closed"))
		return true
	}
	return false
}

func (h *handler) signupForm(w http.ResponseWriter, r *http.Request) {
	if h.signupGate(w, r) {
		return
	}
	h.render(w, r, http.StatusOK, "signup", h.page(w, r, "Sign up"))
}

func (h *handler) signup(w http.ResponseWriter, r *http.Request) {
	if h.signupGate(w, r) {
		return
	}
	p := h.page(w, r, "Sign up")
	form(w, r, p, signupFields...)
	l, err := h.deps.Signups.Signup(r.Context(), h.signupInput(r, p))
	if e := errs.As(err); e != nil && e.Code == "signup_closed" {
		h.render(w, r, http.StatusForbidden, "signup_closed", h.page(w, r, "Sign-up is closed"))
		return
	}
	if err != nil {
		h.render(w, r, h.formError(w, r, p, fieldFor(err), signupFields...), "signup", p)
		return
	}
	h.startSession(w, l.Login)
	h.setFlash(w, flash{Notice: "Welcome to Liaison. Your account is ready."})
	redirect(w, r, "/app")
}

type loginData struct {
	Next       string
	OpenSignup bool
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := input.LocalPath(r.URL.Query().Get("next"))
	if authz.ActorFrom(r.Context()) != nil {
		redirect(w, r, cmpOr(next, "/app"))
		return
	}
	p := h.page(w, r, "Log in")
	p.Data = loginData{Next: next, OpenSignup: h.deps.Auth.OpenSignup()}
	h.wearInvitation(r, p, next)
	h.render(w, r, http.StatusOK, "login", p)
}

// wearInvitation dresses the log-in step of an invitation (next is
// /invite/{token}) in the inviting agency's brand.
func (h *handler) wearInvitation(r *http.Request, p *page, next string) {
	tok, ok := strings.CutPrefix(next, "/invite/")
	if !ok || tok == "" || strings.ContainsAny(tok, "/?#") {
		return
	}
	agencyID, err := h.deps.Invites.TokenAgency(r.Context(), tok)
	if err != nil {
		h.deps.Log.WarnContext(r.Context(), "web: invitation brand", "err", err)
		return
	}
	h.wear(r, p, agencyID)
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Log in")
	form(w, r, p, "email", "next")
	next := input.LocalPath(p.Values["next"])
	l, err := h.deps.Auth.Login(r.Context(), auth.LoginInput{Email: p.Values["email"], Password: r.PostFormValue("password"),
		IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()})
	if err != nil {
		p.Data = loginData{Next: next, OpenSignup: h.deps.Auth.OpenSignup()}
		h.wearInvitation(r, p, next)
		// A disabled client's user is told so in their agency's brand.
		h.wear(r, p, auth.DisabledBrand(err))
		h.render(w, r, h.formError(w, r, p, err, "email", "password"), "login", p)
		return
	}
	if l.Challenge != nil {
		h.startChallenge(w, r, l.Challenge, next)
		return
	}
	h.startSession(w, l)
	redirect(w, r, cmpOr(next, "/app"))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if a := authz.ActorFrom(r.Context()); a != nil {
		if err := h.deps.Auth.Logout(r.Context(), a); err != nil {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, flash{Notice: "You are logged out."})
	}
	c := auth.ClearCookie(h.deps.SecureCookies)
	http.SetCookie(w, &c)
	redirect(w, r, "/login")
}

func (h *handler) forgotForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "forgot", h.page(w, r, "Reset your password"))
}

// forgotNotice is the one answer to a reset request, whether or not the
// address belongs to someone, so that addresses cannot be probed.
const forgotNotice = "If an account exists for that address, we have e-mailed it a link to choose a new password. The link works for one hour."

func (h *handler) forgot(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Reset your password")
	form(w, r, p, "email")
	if err := h.deps.Auth.ForgotPassword(r.Context(), p.Values["email"], requestctx.IP(r.Context())); err != nil {
		h.render(w, r, h.formError(w, r, p, err, "email"), "forgot", p)
		return
	}
	h.setFlash(w, flash{Notice: forgotNotice})
	redirect(w, r, "/forgot")
}

type resetData struct{ Token string }

// resetForm is the page a reset e-mail links to: /reset/{token}.
func (h *handler) resetForm(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Choose a new password")
	p.Data = resetData{Token: r.PathValue("token")}
	uid, err := h.deps.Auth.ResetTokenUser(r.Context(), r.PathValue("token"))
	h.wearUser(r, p, uid)
	if errs.Is(err, errs.Gone) {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "reset_expired", p)
		return
	}
	h.render(w, r, http.StatusOK, "reset", p)
}

func (h *handler) reset(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Choose a new password")
	tok := r.PathValue("token")
	p.Data = resetData{Token: tok}
	form(w, r, p)
	if uid, err := h.deps.Auth.ResetTokenUser(r.Context(), tok); err == nil {
		h.wearUser(r, p, uid)
	}
	l, err := h.deps.Auth.ResetPassword(r.Context(), auth.ResetInput{Token: tok, Password: r.PostFormValue("password"),
		IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()})
	if errs.Is(err, errs.Gone) {
		p.Title = "This link no longer works"
		h.render(w, r, http.StatusGone, "reset_expired", p)
		return
	}
	if err != nil {
		h.render(w, r, h.formError(w, r, p, err, "password"), "reset", p)
		return
	}
	if l.Challenge != nil {
		// The new password is saved; the second factor opens the session.
		h.setFlash(w, flash{Notice: "Your password is changed, and your other sessions have ended. Now enter your code."})
		h.startChallenge(w, r, l.Challenge, "")
		return
	}
	h.startSession(w, l)
	h.setFlash(w, flash{Notice: "Your password is changed, and your other sessions have ended."})
	redirect(w, r, "/app")
}
