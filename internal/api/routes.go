package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
)

// AccessKind says who may call a route at all.
type AccessKind int

const (
	// Public routes need no login (signup, login, password reset).
	Public AccessKind = iota + 1
	// User routes need a logged-in user and act on that user's own things
	// (me, tokens, sessions); their queries are scoped by the user's ID.
	User
	// Operator routes are for the instance operator only.
	Operator
	// Account routes act on the account named by a path parameter; authz
	// decides with the role × action matrix (404 not visible, 403 forbidden).
	Account
	// AgencyClient routes act on a client as one agency sees it
	// (/agencies/{id}/clients/{client_id}…): the actor must see the client
	// through that agency's active link.
	AgencyClient
	// Link routes act on a link request named by a path parameter; the
	// actor's side and role there decide (authz.CheckLink).
	Link
	// Brand routes act on a brand; access is decided on its agency.
	Brand
	// Invitation routes act on an invitation; access is decided on the
	// account it is into (authz.CheckInvitation).
	Invitation
	// Report routes act on a report; access is decided on its brand
	// (authz.CheckReport).
	Report
	// Source routes act on a data source; access is decided on its agency
	// (authz.CheckSource).
	Source
	// SourceToken routes are called by a data source with its own token
	// (a source's push): no user may call them, and a source token reaches
	// nothing else.
	SourceToken
	// Template routes act on a report template; access is decided on its
	// agency (authz.CheckTemplate, issue 17).
	Template
	// Schedule routes act on a report's schedule; access is decided on the
	// report's brand (authz.CheckSchedule, issue 17).
	Schedule
	// Webhook routes act on a webhook endpoint; access is decided on its
	// agency (authz.CheckWebhook, issue 21).
	Webhook
)

// Access is a route's entry in the access table.
type Access struct {
	Kind   AccessKind
	Action authz.Action // what the route needs (not for Public, User, Operator)
	Param  string       // the path parameter naming the account, link or brand, e.g. "id"
	// ClientParam names the client parameter of AgencyClient routes.
	ClientParam string
}

// Route is one row of the route table. Every API route is registered through
// add, so every route has an Access entry; TestEveryRouteIsInTheTable checks
// that the OpenAPI document has no operation outside this table.
type Route struct {
	Method, Path, OperationID string
	Access                    Access
}

type relationKey struct{}
type linkRelationKey struct{}

// RelationFrom returns the actor's relation to the route's account (or
// client, or brand's agency), set by the access check.
func RelationFrom(ctx context.Context) authz.Relation {
	r, _ := ctx.Value(relationKey{}).(authz.Relation)
	return r
}

// LinkRelationFrom returns the actor's relation to the route's link, set by
// the access check of Link routes.
func LinkRelationFrom(ctx context.Context) authz.LinkRelation {
	r, _ := ctx.Value(linkRelationKey{}).(authz.LinkRelation)
	return r
}

// add registers a route with its access rule. The access check runs as huma
// middleware, before the body is read or validated, so that a stranger sees
// 404 (or 401) no matter what they send.
func add[I, O any](a *API, acc Access, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	if acc.Kind == 0 {
		panic("route " + op.Method + " " + op.Path + " has no access rule")
	}
	if acc.Kind >= Account && (!authz.Known(acc.Action) || acc.Param == "" || (acc.Kind == AgencyClient && acc.ClientParam == "")) {
		panic(fmt.Sprintf("route %s %s: unknown action %q or missing param", op.Method, op.Path, acc.Action))
	}
	if op.OperationID == "" {
		panic("route " + op.Method + " " + op.Path + " has no operation id")
	}
	if acc.Kind != Public {
		op.Security = []map[string][]string{{"session": {}}, {"bearer": {}}}
	} else {
		op.Security = []map[string][]string{} // `security: []`: no credentials needed
	}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	for code, r := range a.errorResponses(declaredErrors(op, acc, reflect.TypeFor[I]())) {
		if op.Responses[code] == nil {
			op.Responses[code] = r
		}
	}
	op.Errors = nil // declared above; huma would add its own 422 and 500
	op.Middlewares = append(op.Middlewares, a.accessCheck(acc, op.Method+" "+op.Path))
	a.routes = append(a.routes, Route{Method: op.Method, Path: op.Path, OperationID: op.OperationID, Access: acc})
	huma.Register(a.huma, op, func(ctx context.Context, in *I) (*O, error) {
		// Every text of the request, decoded (issue 15): no control
		// character or invalid UTF-8 reaches a domain service.
		if err := input.Struct(in); err != nil {
			return nil, FromDomain(ctx, err)
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, FromDomain(ctx, err)
		}
		return out, nil
	})
}

