// Package web serves Liaison's server-rendered pages: first-run setup,
// sign-up, log in and password reset, the agency app (clients, links,
// members and groups, brands, settings), the client portal (agencies,
// users), the user's sessions and API tokens, and the operator's outbox.
//
// Pages are html/template views embedded from the repository's web/
// directory. They work without JavaScript; the small scripts under
// /static/js only add comfort (copy buttons, confirmations, relative times).
// The server's CSP forbids inline scripts and styles, so templates carry
// neither. Forms post to same-origin paths and every successful POST answers
// 303 See Other.
package web

import (
	"github.com/liaison-dev/liaison/internal/accessreq"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clientbilling"
	"github.com/liaison-dev/liaison/internal/clientgroup"
	"github.com/liaison-dev/liaison/internal/digest"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/link"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/report"
	"github.com/liaison-dev/liaison/internal/schedule"
	"github.com/liaison-dev/liaison/internal/signup"
	"github.com/liaison-dev/liaison/internal/source"
	"github.com/liaison-dev/liaison/internal/webhook"
	webassets "github.com/liaison-dev/liaison/web"
)

// Deps are the services the pages use.
type Deps struct {
	Auth     *auth.Service
	Signups  *signup.Service // sign-up and first-run setup (issue 22)
	Billing  *billing.Service
	Accounts *account.Service
	Authz    *authz.Authorizer
	Agency   *agency.Service
	Links    *link.Service
	// AccessRequests is staff access requests (issue 21).
	AccessRequests *accessreq.Service
	Clients        *client.Service
	Invites        *invite.Service
	Digest         *digest.Service
	Impersonation  *impersonation.Service
	Mailer         *mail.Mailer
	Branding       *branding.Service
	Activity       *activity.Service
	ClientBilling  *clientbilling.Service
	Data           *metricdata.Service
	Reports        *report.Service
	Sources        *source.Service   // agencies' data sources (issue 17)
	Schedules      *schedule.Service // scheduled report e-mails (issue 17)
	// Audit reads the audit log for its pages (audit_pages.go).
	Audit         *audit.Log
	ClientGroups  *clientgroup.Service // client groups and report sharing (issue 24)
	Webhooks      *webhook.Service     // signed webhooks (issue 21)
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
	a, v, err := embeddedViews()
	if err != nil {
		return nil, err
	}
	h := &handler{deps: d, views: v, assets: a}
	return h.routes(), nil
}

// parsed are the embedded static files and views, the same for every
// handler of the process and read-only once parsed (html/template
// executes in parallel safely): parsed once. A server makes one handler;
// a test process starts hundreds of servers, whose start was ~40% view
// parsing (docs/ARCHITECTURE.md, "Test worlds from a snapshot").
var parsed struct {
	once   sync.Once
	assets *assets
	views  *views
	err    error
}

