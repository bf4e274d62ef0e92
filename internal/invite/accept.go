package invite

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Lookup is what an invitation's pages need to know about its token, and
// nothing more: who it is for, into what, branded as whom, and whether the
// address already has a user (then the page asks to log in, not to sign up).
type Lookup struct {
	Status      string     `json:"status" enum:"pending"`
	Kind        string     `json:"kind" enum:"client,team,staff"`
	Email       string     `json:"email"`
	Role        string     `json:"role" enum:"admin,account_manager,member,viewer"`
	AccountName string     `json:"account_name"`
	Message     string     `json:"message"`
	ExpiresAt   *time.Time `json:"expires_at"`
	UserExists  bool       `json:"user_exists"`
	Branding    Branding   `json:"branding"`
}

var errNoInvitation = errs.E(errs.NotFound, "invitation_not_found",
	"This invitation link is not valid. Check that you copied all of it, or ask for a new invitation.")

// gone is the error for an invitation that can no longer be accepted.
func gone(status string) error {
	switch status {
	case Accepted:
		return errs.E(errs.Gone, "invitation_used", "This invitation has already been accepted. Log in to continue.")
	case Cancelled:
		return errs.E(errs.Gone, "invitation_cancelled", "This invitation was cancelled. Ask for a new one if you still need access.")
	case Expired:
		return errs.E(errs.Gone, "invitation_expired", "This invitation has expired. Ask whoever invited you to send it again.")
	}
	return nil
}

// byToken finds the invitation of a token: by its hash, which an index
// finds, then compared again in constant time. An e-mail invitation has two
// tokens: the one its e-mail carries (mail_token_hash), which only the
// address's owner receives, and the copyable link the inviter sees
// (token_hash). viaMail tells which one this is: accepting through the
// e-mailed one proves the address (auth/verify.go).
func byToken(ctx context.Context, q db.Querier, token string) (r row, viaMail bool, err error) {
	if token == "" || len(token) > 128 {
		return row{}, false, errNoInvitation
	}
	hash := id.Hash(token)
	var m struct {
		ID       string  `db:"id"`
		Hash     string  `db:"token_hash"`
		MailHash *string `db:"mail_token_hash"`
	}
	err = q.Get(ctx, &m, `SELECT id, token_hash, mail_token_hash FROM invitations WHERE token_hash = ?
		UNION ALL SELECT id, token_hash, mail_token_hash FROM invitations WHERE mail_token_hash = ?`, hash, hash)
	if err == nil {
		viaMail = m.MailHash != nil && id.Equal(*m.MailHash, hash)
		if !viaMail && !id.Equal(m.Hash, hash) {
			err = db.ErrNoRows
		}
	}
	if errors.Is(err, db.ErrNoRows) {
		return row{}, false, errNoInvitation
	}
	if err != nil {
		return row{}, false, err
	}
	r, err = get(ctx, q, m.ID)
	return r, viaMail, err
}

// LookupToken answers GET /invitations/lookup: 404 for an unknown token,
// 410 for one that can no longer be accepted.
func (s *Service) LookupToken(ctx context.Context, token string) (Lookup, error) {
	r, _, err := byToken(ctx, s.db, token)
	if err != nil {
		return Lookup{}, err
	}
	if err := gone(r.status(s.now())); err != nil {
		return Lookup{}, err
	}
	uid, err := auth.UserIDByEmail(ctx, s.db, r.Email)
	if err != nil {
		return Lookup{}, err
	}
	b, err := Brand(ctx, s.db, str(r.AgencyID))
	if err != nil {
		return Lookup{}, err
	}
	return Lookup{Status: Pending, Kind: r.Kind, Email: r.Email, Role: r.Role, AccountName: r.AccountName,
		Message: r.Message, ExpiresAt: r.ExpiresAt.Ptr(), UserExists: uid != "", Branding: b}, nil
}

// AcceptInput is an acceptance: the token, and for a new person their name
// and password. Actor is the logged-in user, if any.
type AcceptInput struct {
	Token, Name, Password string
	Actor                 *authz.Actor
	IP, UserAgent         string
}

