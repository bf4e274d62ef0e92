package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/source"
)

// An agency's data sources (SPEC §12 "Data sources", issue 17): created,
// renamed, paused, rotated, deleted and mapped by the agency's admins and
// account managers (authz.SourceManage, decided on the agency); pushed to
// by the source itself with its own token (Access SourceToken), which
// reaches that route and nothing else.

// errSourceTokenOnly answers a source token on any other route, and a
// user on a source's push route.
var errSourceTokenOnly = errs.E(errs.Unauthorized, "source_token_only",
	"A data source's token pushes to POST /api/v1/sources/{id}/data and nothing else; that route takes only a source's token.")

type sourceOut struct {
	Body source.Source
}

type sourcesOut struct {
	Body struct {
		Sources []source.Source `json:"sources"`
	}
}

type sourceCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Name string `json:"name" maxLength:"200"`
	}
}

type sourcePatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Name   *string `json:"name,omitempty" maxLength:"200"`
		Paused *bool   `json:"paused,omitempty" doc:"A paused source's pushes get 409 source_paused"`
	}
}

type itemsOut struct {
	Body struct {
		Items []source.Item `json:"items"`
	}
}

type mappingsIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Mappings []source.Mapping `json:"mappings" maxItems:"1000"`
	}
}

func (a *API) sourceRoutes() {
	svc := a.deps.Sources
	actor := authz.ActorFrom
	onAgency := Access{Kind: Account, Action: authz.SourceManage, Param: "id"}
	onSource := Access{Kind: Source, Action: authz.SourceManage, Param: "id"}

	add(a, onAgency, op(http.MethodGet, "/api/v1/agencies/{id}/sources", "source-list",
		"The agency's data sources with their delivery status", "sources"),
		func(ctx context.Context, in *idPath) (*sourcesOut, error) {
			out := &sourcesOut{}
			var err error
			out.Body.Sources, err = svc.List(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	o := op(http.MethodPost, "/api/v1/agencies/{id}/sources", "source-create",
		"Create a data source; the answer holds its token, shown this once", "sources")
	o.DefaultStatus = http.StatusCreated
	add(a, onAgency, o, func(ctx context.Context, in *sourceCreateIn) (*sourceOut, error) {
		s, err := svc.Create(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.Name)
		return &sourceOut{Body: s}, err
	})
	add(a, onSource, op(http.MethodGet, "/api/v1/sources/{id}", "source-get",
		"A data source: last push, points today and in 7 days, items mapped and unmapped, the last rejected batch, points per day", "sources"),
		func(ctx context.Context, in *idPath) (*sourceOut, error) {
			s, err := svc.Get(ctx, RelationFrom(ctx), in.ID)
			return &sourceOut{Body: s}, err
		})
	add(a, onSource, op(http.MethodPatch, "/api/v1/sources/{id}", "source-update", "Rename, pause or resume a data source", "sources"),
		func(ctx context.Context, in *sourcePatchIn) (*sourceOut, error) {
			s, err := svc.Update(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.Name, in.Body.Paused)
			return &sourceOut{Body: s}, err
		})
	o = op(http.MethodDelete, "/api/v1/sources/{id}", "source-delete",
		"Delete a data source: its items, and its data from every brand, at once", "sources")
	o.DefaultStatus = http.StatusNoContent
	add(a, onSource, o, func(ctx context.Context, in *idPath) (*struct{}, error) {
		return nil, svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.ID)
	})
	add(a, onSource, op(http.MethodPost, "/api/v1/sources/{id}/token", "source-token-rotate",
		"Give the source a new token (shown this once); the old one stops at once", "sources"),
		func(ctx context.Context, in *idPath) (*sourceOut, error) {
			s, err := svc.Rotate(ctx, actor(ctx), RelationFrom(ctx), in.ID)
			return &sourceOut{Body: s}, err
		})
	add(a, onSource, op(http.MethodGet, "/api/v1/sources/{id}/items", "source-items",
		"Every item the source has sent: points, last day, brand", "sources"),
		func(ctx context.Context, in *idPath) (*itemsOut, error) {
			out := &itemsOut{}
			var err error
			out.Body.Items, err = svc.Items(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	add(a, onSource, op(http.MethodPut, "/api/v1/sources/{id}/mappings", "source-mappings",
		"Map items to brands of the agency (brand_id null unmaps): their data, past and future, shows in the brand's reports at once", "sources"),
		func(ctx context.Context, in *mappingsIn) (*itemsOut, error) {
			out := &itemsOut{}
			var err error
			out.Body.Items, err = svc.PutMappings(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.Mappings)
			return out, err
		})
	o = op(http.MethodPost, "/api/v1/sources/{id}/data", "source-data-push",
		"A source pushes points with its token: {points:[{item,date,metric,value,dimension?}]}, at most 10,000 points and 5 MiB", "sources")
	o.Description = "Authorization: Bearer <source token>. Validated whole first, like a brand's push (the first bad point is a 400 " +
		"naming its index and field, nothing stored, and the refusal is kept as the source's last rejected batch); points upsert " +
		"on (item, metric, dimension, date). A paused source gets 409 source_paused. Answers {received, inserted, updated}."
	o.MaxBodyBytes = 2 * metricdata.MaxBatchBytes
	o.SkipValidateBody = true
	add(a, Access{Kind: SourceToken, Action: authz.SourceManage, Param: "id"}, o,
		func(ctx context.Context, in *dataPushIn) (*dataPushOut, error) {
			r, err := svc.Push(ctx, in.ID, authz.SourceTokenFrom(ctx), in.RawBody)
			return &dataPushOut{Body: r}, err
		})
}
