// Package web serves Liaison's server-rendered pages: first-run setup,
// sign-up, log in and password reset, the agency app and client portal shell,
// the user's sessions and API tokens, and the operator's outbox.
//
// Pages are html/template views embedded from the repository's web/
// directory. They work without JavaScript; the small scripts under
// /static/js only add comfort (copy buttons, confirmations, relative times).
// The server's CSP forbids inline scripts and styles, so templates carry
// neither. Forms post to same-origin paths and every successful POST answers
// 303 See Other.
package web

import (
	"log/slog"
	"net/http"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/mail"
	webassets "github.com/liaison-dev/liaison/web"
)

// Deps are the services the pages use.
type Deps struct {
	Auth          *auth.Service
	Accounts      *account.Service
	Authz         *authz.Authorizer
	Mailer        *mail.Mailer
	SecureCookies bool
	BaseURL       string
	Log           *slog.Logger
}

type handler struct {
	deps   Deps
	views  *views
	assets *assets
}

// New returns the handler of every page, to be mounted at "/".
func New(d Deps) (http.Handler, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	a, err := loadAssets(webassets.FS)
	if err != nil {
		return nil, err
	}
	v, err := parseViews(webassets.FS, a)
	if err != nil {
		return nil, err
	}
	h := &handler{deps: d, views: v, assets: a}
	return h.routes(), nil
}

// CheckTemplates parses every embedded view, as New does, and reports the
// first error. Tests call it so that a broken template fails the build.
func CheckTemplates() error {
	a, err := loadAssets(webassets.FS)
	if err != nil {
		return err
	}
	_, err = parseViews(webassets.FS, a)
	return err
}

// routes is the page table: one screen, every path the pages answer.
func (h *handler) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.root)
	m.Handle("GET /static/", h.assets)

	m.HandleFunc("GET /setup", h.setupForm)
	m.HandleFunc("POST /setup", h.setup)
	m.HandleFunc("GET /signup", h.signupForm)
	m.HandleFunc("POST /signup", h.signup)
	m.HandleFunc("GET /login", h.loginForm)
	m.HandleFunc("POST /login", h.login)
	m.HandleFunc("POST /logout", h.logout)
	m.HandleFunc("GET /forgot", h.forgotForm)
	m.HandleFunc("POST /forgot", h.forgot)
	m.HandleFunc("GET /reset/{token}", h.resetForm)
	m.HandleFunc("POST /reset/{token}", h.reset)

	m.HandleFunc("GET /app", h.user(h.appHome))
	m.HandleFunc("POST /app/switch", h.user(h.switchAccount))
	m.HandleFunc("GET /app/{section}", h.user(h.section))
	m.HandleFunc("GET /app/sessions", h.user(h.sessions))
	m.HandleFunc("POST /app/sessions/end-others", h.user(h.endOtherSessions))
	m.HandleFunc("POST /app/sessions/{id}/end", h.user(h.endSession))
	m.HandleFunc("GET /app/tokens", h.user(h.tokens))
	m.HandleFunc("POST /app/tokens", h.user(h.createToken))
	m.HandleFunc("POST /app/tokens/{id}/revoke", h.user(h.revokeToken))

	m.HandleFunc("GET /operator/outbox", h.operator(h.outbox))
	m.HandleFunc("GET /operator/outbox/{id}", h.operator(h.outboxMessage))
	m.HandleFunc("GET /operator/outbox/{id}/html", h.operator(h.outboxHTML))

	m.HandleFunc("/", h.notFound)
	return m
}

// root sends a visitor where they belong: setup on a fresh server, the login
// page when anonymous, the app otherwise.
func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	need, err := h.deps.Auth.NeedsSetup(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case need:
		redirect(w, r, "/setup")
	case authz.ActorFrom(r.Context()) == nil:
		redirect(w, r, "/login")
	default:
		redirect(w, r, "/app")
	}
}

// user wraps a handler that needs a logged-in user; anonymous visitors go to
// the login page and come back after.
func (h *handler) user(next func(http.ResponseWriter, *http.Request, *authz.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := authz.ActorFrom(r.Context())
		if a == nil {
			to := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/app" {
				to += "?next=" + urlQueryEscape(r.URL.RequestURI())
			}
			redirect(w, r, to)
			return
		}
		next(w, r, a)
	}
}

// operator wraps a handler for the instance operator. Everyone else, logged
// in or not, gets the same 404 as for a page that does not exist.
func (h *handler) operator(next func(http.ResponseWriter, *http.Request, *authz.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := authz.ActorFrom(r.Context())
		if a == nil || !a.IsOperator {
			h.notFound(w, r)
			return
		}
		next(w, r, a)
	}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Page not found")
	if a := p.Actor; a != nil {
		p.Shell = h.shellOrNil(r, a, "")
	}
	h.render(w, r, http.StatusNotFound, "not_found", p)
}

// redirect answers 303 See Other, the answer to a form post.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
