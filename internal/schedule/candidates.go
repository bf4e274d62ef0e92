package schedule

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
)

// Candidate is a user who may be chosen as a recipient of a brand's
// report: an agency user (ClientID empty) or a user of a client that has
// the brand.
type Candidate struct {
	UserID     string `json:"user_id" db:"user_id"`
	Name       string `json:"name" db:"name"`
	Email      string `json:"email" db:"email"`
	Role       string `json:"role" db:"role"`
	ClientID   string `json:"client_id,omitempty" db:"client_id"`
	ClientName string `json:"client_name,omitempty" db:"client_name"`
}

// ClientChoice is a client that has the brand ("every admin of").
type ClientChoice struct {
	ID   string `json:"id" db:"id"`
	Name string `json:"name" db:"name"`
}

// Candidates are whom a schedule of a brand's report may name.
type Candidates struct {
	Agency  []Candidate    `json:"agency_users"`
	Client  []Candidate    `json:"client_users"`
	Clients []ClientChoice `json:"clients"`
}

func (c Candidates) index() (map[string]Candidate, map[string]string) {
	people := make(map[string]Candidate, len(c.Agency)+len(c.Client))
	for _, p := range c.Client {
		people[p.UserID] = p
	}
	for _, p := range c.Agency { // an agency user who is also a client's: shown as the agency's
		people[p.UserID] = p
	}
	clients := make(map[string]string, len(c.Clients))
	for _, cl := range c.Clients {
		clients[cl.ID] = cl.Name
	}
	return people, clients
}

// Candidates lists the agency's users, the clients that have the brand
// (through an active link with the agency) and their users, by name.
func (s *Service) Candidates(ctx context.Context, rel authz.Relation, brandID string) (Candidates, error) {
	var out Candidates
	if err := manages(rel); err != nil || rel.BrandID != brandID {
		return out, errNotFoundIf(err)
	}
	agencyID := rel.AccountID
	if err := s.db.Select(ctx, &out.Agency, `SELECT u.id AS user_id, u.name, u.email, m.role, '' AS client_id, '' AS client_name
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ? ORDER BY u.name, u.id`, agencyID); err != nil {
		return out, err
	}
	if err := s.db.Select(ctx, &out.Clients, `SELECT c.id, c.name FROM client_brands cb
		JOIN links l ON l.agency_id = ? AND l.client_id = cb.client_id AND l.status = 'active'
		JOIN accounts c ON c.id = cb.client_id WHERE cb.brand_id = ? ORDER BY c.name, c.id`, agencyID, brandID); err != nil {
		return out, err
	}
	if err := s.db.Select(ctx, &out.Client, `SELECT u.id AS user_id, u.name, u.email, m.role, c.id AS client_id, c.name AS client_name
		FROM client_brands cb JOIN links l ON l.agency_id = ? AND l.client_id = cb.client_id AND l.status = 'active'
		JOIN accounts c ON c.id = cb.client_id JOIN memberships m ON m.account_id = cb.client_id JOIN users u ON u.id = m.user_id
		WHERE cb.brand_id = ? ORDER BY c.name, u.name, u.id`, agencyID, brandID); err != nil {
		return out, err
	}
	if out.Agency == nil {
		out.Agency = []Candidate{}
	}
	if out.Client == nil {
		out.Client = []Candidate{}
	}
	if out.Clients == nil {
		out.Clients = []ClientChoice{}
	}
	return out, nil
}

func errNotFoundIf(err error) error {
	if err != nil {
		return err
	}
	return errNotFound
}
