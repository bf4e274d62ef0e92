package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/link"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// Invitations (SPEC §4, §10): client invitations by an agency, staff
// invitations into an agency, team invitations into a client account; their
// lists, resend and cancel; and the public lookup and acceptance of a token.

type invClientIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Email           string   `json:"email" maxLength:"254"`
		Delivery        string   `json:"delivery,omitempty" doc:"email (default: sent, expires) or link (no e-mail, never expires; copy the url)"`
		BrandIDs        []string `json:"brand_ids,omitempty" maxItems:"100" doc:"The agency's brands to grant; they take effect at once"`
		Message         string   `json:"message,omitempty" maxLength:"8000" doc:"A personal message for the e-mail and the landing page (up to 2000 characters)"`
		ClientAccountID string   `json:"client_account_id,omitempty" maxLength:"64" doc:"An existing client of the agency to join; omitted, a client account is created at once"`
		ClientName      string   `json:"client_name,omitempty" maxLength:"200" doc:"Name of the client account to create (default: the e-mail address)"`
		Role            string   `json:"role,omitempty" doc:"With client_account_id: admin or member (default member); without it, admin"`
		// As for POST /agencies/{id}/clients (issue 18).
		Access *link.AccessInput `json:"access,omitempty" doc:"A new client only: who in the agency sees it (omitted: admins and its account managers)"`
	}
}

type invTeamIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Role     string `json:"role" doc:"A client account: admin or member. An agency: admin, account_manager, member or viewer"`
		Delivery string `json:"delivery,omitempty" doc:"email (default) or link"`
		Message  string `json:"message,omitempty" maxLength:"8000"`
	}
}

type invOut struct{ Body invite.Invitation }