// Acceptance is the outcome: the user, the account joined, and for a new
// person their first session.
type Acceptance struct {
	User     auth.User       `json:"user"`
	Account  account.Account `json:"account"`
	Role     string          `json:"role" enum:"admin,account_manager,member,viewer"`
	Branding Branding        `json:"branding"`
	// SecondFactor is set, with no session, when the person signed up and
	// the account joined requires two-factor sign-in (issue 21): they set
	// it up through the login's second step, which opens the session.
	SecondFactor *auth.Challenge `json:"second_factor,omitempty" doc:"202: the account joined requires two-factor sign-in, and the new person has no session yet: set it up with this challenge (POST /api/v1/login/second-factor/setup, then POST /api/v1/login/second-factor)"`
	// Login is the new session of a person who signed up (nil for a
	// logged-in user, whose session goes on); with SecondFactor, it has
	// only the challenge and no session.
	Login *auth.Login `json:"-"`
}

var errLoginRequired = errs.E(errs.Unauthorized, "login_required",
	"An account with this e-mail address already exists. Log in to accept the invitation.")

// Accept accepts an invitation. A logged-in user accepts with their own
// address only; without a login, an address that has a user must log in
// first (401 login_required), and a new address signs up with a name and a
// password. Everything happens in one transaction: the single-use UPDATE
// (pending → accepted; a second acceptance finds nothing to update, 410),
// the revocation rule, the user, the membership, the seat rule under the
// client's lock (422 no_seats), the audit entries and the session — or,
// for a new person joining an account that requires two-factor sign-in,
// the challenge that sets it up (Acceptance.SecondFactor) in its place.
func (s *Service) Accept(ctx context.Context, in AcceptInput) (Acceptance, error) {
	r, viaMail, err := byToken(ctx, s.db, in.Token)
	if err != nil {
		return Acceptance{}, err
	}
	if err := gone(r.status(s.now())); err != nil {
		return Acceptance{}, err
	}
	var newUser *auth.NewUser
	if in.Actor != nil {
		if in.Actor.Email != r.Email {
			return Acceptance{}, errs.E(errs.Conflict, "email_mismatch",
				"This invitation is for %s. Log in with that address to accept it.", r.Email)
		}
	} else {
		uid, err := auth.UserIDByEmail(ctx, s.db, r.Email)
		if err != nil {
			return Acceptance{}, err
		}
		if uid != "" {
			return Acceptance{}, errLoginRequired
		}
		nu, err := s.auth.PrepareUser(ctx, r.Email, in.Name, in.Password)
		if err != nil {
			return Acceptance{}, err
		}
		newUser = &nu
	}
	var out Acceptance
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		limit := 0
		if r.Kind != KindStaff {
			if limit, err = client.SeatLimit(ctx, tx, r.AccountID); err != nil {
				return err
			}
		}
		tokenColumn := "token_hash"
		if viaMail {
			tokenColumn = "mail_token_hash"
		}
		res, err := tx.Exec(ctx, `UPDATE invitations SET status = 'accepted', decided_at = ?
			WHERE id = ? AND `+tokenColumn+` = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)`,
			now, r.ID, id.Hash(in.Token), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := get(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			if e := gone(cur.status(now)); e != nil {
				return e
			}
			return errNoInvitation // resent meanwhile: this token is dead
		}
		var user auth.User
		if newUser != nil {
			if user, err = auth.CreateUser(ctx, tx, now, *newUser, viaMail); err != nil {
				if errs.KindOf(err) == errs.Conflict {
					return errLoginRequired // signed up meanwhile
				}
				return err
			}
		} else {
			if user, err = auth.UserByID(ctx, tx, in.Actor.UserID); err != nil {
				return err
			}
			if err := joinByAddress(ctx, tx, now, user.ID, viaMail); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET accepted_by = ? WHERE id = ?`, user.ID, r.ID); err != nil {
			return err
		}
		if err := s.reinstate(ctx, tx, r); err != nil {
			return err
		}
		if err := account.AddMember(ctx, tx, now, r.AccountID, user.ID, r.Role); err != nil {
			return err
		}
		if newUser != nil && !viaMail {
			if err := s.auth.IssueVerification(ctx, tx, now, user, in.IP); err != nil {
				return err
			}
		}
		if limit > 0 {
			var members int
			if err := tx.Get(ctx, &members, `SELECT COUNT(*) FROM memberships WHERE account_id = ?`, r.AccountID); err != nil {
				return err
			}
			if members > limit {
				return errNoSeats
			}
		}
		e := audit.Entry{ActorID: user.ID, IP: in.IP, Action: "invitation.accept", TargetID: r.ID,
			Before: map[string]any{"status": Pending},
			After:  map[string]any{"status": Accepted, "user_id": user.ID, "email": user.Email, "role": r.Role, "new_user": newUser != nil}}
		if in.Actor != nil {
			e.ImpersonatorID = in.Actor.ImpersonatorID
		}
		e.AgencyID = agencyOf(r.sender(), in.Actor)
		if err := auditOn(ctx, tx, now, e, str(r.AgencyID), r.AccountID); err != nil {
			return err
		}
		if err := billing.Sync(ctx, tx, now, str(r.AgencyID), billing.Change{Cause: billing.CauseInvitationAccepted, RefID: r.ID, ActorID: user.ID}); err != nil {
			return err
		}
		acc, err := account.Get(ctx, tx, r.AccountID)
		if err != nil {
			return err
		}
		out = Acceptance{User: user, Account: acc, Role: r.Role}
		if out.Branding, err = Brand(ctx, tx, str(r.AgencyID)); err != nil {
			return err
		}
		if newUser != nil {
			// A new person is signed in as a login would sign them in: an
			// account joined that requires two-factor sign-in answers a
			// set-up challenge instead of a session (issue 21).
			l, err := s.auth.StartSessionOrChallenge(ctx, tx, now, user, r.AccountID, in.IP, in.UserAgent)
			if err != nil {
				return err
			}
			out.Login, out.SecondFactor = &l, l.Challenge
		} else if in.Actor.SessionID != "" {
			// The logged-in user's session opens in the account just joined.
			if err := auth.SetCurrentAccount(ctx, tx, in.Actor.SessionID, user.ID, r.AccountID); err != nil {
				return err
			}
		}
		// Accepting logs the person in, which counts as a login of the
		// client joined (SPEC §5). Behind a challenge it is not one yet:
		// completing it records the login (auth's LoggedIn hook), once.
		if acc.Kind == "client" && out.SecondFactor == nil {
			if err := activity.Record(ctx, tx, activity.Event{ClientID: r.AccountID, UserID: user.ID, Kind: activity.Login, At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

var errUnverified = errs.E(errs.Conflict, "email_unverified",
	"Confirm your e-mail address first: open the link we e-mailed you (or ask for a new one on your profile), or accept through the link in the invitation's e-mail.")

// joinByAddress is the rule for an existing user joining an account by
// their address: an unverified identity may have been created by someone
// who does not own the address, so it joins only through the invitation's
// e-mailed link, which proves the address and verifies it.
func joinByAddress(ctx context.Context, tx *db.Tx, now time.Time, userID string, viaMail bool) error {
	if viaMail {
		_, err := auth.MarkEmailVerified(ctx, tx, now, userID)
		return err
	}
	ok, err := auth.EmailVerified(ctx, tx, userID)
	if err == nil && !ok {
		err = errUnverified
	}
	return err
}

// reinstate applies SPEC §5's revocation rule to a client or team
// invitation: an invitation made while the agency had revoked the client
// lifts the revocation ("re-inviting a revoked client brings it back with
// its history"); one made before the revocation fails (409).
func (s *Service) reinstate(ctx context.Context, tx *db.Tx, r row) error {
	if r.Kind == KindStaff || r.AgencyID == nil {
		return nil
	}
	var revoked db.Time
	err := tx.Get(ctx, &revoked, `SELECT revoked_at FROM agency_clients WHERE agency_id = ? AND client_id = ?`, *r.AgencyID, r.AccountID)
	if errors.Is(err, db.ErrNoRows) || (err == nil && !revoked.Valid) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.Reinstate {
		return errs.E(errs.Conflict, "client_revoked", "The agency has revoked this account's access, so the invitation can no longer be accepted.")
	}
	now := s.now()
	if err = client.LiftRevocation(ctx, tx, now, *r.AgencyID, r.AccountID); err != nil {
		return err
	}
	// The restore is the agency's, made by the invitation: recorded as
	// the client's Restore is, on both sides, with its ledger rows.
	e := audit.Entry{ActorID: str(r.InvitedBy), Action: "client.restore", TargetID: r.AccountID, AgencyID: *r.AgencyID,
		Before: map[string]any{"revoked_at": revoked.Time}, After: map[string]any{"revoked_at": nil, "invitation_id": r.ID}}
	if err := auditOn(ctx, tx, now, e, *r.AgencyID, r.AccountID); err != nil {
		return err
	}
	return billing.Sync(ctx, tx, now, *r.AgencyID, billing.Change{Cause: billing.CauseRestore, RefID: r.AccountID, ActorID: str(r.InvitedBy)})
}
