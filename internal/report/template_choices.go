package report

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
)

// What the templates page offers to choose from.

// BrandChoice is a brand of the agency with how many clients have it.
type BrandChoice struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	Clients int    `db:"clients"`
}

// ReportChoice is a report of one of the agency's brands.
type ReportChoice struct {
	ID        string `db:"id"`
	Title     string `db:"title"`
	BrandName string `db:"brand_name"`
}

// ApplyChoices lists the agency's brands, by name, with their clients.
func (s *Service) ApplyChoices(ctx context.Context, rel authz.Relation) ([]BrandChoice, error) {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateRead); err != nil {
		return nil, err
	}
	var out []BrandChoice
	err := s.db.Select(ctx, &out, `SELECT b.id, b.name, (SELECT COUNT(*) FROM client_brands cb WHERE cb.brand_id = b.id) AS clients
		FROM brands b WHERE b.agency_id = ? ORDER BY b.name, b.id`, rel.AccountID)
	return out, err
}

// AgencyReports lists the reports of the agency's brands, by brand and
// title (at most 1,000: the form's choice).
func (s *Service) AgencyReports(ctx context.Context, rel authz.Relation) ([]ReportChoice, error) {
	if err := onAgency(rel, rel.AccountID, authz.ReportTemplateRead); err != nil {
		return nil, err
	}
	var out []ReportChoice
	err := s.db.Select(ctx, &out, `SELECT r.id, r.title, b.name AS brand_name FROM reports r JOIN brands b ON b.id = r.brand_id
		WHERE b.agency_id = ? ORDER BY b.name, r.title, r.id LIMIT 1000`, rel.AccountID)
	return out, err
}
