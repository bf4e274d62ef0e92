package report

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// MayExport reports whether the agency lets the client's users export its
// reports (can_export): the rule Export applies, for the scheduled
// e-mails that attach the PDF only when the recipient could download it.
func MayExport(ctx context.Context, q db.Querier, agencyID, clientID string) (bool, error) {
	return mayExport(ctx, q, agencyID, clientID)
}
