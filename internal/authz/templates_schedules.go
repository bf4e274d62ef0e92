package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Report templates and scheduled report e-mails (SPEC §1 "create data
// sources, map their items to brands, report templates and schedules":
// admins and account managers; issue 17). Templates belong to the agency:
// every agency user reads them, admins and account managers make and apply
// them. Schedules hang on a report and name client users as recipients, so
// reading them (and their deliveries) is for those who manage them; a
// client user never finds either (404).
const (
	ReportTemplateRead   Action = "report.template.read"
	ReportTemplateManage Action = "report.template.manage"
	ReportScheduleManage Action = "report.schedule.manage"
)

func init() {
	matrix[ReportTemplateRead] = []Role{AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer}
	matrix[ReportTemplateManage] = []Role{AgencyAdmin, AgencyAccountManager}
	matrix[ReportScheduleManage] = []Role{AgencyAdmin, AgencyAccountManager}
}

// CheckTemplate decides an action on a report template: on its agency. A
// template that does not exist, or of an agency the actor is not in, is not
// found.
func (z *Authorizer) CheckTemplate(ctx context.Context, a *Actor, templateID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var agencyID string
	err := z.db.Get(ctx, &agencyID, `SELECT agency_id FROM report_templates WHERE id = ?`, templateID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	rel, err := z.Check(ctx, a, agencyID, action)
	if err != nil {
		return rel, err
	}
	if rel.AccountKind != "agency" {
		return Relation{}, errs.ErrNotFound
	}
	return rel, nil
}

// CheckSchedule decides an action on a report's schedule: on the report
// (CheckReport), so on its brand.
func (z *Authorizer) CheckSchedule(ctx context.Context, a *Actor, scheduleID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var reportID string
	err := z.db.Get(ctx, &reportID, `SELECT report_id FROM report_schedules WHERE id = ?`, scheduleID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	return z.CheckReport(ctx, a, reportID, action)
}

// ReportReader is the actor a scheduled e-mail's recipient would be when
// opening the report: the same check as the report's read path
// (CheckReport with BrandDataRead), for a user who is not in a request.
func ReportReader(userID string) *Actor { return &Actor{UserID: userID} }
