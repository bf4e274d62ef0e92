package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/ratelimit"
	"github.com/liaison-dev/liaison/internal/totp"
)

// Two-factor sign-in (issue 21): a TOTP secret per user (RFC 6238,
// internal/totp), ten single-use recovery codes stored hashed, and the
// settings by which an agency or a client requires it of its people.
// The sign-in step itself is challenge.go.
//
// Nothing here is part of a session's cached answer (sessioncache.go): the
// second factor is asked before a session exists, so turning it on, off or
// resetting it changes no live session and needs no invalidation.

// RecoveryCodeCount is how many recovery codes a user gets, shown once.
const RecoveryCodeCount = 10

// recoveryAlphabet leaves out look-alikes (0/o, 1/l/i).
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

var (
	errBadCode      = errs.InvalidField("code", "This code is not right. Enter the 6-digit code your app shows now, or a recovery code.")
	errCodeUsed     = errs.InvalidField("code", "This code was already used. Wait for the next one.")
	errNoCode       = errs.InvalidField("code", "Enter the 6-digit code from your authenticator app.")
	errTwoFactorOn  = errs.E(errs.Conflict, "two_factor_on", "Two-factor sign-in is already on. Turn it off first to set up another app.")
	errNoSetup      = errs.E(errs.Conflict, "two_factor_not_started", "Start the set-up first: it shows the QR code to scan.")
	errTwoFactorOff = errs.E(errs.Conflict, "two_factor_off", "Two-factor sign-in is not on.")
)

// TwoFactorStatus is what a user's profile shows.
type TwoFactorStatus struct {
	Enabled           bool       `json:"enabled" doc:"Whether signing in asks for a code"`
	EnabledAt         *time.Time `json:"enabled_at" doc:"When it was turned on, or null"`
	RecoveryCodesLeft int        `json:"recovery_codes_left" doc:"Unused recovery codes"`
	Required          bool       `json:"required" doc:"Whether one of the user's accounts requires it (then it cannot be turned off)"`
}

// TwoFactorSetup is a pending set-up: the secret to scan or type. It is
// answered only until a code confirms it.
type TwoFactorSetup struct {
	Secret     string `json:"secret" doc:"The TOTP secret, base32 (type it if the QR code cannot be scanned)"`
	OTPAuthURI string `json:"otpauth_uri" doc:"The otpauth:// URI the QR code carries"`
	QRPNG      []byte `json:"qr_png" doc:"The QR code of otpauth_uri, a PNG (base64 in JSON)"`
}

// twoFactorRequired reports whether one of the user's accounts requires
// two-factor sign-in: an agency of which they are staff (require_2fa) or a
// client of which they are a user (client_security.require_2fa).
func twoFactorRequired(ctx context.Context, q db.Querier, userID string) (bool, error) {
	var req bool
	err := q.Get(ctx, &req, `SELECT `+requiredSQL, userID)
	return req, err
}

// requiredSQL is twoFactorRequired's condition, one parameter: the user.
const requiredSQL = `EXISTS (SELECT 1 FROM memberships m
		LEFT JOIN agency_settings s ON s.agency_id = m.account_id
		LEFT JOIN client_security c ON c.client_id = m.account_id
		WHERE m.user_id = ? AND (COALESCE(s.require_2fa, FALSE) OR COALESCE(c.require_2fa, FALSE)))`

