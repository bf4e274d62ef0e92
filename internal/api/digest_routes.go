package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
)

// The caller's preferences: today the weekly health digest (SPEC §5), which
// an agency admin may turn off (the digest e-mail's one-click link does the
// same).

// Preferences are a user's own settings.
type Preferences struct {
	HealthDigest bool `json:"health_digest" doc:"Get the weekly health digest (agency admins)"`
}

type prefsOut struct{ Body Preferences }

type prefsIn struct {
	Body struct {
		HealthDigest *bool `json:"health_digest,omitempty" doc:"true: get the weekly health digest; false: not"`
	}
}

func (a *API) digestRoutes() {
	user := Access{Kind: User}
	add(a, user, op(http.MethodGet, "/api/v1/me/preferences", "me-preferences-get", "The caller's preferences", "auth"),
		func(ctx context.Context, _ *struct{}) (*prefsOut, error) {
			on, err := a.deps.Digest.Subscribed(ctx, authz.ActorFrom(ctx).UserID)
			return &prefsOut{Body: Preferences{HealthDigest: on}}, err
		})
	add(a, user, op(http.MethodPut, "/api/v1/me/preferences", "me-preferences-put",
		"Change the caller's preferences; an omitted field keeps its value", "auth"),
		func(ctx context.Context, in *prefsIn) (*prefsOut, error) {
			uid := authz.ActorFrom(ctx).UserID
			if in.Body.HealthDigest != nil {
				if err := a.deps.Digest.SetSubscribed(ctx, uid, *in.Body.HealthDigest); err != nil {
					return nil, err
				}
			}
			on, err := a.deps.Digest.Subscribed(ctx, uid)
			return &prefsOut{Body: Preferences{HealthDigest: on}}, err
		})
}
