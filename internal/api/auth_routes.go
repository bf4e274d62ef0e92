package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/requestctx"
	"github.com/liaison-dev/liaison/internal/signup"
)

type signupIn struct {
	UserAgent string `header:"User-Agent" hidden:"true"` // recorded with the session; not a documented parameter
	Body      struct {
		Name        string `json:"name" maxLength:"120" doc:"Your name"`
		Email       string `json:"email" maxLength:"254" format:"email"`
		Password    string `json:"password" maxLength:"256"`
		AccountName string `json:"account_name" maxLength:"120"`
		AccountKind string `json:"account_kind" enum:"agency,client"`
	}
}

type userAccountOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      struct {
		User    auth.User        `json:"user"`
		Account *account.Account `json:"account,omitempty"`
	}
}

type loginIn struct {
	UserAgent string `header:"User-Agent" hidden:"true"` // recorded with the session; not a documented parameter
	Body      struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"256"`
	}
}

type emailIn struct {
	Body struct {
		Email string `json:"email" maxLength:"254"`
	}
}

type resetIn struct {
	UserAgent string `header:"User-Agent" hidden:"true"` // recorded with the session; not a documented parameter
	Body      struct {
		Token    string `json:"token" maxLength:"128"`
		Password string `json:"password" maxLength:"256"`
	}
}

type verifyIn struct {
	Body struct {
		Token string `json:"token" maxLength:"128"`
	}
}

type messageOut struct {
	Body struct {
		Message string `json:"message"`
	}
}

type cookieOnlyOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

type meOut struct{ Body account.Me }

type tokenIn struct {
	Body struct {
		Name string `json:"name" maxLength:"80"`
	}
}

type tokenOut struct{ Body auth.APIToken }

type tokensOut struct {
	Body struct {
		Tokens     []auth.APIToken `json:"tokens"`
		NextCursor string          `json:"next_cursor"`
	}
}

type idPath struct {
	ID string `path:"id" maxLength:"64"`
}

type sessionsOut struct {
	Body struct {
		Sessions   []auth.SessionInfo `json:"sessions"`
		NextCursor string             `json:"next_cursor"`
	}
}

type endedOut struct {
	Body struct {
		Ended int `json:"ended"`
	}
}

type switchIn struct {
	Body struct {
		AccountID string `json:"account_id" maxLength:"64"`
	}
}

type empty struct{}

func (a *API) loginOut(l signup.Login) *userAccountOut {
	out := &userAccountOut{SetCookie: auth.Cookie(l.Login, a.deps.SecureCookies)}
	out.Body.User, out.Body.Account = l.User, &l.Account
	return out
}

// SignIn is the answer to a password sign-in (login, password reset, the
// second step): a session's user, or, with 202, the second-factor
// challenge (twofactor_routes.go).
type SignIn struct {
	User          *auth.User       `json:"user,omitempty" doc:"The signed-in user (200)"`
	Account       *account.Account `json:"account,omitempty"`
	SecondFactor  *auth.Challenge  `json:"second_factor,omitempty" doc:"202: no session yet; answer this challenge with a code (POST /api/v1/login/second-factor)"`
	RecoveryCodes []string         `json:"recovery_codes,omitempty" doc:"Shown once, when the sign-in finished a two-factor set-up"`
}

// signInOut answers a sign-in: 200 with Set-Cookie and the user, or 202
// with the challenge and no cookie.
type signInOut struct {
	Status    int
	SetCookie *http.Cookie `header:"Set-Cookie" doc:"The session cookie (200 only)"`
	Body      SignIn
}

func (a *API) signInOut(l auth.Login) *signInOut {
	out := &signInOut{Status: http.StatusOK}
	if l.Challenge != nil {
		out.Status = http.StatusAccepted
		out.Body.SecondFactor = l.Challenge
		return out
	}
	c := auth.Cookie(l, a.deps.SecureCookies)
	u := l.User
	out.SetCookie, out.Body.User, out.Body.RecoveryCodes = &c, &u, l.RecoveryCodes
	return out
}

// challengeNote is what the description of an answer with a challenge
// says about it.
const challengeNote = "`second_factor: {challenge, method, expires_at}` — a single-use token that lives 10 minutes and opens " +
	"nothing but `POST /api/v1/login/second-factor` (method `totp`: send a code of the authenticator app or a recovery " +
	"code) and, for method `totp_setup`, `POST /api/v1/login/second-factor/setup` (the secret and QR code to scan " +
	"first). Codes are limited to 10 per user per 15 minutes (429), and each is accepted once."

// withChallengeAnswer documents the 202 of a sign-in, with the body of the
// 200.
func (a *API) withChallengeAnswer(o huma.Operation) huma.Operation {
	o.Description = "Two-factor sign-in (issue 21): when the user has it on, or one of their accounts requires it " +
		"(agency settings require_2fa, client security require_2fa) and they have none yet, the answer is 202 with no " +
		"cookie and " + challengeNote
	return a.challengeAnswer(o, reflect.TypeFor[SignIn](), "SignIn", "A second factor is needed: second_factor is the challenge to answer; no session yet")
}

// challengeAnswer documents an operation's 202, whose body is body (the
// 200's type, with second_factor set).
func (a *API) challengeAnswer(o huma.Operation, body reflect.Type, hint, what string) huma.Operation {
	ref := a.huma.OpenAPI().Components.Schemas.Schema(body, true, hint)
	o.Responses = map[string]*huma.Response{"202": {
		Description: what,
		Content:     map[string]*huma.MediaType{"application/json": {Schema: ref}},
	}}
	return o
}

func (a *API) authRoutes() {
	pub, user := Access{Kind: Public}, Access{Kind: User}
	s := a.deps.Auth

	o := op(http.MethodPost, "/api/v1/signup", "signup", "Sign up: a new user and their account", "auth")
	o.DefaultStatus = http.StatusCreated
	add(a, pub, o, func(ctx context.Context, in *signupIn) (*userAccountOut, error) {
		l, err := a.deps.Signups.Signup(ctx, auth.SignupInput{Name: in.Body.Name, Email: in.Body.Email, Password: in.Body.Password,
			AccountName: in.Body.AccountName, AccountKind: in.Body.AccountKind, IP: requestctx.IP(ctx), UserAgent: in.UserAgent})
		if err != nil {
			return nil, err
		}
		return a.loginOut(l), nil
	})

	add(a, pub, a.withChallengeAnswer(op(http.MethodPost, "/api/v1/login", "login",
		"Log in with e-mail and password: 200 with a session, or 202 with a second-factor challenge when two-factor sign-in is on or required", "auth")),
		func(ctx context.Context, in *loginIn) (*signInOut, error) {
			l, err := s.Login(ctx, auth.LoginInput{Email: in.Body.Email, Password: in.Body.Password, IP: requestctx.IP(ctx), UserAgent: in.UserAgent})
			if err != nil {
				return nil, err
			}
			return a.signInOut(l), nil
		})

	o = op(http.MethodPost, "/api/v1/logout", "logout", "Log out: end this session", "auth")
	o.DefaultStatus = http.StatusNoContent
	add(a, user, o, func(ctx context.Context, _ *empty) (*cookieOnlyOut, error) {
		if err := s.Logout(ctx, authz.ActorFrom(ctx)); err != nil {
			return nil, err
		}
		return &cookieOnlyOut{SetCookie: auth.ClearCookie(a.deps.SecureCookies)}, nil
	})

	add(a, user, op(http.MethodGet, "/api/v1/me", "me", "The current user, their memberships and impersonation", "auth"),
		func(ctx context.Context, _ *empty) (*meOut, error) {
			me, err := a.deps.Accounts.Me(ctx, authz.ActorFrom(ctx))
			return &meOut{Body: me}, err
		})

	add(a, user, op(http.MethodPut, "/api/v1/me/account", "switch-account", "Switch the session's current account", "auth"),
		func(ctx context.Context, in *switchIn) (*meOut, error) {
			actor := authz.ActorFrom(ctx)
			if err := s.SwitchAccount(ctx, actor, in.Body.AccountID); err != nil {
				return nil, err
			}
			actor.AccountID = in.Body.AccountID
			me, err := a.deps.Accounts.Me(ctx, actor)
			return &meOut{Body: me}, err
		})

	o = op(http.MethodPost, "/api/v1/password/forgot", "password-forgot", "E-mail a password reset link (202 whether or not the address exists)", "auth")
	o.DefaultStatus = http.StatusAccepted
	add(a, pub, o, func(ctx context.Context, in *emailIn) (*messageOut, error) {
		if err := s.ForgotPassword(ctx, in.Body.Email, requestctx.IP(ctx)); err != nil {
			return nil, err
		}
		out := &messageOut{}
		out.Body.Message = "If an account uses this address, a reset link is on its way."
		return out, nil
	})

	add(a, pub, a.withChallengeAnswer(op(http.MethodPost, "/api/v1/password/reset", "password-reset",
		"Set a new password with a reset token; ends every other session (202 with a second-factor challenge when two-factor sign-in is on or required)", "auth")),
		func(ctx context.Context, in *resetIn) (*signInOut, error) {
			l, err := s.ResetPassword(ctx, auth.ResetInput{Token: in.Body.Token, Password: in.Body.Password, IP: requestctx.IP(ctx), UserAgent: in.UserAgent})
			if err != nil {
				return nil, err
			}
			return a.signInOut(l), nil
		})

	add(a, pub, op(http.MethodPost, "/api/v1/email/verify", "email-verify", "Confirm an e-mail address with the token its confirmation e-mail carries", "auth"),
		func(ctx context.Context, in *verifyIn) (*messageOut, error) {
			if _, err := s.VerifyEmail(ctx, in.Body.Token, requestctx.IP(ctx)); err != nil {
				return nil, err
			}
			out := &messageOut{}
			out.Body.Message = "Your e-mail address is confirmed."
			return out, nil
		})
	o = op(http.MethodPost, "/api/v1/me/email/verification", "email-verification-resend", "E-mail a new confirmation link to your address (409 when it is already confirmed)", "auth")
	o.DefaultStatus = http.StatusAccepted
	add(a, user, o, func(ctx context.Context, _ *empty) (*messageOut, error) {
		if err := s.ResendVerification(ctx, authz.ActorFrom(ctx)); err != nil {
			return nil, err
		}
		out := &messageOut{}
		out.Body.Message = "A new confirmation link is on its way."
		return out, nil
	})

	o = op(http.MethodPost, "/api/v1/tokens", "token-create", "Create an API token (shown once)", "tokens")
	o.DefaultStatus = http.StatusCreated
	add(a, user, o, func(ctx context.Context, in *tokenIn) (*tokenOut, error) {
		t, err := s.CreateToken(ctx, authz.ActorFrom(ctx), in.Body.Name)
		return &tokenOut{Body: t}, err
	})
	add(a, user, op(http.MethodGet, "/api/v1/tokens", "token-list", "List your API tokens", "tokens"),
		func(ctx context.Context, _ *empty) (*tokensOut, error) {
			out := &tokensOut{}
			var err error
			out.Body.Tokens, err = s.Tokens(ctx, authz.ActorFrom(ctx))
			return out, err
		})
	o = op(http.MethodDelete, "/api/v1/tokens/{id}", "token-revoke", "Revoke one of your API tokens", "tokens")
	o.DefaultStatus = http.StatusNoContent
	add(a, user, o, func(ctx context.Context, in *idPath) (*empty, error) {
		return nil, s.RevokeToken(ctx, authz.ActorFrom(ctx), in.ID)
	})

	add(a, user, op(http.MethodGet, "/api/v1/sessions", "session-list", "List your live sessions", "sessions"),
		func(ctx context.Context, _ *empty) (*sessionsOut, error) {
			out := &sessionsOut{}
			var err error
			out.Body.Sessions, err = s.Sessions(ctx, authz.ActorFrom(ctx))
			return out, err
		})
	o = op(http.MethodDelete, "/api/v1/sessions/{id}", "session-revoke", "End one of your sessions", "sessions")
	o.DefaultStatus = http.StatusNoContent
	add(a, user, o, func(ctx context.Context, in *idPath) (*empty, error) {
		return nil, s.RevokeSession(ctx, authz.ActorFrom(ctx), in.ID)
	})
	add(a, user, op(http.MethodPost, "/api/v1/sessions/end-others", "session-end-others", "End every session but this one", "sessions"),
		func(ctx context.Context, _ *empty) (*endedOut, error) {
			n, err := s.RevokeOtherSessions(ctx, authz.ActorFrom(ctx))
			out := &endedOut{}
			out.Body.Ended = n
			return out, err
		})
}
