package auth

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

var errAccountDisabled = errs.E(errs.Forbidden, "account_disabled",
	"Your account has been disabled by your agency. Contact them to restore your access.")

// refuseDisabled stops the login of a user whose every account is a client
// its agencies have disabled or revoked (SPEC §3: "a disabled client's users
// cannot log in (clear message)"). A user with any other account still logs
// in. The rule is authz.ClientClosed, the same condition that hides the
// account from its members, so login and access cannot disagree.
func refuseDisabled(ctx context.Context, q db.Querier, userID string) error {
	var n struct {
		Total int `db:"total"`
		Open  int `db:"open"`
	}
	err := q.Get(ctx, &n, `SELECT COUNT(*) AS total,
		COALESCE(SUM(CASE WHEN `+authz.ClientClosed("m.account_id")+` THEN 0 ELSE 1 END), 0) AS open
		FROM memberships m WHERE m.user_id = ?`, userID)
	if err != nil {
		return err
	}
	if n.Total > 0 && n.Open == 0 {
		agencyID, err := authz.SoleAgency(ctx, q, userID)
		if err != nil {
			return err
		}
		return &disabledError{agencyID: agencyID}
	}
	return nil
}

// disabledError is errAccountDisabled with the agency whose brand the
// refusal wears (DisabledBrand): the user passed the password check.
type disabledError struct{ agencyID string }

func (e *disabledError) Error() string { return errAccountDisabled.Error() }
func (e *disabledError) Unwrap() error { return errAccountDisabled }

// EndSessionsIn ends, inside the caller's transaction, the sessions whose
// current account is accountID: of userID, or of every member of the
// account when userID is "". The client service calls it when a client is
// disabled or revoked, or a user is removed from it, so that those users'
// open sessions end with the change (SPEC §3).
func EndSessionsIn(ctx context.Context, tx *db.Tx, now time.Time, accountID, userID string) (int64, error) {
	q := `UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND `
	args := []any{now, accountID}
	if userID != "" {
		q += `user_id = ?`
		args = append(args, userID)
	} else {
		q += `user_id IN (SELECT user_id FROM memberships WHERE account_id = ?)`
		args = append(args, accountID)
	}
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
