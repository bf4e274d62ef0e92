package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
)

// One client as the agency sees it (SPEC §3): overview and settings,
// users, brands, account managers, and revoking its access.

type clientDetailData struct {
	Client client.ClientDetail
	// Brands are the agency's brands the client does not have yet.
	Brands []agency.Brand
	// Managers are the agency users who may be assigned (admins and
	// account managers), with the assigned ones checked.
	Managers []agency.Member
	Assigned []string
	Can      struct{ Manage, Users, Revoke, LoginAs bool }
	// Invitations are the client's open invitations and Invite User.
	Invitations invitationsPanel
	// Health and Activity are the score explained and the latest events
	// (client_health.go).
	Health   healthPanel
	Activity activityPanel
	// Billing is the client's billing details, for those who read them.
	Billing *billingPanel
	// Sharing is who in the agency sees the client, for the agency's
	// admins who change it (daily_pages.go); nil for everyone else.
	Sharing *sharingPanel
	// New: the first user joined less than 30 days ago (issue 18).
	New bool
}

func (h *handler) clientDetail(c *call) { h.showClient(c, http.StatusOK) }

// showClient renders the detail; the form posts render it again with
// their errors.
func (h *handler) showClient(c *call, status int) {
	d := clientDetailData{}
	var err error
	if d.Client, err = h.deps.Clients.Get(c.ctx(), c.rel); err != nil {
		c.fail(err)
		return
	}
	d.Can.Manage, d.Can.Users, d.Can.Revoke = c.can(authz.ClientManage), c.can(authz.ClientUsersManage), c.can(authz.ClientDisconnect)
	d.Can.LoginAs = c.can(authz.ClientImpersonate)
	for _, m := range d.Client.AccountManagers {
		d.Assigned = append(d.Assigned, m.ID)
	}
	if d.Can.Manage {
		// Choices for the forms come from the agency itself.
		agencyRel, err := c.agencyRel(authz.AgencyRead)
		if err != nil {
			c.fail(err)
			return
		}
		all, _, err := h.deps.Agency.Brands(c.ctx(), agencyRel, agency.BrandFilter{Page: agency.Page{Limit: agency.MaxLimit}})
		if err != nil {
			c.fail(err)
			return
		}
		for _, b := range all {
			if !slices.ContainsFunc(d.Client.Brands, func(g client.ClientBrand) bool { return g.ID == b.ID }) {
				d.Brands = append(d.Brands, b)
			}
		}
		members, _, err := h.deps.Agency.Members(c.ctx(), agencyRel, agency.Page{Limit: agency.MaxLimit})
		if err != nil {
			c.fail(err)
			return
		}
		for _, m := range members {
			// The client service assigns only these roles; offering
			// others would only earn an error.
			if m.Role == "admin" || m.Role == "account_manager" {
				d.Managers = append(d.Managers, m)
			}
		}
	}
	if _, ok := c.p.Values["seats"]; !ok {
		c.p.Values["seats"] = strconv.Itoa(d.Client.Seats)
	}
	if d.Invitations, err = h.clientInvitations(c, d.Client.Seats, d.Client.UsersCount, d.Client.PendingInvitations); err != nil {
		c.fail(err)
		return
	}
	if d.Health, err = h.clientHealth(c, d.Client); err != nil {
		c.fail(err)
		return
	}
	if d.Activity, err = h.clientActivity(c, d.Client, ""); err != nil {
		c.fail(err)
		return
	}
	if d.Billing, err = h.clientBilling(c); err != nil {
		c.fail(err)
		return
	}
	if nw, err := h.deps.Clients.NewClients(c.ctx(), []string{d.Client.ID}); err != nil {
		c.fail(err)
		return
	} else {
		d.New = nw[d.Client.ID]
	}
	if d.Sharing, err = h.clientSharing(c, d.Client); err != nil {
		c.fail(err)
		return
	}
	c.p.Title = d.Client.Name
	c.p.Data = d
	c.render(status, "client")
}

func (h *handler) clientPath(c *call) string {
	return "/app/clients/" + url.PathEscape(c.rel.AccountID)
}

// clientSettings saves the overview form: seats, enabled and permissions.
func (h *handler) clientSettings(c *call) {
	c.form("seats")
	seats, err := seatsValue(c.p.Values["seats"])
	if err != nil {
		c.invalid(err, map[string]string{"seats": "seats"}, func(st int) { h.showClient(c, st) })
		return
	}
	on := func(name string) *bool { v := c.r.PostFormValue(name) == "on"; return &v }
	_, err = h.deps.Clients.Update(c.ctx(), c.rel, c.a, client.Change{Seats: &seats, Enabled: on("enabled"),
		CanExport: on("can_export"), ManageBilling: on("manage_billing"), Reports: on("reports"), Users: on("users")})
	if err != nil {
		c.invalid(err, map[string]string{"seats": "seats", "seats_below_usage": "seats"}, func(st int) { h.showClient(c, st) })
		return
	}
	c.done("Settings saved.", h.clientPath(c))
}

// clientManagers replaces the client's account managers.
func (h *handler) clientManagers(c *call) {
	c.form()
	ids := c.r.PostForm["account_manager_ids"]
	if ids == nil {
		ids = []string{} // none checked: nobody, not "unchanged"
	}
	if _, err := h.deps.Clients.Update(c.ctx(), c.rel, c.a, client.Change{AccountManagerIDs: ids}); err != nil {
		c.invalid(err, map[string]string{"account_manager_ids": "account_manager_ids"}, func(st int) { h.showClient(c, st) })
		return
	}
	c.done("Account managers saved.", h.clientPath(c)+"#managers")
}

func (h *handler) clientBrandGrant(c *call) {
	c.form("brand_id")
	if err := h.deps.Clients.GrantBrand(c.ctx(), c.rel, c.a, c.p.Values["brand_id"]); err != nil {
		c.invalid(err, map[string]string{"brand_not_found": "brand_id"}, func(st int) { h.showClient(c, st) })
		return
	}
	c.done("Brand added: the client's users see it now.", h.clientPath(c)+"#brands")
}

func (h *handler) clientBrandRemove(c *call) {
	if err := h.deps.Clients.RemoveBrand(c.ctx(), c.rel, c.a, c.r.PathValue("brand_id")); err != nil {
		c.refused(err, h.clientPath(c)+"#brands")
		return
	}
	c.done("Brand removed: the client's users no longer see it.", h.clientPath(c)+"#brands")
}

func (h *handler) clientUserRole(c *call) {
	c.form("role")
	if _, err := h.deps.Clients.SetRole(c.ctx(), c.rel, c.a, c.r.PathValue("user_id"), c.p.Values["role"]); err != nil {
		c.refused(err, h.clientPath(c)+"#users")
		return
	}
	c.done("Role changed.", h.clientPath(c)+"#users")
}

func (h *handler) clientUserRemove(c *call) {
	if err := h.deps.Clients.RemoveUser(c.ctx(), c.rel, c.a, c.r.PathValue("user_id")); err != nil {
		c.refused(err, h.clientPath(c)+"#users")
		return
	}
	c.done("User removed from the client. Their sessions in it have ended.", h.clientPath(c)+"#users")
}

// clientRevoke removes the client's access: its users are shut out at once.
func (h *handler) clientRevoke(c *call) {
	if _, err := h.deps.Clients.Revoke(c.ctx(), c.rel, c.a); err != nil {
		c.refused(err, h.clientPath(c))
		return
	}
	c.done("Access revoked. The client's users can no longer log in to it; its data stays.", h.clientPath(c))
}
