package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/schedule"
)

// Scheduled report e-mails (SPEC §12, issue 17): a report's schedules,
// decided on the report (authz.CheckReport); one schedule and its
// deliveries, decided on its report (authz.CheckSchedule). Admins and
// account managers only; client users find nothing.

// ScheduleBody is a schedule's editable fields; omitted ones keep their
// value.
type ScheduleBody struct {
	Frequency  *string               `json:"frequency,omitempty" maxLength:"20" doc:"weekly or monthly"`
	Weekday    *string               `json:"weekday,omitempty" maxLength:"20" doc:"weekly: monday … sunday"`
	Day        any                   `json:"day,omitempty" doc:"monthly: a day from 1 to 28, or \"last\" (29–31 are refused: use last)"`
	Hour       *int                  `json:"hour,omitempty" doc:"0–23 in the agency's time zone (default 8)"`
	Recipients *[]schedule.Recipient `json:"recipients,omitempty" maxItems:"5000" doc:"{kind:user,user_id} or {kind:client_admins,client_id}; replaces the list"`
}

func (b ScheduleBody) fields() schedule.Fields {
	return schedule.Fields{Frequency: b.Frequency, Weekday: b.Weekday, Day: b.Day, Hour: b.Hour, Recipients: b.Recipients}
}

type scheduleCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body ScheduleBody
}

type schedulePatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body ScheduleBody
}

type scheduleOut struct {
	Body schedule.Schedule
}

type schedulesOut struct {
	Body struct {
		Schedules  []schedule.Schedule `json:"schedules"`
		NextCursor string              `json:"next_cursor"`
	}
}

type deliveriesIn struct {
	ID     string `path:"id" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" maxLength:"200"`
}

type deliveriesOut struct {
	Body struct {
		Deliveries []schedule.Delivery `json:"deliveries"`
		NextCursor string              `json:"next_cursor"`
	}
}

func (a *API) scheduleRoutes() {
	svc := a.deps.Schedules
	actor := authz.ActorFrom
	onReport := Access{Kind: Report, Action: authz.ReportScheduleManage, Param: "id"}
	onSchedule := Access{Kind: Schedule, Action: authz.ReportScheduleManage, Param: "id"}
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, onReport, op(http.MethodGet, "/api/v1/reports/{id}/schedules", "report-schedule-list", "A report's schedules", "schedules"),
		func(ctx context.Context, in *idPath) (*schedulesOut, error) {
			out := &schedulesOut{}
			var err error
			out.Body.Schedules, err = svc.List(ctx, RelationFrom(ctx), in.ID)
			return out, err
		})
	o := created(op(http.MethodPost, "/api/v1/reports/{id}/schedules", "report-schedule-create", "Schedule a report by e-mail", "schedules"))
	o.Description = "Weekly on a weekday or monthly on a day (1–28 or last), at an hour in the agency's time zone, to client users " +
		"of clients that have the brand (or every admin of such a client) and agency users."
	add(a, onReport, o, func(ctx context.Context, in *scheduleCreateIn) (*scheduleOut, error) {
		s, err := svc.Create(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
		return &scheduleOut{Body: s}, err
	})
	add(a, onSchedule, op(http.MethodGet, "/api/v1/schedules/{id}", "schedule-get", "One schedule", "schedules"),
		func(ctx context.Context, in *idPath) (*scheduleOut, error) {
			s, err := svc.Get(ctx, RelationFrom(ctx), in.ID)
			return &scheduleOut{Body: s}, err
		})
	add(a, onSchedule, op(http.MethodPatch, "/api/v1/schedules/{id}", "schedule-update", "Change a schedule; omitted fields keep their value", "schedules"),
		func(ctx context.Context, in *schedulePatchIn) (*scheduleOut, error) {
			s, err := svc.Update(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.fields())
			return &scheduleOut{Body: s}, err
		})
	add(a, onSchedule, noContent(op(http.MethodDelete, "/api/v1/schedules/{id}", "schedule-delete", "Delete a schedule", "schedules")),
		func(ctx context.Context, in *idPath) (*empty, error) {
			return nil, svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.ID)
		})
	o = op(http.MethodGet, "/api/v1/schedules/{id}/deliveries", "schedule-deliveries", "A schedule's deliveries, newest occurrence first", "schedules")
	o.Description = "One per recipient and occurrence: queued, sent or failed (the e-mail), or skipped (no access when it was due); " +
		"attached tells whether the PDF went with it; opened_at when its link was first opened."
	add(a, onSchedule, o, func(ctx context.Context, in *deliveriesIn) (*deliveriesOut, error) {
		out := &deliveriesOut{}
		var err error
		out.Body.Deliveries, out.Body.NextCursor, err = svc.Deliveries(ctx, RelationFrom(ctx), in.ID, in.Limit, in.Cursor)
		return out, err
	})
}