// TwoFactorEnabled reports whether the user has two-factor sign-in on.
func TwoFactorEnabled(ctx context.Context, q db.Querier, userID string) (bool, error) {
	var on bool
	err := q.Get(ctx, &on, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL)`, userID)
	return on, err
}

// TwoFactorStatus answers the actor's own status.
func (s *Service) TwoFactorStatus(ctx context.Context, a *authz.Actor) (TwoFactorStatus, error) {
	if a == nil {
		return TwoFactorStatus{}, errs.ErrUnauthorized
	}
	if a.Impersonating() {
		return TwoFactorStatus{}, authz.ErrImpersonating("see two-factor sign-in")
	}
	var st TwoFactorStatus
	var row struct {
		EnabledAt db.Time `db:"enabled_at"`
		Left      int     `db:"left_codes"`
	}
	err := s.db.Get(ctx, &row, `SELECT t.enabled_at,
		(SELECT COUNT(*) FROM totp_recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL) AS left_codes
		FROM user_totp t WHERE t.user_id = ? AND t.enabled_at IS NOT NULL`, a.UserID)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return st, err
	}
	if err == nil && row.EnabledAt.Valid {
		t := row.EnabledAt.Time
		st.Enabled, st.EnabledAt, st.RecoveryCodesLeft = true, &t, row.Left
	}
	st.Required, err = twoFactorRequired(ctx, s.db, a.UserID)
	return st, err
}

// BeginTwoFactor starts (or shows again) the actor's set-up. issuer names
// the service in the authenticator app (the portal's brand on a white-label
// portal).
func (s *Service) BeginTwoFactor(ctx context.Context, a *authz.Actor, issuer string) (TwoFactorSetup, error) {
	if a == nil {
		return TwoFactorSetup{}, errs.ErrUnauthorized
	}
	if a.Impersonating() || a.ImpersonatorID != "" {
		return TwoFactorSetup{}, authz.ErrImpersonating("set up two-factor sign-in")
	}
	return s.beginSetup(ctx, a.UserID, a.Email, issuer)
}

// beginSetup keeps one pending secret per user: showing the page again
// shows the same QR code, so a scan made before a reload still works.
func (s *Service) beginSetup(ctx context.Context, userID, email, issuer string) (TwoFactorSetup, error) {
	var secret string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var row struct {
			Secret    string  `db:"secret"`
			EnabledAt db.Time `db:"enabled_at"`
		}
		err := tx.Get(ctx, &row, `SELECT secret, enabled_at FROM user_totp WHERE user_id = ?`, userID)
		switch {
		case err == nil && row.EnabledAt.Valid:
			return errTwoFactorOn
		case err == nil:
			secret = row.Secret
			return nil
		case !errors.Is(err, db.ErrNoRows):
			return err
		}
		secret = totp.NewSecret()
		_, err = tx.Exec(ctx, `INSERT INTO user_totp (user_id, secret, created_at) VALUES (?, ?, ?)`, userID, secret, s.now())
		return err
	})
	if err != nil {
		return TwoFactorSetup{}, err
	}
	if strings.TrimSpace(issuer) == "" {
		issuer = "Liaison"
	}
	uri := totp.URI(secret, issuer, email)
	png, err := totp.QRPNG(uri, 240)
	return TwoFactorSetup{Secret: secret, OTPAuthURI: uri, QRPNG: png}, err
}

// ConfirmTwoFactor turns the actor's pending set-up on with a code from
// the app, and answers the recovery codes (shown this once).
func (s *Service) ConfirmTwoFactor(ctx context.Context, a *authz.Actor, code string) ([]string, error) {
	if err := s.ownCodeAllowed(ctx, a, "set up two-factor sign-in", code); err != nil {
		return nil, err
	}
	var codes []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		codes, err = s.confirmPending(ctx, tx, s.now(), a.UserID, code, a.IP)
		return err
	})
	return codes, err
}

// confirmPending checks code against the user's pending secret and turns
// it on: the code's step becomes the last used, and fresh recovery codes
// replace any older ones.
func (s *Service) confirmPending(ctx context.Context, tx *db.Tx, now time.Time, userID, code, ip string) ([]string, error) {
	var row struct {
		Secret    string  `db:"secret"`
		EnabledAt db.Time `db:"enabled_at"`
	}
	err := tx.Get(ctx, &row, `SELECT secret, enabled_at FROM user_totp WHERE user_id = ?`, userID)
	if errors.Is(err, db.ErrNoRows) {
		return nil, errNoSetup
	}
	if err != nil {
		return nil, err
	}
	if row.EnabledAt.Valid {
		return nil, errTwoFactorOn
	}
	step, ok := totp.Check(row.Secret, code, now, 0)
	if !ok {
		return nil, errs.InvalidField("code", "This code is not right. Enter the 6-digit code your app shows now.")
	}
	res, err := tx.Exec(ctx, `UPDATE user_totp SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL`, now, step, userID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errTwoFactorOn
	}
	codes, err := newRecoveryCodes(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: userID, Action: "user.two_factor.enable", TargetID: userID, IP: ip})
	return codes, err
}

// newRecoveryCodes replaces the user's recovery codes with fresh ones and
// answers them in clear, grouped "xxxxx-xxxxx".
func newRecoveryCodes(ctx context.Context, tx *db.Tx, userID string) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	out := make([]string, 0, RecoveryCodeCount)
	for len(out) < RecoveryCodeCount {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		for i := range b {
			b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)]
		}
		c := string(b[:5]) + "-" + string(b[5:])
		if _, err := tx.Exec(ctx, `INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, id.Hash(string(b))); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// normalizeRecovery is a recovery code as stored: lower case, without the
