package client

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

// PortalBrands lists the brands a client's own users see in their portal:
// those granted to the client by the agencies that manage it through an
// active link (SPEC §7: a client sees only the brands it was granted). rel
// is the client user's checked relation to their own account.
func (s *Service) PortalBrands(ctx context.Context, rel authz.Relation) ([]ClientBrand, error) {
	if !clientRel(rel) || !ownSide(rel) {
		return nil, errs.ErrNotFound
	}
	out := []ClientBrand{}
	err := s.read.Select(ctx, &out, `SELECT b.id, b.name FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
		WHERE cb.client_id = ? AND EXISTS (SELECT 1 FROM links l WHERE l.agency_id = b.agency_id
			AND l.client_id = cb.client_id AND l.status = 'active')
		ORDER BY b.name, b.id`, rel.AccountID)
	return out, err
}
