package api

import (
	"context"
	"net/http"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/link"
)

type linkSendIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		TargetAccountID string            `json:"target_account_id,omitempty" maxLength:"64" doc:"The other account's ID; or give target_email"`
		TargetEmail     string            `json:"target_email,omitempty" maxLength:"254" doc:"The e-mail address of an admin of the other account"`
		Access          *link.AccessInput `json:"access,omitempty" doc:"Agency senders only: who in the agency will see the client"`
	}
}

type linkListIn struct {
	ID        string `path:"id" maxLength:"64"`
	Direction string `query:"direction" enum:"incoming,outgoing" doc:"Relative to this account; both when omitted"`
	Status    string `query:"status" enum:"pending,active,declined,cancelled,disconnected" doc:"All when omitted"`
	Cursor    string `query:"cursor" maxLength:"300"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
}

type linkIDIn struct {
	ID string `path:"id" maxLength:"64"`
}

type linkAcceptBody struct {
	Access *link.AccessInput `json:"access,omitempty" doc:"Agency acceptors only. Omitted: only the agency's admins and the client's assigned account managers see the client"`
}

type linkAcceptIn struct {
	ID   string          `path:"id" maxLength:"64"`
	Body *linkAcceptBody // optional: an empty body accepts with the default access
}

type linkOut struct{ Body link.Link }

type linksOut struct {
	Body struct {
		Links      []link.Link `json:"links"`
		NextCursor string      `json:"next_cursor"`
	}
}

type clientCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Name     string            `json:"name" maxLength:"120"`
		Seats    *int              `json:"seats,omitempty" minimum:"0" maximum:"100000" doc:"Most users the client may have (0–100000); 0 (default) is unlimited"`
		Enabled  *bool             `json:"enabled,omitempty" doc:"Default true"`
		BrandIDs []string          `json:"brand_ids,omitempty" maxItems:"1000" doc:"Brands of this agency"`
		Access   *link.AccessInput `json:"access,omitempty" doc:"Who in the agency sees the client"`
	}
}

type clientCreatedOut struct{ Body link.CreatedClient }

func (a *API) linkRoutes() {
	s := a.deps.Links

	o := op(http.MethodPost, "/api/v1/accounts/{id}/links", "link-send", "Send a link request to an agency or client, by account ID or admin e-mail", "links")
	o.DefaultStatus = http.StatusCreated
	add(a, Access{Kind: Account, Action: authz.LinkSend, Param: "id"}, o,
		func(ctx context.Context, in *linkSendIn) (*linkOut, error) {
			l, err := s.Send(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), link.SendInput{
				TargetAccountID: in.Body.TargetAccountID, TargetEmail: in.Body.TargetEmail, Access: in.Body.Access})
			return &linkOut{Body: l}, err
		})

	add(a, Access{Kind: Account, Action: authz.LinkRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/links", "link-list", "The account's links and link requests, newest first", "links"),
		func(ctx context.Context, in *linkListIn) (*linksOut, error) {
			out := &linksOut{}
			var err error
			out.Body.Links, out.Body.NextCursor, err = s.List(ctx, RelationFrom(ctx), link.Filter{
				Direction: in.Direction, Status: in.Status, Cursor: in.Cursor, Limit: in.Limit})
			if out.Body.Links == nil {
				out.Body.Links = []link.Link{}
			}
			return out, err
		})

	add(a, Access{Kind: Link, Action: authz.LinkDecide, Param: "id"},
		op(http.MethodPost, "/api/v1/links/{id}/accept", "link-accept", "Accept a link request (the receiving side's admins)", "links"),
		func(ctx context.Context, in *linkAcceptIn) (*linkOut, error) {
			var access *link.AccessInput
			if in.Body != nil {
				access = in.Body.Access
			}
			l, err := s.Accept(ctx, LinkRelationFrom(ctx), authz.ActorFrom(ctx), access)
			return &linkOut{Body: l}, err
		})

	decide := func(action authz.Action, method, path, id, summary string,
		fn func(context.Context, authz.LinkRelation, *authz.Actor) (link.Link, error)) {
		add(a, Access{Kind: Link, Action: action, Param: "id"}, op(method, path, id, summary, "links"),
			func(ctx context.Context, in *linkIDIn) (*linkOut, error) {
				l, err := fn(ctx, LinkRelationFrom(ctx), authz.ActorFrom(ctx))
				return &linkOut{Body: l}, err
			})
	}
	decide(authz.LinkDecide, http.MethodPost, "/api/v1/links/{id}/decline", "link-decline",
		"Decline a link request (the receiving side's admins)", s.Decline)
	decide(authz.LinkCancel, http.MethodPost, "/api/v1/links/{id}/cancel", "link-cancel",
		"Withdraw a pending link request (the sending side)", s.Cancel)
	decide(authz.LinkDisconnect, http.MethodDelete, "/api/v1/links/{id}", "link-disconnect",
		"Disconnect an active link (either side's admins); every agency access ends at once", s.Disconnect)

	add(a, Access{Kind: Link, Action: authz.AgencyManage, Param: "id"},
		op(http.MethodPatch, "/api/v1/links/{id}", "link-access",
			"Change who in the agency sees the client (agency admins; pending or active links): the entire agency, or users and groups. Those who lose sight of it lose it at once, their Login As on it included", "links"),
		func(ctx context.Context, in *linkAccessIn) (*linkOut, error) {
			l, err := s.SetAccess(ctx, LinkRelationFrom(ctx), authz.ActorFrom(ctx), in.Body.Access)
			return &linkOut{Body: l}, err
		})

	o = op(http.MethodPost, "/api/v1/agencies/{id}/clients", "client-create", "Create a client account, linked to this agency from the start", "clients")
	o.DefaultStatus = http.StatusCreated
	add(a, Access{Kind: Account, Action: authz.ClientCreate, Param: "id"}, o,
		func(ctx context.Context, in *clientCreateIn) (*clientCreatedOut, error) {
			c, err := s.CreateClient(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), link.CreateClientInput{
				Name: in.Body.Name, Seats: in.Body.Seats, Enabled: in.Body.Enabled, BrandIDs: in.Body.BrandIDs, Access: in.Body.Access})
			return &clientCreatedOut{Body: c}, err
		})
}

// linkAccessIn is PATCH /links/{id}: the agency's new sharing of the client.
type linkAccessIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Access link.AccessInput `json:"access" required:"true" doc:"Replaces the sharing: all, or user_ids and group_ids (empty: admins and assigned account managers only)"`
	}
}

// linkEndIn is PUT /links/{id}/end: the end date of the link or of one of
// the agency's staff grants on it (issue 21).
type linkEndIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Subject   string     `json:"subject" enum:"link,user,group,account_manager" doc:"What ends: the link, or a user or group of its access list, or an account manager assignment (agency admins)"`
		SubjectID string     `json:"subject_id,omitempty" maxLength:"64" doc:"The user or group; omitted for the link"`
		EndsAt    *time.Time `json:"ends_at,omitempty" doc:"When the access ends by itself (5 minutes to 5 years ahead); omitted or null clears the end date"`
	}
}

// linkExtendIn is POST /links/{id}/end/extend: one click of the side that
// set the end date.
type linkExtendIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Subject   string `json:"subject" enum:"link,user,group,account_manager"`
		SubjectID string `json:"subject_id,omitempty" maxLength:"64" doc:"The user or group; omitted for the link"`
	}
}

func (a *API) linkEndRoutes() {
	s := a.deps.Links
	add(a, Access{Kind: Link, Action: authz.LinkDisconnect, Param: "id"},
		op(http.MethodPut, "/api/v1/links/{id}/end", "link-end-set",
			"Set or clear when an active link, or one staff grant on it, ends by itself (either side's admins for the link; agency admins for staff). The other side's end date may only be brought earlier (409 end_set_by_other_side)", "links"),
		func(ctx context.Context, in *linkEndIn) (*linkOut, error) {
			l, err := s.SetEnd(ctx, LinkRelationFrom(ctx), authz.ActorFrom(ctx), link.EndInput{
				Subject: in.Body.Subject, SubjectID: in.Body.SubjectID, EndsAt: in.Body.EndsAt})
			return &linkOut{Body: l}, err
		})
	add(a, Access{Kind: Link, Action: authz.LinkDisconnect, Param: "id"},
		op(http.MethodPost, "/api/v1/links/{id}/end/extend", "link-end-extend",
			"Extend an end date by 30 days: the side that set it only (409 end_set_by_other_side, 409 no_end_date)", "links"),
		func(ctx context.Context, in *linkExtendIn) (*linkOut, error) {
			l, err := s.Extend(ctx, LinkRelationFrom(ctx), authz.ActorFrom(ctx), in.Body.Subject, in.Body.SubjectID)
			return &linkOut{Body: l}, err
		})
}