// dash or spaces; "" when it cannot be one.
func normalizeRecovery(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	if len(c) != 10 {
		return ""
	}
	for i := 0; i < len(c); i++ {
		if !strings.ContainsRune(recoveryAlphabet, rune(c[i])) {
			return ""
		}
	}
	return c
}

// useCode checks a second factor of a user who has it on: a TOTP code of a
// step after the last one used (which it then becomes), or an unused
// recovery code (which it then uses up). It answers which it was.
func useCode(ctx context.Context, tx *db.Tx, now time.Time, userID, code string) (string, error) {
	if strings.TrimSpace(code) == "" {
		return "", errNoCode
	}
	var row struct {
		Secret   string `db:"secret"`
		LastStep int64  `db:"last_step"`
	}
	err := tx.Get(ctx, &row, `SELECT secret, last_step FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL`, userID)
	if errors.Is(err, db.ErrNoRows) {
		return "", errBadCode
	}
	if err != nil {
		return "", err
	}
	if _, ok := totp.Normalize(code); ok {
		step, ok := totp.Check(row.Secret, code, now, row.LastStep)
		if !ok {
			if _, seen := totp.Check(row.Secret, code, now, -1<<62); seen {
				return "", errCodeUsed
			}
			return "", errBadCode
		}
		// The condition makes two sign-ins racing with one code use it once.
		res, err := tx.Exec(ctx, `UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", errCodeUsed
		}
		return "totp", nil
	}
	rc := normalizeRecovery(code)
	if rc == "" {
		return "", errBadCode
	}
	res, err := tx.Exec(ctx, `UPDATE totp_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		now, userID, id.Hash(rc))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", errBadCode
	}
	return "recovery_code", nil
}

// DisableTwoFactor turns the actor's two-factor sign-in off; it takes the
// password and a code (or a recovery code), and is refused while one of
// their accounts requires it.
func (s *Service) DisableTwoFactor(ctx context.Context, a *authz.Actor, password, code string) error {
	if a == nil {
		return errs.ErrUnauthorized
	}
	if a.Impersonating() || a.ImpersonatorID != "" {
		return authz.ErrImpersonating("turn two-factor sign-in off")
	}
	if password == "" {
		return errs.InvalidField("password", "Enter your password.")
	}
	if strings.TrimSpace(code) == "" {
		return errNoCode
	}
	if err := s.limiter.Hit(ctx, ratelimit.TwoFactor, a.UserID); err != nil {
		return err
	}
	u, err := userByEmail(ctx, s.db, a.Email)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return errs.InvalidField("password", "This is not your password.")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		on, err := TwoFactorEnabled(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if !on {
			return errTwoFactorOff
		}
		req, err := twoFactorRequired(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if req {
			return errs.E(errs.Conflict, "two_factor_required", "One of your accounts requires two-factor sign-in, so it stays on.")
		}
		if _, err := useCode(ctx, tx, now, a.UserID, code); err != nil {
			return err
		}
		if err := removeTwoFactor(ctx, tx, a.UserID); err != nil {
			return err
		}
		brand, err := mailBrand(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "two_factor_off", To: a.Email, BrandAgencyID: brand,
			Data: map[string]any{"Name": a.Name, "ResetBy": ""}}); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, Action: "user.two_factor.disable", TargetID: a.UserID, IP: a.IP})
		return err
	})
}

