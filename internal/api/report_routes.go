package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/report"
)

// Reports of brands (SPEC §12 "Reports", issue 16): CRUD on a brand, a
// report's computed widgets, exports. Brand routes are decided on the
// brand, report routes on the report's brand (authz.CheckReport).

// ReportBody is a report's editable fields; omitted ones keep their value
// (on create: last_30_days, previous_period, no widgets).
type ReportBody struct {
	Title        *string          `json:"title,omitempty" maxLength:"400"`
	Description  *string          `json:"description,omitempty" maxLength:"4000"`
	DefaultRange *string          `json:"default_range,omitempty" maxLength:"40" doc:"last_7_days, last_30_days, last_90_days, this_month, last_month, this_year, last_12_months"`
	Comparison   *string          `json:"comparison,omitempty" maxLength:"40" doc:"previous_period, previous_year or none"`
	Widgets      *[]report.Widget `json:"widgets,omitempty" maxItems:"200" doc:"The whole list, in order (replaces the current one)"`
}

func (b ReportBody) fields() report.Fields {
	return report.Fields{Title: b.Title, Description: b.Description, DefaultRange: b.DefaultRange, Comparison: b.Comparison, Widgets: b.Widgets}
}

type reportCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body ReportBody
}

type reportPatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body ReportBody
}

type reportOut struct {
	Body report.Report
}

type reportsOut struct {
	Body struct {
		Reports    []report.Report `json:"reports"`
		NextCursor string          `json:"next_cursor"`
	}
}

type reportDataIn struct {
	ID   string `path:"id" maxLength:"64"`
	From string `query:"from" maxLength:"20" doc:"First day, YYYY-MM-DD; with to, or neither for the report's default range"`
	To   string `query:"to" maxLength:"20" doc:"Last day, YYYY-MM-DD"`
}

type reportExportIn struct {
	ID     string `path:"id" maxLength:"64"`
	Format string `query:"format" maxLength:"10" doc:"csv or pdf"`
	From   string `query:"from" maxLength:"20" doc:"First day, YYYY-MM-DD; with to, or neither for the report's default range"`
	To     string `query:"to" maxLength:"20" doc:"Last day, YYYY-MM-DD"`
}

type reportExportOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               func(huma.Context)
}

type reportDataOut struct {
	Body report.Data
}

func (a *API) reportRoutes() {
	svc := a.deps.Reports
	actor := authz.ActorFrom
	brandRead := Access{Kind: Brand, Action: authz.BrandDataRead, Param: "id"}
	brandWrite := Access{Kind: Brand, Action: authz.BrandDataWrite, Param: "id"}
	read := Access{Kind: Report, Action: authz.BrandDataRead, Param: "id"}
	write := Access{Kind: Report, Action: authz.BrandDataWrite, Param: "id"}
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, brandRead, op(http.MethodGet, "/api/v1/brands/{id}/reports", "brand-report-list", "A brand's reports, by title", "reports"),
		func(ctx context.Context, in *idPath) (*reportsOut, error) {
			out := &reportsOut{}
			var err error
			out.Body.Reports, err = svc.List(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	o := created(op(http.MethodPost, "/api/v1/brands/{id}/reports", "brand-report-create", "Create a report on a brand", "reports"))
	o.Description = "Validated as a whole: a 400 names the field, for widgets its index and field (widgets[2].metrics)."
	add(a, brandWrite, o, func(ctx context.Context, in *reportCreateIn) (*reportOut, error) {
		r, err := svc.Create(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
		return &reportOut{Body: r}, err
	})
	add(a, read, op(http.MethodGet, "/api/v1/reports/{id}", "report-get", "One report", "reports"),
		func(ctx context.Context, in *idPath) (*reportOut, error) {
			r, err := svc.Get(ctx, RelationFrom(ctx), in.ID)
			return &reportOut{Body: r}, err
		})
	add(a, write, op(http.MethodPatch, "/api/v1/reports/{id}", "report-update", "Change a report; omitted fields keep their value", "reports"),
		func(ctx context.Context, in *reportPatchIn) (*reportOut, error) {
			r, err := svc.Update(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
			return &reportOut{Body: r}, err
		})
	add(a, write, noContent(op(http.MethodDelete, "/api/v1/reports/{id}", "report-delete", "Delete a report", "reports")),
		func(ctx context.Context, in *idPath) (*empty, error) {
			return nil, svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.ID)
		})
	o = op(http.MethodGet, "/api/v1/reports/{id}/data", "report-data", "Every widget of a report computed for a range", "reports")
	o.Description = "Days in the agency's time zone; without from and to, the report's default range ending today. " +
		"The portal page, the CSV and the PDF all draw from this computation."
	add(a, read, o, func(ctx context.Context, in *reportDataIn) (*reportDataOut, error) {
		d, err := svc.Data(ctx, RelationFrom(ctx), in.ID, in.From, in.To)
		return &reportDataOut{Body: d}, err
	})
	o = op(http.MethodGet, "/api/v1/reports/{id}/export", "report-export", "A report for a range as CSV or PDF", "reports")
	o.Description = "CSV: one row per datum, formula-like cells neutralised, streamed. PDF: in the agency's brand, a client user's with its client's own branding over it. " +
		"Client users only when their client may export (403 export_not_allowed); a client user's export is an activity event."
	o.Responses = map[string]*huma.Response{"200": {Description: "The file", Content: map[string]*huma.MediaType{
		"text/csv": {Schema: &huma.Schema{Type: "string"}}, "application/pdf": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}}
	add(a, Access{Kind: Report, Action: authz.BrandReportExport, Param: "id"}, o, func(ctx context.Context, in *reportExportIn) (*reportExportOut, error) {
		rel := RelationFrom(ctx)
		d, err := svc.Export(ctx, actor(ctx), rel, in.ID, in.Format, in.From, in.To)
		if err != nil {
			return nil, err
		}
		name := report.FileName(d, in.Format)
		if in.Format == "csv" {
			return &reportExportOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`,
				Body: func(hc huma.Context) {
					hc.SetStatus(http.StatusOK)
					if err := report.WriteCSV(hc.BodyWriter(), d); err != nil {
						a.deps.Log.ErrorContext(ctx, "report csv export", "err", err) // the status is sent
					}
				}}, nil
		}
		// A client's export wears its own branding over the agency's (issue 24).
		agencyID, clientID := report.PDFBranding(rel)
		b, logo, err := report.DocumentBrand(ctx, a.deps.Branding, agencyID, clientID)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := report.WritePDF(&buf, d, b, logo); err != nil {
			return nil, err
		}
		return &reportExportOut{ContentType: "application/pdf", ContentDisposition: `attachment; filename="` + name + `"`,
			Body: func(hc huma.Context) {
				hc.SetStatus(http.StatusOK)
				_, _ = hc.BodyWriter().Write(buf.Bytes())
			}}, nil
	})
}
