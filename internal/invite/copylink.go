package invite

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// CopyLink gives a pending invitation a link to copy and share elsewhere
// (seed 002: "copy link" from an e-mail invitation's row). Tokens are kept
// only as hashes, so a link cannot be shown twice: this makes a new
// shareable token, and only that one — the e-mailed link (mail_token_hash)
// and the expiry stay as they were, so the e-mail the person may already
// have keeps working. A link copied earlier stops working. An expired
// invitation must be resent first (409), an accepted or cancelled one is
// over (409).
func (s *Service) CopyLink(ctx context.Context, rel authz.Relation, a *authz.Actor, invID string) (Invitation, error) {
	if !rel.Visible() || a == nil {
		return Invitation{}, errs.ErrNotFound
	}
	var out Invitation
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		r, err := openRow(ctx, tx, now, rel, invID)
		if err != nil {
			return err
		}
		if r.status(now) != Pending {
			return errs.E(errs.Conflict, "invitation_expired", "This invitation has expired: resend it to make a new link.")
		}
		token := id.Secret()
		if _, err := tx.Exec(ctx, `UPDATE invitations SET token_hash = ? WHERE id = ?`, id.Hash(token), invID); err != nil {
			return err
		}
		out = r.view(now)
		out.URL = s.URL(token)
		e := actorEntry(a, "invitation.link", invID, nil, map[string]any{"email": r.Email, "delivery": r.Delivery})
		e.AgencyID = agencyOf(r.sender(), a)
		return auditOn(ctx, tx, now, e, str(r.AgencyID), r.AccountID)
	})
	return out, err
}
