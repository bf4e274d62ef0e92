package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Applying a template (SPEC §12 "Templates"): in each brand chosen, the
// report the template made before is brought up to date with the template,
// unless someone edited it by hand since (its updated_at moved on from the
// one the last apply left): that one is left alone and listed as skipped.
// A brand without such a report gets a new one. One transaction: the
// reports, the uses and the audit entries commit together or not at all.

// MaxApplyBrands bounds one apply.
const MaxApplyBrands = 2000

// ApplyInput chooses the brands: by ID, or every brand of the agency that
// a client has (AllWithClients), or both.
type ApplyInput struct {
	BrandIDs       []string
	AllWithClients bool
}

// Applied is one brand's outcome.
type Applied struct {
	BrandID   string `json:"brand_id"`
	BrandName string `json:"brand_name"`
	ReportID  string `json:"report_id"`
	Reason    string `json:"reason,omitempty" doc:"skipped: edited (changed by hand since the last apply)"`
}

// ApplyResult lists what an apply did, brand by brand.
type ApplyResult struct {
	Created []Applied `json:"created"`
	Updated []Applied `json:"updated"`
	Skipped []Applied `json:"skipped"`
}

// TemplateUse is a brand's report made by a template.
type TemplateUse struct {
	BrandID   string    `json:"brand_id" db:"brand_id"`
	BrandName string    `json:"brand_name" db:"brand_name"`
	ReportID  string    `json:"report_id" db:"report_id"`
	AppliedAt time.Time `json:"applied_at" db:"-"`
	Edited    bool      `json:"edited" db:"-" doc:"Changed by hand since the last apply: a re-apply skips it"`
}

// Uses lists the reports a template made, by brand name.
func (s *Service) Uses(ctx context.Context, rel authz.Relation, templateID string) ([]TemplateUse, error) {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateRead); err != nil {
		return nil, err
	}
	var rows []struct {
		BrandID   string  `db:"brand_id"`
		BrandName string  `db:"brand_name"`
		ReportID  string  `db:"report_id"`
		AppliedAt db.Time `db:"applied_at"`
		Hash      string  `db:"applied_hash"`
		row
	}
	if err := s.db.Select(ctx, &rows, `SELECT u.brand_id, b.name AS brand_name, u.report_id, u.applied_at, u.applied_hash,
		r.id, r.title, r.description, r.default_range, r.comparison, r.widgets, r.created_at, r.updated_at
		FROM report_template_uses u JOIN report_templates t ON t.id = u.template_id AND t.agency_id = ?
		JOIN brands b ON b.id = u.brand_id JOIN reports r ON r.id = u.report_id
		WHERE u.template_id = ? ORDER BY b.name, b.id`, rel.AccountID, templateID); err != nil {
		return nil, err
	}
	out := make([]TemplateUse, len(rows))
	for i, r := range rows {
		rep, err := r.report()
		if err != nil {
			return nil, err
		}
		out[i] = TemplateUse{BrandID: r.BrandID, BrandName: r.BrandName, ReportID: r.ReportID, AppliedAt: r.AppliedAt.Time,
			Edited: contentHash(rep) != r.Hash}
	}
	return out, nil
}

type applyBrand struct {
	ID   string `db:"id"`
	Name string `db:"name"`
}

// brandsFor resolves an apply's brands: each named one must be the
// agency's (a 400 names the first that is not); AllWithClients adds every
// brand a client has been granted.
func (s *Service) brandsFor(ctx context.Context, agencyID string, in ApplyInput) ([]applyBrand, error) {
	if len(in.BrandIDs) == 0 && !in.AllWithClients {
		return nil, errs.InvalidField("brand_ids", "Choose at least one brand, or all brands with clients.")
	}
	if len(in.BrandIDs) > MaxApplyBrands {
		return nil, errs.InvalidField("brand_ids", "Apply to at most %d brands at once.", MaxApplyBrands)
	}
	var all []applyBrand
	if err := s.db.Select(ctx, &all, `SELECT b.id, b.name FROM brands b WHERE b.agency_id = ? ORDER BY b.name, b.id`, agencyID); err != nil {
		return nil, err
	}
	byID := make(map[string]applyBrand, len(all))
	for _, b := range all {
		byID[b.ID] = b
	}
	chosen := map[string]bool{}
	for i, bid := range in.BrandIDs {
		if _, ok := byID[bid]; !ok {
			return nil, &errs.Error{Kind: errs.Invalid, Code: "invalid_brand_ids", Field: fmt.Sprintf("brand_ids[%d]", i),
				Message: fmt.Sprintf("%q is not one of your agency's brands.", clip(bid))}
		}
		chosen[bid] = true
	}
	if in.AllWithClients {
		var withClients []string
		if err := s.db.Select(ctx, &withClients, `SELECT DISTINCT cb.brand_id FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
			WHERE b.agency_id = ?`, agencyID); err != nil {
			return nil, err
		}
		for _, bid := range withClients {
			chosen[bid] = true
		}
	}
	out := make([]applyBrand, 0, len(chosen))
	for _, b := range all { // by name: the result reads in the order the page shows
		if chosen[b.ID] {
			out = append(out, b)
		}
	}
	return out, nil
}

