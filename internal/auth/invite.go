package auth

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/password"
)

// What the invitation flow (internal/invite) needs from auth: a new
// person's password hashed before its transaction (hashing is slow and
// must not hold the writer), the user created and a session (or, when the
// account joined requires two-factor sign-in, a challenge) started inside
// it, so that accepting an invitation is one transaction.

// NewUser is a person about to be created: validated, password hashed.
type NewUser struct {
	Email, Name, hash string
}

// PrepareUser validates a new person's name and password for email (which
// the caller has normalised) and hashes the password.
func (s *Service) PrepareUser(ctx context.Context, email, name, plain string) (NewUser, error) {
	name, err := ValidatePersonName(name)
	if err != nil {
		return NewUser{}, err
	}
	if err := password.Validate(plain, email, name); err != nil {
		return NewUser{}, err
	}
	hash, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return NewUser{}, err
	}
	return NewUser{Email: email, Name: name, hash: hash}, nil
}

// CreateUser inserts a prepared user in the caller's transaction (409
// email_taken when the address has a user). verified says that the person
// came through a link only the address's owner received (the invitation's
// e-mail); otherwise the user is unverified, and the caller sends the
// confirmation e-mail (IssueVerification) in the same transaction once the
// user's membership is written, so that it wears the agency's brand.
func CreateUser(ctx context.Context, tx *db.Tx, now time.Time, u NewUser, verified bool) (User, error) {
	return insertUser(ctx, tx, now, u.Email, u.Name, u.hash, false, verified)
}

// StartSession starts a session for u in accountID inside the caller's
// transaction.
func (s *Service) StartSession(ctx context.Context, tx *db.Tx, now time.Time, u User, accountID, ip, ua string) (Login, error) {
	return s.startSession(ctx, tx, now, u, accountID, ip, ua)
}

// StartSessionOrChallenge signs in a person who just joined accountID,
// inside the caller's transaction and after their membership is written:
// the rule of a login decides (secondFactor), so that joining an account
// that requires two-factor sign-in answers its challenge (method
// totp_setup for someone without one) and no session, as the login would.
// With a challenge, Login.Challenge is set, Token is empty, and nothing is
// recorded yet: the login is recorded (Hooks.LoggedIn) when the challenge
// completes (CompleteLogin), in the user's oldest account, which for a new
// person is the one joined. Without one, it is StartSession: the caller
// records the login as it does today.
func (s *Service) StartSessionOrChallenge(ctx context.Context, tx *db.Tx, now time.Time, u User, accountID, ip, ua string) (Login, error) {
	ch, err := s.issueChallenge(ctx, tx, now, u, ip, ua)
	if err != nil || ch != nil {
		return Login{User: u, Challenge: ch}, err
	}
	return s.startSession(ctx, tx, now, u, accountID, ip, ua)
}

// UserIDByEmail returns the ID of the user with a (normalised) address, or
// "" when there is none.
func UserIDByEmail(ctx context.Context, q db.Querier, email string) (string, error) {
	var uid string
	err := q.Get(ctx, &uid, `SELECT id FROM users WHERE email = ?`, email)
	if errors.Is(err, db.ErrNoRows) {
		return "", nil
	}
	return uid, err
}
