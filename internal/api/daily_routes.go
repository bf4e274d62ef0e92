package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
)

// What an agency reaches for every day (issue 18) that has a route of its
// own: a client user's password reset sent by those who manage the
// client's users. (Restore is with the client routes, sharing with the
// link routes.)

func init() { surfaces = append(surfaces, (*API).dailyRoutes) }

func (a *API) dailyRoutes() {
	o := op(http.MethodPost, "/api/v1/accounts/{id}/users/{user_id}/password-reset", "client-user-password-reset",
		"E-mail a client user a link to choose a new password, in the agency's brand (those who manage the client's users; never during Login As). Their password works until the link is used; 429 when the address had too many resets this hour", "clients")
	o.DefaultStatus = http.StatusAccepted
	o.Errors = []int{http.StatusTooManyRequests}
	add(a, Access{Kind: Account, Action: authz.ClientUsersManage, Param: "id"}, o,
		func(ctx context.Context, in *cliUserPath) (*empty, error) {
			return nil, a.deps.Auth.SendResetFor(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.UserID)
		})
}
