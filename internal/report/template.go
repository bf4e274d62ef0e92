package report

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Report templates (SPEC §12 "Templates", issue 17): an agency keeps a
// report's layout as a template and applies it to many brands at once
// (template_apply.go). Widgets refer to metric names, so one template fits
// every brand that has those metrics. Agency users read templates; admins
// and account managers make, change and apply them.

// Template is an agency's report template.
type Template struct {
	ID           string    `json:"id"`
	AgencyID     string    `json:"agency_id"`
	Name         string    `json:"name"`
	Title        string    `json:"title" doc:"The title of the reports it makes"`
	Description  string    `json:"description"`
	DefaultRange string    `json:"default_range"`
	Comparison   string    `json:"comparison"`
	Widgets      []Widget  `json:"widgets"`
	SourceReport string    `json:"source_report_id,omitempty" doc:"The report it was saved from, if any"`
	Uses         int       `json:"uses" doc:"How many brands have a report made by it"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TemplateFields are a template's editable fields; nil keeps the value. On
// create, ReportID copies a report of one of the agency's brands first.
type TemplateFields struct {
	ReportID *string
	Name     *string
	Fields
}

type templateRow struct {
	ID           string  `db:"id"`
	AgencyID     string  `db:"agency_id"`
	Name         string  `db:"name"`
	Title        string  `db:"title"`
	Description  string  `db:"description"`
	DefaultRange string  `db:"default_range"`
	Comparison   string  `db:"comparison"`
	Widgets      string  `db:"widgets"`
	Source       *string `db:"source_report_id"`
	Uses         int     `db:"uses"`
	CreatedAt    db.Time `db:"created_at"`
	UpdatedAt    db.Time `db:"updated_at"`
}

const templateColumns = `t.id, t.agency_id, t.name, t.title, t.description, t.default_range, t.comparison, t.widgets,
	t.source_report_id, t.created_at, t.updated_at, (SELECT COUNT(*) FROM report_template_uses u WHERE u.template_id = t.id) AS uses`

func (r templateRow) template() (Template, error) {
	out := Template{ID: r.ID, AgencyID: r.AgencyID, Name: r.Name, Title: r.Title, Description: r.Description,
		DefaultRange: r.DefaultRange, Comparison: r.Comparison, Uses: r.Uses, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
	if r.Source != nil {
		out.SourceReport = *r.Source
	}
	err := json.Unmarshal([]byte(r.Widgets), &out.Widgets)
	if out.Widgets == nil {
		out.Widgets = []Widget{}
	}
	return out, err
}

// asReport is the template's content as a report, for validation and apply.
func (t Template) asReport() Report {
	return Report{Title: t.Title, Description: t.Description, DefaultRange: t.DefaultRange, Comparison: t.Comparison, Widgets: t.Widgets}
}

// onAgency checks that rel is an agency user's relation to agencyID that
// allows action; anything else finds nothing.
func onAgency(rel authz.Relation, agencyID string, action authz.Action) error {
	if !rel.Visible() || rel.AccountKind != "agency" || rel.AccountID != agencyID {
		return errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return errs.ErrForbidden
	}
	return nil
}

// Templates lists an agency's templates by name.
func (s *Service) Templates(ctx context.Context, rel authz.Relation, agencyID string) ([]Template, error) {
	if err := onAgency(rel, agencyID, authz.ReportTemplateRead); err != nil {
		return nil, err
	}
	var rows []templateRow
	if err := s.db.Select(ctx, &rows, `SELECT `+templateColumns+` FROM report_templates t WHERE t.agency_id = ?
		ORDER BY t.name, t.id`, agencyID); err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		t, err := r.template()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// GetTemplate returns one template, for a relation decided on its agency
// (CheckTemplate).
func (s *Service) GetTemplate(ctx context.Context, rel authz.Relation, templateID string) (Template, error) {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateRead); err != nil {
		return Template{}, err
	}
	return getTemplate(ctx, s.db, rel.AccountID, templateID)
}

func getTemplate(ctx context.Context, q db.Querier, agencyID, templateID string) (Template, error) {
	var r templateRow
	err := q.Get(ctx, &r, `SELECT `+templateColumns+` FROM report_templates t WHERE t.id = ? AND t.agency_id = ?`, templateID, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return Template{}, errs.ErrNotFound
	}
	if err != nil {
		return Template{}, err
	}
	return r.template()
}

// MaxTemplateName bounds a template's name.
const MaxTemplateName = 200

func applyTemplate(t Template, f TemplateFields) (Template, error) {
	r, err := apply(t.asReport(), f.Fields)
	if err != nil {
		return t, err
	}
	t.Title, t.Description, t.DefaultRange, t.Comparison, t.Widgets = r.Title, r.Description, r.DefaultRange, r.Comparison, r.Widgets
	if f.Name != nil {
		n := strings.TrimSpace(*f.Name)
		if n == "" || !plain(n, MaxTemplateName) || strings.ContainsAny(n, "\r\n") {
			return t, errs.InvalidField("name", "Give the template a name of 1 to %d characters on one line.", MaxTemplateName)
		}
		t.Name = n
	}
	if t.Name == "" {
		t.Name = t.Title
	}
	return t, nil
}

// CreateTemplate saves a template: from a report of one of the agency's
// brands (ReportID; the other fields then change the copy), or from the
// fields alone.
func (s *Service) CreateTemplate(ctx context.Context, a *authz.Actor, rel authz.Relation, agencyID string, f TemplateFields) (Template, error) {
	if err := onAgency(rel, agencyID, authz.ReportTemplateManage); err != nil {
		return Template{}, err
	}
	t := Template{AgencyID: agencyID, DefaultRange: "last_30_days", Comparison: "previous_period", Widgets: []Widget{}}
	if f.ReportID != nil && *f.ReportID != "" {
		var r row
		err := s.db.Get(ctx, &r, `SELECT r.id, r.brand_id, r.title, r.description, r.default_range, r.comparison, r.widgets,
			r.created_at, r.updated_at FROM reports r JOIN brands b ON b.id = r.brand_id WHERE r.id = ? AND b.agency_id = ?`,
			*f.ReportID, agencyID)
		if errors.Is(err, db.ErrNoRows) {
			return Template{}, errs.InvalidField("report_id", "There is no such report in your agency's brands.")
		}
		if err != nil {
			return Template{}, err
		}
		src, err := r.report()
		if err != nil {
			return Template{}, err
		}
		t.Title, t.Description, t.DefaultRange, t.Comparison, t.Widgets = src.Title, src.Description, src.DefaultRange, src.Comparison, src.Widgets
		t.SourceReport = src.ID
	}
	t, err := applyTemplate(t, f)
	if err != nil {
		return Template{}, err
	}
	now := s.now()
	t.ID, t.CreatedAt, t.UpdatedAt = id.New(id.ReportTemplate), now, now
	ws, _ := json.Marshal(t.Widgets)
	var source any
	if t.SourceReport != "" {
		source = t.SourceReport
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO report_templates (id, agency_id, name, title, description, default_range, comparison,
			widgets, source_report_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, agencyID, t.Name, t.Title, t.Description, t.DefaultRange, t.Comparison, string(ws), source, actorID(a), now, now); err != nil {
			return err
		}
		return record(ctx, tx, a, agencyID, now, "report_template.create", t.ID, nil, templateSummary(t))
	})
	return t, err
}

// UpdateTemplate changes a template. Reports it made change only when it
// is applied again.
func (s *Service) UpdateTemplate(ctx context.Context, a *authz.Actor, rel authz.Relation, templateID string, f TemplateFields) (Template, error) {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateManage); err != nil {
		return Template{}, err
	}
	if f.ReportID != nil {
		return Template{}, errs.InvalidField("report_id", "A template is saved from a report when it is created; change its fields instead.")
	}
	var out Template
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := getTemplate(ctx, tx, rel.AccountID, templateID)
		if err != nil {
			return err
		}
		next, err := applyTemplate(cur, f)
		if err != nil {
			return err
		}
		next.UpdatedAt = s.now()
		ws, _ := json.Marshal(next.Widgets)
		if _, err := tx.Exec(ctx, `UPDATE report_templates SET name = ?, title = ?, description = ?, default_range = ?, comparison = ?,
			widgets = ?, updated_at = ? WHERE id = ? AND agency_id = ?`, next.Name, next.Title, next.Description, next.DefaultRange,
			next.Comparison, string(ws), next.UpdatedAt, templateID, rel.AccountID); err != nil {
			return err
		}
		out = next
		return record(ctx, tx, a, rel.AccountID, next.UpdatedAt, "report_template.update", templateID, templateSummary(cur), templateSummary(next))
	})
	return out, err
}

// DeleteTemplate removes a template; the reports it made stay as they are.
func (s *Service) DeleteTemplate(ctx context.Context, a *authz.Actor, rel authz.Relation, templateID string) error {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateManage); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := getTemplate(ctx, tx, rel.AccountID, templateID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM report_templates WHERE id = ? AND agency_id = ?`, templateID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, s.now(), "report_template.delete", templateID, templateSummary(cur), nil)
	})
}

func templateSummary(t Template) map[string]any {
	m := summary(t.asReport())
	delete(m, "brand_id")
	m["name"] = t.Name
	return m
}
