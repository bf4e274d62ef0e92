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
	"github.com/liaison-dev/liaison/internal/link"
)

// The agency's client list (SPEC §3) and the form that creates a client.

// listTab is one filter tab with its count.
type listTab struct {
	Key, Label, URL string
	Count           int
	Current         bool
}

// sortLink is a sortable column header: where a click goes and how the
// column is sorted now ("" when it is not the sort).
type sortLink struct {
	URL, Order string // Order: ascending | descending | ""
}

type clientListData struct {
	Clients []client.ClientListItem
	Status  string
	Q       string
	Sort    string
	Total   int // every client the viewer sees, before the search
	Tabs    []listTab
	Sorts   map[string]sortLink
	Next    string // the next page, "" on the last
	First   string // the first page, when this is a later one
	CSV     string
	Keep    map[string]string // the filters a search keeps
	// DisabledOnly: the list shows the disabled clients only; DisabledURL
	// turns that filter on or off.
	DisabledOnly bool
	DisabledURL  string
	// New are the listed clients whose first user joined less than 30
	// days ago: their score shows with "New", not a band (issue 18).
	New map[string]bool
	Can struct{ Create, Disconnect, LoginAs bool }
	// Invitations are the newest open client invitations (invite_pages.go).
	Invitations invitationsPanel

	// Headline are the agency's headline metrics: a column each.
	Headline []string
}

var statusTabs = []struct{ key, label string }{
	{"all", "All"}, {"pending", "Pending"}, {"link_invite", "Link invite"}, {"active", "Active"},
	{"at_risk", "At risk"}, {"churned", "Churned"}, {"revoked", "Revoked"},
}

func countOf(c client.ClientCounts, status string) int {
	return map[string]int{"all": c.All, "pending": c.Pending, "link_invite": c.LinkInvite, "active": c.Active,
		"at_risk": c.AtRisk, "churned": c.Churned, "revoked": c.Revoked}[status]
}

