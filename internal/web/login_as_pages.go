package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/input"
)

// Login As in the browser (SPEC §6): the agency's Login As page for one
// client (reason, start), the banner's Return button, and the client's
// security page (the Login As log and the switch that allows it). The
// banner itself is in layout.html ("login-as-banner"), so every page that
// renders for an impersonating actor shows it, whatever page it is.

// ImpersonationEnded answers a page request made after its Login As ended:
// back to the agency page Login As started from, with a notice saying why.
// The server's impersonation middleware calls it (it runs before the pages).
func ImpersonationEnded(w http.ResponseWriter, r *http.Request, secure bool, to, message string) {
	to = input.LocalPathUnder(to, "/app", "/app")
	b, _ := json.Marshal(flash{Notice: message})
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: 120, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	redirect(w, r, to)
}

type loginAsData struct {
	ClientID, ClientName string
	ReasonRequired       bool
	Notify               bool
	IdleMinutes          int
	ReturnTo             string
}

// loginAsForm is the page before Login As starts: what will happen (the
// client's admins are told, the idle timeout), and the reason.
func (h *handler) loginAsForm(c *call) { h.showLoginAs(c, http.StatusOK) }

func (h *handler) showLoginAs(c *call, status int) {
	d, err := h.loginAsData(c)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Login As " + d.ClientName
	c.p.Data = d
	c.render(status, "login_as")
}

func (h *handler) loginAsData(c *call) (loginAsData, error) {
	det, err := h.deps.Clients.Get(c.ctx(), c.rel)
	if err != nil {
		return loginAsData{}, err
	}
	agencyRel, err := c.agencyRel(authz.AgencyRead)
	if err != nil {
		return loginAsData{}, err
	}
	set, err := h.deps.Agency.GetSettings(c.ctx(), agencyRel)
	if err != nil {
		return loginAsData{}, err
	}
	to := c.r.URL.Query().Get("from")
	if v := c.p.Values["return_to"]; v != "" {
		to = v
	}
	to = input.LocalPathUnder(to, "/app/clients", "/app/clients/"+det.ID)
	return loginAsData{ClientID: det.ID, ClientName: det.Name, ReasonRequired: set.ImpersonationReasonRequired,
		Notify: set.NotifyClientOnImpersonation, IdleMinutes: set.ImpersonationIdleMinutes, ReturnTo: to}, nil
}

// loginAsStart starts Login As and opens the client's portal.
func (h *handler) loginAsStart(c *call) {
	c.form("reason", "return_to")
	_, err := h.deps.Impersonation.Start(c.ctx(), c.rel, c.a, impersonation.StartInput{Reason: c.p.Values["reason"], ReturnTo: c.p.Values["return_to"]})
	if err != nil {
		c.invalid(err, map[string]string{"reason": "reason"}, func(st int) { h.showLoginAs(c, st) })
		return
	}
	redirect(c.w, c.r, "/app")
}

// loginAsEnd is the banner's "Return to agency dashboard".
func (h *handler) loginAsEnd(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	e, err := h.deps.Impersonation.End(r.Context(), a)
	if err != nil {
		h.setFlash(w, flash{Error: "You were not logged in as a client."})
		redirect(w, r, "/app")
		return
	}
	h.setFlash(w, flash{Notice: e.Message()})
	redirect(w, r, e.ReturnTo)
}

// notImpersonating refuses the user's own pages (sessions, tokens, the
// account switcher) while they act as a client.
func (h *handler) notImpersonating(what string, next func(http.ResponseWriter, *http.Request, *authz.Actor)) func(http.ResponseWriter, *http.Request, *authz.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
		if a.Impersonating() {
			h.fail(w, r, authz.ErrImpersonating(what))
			return
		}
		next(w, r, a)
	}
}

type securityData struct {
	Security impersonation.Security
	Log      []impersonation.LogEntry
	// Sessions are Log in words (login_as_log.go).
	Sessions []loginAsSession
	Next     string
	Manage   bool
}

// security is the client's security page: whether its agencies may Login
// As, and the log of every Login As session with what was done.
func (h *handler) security(c *call) {
	if c.a.Impersonating() {
		c.fail(authz.ErrImpersonating("read the client's Login As log"))
		return
	}
	d := securityData{Manage: c.can(authz.ClientSecurityManage)}
	var err error
	if d.Security, err = h.deps.Impersonation.GetSecurity(c.ctx(), c.rel); err != nil {
		c.fail(err)
		return
	}
	if d.Log, d.Next, err = h.deps.Impersonation.Log(c.ctx(), c.rel, 20, c.r.URL.Query().Get("cursor")); err != nil {
		c.fail(err)
		return
	}
	if d.Sessions, err = h.loginAsSessions(c, d.Log); err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Security"
	c.p.Data = d
	c.render(http.StatusOK, "security")
}

func (h *handler) saveSecurity(c *call) {
	c.form("allow_impersonation", "require_2fa")
	allow, req := c.p.Values["allow_impersonation"] == "on", c.p.Values["require_2fa"] == "on"
	before, err := h.deps.Impersonation.GetSecurity(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	after, err := h.deps.Impersonation.SetSecurity(c.ctx(), c.rel, c.a, impersonation.SecurityUpdate{AllowImpersonation: &allow, Require2FA: &req})
	if err != nil {
		c.refused(err, "/app/security")
		return
	}
	msg := "Your agencies may no longer use Login As; any Login As in progress has ended."
	if allow {
		msg = "Your agencies may use Login As. Each time, your admins get an e-mail when the agency has that turned on."
	}
	if after.Require2FA != before.Require2FA {
		// Say what changed: the two-factor switch (issue 21).
		msg = "Two-factor sign-in is optional for your users."
		if after.Require2FA {
			msg = "Your users now sign in with a second factor; those without one set it up at their next sign-in."
		}
	}
	c.done(msg, "/app/security")
}

// durationText says how long a Login As lasted, roughly.
func durationText(seconds int64) string {
	switch {
	case seconds < 60:
		return plural(int(seconds), "second")
	case seconds < 3600:
		return plural(int(seconds/60), "minute")
	}
	return plural(int(seconds/3600), "hour") + " " + plural(int(seconds%3600/60), "minute")
}

// endReasonText says why a Login As ended.
func endReasonText(reason string) string {
	return map[string]string{
		impersonation.EndExit: "they returned to their agency", impersonation.EndIdle: "ended after inactivity",
		impersonation.EndDisconnected: "the agency was disconnected", impersonation.EndRevoked: "access was revoked",
		impersonation.EndDisabledByClient: "Login As was turned off", impersonation.EndAccessLost: "they lost the right",
		impersonation.EndSessionEnded: "their session ended",
	}[reason]
}