type invListIn struct {
	ID       string `path:"id" maxLength:"64"`
	Status   string `query:"status" enum:"pending,accepted,expired,cancelled" doc:"All when omitted"`
	Kind     string `query:"kind" enum:"client,team,staff" doc:"All when omitted"`
	ClientID string `query:"client_id" maxLength:"64" doc:"Only the invitations into this client account"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
	Cursor   string `query:"cursor" maxLength:"400" doc:"next_cursor of the previous page"`
}

func (in *invListIn) filter() invite.Filter {
	return invite.Filter{Status: in.Status, Kind: in.Kind, ClientID: in.ClientID, Limit: in.Limit, Cursor: in.Cursor}
}

type invListOut struct {
	Body struct {
		Invitations []invite.Invitation `json:"invitations"`
		NextCursor  string              `json:"next_cursor"`
	}
}

type invLookupIn struct {
	Token string `query:"token" maxLength:"128"`
}

type invLookupOut struct{ Body invite.Lookup }

type invAcceptIn struct {
	UserAgent string `header:"User-Agent" hidden:"true"` // recorded with the session; not a documented parameter
	Body      struct {
		Token    string `json:"token" maxLength:"128"`
		Name     string `json:"name,omitempty" maxLength:"120" doc:"A new person's name"`
		Password string `json:"password,omitempty" maxLength:"256" doc:"A new person's password"`
	}
}

// invAcceptOut answers an acceptance: 200, with the new session's cookie
// when the person signed up, or 202 with second_factor and no cookie when
// the account joined requires two-factor sign-in (issue 21).
type invAcceptOut struct {
	Status    int
	SetCookie string `header:"Set-Cookie" doc:"The new session, when the person signed up (200 only)"`
	Body      invite.Acceptance
}

func (a *API) inviteRoutes() {
	s := a.deps.Invites
	actor := authz.ActorFrom
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	list := func(ctx context.Context, f invite.Filter, fetch func() ([]invite.Invitation, string, error)) (*invListOut, error) {
		out := &invListOut{}
		var err error
		out.Body.Invitations, out.Body.NextCursor, err = fetch()
		out.Body.Invitations = orEmpty(out.Body.Invitations)
		return out, err
	}

	add(a, Access{Kind: Account, Action: authz.ClientCreate, Param: "id"},
		created(op(http.MethodPost, "/api/v1/agencies/{id}/invitations", "invitation-client-create",
			"Invite a person into a client account: an existing client of the agency (client_account_id, role), or a new one created at once (pending or link_invite until someone joins)", "invitations")),
		func(ctx context.Context, in *invClientIn) (*invOut, error) {
			b := in.Body
			inv, err := s.InviteClient(ctx, RelationFrom(ctx), actor(ctx), invite.ClientInput{Email: b.Email, Delivery: b.Delivery,
				BrandIDs: b.BrandIDs, Message: b.Message, ClientAccountID: b.ClientAccountID, ClientName: b.ClientName, Role: b.Role, Access: b.Access})
			return &invOut{Body: inv}, err
		})
	add(a, Access{Kind: Account, Action: authz.AgencyClientsList, Param: "id"},
		op(http.MethodGet, "/api/v1/agencies/{id}/invitations", "invitation-agency-list",
			"The agency's invitations, newest first: into the clients the caller sees, and its staff invitations", "invitations"),
		func(ctx context.Context, in *invListIn) (*invListOut, error) {
			scope := authz.ClientScopeOf(RelationFrom(ctx), actor(ctx).UserID)
			return list(ctx, in.filter(), func() ([]invite.Invitation, string, error) {
				return s.ForAgency(ctx, scope, true, in.filter())
			})
		})
	add(a, Access{Kind: Account, Action: authz.AgencyManage, Param: "id"},
		created(op(http.MethodPost, "/api/v1/agencies/{id}/members", "invitation-staff-create",
			"Invite a person into the agency with a role (409 already_member, already_invited)", "invitations")),
		func(ctx context.Context, in *invTeamIn) (*invOut, error) {
			b := in.Body
			inv, err := s.InviteStaff(ctx, RelationFrom(ctx), actor(ctx), invite.TeamInput{Email: b.Email, Role: b.Role,
				Delivery: b.Delivery, Message: b.Message})
			return &invOut{Body: inv}, err
		})
	add(a, Access{Kind: Account, Action: authz.ClientUsersManage, Param: "id"},
		created(op(http.MethodPost, "/api/v1/accounts/{id}/invitations", "invitation-team-create",
			"Invite a person into a client account (its admins, or the agency), within its seats (422 no_seats)", "invitations")),
		func(ctx context.Context, in *invTeamIn) (*invOut, error) {
			b := in.Body
			inv, err := s.InviteTeam(ctx, RelationFrom(ctx), actor(ctx), invite.TeamInput{Email: b.Email, Role: b.Role,
				Delivery: b.Delivery, Message: b.Message})
			return &invOut{Body: inv}, err
		})
	add(a, Access{Kind: Account, Action: authz.ClientUsersRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/invitations", "invitation-account-list",
			"The invitations into a client account, newest first", "invitations"),
		func(ctx context.Context, in *invListIn) (*invListOut, error) {
			return list(ctx, in.filter(), func() ([]invite.Invitation, string, error) {
				return s.ForAccount(ctx, RelationFrom(ctx), in.filter())
			})
		})

	manage := Access{Kind: Invitation, Action: authz.InvitationManage, Param: "id"}
	add(a, manage, op(http.MethodPost, "/api/v1/invitations/{id}/resend", "invitation-resend",
		"Resend: a new link (the old one dies), a fresh expiry and, for e-mail invitations, a new e-mail; the answer's url is the link to copy", "invitations"),
		func(ctx context.Context, in *idPath) (*invOut, error) {
			inv, err := s.Resend(ctx, RelationFrom(ctx), actor(ctx), in.ID)
			return &invOut{Body: inv}, err
		})
	o := op(http.MethodDelete, "/api/v1/invitations/{id}", "invitation-cancel", "Cancel an invitation: its link stops working (409 when already accepted or cancelled). Cancelling the only invitation of a client created for it, which nobody joined, removes that client too", "invitations")
	o.DefaultStatus = http.StatusNoContent
	add(a, manage, o, func(ctx context.Context, in *idPath) (*empty, error) {
		_, err := s.Cancel(ctx, RelationFrom(ctx), actor(ctx), in.ID)
		return nil, err
	})

	pub := Access{Kind: Public}
	add(a, pub, op(http.MethodGet, "/api/v1/invitations/lookup", "invitation-lookup",
		"What an invitation page needs: branding, the address, whether it has a user (404 unknown token, 410 used, cancelled or expired)", "invitations"),
		func(ctx context.Context, in *invLookupIn) (*invLookupOut, error) {
			l, err := s.LookupToken(ctx, in.Token)
			return &invLookupOut{Body: l}, err
		})
	o = op(http.MethodPost, "/api/v1/invitations/accept", "invitation-accept",
		"Accept: logged in (the invited address), or sign up with name and password (then logged in, or 202 with a second-factor challenge when the account joined requires two-factor sign-in). 401 login_required when the address has a user; 410 used, cancelled or expired; 409 client_revoked; 422 no_seats", "invitations")
	o.Description = "Two-factor sign-in (issue 21): when a new person joins an account that requires it (agency settings " +
		"require_2fa for a staff invitation, client security require_2fa for a client or team invitation), the invitation " +
		"is accepted and the person, their membership and everything else are made as on a 200, but the answer is 202 " +
		"with the same body (user, account, role, branding), no cookie and " + challengeNote + " The session, in the " +
		"account joined, starts when the code is accepted. Someone already logged in accepts with their session (200)."
	add(a, pub, a.challengeAnswer(o, reflect.TypeFor[invite.Acceptance](), "",
		"The account joined requires two-factor sign-in: accepted, but second_factor (method totp_setup) is the challenge to answer; no session yet"),
		func(ctx context.Context, in *invAcceptIn) (*invAcceptOut, error) {
			acc, err := s.Accept(ctx, invite.AcceptInput{Token: in.Body.Token, Name: in.Body.Name, Password: in.Body.Password,
				Actor: actor(ctx), IP: requestctx.IP(ctx), UserAgent: in.UserAgent})
			if err != nil {
				return nil, err
			}
			out := &invAcceptOut{Status: http.StatusOK, Body: acc}
			switch {
			case acc.SecondFactor != nil:
				out.Status = http.StatusAccepted
			case acc.Login != nil:
				c := auth.Cookie(*acc.Login, a.deps.SecureCookies)
				out.SetCookie = c.String()
			}
			return out, nil
		})
}
