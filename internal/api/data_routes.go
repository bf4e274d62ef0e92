package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// A brand's metric data (SPEC §12 "Metric data", issue 16): pushes in
// batches, series, deletion of a range, the catalogue. Decided on the brand
// (authz.CheckBrand): agency users by role, client users of a client
// granted the brand read.

type dataPushIn struct {
	ID      string `path:"id" maxLength:"64"`
	RawBody []byte `contentType:"application/json"`
}

type dataPushOut struct {
	Body metricdata.PushResult
}

type dataReadIn struct {
	ID          string `path:"id" maxLength:"64"`
	Metrics     string `query:"metrics" maxLength:"2000" doc:"Comma-separated metric names"`
	From        string `query:"from" maxLength:"20" doc:"First day, YYYY-MM-DD (default: 29 days before to)"`
	To          string `query:"to" maxLength:"20" doc:"Last day, YYYY-MM-DD (default: today in the agency's time zone)"`
	Granularity string `query:"granularity" maxLength:"10" doc:"day (default), week or month"`
	Dimension   string `query:"dimension" maxLength:"600" doc:"A dimension value; absent is the brand's total line"`
}

type dataReadOut struct {
	Body metricdata.SeriesSet
}

type dataDeleteIn struct {
	ID      string `path:"id" maxLength:"64"`
	Metrics string `query:"metrics" maxLength:"2000" doc:"Comma-separated metric names (required)"`
	From    string `query:"from" maxLength:"20" doc:"First day to delete, YYYY-MM-DD (absent: from the start)"`
	To      string `query:"to" maxLength:"20" doc:"Last day to delete, YYYY-MM-DD (absent: to the end)"`
}

type dataDeleteOut struct {
	Body struct {
		Deleted int64 `json:"deleted"`
	}
}

type metricsOut struct {
	Body struct {
		Metrics []metricdata.Metric `json:"metrics"`
	}
}

type metricPutIn struct {
	ID   string `path:"id" maxLength:"64"`
	Name string `path:"name" maxLength:"100"`
	Body struct {
		Label       *string `json:"label,omitempty" maxLength:"200"`
		Unit        *string `json:"unit,omitempty" maxLength:"20" doc:"count, currency, percent or seconds"`
		Currency    *string `json:"currency,omitempty" maxLength:"10" doc:"3-letter code, for a currency metric"`
		Aggregation *string `json:"aggregation,omitempty" maxLength:"10" doc:"sum, avg or last (a percent is never summed)"`
	}
}

type metricOut struct {
	Body metricdata.Metric
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (a *API) dataRoutes() {
	svc := a.deps.Data
	actor := authz.ActorFrom
	read := Access{Kind: Brand, Action: authz.BrandDataRead, Param: "id"}
	write := Access{Kind: Brand, Action: authz.BrandDataWrite, Param: "id"}
	del := Access{Kind: Brand, Action: authz.BrandDataDelete, Param: "id"}

	o := op(http.MethodPost, "/api/v1/brands/{id}/data", "brand-data-push",
		"Push metric points: {points:[{date,metric,value,dimension?}]}, at most 10,000 points and 5 MiB", "data")
	o.Description = "The whole batch is validated first: the first bad point is a 400 naming its index and field " +
		"(e.g. points[12].date) and nothing is stored. Points upsert on (brand, metric, dimension, date), so posting " +
		"the same batch twice leaves the same data. Answers {received, inserted, updated}."
	o.MaxBodyBytes = 2 * metricdata.MaxBatchBytes // over the limit, so that the decoder answers 400 batch_too_large
	o.SkipValidateBody = true                     // metricdata.DecodeBatch validates, naming the point at fault
	add(a, write, o, func(ctx context.Context, in *dataPushIn) (*dataPushOut, error) {
		r, err := svc.Push(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.RawBody)
		return &dataPushOut{Body: r}, err
	})
	add(a, read, op(http.MethodGet, "/api/v1/brands/{id}/data", "brand-data-read",
		"Series of metrics over a range, aggregated by each metric's rule", "data"),
		func(ctx context.Context, in *dataReadIn) (*dataReadOut, error) {
			set, err := svc.Read(ctx, RelationFrom(ctx), in.ID, metricdata.SeriesQuery{Metrics: splitList(in.Metrics),
				From: in.From, To: in.To, Granularity: in.Granularity, Dimension: in.Dimension})
			return &dataReadOut{Body: set}, err
		})
	add(a, del, op(http.MethodDelete, "/api/v1/brands/{id}/data", "brand-data-delete",
		"Delete the points of some metrics in a range (admins and account managers)", "data"),
		func(ctx context.Context, in *dataDeleteIn) (*dataDeleteOut, error) {
			out := &dataDeleteOut{}
			var err error
			out.Body.Deleted, err = svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.ID, splitList(in.Metrics), in.From, in.To)
			return out, err
		})
	add(a, read, op(http.MethodGet, "/api/v1/brands/{id}/metrics", "brand-metric-list",
		"The brand's metric catalogue: label, unit, aggregation, first and last date, point count", "data"),
		func(ctx context.Context, in *idPath) (*metricsOut, error) {
			out := &metricsOut{}
			var err error
			out.Body.Metrics, err = svc.Metrics(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	add(a, write, op(http.MethodPut, "/api/v1/brands/{id}/metrics/{name}", "brand-metric-put",
		"Set a metric's label, unit (with currency) and aggregation; omitted fields keep their value", "data"),
		func(ctx context.Context, in *metricPutIn) (*metricOut, error) {
			b := in.Body
			m, err := svc.PutMetric(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Name,
				metricdata.MetricUpdate{Label: b.Label, Unit: b.Unit, Currency: b.Currency, Aggregation: b.Aggregation})
			return &metricOut{Body: m}, err
		})
}
