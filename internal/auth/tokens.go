package auth

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/ratelimit"
)

// TokenPrefix marks Liaison API tokens so that secret scanners and people can
// recognise one in a log or a commit.
const TokenPrefix = "lia_"

// APIToken is a personal API token. Token is set only in the answer to its
// creation: the server keeps only its hash.
type APIToken struct {
	ID         string     `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	Token      string     `db:"-" json:"token,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

// CreateToken makes a new API token for the actor.
func (s *Service) CreateToken(ctx context.Context, a *authz.Actor, name string) (APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return APIToken{}, errs.InvalidField("name", "Give the token a name of 1 to 80 characters.")
	}
	if a.ImpersonatorID != "" {
		return APIToken{}, errs.E(errs.Forbidden, "impersonation_forbidden", "API tokens cannot be created while impersonating.")
	}
	if err := s.limiter.Hit(ctx, ratelimit.TokenCreate, a.UserID); err != nil {
		return APIToken{}, err
	}
	secret := TokenPrefix + id.Secret()
	t := APIToken{ID: id.New(id.Token), Name: name, Token: secret}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		t.CreatedAt = now
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.ID, a.UserID, name, id.Hash(secret), now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, Action: "token.create", TargetID: t.ID, IP: a.IP, After: map[string]any{"name": name}})
		return err
	})
	return t, err
}

// Tokens lists the actor's live API tokens.
func (s *Service) Tokens(ctx context.Context, a *authz.Actor) ([]APIToken, error) {
	var out []APIToken
	err := s.db.Select(ctx, &out, `SELECT id, name, created_at, last_used_at FROM api_tokens
		WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id`, a.UserID)
	return out, err
}

// RevokeToken revokes one of the actor's tokens.
func (s *Service) RevokeToken(ctx context.Context, a *authz.Actor, tokenID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, now, tokenID, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, Action: "token.revoke", TargetID: tokenID, IP: a.IP})
		return err
	})
}

var errBadToken = errs.E(errs.Unauthorized, "invalid_token", "This API token is not valid.")

// AuthenticateToken returns the actor of a bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, secret, ip string) (*authz.Actor, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return nil, errBadToken
	}
	var r struct {
		ID            string    `db:"id"`
		UserID        string    `db:"user_id"`
		LastUsedAt    db.Time   `db:"last_used_at"`
		Email         string    `db:"email"`
		Name          string    `db:"name"`
		IsOperator    bool      `db:"is_operator"`
		UserCreatedAt time.Time `db:"user_created_at"`
		EmailVerified bool      `db:"email_verified"`
	}
	err := s.db.Get(ctx, &r, `SELECT t.id, t.user_id, t.last_used_at, u.email, u.name, u.is_operator, u.created_at AS user_created_at,
		u.email_verified_at IS NOT NULL AS email_verified FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`, id.Hash(secret))
	if errors.Is(err, db.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !r.LastUsedAt.Valid || now.Sub(r.LastUsedAt.Time) >= touchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, r.ID); err != nil {
			s.log.Warn("touch token", "err", err)
		}
	}
	return &authz.Actor{UserID: r.UserID, Email: r.Email, Name: r.Name, IsOperator: r.IsOperator,
		UserCreatedAt: r.UserCreatedAt, EmailVerified: r.EmailVerified, TokenID: r.ID, IP: ip}, nil
}
