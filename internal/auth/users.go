package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/password"
)

// User is a person who logs in. One user per e-mail address.
type User struct {
	ID         string    `db:"id" json:"id"`
	Email      string    `db:"email" json:"email"`
	Name       string    `db:"name" json:"name"`
	IsOperator bool      `db:"is_operator" json:"is_operator"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

type userRow struct {
	User
	PasswordHash string `db:"password_hash"`
}

// NormalizeEmail trims and lower-cases an address and checks that it is a
// bare address (no display name) of a sane length. The returned form is the
// one stored and compared.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", errs.InvalidField("email", "Enter an e-mail address.")
	}
	if len(s) > 254 || !utf8.ValidString(s) {
		return "", errs.InvalidField("email", "This e-mail address is too long.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", errs.InvalidField("email", "Enter an e-mail address like name@example.com.")
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", errs.InvalidField("email", "Enter an e-mail address like name@example.com.")
	}
	return s, nil
}

// ValidatePersonName trims and checks a person's name.
func ValidatePersonName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errs.InvalidField("name", "Enter your name.")
	}
	if utf8.RuneCountInString(name) > 120 || !utf8.ValidString(name) {
		return "", errs.InvalidField("name", "Use at most 120 characters.")
	}
	return name, nil
}

// insertUser creates a user in the caller's transaction; a taken e-mail is a
// 409 with code email_taken.
//
// verified says whether whoever creates it has proven to control the
// address (see verify.go); an unverified user gets a confirmation e-mail
// from the caller.
func insertUser(ctx context.Context, tx *db.Tx, now time.Time, email, name, hash string, operator, verified bool) (User, error) {
	u := User{ID: id.New(id.User), Email: email, Name: name, IsOperator: operator, CreatedAt: now}
	var verifiedAt any
	if verified {
		verifiedAt = now
	}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, is_operator, created_at, updated_at, email_verified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Email, u.Name, hash, operator, now, now, verifiedAt)
	if errors.Is(err, db.ErrUnique) {
		return u, errs.E(errs.Conflict, "email_taken", "An account with this e-mail address already exists. Log in instead.")
	}
	return u, err
}

func userByEmail(ctx context.Context, q db.Querier, email string) (userRow, error) {
	var u userRow
	err := q.Get(ctx, &u, `SELECT id, email, name, is_operator, created_at, password_hash FROM users WHERE email = ?`, email)
	return u, err
}

// UserByID returns a user.
func UserByID(ctx context.Context, q db.Querier, userID string) (User, error) {
	var u User
	err := q.Get(ctx, &u, `SELECT id, email, name, is_operator, created_at FROM users WHERE id = ?`, userID)
	if errors.Is(err, db.ErrNoRows) {
		return u, errs.ErrNotFound
	}
	return u, err
}

// CountUsers returns how many users exist (zero means first run).
func CountUsers(ctx context.Context, q db.Querier) (int, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM users`)
	return n, err
}

func validatePassword(plain string, u User) error { return password.Validate(plain, u.Email, u.Name) }

// NeedsSetup reports whether no user exists yet (first run: the setup page
// creates the first agency admin).
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := CountUsers(ctx, s.db)
	return n == 0, err
}
