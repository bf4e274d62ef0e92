package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/report"
)

// Report pages (issue 16): the portal's reports of the chosen brand, a
// report read by client and agency users alike, and the agency's report
// builder on a brand's page. Every number comes from report.Data.

type reportsData struct {
	Brand   *branding.BrandChoice
	Reports []report.Report
	Query   string // the range kept from page to page, "?from=…&to=…"
}

// rangeQuery is the range the request asks for, to keep in links.
func rangeQuery(r *http.Request) string {
	q := url.Values{}
	for _, k := range []string{"range", "from", "to"} {
		if v := r.URL.Query().Get(k); v != "" && len(v) <= 20 {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// portalReports lists the chosen brand's reports.
func (h *handler) portalReports(c *call) {
	if c.featureOff(func(f branding.Features) bool { return f.Reports }) {
		return
	}
	c.p.Title = "Reports"
	d := reportsData{Brand: c.p.Shell.Portal.Current, Query: rangeQuery(c.r)}
	if d.Brand != nil {
		rel, err := h.deps.Authz.CheckBrand(c.ctx(), c.a, d.Brand.ID, authz.BrandDataRead)
		if err == nil {
			d.Reports, err = h.deps.Reports.List(c.ctx(), rel, d.Brand.ID)
		}
		if err != nil && !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.NotFound) {
			c.fail(err)
			return
		}
	}
	c.p.Shell.BrandNext = "/app/reports" + d.Query
	c.p.Data = d
	c.render(http.StatusOK, "portal_reports")
}

type reportPageData struct {
	View      reportView
	Agency    bool
	CanEdit   bool
	CanExport bool
	Back      string
	Query     string
	Preset    string
	From, To  string
	Builder   *builderData
	// Schedules is the schedules panel for those who manage them
	// (schedule_pages.go, issue 17).
	Schedules *schedulesPanel
}

// reportPage shows one report for a range: ?range=<preset>, or
// ?from=&to=, or the report's default range.
func (h *handler) reportPage(c *call) { h.showReport(c, http.StatusOK) }

func (h *handler) showReport(c *call, status int) {
	if !c.p.Shell.Agency && c.featureOff(func(f branding.Features) bool { return f.Reports }) {
		return
	}
	q := c.r.URL.Query()
	d, err := h.deps.Reports.DataFor(c.ctx(), c.rel, c.r.PathValue("report_id"), q.Get("range"), q.Get("from"), q.Get("to"))
	if errs.Is(err, errs.Invalid) {
		// A range the picker cannot draw: say so and show the default.
		c.p.FormError = errs.As(err).Message
		d, err = h.deps.Reports.DataFor(c.ctx(), c.rel, c.r.PathValue("report_id"), "", "", "")
	}
	if err != nil {
		c.fail(err)
		return
	}
	base := "/app/reports/" + d.Report.ID
	pd := reportPageData{View: buildReportView(d, base), Agency: c.p.Shell.Agency, Back: "/app/reports",
		CanEdit: c.can(authz.BrandDataWrite), From: d.From, To: d.To, Preset: d.Range}
	pd.Query = "?" + url.Values{"from": {d.From}, "to": {d.To}}.Encode()
	pd.CanExport = c.can(authz.BrandReportExport) && (c.p.Shell.Agency || c.p.Shell.Portal != nil && c.p.Shell.Portal.Features.Export)
	if pd.Agency {
		pd.Back = "/app/brands/" + d.Report.BrandID + "/reports"
	} else {
		c.p.Shell.BrandNext = "/app/reports" + pd.Query
	}
	if pd.Agency && c.can(authz.ReportScheduleManage) {
		if pd.Schedules, err = h.scheduleSection(c, d.Report); err != nil {
			c.fail(err)
			return
		}
	}
	c.p.Title = d.Report.Title
	c.p.Data = pd
	c.render(status, "report")
}

type builderData struct {
	Report  report.Report
	Metrics []metricdata.Metric
	Kinds   []string
}

type brandReportsData struct {
	BrandID, BrandName string
	Reports            []report.Report
	Metrics            []metricdata.Metric
	CanEdit            bool
	Ranges             []string
	Comparisons        []string
}

// brandReports is the agency's list of a brand's reports, with the form
// that creates one.
func (h *handler) brandReports(c *call) { h.showBrandReports(c, http.StatusOK) }

func (h *handler) showBrandReports(c *call, status int) {
	id := c.r.PathValue("brand_id")
	b, err := h.deps.Agency.Brand(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	d := brandReportsData{BrandID: id, BrandName: b.Name, CanEdit: c.can(authz.BrandDataWrite), Ranges: report.Ranges, Comparisons: report.Comparisons}
	if d.Reports, err = h.deps.Reports.List(c.ctx(), c.rel, id); err == nil {
		d.Metrics, err = h.deps.Data.Metrics(c.ctx(), c.rel, id)
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Reports · " + b.Name
	c.p.Data = d
	c.render(status, "brand_reports")
}

// reportCreate creates a report with a tile and a line chart of the
// brand's first metrics, ready to edit.
func (h *handler) reportCreate(c *call) {
	c.form("title", "description", "default_range", "comparison")
	v := c.p.Values
	id := c.r.PathValue("brand_id")
	ms, err := h.deps.Data.Metrics(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	ws := []report.Widget{}
	if len(ms) > 0 {
		ws = append(ws, report.Widget{Kind: "tile", Metrics: []string{ms[0].Name}},
			report.Widget{Kind: "line", Metrics: []string{ms[0].Name}, Granularity: "day"})
	}
	title, desc, rng, cmp := v["title"], v["description"], v["default_range"], v["comparison"]
	r, err := h.deps.Reports.Create(c.ctx(), c.a, c.rel, id, report.Fields{Title: &title, Description: &desc,
		DefaultRange: &rng, Comparison: &cmp, Widgets: &ws})
	if err != nil {
		c.invalid(err, map[string]string{"title": "title", "description": "description", "default_range": "default_range",
			"comparison": "comparison"}, func(st int) { h.showBrandReports(c, st) })
		return
	}
	c.done("Report “"+r.Title+"” created. Add widgets below; the preview shows the brand's data.", "/app/reports/"+r.ID+"/edit")
}

// reportEdit is the builder: the widgets in order, with move and remove,
// a form to add one, and the report itself as the preview.
func (h *handler) reportEdit(c *call) {
	id := c.r.PathValue("report_id")
	d, err := h.deps.Reports.Data(c.ctx(), c.rel, id, "", "")
	if err != nil {
		c.fail(err)
		return
	}
	ms, err := h.deps.Data.Metrics(c.ctx(), c.rel, d.Report.BrandID)
	if err != nil {
		c.fail(err)
		return
	}
	base := "/app/reports/" + id
	c.p.Title = "Edit · " + d.Report.Title
	c.p.Data = reportPageData{View: buildReportView(d, base), Agency: true, CanEdit: true, Back: "/app/brands/" + d.Report.BrandID + "/reports",
		From: d.From, To: d.To, Preset: d.Range, Builder: &builderData{Report: d.Report, Metrics: ms, Kinds: report.Kinds}}
	c.render(http.StatusOK, "report_edit")
}

// reportWidgets changes the widget list: op add, remove, up or down.
func (h *handler) reportWidgets(c *call) {
	id := c.r.PathValue("report_id")
	back := "/app/reports/" + id + "/edit"
	c.form("op", "index", "kind", "title", "granularity", "by", "top", "text")
	r, err := h.deps.Reports.Get(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	ws := r.Widgets
	v := c.p.Values
	i, _ := strconv.Atoi(v["index"])
	switch v["op"] {
	case "add":
		top, _ := strconv.Atoi(v["top"])
		w := report.Widget{Kind: v["kind"], Title: v["title"], Granularity: v["granularity"], By: v["by"], Top: top, Text: v["text"]}
		for _, m := range c.r.PostForm["metrics"] {
			if m = strings.TrimSpace(m); m != "" {
				w.Metrics = append(w.Metrics, m)
			}
		}
		switch w.Kind {
		case "tile", "text":
			w.Granularity, w.By, w.Top = "", "", 0
		case "line", "bar":
			w.By, w.Top = "", 0
		}
		if w.Kind != "text" {
			w.Text = ""
		}
		if w.Kind == "table" && w.By == "dimension" {
			w.Granularity = ""
		} else {
			w.Top = 0
		}
		ws = append(ws, w)
	case "remove", "up", "down":
		j := i - 1
		if v["op"] == "down" {
			j = i + 1
		}
		if i < 0 || i >= len(ws) || v["op"] != "remove" && (j < 0 || j >= len(ws)) {
			c.refused(errs.InvalidField("index", "That widget is no longer there."), back)
			return
		}
		if v["op"] == "remove" {
			ws = append(ws[:i:i], ws[i+1:]...)
		} else {
			ws[i], ws[j] = ws[j], ws[i]
		}
	default:
		c.refused(errs.InvalidField("op", "Unknown change."), back)
		return
	}
	if _, err := h.deps.Reports.Update(c.ctx(), c.a, c.rel, id, report.Fields{Widgets: &ws}); err != nil {
		c.refused(err, back)
		return
	}
	c.done("Report saved.", back)
}

// reportDelete deletes a report from the builder.
func (h *handler) reportDelete(c *call) {
	r, err := h.deps.Reports.Get(c.ctx(), c.rel, c.r.PathValue("report_id"))
	if err == nil {
		err = h.deps.Reports.Delete(c.ctx(), c.a, c.rel, r.ID)
	}
	if err != nil {
		c.refused(err, "/app/brands")
		return
	}
	c.done("Report “"+r.Title+"” deleted.", "/app/brands/"+r.BrandID+"/reports")
}
