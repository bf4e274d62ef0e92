package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The agency's organisation (SPEC §1): members and groups, brands,
// settings. Every member reads them; admins change them.

type membersData struct {
	Members     []agency.Member
	MoreMembers string
	Groups      []agency.Group
	MoreGroups  string
	// Everyone is the agency's members to choose from in a group (the
	// first agency.MaxLimit).
	Everyone []agency.Member
	Roles    []string
	Manage   bool
	// Selected keeps a group's ticked members when its form comes back
	// with an error.
	Selected map[string][]string
	// Invitations are the open staff invitations and the invite form.
	Invitations invitationsPanel
}

// Checked reports whether a user's box is ticked in a group's form: as
// posted when the form came back with an error, else as the group is.
func (d membersData) Checked(g agency.Group, userID string) bool {
	if sel, ok := d.Selected[g.ID]; ok {
		return has(sel, userID)
	}
	for _, m := range g.Members {
		if m.ID == userID {
			return true
		}
	}
	return false
}

func (h *handler) members(c *call) { h.showMembers(c, http.StatusOK, nil) }

func (h *handler) showMembers(c *call, status int, selected map[string][]string) {
	q := c.r.URL.Query()
	d := membersData{Roles: authz.AgencyRoles, Manage: c.can(authz.AgencyManage), Selected: selected}
	var next string
	var err error
	if d.Members, next, err = h.deps.Agency.Members(c.ctx(), c.rel, agency.Page{Cursor: q.Get("cursor")}); err != nil {
		h.listFailed(c, err, "/app/members")
		return
	}
	if next != "" {
		d.MoreMembers = listURL("/app/members", url.Values{}, "cursor", next)
	}
	if d.Groups, next, err = h.deps.Agency.Groups(c.ctx(), c.rel, agency.Page{Cursor: q.Get("groups_cursor")}); err != nil {
		h.listFailed(c, err, "/app/members")
		return
	}
	if next != "" {
		d.MoreGroups = listURL("/app/members", url.Values{}, "groups_cursor", next) + "#groups"
	}
	if d.Manage {
		if d.Everyone, _, err = h.deps.Agency.Members(c.ctx(), c.rel, agency.Page{Limit: agency.MaxLimit}); err != nil {
			c.fail(err)
			return
		}
	}
	if d.Invitations, err = h.staffInvitations(c); err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Members & Groups"
	c.p.Data = d
	c.render(status, "members")
}

// listFailed answers a list that could not be read: a stale cursor starts
// the list again, anything else is an error page.
func (h *handler) listFailed(c *call, err error, to string) {
	if errs.Is(err, errs.Invalid) {
		h.setFlash(c.w, flash{Error: errs.As(err).Message})
		redirect(c.w, c.r, to)
		return
	}
	c.fail(err)
}

func (h *handler) memberRole(c *call) {
	c.form("role")
	m, err := h.deps.Agency.ChangeRole(c.ctx(), c.a, c.rel, c.r.PathValue("user_id"), c.p.Values["role"])
	if err != nil {
		c.refused(err, "/app/members")
		return
	}
	c.done(m.Name+" is now "+strings.ToLower(roleLabel(m.Role))+".", "/app/members")
}

func (h *handler) memberRemove(c *call) {
	if err := h.deps.Agency.RemoveMember(c.ctx(), c.a, c.rel, c.r.PathValue("user_id")); err != nil {
		c.refused(err, "/app/members")
		return
	}
	c.done("Member removed. Their access to the agency and its clients ended at once.", "/app/members")
}

func (h *handler) groupCreate(c *call) {
	c.form("name")
	c.p.Values["group_name"] = c.p.Values["name"]
	g, err := h.deps.Agency.CreateGroup(c.ctx(), c.a, c.rel, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": "group_name", "name_taken": "group_name"},
			func(st int) { h.showMembers(c, st, nil) })
		return
	}
	c.done("Group “"+g.Name+"” created. Tick its members below.", "/app/members#group-"+g.ID)
}

func (h *handler) groupRename(c *call) {
	c.form("name")
	id := c.r.PathValue("group_id")
	key := "group-" + id + "-name"
	c.p.Values[key] = c.p.Values["name"]
	g, err := h.deps.Agency.RenameGroup(c.ctx(), c.a, c.rel, id, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": key, "name_taken": key}, func(st int) { h.showMembers(c, st, nil) })
		return
	}
	c.done("Group renamed to “"+g.Name+"”.", "/app/members#group-"+g.ID)
}

