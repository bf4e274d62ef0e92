package branding

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// What a client user sees in the portal: the agency whose brand frames it
// (the one of the brand they chose; on an agency's verified domain, that
// agency), the brands they may switch between (their account's grants
// from agencies it is actively linked to), and the features the agency
// left on for the account.

// BrandChoice is one brand of the brand switcher.
type BrandChoice struct {
	ID       string `db:"id"`
	Name     string `db:"name"`
	AgencyID string `db:"agency_id"`
}

// Features are the portal parts an agency leaves on for a client (SPEC §3
// permissions). A part that is off is hidden and its pages answer 403.
type Features struct {
	Reports, Users, Billing, Export bool
}

// ClientView is the portal of one client account for one user.
type ClientView struct {
	Brand    Brand
	Brands   []BrandChoice
	Current  *BrandChoice // nil when the account has no brand
	Features Features
}

// ClientPortal works out the portal for userID in clientID, on a request
// whose Host names hostAgencyID ("" for none).
func (s *Service) ClientPortal(ctx context.Context, userID, clientID, hostAgencyID string) (ClientView, error) {
	var v ClientView
	var all []BrandChoice
	if err := s.db.Select(ctx, &all, `SELECT b.id, b.name, b.agency_id FROM client_brands cb
		JOIN brands b ON b.id = cb.brand_id
		JOIN links l ON l.agency_id = b.agency_id AND l.client_id = cb.client_id AND l.status = 'active'
		WHERE cb.client_id = ? ORDER BY b.name, b.id`, clientID); err != nil {
		return v, err
	}
	v.Brands = all
	if hostAgencyID != "" {
		var mine []BrandChoice
		for _, b := range all {
			if b.AgencyID == hostAgencyID {
				mine = append(mine, b)
			}
		}
		if len(mine) > 0 {
			v.Brands = mine
		}
	}
	var chosen string
	err := s.db.Get(ctx, &chosen, `SELECT brand_id FROM portal_brand_choices WHERE user_id = ? AND client_id = ?`, userID, clientID)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return v, err
	}
	for i := range v.Brands {
		if v.Brands[i].ID == chosen {
			v.Current = &v.Brands[i]
		}
	}
	if v.Current == nil && len(v.Brands) > 0 {
		v.Current = &v.Brands[0]
	}
	agencyID := ""
	switch {
	case v.Current != nil:
		agencyID = v.Current.AgencyID
	default:
		// No brand: the host's agency when the account is linked to it,
		// else the agency it has been linked to longest.
		var ids []string
		if err := s.db.Select(ctx, &ids, `SELECT agency_id FROM links WHERE client_id = ? AND status = 'active'
			ORDER BY decided_at, agency_id`, clientID); err != nil {
			return v, err
		}
		for _, id := range ids {
			if id == hostAgencyID {
				agencyID = id
			}
		}
		if agencyID == "" && len(ids) > 0 {
			agencyID = ids[0]
		}
	}
	if agencyID == "" {
		v.Brand = s.Plain()
		v.Features = Features{Users: true}
		return v, nil
	}
	if v.Brand, err = s.ForClient(ctx, agencyID, clientID); err != nil { // the client's own branding over the agency's
		return v, err
	}
	var f struct {
		Reports bool `db:"perm_reports"`
		Users   bool `db:"perm_users"`
		Billing bool `db:"manage_billing"`
		Export  bool `db:"can_export"`
	}
	err = s.db.Get(ctx, &f, `SELECT perm_reports, perm_users, manage_billing, can_export FROM agency_clients
		WHERE agency_id = ? AND client_id = ?`, agencyID, clientID)
	switch {
	case errors.Is(err, db.ErrNoRows):
		v.Features = Features{Reports: true, Users: true, Export: true}
	case err != nil:
		return v, err
	default:
		v.Features = Features{Reports: f.Reports, Users: f.Users, Billing: f.Billing, Export: f.Export}
	}
	return v, nil
}

// ChooseBrand remembers the user's brand in the client account: one of
// the brands its portal offers them, else ErrNotFound.
func (s *Service) ChooseBrand(ctx context.Context, userID, clientID, hostAgencyID, brandID string) error {
	v, err := s.ClientPortal(ctx, userID, clientID, hostAgencyID)
	if err != nil {
		return err
	}
	for _, b := range v.Brands {
		if b.ID == brandID {
			_, err := s.db.Exec(ctx, `INSERT INTO portal_brand_choices (user_id, client_id, brand_id, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (user_id, client_id) DO UPDATE SET brand_id = excluded.brand_id, updated_at = excluded.updated_at`,
				userID, clientID, brandID, s.now())
			return err
		}
	}
	return errs.ErrNotFound
}
