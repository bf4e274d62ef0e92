package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/clientgroup"
)

// Client groups, report sharing and per-client branding (SPEC §12 "Client
// groups and per-client branding", issue 24).

// ClientGroupPath names a group of a client account.
type ClientGroupPath struct {
	ID      string `path:"id" maxLength:"64"`
	GroupID string `path:"group_id" maxLength:"64"`
}

type clientGroupNameBody struct {
	Name string `json:"name" maxLength:"400" doc:"1–100 characters, unique in the account (case-insensitively)"`
}

type clientGroupCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body clientGroupNameBody
}

type clientGroupRenameIn struct {
	ClientGroupPath
	Body clientGroupNameBody
}

type clientGroupMembersIn struct {
	ClientGroupPath
	Body struct {
		UserIDs []string `json:"user_ids" maxItems:"1000" doc:"The group's members, replacing the current ones; each must be a user of the account"`
	}
}

type clientGroupsOut struct {
	Body struct {
		Groups     []clientgroup.Group `json:"groups"`
		NextCursor string              `json:"next_cursor"`
	}
}

type clientGroupOut struct{ Body clientgroup.Group }

type sharingOut struct{ Body clientgroup.Sharing }

// ShareIn is one client's sharing in a PUT.
type ShareIn struct {
	ClientID string   `json:"client_id" maxLength:"64"`
	All      bool     `json:"all" doc:"Every user of the client sees the report"`
	GroupIDs []string `json:"group_ids,omitempty" maxItems:"200" doc:"With all false: the groups whose members see it; none: only the client's admins"`
}

type sharingPutIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Clients []ShareIn `json:"clients" maxItems:"500" doc:"Clients not named keep their sharing"`
	}
}

type clientBrandingOut struct{ Body branding.ClientBranding }

// ClientBrandingPath names a client as one agency sees it.
type ClientBrandingPath struct {
	ID       string `path:"id" maxLength:"64"`
	ClientID string `path:"client_id" maxLength:"64"`
}

type clientBrandingPutIn struct {
	ClientBrandingPath
	Body struct {
		PortalName *string `json:"portal_name,omitempty" maxLength:"400" doc:"At most 80 characters; empty: the agency's portal name"`
	}
}

type clientLogoIn struct {
	ClientBrandingPath
	Slot    string `path:"slot" enum:"light,dark,mobile,fullscreen"`
	RawBody []byte `contentType:"application/octet-stream"`
}

type clientLogoPath struct {
	ClientBrandingPath
	Slot string `path:"slot" enum:"light,dark,mobile,fullscreen"`
}

