package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/requestctx"
	"github.com/liaison-dev/liaison/internal/totp"
)

// Two-factor sign-in pages (issue 21; internal/auth/twofactor.go).
//
// After the password, a user who needs a second factor gets the
// challenge's token in a cookie of its own, scoped to /login and living as
// long as the challenge: it is not a session, so no other page opens with
// it. /login/code asks for the code; /login/setup walks a user whose
// account requires two-factor sign-in through setting it up, then shows
// the recovery codes once. The profile sets it up, shows it and turns it
// off; the members page resets a member's; the settings pages require it.

// challengeCookie carries the half-signed-in state's token.
const challengeCookie = "liaison_2fa"

func (h *handler) routesTwoFactor(m *pageMux, g guardFunc) {
	// user marks a signed-in user's page for the page table (web.go's
	// user does the same).
	user := func(next func(http.ResponseWriter, *http.Request, *authz.Actor)) http.HandlerFunc {
		m.mark(Page{Access: PageUser})
		return h.user(next)
	}
	m.HandleFunc("GET /login/code", h.loginCodeForm)
	m.HandleFunc("POST /login/code", h.loginCode)
	m.HandleFunc("GET /login/setup", h.loginSetupForm)
	m.HandleFunc("POST /login/setup", h.loginSetup)
	m.HandleFunc("GET /app/profile/two-factor", user(h.notImpersonating("set up two-factor sign-in", h.twoFactorSetupPage)))
	m.HandleFunc("POST /app/profile/two-factor", user(h.notImpersonating("set up two-factor sign-in", h.twoFactorConfirm)))
	m.HandleFunc("POST /app/profile/two-factor/recovery-codes", user(h.notImpersonating("change recovery codes", h.twoFactorNewCodes)))
	m.HandleFunc("POST /app/profile/two-factor/disable", user(h.notImpersonating("turn two-factor sign-in off", h.twoFactorDisable)))
	m.HandleFunc("POST /app/members/{user_id}/two-factor/reset", g(ownAgency, authz.AgencyManage, "members", h.memberTwoFactorReset))
	m.HandleFunc("POST /app/settings/two-factor", g(ownAgency, authz.AgencyManage, "settings", h.saveTwoFactorSettings))
}

