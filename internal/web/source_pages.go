package web

import (
	"net/http"
	"strconv"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/source"
)

// Data source pages (issue 17): the agency's sources, and a source's page
// with its delivery status, its items and their brand pickers. Agency
// admins and account managers only (authz.SourceManage on the agency);
// every read and write goes through internal/source scoped to the current
// agency, so a source of another agency is not found.

type sourcesData struct {
	Sources []source.Source
	// Token is set once, on the page answering the source's creation or
	// the token's rotation.
	Token, TokenFor string
}

func (h *handler) sources(c *call) { h.showSources(c, http.StatusOK, "", "") }

func (h *handler) showSources(c *call, status int, token, tokenFor string) {
	list, err := h.deps.Sources.List(c.ctx(), c.rel, c.acc.ID)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Data sources"
	c.p.Data = sourcesData{Sources: list, Token: token, TokenFor: tokenFor}
	c.render(status, "sources")
}

func (h *handler) sourceCreate(c *call) {
	c.form("name")
	s, err := h.deps.Sources.Create(c.ctx(), c.a, c.rel, c.acc.ID, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": "name"}, func(st int) { h.showSources(c, st, "", "") })
		return
	}
	// The token is shown on this answer only: not through a redirect, so
	// that it never sits in a flash cookie.
	c.p.Values = nil
	h.showSources(c, http.StatusCreated, s.Token, s.Name)
}

type sourceData struct {
	Source source.Source
	Items  []itemRow
	Brands []agency.Brand
	Chart  barChart
	Token  string
}

func (h *handler) sourcePage(c *call) { h.showSource(c, http.StatusOK, "") }

func (h *handler) showSource(c *call, status int, token string) {
	id := c.r.PathValue("source_id")
	s, err := h.deps.Sources.Get(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	items, err := h.deps.Sources.Items(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	brands, _, err := h.deps.Agency.Brands(c.ctx(), c.rel, agency.BrandFilter{Page: agency.Page{Limit: 200}})
	if err != nil {
		c.fail(err)
		return
	}
	rows := make([]itemRow, len(items))
	for i, it := range items {
		rows[i].Item = it
		if it.BrandID != nil {
			rows[i].Brand = *it.BrandID
		}
	}
	c.p.Title = s.Name
	c.p.Data = sourceData{Source: s, Items: rows, Brands: brands, Chart: pointsChart(s.PerDay), Token: token}
	c.render(status, "source")
}

// itemRow is an item with the brand its picker shows selected.
type itemRow struct {
	source.Item
	Brand string
}

// sourceMap maps one item (the brand picker of its row).
func (h *handler) sourceMap(c *call) {
	c.form("item", "brand_id")
	m := source.Mapping{Item: c.p.Values["item"]}
	if b := c.p.Values["brand_id"]; b != "" {
		m.BrandID = &b
	}
	id := c.r.PathValue("source_id")
	if _, err := h.deps.Sources.PutMappings(c.ctx(), c.a, c.rel, id, []source.Mapping{m}); err != nil {
		c.refused(err, "/app/sources/"+id)
		return
	}
	what := "unmapped: its data is kept, and no brand shows it"
	if m.BrandID != nil {
		what = "mapped: its data shows in the brand's reports"
	}
	c.done("Item “"+m.Item+"” "+what+".", "/app/sources/"+id)
}

func (h *handler) sourcePause(c *call) {
	c.form("paused")
	id := c.r.PathValue("source_id")
	paused := c.p.Values["paused"] == "true"
	if _, err := h.deps.Sources.Update(c.ctx(), c.a, c.rel, id, nil, &paused); err != nil {
		c.refused(err, "/app/sources/"+id)
		return
	}
	msg := "Source resumed: it may push again."
	if paused {
		msg = "Source paused: its pushes get 409 source_paused until you resume it."
	}
	c.done(msg, "/app/sources/"+id)
}

func (h *handler) sourceToken(c *call) {
	id := c.r.PathValue("source_id")
	s, err := h.deps.Sources.Rotate(c.ctx(), c.a, c.rel, id)
	if err != nil {
		c.refused(err, "/app/sources/"+id)
		return
	}
	h.showSource(c, http.StatusOK, s.Token)
}

func (h *handler) sourceDelete(c *call) {
	id := c.r.PathValue("source_id")
	s, err := h.deps.Sources.Get(c.ctx(), c.rel, id)
	if err == nil {
		err = h.deps.Sources.Delete(c.ctx(), c.a, c.rel, id)
	}
	if err != nil {
		c.refused(err, "/app/sources/"+id)
		return
	}
	c.done("Source “"+s.Name+"” deleted, with its data in every brand.", "/app/sources")
}

// pointsChart lays out the points received per day, oldest first.
func pointsChart(days []source.DayCount) barChart {
	var b barChart
	if len(days) == 0 {
		return b
	}
	var top, sum int64
	for _, d := range days {
		top, sum = max(top, d.Points), sum+d.Points
	}
	yMax := max(int64(10), top)
	yMax += yMax % 2
	slot := (plotR - plotL) / float64(len(days))
	y := func(v int64) float64 { return plotB - float64(v)/float64(yMax)*(plotB-plotT) }
	for _, v := range []int64{0, yMax / 2, yMax} {
		b.Grid = append(b.Grid, chartRule{Y: coord(y(v))})
		b.YTicks = append(b.YTicks, chartTick{X: coord(plotL - 6), Y: coord(y(v) + 4), Text: strconv.FormatInt(v, 10), Anchor: "end"})
	}
	for i, d := range days {
		t, _ := metricdata.ParseDate(d.Date)
		label := t.Format("Mon 2 Jan")
		x := plotL + float64(i)*slot + slot*0.15
		h := float64(d.Points) / float64(yMax) * (plotB - plotT)
		b.Bars = append(b.Bars, chartBar{X: coord(x), Y: coord(plotB - h), W: coord(slot * 0.7), H: coord(h),
			Title: label + ": " + plural(int(d.Points), "point")})
		if i%7 == 0 {
			b.XTicks = append(b.XTicks, chartTick{X: coord(x + slot*0.35), Y: coord(labelY), Text: shortDate(t), Anchor: "middle"})
		}
		b.Rows = append(b.Rows, chartRow{Label: label, Value: strconv.FormatInt(d.Points, 10)})
	}
	b.Summary = "Points received per day over the last " + strconv.Itoa(len(days)) + " days: " + strconv.FormatInt(sum, 10) +
		" in all; " + strconv.FormatInt(days[len(days)-1].Points, 10) + " today."
	return b
}