func (a *API) clientGroupRoutes() {
	svc := a.deps.ClientGroups
	actor := authz.ActorFrom
	read := Access{Kind: Account, Action: authz.ClientGroupsRead, Param: "id"}
	manage := Access{Kind: Account, Action: authz.ClientGroupsManage, Param: "id"}
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, read, op(http.MethodGet, "/api/v1/accounts/{id}/groups", "client-group-list",
		"A client account's groups with their members, by name (its admins, and the agency users who see it)", "client-groups"),
		func(ctx context.Context, in *idPath) (*clientGroupsOut, error) {
			out := &clientGroupsOut{}
			gs, err := svc.List(ctx, RelationFrom(ctx))
			out.Body.Groups = orEmpty(gs)
			return out, err
		})
	add(a, manage, created(op(http.MethodPost, "/api/v1/accounts/{id}/groups", "client-group-create",
		"Create a group of the client's users (409 name_taken when the name is used, in any case)", "client-groups")),
		func(ctx context.Context, in *clientGroupCreateIn) (*clientGroupOut, error) {
			g, err := svc.Create(ctx, actor(ctx), RelationFrom(ctx), in.Body.Name)
			return &clientGroupOut{Body: g}, err
		})
	add(a, read, op(http.MethodGet, "/api/v1/accounts/{id}/groups/{group_id}", "client-group-get", "One group with its members", "client-groups"),
		func(ctx context.Context, in *ClientGroupPath) (*clientGroupOut, error) {
			g, err := svc.Get(ctx, RelationFrom(ctx), in.GroupID)
			return &clientGroupOut{Body: g}, err
		})
	add(a, manage, op(http.MethodPatch, "/api/v1/accounts/{id}/groups/{group_id}", "client-group-rename", "Rename a group", "client-groups"),
		func(ctx context.Context, in *clientGroupRenameIn) (*clientGroupOut, error) {
			g, err := svc.Rename(ctx, actor(ctx), RelationFrom(ctx), in.GroupID, in.Body.Name)
			return &clientGroupOut{Body: g}, err
		})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/accounts/{id}/groups/{group_id}", "client-group-delete",
		"Delete a group; reports shared only with it are then seen by the client's admins alone", "client-groups")),
		func(ctx context.Context, in *ClientGroupPath) (*empty, error) {
			return nil, svc.Delete(ctx, actor(ctx), RelationFrom(ctx), in.GroupID)
		})
	add(a, manage, op(http.MethodPut, "/api/v1/accounts/{id}/groups/{group_id}/members", "client-group-members",
		"Replace a group's members (400 on user_ids, and nothing changes, unless all are users of the account); holds from their next request", "client-groups"),
		func(ctx context.Context, in *clientGroupMembersIn) (*clientGroupOut, error) {
			g, err := svc.SetMembers(ctx, actor(ctx), RelationFrom(ctx), in.GroupID, in.Body.UserIDs)
			return &clientGroupOut{Body: g}, err
		})

	// Report sharing, decided on the report's brand (agency users only).
	add(a, Access{Kind: Report, Action: authz.ReportSharingRead, Param: "id"},
		op(http.MethodGet, "/api/v1/reports/{id}/sharing", "report-sharing-get",
			"A report's sharing with each client you see that has its brand, with the client's groups", "reports"),
		func(ctx context.Context, in *idPath) (*sharingOut, error) {
			s, err := svc.Sharing(ctx, actor(ctx), RelationFrom(ctx), in.ID)
			return &sharingOut{Body: s}, err
		})
	o := op(http.MethodPut, "/api/v1/reports/{id}/sharing", "report-sharing-put",
		"Share a report with every user of a client (the default) or with chosen groups of it", "reports")
	o.Description = "Validated as a whole (400 names clients[i].client_id or clients[i].group_ids; nothing written). " +
		"A client's admins always see every report; a member sees one shared with everyone or with a group they are in, else 404. " +
		"Holds from the next request and the next scheduled e-mail."
	add(a, Access{Kind: Report, Action: authz.ReportShare, Param: "id"}, o,
		func(ctx context.Context, in *sharingPutIn) (*sharingOut, error) {
			shares := make([]clientgroup.ClientShare, len(in.Body.Clients))
			for i, c := range in.Body.Clients {
				shares[i] = clientgroup.ClientShare{ClientID: c.ClientID, All: c.All, GroupIDs: c.GroupIDs}
			}
			s, err := svc.SetSharing(ctx, actor(ctx), RelationFrom(ctx), in.ID, shares)
			return &sharingOut{Body: s}, err
		})

	// Per-client branding, by the agency that sees the client.
	brandRead := Access{Kind: AgencyClient, Action: authz.ClientBrandingRead, Param: "id", ClientParam: "client_id"}
	brandManage := Access{Kind: AgencyClient, Action: authz.ClientBrandingManage, Param: "id", ClientParam: "client_id"}
	bs := a.deps.Branding
	add(a, brandRead, op(http.MethodGet, "/api/v1/agencies/{id}/clients/{client_id}/branding", "client-branding-get",
		"The agency's branding of one client's portal, and what the portal shows after falling back to the agency's", "portal"),
		func(ctx context.Context, in *ClientBrandingPath) (*clientBrandingOut, error) {
			b, err := bs.ClientBrandingOf(ctx, RelationFrom(ctx))
			return &clientBrandingOut{Body: b}, err
		})
	add(a, brandManage, op(http.MethodPut, "/api/v1/agencies/{id}/clients/{client_id}/branding", "client-branding-put",
		"Set the client portal's own name (agency admins); an omitted field keeps its value, an empty one falls back to the agency's", "portal"),
		func(ctx context.Context, in *clientBrandingPutIn) (*clientBrandingOut, error) {
			b, err := bs.PutClientBranding(ctx, actor(ctx), RelationFrom(ctx), in.Body.PortalName)
			return &clientBrandingOut{Body: b}, err
		})
	o = op(http.MethodPost, "/api/v1/agencies/{id}/clients/{client_id}/branding/logos/{slot}", "client-branding-logo-upload",
		"Upload one of the client's logos: the image's bytes as the body (PNG, JPEG or WebP, at most 1 MiB and 2048×2048 px)", "portal")
	o.Description = "The agency logo rules: the type is read from the bytes; 400 unsupported_image_type (SVG, HTML, anything else), " +
		"invalid_image, logo_too_large, logo_dimensions. The fullscreen logo is the full-screen report view's."
	o.MaxBodyBytes = branding.MaxLogoBytes + 1
	add(a, brandManage, o, func(ctx context.Context, in *clientLogoIn) (*clientBrandingOut, error) {
		b, err := bs.UploadClientLogo(ctx, actor(ctx), RelationFrom(ctx), in.Slot, in.RawBody)
		return &clientBrandingOut{Body: b}, err
	})
	add(a, brandManage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/clients/{client_id}/branding/logos/{slot}",
		"client-branding-logo-delete", "Remove one of the client's logos: the agency's shows again", "portal")),
		func(ctx context.Context, in *clientLogoPath) (*empty, error) {
			return nil, bs.DeleteClientLogo(ctx, actor(ctx), RelationFrom(ctx), in.Slot)
		})
}
