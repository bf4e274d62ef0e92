package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The client portal's own pages: its users (SPEC §1, client side). Its
// agencies are the links page (link_pages.go).

type usersData struct {
	Users       []client.ClientUser
	Roles       []string
	Manage      bool
	Invitations invitationsPanel
}

// users lists the client's users; admins change roles and remove users.
func (h *handler) users(c *call) {
	if c.featureOff(func(f branding.Features) bool { return f.Users }) {
		return
	}
	list, err := h.deps.Clients.Users(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	inv, err := h.teamInvitations(c)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Users"
	c.p.Data = usersData{Users: list, Roles: authz.ClientRoles, Manage: c.can(authz.ClientUsersManage), Invitations: inv}
	c.render(http.StatusOK, "users")
}

func (h *handler) userRole(c *call) {
	c.form("role")
	u, err := h.deps.Clients.SetRole(c.ctx(), c.rel, c.a, c.r.PathValue("user_id"), c.p.Values["role"])
	if err != nil {
		c.refused(err, "/app/users")
		return
	}
	c.done(u.Name+" is now "+map[string]string{"admin": "an admin", "member": "a member"}[u.Role]+".", "/app/users")
}

func (h *handler) userRemove(c *call) {
	if err := h.deps.Clients.RemoveUser(c.ctx(), c.rel, c.a, c.r.PathValue("user_id")); err != nil {
		c.refused(err, "/app/users")
		return
	}
	c.done("User removed. Their sessions in this account have ended.", "/app/users")
}

type portalHomeData struct {
	Brands []client.ClientBrand
}

// portalHome adds to a client portal's home the brands the client was
// granted, the only ones its users see.
func (h *handler) portalHome(r *http.Request, a *authz.Actor, p *page) error {
	rel, err := h.deps.Authz.Check(r.Context(), a, p.Shell.Current.Account.ID, authz.PortalUse)
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		return nil // a closed account: the home says nothing more
	}
	if err != nil {
		return err
	}
	brands, err := h.deps.Clients.PortalBrands(r.Context(), rel)
	p.Data = portalHomeData{Brands: brands}
	return err
}
