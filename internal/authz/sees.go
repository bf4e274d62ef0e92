package authz

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// SeesClient reports whether an agency user sees a client through that
// agency's active link, by the one rule of visibleVia, read in q (a
// transaction sees its own uncommitted change of the link's access). A
// change of access uses it to end the Login As sessions of those who lost
// sight of the client, in the same transaction.
func SeesClient(ctx context.Context, q db.Querier, agencyID, clientID, userID string) (bool, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM links l JOIN memberships m ON m.account_id = l.agency_id AND m.user_id = ?
		WHERE l.agency_id = ? AND l.client_id = ? AND l.status = 'active' AND `+visibleVia, userID, agencyID, clientID)
	return n > 0, err
}
