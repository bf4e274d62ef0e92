package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
)

// Activity tracking (SPEC §5, §10): a portal page view recorded for the
// caller's client account, and a client's events, summary and health as its
// agency sees them. Clients never read activity: the read route is an
// AgencyClient route, so a client user (or anyone who does not see the
// client through the agency) gets 404.

type actViewIn struct {
	Body struct {
		Page    string `json:"page" maxLength:"40" doc:"One of the portal's pages: dashboard, reports, users, agencies, security, profile, billing"`
		BrandID string `json:"brand_id,omitempty" maxLength:"64" doc:"The brand the page showed, where one applies"`
	}
}

type actListIn struct {
	ID       string `path:"id" maxLength:"64"`
	ClientID string `path:"client_id" maxLength:"64"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
	Cursor   string `query:"cursor" doc:"next_cursor of the previous page"`
}

type actListOut struct {
	Body struct {
		activity.ActivityPage
		Health client.HealthReport `json:"health"`
	}
}

func (a *API) activityRoutes() {
	add(a, Access{Kind: User}, func() huma.Operation {
		o := op(http.MethodPost, "/api/v1/activity", "activity-page-view",
			"Record a page view of the portal in the caller's client account (never counted while an agency user is logged in as the client)", "activity")
		o.DefaultStatus = http.StatusNoContent
		return o
	}(), func(ctx context.Context, in *actViewIn) (*struct{}, error) {
		return nil, a.deps.Activity.PageView(ctx, authz.ActorFrom(ctx), in.Body.Page, in.Body.BrandID)
	})

	view := Access{Kind: AgencyClient, Action: authz.ClientView, Param: "id", ClientParam: "client_id"}
	add(a, view, op(http.MethodGet, "/api/v1/agencies/{id}/clients/{client_id}/activity", "client-activity",
		"A client's activity, newest first, with its summary (own logins, logins in the last 30 days, feature usage) and its health explained", "activity"),
		func(ctx context.Context, in *actListIn) (*actListOut, error) {
			rel := RelationFrom(ctx)
			out := &actListOut{}
			var err error
			if out.Body.ActivityPage, err = a.deps.Activity.ForAgency(ctx, rel, in.Limit, in.Cursor); err != nil {
				return nil, err
			}
			out.Body.Health, err = a.deps.Clients.Health(ctx, rel)
			return out, err
		})
}
