package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// Login As (SPEC §6, §10): start on a client as one agency sees it, leave,
// the client's log of Login As sessions, and the client's own switch that
// allows or refuses Login As.

type impStartBody struct {
	Reason   string `json:"reason,omitempty" maxLength:"500" doc:"Why; required when the agency setting impersonation_reason_required is on"`
	ReturnTo string `json:"return_to,omitempty" maxLength:"500" doc:"The agency page to return to (an /app/clients path); default the client's page"`
}

type impStartIn struct {
	ID       string        `path:"id" maxLength:"64"`
	ClientID string        `path:"client_id" maxLength:"64"`
	Body     *impStartBody // optional: an empty body starts without a reason
}

type impStartOut struct {
	Body struct {
		Impersonation impersonation.Started `json:"impersonation"`
	}
}

type impEndOut struct {
	Body struct {
		ID       string `json:"id" doc:"The impersonation that ended"`
		ReturnTo string `json:"return_to" doc:"The agency page it was started from"`
	}
}

type impLogIn struct {
	ID     string `path:"id" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Cursor string `query:"cursor" maxLength:"200"`
}

type impLogOut struct {
	Body struct {
		Impersonations []impersonation.LogEntry `json:"impersonations"`
		NextCursor     string                   `json:"next_cursor"`
	}
}

type securityOut struct{ Body impersonation.Security }

type securityIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		AllowImpersonation *bool `json:"allow_impersonation,omitempty" doc:"false: no agency may Login As; Login As in progress ends"`
		Require2FA         *bool `json:"require_2fa,omitempty" doc:"true: the client's users sign in with a second factor (set up at their next sign-in, or on accepting an invitation)"`
	}
}

func (a *API) impersonationRoutes() {
	s := a.deps.Impersonation

	add(a, Access{Kind: AgencyClient, Action: authz.ClientImpersonate, Param: "id", ClientParam: "client_id"},
		op(http.MethodPost, "/api/v1/agencies/{id}/clients/{client_id}/impersonate", "client-impersonate",
			"Login As: act as the client account with its admins' view, in this browser session (admins, assigned account managers)", "impersonation"),
		func(ctx context.Context, in *impStartIn) (*impStartOut, error) {
			var si impersonation.StartInput
			if in.Body != nil {
				si = impersonation.StartInput{Reason: in.Body.Reason, ReturnTo: in.Body.ReturnTo}
			}
			st, err := s.Start(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), si)
			out := &impStartOut{}
			out.Body.Impersonation = st
			return out, err
		})

	add(a, Access{Kind: User}, op(http.MethodPost, "/api/v1/impersonation/end", "impersonation-end",
		"Leave Login As; the agency session goes on", "impersonation"),
		func(ctx context.Context, _ *empty) (*impEndOut, error) {
			e, err := s.End(ctx, authz.ActorFrom(ctx))
			out := &impEndOut{}
			out.Body.ID, out.Body.ReturnTo = e.ID, e.ReturnTo
			return out, err
		})

	add(a, Access{Kind: Account, Action: authz.ImpersonationLogRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/impersonations", "impersonation-list",
			"The client's Login As sessions, newest first: who, when, how long, why, and every request made (client admins)", "impersonation"),
		func(ctx context.Context, in *impLogIn) (*impLogOut, error) {
			out := &impLogOut{}
			var err error
			out.Body.Impersonations, out.Body.NextCursor, err = s.Log(ctx, RelationFrom(ctx), in.Limit, in.Cursor)
			return out, err
		})

	add(a, Access{Kind: Account, Action: authz.ImpersonationLogRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/security", "client-security-get",
			"The client's security settings (client admins)", "impersonation"),
		func(ctx context.Context, in *idPath) (*securityOut, error) {
			v, err := s.GetSecurity(ctx, RelationFrom(ctx))
			return &securityOut{Body: v}, err
		})

	add(a, Access{Kind: Account, Action: authz.ClientSecurityManage, Param: "id"},
		op(http.MethodPut, "/api/v1/accounts/{id}/security", "client-security-put",
			"Change the client's security settings: allow_impersonation, require_2fa (client admins)", "impersonation"),
		func(ctx context.Context, in *securityIn) (*securityOut, error) {
			v, err := s.SetSecurity(ctx, RelationFrom(ctx), authz.ActorFrom(ctx),
				impersonation.SecurityUpdate{AllowImpersonation: in.Body.AllowImpersonation, Require2FA: in.Body.Require2FA})
			return &securityOut{Body: v}, err
		})
}

// refusedWhileImpersonating lists, by route, what nobody may do while
// logged in as a client (SPEC §6, issue 7), with what the refusal says.
// Routes are named by method and path, which SPEC §10 fixes, so routes built
// later (account deletion, a client user's password reset, a change of
// e-mail) are refused from the day they exist. Every other User route
// (the agency user's own tokens and sessions) is refused too: while acting
// as the client, the agency user's own things are out of reach; only /me,
// logout and leaving Login As remain.
var refusedWhileImpersonating = map[string]string{
	"POST /api/v1/agencies/{id}/clients/{client_id}/impersonate": "start another Login As",
	"POST /api/v1/links/{id}/accept":                             "accept link requests for the client",
	"POST /api/v1/links/{id}/decline":                            "decline link requests for the client",
	"DELETE /api/v1/links/{id}":                                  "disconnect the client from an agency",
	"POST /api/v1/tokens":                                        "create API tokens",
	"DELETE /api/v1/accounts/{id}":                               "delete the account",
	"POST /api/v1/accounts/{id}/users/{user_id}/password-reset":  "reset a client user's password",
	"PATCH /api/v1/accounts/{id}/users/{user_id}/email":          "change a client user's e-mail",
	"PATCH /api/v1/me":                                           "change your own e-mail or password",
	"PUT /api/v1/me/password":                                    "change your own password",
	"GET /api/v1/accounts/{id}/impersonations":                   "read the client's Login As log",
	"GET /api/v1/accounts/{id}/security":                         "read the client's security settings",
	"PUT /api/v1/accounts/{id}/security":                         "change the client's security settings",
}

// allowedUserRoutesWhileImpersonating are the User routes that stay open.
var allowedUserRoutesWhileImpersonating = map[string]bool{
	"GET /api/v1/me": true, "POST /api/v1/logout": true, "POST /api/v1/impersonation/end": true,
	// Page views are recorded with the impersonator, never as the client's own.
	"POST /api/v1/activity": true,
}

// impersonationRefusal returns the refusal of a route for an impersonating
// actor, or nil.
func impersonationRefusal(acc Access, route string) error {
	if what, ok := refusedWhileImpersonating[route]; ok {
		return authz.ErrImpersonating(what)
	}
	if acc.Kind == User && !allowedUserRoutesWhileImpersonating[route] {
		return authz.ErrImpersonating("manage your own sessions, tokens or accounts")
	}
	if acc.Action == authz.LinkDecide || acc.Action == authz.LinkDisconnect || acc.Action == authz.ClientImpersonate {
		return authz.ErrImpersonating("do this")
	}
	return nil
}
