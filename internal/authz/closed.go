package authz

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// ClientClosed is SPEC §3 "a disabled client's users cannot log in" and §5
// "revoked (the agency removed access)" as one SQL condition, shared by the
// access check (RelationTo), login (auth) and the client service, so that
// the three can never disagree.
//
// It holds for the account whose ID is the SQL expression col when agencies
// manage it through active links and every one of them has disabled or
// revoked it. Only active links count: an agency that was disconnected (or
// whose request is still pending) no longer decides for the client, and a
// client nobody manages is never closed. The agency side is not affected:
// its users still open and manage a closed client.
func ClientClosed(col string) string {
	managed := `SELECT 1 FROM agency_clients cc JOIN links cl ON cl.agency_id = cc.agency_id
		AND cl.client_id = cc.client_id AND cl.status = 'active' WHERE cc.client_id = ` + col
	return `(EXISTS (` + managed + `) AND NOT EXISTS (` + managed + ` AND cc.enabled AND cc.revoked_at IS NULL))`
}

// ClientIsClosed reports whether the client's own users are shut out.
func ClientIsClosed(ctx context.Context, q db.Querier, clientID string) (bool, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM accounts a WHERE a.id = ? AND `+ClientClosed("a.id"), clientID)
	return n > 0, err
}
