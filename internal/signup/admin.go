package signup

import (
	"context"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/password"
)

// AdminInput is what `liaison admin create` is given.
type AdminInput struct {
	Email, Name, Agency, Password string
}

// AdminCreated reports what CreateAdmin made. ResetURL is set when no
// password was given: the admin chooses one through that link.
type AdminCreated struct {
	User     auth.User
	Agency   account.Account
	ResetURL string
}

// CreateAdmin creates an agency and its admin from the shell. The first user
// ever created is also the instance operator, as with first-run setup.
func (s *Service) CreateAdmin(ctx context.Context, in AdminInput) (AdminCreated, error) {
	var out AdminCreated
	name, err := auth.ValidatePersonName(in.Name)
	if err != nil {
		return out, err
	}
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return out, err
	}
	agency, err := account.ValidateName("agency", in.Agency)
	if err != nil {
		return out, err
	}
	plain := in.Password
	if plain == "" {
		plain = id.Secret() // unusable until reset; nobody ever sees it
	} else if err := password.Validate(plain, email, name); err != nil {
		return out, err
	}
	nu, err := s.auth.PrepareUser(ctx, email, name, plain)
	if err != nil {
		return out, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		n, err := auth.CountUsers(ctx, tx)
		if err != nil {
			return err
		}
		if out.User, err = auth.CreateUserAs(ctx, tx, now, nu, n == 0, true); err != nil {
			return err
		}
		if out.Agency, err = account.Create(ctx, tx, now, account.Agency, agency); err != nil {
			return err
		}
		if err := account.AddMember(ctx, tx, now, out.Agency.ID, out.User.ID, "admin"); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: out.Agency.ID, ActorID: out.User.ID, Action: "account.create",
			TargetID: out.Agency.ID, IP: "cli", After: map[string]any{"name": agency, "kind": account.Agency, "admin": email}}); err != nil {
			return err
		}
		if in.Password == "" {
			if out.ResetURL, err = s.auth.IssueAdminReset(ctx, tx, now, out.User); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
