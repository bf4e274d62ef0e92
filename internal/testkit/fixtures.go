package testkit

import (
	"context"
	"net/http"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/db"
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
