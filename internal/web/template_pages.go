package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/report"
)

// Report templates (SPEC §12 "Templates", issue 17): the agency's list,
// saving a report as a template, and one template's page with the reports
// it made and the apply form (a checklist of brands, "every brand with
// clients"), which shows what the apply did: created, updated, skipped.

type templatesData struct {
	Templates []report.Template
	Reports   []report.ReportChoice
	CanManage bool
}

func (h *handler) templates(c *call) { h.showTemplates(c, http.StatusOK) }

func (h *handler) showTemplates(c *call, status int) {
	d := templatesData{CanManage: c.can(authz.ReportTemplateManage)}
	var err error
	if d.Templates, err = h.deps.Reports.Templates(c.ctx(), c.rel, c.acc.ID); err == nil && d.CanManage {
		d.Reports, err = h.deps.Reports.AgencyReports(c.ctx(), c.rel)
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Report templates"
	c.p.Data = d
	c.render(status, "report_templates")
}

// templateCreate saves a report as a template (from the list, or the
// report page's "Save as template").
func (h *handler) templateCreate(c *call) {
	c.form("report_id", "name")
	v := c.p.Values
	rid, name := v["report_id"], v["name"]
	f := report.TemplateFields{ReportID: &rid}
	if name != "" {
		f.Name = &name
	}
	t, err := h.deps.Reports.CreateTemplate(c.ctx(), c.a, c.rel, c.acc.ID, f)
	if err != nil {
		c.invalid(err, map[string]string{"report_id": "report_id", "name": "name", "title": "report_id"}, func(st int) { h.showTemplates(c, st) })
		return
	}
	c.done("Template “"+t.Name+"” saved. Choose the brands to apply it to.", "/app/report-templates/"+t.ID)
}

type templatePageData struct {
	Template  report.Template
	Uses      []report.TemplateUse
	Brands    []report.BrandChoice
	Chosen    map[string]bool
	Result    *report.ApplyResult
	CanManage bool
}

func (h *handler) templatePage(c *call) { h.showTemplate(c, http.StatusOK, nil, nil) }

func (h *handler) showTemplate(c *call, status int, res *report.ApplyResult, chosen map[string]bool) {
	id := c.r.PathValue("template_id")
	d := templatePageData{CanManage: c.can(authz.ReportTemplateManage), Result: res, Chosen: chosen}
	var err error
	if d.Template, err = h.deps.Reports.GetTemplate(c.ctx(), c.rel, id); err == nil {
		if d.Uses, err = h.deps.Reports.Uses(c.ctx(), c.rel, id); err == nil {
			d.Brands, err = h.deps.Reports.ApplyChoices(c.ctx(), c.rel)
		}
	}
	if err != nil {
		c.fail(err)
		return
	}
	if d.Chosen == nil { // by default the brands it was applied to
		d.Chosen = map[string]bool{}
		for _, u := range d.Uses {
			d.Chosen[u.BrandID] = true
		}
	}
	c.p.Title = "Template · " + d.Template.Name
	c.p.Data = d
	c.render(status, "report_template")
}

// templateApply applies the template to the brands ticked and shows the
// outcome on the template's page.
func (h *handler) templateApply(c *call) {
	c.form("all_with_clients")
	brands := c.r.PostForm["brand_ids"]
	chosen := map[string]bool{}
	for _, b := range brands {
		chosen[b] = true
	}
	res, err := h.deps.Reports.Apply(c.ctx(), c.a, c.rel, c.r.PathValue("template_id"),
		report.ApplyInput{BrandIDs: brands, AllWithClients: c.p.Values["all_with_clients"] == "on"})
	if err != nil {
		c.invalid(err, map[string]string{"brand_ids": "brand_ids", "invalid_brand_ids": "brand_ids"}, func(st int) { h.showTemplate(c, st, nil, chosen) })
		return
	}
	h.showTemplate(c, http.StatusOK, &res, chosen)
}

func (h *handler) templateDelete(c *call) {
	id := c.r.PathValue("template_id")
	t, err := h.deps.Reports.GetTemplate(c.ctx(), c.rel, id)
	if err == nil {
		err = h.deps.Reports.DeleteTemplate(c.ctx(), c.a, c.rel, id)
	}
	if err != nil {
		c.refused(err, "/app/report-templates/"+id)
		return
	}
	c.done("Template “"+t.Name+"” deleted; the reports it made stay.", "/app/report-templates")
}
