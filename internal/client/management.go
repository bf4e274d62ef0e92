package client

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// The agency_clients table (an agency's management of a client: seats,
// enabled, permissions, revocation) is this package's: link and invite
// write it through these functions, in their transactions (issue 22: one
// package writes each table).

// CreateManagement writes the management row of a client just made by an
// agency (link.CreateLinkedClient). seats 0 is unlimited.
func CreateManagement(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID string, seats int, enabled bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, seats, enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, agencyID, clientID, seats, enabled, now, now)
	return err
}

// EnsureManagement writes a default management row when a link becomes
// active, and keeps an existing one: the agency's management of the client
// (seats, permissions, account managers) survives a disconnect, so a
// re-link finds it.
func EnsureManagement(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (agency_id, client_id) DO NOTHING`, agencyID, clientID, now, now)
	return err
}

// LiftRevocation lifts an agency's revocation of a client (an invitation
// that reinstates it); the caller records it as Restore does.
func LiftRevocation(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID string) error {
	_, err := tx.Exec(ctx, `UPDATE agency_clients SET revoked_at = NULL, updated_at = ? WHERE agency_id = ? AND client_id = ?`,
		now, agencyID, clientID)
	return err
}

// SeatLimit locks the agency_clients rows of the agencies that manage the
// client through active links (a no-op UPDATE: row locks on PostgreSQL;
// SQLite has one writer) and returns the smallest seat limit among them, 0
// when none sets one. Everything that counts seats runs after it in the
// same transaction, so two invitations or acceptances of one client cannot
// both take the last seat.
func SeatLimit(ctx context.Context, tx *db.Tx, clientID string) (int, error) {
	const managing = `agency_id IN (SELECT agency_id FROM links WHERE client_id = ? AND status = 'active')`
	if _, err := tx.Exec(ctx, `UPDATE agency_clients SET updated_at = updated_at WHERE client_id = ? AND `+managing,
		clientID, clientID); err != nil {
		return 0, err
	}
	var limit int
	err := tx.Get(ctx, &limit, `SELECT COALESCE(MIN(seats), 0) FROM agency_clients WHERE client_id = ? AND seats > 0 AND `+managing,
		clientID, clientID)
	return limit, err
}