// startChallenge sends a half-signed-in browser to the second step.
func (h *handler) startChallenge(w http.ResponseWriter, r *http.Request, ch *auth.Challenge, next string) {
	http.SetCookie(w, &http.Cookie{Name: challengeCookie, Value: ch.Token, Path: "/login",
		MaxAge: int(auth.ChallengeTTL / time.Second), HttpOnly: true, Secure: h.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
	target := "/login/code"
	if ch.Method == auth.MethodTOTPSetup {
		target = "/login/setup"
	}
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	redirect(w, r, target)
}

func (h *handler) clearChallenge(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: challengeCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: h.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func challengeToken(r *http.Request) string {
	c, err := r.Cookie(challengeCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// challengeEnded sends a browser whose second step expired back to the
// password.
func (h *handler) challengeEnded(w http.ResponseWriter, r *http.Request, err error) bool {
	if e := errs.As(err); e != nil && (e.Code == "challenge_expired" || e.Code == "invalid_challenge") {
		h.clearChallenge(w)
		h.setFlash(w, flash{Error: e.Message})
		redirect(w, r, "/login")
		return true
	}
	return false
}

// twoFactorData is the view of the set-up and code pages.
type twoFactorData struct {
	Next     string
	Action   string       // where the code form posts
	QR       template.URL // data: URL of the QR code PNG
	Secret   string       // grouped in fours
	Codes    []string     // recovery codes, on the page that shows them once
	Continue string
	Required bool
}

func setupView(s auth.TwoFactorSetup, action, next string) twoFactorData {
	return twoFactorData{Next: next, Action: action, Secret: totp.FormatSecret(s.Secret),
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(s.QRPNG))}
}

// issuer names the service in the authenticator app: the portal's name on
// a branded portal, never Liaison there.
func issuer(p *page) string {
	if p.Brand.Name != "" {
		return p.Brand.Name
	}
	return branding.PlainName
}

// noStore keeps a page with a secret or codes out of every cache.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

func (h *handler) loginCodeForm(w http.ResponseWriter, r *http.Request) {
	next := input.LocalPath(r.URL.Query().Get("next"))
	method, err := h.deps.Auth.ChallengeMethod(r.Context(), challengeToken(r))
	if h.challengeEnded(w, r, err) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if method == auth.MethodTOTPSetup {
		redirect(w, r, "/login/setup?next="+url.QueryEscape(next))
		return
	}
	p := h.page(w, r, "Enter your code")
	p.Data = twoFactorData{Next: next, Action: "/login/code"}
	h.render(w, r, http.StatusOK, "login_code", p)
}

func (h *handler) loginCode(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Enter your code")
	form(w, r, p, "next")
	next := input.LocalPath(p.Values["next"])
	l, err := h.deps.Auth.CompleteLogin(r.Context(), auth.SecondFactorInput{Challenge: challengeToken(r),
		Code: r.PostFormValue("code"), IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()})
	if h.challengeEnded(w, r, err) {
		return
	}
	if err != nil {
		p.Data = twoFactorData{Next: next, Action: "/login/code"}
		h.render(w, r, h.formError(w, r, p, err, "code"), "login_code", p)
		return
	}
	h.clearChallenge(w)
	h.startSession(w, l)
	redirect(w, r, cmpOr(next, "/app"))
}

func (h *handler) loginSetupForm(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Set up two-factor sign-in")
	h.showLoginSetup(w, r, p, input.LocalPath(r.URL.Query().Get("next")), http.StatusOK)
}

func (h *handler) showLoginSetup(w http.ResponseWriter, r *http.Request, p *page, next string, status int) {
	s, err := h.deps.Auth.BeginChallengeSetup(r.Context(), challengeToken(r), issuer(p))
	if h.challengeEnded(w, r, err) {
		return
	}
	if e := errs.As(err); e != nil && e.Code == "two_factor_on" {
		redirect(w, r, "/login/code?next="+url.QueryEscape(next))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := setupView(s, "/login/setup", next)
	d.Required = true
	p.Data = d
	noStore(w)
	h.render(w, r, status, "two_factor_setup", p)
}

func (h *handler) loginSetup(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Set up two-factor sign-in")
	form(w, r, p, "next")
	next := input.LocalPath(p.Values["next"])
	l, err := h.deps.Auth.CompleteLogin(r.Context(), auth.SecondFactorInput{Challenge: challengeToken(r),
		Code: r.PostFormValue("code"), IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()})
	if h.challengeEnded(w, r, err) {
		return
	}
	if err != nil {
		h.showLoginSetup(w, r, p, next, h.formError(w, r, p, err, "code"))
		return
	}
	h.clearChallenge(w)
	h.startSession(w, l)
	p.Title = "Your recovery codes"
	p.Data = twoFactorData{Codes: l.RecoveryCodes, Continue: cmpOr(next, "/app")}
	noStore(w)
	h.render(w, r, http.StatusOK, "two_factor_codes", p)
}

// The profile's set-up.

func (h *handler) twoFactorSetupPage(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Set up two-factor sign-in", "")
	if !ok {
		return
	}
	h.showProfileSetup(w, r, a, p, http.StatusOK)
}

func (h *handler) showProfileSetup(w http.ResponseWriter, r *http.Request, a *authz.Actor, p *page, status int) {
	s, err := h.deps.Auth.BeginTwoFactor(r.Context(), a, issuer(p))
	if e := errs.As(err); e != nil && e.Code == "two_factor_on" {
		h.setFlash(w, flash{Notice: e.Message})
		redirect(w, r, "/app/profile")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Title = "Set up two-factor sign-in"
	p.Data = setupView(s, "/app/profile/two-factor", "")
	noStore(w)
	h.render(w, r, status, "two_factor_setup", p)
}

func (h *handler) twoFactorConfirm(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Set up two-factor sign-in", "")
	if !ok {
		return
	}
	form(w, r, p)
	codes, err := h.deps.Auth.ConfirmTwoFactor(r.Context(), a, r.PostFormValue("code"))
	if err != nil {
		h.showProfileSetup(w, r, a, p, h.formError(w, r, p, err, "code"))
		return
	}
	p.Title = "Your recovery codes"
	p.Data = twoFactorData{Codes: codes, Continue: "/app/profile"}
	noStore(w)
	h.render(w, r, http.StatusOK, "two_factor_codes", p)
}

func (h *handler) twoFactorDisable(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	form(w, r, p)
	err := h.deps.Auth.DisableTwoFactor(r.Context(), a, r.PostFormValue("tf_password"), r.PostFormValue("code"))
	if err != nil {
		st := h.formError(w, r, p, err, "password", "code")
		// The profile's other form has a password field of its own.
		if m, ok := p.Errors["password"]; ok {
			delete(p.Errors, "password")
			p.Errors["tf_password"] = m
		}
		h.profileShow(w, r, p, st)
		return
	}
	h.setFlash(w, flash{Notice: "Two-factor sign-in is off. Signing in asks for your password only."})
	redirect(w, r, "/app/profile")
}

func (h *handler) twoFactorNewCodes(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Profile", "")
	if !ok {
		return
	}
	form(w, r, p)
	codes, err := h.deps.Auth.NewRecoveryCodes(r.Context(), a, r.PostFormValue("new_codes_code"))
	if err != nil {
		st := h.formError(w, r, p, err, "code")
		// This form's code field is named apart from the turn-off form's.
		if m, ok := p.Errors["code"]; ok {
			delete(p.Errors, "code")
			p.Errors["new_codes_code"] = m
		}
		h.profileShow(w, r, p, st)
		return
	}
	p.Title = "Your recovery codes"
	p.Data = twoFactorData{Codes: codes, Continue: "/app/profile"}
	noStore(w)
	h.render(w, r, http.StatusOK, "two_factor_codes", p)
}

// The agency's side.

func (h *handler) memberTwoFactorReset(c *call) {
	if err := h.deps.Auth.ResetTwoFactorFor(c.ctx(), c.rel, c.a, c.r.PathValue("user_id")); err != nil {
		c.refused(err, "/app/members")
		return
	}
	c.done("Their two-factor sign-in is reset, and they have an e-mail saying so.", "/app/members")
}

func (h *handler) saveTwoFactorSettings(c *call) {
	c.form("require_2fa", "require_2fa_login_as")
	req, loginAs := c.p.Values["require_2fa"] == "on", c.p.Values["require_2fa_login_as"] == "on"
	if _, err := h.deps.Agency.UpdateSettings(c.ctx(), c.a, c.rel, agency.SettingsUpdate{Require2FA: &req, Require2FALoginAs: &loginAs}); err != nil {
		c.refused(err, "/app/settings#two-factor")
		return
	}
	msg := "Two-factor sign-in is optional for your staff."
	if req {
		msg = "Your staff now sign in with a second factor; those without one set it up at their next sign-in."
	}
	c.done(msg, "/app/settings#two-factor")
}
