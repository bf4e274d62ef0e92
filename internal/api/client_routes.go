package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
)

// Clients as the agency sees them (SPEC §3, §10): the list and its CSV
// export, the detail and its settings, brand grants, revocation; and the
// client's own users. The list is scoped by authz.ClientScope (the clients
// the caller sees through the agency's active links); the /clients/{client_id}
// routes are AgencyClient routes, checked through that agency's link.

// The list's query; values are validated by the client package, which
// names the field at fault. (Input structs are flat: huma skips embedded
// structs of unexported types.)
type cliListIn struct {
	ID     string `path:"id" maxLength:"64"`
	Status string `query:"status" default:"all" doc:"Only the clients of this status tab"`
	Q      string `query:"q" maxLength:"200" doc:"Case-insensitive part of the name, primary e-mail or a granted brand's name"`
	Sort   string `query:"sort" enum:"name,health,-health,last_active,-last_active" default:"name" doc:"The order; ties by name, then ID"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
	Cursor string `query:"cursor" maxLength:"1000" doc:"next_cursor of the previous page"`
	// A disabled client keeps its status: this filter is of its own.
	Enabled string `query:"enabled" doc:"false: the disabled clients only; true: the enabled ones only; both when omitted (the counts follow it)"`
}

type cliListOut struct{ Body client.ClientPage }

type cliCSVIn struct {
	ID     string `path:"id" maxLength:"64"`
	Status string `query:"status" default:"all" doc:"As for the list"`
	Q      string `query:"q" maxLength:"200" doc:"As for the list"`
	Sort   string `query:"sort" enum:"name,health,-health,last_active,-last_active" default:"name" doc:"As for the list"`
}

type cliCSVOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               func(huma.Context)
}

type cliPath struct {
	ID       string `path:"id" maxLength:"64"`
	ClientID string `path:"client_id" maxLength:"64"`
}

type cliDetailOut struct{ Body client.ClientDetail }

type cliPatchIn struct {
	ID       string `path:"id" maxLength:"64"`
	ClientID string `path:"client_id" maxLength:"64"`
	Body     struct {
		Seats       *int  `json:"seats,omitempty" minimum:"0" maximum:"100000" doc:"Most users the client may have (0–100000); 0 means unlimited; not below its current users"`
		Enabled     *bool `json:"enabled,omitempty" doc:"false: its users cannot log in and their open sessions end"`
		Permissions *struct {
			CanExport     *bool `json:"can_export,omitempty"`
			ManageBilling *bool `json:"manage_billing,omitempty"`
			Reports       *bool `json:"reports,omitempty"`
			Users         *bool `json:"users,omitempty"`
		} `json:"permissions,omitempty"`
		AccountManagerIDs []string `json:"account_manager_ids,omitempty" maxItems:"100" doc:"Replaces the list; agency admins or account managers"`
	}
}

type cliBrandPath struct {
	ID       string `path:"id" maxLength:"64"`
	ClientID string `path:"client_id" maxLength:"64"`
	BrandID  string `path:"brand_id" maxLength:"64"`
}

type cliUsersOut struct {
	Body struct {
		Users      []client.ClientUser `json:"users"`
		NextCursor string              `json:"next_cursor"`
	}
}

type cliUserPath struct {
	ID     string `path:"id" maxLength:"64"`
	UserID string `path:"user_id" maxLength:"64"`
}

type cliUserRoleIn struct {
	ID     string `path:"id" maxLength:"64"`
	UserID string `path:"user_id" maxLength:"64"`
	Body   struct {
		Role string `json:"role" doc:"admin or member"`
	}
}

type cliUserOut struct{ Body client.ClientUser }

func (a *API) clientRoutes() {
	s := a.deps.Clients
	clientScope := func(ctx context.Context) authz.ClientScope {
		// The checked relation is to the agency; the scope narrows the
		// list to the clients this user sees through it.
		rel, actor := RelationFrom(ctx), authz.ActorFrom(ctx)
		if actor == nil {
			return authz.ClientScope{}
		}
		return authz.ClientScopeOf(rel, actor.UserID)
	}
	list := Access{Kind: Account, Action: authz.AgencyClientsList, Param: "id"}
	view := Access{Kind: AgencyClient, Action: authz.ClientView, Param: "id", ClientParam: "client_id"}
	manage := Access{Kind: AgencyClient, Action: authz.ClientManage, Param: "id", ClientParam: "client_id"}
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, list, op(http.MethodGet, "/api/v1/agencies/{id}/clients", "client-list",
		"The clients the caller sees through this agency, filtered, searched, sorted and paged, with counts per status", "clients"),
		func(ctx context.Context, in *cliListIn) (*cliListOut, error) {
			p, err := s.List(ctx, clientScope(ctx), client.ListQuery{Status: in.Status, Q: in.Q, Sort: in.Sort, Limit: in.Limit, Cursor: in.Cursor,
				Enabled: in.Enabled, JSONOnly: true})
			return &cliListOut{Body: p}, err
		})

	o := op(http.MethodGet, "/api/v1/agencies/{id}/clients.csv", "client-export",
		"The same list as CSV, every page; formula-like cells are neutralised", "clients")
	o.Responses = map[string]*huma.Response{"200": {Description: "CSV with a header row",
		Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}
	add(a, list, o, func(ctx context.Context, in *cliCSVIn) (*cliCSVOut, error) {
		write, err := s.ExportCSV(ctx, clientScope(ctx), authz.ActorFrom(ctx), client.ListQuery{Status: in.Status, Q: in.Q, Sort: in.Sort})
		if err != nil {
			return nil, err
		}
		return &cliCSVOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="clients.csv"`,
			Body: func(hc huma.Context) {
				hc.SetStatus(http.StatusOK)
				if err := write(ctx, hc.BodyWriter()); err != nil {
					// The status is sent; a broken stream is all we can signal.
					a.deps.Log.ErrorContext(ctx, "client export", "err", err)
				}
			}}, nil
	})

	add(a, view, op(http.MethodGet, "/api/v1/agencies/{id}/clients/{client_id}", "client-get",
		"A client as this agency sees it", "clients"),
		func(ctx context.Context, in *cliPath) (*cliDetailOut, error) {
			d, err := s.Get(ctx, RelationFrom(ctx))
			return &cliDetailOut{Body: d}, err
		})

	add(a, manage, op(http.MethodPatch, "/api/v1/agencies/{id}/clients/{client_id}", "client-update",
		"Change a client's seats, enabled flag, permissions and account managers", "clients"),
		func(ctx context.Context, in *cliPatchIn) (*cliDetailOut, error) {
			b := in.Body
			c := client.Change{Seats: b.Seats, Enabled: b.Enabled, AccountManagerIDs: b.AccountManagerIDs}
			if p := b.Permissions; p != nil {
				c.CanExport, c.ManageBilling, c.Reports, c.Users = p.CanExport, p.ManageBilling, p.Reports, p.Users
			}
			d, err := s.Update(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), c)
			return &cliDetailOut{Body: d}, err
		})

	add(a, manage, noContent(op(http.MethodPut, "/api/v1/agencies/{id}/clients/{client_id}/brands/{brand_id}", "client-brand-grant",
		"Give the client access to one of the agency's brands (idempotent)", "clients")),
		func(ctx context.Context, in *cliBrandPath) (*empty, error) {
			return nil, s.GrantBrand(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.BrandID)
		})

	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/clients/{client_id}/brands/{brand_id}", "client-brand-remove",
		"Take a brand away from the client", "clients")),
		func(ctx context.Context, in *cliBrandPath) (*empty, error) {
			return nil, s.RemoveBrand(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.BrandID)
		})

	add(a, Access{Kind: AgencyClient, Action: authz.ClientDisconnect, Param: "id", ClientParam: "client_id"},
		op(http.MethodPost, "/api/v1/agencies/{id}/clients/{client_id}/revoke", "client-revoke",
			"Revoke the client's access: its users are shut out and their sessions end; data and link stay (admins)", "clients"),
		func(ctx context.Context, in *cliPath) (*cliDetailOut, error) {
			d, err := s.Revoke(ctx, RelationFrom(ctx), authz.ActorFrom(ctx))
			return &cliDetailOut{Body: d}, err
		})

	add(a, Access{Kind: AgencyClient, Action: authz.ClientDisconnect, Param: "id", ClientParam: "client_id"},
		op(http.MethodPost, "/api/v1/agencies/{id}/clients/{client_id}/restore", "client-restore",
			"Restore a revoked client: its users may log in again at once, its status follows its history (admins); 409 not_revoked", "clients"),
		func(ctx context.Context, in *cliPath) (*cliDetailOut, error) {
			d, err := s.Restore(ctx, RelationFrom(ctx), authz.ActorFrom(ctx))
			return &cliDetailOut{Body: d}, err
		})

	add(a, Access{Kind: Account, Action: authz.ClientUsersRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/users", "client-user-list",
			"A client account's users, for its team and the agency users who see it", "clients"),
		func(ctx context.Context, in *idPath) (*cliUsersOut, error) {
			out := &cliUsersOut{}
			var err error
			out.Body.Users, err = s.Users(ctx, RelationFrom(ctx))
			return out, err
		})

	usersManage := Access{Kind: Account, Action: authz.ClientUsersManage, Param: "id"}
	add(a, usersManage, op(http.MethodPatch, "/api/v1/accounts/{id}/users/{user_id}", "client-user-update",
		"Change a client user's role; the client cannot demote its last admin", "clients"),
		func(ctx context.Context, in *cliUserRoleIn) (*cliUserOut, error) {
			u, err := s.SetRole(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.UserID, in.Body.Role)
			return &cliUserOut{Body: u}, err
		})

	add(a, usersManage, noContent(op(http.MethodDelete, "/api/v1/accounts/{id}/users/{user_id}", "client-user-remove",
		"Remove a user from a client account at once; the client cannot remove its last admin", "clients")),
		func(ctx context.Context, in *cliUserPath) (*empty, error) {
			return nil, s.RemoveUser(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), in.UserID)
		})
}