func (a *API) accessCheck(acc Access, route string) func(huma.Context, func(huma.Context)) {
	return func(hc huma.Context, next func(huma.Context)) {
		ctx := hc.Context()
		actor := authz.ActorFrom(ctx)
		fail := func(err error) {
			e := FromDomain(ctx, err)
			_ = huma.WriteErr(a.huma, hc, e.Status, e.Body.Message, e)
		}
		if tok := authz.SourceTokenFrom(ctx); (tok != "" && acc.Kind != Public) || acc.Kind == SourceToken {
			// A source token reaches its own source's push route, and a
			// push route only a source token (the route checks which).
			// Public routes take it for no credentials at all.
			if tok == "" || acc.Kind != SourceToken {
				fail(errSourceTokenOnly)
				return
			}
			next(hc)
			return
		}
		if actor.Impersonating() && acc.Kind != Operator { // Login As: what nobody may do as the client (impersonation_routes.go)
			if err := impersonationRefusal(acc, route); err != nil {
				fail(err)
				return
			}
		}
		switch acc.Kind {
		case Public:
		case User:
			if actor == nil {
				fail(errs.ErrUnauthorized)
				return
			}
		case Operator:
			if actor == nil {
				fail(errs.ErrUnauthorized)
				return
			}
			if !actor.IsOperator || actor.Impersonating() { // acting as a client, nobody is the operator
				fail(errs.ErrNotFound)
				return
			}
		default:
			if actor == nil {
				fail(errs.ErrUnauthorized)
				return
			}
			z := a.deps.Authz
			var rel authz.Relation
			var err error
			switch acc.Kind {
			case Account:
				rel, err = z.Check(ctx, actor, hc.Param(acc.Param), acc.Action)
			case AgencyClient:
				rel, err = z.CheckClientOf(ctx, actor, hc.Param(acc.Param), hc.Param(acc.ClientParam), acc.Action)
			case Brand:
				rel, err = z.CheckBrand(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Invitation:
				rel, err = z.CheckInvitation(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Report:
				rel, err = z.CheckReport(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Source:
				rel, err = z.CheckSource(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Template:
				rel, err = z.CheckTemplate(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Schedule:
				rel, err = z.CheckSchedule(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Webhook:
				rel, err = z.CheckWebhook(ctx, actor, hc.Param(acc.Param), acc.Action)
			case Link:
				var lrel authz.LinkRelation
				lrel, err = z.CheckLink(ctx, actor, hc.Param(acc.Param), acc.Action)
				hc = huma.WithValue(hc, linkRelationKey{}, lrel)
			}
			if err != nil {
				fail(err)
				return
			}
			hc = huma.WithValue(hc, relationKey{}, rel)
		}
		next(hc)
	}
}

// Routes returns the route table, for tests and docs.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }

func op(method, path, id, summary string, tags ...string) huma.Operation {
	o := huma.Operation{Method: method, Path: path, OperationID: id, Summary: summary, Tags: tags}
	switch method {
	case http.MethodPost:
		o.DefaultStatus = http.StatusOK
	}
	return o
}
