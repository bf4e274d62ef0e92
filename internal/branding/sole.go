package branding

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
)

// ForUser is the brand of authz.SoleAgency (the plain portal when there
// is none).
func (s *Service) ForUser(ctx context.Context, userID string) (Brand, error) {
	agencyID, err := authz.SoleAgency(ctx, s.db, userID)
	if err != nil || agencyID == "" {
		return s.Plain(), err
	}
	return s.For(ctx, agencyID)
}
