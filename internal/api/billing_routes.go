package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
)

// Billing (SPEC §8, §10): the agency's billable brands, invoice preview,
// ledger and plan. Agency admins only (authz.AgencyManage).

type billingIn struct {
	ID string `path:"id" maxLength:"64"`
}

type billingOut struct{ Body billing.Overview }

type billingPreviewIn struct {
	ID   string `path:"id" maxLength:"64"`
	From string `query:"from" maxLength:"10" doc:"First day, YYYY-MM-DD (UTC)"`
	To   string `query:"to" maxLength:"10" doc:"Last day, YYYY-MM-DD (UTC), inclusive"`
}

type billingPreviewOut struct{ Body billing.Preview }

type billingEventsIn struct {
	ID     string `path:"id" maxLength:"64"`
	Cursor string `query:"cursor" maxLength:"24"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Rows per page"`
}

type billingEventsOut struct {
	Body struct {
		Events     []billing.Event `json:"events"`
		NextCursor string          `json:"next_cursor,omitempty"`
	}
}

type billingPlanIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Plan string `json:"plan" enum:"monthly,annual"`
	}
}

type billingPlanOut struct{ Body billing.PlanChange }

func (a *API) billingRoutes() {
	admin := Access{Kind: Account, Action: authz.AgencyManage, Param: "id"}
	svc := a.deps.Billing
	add(a, admin, op(http.MethodGet, "/api/v1/agencies/{id}/billing", "billing-get",
		"The plan, the billable brands (each since when, at what price) and the monthly total", "billing"),
		func(ctx context.Context, _ *billingIn) (*billingOut, error) {
			o, err := svc.Overview(ctx, RelationFrom(ctx))
			return &billingOut{Body: o}, err
		})
	add(a, admin, op(http.MethodGet, "/api/v1/agencies/{id}/billing/preview", "billing-preview",
		"An invoice preview for any period, prorated by day: lines per brand and run of days, in integer cents, that add up to the total", "billing"),
		func(ctx context.Context, in *billingPreviewIn) (*billingPreviewOut, error) {
			p, err := svc.Preview(ctx, RelationFrom(ctx), in.From, in.To)
			return &billingPreviewOut{Body: p}, err
		})
	add(a, admin, op(http.MethodGet, "/api/v1/agencies/{id}/billing/events", "billing-events",
		"The ledger: a row each time a brand started or stopped being billable, with its cause and who, newest first", "billing"),
		func(ctx context.Context, in *billingEventsIn) (*billingEventsOut, error) {
			out := &billingEventsOut{}
			var err error
			out.Body.Events, out.Body.NextCursor, err = svc.Events(ctx, RelationFrom(ctx), in.Cursor, in.Limit)
			return out, err
		})
	add(a, admin, op(http.MethodPut, "/api/v1/agencies/{id}/billing/plan", "billing-plan",
		"Switch between the monthly and the annual plan, from the next day (UTC) on", "billing"),
		func(ctx context.Context, in *billingPlanIn) (*billingPlanOut, error) {
			p, err := svc.SetPlan(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.Body.Plan)
			return &billingPlanOut{Body: p}, err
		})
}
