package api

import (
	"context"
	"net/http"
	"time"

	"github.com/liaison-dev/liaison/internal/accessreq"
	"github.com/liaison-dev/liaison/internal/authz"
)

type accessRequestCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Client string `json:"client" maxLength:"200" doc:"The client's account ID, or its name"`
		Reason string `json:"reason" maxLength:"1000" doc:"Why you need access"`
	}
}

type accessRequestIn struct {
	ID        string `path:"id" maxLength:"64"`
	RequestID string `path:"request_id" maxLength:"64"`
}

type accessRequestApproveIn struct {
	ID        string `path:"id" maxLength:"64"`
	RequestID string `path:"request_id" maxLength:"64"`
	Body      *struct {
		EndsAt *time.Time `json:"ends_at,omitempty" doc:"When the granted access ends by itself (5 minutes to 5 years ahead); omitted: no end"`
	}
}

type accessRequestOut struct {
	Body accessreq.Request
}

type accessRequestsOut struct {
	Body struct {
		Requests []accessreq.Request `json:"requests"`
	}
}

// Answers are personal and the server's default Cache-Control (no-store,
// server/middleware.go) applies.
func (a *API) accessRequestRoutes() {
	s := a.deps.AccessRequests
	// Any member of the agency: the domain decides who sees and decides
	// which request (accessreq).
	member := Access{Kind: Account, Action: authz.AgencyRead, Param: "id"}
	o := op(http.MethodPost, "/api/v1/agencies/{id}/access-requests", "access-request-create",
		"Ask for access to a client by account ID or name, with a reason. 202 with the same answer whether or not a client matched", "access requests")
	o.DefaultStatus = http.StatusAccepted
	add(a, member, o, func(ctx context.Context, in *accessRequestCreateIn) (*accessRequestOut, error) {
		r, err := s.Create(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), accessreq.CreateInput{Client: in.Body.Client, Reason: in.Body.Reason})
		return &accessRequestOut{Body: r}, err
	})
	add(a, member, op(http.MethodGet, "/api/v1/agencies/{id}/access-requests", "access-request-list",
		"Access requests, newest first: all for admins, those for assigned clients for account managers, one's own for everyone", "access requests"),
		func(ctx context.Context, in *linkIDIn) (*accessRequestsOut, error) {
			out := &accessRequestsOut{}
			var err error
			out.Body.Requests, err = s.List(ctx, RelationFrom(ctx), authz.ActorFrom(ctx))
			if out.Body.Requests == nil {
				out.Body.Requests = []accessreq.Request{}
			}
			return out, err
		})
	add(a, member, op(http.MethodGet, "/api/v1/agencies/{id}/access-requests/{request_id}", "access-request-get", "One access request", "access requests"),
		func(ctx context.Context, in *accessRequestIn) (*accessRequestOut, error) {
			r, err := s.Get(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.RequestID)
			return &accessRequestOut{Body: r}, err
		})
	add(a, member, op(http.MethodPost, "/api/v1/agencies/{id}/access-requests/{request_id}/approve", "access-request-approve",
		"Approve: the requester sees the client, until ends_at if given (agency admins, the client's assigned account managers)", "access requests"),
		func(ctx context.Context, in *accessRequestApproveIn) (*accessRequestOut, error) {
			var until *time.Time
			if in.Body != nil {
				until = in.Body.EndsAt
			}
			r, err := s.Approve(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.RequestID, until)
			return &accessRequestOut{Body: r}, err
		})
	add(a, member, op(http.MethodPost, "/api/v1/agencies/{id}/access-requests/{request_id}/decline", "access-request-decline",
		"Decline (agency admins, the client's assigned account managers)", "access requests"),
		func(ctx context.Context, in *accessRequestIn) (*accessRequestOut, error) {
			r, err := s.Decline(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.RequestID)
			return &accessRequestOut{Body: r}, err
		})
}