func embeddedViews() (*assets, *views, error) {
	parsed.once.Do(func() {
		if parsed.assets, parsed.err = loadAssets(webassets.FS); parsed.err == nil {
			parsed.views, parsed.err = parseViews(webassets.FS, parsed.assets)
		}
	})
	return parsed.assets, parsed.views, parsed.err
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

// routes serves the page table behind the form check.
func (h *handler) routes() http.Handler { return h.checkForm(h.table()) }

// table is the page table: one screen, every path the pages answer. Each
// page's wrapper (g, user, operator) says who may open it, and the table
// keeps that beside the path (page_table.go) for the page walk.
func (h *handler) table() *pageMux {
	m := newPageMux()
	user := func(next func(http.ResponseWriter, *http.Request, *authz.Actor)) http.HandlerFunc {
		m.mark(Page{Access: PageUser})
		return h.user(next)
	}
	operator := func(next func(http.ResponseWriter, *http.Request, *authz.Actor)) http.HandlerFunc {
		m.mark(Page{Access: PageOperator})
		return h.operator(next)
	}
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

	m.HandleFunc("GET /app", user(h.appHome))
	m.HandleFunc("POST /app/switch", user(h.notImpersonating("switch accounts", h.switchAccount)))
	m.HandleFunc("GET /app/{section}", user(h.section))
	m.HandleFunc("GET /app/sessions", user(h.notImpersonating("manage your sessions", h.sessions)))
	m.HandleFunc("POST /app/sessions/end-others", user(h.notImpersonating("manage your sessions", h.endOtherSessions)))
	m.HandleFunc("POST /app/sessions/{id}/end", user(h.notImpersonating("manage your sessions", h.endSession)))
	m.HandleFunc("GET /app/tokens", user(h.notImpersonating("manage API tokens", h.tokens)))
	m.HandleFunc("POST /app/tokens", user(h.notImpersonating("create API tokens", h.createToken)))
	m.HandleFunc("POST /app/tokens/{id}/revoke", user(h.notImpersonating("manage API tokens", h.revokeToken)))

	// Pages on tenant data: each names its target and action (guard.go).
	g := func(t target, action authz.Action, section string, fn func(*call)) http.HandlerFunc {
		m.mark(Page{Access: PageGuarded, Target: targetNames[t], Action: action})
		return h.guard(rule{target: t, action: action, section: section}, fn)
	}
	m.HandleFunc("GET /app/clients", g(ownAgency, authz.AgencyClientsList, "clients", h.clientList))
	m.HandleFunc("GET /app/clients/new", g(ownAgency, authz.ClientCreate, "clients", h.clientNew))
	m.HandleFunc("POST /app/clients", g(ownAgency, authz.ClientCreate, "clients", h.clientCreate))
	m.HandleFunc("GET /app/clients/{client_id}", g(agencyClient, authz.ClientView, "clients", h.clientDetail))
	m.HandleFunc("GET /app/clients/{client_id}/activity", g(agencyClient, authz.ClientView, "clients", h.clientActivityPage))
	m.HandleFunc("POST /app/clients/{client_id}/settings", g(agencyClient, authz.ClientManage, "clients", h.clientSettings))
	m.HandleFunc("POST /app/clients/{client_id}/managers", g(agencyClient, authz.ClientManage, "clients", h.clientManagers))
	m.HandleFunc("POST /app/clients/{client_id}/brands", g(agencyClient, authz.ClientManage, "clients", h.clientBrandGrant))
	m.HandleFunc("POST /app/clients/{client_id}/brands/{brand_id}/remove", g(agencyClient, authz.ClientManage, "clients", h.clientBrandRemove))
	m.HandleFunc("POST /app/clients/{client_id}/users/{user_id}/role", g(agencyClient, authz.ClientUsersManage, "clients", h.clientUserRole))
	m.HandleFunc("POST /app/clients/{client_id}/users/{user_id}/remove", g(agencyClient, authz.ClientUsersManage, "clients", h.clientUserRemove))
	m.HandleFunc("POST /app/clients/{client_id}/revoke", g(agencyClient, authz.ClientDisconnect, "clients", h.clientRevoke))
	m.HandleFunc("POST /app/clients/{client_id}/disconnect", g(agencyClient, authz.ClientDisconnect, "clients", h.clientDisconnect))
	m.HandleFunc("POST /app/clients/{client_id}/billing-details", g(agencyClient, authz.BillingDetailsWrite, "clients", h.clientBillingSave))

	m.HandleFunc("GET /app/links", user(h.linksOrAgencies))
	m.HandleFunc("POST /app/links", g(ownAgency, authz.LinkSend, "links", h.linkSend))
	m.HandleFunc("GET /app/agencies", g(ownClient, authz.LinkRead, "agencies", h.links))
	m.HandleFunc("POST /app/agencies", g(ownClient, authz.LinkSend, "agencies", h.linkSend))
	m.HandleFunc("POST /app/links/{link_id}/accept", g(linkOf, authz.LinkDecide, "links", h.linkAccept))
	m.HandleFunc("POST /app/links/{link_id}/decline", g(linkOf, authz.LinkDecide, "links", h.linkDecline))
	m.HandleFunc("POST /app/links/{link_id}/cancel", g(linkOf, authz.LinkCancel, "links", h.linkCancel))
	m.HandleFunc("POST /app/links/{link_id}/disconnect", g(linkOf, authz.LinkDisconnect, "links", h.linkDisconnect))

	m.HandleFunc("GET /app/members", g(ownAgency, authz.AgencyRead, "members", h.members))
	m.HandleFunc("POST /app/members/{user_id}/role", g(ownAgency, authz.AgencyManage, "members", h.memberRole))
	m.HandleFunc("POST /app/members/{user_id}/remove", g(ownAgency, authz.AgencyManage, "members", h.memberRemove))
	m.HandleFunc("POST /app/groups", g(ownAgency, authz.AgencyManage, "members", h.groupCreate))
	m.HandleFunc("POST /app/groups/{group_id}/rename", g(ownAgency, authz.AgencyManage, "members", h.groupRename))
	m.HandleFunc("POST /app/groups/{group_id}/members", g(ownAgency, authz.AgencyManage, "members", h.groupMembers))
	m.HandleFunc("POST /app/groups/{group_id}/delete", g(ownAgency, authz.AgencyManage, "members", h.groupDelete))
	m.HandleFunc("GET /app/brands", g(ownAgency, authz.AgencyRead, "brands", h.brands))
	m.HandleFunc("POST /app/brands", g(ownAgency, authz.AgencyManage, "brands", h.brandCreate))
	m.HandleFunc("POST /app/brands/{brand_id}/rename", g(brandOf, authz.AgencyManage, "brands", h.brandRename))
	m.HandleFunc("POST /app/brands/{brand_id}/delete", g(brandOf, authz.AgencyManage, "brands", h.brandDelete))
	m.HandleFunc("GET /app/settings", g(ownAgency, authz.AgencyRead, "settings", h.settings))
	m.HandleFunc("GET /app/billing", g(ownAgency, authz.AgencyManage, "billing", h.billingPage))
	m.HandleFunc("POST /app/billing/plan", g(ownAgency, authz.AgencyManage, "billing", h.billingPlan))
	m.HandleFunc("POST /app/settings", g(ownAgency, authz.AgencyManage, "settings", h.saveSettings))
	// Settings → Webhooks (issue 21): the agency's admins only.
	m.HandleFunc("GET "+webhooksPath, g(ownAgency, authz.AgencyManage, "settings", h.webhooks))
	m.HandleFunc("POST "+webhooksPath, g(ownAgency, authz.AgencyManage, "settings", h.webhookCreate))
	m.HandleFunc("GET "+webhooksPath+"/{webhook_id}", g(ownAgency, authz.AgencyManage, "settings", h.webhookPage))
	m.HandleFunc("POST "+webhooksPath+"/{webhook_id}", g(ownAgency, authz.AgencyManage, "settings", h.webhookUpdate))
	m.HandleFunc("POST "+webhooksPath+"/{webhook_id}/secret", g(ownAgency, authz.AgencyManage, "settings", h.webhookRotate))
	m.HandleFunc("POST "+webhooksPath+"/{webhook_id}/delete", g(ownAgency, authz.AgencyManage, "settings", h.webhookDelete))
	m.HandleFunc("POST "+webhooksPath+"/{webhook_id}/deliveries/{delivery_id}/resend", g(ownAgency, authz.AgencyManage, "settings", h.webhookResend))

	// Login As (login_as_pages.go).
	m.HandleFunc("GET /app/clients/{client_id}/login-as", g(agencyClient, authz.ClientImpersonate, "clients", h.loginAsForm))
	m.HandleFunc("POST /app/clients/{client_id}/login-as", g(agencyClient, authz.ClientImpersonate, "clients", h.loginAsStart))
	m.HandleFunc("POST /app/login-as/end", user(h.loginAsEnd))
	m.HandleFunc("GET /app/security", g(ownClient, authz.ImpersonationLogRead, "security", h.security))
	m.HandleFunc("POST /app/security", g(ownClient, authz.ClientSecurityManage, "security", h.saveSecurity))

	m.HandleFunc("GET /app/users", g(ownClient, authz.ClientUsersRead, "users", h.users))
	m.HandleFunc("POST /app/users/{user_id}/role", g(ownClient, authz.ClientUsersManage, "users", h.userRole))
	m.HandleFunc("POST /app/users/{user_id}/remove", g(ownClient, authz.ClientUsersManage, "users", h.userRemove))

	// Invitations (invite_pages.go); the landing pages are public.
	m.HandleFunc("GET /app/invitations", g(ownAgency, authz.AgencyClientsList, "invitations", h.invitations))
	m.HandleFunc("POST /app/invitations", g(ownAgency, authz.ClientCreate, "invitations", h.inviteClient))
	m.HandleFunc("POST /app/invitations/{invitation_id}/resend", g(invitationOf, authz.InvitationManage, "", h.invitationResend))
	m.HandleFunc("POST /app/invitations/{invitation_id}/cancel", g(invitationOf, authz.InvitationManage, "", h.invitationCancel))
	m.HandleFunc("POST /app/members/invitations", g(ownAgency, authz.AgencyManage, "members", h.inviteStaff))
	m.HandleFunc("POST /app/clients/{client_id}/invitations", g(agencyClient, authz.ClientUsersManage, "clients", h.inviteClientUser))
	m.HandleFunc("POST /app/users/invitations", g(ownClient, authz.ClientUsersManage, "users", h.inviteTeam))
	m.HandleFunc("GET /invite/{token}", h.inviteLanding)
	m.HandleFunc("POST /invite/{token}", h.inviteAccept)
	// The client portal's shell (portal_shell.go, profile.go).
	m.HandleFunc("GET /app/reports", g(ownClient, authz.ReportRead, "reports", h.portalReports))
	// Reports (report_pages.go): read by client and agency users alike;
	// built on a brand's page in the agency app.
	m.HandleFunc("GET /app/reports/{report_id}", g(reportOf, authz.BrandDataRead, "reports", h.reportPage))
	m.HandleFunc("GET /app/reports/{report_id}/edit", g(reportOf, authz.BrandDataWrite, "brands", h.reportEdit))
	m.HandleFunc("POST /app/reports/{report_id}/widgets", g(reportOf, authz.BrandDataWrite, "brands", h.reportWidgets))
	m.HandleFunc("POST /app/reports/{report_id}/delete", g(reportOf, authz.BrandDataWrite, "brands", h.reportDelete))
	m.HandleFunc("GET /app/brands/{brand_id}/reports", g(brandOf, authz.BrandDataRead, "brands", h.brandReports))
	// Report templates and schedules (template_pages.go, schedule_pages.go; issue 17).
	m.HandleFunc("GET /app/report-templates", g(ownAgency, authz.ReportTemplateRead, "brands", h.templates))
	m.HandleFunc("POST /app/report-templates", g(ownAgency, authz.ReportTemplateManage, "brands", h.templateCreate))
	m.HandleFunc("GET /app/report-templates/{template_id}", g(templateOf, authz.ReportTemplateRead, "brands", h.templatePage))
	m.HandleFunc("POST /app/report-templates/{template_id}/apply", g(templateOf, authz.ReportTemplateManage, "brands", h.templateApply))
	m.HandleFunc("POST /app/report-templates/{template_id}/delete", g(templateOf, authz.ReportTemplateManage, "brands", h.templateDelete))
	m.HandleFunc("POST /app/reports/{report_id}/schedules", g(reportOf, authz.ReportScheduleManage, "brands", h.scheduleCreate))
	m.HandleFunc("GET /app/reports/{report_id}/schedules/{schedule_id}", g(reportOf, authz.ReportScheduleManage, "brands", h.scheduleEdit))
	m.HandleFunc("POST /app/reports/{report_id}/schedules/{schedule_id}", g(reportOf, authz.ReportScheduleManage, "brands", h.scheduleSave))
	m.HandleFunc("POST /app/reports/{report_id}/schedules/{schedule_id}/delete", g(reportOf, authz.ReportScheduleManage, "brands", h.scheduleDelete))
	m.HandleFunc("POST /app/brands/{brand_id}/reports", g(brandOf, authz.BrandDataWrite, "brands", h.reportCreate))
	// The agency's data sources (source_pages.go, issue 17).
	m.HandleFunc("GET /app/sources", g(ownAgency, authz.SourceManage, "sources", h.sources))
	m.HandleFunc("POST /app/sources", g(ownAgency, authz.SourceManage, "sources", h.sourceCreate))
	m.HandleFunc("GET /app/sources/{source_id}", g(ownAgency, authz.SourceManage, "sources", h.sourcePage))
	m.HandleFunc("POST /app/sources/{source_id}/mappings", g(ownAgency, authz.SourceManage, "sources", h.sourceMap))
	m.HandleFunc("POST /app/sources/{source_id}/pause", g(ownAgency, authz.SourceManage, "sources", h.sourcePause))
	m.HandleFunc("POST /app/sources/{source_id}/token", g(ownAgency, authz.SourceManage, "sources", h.sourceToken))
	m.HandleFunc("POST /app/sources/{source_id}/delete", g(ownAgency, authz.SourceManage, "sources", h.sourceDelete))
	m.HandleFunc("POST /app/brand", g(ownClient, authz.PortalUse, "", h.chooseBrand))
	// A client's billing details (billing_details_pages.go).
	m.HandleFunc("GET /app/"+billingSlug, g(ownClient, authz.BillingDetailsRead, billingSlug, h.portalBilling))
	m.HandleFunc("POST /app/"+billingSlug, g(ownClient, authz.BillingDetailsWrite, billingSlug, h.portalBillingSave))
	// The profile is the agency user's own during Login As: out of reach.
	m.HandleFunc("GET /app/profile", user(h.notImpersonating("open or change your profile", h.profile)))
	m.HandleFunc("POST /app/profile", user(h.notImpersonating("change your profile", h.saveProfile)))
	m.HandleFunc("POST /app/profile/password", user(h.notImpersonating("change your password", h.changePassword)))
	// The weekly health digest (digest_pages.go); the link of the e-mail is public.
	m.HandleFunc("POST /app/profile/digest", user(h.notImpersonating("change your preferences", h.saveDigest)))
	m.HandleFunc("POST /app/profile/verification", user(h.notImpersonating("confirm the e-mail address", h.resendVerification)))
	m.HandleFunc("GET /verify/{token}", h.verifyForm)
	m.HandleFunc("POST /verify/{token}", h.verify)
	// A scheduled report e-mail's link (schedule_pages.go): after login, to the report.
	m.HandleFunc("GET /r/{token}", user(h.openScheduledReport))
	m.HandleFunc("GET /digest/unsubscribe/{token}", h.unsubscribeForm)
	m.HandleFunc("POST /digest/unsubscribe/{token}", h.unsubscribe)
	// The agency's portal branding and domains (portal_admin.go).
	m.HandleFunc("GET /app/portal", g(ownAgency, authz.AgencyRead, "portal", h.portalAdmin))
	m.HandleFunc("POST /app/portal", g(ownAgency, authz.AgencyManage, "portal", h.portalSave))
	m.HandleFunc("POST /app/portal/logos/{slot}", g(ownAgency, authz.AgencyManage, "portal", h.portalLogo))
	m.HandleFunc("POST /app/portal/logos/{slot}/delete", g(ownAgency, authz.AgencyManage, "portal", h.portalLogoDelete))
	m.HandleFunc("POST /app/portal/domains", g(ownAgency, authz.AgencyManage, "portal", h.portalDomainAdd))
	m.HandleFunc("POST /app/portal/domains/{domain}/verify", g(ownAgency, authz.AgencyManage, "portal", h.portalDomainVerify))
	m.HandleFunc("POST /app/portal/domains/{domain}/delete", g(ownAgency, authz.AgencyManage, "portal", h.portalDomainDelete))

	// Restore, sharing, password reset, audit, overview (issue 18; daily_routes.go).
	h.dailyRoutes(m, g)
	h.accessRequestRoutes(m, g) // issue 21
	// Client groups, report sharing, full-screen reports, per-client branding (clientgroup_pages.go).
	h.clientGroupRoutes(m, g)
	// Two-factor sign-in (twofactor_pages.go, issue 21).
	h.routesTwoFactor(m, g)

	m.HandleFunc("GET /operator/outbox", operator(h.outbox))
	m.HandleFunc("GET /operator/outbox/{id}", operator(h.outboxMessage))
	m.HandleFunc("GET /operator/outbox/{id}/html", operator(h.outboxHTML))

	m.HandleFunc("/", h.notFound)
	return m
}

// checkForm refuses a posted form with a control character or invalid
// UTF-8 in any value (input.Form; line breaks only in the text areas)
// before any page handler reads it: a 400 page, nothing written. Paths and
// queries were checked by the server.
func (h *handler) checkForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
				r.Body = http.MaxBytesReader(w, r.Body, maxForm)
				_ = r.ParseForm()
				if err := input.Form(r.PostForm); err != nil {
					h.fail(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
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
		if a == nil || !a.IsOperator || a.Impersonating() {
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
		if p.Shell != nil && p.Shell.Portal != nil {
			p.Brand = p.Shell.Portal.Brand
		}
	}
	h.render(w, r, http.StatusNotFound, "not_found", p)
}

// redirect answers 303 See Other, the answer to a form post. Targets taken
// from a request are checked by input.LocalPath where they are read; here
// it checks every target once more, so no redirect leaves the site.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, input.LocalPathUnder(to, "/", "/app"), http.StatusSeeOther)
}
