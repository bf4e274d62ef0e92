package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/report"
	"github.com/liaison-dev/liaison/internal/schedule"
)

// openScheduledReport follows the link of a scheduled report e-mail: it
// records the opening (when the user logged in is the recipient; during
// Login As never) and goes to the report page, whose own guard decides
// what the user sees there.
func (h *handler) openScheduledReport(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	uid := a.UserID
	if a.Impersonating() {
		uid = ""
	}
	reportID, err := h.deps.Schedules.Open(r.Context(), r.PathValue("token"), uid)
	if errs.Is(err, errs.NotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.deps.Log.ErrorContext(r.Context(), "scheduled report link", "err", err)
		http.Error(w, "Something went wrong. Try again.", http.StatusInternalServerError)
		return
	}
	redirect(w, r, "/app/reports/"+reportID)
}

// The schedules panel of a report's page (SPEC §12 "Scheduled e-mails"):
// for agency admins and account managers only, each schedule with its
// recent deliveries (sent, skipped, failed, opened), the form that adds
// one, and "Save as template".

// DeliveriesShown is how many of a schedule's latest deliveries the page
// lists.
const DeliveriesShown = 30

type scheduleView struct {
	schedule.Schedule
	Deliveries []schedule.Delivery
	More       bool
}

type schedulesPanel struct {
	ReportID   string
	List       []scheduleView
	Candidates schedule.Candidates
	Weekdays   []string
	Days       []string
	Hours      []int
	Chosen     map[string]bool
}

func (h *handler) scheduleSection(c *call, r report.Report) (*schedulesPanel, error) {
	svc := h.deps.Schedules
	list, err := svc.List(c.ctx(), c.rel, r.ID)
	if err != nil {
		return nil, err
	}
	p := &schedulesPanel{ReportID: r.ID, Weekdays: []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
		Hours: make([]int, 24), Chosen: map[string]bool{}}
	for i := range p.Hours {
		p.Hours[i] = i
	}
	for i := 1; i <= 28; i++ {
		p.Days = append(p.Days, strconv.Itoa(i))
	}
	p.Days = append(p.Days, "last")
	for _, v := range c.r.PostForm["recipients"] {
		p.Chosen[v] = true
	}
	if p.Candidates, err = svc.Candidates(c.ctx(), c.rel, r.BrandID); err != nil {
		return nil, err
	}
	for _, s := range list {
		ds, next, err := svc.Deliveries(c.ctx(), c.rel, s.ID, DeliveriesShown, "")
		if err != nil {
			return nil, err
		}
		p.List = append(p.List, scheduleView{Schedule: s, Deliveries: ds, More: next != ""})
	}
	return p, nil
}

// scheduleCreate adds a schedule from the panel's form. Recipients are
// checkboxes valued "user:<id>" or "admins:<client id>".
func (h *handler) scheduleCreate(c *call) {
	c.form("frequency", "weekday", "day", "hour")
	v := c.p.Values
	id := c.r.PathValue("report_id")
	var list []schedule.Recipient
	for _, x := range c.r.PostForm["recipients"] {
		kind, ref, _ := strings.Cut(x, ":")
		switch kind {
		case "user":
			list = append(list, schedule.Recipient{Kind: "user", UserID: ref})
		case "admins":
			list = append(list, schedule.Recipient{Kind: "client_admins", ClientID: ref})
		}
	}
	freq := v["frequency"]
	f := schedule.Fields{Frequency: &freq, Recipients: &list}
	if freq == schedule.Weekly {
		wd := v["weekday"]
		f.Weekday = &wd
	} else {
		f.Day = v["day"]
	}
	if hour, err := strconv.Atoi(v["hour"]); err == nil {
		f.Hour = &hour
	}
	if _, err := h.deps.Schedules.Create(c.ctx(), c.a, c.rel, id, f); err != nil {
		fields := map[string]string{"frequency": "frequency", "weekday": "weekday", "day": "day", "hour": "hour", "recipients": "recipients",
			"invalid_recipient": "recipients"}
		c.invalid(err, fields, func(st int) { h.showReport(c, st) })
		return
	}
	c.done("Schedule saved. Each occurrence e-mails its recipients; their deliveries show below.", "/app/reports/"+id+"#schedules")
}

func (h *handler) scheduleDelete(c *call) {
	id := c.r.PathValue("report_id")
	if err := h.deps.Schedules.Delete(c.ctx(), c.a, c.rel, c.r.PathValue("schedule_id")); err != nil {
		c.refused(err, "/app/reports/"+id+"#schedules")
		return
	}
	c.done("Schedule deleted.", "/app/reports/"+id+"#schedules")
}