// Apply applies a template to brands.
func (s *Service) Apply(ctx context.Context, a *authz.Actor, rel authz.Relation, templateID string, in ApplyInput) (ApplyResult, error) {
	res := ApplyResult{Created: []Applied{}, Updated: []Applied{}, Skipped: []Applied{}}
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateManage); err != nil {
		return res, err
	}
	agencyID := rel.AccountID
	if _, err := getTemplate(ctx, s.db, agencyID, templateID); err != nil {
		return res, err
	}
	brands, err := s.brandsFor(ctx, agencyID, in)
	if err != nil {
		return res, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res = ApplyResult{Created: []Applied{}, Updated: []Applied{}, Skipped: []Applied{}} // a retried transaction starts over
		t, err := getTemplate(ctx, tx, agencyID, templateID)                                // as it is now, and still there
		if err != nil {
			return err
		}
		ws, _ := json.Marshal(t.Widgets)
		content := t.asReport()
		now := s.now()
		var uses []struct {
			BrandID string `db:"u_brand_id"`
			Hash    string `db:"applied_hash"`
			row
		}
		if err := tx.Select(ctx, &uses, `SELECT u.brand_id AS u_brand_id, u.applied_hash, r.id, r.brand_id, r.title, r.description,
			r.default_range, r.comparison, r.widgets, r.created_at, r.updated_at FROM report_template_uses u
			JOIN reports r ON r.id = u.report_id WHERE u.template_id = ?`, templateID); err != nil {
			return err
		}
		type use struct {
			before Report
			edited bool
		}
		prior := make(map[string]use, len(uses))
		for _, u := range uses {
			rep, err := u.report()
			if err != nil {
				return err
			}
			prior[u.BrandID] = use{rep, contentHash(rep) != u.Hash}
		}
		hash := contentHash(content)
		for _, b := range brands {
			u, ok := prior[b.ID]
			switch {
			case ok && u.edited:
				res.Skipped = append(res.Skipped, Applied{BrandID: b.ID, BrandName: b.Name, ReportID: u.before.ID, Reason: "edited"})
				continue
			case ok:
				before := u.before
				if _, err := tx.Exec(ctx, `UPDATE reports SET title = ?, description = ?, default_range = ?, comparison = ?, widgets = ?,
					updated_at = ? WHERE id = ? AND brand_id = ?`, t.Title, t.Description, t.DefaultRange, t.Comparison, string(ws), now,
					before.ID, b.ID); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE report_template_uses SET applied_at = ?, applied_hash = ? WHERE template_id = ? AND brand_id = ?`,
					now, hash, templateID, b.ID); err != nil {
					return err
				}
				after := content
				after.BrandID = b.ID
				if err := record(ctx, tx, a, agencyID, now, "report.update", before.ID, summary(before), withTemplate(summary(after), templateID)); err != nil {
					return err
				}
				res.Updated = append(res.Updated, Applied{BrandID: b.ID, BrandName: b.Name, ReportID: before.ID})
			default:
				rid := id.New(id.Report)
				if _, err := tx.Exec(ctx, `INSERT INTO reports (`+columns+`, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					rid, b.ID, t.Title, t.Description, t.DefaultRange, t.Comparison, string(ws), now, now, actorID(a)); err != nil {
					return err
				}
				// A brand whose use points at a report since deleted has
				// no row any more (cascade); an apply running at the same
				// time conflicts here and this one rolls back.
				if _, err := tx.Exec(ctx, `INSERT INTO report_template_uses (template_id, brand_id, report_id, applied_at, applied_hash)
					VALUES (?, ?, ?, ?, ?)`, templateID, b.ID, rid, now, hash); err != nil {
					return err
				}
				after := content
				after.BrandID = b.ID
				if err := record(ctx, tx, a, agencyID, now, "report.create", rid, nil, withTemplate(summary(after), templateID)); err != nil {
					return err
				}
				res.Created = append(res.Created, Applied{BrandID: b.ID, BrandName: b.Name, ReportID: rid})
			}
		}
		return record(ctx, tx, a, agencyID, now, "report_template.apply", templateID, nil, map[string]any{
			"created": len(res.Created), "updated": len(res.Updated), "skipped": len(res.Skipped), "brands": len(brands)})
	})
	return res, err
}

// contentHash is what a report's content hashes to: an apply remembers it,
// and a report whose hash differs later was edited by hand.
func contentHash(r Report) string {
	b, _ := json.Marshal(struct {
		Title, Description, DefaultRange, Comparison string
		Widgets                                      []Widget
	}{r.Title, r.Description, r.DefaultRange, r.Comparison, r.Widgets})
	return id.Hash(string(b))
}

func withTemplate(m map[string]any, templateID string) map[string]any {
	m["template_id"] = templateID
	return m
}
