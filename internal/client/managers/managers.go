// Package managers writes client_account_managers: which of an agency's
// admins and account managers are assigned to each of its clients (SPEC
// §1: an account manager sees the clients assigned to them). It belongs
// to the client commands (package client, which assigns them on a client's
// settings) and is a package of its own, holding only these writes, so
// that the other packages whose commands change assignments — link (a
// client an account manager creates, an assignment's end date), agency (a
// member's role change or removal) — call it in their transactions without
// importing client, which imports agency through the client list. Reads
// (authz's visibility, access requests, link's end dates) stay where they
// are.
package managers

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// Assign assigns the user to the agency's client. The caller has checked
// that they are an admin or account manager of the agency (link: the actor
// who creates the client).
func Assign(ctx context.Context, tx *db.Tx, agencyID, clientID, userID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO client_account_managers (agency_id, client_id, user_id) VALUES (?, ?, ?)`,
		agencyID, clientID, userID)
	return err
}

// Replace makes userIDs the client's account managers for the agency,
// instead of the ones it had. Only the agency's admins and account
// managers may be assigned: refused is the first user who is neither (""
// when all are), and the caller must then roll the transaction back.
func Replace(ctx context.Context, tx *db.Tx, agencyID, clientID string, userIDs []string) (refused string, err error) {
	if _, err := tx.Exec(ctx, `DELETE FROM client_account_managers WHERE agency_id = ? AND client_id = ?`, agencyID, clientID); err != nil {
		return "", err
	}
	for _, uid := range userIDs {
		// The SELECT inserts nothing for anyone else.
		res, err := tx.Exec(ctx, `INSERT INTO client_account_managers (agency_id, client_id, user_id)
			SELECT ?, ?, m.user_id FROM memberships m WHERE m.account_id = ? AND m.user_id = ? AND m.role IN ('admin', 'account_manager')`,
			agencyID, clientID, agencyID, uid)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return uid, nil
		}
	}
	return "", nil
}

// Unassign ends one assignment and reports whether there was one (an
// assignment's end date, when it comes: link's job).
func Unassign(ctx context.Context, tx *db.Tx, agencyID, clientID, userID string) (bool, error) {
	res, err := tx.Exec(ctx, `DELETE FROM client_account_managers WHERE agency_id = ? AND client_id = ? AND user_id = ?`,
		agencyID, clientID, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UnassignUser ends every assignment of the user in the agency (they are
// no longer an account manager of it, or no longer in it) and returns the
// clients they were assigned to.
func UnassignUser(ctx context.Context, tx *db.Tx, agencyID, userID string) ([]string, error) {
	var clients []string
	err := tx.Select(ctx, &clients, `DELETE FROM client_account_managers WHERE agency_id = ? AND user_id = ?
		RETURNING client_id`, agencyID, userID)
	return clients, err
}
