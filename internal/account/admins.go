package account

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The last-admin rule, for agencies and clients alike: nobody demotes or
// removes an account's last admin (409 last_admin). The guard is part of
// the one statement that changes the membership, so the rule holds however
// the callers serialise; they also lock the account's admins (or the
// account) first, so two admins demoting each other at once run one after
// the other and the second finds the first's change.
const otherAdminRemains = ` AND (role <> 'admin' OR EXISTS (SELECT 1 FROM memberships o
	WHERE o.account_id = memberships.account_id AND o.role = 'admin' AND o.user_id <> memberships.user_id))`

// LastAdmin is the error of a change that would leave the account of that
// kind without an admin.
func LastAdmin(kind string) error {
	if kind == Agency {
		return errs.E(errs.Conflict, "last_admin", "An agency needs at least one admin: make someone else an admin first.")
	}
	return errs.E(errs.Conflict, "last_admin", "An account needs at least one admin: make someone else admin first.")
}

// SetRole gives a member of the account (of that kind) another role in the
// caller's transaction, unless it would leave the account without an
// admin. The caller has checked that the user is a member.
func SetRole(ctx context.Context, tx *db.Tx, kind, accountID, userID, role string) error {
	res, err := tx.Exec(ctx, `UPDATE memberships SET role = ? WHERE account_id = ? AND user_id = ?`+otherAdminRemains,
		role, accountID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return LastAdmin(kind)
	}
	return nil
}

// RemoveMember takes a member out of the account (of that kind) in the
// caller's transaction, unless they are its last admin.
func RemoveMember(ctx context.Context, tx *db.Tx, kind, accountID, userID string) error {
	res, err := tx.Exec(ctx, `DELETE FROM memberships WHERE account_id = ? AND user_id = ?`+otherAdminRemains, accountID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return LastAdmin(kind)
	}
	return nil
}

// LockAdmins takes the admin memberships of the account for the rest of the
// transaction (a no-op UPDATE locks the rows on PostgreSQL; SQLite has one
// writer). Two admins demoting each other at once then run one after the
// other, and the second sees the first's change: the last admin stays.
func LockAdmins(ctx context.Context, tx *db.Tx, accountID string) error {
	_, err := tx.Exec(ctx, `UPDATE memberships SET role = role WHERE account_id = ? AND role = 'admin'`, accountID)
	return err
}
