package testkit

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// AddMember makes an existing user a member of an account with a role,
// straight in the database. Tests use it until the invitation flow exists
// for the role they need.
func (s *Server) AddMember(t testing.TB, accountID, userID, role string) {
	t.Helper()
	err := s.DB.InTx(context.Background(), func(tx *db.Tx) error {
		return account.AddMember(context.Background(), tx, s.Now(), accountID, userID, role)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Token creates an API token for the logged-in client and returns a new
// client that uses it as a bearer.
func (c *APIClient) Token(t testing.TB) *APIClient {
	t.Helper()
	r := c.Must(t, http.StatusCreated, "POST", "/api/v1/tokens", map[string]any{"name": "test"})
	return &APIClient{S: c.S, HTTP: c.S.Client(), Bearer: r.Body["token"].(string), Header: http.Header{}}
}

// LinkFixture describes a link to insert straight into the database.
type LinkFixture struct {
	AgencyID, ClientID string
	Status             string // default active
	InitiatedBy        string // default agency
	AccessAll          bool
	AccessUsers        []string
	AccessGroups       []string
	AccountManagers    []string
}

// AddLink inserts a link (and, for an active one, the agency's client row)
// and returns its ID. Tests use it to set up visibility without going
// through the link-request flow.
func (s *Server) AddLink(t testing.TB, f LinkFixture) string {
	t.Helper()
	if f.Status == "" {
		f.Status = "active"
	}
	if f.InitiatedBy == "" {
		f.InitiatedBy = "agency"
	}
	linkID := id.New(id.Link)
	ctx := context.Background()
	now := s.Now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, access_all, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, linkID, f.AgencyID, f.ClientID, f.Status, f.InitiatedBy, f.AccessAll, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (agency_id, client_id) DO NOTHING`, f.AgencyID, f.ClientID, now, now); err != nil {
			return err
		}
		for _, u := range f.AccessUsers {
			if _, err := tx.Exec(ctx, `INSERT INTO link_access_users (link_id, user_id) VALUES (?, ?)`, linkID, u); err != nil {
				return err
			}
		}
		for _, g := range f.AccessGroups {
			if _, err := tx.Exec(ctx, `INSERT INTO link_access_groups (link_id, group_id) VALUES (?, ?)`, linkID, g); err != nil {
				return err
			}
		}
		for _, u := range f.AccountManagers {
			if _, err := tx.Exec(ctx, `INSERT INTO client_account_managers (agency_id, client_id, user_id) VALUES (?, ?, ?)`, f.AgencyID, f.ClientID, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return linkID
}

// AddGroup inserts an agency group with members and returns its ID.
func (s *Server) AddGroup(t testing.TB, agencyID, name string, members ...string) string {
	t.Helper()
	gid := id.New(id.Group)
	ctx := context.Background()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agency_groups (id, agency_id, name, name_key, created_at) VALUES (?, ?, ?, ?, ?)`,
			gid, agencyID, name, strings.ToLower(name), s.Now()); err != nil {
			return err
		}
		for _, u := range members {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, gid, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return gid
}

// AddBrand inserts a brand of an agency and returns its ID.
func (s *Server) AddBrand(t testing.TB, agencyID, name string) string {
	t.Helper()
	bid := id.New(id.Brand)
	ctx := context.Background()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			bid, agencyID, name, strings.ToLower(name), s.Now(), s.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return bid
}

// AddDomain gives the agency a custom domain in the status (verified,
// pending, lost) as if just checked: the hourly re-check, which may run as
// the server starts, leaves a domain checked within the day alone instead
// of asking the system's DNS (and marking it lost) halfway through a test.
func (s *Server) AddDomain(t testing.TB, agencyID, domain, status string) {
	t.Helper()
	now := s.Now()
	if _, err := s.DB.Exec(context.Background(), `INSERT INTO custom_domains (domain, agency_id, token, status, created_at, verified_at, checked_at, last_error)
		VALUES (?, ?, 'liaison-verify=x', ?, ?, ?, ?, '')`, domain, agencyID, status, now, now, now); err != nil {
		t.Fatal(err)
	}
}
