package account

import (
	"context"
	"slices"

	"github.com/liaison-dev/liaison/internal/db"
)

// NonMembers returns the IDs among userIDs that are not members of the
// account, in the caller's order, at most five and then "…": groups of an
// agency and of a client take only the account's own users, and their
// messages name only IDs the caller gave, so nothing is told about other
// tenants.
func NonMembers(ctx context.Context, q db.Querier, accountID string, userIDs []string) ([]string, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	query, args, err := db.In(`SELECT user_id FROM memberships WHERE account_id = ? AND user_id IN (?)`, accountID, userIDs)
	if err != nil {
		return nil, err
	}
	var found []string
	if err := q.Select(ctx, &found, query, args...); err != nil {
		return nil, err
	}
	if len(found) == len(userIDs) {
		return nil, nil
	}
	var missing []string
	for _, u := range userIDs {
		if !slices.Contains(found, u) {
			missing = append(missing, u)
		}
	}
	if len(missing) > 5 {
		missing = append(missing[:5], "…")
	}
	return missing, nil
}
