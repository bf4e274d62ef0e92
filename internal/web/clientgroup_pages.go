package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/clientgroup"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Client groups, report sharing and per-client branding (issue 24). The
// groups page is the same for a client's admin in the portal
// (/app/user-groups) and for the agency on the client's page
// (/app/clients/{client_id}/groups); only its base path differs. The
// sharing of a report is a page of its own next to the builder, and a
// client's own branding one next to its detail page.

// clientGroupRoutes registers the pages (called from routes).
func (h *handler) clientGroupRoutes(m *pageMux, g func(target, authz.Action, string, func(*call)) http.HandlerFunc) {
	m.HandleFunc("GET /app/user-groups", g(ownClient, authz.ClientGroupsRead, "user-groups", h.groupsPage))
	m.HandleFunc("POST /app/user-groups", g(ownClient, authz.ClientGroupsManage, "user-groups", h.clientGroupCreate))
	m.HandleFunc("POST /app/user-groups/{group_id}/rename", g(ownClient, authz.ClientGroupsManage, "user-groups", h.clientGroupRename))
	m.HandleFunc("POST /app/user-groups/{group_id}/members", g(ownClient, authz.ClientGroupsManage, "user-groups", h.clientGroupMembers))
	m.HandleFunc("POST /app/user-groups/{group_id}/delete", g(ownClient, authz.ClientGroupsManage, "user-groups", h.clientGroupDelete))
	m.HandleFunc("GET /app/clients/{client_id}/groups", g(agencyClient, authz.ClientGroupsRead, "clients", h.groupsPage))
	m.HandleFunc("POST /app/clients/{client_id}/groups", g(agencyClient, authz.ClientGroupsManage, "clients", h.clientGroupCreate))
	m.HandleFunc("POST /app/clients/{client_id}/groups/{group_id}/rename", g(agencyClient, authz.ClientGroupsManage, "clients", h.clientGroupRename))
	m.HandleFunc("POST /app/clients/{client_id}/groups/{group_id}/members", g(agencyClient, authz.ClientGroupsManage, "clients", h.clientGroupMembers))
	m.HandleFunc("POST /app/clients/{client_id}/groups/{group_id}/delete", g(agencyClient, authz.ClientGroupsManage, "clients", h.clientGroupDelete))

	m.HandleFunc("GET /app/reports/{report_id}/sharing", g(reportOf, authz.ReportSharingRead, "brands", h.sharingPage))
	m.HandleFunc("POST /app/reports/{report_id}/sharing", g(reportOf, authz.ReportShare, "brands", h.sharingSave))
	m.HandleFunc("GET /app/reports/{report_id}/fullscreen", g(reportOf, authz.BrandDataRead, "reports", h.reportFullscreen))

	m.HandleFunc("GET /app/clients/{client_id}/branding", g(agencyClient, authz.ClientBrandingRead, "clients", h.clientBrandingPage))
	m.HandleFunc("POST /app/clients/{client_id}/branding", g(agencyClient, authz.ClientBrandingManage, "clients", h.clientBrandingSave))
	m.HandleFunc("POST /app/clients/{client_id}/branding/logos/{slot}", g(agencyClient, authz.ClientBrandingManage, "clients", h.clientBrandingLogo))
	m.HandleFunc("POST /app/clients/{client_id}/branding/logos/{slot}/delete", g(agencyClient, authz.ClientBrandingManage, "clients", h.clientBrandingLogoDelete))
}

type groupsData struct {
	Base       string // /app/user-groups, or /app/clients/{id}/groups
	Back       string // the client's page, on the agency side
	ClientName string
	Agency     bool
	Groups     []groupView
	Users      []clientgroup.Member
	Manage     bool
}

type groupView struct {
	clientgroup.Group
	In map[string]bool // user ID → in the group
}

// groupsBase is the page's own path, on whichever side it is.
func groupsBase(c *call) string {
	if id := c.r.PathValue("client_id"); id != "" {
		return "/app/clients/" + url.PathEscape(id) + "/groups"
	}
	return "/app/user-groups"
}

func (h *handler) groupsPage(c *call) { h.showGroups(c, http.StatusOK) }

