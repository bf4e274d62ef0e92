package link

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/client/managers"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// LinkedClient is a client account to create linked to its agency from the
// start.
type LinkedClient struct {
	Name      string
	Seats     int  // 0: unlimited
	Enabled   bool // the agency's enabled flag
	AccessAll bool // the link's "entire agency" access
}

// CreateLinkedClient is the one way a client account is made already linked
// to the agency of rel (SPEC §2: an agency-created client, and the account
// of a client invitation to a new client), in the caller's transaction: the
// account, the active link decided by the actor, the agency's management
// row, and — when the actor is an account manager — their assignment, or
// they could not see what they just made. Brands, access lists, audit
// entries and billing are the caller's.
func CreateLinkedClient(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation, actorID string, c LinkedClient) (account.Account, string, error) {
	agencyID := rel.AccountID
	acc, err := account.Create(ctx, tx, now, account.Client, c.Name)
	if err != nil {
		return account.Account{}, "", err
	}
	linkID := id.New(id.Link)
	if _, err := tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, requested_by,
		access_all, created_at, decided_at, decided_by) VALUES (?, ?, ?, 'active', 'agency', ?, ?, ?, ?, ?)`,
		linkID, agencyID, acc.ID, actorID, c.AccessAll, now, now, actorID); err != nil {
		return account.Account{}, "", err
	}
	if err := client.CreateManagement(ctx, tx, now, agencyID, acc.ID, c.Seats, c.Enabled); err != nil {
		return account.Account{}, "", err
	}
	if rel.Role == authz.AgencyAccountManager {
		if err := managers.Assign(ctx, tx, agencyID, acc.ID, actorID); err != nil {
			return account.Account{}, "", err
		}
	}
	return acc, linkID, nil
}

// EndActive disconnects the agency's active link to a client it made, in
// the caller's transaction (an invitation to a new client cancelled before
// anyone joined: invite.Cancel); the caller audits it.
func EndActive(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID, byUserID string) error {
	_, err := tx.Exec(ctx, `UPDATE links SET status = 'disconnected', ended_at = ?, ended_by = ?
		WHERE agency_id = ? AND client_id = ? AND status = 'active'`, now, byUserID, agencyID, clientID)
	return err
}
