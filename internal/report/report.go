// Package report holds the reports of brands (SPEC §12 "Reports"): their
// widgets and validation, the one computation of a report's numbers for a
// range (Data) that the portal page, the CSV and the PDF all draw from, and
// the exports. It owns the table reports (migration 00018) and reads metric
// data through internal/metricdata.
//
// Functions take the authz.Relation that CheckBrand (or CheckReport) decided;
// a relation for another brand finds nothing.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Report is a report of a brand.
type Report struct {
	ID           string    `json:"id"`
	BrandID      string    `json:"brand_id"`
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	DefaultRange string    `json:"default_range"`
	Comparison   string    `json:"comparison"`
	Widgets      []Widget  `json:"widgets"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

type row struct {
	ID           string  `db:"id"`
	BrandID      string  `db:"brand_id"`
	Title        string  `db:"title"`
	Description  string  `db:"description"`
	DefaultRange string  `db:"default_range"`
	Comparison   string  `db:"comparison"`
	Widgets      string  `db:"widgets"`
	CreatedAt    db.Time `db:"created_at"`
	UpdatedAt    db.Time `db:"updated_at"`
}

func (r row) report() (Report, error) {
	out := Report{ID: r.ID, BrandID: r.BrandID, Title: r.Title, Description: r.Description, DefaultRange: r.DefaultRange,
		Comparison: r.Comparison, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
	err := json.Unmarshal([]byte(r.Widgets), &out.Widgets)
	if out.Widgets == nil {
		out.Widgets = []Widget{}
	}
	return out, err
}

const columns = `id, brand_id, title, description, default_range, comparison, widgets, created_at, updated_at`

// Service is the reports of brands.
type Service struct {
	db   *db.DB
	data *metricdata.Service
	now  func() time.Time
	// computed holds reports' Data by report, range and data version
	// (cache.go).
	computed *cache
}

// New returns the service.
func New(d *db.DB, data *metricdata.Service, now func() time.Time) *Service {
	return &Service{db: d, data: data, now: now, computed: newCache(512)}
}

// List returns a brand's reports by title.
func (s *Service) List(ctx context.Context, rel authz.Relation, brandID string) ([]Report, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataRead); err != nil {
		return nil, err
	}
	// Only the reports shared with a client member (authz.SharedCondition).
	shared, args := authz.SharedCondition(rel, "reports.id")
	var rows []row
	if err := s.db.Select(ctx, &rows, `SELECT `+columns+` FROM reports WHERE brand_id = ? AND `+shared+` ORDER BY title, id`,
		append([]any{brandID}, args...)...); err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(rows))
	for _, r := range rows {
		rep, err := r.report()
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// Get returns one report, for a relation decided on its brand.
func (s *Service) Get(ctx context.Context, rel authz.Relation, reportID string) (Report, error) {
	if err := authz.OnBrand(rel, rel.BrandID, authz.BrandDataRead); err != nil {
		return Report{}, err
	}
	return shared(ctx, s.db, rel, reportID)
}

// shared reads a report for a read: one not shared with a client member is
// not found, even for a relation that did not come from CheckReport.
func shared(ctx context.Context, q db.Querier, rel authz.Relation, reportID string) (Report, error) {
	r, err := sharedRow(ctx, q, rel, reportID)
	if err != nil {
		return Report{}, err
	}
	return r.report()
}

// sharedRow is shared's stored row, for callers that key a cache on it
// before decoding its widgets (DataFor).
func sharedRow(ctx context.Context, q db.Querier, rel authz.Relation, reportID string) (row, error) {
	ok, err := authz.ReportShared(ctx, q, rel, reportID)
	if err != nil {
		return row{}, err
	}
	if !ok {
		return row{}, errs.ErrNotFound
	}
	return getRow(ctx, q, rel.BrandID, reportID)
}

func get(ctx context.Context, q db.Querier, brandID, reportID string) (Report, error) {
	r, err := getRow(ctx, q, brandID, reportID)
	if err != nil {
		return Report{}, err
	}
	return r.report()
}

func getRow(ctx context.Context, q db.Querier, brandID, reportID string) (row, error) {
	var r row
	err := q.Get(ctx, &r, `SELECT `+columns+` FROM reports WHERE id = ? AND brand_id = ?`, reportID, brandID)
	if errors.Is(err, db.ErrNoRows) {
		return row{}, errs.ErrNotFound
	}
	return r, err
}

// Create adds a report to a brand (agency users who may edit reports).
func (s *Service) Create(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID string, f Fields) (Report, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataWrite); err != nil {
		return Report{}, err
	}
	r, err := apply(Report{DefaultRange: "last_30_days", Comparison: "previous_period"}, f)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	r.ID, r.BrandID, r.CreatedAt, r.UpdatedAt = id.New(id.Report), brandID, now, now
	ws, _ := json.Marshal(r.Widgets)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO reports (`+columns+`, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, brandID, r.Title, r.Description, r.DefaultRange, r.Comparison, string(ws), now, now, actorID(a)); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.BrandAgency(), now, "report.create", r.ID, nil, summary(r))
	})
	return r, err
}

// Update edits a report: the fields given, validated as a whole.
func (s *Service) Update(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID string, f Fields) (Report, error) {
	if err := authz.OnBrand(rel, rel.BrandID, authz.BrandDataWrite); err != nil {
		return Report{}, err
	}
	var out Report
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := get(ctx, tx, rel.BrandID, reportID)
		if err != nil {
			return err
		}
		next, err := apply(cur, f)
		if err != nil {
			return err
		}
		next.UpdatedAt = s.now()
		ws, _ := json.Marshal(next.Widgets)
		if _, err := tx.Exec(ctx, `UPDATE reports SET title = ?, description = ?, default_range = ?, comparison = ?, widgets = ?, updated_at = ?
			WHERE id = ? AND brand_id = ?`, next.Title, next.Description, next.DefaultRange, next.Comparison, string(ws), next.UpdatedAt,
			reportID, rel.BrandID); err != nil {
			return err
		}
		out = next
		return record(ctx, tx, a, rel.BrandAgency(), next.UpdatedAt, "report.update", reportID, summary(cur), summary(next))
	})
	return out, err
}

// Delete removes a report.
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID string) error {
	if err := authz.OnBrand(rel, rel.BrandID, authz.BrandDataWrite); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := get(ctx, tx, rel.BrandID, reportID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reports WHERE id = ? AND brand_id = ?`, reportID, rel.BrandID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.BrandAgency(), s.now(), "report.delete", reportID, summary(cur), nil)
	})
}

// summary is what the audit log keeps of a report.
func summary(r Report) map[string]any {
	kinds := make([]string, len(r.Widgets))
	for i, w := range r.Widgets {
		kinds[i] = w.Kind
	}
	return map[string]any{"brand_id": r.BrandID, "title": r.Title, "default_range": r.DefaultRange,
		"comparison": r.Comparison, "widgets": kinds}
}

func actorID(a *authz.Actor) any {
	if a == nil {
		return nil
	}
	return a.UserID
}

func record(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, before, after any) error {
	return audit.AppendAs(ctx, tx, now, a, audit.Entry{AccountID: agencyID, Action: action, TargetID: target, Before: before, After: after})
}