func (h *handler) groupMembers(c *call) {
	c.form()
	id := c.r.PathValue("group_id")
	ids := c.r.PostForm["user_ids"]
	g, err := h.deps.Agency.SetGroupMembers(c.ctx(), c.a, c.rel, id, ids)
	if err != nil {
		c.invalid(err, map[string]string{"user_ids": "group-" + id + "-members"},
			func(st int) { h.showMembers(c, st, map[string][]string{id: ids}) })
		return
	}
	c.done("“"+g.Name+"” now has "+plural(len(g.Members), "member")+".", "/app/members#group-"+g.ID)
}

func (h *handler) groupDelete(c *call) {
	if err := h.deps.Agency.DeleteGroup(c.ctx(), c.a, c.rel, c.r.PathValue("group_id")); err != nil {
		c.refused(err, "/app/members")
		return
	}
	c.done("Group deleted. Clients shared with it are no longer seen through it.", "/app/members#groups")
}

// brandRow is a brand with the clients that would lose it.
type brandRow struct {
	agency.Brand
	Losers string // "Acme, Beta and 3 more", for the delete confirmation
}

type brandsData struct {
	Brands []brandRow
	Q      string
	Next   string
	First  string
	Manage bool
}

func (h *handler) brands(c *call) { h.showBrands(c, http.StatusOK) }

func (h *handler) showBrands(c *call, status int) {
	q := c.r.URL.Query()
	d := brandsData{Q: strings.TrimSpace(q.Get("q")), Manage: c.can(authz.AgencyManage)}
	list, next, err := h.deps.Agency.Brands(c.ctx(), c.rel, agency.BrandFilter{Q: d.Q, Page: agency.Page{Cursor: q.Get("cursor")}})
	if err != nil {
		h.listFailed(c, err, "/app/brands")
		return
	}
	keep := url.Values{"q": {d.Q}}
	if next != "" {
		d.Next = listURL("/app/brands", keep, "cursor", next)
	}
	if q.Get("cursor") != "" {
		d.First = listURL("/app/brands", keep)
	}
	var losers map[string][]string
	if d.Manage {
		if losers, err = h.brandClients(c); err != nil {
			c.fail(err)
			return
		}
	}
	for _, b := range list {
		row := brandRow{Brand: b}
		shown := losers[b.ID][:min(len(losers[b.ID]), 3)]
		switch {
		case len(shown) > 0:
			row.Losers = strings.Join(shown, ", ")
			if more := b.Clients - len(shown); more > 0 {
				row.Losers += " and " + plural(more, "more client")
			}
		case b.Clients > 0:
			row.Losers = plural(b.Clients, "client")
		}
		d.Brands = append(d.Brands, row)
	}
	c.p.Title = "Brands"
	c.p.Data = d
	c.render(status, "brands")
}

// brandClients names, per brand, the clients that have it, from the first
// page of the client list (the client service has no lookup by brand); the
// counts on the brands are exact, the names are examples.
func (h *handler) brandClients(c *call) (map[string][]string, error) {
	pg, err := h.deps.Clients.List(c.ctx(), authz.ClientScope{AgencyID: c.acc.ID, UserID: c.a.UserID},
		client.ListQuery{Limit: client.MaxLimit})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, cl := range pg.Clients {
		for _, b := range cl.Brands {
			out[b.ID] = append(out[b.ID], cl.Name)
		}
	}
	return out, nil
}

func (h *handler) brandCreate(c *call) {
	c.form("name")
	b, err := h.deps.Agency.CreateBrand(c.ctx(), c.a, c.rel, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": "name", "name_taken": "name"}, func(st int) { h.showBrands(c, st) })
		return
	}
	c.done("Brand “"+b.Name+"” created. Give clients access to it from their pages.", "/app/brands")
}

func (h *handler) brandRename(c *call) {
	c.form("name")
	id := c.r.PathValue("brand_id")
	key := "brand-" + id + "-name"
	c.p.Values[key] = c.p.Values["name"]
	b, err := h.deps.Agency.RenameBrand(c.ctx(), c.a, c.rel, id, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": key, "name_taken": key}, func(st int) { h.showBrands(c, st) })
		return
	}
	c.done("Brand renamed to “"+b.Name+"”.", "/app/brands")
}

