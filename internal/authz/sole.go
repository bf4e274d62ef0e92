package authz

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// SoleAgency is the agency whose brand a user's own pages and e-mails wear
// when no custom domain names one (a password reset asked for on the
// server's own host, the login refused to a disabled client's user): the
// one agency every account of the user is an actively linked client of.
// "" when the user has an agency account, an account no agency manages,
// or accounts of several agencies: those get the plain portal.
func SoleAgency(ctx context.Context, q db.Querier, userID string) (string, error) {
	var r struct {
		Other    int     `db:"other"`
		Agencies int     `db:"agencies"`
		AgencyID *string `db:"agency_id"`
	}
	err := q.Get(ctx, &r, `SELECT
		(SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ? AND
			(a.kind <> 'client' OR NOT EXISTS (SELECT 1 FROM links l WHERE l.client_id = a.id AND l.status = 'active'))) AS other,
		(SELECT COUNT(DISTINCT l.agency_id) FROM memberships m JOIN links l ON l.client_id = m.account_id AND l.status = 'active'
			WHERE m.user_id = ?) AS agencies,
		(SELECT MIN(l.agency_id) FROM memberships m JOIN links l ON l.client_id = m.account_id AND l.status = 'active'
			WHERE m.user_id = ?) AS agency_id`, userID, userID, userID)
	if err != nil || r.Other > 0 || r.Agencies != 1 || r.AgencyID == nil {
		return "", err
	}
	return *r.AgencyID, nil
}
