package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/report"
)

// Report templates (SPEC §12 "Templates", issue 17): an agency's list and
// create, decided on the agency; one template, decided on its agency
// (authz.CheckTemplate); apply to many brands.

// TemplateBody is a template's editable fields; omitted ones keep their
// value. On create, report_id copies that report first.
type TemplateBody struct {
	ReportID *string `json:"report_id,omitempty" maxLength:"64" doc:"Create only: save this report of one of the agency's brands as the template"`
	Name     *string `json:"name,omitempty" maxLength:"400" doc:"The template's name; default its title"`
	ReportBody
}

func (b TemplateBody) fields() report.TemplateFields {
	return report.TemplateFields{ReportID: b.ReportID, Name: b.Name, Fields: b.ReportBody.fields()}
}

type templateCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body TemplateBody
}

type templatePatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body TemplateBody
}

type templateOut struct {
	Body report.Template
}

type templateDetailOut struct {
	Body struct {
		report.Template
		Reports []report.TemplateUse `json:"reports" doc:"The reports it made, by brand"`
	}
}

type templatesOut struct {
	Body struct {
		Templates  []report.Template `json:"report_templates"`
		NextCursor string            `json:"next_cursor"`
	}
}

type templateApplyIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		BrandIDs       []string `json:"brand_ids,omitempty" maxItems:"2000" doc:"The brands to apply it to"`
		AllWithClients bool     `json:"all_with_clients,omitempty" doc:"Also every brand that at least one client has"`
	}
}

type templateApplyOut struct {
	Body report.ApplyResult
}

func (a *API) templateRoutes() {
	svc := a.deps.Reports
	actor := authz.ActorFrom
	list := Access{Kind: Account, Action: authz.ReportTemplateRead, Param: "id"}
	create := Access{Kind: Account, Action: authz.ReportTemplateManage, Param: "id"}
	read := Access{Kind: Template, Action: authz.ReportTemplateRead, Param: "id"}
	manage := Access{Kind: Template, Action: authz.ReportTemplateManage, Param: "id"}
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, list, op(http.MethodGet, "/api/v1/agencies/{id}/report-templates", "report-template-list", "An agency's report templates, by name", "report templates"),
		func(ctx context.Context, in *idPath) (*templatesOut, error) {
			out := &templatesOut{}
			var err error
			out.Body.Templates, err = svc.Templates(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	o := created(op(http.MethodPost, "/api/v1/agencies/{id}/report-templates", "report-template-create", "Save a report template", "report templates"))
	o.Description = "From a report (report_id) of one of the agency's brands, or from the fields; validated as a report is."
	add(a, create, o, func(ctx context.Context, in *templateCreateIn) (*templateOut, error) {
		t, err := svc.CreateTemplate(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
		return &templateOut{Body: t}, err
	})
	add(a, read, op(http.MethodGet, "/api/v1/report-templates/{id}", "report-template-get", "One report template and the reports it made", "report templates"),
		func(ctx context.Context, in *idPath) (*templateDetailOut, error) {
			rel := RelationFrom(ctx)
			t, err := svc.GetTemplate(ctx, rel, in.ID)
			if err != nil {
				return nil, err
			}
			out := &templateDetailOut{}
			out.Body.Template = t
			out.Body.Reports, err = svc.Uses(ctx, rel, in.ID)
			return out, err
		})
	add(a, manage, op(http.MethodPatch, "/api/v1/report-templates/{id}", "report-template-update", "Change a report template; its reports change when it is applied again", "report templates"),
		func(ctx context.Context, in *templatePatchIn) (*templateOut, error) {
			t, err := svc.UpdateTemplate(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
			return &templateOut{Body: t}, err
		})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/report-templates/{id}", "report-template-delete", "Delete a report template; its reports stay", "report templates")),
		func(ctx context.Context, in *idPath) (*empty, error) {
			return nil, svc.DeleteTemplate(ctx, actor(ctx), RelationFrom(ctx), in.ID)
		})
	o = op(http.MethodPost, "/api/v1/report-templates/{id}/apply", "report-template-apply", "Apply a template to many brands", "report templates")
	o.Description = "Creates the report in brands that lack it, updates the reports the template made before, and leaves those " +
		"edited by hand since alone (listed as skipped). One transaction."
	add(a, manage, o, func(ctx context.Context, in *templateApplyIn) (*templateApplyOut, error) {
		r, err := svc.Apply(ctx, actor(ctx), RelationFrom(ctx), in.ID, report.ApplyInput{BrandIDs: in.Body.BrandIDs, AllWithClients: in.Body.AllWithClients})
		return &templateApplyOut{Body: r}, err
	})
}
