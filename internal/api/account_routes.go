package api

import (
	"context"
	"net/http"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
)

type accountOut struct{ Body account.Account }

type auditIn struct {
	ID     string    `path:"id" maxLength:"64"`
	Action string    `query:"action" maxLength:"100" doc:"Exact action, or a prefix ending in '.' (e.g. session.)"`
	Actor  string    `query:"actor" maxLength:"64" doc:"User ID of the actor"`
	Since  time.Time `query:"since" doc:"RFC 3339; only events at or after this time"`
	Cursor string    `query:"cursor" maxLength:"200"`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
}

type auditOut struct {
	Body struct {
		Events     []audit.Event `json:"events"`
		NextCursor string        `json:"next_cursor"`
	}
}

func (a *API) accountRoutes() {
	add(a, Access{Kind: Account, Action: authz.AccountRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}", "account-get", "An account, for its members and the agency users who see it", "accounts"),
		func(ctx context.Context, in *idPath) (*accountOut, error) {
			acc, err := a.deps.Accounts.Get(ctx, RelationFrom(ctx))
			return &accountOut{Body: acc}, err
		})

	add(a, Access{Kind: Account, Action: authz.AuditRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/audit", "audit-list", "The account's audit trail, newest first", "audit"),
		func(ctx context.Context, in *auditIn) (*auditOut, error) {
			out := &auditOut{}
			var err error
			out.Body.Events, out.Body.NextCursor, err = a.deps.Audit.List(ctx, RelationFrom(ctx), audit.Filter{
				Action: in.Action, Actor: in.Actor, Since: in.Since, Cursor: in.Cursor, Limit: in.Limit})
			if out.Body.Events == nil {
				out.Body.Events = []audit.Event{}
			}
			return out, err
		})
}
