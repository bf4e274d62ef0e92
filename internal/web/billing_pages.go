package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/billing"
)

// The agency's Billing page (SPEC §8): the plan and its switch, the billable
// brands and the monthly total, the last 12 months as a chart with a table
// beside it, an invoice preview for any period, and the ledger.

type billingData struct {
	Overview billing.Overview
	Months   barChart
	Preview  *billing.Preview
	Events   []billing.Event
	Next     string
	From, To string
}

func (h *handler) billingPage(c *call) {
	svc := h.deps.Billing
	ov, err := svc.Overview(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	months, err := svc.LastMonths(c.ctx(), c.rel, 12)
	if err != nil {
		c.fail(err)
		return
	}
	events, next, err := svc.Events(c.ctx(), c.rel, c.r.URL.Query().Get("cursor"), 25)
	if err != nil {
		c.fail(err)
		return
	}
	d := billingData{Overview: ov, Months: monthsChart(months), Events: events, Next: next}
	// The preview: the period asked for, else this month to date.
	now := ov.GeneratedAt
	d.From, d.To = c.r.URL.Query().Get("from"), c.r.URL.Query().Get("to")
	if d.From == "" && d.To == "" {
		d.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		d.To = now.Format(time.DateOnly)
	}
	c.p.Values["from"], c.p.Values["to"] = d.From, d.To
	status := http.StatusOK
	if p, err := svc.Preview(c.ctx(), c.rel, d.From, d.To); err != nil {
		status = c.h.formError(c.w, c.r, c.p, err, "from", "to")
	} else {
		d.Preview = &p
	}
	c.p.Values["plan"] = ov.Plan
	if ov.NextPlan != nil {
		c.p.Values["plan"] = ov.NextPlan.Plan
	}
	c.p.Title = "Billing"
	c.p.Data = d
	c.render(status, "billing")
}

func (h *handler) billingPlan(c *call) {
	c.form("plan")
	p, err := h.deps.Billing.SetPlan(c.ctx(), c.rel, c.a, c.p.Values["plan"])
	if err != nil {
		c.refused(err, "/app/billing")
		return
	}
	c.done("Your plan is "+p.Plan+" from "+p.EffectiveFrom+".", "/app/billing")
}

// money shows integer cents as dollars: 490000 → $4,900.00.
func money(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	s := "$" + whole + "." + strconv.FormatInt(cents%100/10, 10) + strconv.FormatInt(cents%10, 10)
	if neg {
		s = "−" + s
	}
	return s
}

// monthsChart lays out the last months' totals as bars, oldest first.
func monthsChart(months []billing.MonthTotal) barChart {
	var b barChart
	if len(months) == 0 {
		return b
	}
	var top int64
	for _, m := range months {
		top = max(top, m.TotalCents)
	}
	// The scale: whole dollars, at least $100, even for a middle tick.
	yMax := max(int64(10000), (top+9999)/10000*10000)
	slot := (plotR - plotL) / float64(len(months))
	y := func(v int64) float64 { return plotB - float64(v)/float64(yMax)*(plotB-plotT) }
	for _, v := range []int64{0, yMax / 2, yMax} {
		b.Grid = append(b.Grid, chartRule{Y: coord(y(v))})
		b.YTicks = append(b.YTicks, chartTick{X: coord(plotL - 6), Y: coord(y(v) + 4), Text: "$" + strconv.FormatInt(v/100, 10), Anchor: "end"})
	}
	var sum int64
	for i, m := range months {
		sum += m.TotalCents
		t, _ := time.Parse("2006-01", m.Month)
		label := t.Format("January 2006")
		if i == len(months)-1 {
			label += " (to date)"
		}
		x := plotL + float64(i)*slot + slot*0.15
		h := float64(m.TotalCents) / float64(yMax) * (plotB - plotT)
		b.Bars = append(b.Bars, chartBar{X: coord(x), Y: coord(plotB - h), W: coord(slot * 0.7), H: coord(h), Title: label + ": " + money(m.TotalCents)})
		b.XTicks = append(b.XTicks, chartTick{X: coord(x + slot*0.35), Y: coord(labelY), Text: t.Format("Jan"), Anchor: "middle"})
		b.Rows = append(b.Rows, chartRow{Label: label, Value: money(m.TotalCents)})
	}
	b.Summary = "Billed per month over the last " + strconv.Itoa(len(months)) + " months: " + money(sum) + " in all; " +
		money(months[len(months)-1].TotalCents) + " this month to date."
	return b
}

// billingCause says in words why a ledger row was written.
func billingCause(cause string) string {
	switch billing.Cause(cause) {
	case billing.CauseGrant:
		return "A client was given the brand"
	case billing.CauseBrandRemoved:
		return "The brand was taken from a client"
	case billing.CauseClientCreated:
		return "A client was created with the brand"
	case billing.CauseRevoke:
		return "A client's access was revoked"
	case billing.CauseRestore:
		return "A client was restored"
	case billing.CauseDisconnect:
		return "A client was disconnected"
	case billing.CauseLinkExpired:
		return "A link reached its end date"
	case billing.CauseLinkActive:
		return "A link was accepted"
	case billing.CauseInvitationCreated:
		return "An invitation was sent"
	case billing.CauseInvitationCancelled:
		return "An invitation was cancelled"
	case billing.CauseInvitationExpired:
		return "An invitation expired"
	case billing.CauseInvitationAccepted:
		return "An invitation was accepted"
	case billing.CauseInvitationResent:
		return "An invitation was sent again"
	case billing.CauseBrandDeleted:
		return "The brand was deleted"
	}
	return cause
}
