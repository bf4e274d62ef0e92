package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/webhook"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

func webhookTypes() []string { return append([]string(nil), outbox.Types...) }

// An agency's signed webhooks (issue 21): endpoints and their deliveries,
// managed by the agency's admins only (authz.AgencyManage, decided on the
// agency). Deliveries are queued by internal/webhook/outbox in the
// transaction of each event and sent by a job.

type webhookOut struct {
	Body webhook.Endpoint
}

type webhooksOut struct {
	Body struct {
		Endpoints []webhook.Endpoint `json:"endpoints"`
		Types     []string           `json:"event_types" doc:"Every event type an endpoint can pick"`
	}
}

type webhookCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body webhook.Input
}

type webhookPatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body webhook.Input
}

type webhookDeliveriesOut struct {
	Body struct {
		Deliveries []webhook.Delivery `json:"deliveries" doc:"The latest 100, newest first"`
	}
}

type webhookDeliveryIn struct {
	ID         string `path:"id" maxLength:"64"`
	DeliveryID string `path:"delivery_id" maxLength:"64"`
}

type webhookDeliveryOut struct {
	Body webhook.Delivery
}

func (a *API) webhookRoutes() {
	svc := a.deps.Webhooks
	actor := authz.ActorFrom
	onAgency := Access{Kind: Account, Action: authz.AgencyManage, Param: "id"}
	onHook := Access{Kind: Webhook, Action: authz.AgencyManage, Param: "id"}

	add(a, onAgency, op(http.MethodGet, "/api/v1/agencies/{id}/webhooks", "webhook-list",
		"The agency's webhook endpoints, and the event types they can pick", "webhooks"),
		func(ctx context.Context, in *idPath) (*webhooksOut, error) {
			out := &webhooksOut{}
			var err error
			out.Body.Endpoints, err = svc.List(ctx, RelationFrom(ctx), in.ID)
			out.Body.Types = webhookTypes()
			return out, err
		})
	o := op(http.MethodPost, "/api/v1/agencies/{id}/webhooks", "webhook-create",
		"Register an endpoint: {url, events, description?}; the answer holds its signing secret, shown this once", "webhooks")
	o.Description = "The URL must be https:// on a public address. Each delivery is a POST of {id, type, created_at, agency_id, data} " +
		"signed in the Liaison-Signature header (t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">), see docs/OPERATING.md."
	o.DefaultStatus = http.StatusCreated
	add(a, onAgency, o, func(ctx context.Context, in *webhookCreateIn) (*webhookOut, error) {
		e, err := svc.Create(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body)
		return &webhookOut{Body: e}, err
	})
	add(a, onHook, op(http.MethodGet, "/api/v1/webhooks/{id}", "webhook-get", "A webhook endpoint", "webhooks"),
		func(ctx context.Context, in *idPath) (*webhookOut, error) {
			e, err := svc.Get(ctx, RelationFrom(ctx), in.ID)
			return &webhookOut{Body: e}, err
		})
	add(a, onHook, op(http.MethodPatch, "/api/v1/webhooks/{id}", "webhook-update",
		"Change an endpoint's URL, description, events, or turn it off and on", "webhooks"),
		func(ctx context.Context, in *webhookPatchIn) (*webhookOut, error) {
			e, err := svc.Update(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body)
			return &webhookOut{Body: e}, err
		})
	o = op(http.MethodDelete, "/api/v1/webhooks/{id}", "webhook-delete", "Delete an endpoint and its deliveries", "webhooks")
	o.DefaultStatus = http.StatusNoContent
	add(a, onHook, o, func(ctx context.Context, in *idPath) (*struct{}, error) {
		return nil, svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.ID)
	})
	add(a, onHook, op(http.MethodPost, "/api/v1/webhooks/{id}/secret", "webhook-secret-rotate",
		"Give the endpoint a new signing secret (shown this once); the previous one also signs for 24 hours", "webhooks"),
		func(ctx context.Context, in *idPath) (*webhookOut, error) {
			e, err := svc.Rotate(ctx, actor(ctx), RelationFrom(ctx), in.ID)
			return &webhookOut{Body: e}, err
		})
	add(a, onHook, op(http.MethodGet, "/api/v1/webhooks/{id}/deliveries", "webhook-deliveries",
		"The endpoint's latest deliveries: status, response code, attempts", "webhooks"),
		func(ctx context.Context, in *idPath) (*webhookDeliveriesOut, error) {
			out := &webhookDeliveriesOut{}
			var err error
			out.Body.Deliveries, err = svc.Deliveries(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	add(a, onHook, op(http.MethodPost, "/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend", "webhook-resend",
		"Send a delivery again now, with 24 hours of retries", "webhooks"),
		func(ctx context.Context, in *webhookDeliveryIn) (*webhookDeliveryOut, error) {
			d, err := svc.Resend(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.DeliveryID)
			return &webhookDeliveryOut{Body: d}, err
		})
}
