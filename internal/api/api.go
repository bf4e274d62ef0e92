// Package api serves the public HTTP API under /api/v1 (SPEC §10). Routes are
// declared in tables, one file per surface, each with the access rule that
// the authz check applies before the handler runs. The OpenAPI 3.1 document
// at /api/v1/openapi.json is generated from the same Go types, so it cannot
// drift from the code.
package api

import (
	"encoding/json"
	"github.com/liaison-dev/liaison/internal/accessreq"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

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
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/link"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/report"
	"github.com/liaison-dev/liaison/internal/schedule"
	"github.com/liaison-dev/liaison/internal/signup"
	"github.com/liaison-dev/liaison/internal/source"
	"github.com/liaison-dev/liaison/internal/webhook"
)

// Deps are the domain services the API calls.
type Deps struct {
	Activity *activity.Service
	Digest   *digest.Service
	Auth     *auth.Service
	Signups  *signup.Service // sign-up and first-run setup (issue 22)
	Accounts *account.Service
	Agency   *agency.Service
	Authz    *authz.Authorizer
	Audit    *audit.Log
	Mailer   *mail.Mailer
	Links    *link.Service
	// AccessRequests is staff access requests (issue 21).
	AccessRequests *accessreq.Service
	Clients        *client.Service
	Invites        *invite.Service
	Branding       *branding.Service // the white-label portal (issue 8)
	Impersonation  *impersonation.Service
	Billing        *billing.Service
	ClientBilling  *clientbilling.Service // a client's billing details
	Data           *metricdata.Service    // brands' metric data (issue 16)
	Reports        *report.Service        // brands' reports (issue 16)
	Sources        *source.Service        // agencies' data sources (issue 17)
	Schedules      *schedule.Service      // scheduled report e-mails (issue 17)
	ClientGroups   *clientgroup.Service   // client groups and report sharing (issue 24)
	Webhooks       *webhook.Service       // signed webhooks (issue 21)
	SecureCookies  bool
	Log            *slog.Logger
}

// API is the /api/v1 surface.
type API struct {
	deps   Deps
	mux    *http.ServeMux
	huma   huma.API
	routes []Route
}

// New builds the API and registers every route.
func New(d Deps) *API {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("Liaison API", "1.0.0")
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.OpenAPIPath = "/api/v1/openapi"
	cfg.DocsPath = ""    // the hosted docs page loads scripts from a CDN; our CSP forbids that
	cfg.SchemasPath = "" // schemas are inline in the document
	cfg.CreateHooks = nil
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	cfg.Info.Description = "The public API of Liaison. Errors are {\"error\":{\"code\",\"message\"}}."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: auth.CookieName},
		"bearer":  {Type: "http", Scheme: "bearer"},
	}
	a := &API{deps: d, mux: mux, huma: humago.New(mux, cfg)}
	// The route table, one surface per file (<name>_routes.go), read here
	// in one place as miniflux's api.go does. A new surface adds its line.
	for _, s := range []struct {
		name     string
		register func()
	}{
		{"auth", a.authRoutes},
		{"account", a.accountRoutes},
		{"audit export", a.auditExportRoutes},
		{"operator", a.operatorRoutes},
		{"activity", a.activityRoutes},
		{"agency", a.agencyRoutes},
		{"billing details", a.billingDetailsRoutes},
		{"billing", a.billingRoutes},
		{"client", a.clientRoutes},
		{"client groups", a.clientGroupRoutes},
		{"daily", a.dailyRoutes},
		{"data", a.dataRoutes},
		{"digest", a.digestRoutes},
		{"impersonation", a.impersonationRoutes},
		{"invite", a.inviteRoutes},
		{"link", a.linkRoutes},
		{"link end dates", a.linkEndRoutes},
		{"access requests", a.accessRequestRoutes},
		{"two-factor sign-in", a.twoFactorRoutes},
		{"webhooks", a.webhookRoutes},
		{"portal", a.portalRoutes},
		{"report", a.reportRoutes},
		{"schedule", a.scheduleRoutes},
		{"source", a.sourceRoutes},
		{"template", a.templateRoutes},
	} {
		n := len(a.routes)
		s.register()
		if len(a.routes) == n {
			panic("api: the " + s.name + " surface registers no route")
		}
	}
	a.finishDocument()
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteJSONError(w, r, errs.E(errs.NotFound, "not_found", "There is no such API route."))
	})
	return a
}

// ServeHTTP serves /api/v1.
// Responses are held and sent with a Content-Length in one write
// (buffered.go).
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { serveBuffered(a.mux, w, r) }

// Mux exposes the router so the server can read route patterns for metrics.
func (a *API) Mux() *http.ServeMux { return a.mux }

// OpenAPI returns the generated document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.huma.OpenAPI() }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// keptSchemaNames are types that moved to another package and kept the
// schema name they were published under (the OpenAPI document is a public
// contract): /me's answer moved from auth to account so that auth imports
// no account types (issue 22).
var keptSchemaNames = map[reflect.Type]string{reflect.TypeFor[account.Me](): "AuthMe"}

// schemaName names OpenAPI schemas after their package as well as their type
// (agency.Brand → AgencyBrand, client.Brand → ClientBrand): huma's default
// uses the type name alone, and two domain types of the same name would
// collide at start-up.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if kept, ok := keptSchemaNames[t]; ok && name == t.Name() {
		return kept
	}
	pkg := t.PkgPath()
	if !strings.Contains(pkg, "/internal/") || strings.HasSuffix(pkg, "/internal/api") {
		return name
	}
	base := path.Base(pkg)
	if base == "clientlist" {
		base = "client" // the list's types kept their names when they moved out of client
	}
	prefix := strings.ToUpper(base[:1]) + base[1:]
	if strings.HasPrefix(name, prefix) {
		return name
	}
	return prefix + name
}
