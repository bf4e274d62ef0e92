package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
)

// The agency's organisation (SPEC §1, §10): members, groups, settings and
// brands. Every agency member reads them; only admins change them.

// AgencyPageQuery, AgencyMemberPath and AgencyGroupPath are embedded in the
// inputs below; huma only finds parameters in exported embedded structs.
type AgencyPageQuery struct {
	Cursor string `query:"cursor" maxLength:"400" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
}

func (p AgencyPageQuery) page() agency.Page { return agency.Page{Cursor: p.Cursor, Limit: p.Limit} }

type agencyListIn struct {
	ID string `path:"id" maxLength:"64"`
	AgencyPageQuery
}

// AgencyMemberPath names a member of an agency.
type AgencyMemberPath struct {
	ID     string `path:"id" maxLength:"64"`
	UserID string `path:"user_id" maxLength:"64"`
}

type memberRoleIn struct {
	AgencyMemberPath
	Body struct {
		Role string `json:"role" enum:"admin,account_manager,member,viewer"`
	}
}

type membersOut struct {
	Body struct {
		Members    []agency.Member `json:"members"`
		NextCursor string          `json:"next_cursor"`
	}
}

type memberOut struct{ Body agency.Member }

// AgencyGroupPath names a group of an agency.
type AgencyGroupPath struct {
	ID      string `path:"id" maxLength:"64"`
	GroupID string `path:"group_id" maxLength:"64"`
}

type nameBody struct {
	Name string `json:"name" maxLength:"200" doc:"1–80 characters, unique in the agency (case-insensitively)"`
}

type groupCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body nameBody
}

type groupRenameIn struct {
	AgencyGroupPath
	Body nameBody
}

type groupMembersIn struct {
	AgencyGroupPath
	Body struct {
		UserIDs []string `json:"user_ids" maxItems:"1000" doc:"The group's members, replacing the current ones; each must be a member of the agency"`
	}
}

type groupsOut struct {
	Body struct {
		Groups     []agency.Group `json:"groups"`
		NextCursor string         `json:"next_cursor"`
	}
}

type groupOut struct{ Body agency.Group }

type settingsOut struct{ Body agency.AgencySettings }

type settingsIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		AtRiskDays               *int `json:"at_risk_days,omitempty" doc:"1–365"`
		ChurnDays                *int `json:"churn_days,omitempty" doc:"2–730, more than at_risk_days"`
		ClientInviteTTLDays      *int `json:"client_invite_ttl_days,omitempty" doc:"1–90"`
		TeamInviteTTLDays        *int `json:"team_invite_ttl_days,omitempty" doc:"1–90"`
		ImpersonationIdleMinutes *int `json:"impersonation_idle_minutes,omitempty" doc:"5–480"`

		ImpersonationReasonRequired *bool `json:"impersonation_reason_required,omitempty" doc:"Login As must give a reason"`
		NotifyClientOnImpersonation *bool `json:"notify_client_on_impersonation,omitempty" doc:"E-mail the client's admins when Login As starts"`

		Timezone *string `json:"timezone,omitempty" maxLength:"64" doc:"IANA time zone of the weekly health digest, e.g. Europe/Paris"`

		HeadlineMetrics *[]string `json:"headline_metrics,omitempty" doc:"Up to three metric names ([a-z][a-z0-9_.]{0,63}), shown as columns of the client list; [] for none"`

		Require2FA        *bool `json:"require_2fa,omitempty" doc:"Staff must sign in with a second factor; those without one set it up at their next sign-in, and a person who joins by invitation on accepting it, before their first session"`
		Require2FALoginAs *bool `json:"require_2fa_login_as,omitempty" doc:"Staff must have two-factor sign-in on to start Login As"`
	}
}

type brandListIn struct {
	ID string `path:"id" maxLength:"64"`
	Q  string `query:"q" maxLength:"200" doc:"Part of the brand's name, any case"`
	AgencyPageQuery
}

type brandCreateIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body nameBody
}

type brandRenameIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body nameBody
}

// AgencyBrand is agency.Brand under a schema name of its own: huma names
// schemas by Go type name, and "Brand" is client.Brand (a brand as the
// client list shows it).
type AgencyBrand agency.Brand

type brandsOut struct {
	Body struct {
		Brands     []AgencyBrand `json:"brands"`
		NextCursor string        `json:"next_cursor"`
	}
}

type brandOut struct{ Body AgencyBrand }

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) agencyRoutes() {
	read := Access{Kind: Account, Action: authz.AgencyRead, Param: "id"}
	manage := Access{Kind: Account, Action: authz.AgencyManage, Param: "id"}
	svc := a.deps.Agency
	actor := authz.ActorFrom
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	// Members. Adding one is by invitation (the invitations surface).
	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/members", "agency-member-list", "The agency's members, by name", "agency"),
		func(ctx context.Context, in *agencyListIn) (*membersOut, error) {
			out := &membersOut{}
			var err error
			out.Body.Members, out.Body.NextCursor, err = svc.Members(ctx, RelationFrom(ctx), in.page())
			out.Body.Members = orEmpty(out.Body.Members)
			return out, err
		})
	add(a, manage, op(http.MethodPatch, "/api/v1/agencies/{id}/members/{user_id}", "agency-member-update",
		"Change a member's role (409 last_admin for the last admin)", "agency"),
		func(ctx context.Context, in *memberRoleIn) (*memberOut, error) {
			m, err := svc.ChangeRole(ctx, actor(ctx), RelationFrom(ctx), in.UserID, in.Body.Role)
			return &memberOut{Body: m}, err
		})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/members/{user_id}", "agency-member-remove",
		"Remove a member: their groups, client assignments, link access and sessions in the agency end at once (409 last_admin for the last admin)", "agency")),
		func(ctx context.Context, in *AgencyMemberPath) (*empty, error) {
			return nil, svc.RemoveMember(ctx, actor(ctx), RelationFrom(ctx), in.UserID)
		})

	// Groups.
	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/groups", "agency-group-list", "The agency's groups with their members, by name", "agency"),
		func(ctx context.Context, in *agencyListIn) (*groupsOut, error) {
			out := &groupsOut{}
			var err error
			out.Body.Groups, out.Body.NextCursor, err = svc.Groups(ctx, RelationFrom(ctx), in.page())
			out.Body.Groups = orEmpty(out.Body.Groups)
			return out, err
		})
	add(a, manage, created(op(http.MethodPost, "/api/v1/agencies/{id}/groups", "agency-group-create",
		"Create a group (409 name_taken when the name is used, in any case)", "agency")),
		func(ctx context.Context, in *groupCreateIn) (*groupOut, error) {
			g, err := svc.CreateGroup(ctx, actor(ctx), RelationFrom(ctx), in.Body.Name)
			return &groupOut{Body: g}, err
		})
	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/groups/{group_id}", "agency-group-get", "One group with its members", "agency"),
		func(ctx context.Context, in *AgencyGroupPath) (*groupOut, error) {
			g, err := svc.Group(ctx, RelationFrom(ctx), in.GroupID)
			return &groupOut{Body: g}, err
		})
	add(a, manage, op(http.MethodPatch, "/api/v1/agencies/{id}/groups/{group_id}", "agency-group-rename", "Rename a group", "agency"),
		func(ctx context.Context, in *groupRenameIn) (*groupOut, error) {
			g, err := svc.RenameGroup(ctx, actor(ctx), RelationFrom(ctx), in.GroupID, in.Body.Name)
			return &groupOut{Body: g}, err
		})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/groups/{group_id}", "agency-group-delete",
		"Delete a group; clients shared with it are no longer seen through it", "agency")),
		func(ctx context.Context, in *AgencyGroupPath) (*empty, error) {
			return nil, svc.DeleteGroup(ctx, actor(ctx), RelationFrom(ctx), in.GroupID)
		})
	add(a, manage, op(http.MethodPut, "/api/v1/agencies/{id}/groups/{group_id}/members", "agency-group-members",
		"Replace a group's members (400 on user_ids, and nothing changes, unless all are members of the agency)", "agency"),
		func(ctx context.Context, in *groupMembersIn) (*groupOut, error) {
			g, err := svc.SetGroupMembers(ctx, actor(ctx), RelationFrom(ctx), in.GroupID, in.Body.UserIDs)
			return &groupOut{Body: g}, err
		})

	// Settings.
	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/settings", "agency-settings-get",
		"The agency's settings (defaults until saved: 14, 45, 14, 7, 15)", "agency"),
		func(ctx context.Context, in *idPath) (*settingsOut, error) {
			v, err := svc.GetSettings(ctx, RelationFrom(ctx))
			return &settingsOut{Body: v}, err
		})
	o := op(http.MethodPut, "/api/v1/agencies/{id}/settings", "agency-settings-put",
		"Save the agency's settings; every field is optional and an omitted one keeps its current value", "agency")
	o.Description = "The merged settings are validated as a whole: at_risk_days 1–365, churn_days 2–730 and more than " +
		"at_risk_days, client_invite_ttl_days and team_invite_ttl_days 1–90, impersonation_idle_minutes 5–480, " +
		"headline_metrics at most 3 distinct metric names. " +
		"A 400 names the field at fault and nothing is saved."
	add(a, manage, o, func(ctx context.Context, in *settingsIn) (*settingsOut, error) {
		b := in.Body
		v, err := svc.UpdateSettings(ctx, actor(ctx), RelationFrom(ctx), agency.SettingsUpdate{AtRiskDays: b.AtRiskDays,
			ChurnDays: b.ChurnDays, ClientInviteTTLDays: b.ClientInviteTTLDays, TeamInviteTTLDays: b.TeamInviteTTLDays,
			ImpersonationIdleMinutes:    b.ImpersonationIdleMinutes,
			ImpersonationReasonRequired: b.ImpersonationReasonRequired, NotifyClientOnImpersonation: b.NotifyClientOnImpersonation,
			Timezone: b.Timezone, HeadlineMetrics: b.HeadlineMetrics, Require2FA: b.Require2FA, Require2FALoginAs: b.Require2FALoginAs})
		return &settingsOut{Body: v}, err
	})

	// Brands. Granting one to a client is on the client routes.
	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/brands", "agency-brand-list", "The agency's brands, by name; q= searches names", "brands"),
		func(ctx context.Context, in *brandListIn) (*brandsOut, error) {
			bs, next, err := svc.Brands(ctx, RelationFrom(ctx), agency.BrandFilter{Q: in.Q, Page: in.page()})
			out := &brandsOut{}
			out.Body.Brands, out.Body.NextCursor = make([]AgencyBrand, len(bs)), next
			for i, b := range bs {
				out.Body.Brands[i] = AgencyBrand(b)
			}
			return out, err
		})
	add(a, manage, created(op(http.MethodPost, "/api/v1/agencies/{id}/brands", "agency-brand-create",
		"Create a brand (409 name_taken when the name is used, in any case)", "brands")),
		func(ctx context.Context, in *brandCreateIn) (*brandOut, error) {
			b, err := svc.CreateBrand(ctx, actor(ctx), RelationFrom(ctx), in.Body.Name)
			return &brandOut{Body: AgencyBrand(b)}, err
		})
	brandRead := Access{Kind: Brand, Action: authz.AgencyRead, Param: "id"}
	brandManage := Access{Kind: Brand, Action: authz.AgencyManage, Param: "id"}
	add(a, brandRead, op(http.MethodGet, "/api/v1/brands/{id}", "brand-get", "One brand", "brands"),
		func(ctx context.Context, in *idPath) (*brandOut, error) {
			b, err := svc.Brand(ctx, RelationFrom(ctx), in.ID)
			return &brandOut{Body: AgencyBrand(b)}, err
		})
	add(a, brandManage, op(http.MethodPatch, "/api/v1/brands/{id}", "brand-rename", "Rename a brand", "brands"),
		func(ctx context.Context, in *brandRenameIn) (*brandOut, error) {
			b, err := svc.RenameBrand(ctx, actor(ctx), RelationFrom(ctx), in.ID, in.Body.Name)
			return &brandOut{Body: AgencyBrand(b)}, err
		})
	add(a, brandManage, noContent(op(http.MethodDelete, "/api/v1/brands/{id}", "brand-delete",
		"Delete a brand and every client's access to it", "brands")),
		func(ctx context.Context, in *idPath) (*empty, error) {
			return nil, svc.DeleteBrand(ctx, actor(ctx), RelationFrom(ctx), in.ID)
		})
}