// clientList is /app/clients: the clients the viewer sees in the current
// agency, filtered, searched, sorted and paged by the client service.
func (h *handler) clientList(c *call) {
	in := c.r.URL.Query()
	q := client.ListQuery{Status: in.Get("status"), Q: in.Get("q"), Sort: in.Get("sort"), Cursor: in.Get("cursor"),
		Enabled: in.Get("enabled"), Limit: 25}
	// The relation was checked for AgencyClientsList; the scope narrows
	// the list to the clients this user sees through the agency.
	scope := authz.ClientScopeOf(c.rel, c.a.UserID)
	pg, err := h.deps.Clients.List(c.ctx(), scope, q)
	if errs.Is(err, errs.Invalid) {
		// A hand-edited or stale address (an old cursor): start again.
		h.setFlash(c.w, flash{Error: errs.As(err).Message})
		redirect(c.w, c.r, "/app/clients")
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	d := clientListData{Clients: pg.Clients, Headline: pg.HeadlineMetrics, Status: orDefault(q.Status, "all"), Q: strings.TrimSpace(q.Q), Sort: orDefault(q.Sort, "name"),
		Total: pg.ClientCounts.All, Sorts: map[string]sortLink{}}
	if d.New, err = h.newClients(c, pg.Clients); err != nil {
		c.fail(err)
		return
	}
	d.Can.Create, d.Can.Disconnect = c.can(authz.ClientCreate), c.can(authz.LinkDisconnect)
	// Login As is for the agency's admins and account managers (the roles
	// that may create clients); the Login As page checks each client.
	d.Can.LoginAs = c.can(authz.ClientCreate)
	// current is the list as shown, without its page; listURL drops the
	// defaults (empty values), so addresses stay short.
	current := url.Values{"q": {d.Q}}
	if d.Status != "all" {
		current.Set("status", d.Status)
	}
	if d.Sort != "name" {
		current.Set("sort", d.Sort)
	}
	if q.Enabled != "" {
		current.Set("enabled", q.Enabled)
	}
	// A disabled client keeps its status; the filter of its own shows
	// the disabled ones only, or everyone again.
	d.DisabledOnly = q.Enabled == "false"
	if d.DisabledOnly {
		d.DisabledURL = listURL("/app/clients", current, "enabled", "")
	} else {
		d.DisabledURL = listURL("/app/clients", current, "enabled", "false")
	}
	d.Keep = map[string]string{"status": current.Get("status"), "sort": current.Get("sort"), "enabled": current.Get("enabled")}
	for _, t := range statusTabs {
		st := t.key
		if st == "all" {
			st = ""
		}
		d.Tabs = append(d.Tabs, listTab{Key: t.key, Label: t.label, Count: countOf(pg.ClientCounts, t.key),
			URL: listURL("/app/clients", current, "status", st), Current: t.key == d.Status})
	}
	if d.Q != "" {
		// The counts follow the search; the title counts every client.
		all, err := h.deps.Clients.List(c.ctx(), scope, client.ListQuery{Limit: 1})
		if err != nil {
			c.fail(err)
			return
		}
		d.Total = all.ClientCounts.All
	}
	// A sorted column's header turns its order around; the others start
	// with their natural order (names A–Z, best health first, most recent
	// activity first).
	for col, orders := range map[string][2]string{"name": {"name", ""}, "health": {"-health", "health"},
		"last_active": {"-last_active", "last_active"}} {
		l := sortLink{URL: listURL("/app/clients", current, "sort", strings.TrimPrefix(orders[0], "name"))}
		switch d.Sort {
		case orders[0]:
			l.Order = "ascending"
			if strings.HasPrefix(orders[0], "-") {
				l.Order = "descending"
			}
			if orders[1] != "" {
				l.URL = listURL("/app/clients", current, "sort", orders[1])
			}
		case orders[1]:
			l.Order = "ascending"
		}
		d.Sorts[col] = l
	}
	if pg.NextCursor != "" {
		d.Next = listURL("/app/clients", current, "cursor", pg.NextCursor)
	}
	if q.Cursor != "" {
		d.First = listURL("/app/clients", current)
	}
	d.CSV = listURL("/api/v1/agencies/"+url.PathEscape(c.acc.ID)+"/clients.csv", current)
	if d.Invitations, err = h.listInvitations(c, scope); err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Clients"
	c.p.Data = d
	c.render(http.StatusOK, "clients")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// accessForm is the state of an "access" choice: who in the agency will
// see a client (SPEC §1, §2), and the people and groups to choose from.
type accessForm struct {
	Prefix   string // makes the inputs' IDs unique on a page with several
	All      bool
	UserIDs  []string
	GroupIDs []string
	Members  []agency.Member
	Groups   []agency.Group
	Error    string
}

// choices loads the agency's members and groups for an access choice. The
// first MaxLimit of each are offered; larger agencies share with groups.
func (h *handler) choices(c *call, agencyRel authz.Relation, f *accessForm) error {
	var err error
	if f.Members, _, err = h.deps.Agency.Members(c.ctx(), agencyRel, agency.Page{Limit: agency.MaxLimit}); err != nil {
		return err
	}
	f.Groups, _, err = h.deps.Agency.Groups(c.ctx(), agencyRel, agency.Page{Limit: agency.MaxLimit})
	return err
}

// postedAccess reads an access choice from a posted form.
func postedAccess(r *http.Request) (*link.AccessInput, accessForm) {
	f := accessForm{All: r.PostFormValue("access") != "some", UserIDs: r.PostForm["user_ids"], GroupIDs: r.PostForm["group_ids"]}
	in := &link.AccessInput{All: f.All}
	if !f.All {
		in.UserIDs, in.GroupIDs = f.UserIDs, f.GroupIDs
	}
	return in, f
}

type clientNewData struct {
	Brands   []agency.Brand
	BrandIDs []string
	Enabled  bool
	Access   accessForm
}

// clientNew is the form that creates a client account directly.
func (h *handler) clientNew(c *call) {
	c.p.Values["seats"] = "0"
	h.showClientNew(c, http.StatusOK, clientNewData{Enabled: true, Access: accessForm{All: true}})
}

func (h *handler) showClientNew(c *call, status int, d clientNewData) {
	var err error
	if d.Brands, _, err = h.deps.Agency.Brands(c.ctx(), c.rel, agency.BrandFilter{Page: agency.Page{Limit: agency.MaxLimit}}); err != nil {
		c.fail(err)
		return
	}
	if err := h.choices(c, c.rel, &d.Access); err != nil {
		c.fail(err)
		return
	}
	d.Access.Error = c.p.Errors["access"]
	c.p.Title = "Add a client"
	c.p.Data = d
	c.render(status, "client_new")
}

// clientCreate creates the client, linked to the agency from the start,
// and opens its page.
func (h *handler) clientCreate(c *call) {
	c.form("name", "seats")
	access, af := postedAccess(c.r)
	enabled := c.r.PostFormValue("enabled") == "on"
	d := clientNewData{BrandIDs: c.r.PostForm["brand_ids"], Enabled: enabled, Access: af}
	seats, err := seatsValue(c.p.Values["seats"])
	if err != nil {
		c.invalid(err, map[string]string{"seats": "seats"}, func(st int) { h.showClientNew(c, st, d) })
		return
	}
	created, err := h.deps.Links.CreateClient(c.ctx(), c.rel, c.a, link.CreateClientInput{Name: c.p.Values["name"],
		Seats: &seats, Enabled: &enabled, BrandIDs: d.BrandIDs, Access: access})
	if err != nil {
		c.invalid(err, map[string]string{"name": "name", "seats": "seats", "brand_ids": "brand_ids",
			"access": "access", "access.user_ids": "access", "access.group_ids": "access"},
			func(st int) { h.showClientNew(c, st, d) })
		return
	}
	c.done("Client “"+created.Name+"” created. Invite its first user when invitations arrive; until then it shows as pending.",
		"/app/clients/"+url.PathEscape(created.ID))
}

// seatsValue reads a seats field: a whole number, 0 for unlimited.
func seatsValue(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errs.InvalidField("seats", "Enter a whole number of seats, or 0 for unlimited.")
	}
	return n, nil
}

// clientDisconnect ends the agency's link with a client (SPEC §2): every
// agency access to it ends at once; both sides keep their data.
func (h *handler) clientDisconnect(c *call) {
	linkID, name, err := h.activeLink(c)
	if err != nil {
		c.fail(err)
		return
	}
	_, lr, err := c.checkLink(linkID, authz.LinkDisconnect)
	if err != nil {
		c.fail(err)
		return
	}
	if _, err := h.deps.Links.Disconnect(c.ctx(), lr, c.a); err != nil {
		c.refused(err, "/app/clients")
		return
	}
	c.done("Disconnected from “"+name+"”. Nobody in your agency sees it any more; its data stays with it.", "/app/clients")
}

// activeLink finds the current agency's active link with the checked client.
func (h *handler) activeLink(c *call) (linkID, name string, err error) {
	d, err := h.deps.Clients.Get(c.ctx(), c.rel)
	if err != nil {
		return "", "", err
	}
	return d.LinkID, d.Name, nil
}

// headlineCell shows a client's value of a headline metric: "—" without
// data this month, whole numbers with thousands separators, others with up
// to two decimals.
func headlineCell(values map[string]float64, metric string) string {
	v, ok := values[metric]
	if !ok {
		return "—"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	if neg {
		whole = "−" + whole
	}
	return whole
}
