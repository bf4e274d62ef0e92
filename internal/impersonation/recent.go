package impersonation

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Recent is one of an agency's latest Login As sessions, for its overview.
type Recent struct {
	ID         string    `db:"id"`
	ClientID   string    `db:"client_id"`
	ClientName string    `db:"client_name"`
	UserName   string    `db:"user_name"`
	Reason     string    `db:"reason"`
	StartedAt  time.Time `db:"started_at"`
	EndedAt    db.Time   `db:"ended_at"`
}

// RecentOf lists the latest Login As sessions of the agency rel was
// checked on with authz.AuditRead (its admins, who read its audit log),
// newest first.
func (s *Service) RecentOf(ctx context.Context, rel authz.Relation, limit int) ([]Recent, error) {
	if !rel.Visible() || rel.AccountKind != "agency" || !authz.Allowed(rel.Role, authz.AuditRead) {
		return nil, errs.ErrNotFound
	}
	var out []Recent
	err := s.db.Select(ctx, &out, `SELECT i.id, i.client_id, cl.name AS client_name, u.name AS user_name, i.reason, i.started_at, i.ended_at
		FROM impersonations i JOIN accounts cl ON cl.id = i.client_id JOIN users u ON u.id = i.impersonator_id
		WHERE i.agency_id = ? ORDER BY i.started_at DESC, i.id DESC LIMIT ?`, rel.AccountID, limit)
	return out, err
}