func (h *handler) showGroups(c *call, status int) {
	gs, err := h.deps.ClientGroups.List(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	users, err := h.deps.ClientGroups.Users(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	d := groupsData{Base: groupsBase(c), Agency: c.p.Shell.Agency, Users: users, Manage: c.can(authz.ClientGroupsManage)}
	d.ClientName = c.p.Shell.Current.Account.Name
	if d.Agency {
		cl, err := h.deps.Clients.Get(c.ctx(), c.rel)
		if err != nil {
			c.fail(err)
			return
		}
		d.ClientName, d.Back = cl.Name, "/app/clients/"+url.PathEscape(cl.ID)
	}
	for _, g := range gs {
		v := groupView{Group: g, In: map[string]bool{}}
		for _, m := range g.Members {
			v.In[m.ID] = true
		}
		d.Groups = append(d.Groups, v)
	}
	c.p.Title = "Groups"
	if d.Agency {
		c.p.Title = "Groups · " + d.ClientName
	}
	c.p.Data = d
	c.render(status, "client_groups")
}

func (h *handler) clientGroupCreate(c *call) {
	c.form("name")
	g, err := h.deps.ClientGroups.Create(c.ctx(), c.a, c.rel, c.p.Values["name"])
	if err != nil {
		c.invalid(err, map[string]string{"name": "name", "name_taken": "name", "too_many_groups": "name"},
			func(st int) { h.showGroups(c, st) })
		return
	}
	c.done("Group “"+g.Name+"” created. Choose its members below.", groupsBase(c)+"#group-"+g.ID)
}

func (h *handler) clientGroupRename(c *call) {
	c.form("name")
	id := c.r.PathValue("group_id")
	g, err := h.deps.ClientGroups.Rename(c.ctx(), c.a, c.rel, id, c.p.Values["name"])
	if err != nil {
		c.refusedAt(err, groupsBase(c), "rename-"+id)
		return
	}
	c.done("Group renamed to “"+g.Name+"”.", groupsBase(c)+"#group-"+g.ID)
}

func (h *handler) clientGroupMembers(c *call) {
	c.form()
	g, err := h.deps.ClientGroups.SetMembers(c.ctx(), c.a, c.rel, c.r.PathValue("group_id"), c.r.PostForm["user_ids"])
	if err != nil {
		c.refused(err, groupsBase(c))
		return
	}
	c.done("Members of “"+g.Name+"” saved.", groupsBase(c)+"#group-"+g.ID)
}

func (h *handler) clientGroupDelete(c *call) {
	id := c.r.PathValue("group_id")
	g, err := h.deps.ClientGroups.Get(c.ctx(), c.rel, id)
	if err == nil {
		err = h.deps.ClientGroups.Delete(c.ctx(), c.a, c.rel, id)
	}
	if err != nil {
		c.refused(err, groupsBase(c))
		return
	}
	c.done("Group “"+g.Name+"” deleted.", groupsBase(c))
}

type sharingData struct {
	ReportID, Title string
	Clients         []clientgroup.ClientShare
	Chosen          map[string]bool // client ID + "/" + group ID
	Manage          bool
}

func (h *handler) sharingPage(c *call) {
	id := c.r.PathValue("report_id")
	r, err := h.deps.Reports.Get(c.ctx(), c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	sh, err := h.deps.ClientGroups.Sharing(c.ctx(), c.a, c.rel, id)
	if err != nil {
		c.fail(err)
		return
	}
	d := sharingData{ReportID: id, Title: r.Title, Clients: sh.Clients, Chosen: map[string]bool{}, Manage: c.can(authz.ReportShare)}
	for _, cl := range sh.Clients {
		for _, g := range cl.GroupIDs {
			d.Chosen[cl.ClientID+"/"+g] = true
		}
	}
	c.p.Title = "Sharing · " + r.Title
	c.p.Data = d
	c.render(http.StatusOK, "report_sharing")
}

// sharingSave reads one radio per client ("share-<client>": all or
// groups) and its checked groups ("groups-<client>").
func (h *handler) sharingSave(c *call) {
	id := c.r.PathValue("report_id")
	back := "/app/reports/" + id + "/sharing"
	c.form()
	var shares []clientgroup.ClientShare
	for _, cl := range c.r.PostForm["client_ids"] {
		mode := c.r.PostForm.Get("share-" + cl)
		if mode == "" {
			continue
		}
		sh := clientgroup.ClientShare{ClientID: cl, All: mode == "all"}
		if !sh.All {
			sh.GroupIDs = c.r.PostForm["groups-"+cl]
		}
		shares = append(shares, sh)
	}
	if _, err := h.deps.ClientGroups.SetSharing(c.ctx(), c.a, c.rel, id, shares); err != nil {
		c.refused(err, back)
		return
	}
	c.done("Sharing saved. It holds from each client user's next visit.", back)
}

// reportFullscreen is a report without the portal's navigation, in large
// type, for a meeting-room screen: its own layout (report_fullscreen.html)
// keeps the Login As banner and shows the full-screen logo.
func (h *handler) reportFullscreen(c *call) {
	if !c.p.Shell.Agency && c.featureOff(func(f branding.Features) bool { return f.Reports }) {
		return
	}
	q := c.r.URL.Query()
	d, err := h.deps.Reports.DataFor(c.ctx(), c.rel, c.r.PathValue("report_id"), q.Get("range"), q.Get("from"), q.Get("to"))
	if errs.Is(err, errs.Invalid) {
		d, err = h.deps.Reports.DataFor(c.ctx(), c.rel, c.r.PathValue("report_id"), "", "", "")
	}
	if err != nil {
		c.fail(err)
		return
	}
	base := "/app/reports/" + d.Report.ID
	pd := reportPageData{View: buildReportView(d, base+"/fullscreen"), Agency: c.p.Shell.Agency, Back: base, From: d.From, To: d.To, Preset: d.Range}
	pd.Query = "?" + url.Values{"from": {d.From}, "to": {d.To}}.Encode()
	pd.Back += pd.Query
	c.p.Title = d.Report.Title
	c.p.Data = pd
	c.render(http.StatusOK, "report_fullscreen")
}

type clientBrandingData struct {
	ClientID, ClientName string
	Branding             branding.ClientBranding
	Slots                []logoSlot
	Manage               bool
}

func (h *handler) clientBrandingPage(c *call) { h.showClientBranding(c, http.StatusOK) }

func (h *handler) showClientBranding(c *call, status int) {
	b, err := h.deps.Branding.ClientBrandingOf(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	cl, err := h.deps.Clients.Get(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	if _, ok := c.p.Values["portal_name"]; !ok {
		c.p.Values["portal_name"] = b.PortalName
	}
	c.p.Title = "Branding · " + cl.Name
	c.p.Data = clientBrandingData{ClientID: cl.ID, ClientName: cl.Name, Branding: b, Manage: c.can(authz.ClientBrandingManage), Slots: []logoSlot{
		{"light", "Logo", "The client portal's header, its e-mails and PDF exports.", b.Logos.Light},
		{"dark", "Logo for dark mode", "For dark backgrounds.", b.Logos.Dark},
		{"mobile", "Logo for phones", "The header on narrow screens.", b.Logos.Mobile},
		{"fullscreen", "Full-screen logo", "The full-screen report view, for a meeting-room screen. Empty: the light logo.", b.Logos.Fullscreen},
	}}
	c.render(status, "client_branding")
}

func clientBrandingBase(c *call) string {
	return "/app/clients/" + url.PathEscape(c.r.PathValue("client_id")) + "/branding"
}

func (h *handler) clientBrandingSave(c *call) {
	c.form("portal_name")
	name := c.p.Values["portal_name"]
	if _, err := h.deps.Branding.PutClientBranding(c.ctx(), c.a, c.rel, &name); err != nil {
		c.invalid(err, map[string]string{"portal_name": "portal_name"}, func(st int) { h.showClientBranding(c, st) })
		return
	}
	c.done("The client's portal name is saved.", clientBrandingBase(c))
}

func (h *handler) clientBrandingLogo(c *call) {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, branding.MaxLogoBytes+64<<10)
	var body []byte
	f, _, err := c.r.FormFile("logo")
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(f, branding.MaxLogoBytes+1))
		f.Close()
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		err = errs.E(errs.Invalid, "logo_too_large", "A logo may be at most 1 MiB.")
	case err != nil:
		err = errs.E(errs.Invalid, "logo_missing", "Choose an image file (PNG, JPEG or WebP).")
	default:
		_, err = h.deps.Branding.UploadClientLogo(c.ctx(), c.a, c.rel, c.r.PathValue("slot"), body)
	}
	if err != nil {
		c.refusedAt(err, clientBrandingBase(c), "logo-"+c.r.PathValue("slot"))
		return
	}
	c.done("Logo saved: the client's portal shows it.", clientBrandingBase(c)+"#logos")
}

func (h *handler) clientBrandingLogoDelete(c *call) {
	if err := h.deps.Branding.DeleteClientLogo(c.ctx(), c.a, c.rel, c.r.PathValue("slot")); err != nil {
		c.refused(err, clientBrandingBase(c)+"#logos")
		return
	}
	c.done("Logo removed: the client's portal shows your agency's again.", clientBrandingBase(c)+"#logos")
}
