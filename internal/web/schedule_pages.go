package web

import (
	"fmt"
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
// recent deliveries (sent, skipped, failed, opened) and its edit and
// delete buttons, the form that adds one, and "Save as template". A
// schedule is edited on a page of its own
// (/app/reports/{report_id}/schedules/{schedule_id}) with the same form
// (the "schedule-form" partial in report_parts.html), filled with it.

// DeliveriesShown is how many of a schedule's latest deliveries the page
// lists.
const DeliveriesShown = 30

type scheduleView struct {
	schedule.Schedule
	Deliveries []schedule.Delivery
	More       bool
}

type schedulesPanel struct {
	ReportID string
	List     []scheduleView
	Form     *scheduleForm // the form that adds one
}

// scheduleForm is the schedule form, to add a schedule or edit one: what
// it offers, its values and errors, where it posts.
type scheduleForm struct {
	Action, Button, LabelledBy string
	Cancel                     string // where Cancel goes; "" for none
	Candidates                 schedule.Candidates
	Weekdays                   []string
	Days                       []string
	Hours                      []int
	Values, Errors             map[string]string
	Chosen                     map[string]bool // the ticked recipients, as posted ("user:<id>", "admins:<client id>")
}

// newScheduleForm offers the recipients of the brand's report; chosen are
// the ticked ones.
func (h *handler) newScheduleForm(c *call, brandID, action, button, labelledBy string, chosen map[string]bool) (*scheduleForm, error) {
	f := &scheduleForm{Action: action, Button: button, LabelledBy: labelledBy, Values: c.p.Values, Errors: c.p.Errors, Chosen: chosen,
		Weekdays: []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}, Hours: make([]int, 24)}
	for i := range f.Hours {
		f.Hours[i] = i
	}
	for i := 1; i <= 28; i++ {
		f.Days = append(f.Days, strconv.Itoa(i))
	}
	f.Days = append(f.Days, "last")
	var err error
	f.Candidates, err = h.deps.Schedules.Candidates(c.ctx(), c.rel, brandID)
	return f, err
}

// postedRecipients are the recipients ticked in a posted schedule form.
func postedRecipients(c *call) map[string]bool {
	out := map[string]bool{}
	for _, v := range c.r.PostForm["recipients"] {
		out[v] = true
	}
	return out
}

func (h *handler) scheduleSection(c *call, r report.Report) (*schedulesPanel, error) {
	svc := h.deps.Schedules
	list, err := svc.List(c.ctx(), c.rel, r.ID)
	if err != nil {
		return nil, err
	}
	p := &schedulesPanel{ReportID: r.ID}
	if p.Form, err = h.newScheduleForm(c, r.BrandID, "/app/reports/"+r.ID+"/schedules", "Add schedule", "new-schedule-title",
		postedRecipients(c)); err != nil {
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

// scheduleFields reads the schedule form. Recipients are checkboxes
// valued "user:<id>" or "admins:<client id>"; an hour that is not a
// number is refused beside its field (as one out of range is).
func scheduleFields(c *call) schedule.Fields {
	c.form("frequency", "weekday", "day", "hour")
	v := c.p.Values
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
	if v["hour"] != "" {
		hour, err := strconv.Atoi(v["hour"])
		if err != nil {
			hour = -1
		}
		f.Hour = &hour
	}
	return f
}

// scheduleErrors maps the domain's fields (and codes) to the form's.
var scheduleErrors = map[string]string{"frequency": "frequency", "weekday": "weekday", "day": "day", "hour": "hour",
	"recipients": "recipients", "invalid_recipient": "recipients"}

// scheduleCreate adds a schedule from the panel's form.
func (h *handler) scheduleCreate(c *call) {
	id := c.r.PathValue("report_id")
	if _, err := h.deps.Schedules.Create(c.ctx(), c.a, c.rel, id, scheduleFields(c)); err != nil {
		c.invalid(err, scheduleErrors, func(st int) { h.showReport(c, st) })
		return
	}
	c.done("Schedule saved. Each occurrence e-mails its recipients; their deliveries show below.", "/app/reports/"+id+"#schedules")
}

// scheduleOf is the schedule named by {schedule_id} as one of the report's
// named by {report_id} (whose guard checked the relation): a schedule of
// another report, or of another agency, is not found there.
func (h *handler) scheduleOf(c *call) (schedule.Schedule, bool) {
	s, err := h.deps.Schedules.Get(c.ctx(), c.rel, c.r.PathValue("schedule_id"))
	if err == nil && s.ReportID != c.r.PathValue("report_id") {
		err = errs.ErrNotFound
	}
	if err != nil {
		c.fail(err)
		return schedule.Schedule{}, false
	}
	return s, true
}

type scheduleEditData struct {
	ReportID, Title string
	Schedule        schedule.Schedule
	Form            *scheduleForm
}

// scheduleEdit shows the form that edits a schedule, filled with it.
func (h *handler) scheduleEdit(c *call) {
	s, ok := h.scheduleOf(c)
	if !ok {
		return
	}
	v := c.p.Values
	v["frequency"], v["weekday"], v["hour"] = s.Frequency, s.Weekday, strconv.Itoa(s.Hour)
	if s.Day != nil {
		v["day"] = fmt.Sprint(s.Day)
	}
	chosen := map[string]bool{}
	for _, rc := range s.Recipients {
		if rc.Kind == "client_admins" {
			chosen["admins:"+rc.ClientID] = true
		} else {
			chosen["user:"+rc.UserID] = true
		}
	}
	h.showScheduleEdit(c, s, chosen, http.StatusOK)
}

func (h *handler) showScheduleEdit(c *call, s schedule.Schedule, chosen map[string]bool, status int) {
	r, err := h.deps.Reports.Get(c.ctx(), c.rel, s.ReportID)
	if err != nil {
		c.fail(err)
		return
	}
	f, err := h.newScheduleForm(c, r.BrandID, "/app/reports/"+r.ID+"/schedules/"+s.ID, "Save schedule", "edit-schedule-title", chosen)
	if err != nil {
		c.fail(err)
		return
	}
	f.Cancel = "/app/reports/" + r.ID + "#sch-" + s.ID
	c.p.Title = "Edit schedule · " + r.Title
	c.p.Data = scheduleEditData{ReportID: r.ID, Title: r.Title, Schedule: s, Form: f}
	c.render(status, "schedule_edit")
}

// scheduleSave saves the edit form: the schedule as posted, recipients
// replaced. A refused edit shows the form again as posted, the error
// beside its field, and changes nothing.
func (h *handler) scheduleSave(c *call) {
	s, ok := h.scheduleOf(c)
	if !ok {
		return
	}
	if _, err := h.deps.Schedules.Update(c.ctx(), c.a, c.rel, s.ID, scheduleFields(c)); err != nil {
		c.invalid(err, scheduleErrors, func(st int) { h.showScheduleEdit(c, s, postedRecipients(c), st) })
		return
	}
	c.done("Schedule saved. The next occurrence follows it.", "/app/reports/"+s.ReportID+"#sch-"+s.ID)
}

func (h *handler) scheduleDelete(c *call) {
	s, ok := h.scheduleOf(c)
	if !ok {
		return
	}
	if err := h.deps.Schedules.Delete(c.ctx(), c.a, c.rel, s.ID); err != nil {
		c.refused(err, "/app/reports/"+s.ReportID+"#schedules")
		return
	}
	c.done("Schedule deleted.", "/app/reports/"+s.ReportID+"#schedules")
}