func (h *handler) brandDelete(c *call) {
	if err := h.deps.Agency.DeleteBrand(c.ctx(), c.a, c.rel, c.r.PathValue("brand_id")); err != nil {
		c.refused(err, "/app/brands")
		return
	}
	c.done("Brand deleted. The clients that had it no longer see it.", "/app/brands")
}

// settingField is one agency setting with its range and default.
type settingField struct {
	Name, Label, Unit string
	Min, Max, Default int
}

var settingFields = []settingField{
	{"at_risk_days", "At risk after", "days without a login", 1, 365, agency.DefaultSettings.AtRiskDays},
	{"churn_days", "Churned after", "days without a login", 2, 730, agency.DefaultSettings.ChurnDays},
	{"client_invite_ttl_days", "Client invitations expire after", "days", 1, 90, agency.DefaultSettings.ClientInviteTTLDays},
	{"team_invite_ttl_days", "Team invitations expire after", "days", 1, 90, agency.DefaultSettings.TeamInviteTTLDays},
	{"impersonation_idle_minutes", "Login As ends after", "minutes of inactivity", 5, 480, agency.DefaultSettings.ImpersonationIdleMinutes},
}

type settingsData struct {
	Fields []settingField
	Manage bool
	// Zones are suggestions for the time zone field (daily_pages.go).
	Zones []string
}

func (h *handler) settings(c *call) {
	v, err := h.deps.Agency.GetSettings(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	for name, n := range map[string]int{"at_risk_days": v.AtRiskDays, "churn_days": v.ChurnDays,
		"client_invite_ttl_days": v.ClientInviteTTLDays, "team_invite_ttl_days": v.TeamInviteTTLDays,
		"impersonation_idle_minutes": v.ImpersonationIdleMinutes} {
		c.p.Values[name] = strconv.Itoa(n)
	}
	c.p.Values["impersonation_reason_required"] = checked(v.ImpersonationReasonRequired)
	c.p.Values["notify_client_on_impersonation"] = checked(v.NotifyClientOnImpersonation)
	c.p.Values["headline_metrics"] = strings.Join(v.HeadlineMetrics, ", ")
	c.p.Values["timezone"] = v.Timezone               // its own form (daily_pages.go)
	c.p.Values["require_2fa"] = checked(v.Require2FA) // its own form (twofactor_pages.go)
	c.p.Values["require_2fa_login_as"] = checked(v.Require2FALoginAs)
	h.showSettings(c, http.StatusOK)
}

func (h *handler) showSettings(c *call, status int) {
	c.p.Title = "Settings"
	c.p.Data = settingsData{Fields: settingFields, Manage: c.can(authz.AgencyManage), Zones: commonZones}
	c.render(status, "settings")
}

func (h *handler) saveSettings(c *call) {
	names := make([]string, len(settingFields))
	fields := map[string]string{}
	for i, f := range settingFields {
		names[i], fields[f.Name] = f.Name, f.Name
	}
	c.form(append(names, "impersonation_reason_required", "notify_client_on_impersonation", "headline_metrics")...)
	fields["headline_metrics"] = "headline_metrics"
	var u agency.SettingsUpdate
	// Headline metrics: names separated by commas (or spaces).
	headline := strings.FieldsFunc(c.p.Values["headline_metrics"], func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	u.HeadlineMetrics = &headline
	// Login As switches (issue 7): an unchecked box is not sent.
	reason, notify := c.p.Values["impersonation_reason_required"] == "on", c.p.Values["notify_client_on_impersonation"] == "on"
	u.ImpersonationReasonRequired, u.NotifyClientOnImpersonation = &reason, &notify
	targets := []**int{&u.AtRiskDays, &u.ChurnDays, &u.ClientInviteTTLDays, &u.TeamInviteTTLDays, &u.ImpersonationIdleMinutes}
	for i, f := range settingFields {
		n, err := strconv.Atoi(strings.TrimSpace(c.p.Values[f.Name]))
		if err != nil {
			c.invalid(errs.InvalidField(f.Name, "Enter a whole number from %d to %d.", f.Min, f.Max), fields,
				func(st int) { h.showSettings(c, st) })
			return
		}
		*targets[i] = &n
	}
	if _, err := h.deps.Agency.UpdateSettings(c.ctx(), c.a, c.rel, u); err != nil {
		c.invalid(err, fields, func(st int) { h.showSettings(c, st) })
		return
	}
	c.done("Settings saved.", "/app/settings")
}

// checked is a checkbox's posted value for a true setting.
func checked(b bool) string {
	if b {
		return "on"
	}
	return ""
}
