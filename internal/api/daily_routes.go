package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
)

// What an agency reaches for every day (issue 18) that has a route of its
// own: a client user's password reset sent by those who manage the
// client's users, and the link of a pending invitation to copy. (Restore is with the client routes, sharing with the
// link routes.)

func (a *API) dailyRoutes() {
	o := op(http.MethodPost, "/api/v1/accounts/{id}/users/{user_id}/password-reset", "client-user-password-reset",
		"E-mail a client user a link to choose a new password, in the agency's brand (those who manage the client's users; never during Login As). Their password works until the link is used; 429 when the address had too many resets this hour", "clients")
	o.DefaultStatus = http.StatusAccepted
	o.Errors = []int{http.StatusTooManyRequests}
	add(a, Access{Kind: Account, Action: authz.ClientUsersManage, Param: "id"}, o,
		func(ctx context.Context, in *cliUserPath) (*empty, error) {
			return nil, a.deps.Auth.SendResetFor(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.UserID)
		})

	add(a, Access{Kind: Invitation, Action: authz.InvitationManage, Param: "id"},
		op(http.MethodPost, "/api/v1/invitations/{id}/link", "invitation-link",
			"A link to copy for a pending invitation (an e-mail one too): a new shareable url; the e-mailed link and the expiry stay, a link copied earlier stops working. 409 when expired (resend it), accepted or cancelled", "invitations"),
		func(ctx context.Context, in *idPath) (*invOut, error) {
			inv, err := a.deps.Invites.CopyLink(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.ID)
			return &invOut{Body: inv}, err
		})
}
