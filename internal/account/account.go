// Package account holds accounts (agencies and clients) and the memberships
// that tie users to them.
package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Kinds of account.
const (
	Agency = "agency"
	Client = "client"
)

// Account is an agency or a client. Its ID is the public, shareable account ID.
type Account struct {
	ID        string    `db:"id" json:"id"`
	Kind      string    `db:"kind" json:"kind" enum:"agency,client"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Ref is the short form of an account used in memberships.
type Ref struct {
	ID   string `db:"id" json:"id"`
	Kind string `db:"kind" json:"kind" enum:"agency,client"`
	Name string `db:"name" json:"name"`
}

// Membership is a user's role in one account.
type Membership struct {
	Account Ref    `json:"account"`
	Role    string `json:"role" enum:"admin,account_manager,member,viewer"`
}

// ValidateName trims and checks an account name.
func ValidateName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errs.InvalidField(field, "Enter a name.")
	}
	if utf8.RuneCountInString(name) > 120 {
		return "", errs.InvalidField(field, "Use at most 120 characters.")
	}
	return name, nil
}

// ValidKind reports whether kind is agency or client.
func ValidKind(kind string) bool { return kind == Agency || kind == Client }

// Create inserts a new account in the caller's transaction.
func Create(ctx context.Context, tx *db.Tx, now time.Time, kind, name string) (Account, error) {
	if !ValidKind(kind) {
		return Account{}, errs.InvalidField("account_kind", "Choose agency or client.")
	}
	a := Account{ID: id.New(id.Account), Kind: kind, Name: name, CreatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		a.ID, a.Kind, a.Name, now, now)
	return a, err
}

// AddMember makes the user a member of the account with the role.
func AddMember(ctx context.Context, tx *db.Tx, now time.Time, accountID, userID, role string) error {
	_, err := tx.Exec(ctx, `INSERT INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		accountID, userID, role, now)
	if errors.Is(err, db.ErrUnique) {
		return errs.E(errs.Conflict, "already_member", "This user is already a member of the account.")
	}
	return err
}

// Get returns an account by ID. Callers must have checked access (authz).
func Get(ctx context.Context, q db.Querier, accountID string) (Account, error) {
	var a Account
	err := q.Get(ctx, &a, `SELECT id, kind, name, created_at FROM accounts WHERE id = ?`, accountID)
	if errors.Is(err, db.ErrNoRows) {
		return a, errs.ErrNotFound
	}
	return a, err
}

// MembershipsOf lists the accounts a user belongs to, by name.
func MembershipsOf(ctx context.Context, q db.Querier, userID string) ([]Membership, error) {
	var rows []struct {
		Ref
		Role string `db:"role"`
	}
	err := q.Select(ctx, &rows, `SELECT a.id, a.kind, a.name, m.role FROM memberships m
		JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ? ORDER BY a.name, a.id`, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{Account: r.Ref, Role: r.Role}
	}
	return out, nil
}

// Service reads accounts for the API, scoped by the caller's checked relation.
type Service struct{ db *db.DB }

// NewService returns the account service.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// Get returns the account the relation was checked against. A zero relation
// (no check was made) finds nothing.
func (s *Service) Get(ctx context.Context, rel authz.Relation) (Account, error) {
	if !rel.Visible() {
		return Account{}, errs.ErrNotFound
	}
	return Get(ctx, s.db, rel.AccountID)
}

// Admin is an admin of an account as e-mails address them.
type Admin struct {
	ID    string `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
}

// Admins lists the admins of an account, the people who answer for it (and
// who get its notices), by e-mail.
func Admins(ctx context.Context, q db.Querier, accountID string) ([]Admin, error) {
	var out []Admin
	err := q.Select(ctx, &out, `SELECT u.id, u.email, u.name FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = ? AND m.role = 'admin' ORDER BY u.email`, accountID)
	return out, err
}
