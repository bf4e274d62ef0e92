package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// Two-factor sign-in (issue 21; internal/auth/twofactor.go, challenge.go).
//
// Signing in: POST /api/v1/login answers 202 with second_factor
// {challenge, method, expires_at} instead of a session when the user has
// two-factor sign-in on (method totp) or one of their accounts requires it
// and they have none yet (method totp_setup). The challenge is not a
// session: it opens no other route. POST /api/v1/login/second-factor
// answers it with a code from the app or a recovery code and starts the
// session (200, as a login); for totp_setup, POST
// /api/v1/login/second-factor/setup first answers the secret and QR code
// to scan, and the answer to the code carries the recovery codes, once.
// Accepting an invitation as a new person into an account that requires it
// (POST /api/v1/invitations/accept) answers the same 202 and continues here.
//
// One's own: GET /api/v1/me/two-factor, then POST …/setup (the secret and
// the QR code, answered only until confirmed), POST …/confirm with a code
// (the ten recovery codes, once), POST …/recovery-codes with a code (ten
// new ones), POST …/disable with the password and a code. An agency admin resets a member's: POST
// /api/v1/agencies/{id}/members/{user_id}/two-factor/reset.

type secondFactorIn struct {
	UserAgent string `header:"User-Agent" hidden:"true"` // recorded with the session; not a documented parameter
	Body      struct {
		Challenge string `json:"challenge" maxLength:"128" doc:"second_factor.challenge of the login's answer (or of a password reset's, or an invitation acceptance's)"`
		Code      string `json:"code" maxLength:"32" doc:"The 6-digit code of the authenticator app, or a recovery code (xxxxx-xxxxx)"`
	}
}

type challengeIn struct {
	Body struct {
		Challenge string `json:"challenge" maxLength:"128" doc:"second_factor.challenge of the login's answer, or of an invitation acceptance's (method totp_setup)"`
	}
}

type twoFactorSetupOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         auth.TwoFactorSetup
}

type twoFactorStatusOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         auth.TwoFactorStatus
}

type codeIn struct {
	Body struct {
		Code string `json:"code" maxLength:"32" doc:"The 6-digit code the authenticator app shows"`
	}
}

type recoveryCodesOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		RecoveryCodes []string `json:"recovery_codes" doc:"Ten single-use codes, shown this once: each signs in once in place of a code"`
	}
}

type disableTwoFactorIn struct {
	Body struct {
		Password string `json:"password" maxLength:"256"`
		Code     string `json:"code" maxLength:"32" doc:"A code of the authenticator app, or a recovery code"`
	}
}

// withErrors declares error statuses beyond those the route's shape
// implies (openapi.go's declaredErrors reads Operation.Errors).
func withErrors(o huma.Operation, codes ...int) huma.Operation {
	o.Errors = append(o.Errors, codes...)
	return o
}

// noStore keeps secrets and codes out of every cache.
const noStore = "no-store"

func (a *API) twoFactorRoutes() {
	pub, user := Access{Kind: Public}, Access{Kind: User}
	s := a.deps.Auth

	add(a, pub, withErrors(op(http.MethodPost, "/api/v1/login/second-factor", "login-second-factor",
		"Answer a login's second-factor challenge with a code or a recovery code: starts the session (recovery_codes once after a set-up)", "auth"), 401, 409, 429),
		func(ctx context.Context, in *secondFactorIn) (*signInOut, error) {
			l, err := s.CompleteLogin(ctx, auth.SecondFactorInput{Challenge: in.Body.Challenge, Code: in.Body.Code,
				IP: requestctx.IP(ctx), UserAgent: in.UserAgent})
			if err != nil {
				return nil, err
			}
			return a.signInOut(l), nil
		})
	add(a, pub, withErrors(op(http.MethodPost, "/api/v1/login/second-factor/setup", "login-second-factor-setup",
		"During a login whose challenge is totp_setup: the TOTP secret and QR code to scan (the same until a code confirms it)", "auth"), 401, 409),
		func(ctx context.Context, in *challengeIn) (*twoFactorSetupOut, error) {
			v, err := s.BeginChallengeSetup(ctx, in.Body.Challenge, "Liaison")
			return &twoFactorSetupOut{CacheControl: noStore, Body: v}, err
		})

	add(a, user, op(http.MethodGet, "/api/v1/me/two-factor", "two-factor-get",
		"Your two-factor sign-in: on or off, recovery codes left, whether an account requires it", "two-factor"),
		func(ctx context.Context, _ *empty) (*twoFactorStatusOut, error) {
			v, err := s.TwoFactorStatus(ctx, authz.ActorFrom(ctx))
			return &twoFactorStatusOut{CacheControl: noStore, Body: v}, err
		})
	add(a, user, withErrors(op(http.MethodPost, "/api/v1/me/two-factor/setup", "two-factor-setup",
		"Start setting two-factor sign-in up: the secret and its QR code (409 two_factor_on when it is on)", "two-factor"), 409),
		func(ctx context.Context, _ *empty) (*twoFactorSetupOut, error) {
			v, err := s.BeginTwoFactor(ctx, authz.ActorFrom(ctx), "Liaison")
			return &twoFactorSetupOut{CacheControl: noStore, Body: v}, err
		})
	add(a, user, withErrors(op(http.MethodPost, "/api/v1/me/two-factor/confirm", "two-factor-confirm",
		"Turn two-factor sign-in on with a code of the set-up: answers ten recovery codes, once", "two-factor"), 409, 429),
		func(ctx context.Context, in *codeIn) (*recoveryCodesOut, error) {
			codes, err := s.ConfirmTwoFactor(ctx, authz.ActorFrom(ctx), in.Body.Code)
			out := &recoveryCodesOut{CacheControl: noStore}
			out.Body.RecoveryCodes = codes
			return out, err
		})
	add(a, user, withErrors(op(http.MethodPost, "/api/v1/me/two-factor/recovery-codes", "two-factor-recovery-codes",
		"Replace your recovery codes with ten new ones, on a code of your app: answers them, once (409 two_factor_off)", "two-factor"), 409, 429),
		func(ctx context.Context, in *codeIn) (*recoveryCodesOut, error) {
			codes, err := s.NewRecoveryCodes(ctx, authz.ActorFrom(ctx), in.Body.Code)
			out := &recoveryCodesOut{CacheControl: noStore}
			out.Body.RecoveryCodes = codes
			return out, err
		})
	o := withErrors(op(http.MethodPost, "/api/v1/me/two-factor/disable", "two-factor-disable",
		"Turn two-factor sign-in off with your password and a code (409 two_factor_required while an account requires it)", "two-factor"), 409, 429)
	o.DefaultStatus = http.StatusNoContent
	add(a, user, o, func(ctx context.Context, in *disableTwoFactorIn) (*empty, error) {
		return nil, s.DisableTwoFactor(ctx, authz.ActorFrom(ctx), in.Body.Password, in.Body.Code)
	})

	o = op(http.MethodPost, "/api/v1/agencies/{id}/members/{user_id}/two-factor/reset", "agency-member-two-factor-reset",
		"Reset a member's two-factor sign-in (a lost phone): audited and e-mailed to them (admins; 409 two_factor_off)", "agency")
	o.DefaultStatus = http.StatusNoContent
	add(a, Access{Kind: Account, Action: authz.AgencyManage, Param: "id"}, o,
		func(ctx context.Context, in *AgencyMemberPath) (*empty, error) {
			return nil, s.ResetTwoFactorFor(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.UserID)
		})
}
