package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// clientBrandActions are the actions a client user may be considered for on
// a brand: a brand's data and reports are visible to the users of a client
// granted it (SPEC §12 "Client users of a client granted the brand read its
// reports"). Every other brand action (rename, delete) stays agency-only, so
// for those a client user finds nothing.
var clientBrandActions = map[Action]bool{BrandDataRead: true, BrandDataWrite: true, BrandDataDelete: true, BrandReportExport: true}

// CheckBrand decides an action on a brand. Agency users are decided on the
// brand's agency (every agency user sees all of its brands, SPEC §1). For
// the brand's data and reports, a user of a client granted the brand — by
// the brand's agency, through an active link, the client neither disabled
// nor revoked by that agency, its `reports` feature on — is decided with
// their client role; during Login As, as the client's admin. Anyone else
// finds nothing (404). The relation carries BrandID.
func (z *Authorizer) CheckBrand(ctx context.Context, a *Actor, brandID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var agencyID string
	err := z.db.Get(ctx, &agencyID, `SELECT agency_id FROM brands WHERE id = ?`, brandID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	rel, err := z.Check(ctx, a, agencyID, action)
	rel.BrandID = brandID
	if !errs.Is(err, errs.NotFound) || !clientBrandActions[action] {
		return rel, err
	}
	rel, err = z.clientOnBrand(ctx, a, agencyID, brandID)
	if err != nil {
		return Relation{}, err
	}
	if !rel.Visible() {
		return Relation{}, errs.ErrNotFound
	}
	if !Allowed(rel.Role, action) {
		return rel, errs.ErrForbidden
	}
	return rel, nil
}

// clientOnBrand finds the actor's strongest client relation to a brand of
// agencyID; the zero Relation when none of their clients has it.
func (z *Authorizer) clientOnBrand(ctx context.Context, a *Actor, agencyID, brandID string) (Relation, error) {
	grant := `SELECT cb.client_id, ac.perm_reports FROM client_brands cb
		JOIN links l ON l.agency_id = ? AND l.client_id = cb.client_id AND l.status = 'active'
		JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = cb.client_id
			AND ac.enabled AND ac.revoked_at IS NULL`
	var rows []struct {
		ClientID string `db:"client_id"`
		Reports  bool   `db:"perm_reports"`
		Role     string `db:"role"`
	}
	var err error
	if a.Impersonating() {
		// Login As: the client acted as, as its admin, closed or not (SPEC
		// §3: the agency logs in as a disabled client).
		err = z.db.Select(ctx, &rows, `SELECT g.client_id, g.perm_reports, 'admin' AS role FROM (`+
			`SELECT cb.client_id, ac.perm_reports FROM client_brands cb
			JOIN links l ON l.agency_id = ? AND l.client_id = cb.client_id AND l.status = 'active'
			JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = cb.client_id
			WHERE cb.brand_id = ? AND cb.client_id = ?) g`, agencyID, brandID, a.Impersonation.ClientID)
	} else {
		err = z.db.Select(ctx, &rows, `SELECT g.client_id, g.perm_reports, m.role FROM (`+grant+`
			WHERE cb.brand_id = ? AND NOT `+ClientClosed("cb.client_id")+`) g
			JOIN memberships m ON m.account_id = g.client_id AND m.user_id = ?
			ORDER BY CASE m.role WHEN 'admin' THEN 0 ELSE 1 END, g.client_id`, agencyID, brandID, a.UserID)
	}
	if err != nil || len(rows) == 0 {
		return Relation{}, err
	}
	best := rows[0]
	for _, r := range rows { // the session's own account first, when it has the brand
		if r.ClientID == a.AccountID && (r.Role == best.Role || r.Role == "admin") {
			best = r
		}
	}
	if !best.Reports {
		return Relation{}, errs.E(errs.Forbidden, "feature_off", "Reports are switched off for this account.")
	}
	return Relation{AccountID: best.ClientID, AccountKind: "client", Role: MemberRole("client", best.Role),
		AgencyID: agencyID, BrandID: brandID, UserID: a.UserID}, nil
}

// BrandAgency is the agency of the brand a brand relation was decided on.
func (r Relation) BrandAgency() string {
	if r.AccountKind == "client" {
		return r.AgencyID
	}
	return r.AccountID
}

// OnBrand checks that rel was decided on brandID (CheckBrand) and allows
// action: ErrNotFound for a relation to anything else (a forgotten check
// finds nothing), ErrForbidden for a role without the action.
func OnBrand(rel Relation, brandID string, action Action) error {
	if !rel.Visible() || rel.BrandID == "" || rel.BrandID != brandID {
		return errs.ErrNotFound
	}
	if !Allowed(rel.Role, action) {
		return errs.ErrForbidden
	}
	return nil
}

// CheckReport decides an action on a report: on its brand (CheckBrand). A
// report that does not exist is not found, as is one of a brand the actor
// does not see, and one not shared with the client member asking
// (SharedCondition).
func (z *Authorizer) CheckReport(ctx context.Context, a *Actor, reportID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var brandID string
	err := z.db.Get(ctx, &brandID, `SELECT brand_id FROM reports WHERE id = ?`, reportID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	rel, err := z.CheckBrand(ctx, a, brandID, action)
	if err != nil {
		return rel, err
	}
	// A report not shared with a client member is not found (sharing.go).
	if err := z.checkShared(ctx, rel, reportID); err != nil {
		return Relation{}, err
	}
	return rel, nil
}