// NewRecoveryCodes replaces the actor's recovery codes with ten fresh
// ones, on a code of the app (or one of the old recovery codes), and
// answers them once.
func (s *Service) NewRecoveryCodes(ctx context.Context, a *authz.Actor, code string) ([]string, error) {
	if err := s.ownCodeAllowed(ctx, a, "change recovery codes", code); err != nil {
		return nil, err
	}
	var codes []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		on, err := TwoFactorEnabled(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if !on {
			return errTwoFactorOff
		}
		if _, err := useCode(ctx, tx, now, a.UserID, code); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, tx, a.UserID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, Action: "user.two_factor.recovery_codes", TargetID: a.UserID, IP: a.IP})
		return err
	})
	return codes, err
}

// removeTwoFactor deletes a user's secret, recovery codes and open sign-in
// steps (a step asking for a code the user no longer has).
func removeTwoFactor(ctx context.Context, tx *db.Tx, userID string) error {
	for _, q := range []string{
		`DELETE FROM user_totp WHERE user_id = ?`,
		`DELETE FROM totp_recovery_codes WHERE user_id = ?`,
		`DELETE FROM login_challenges WHERE user_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}

// ResetTwoFactorFor turns off the two-factor sign-in of a member of the
// agency (a lost phone); rel was checked with authz.AgencyManage. The next
// sign-in asks for a password only, or walks them through a new set-up if
// the agency requires it. Audited on the agency and e-mailed to the member
// in the same transaction. Admins turn their own off from their profile,
// with a code, like everyone.
func (s *Service) ResetTwoFactorFor(ctx context.Context, rel authz.Relation, a *authz.Actor, userID string) error {
	if a == nil || !rel.Visible() || rel.AccountKind != "agency" {
		return errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, authz.AgencyManage) {
		return errs.ErrForbidden
	}
	if a.Impersonating() {
		return authz.ErrImpersonating("reset two-factor sign-in")
	}
	if userID == a.UserID {
		return errs.E(errs.Conflict, "own_two_factor", "Turn your own two-factor sign-in off from your profile.")
	}
	var u User
	err := s.db.Get(ctx, &u, `SELECT u.id, u.email, u.name, u.is_operator, u.created_at FROM users u
		JOIN memberships m ON m.user_id = u.id AND m.account_id = ? WHERE u.id = ?`, rel.AccountID, userID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.E(errs.NotFound, "member_not_found", "This agency has no such member.")
	}
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		on, err := TwoFactorEnabled(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if !on {
			return errs.E(errs.Conflict, "two_factor_off", "%s has no two-factor sign-in to reset.", u.Name)
		}
		if err := removeTwoFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "two_factor_off", To: u.Email, AccountID: rel.AccountID,
			BrandAgencyID: rel.AccountID, Data: map[string]any{"Name": u.Name, "ResetBy": a.Name}}); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{AccountID: rel.AccountID, ActorID: a.UserID, Action: "member.two_factor.reset",
			TargetID: u.ID, IP: a.IP, After: map[string]any{"email": u.Email}})
		return err
	})
}

// ownCodeAllowed is what a user's own change that takes a code asks first:
// a signed-in user, not in Login As (what is the refused action), a code
// entered, and the code rate limit not reached.
func (s *Service) ownCodeAllowed(ctx context.Context, a *authz.Actor, what, code string) error {
	if a == nil {
		return errs.ErrUnauthorized
	}
	if a.Impersonating() || a.ImpersonatorID != "" {
		return authz.ErrImpersonating(what)
	}
	if strings.TrimSpace(code) == "" {
		return errNoCode
	}
	return s.limiter.Hit(ctx, ratelimit.TwoFactor, a.UserID)
}
