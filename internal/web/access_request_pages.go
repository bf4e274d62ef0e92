package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/accessreq"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/link"
)

// Staff access requests (issue 21) and end dates of links (link/ends.go).
// /app/access-requests lists the requests the viewer sees (all for admins,
// those of assigned clients for account managers, one's own for everyone)
// with the form to ask for access; /app/access-requests/{id} is one
// request, where the e-mails point (behind sign-in: no token approves).

type accessRequestsData struct {
	Requests []accessreq.Request
	One      *accessreq.Request
	// MinEnd is the earliest date an end may take (tomorrow), for the
	// date inputs.
	MinEnd string
}

func (h *handler) accessRequestRoutes(m *pageMux, g guardFunc) {
	m.HandleFunc("GET /app/access-requests", g(ownAgency, authz.AgencyRead, "access-requests", h.accessRequests))
	m.HandleFunc("POST /app/access-requests", g(ownAgency, authz.AgencyRead, "access-requests", h.accessRequestCreate))
	m.HandleFunc("GET /app/access-requests/{request_id}", g(ownAgency, authz.AgencyRead, "access-requests", h.accessRequestPage))
	m.HandleFunc("POST /app/access-requests/{request_id}/approve", g(ownAgency, authz.AgencyRead, "access-requests", h.accessRequestApprove))
	m.HandleFunc("POST /app/access-requests/{request_id}/decline", g(ownAgency, authz.AgencyRead, "access-requests", h.accessRequestDecline))
	// End dates of a link, from either side's links page.
	m.HandleFunc("POST /app/links/{link_id}/end", g(linkOf, authz.LinkDisconnect, "links", h.linkEnd))
	m.HandleFunc("POST /app/links/{link_id}/end/extend", g(linkOf, authz.LinkDisconnect, "links", h.linkEndExtend))
	// The Access tab's end dates: the link's and its staff grants'.
	m.HandleFunc("POST /app/clients/{client_id}/access/end", g(agencyClient, authz.ClientDisconnect, "clients", h.clientAccessEnd))
}

func minEnd() string { return time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) }

func (h *handler) accessRequests(c *call) { h.showAccessRequests(c, http.StatusOK) }

func (h *handler) showAccessRequests(c *call, status int) {
	list, err := h.deps.AccessRequests.List(c.ctx(), c.rel, c.a)
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Access requests"
	c.p.Data = accessRequestsData{Requests: list, MinEnd: minEnd()}
	c.render(status, "access_requests")
}

// accessRequestCreate sends a request. Its notice is the same whatever
// the request matched (accessreq's package doc).
func (h *handler) accessRequestCreate(c *call) {
	c.form("client", "reason")
	_, err := h.deps.AccessRequests.Create(c.ctx(), c.rel, c.a, accessreq.CreateInput{
		Client: c.p.Values["client"], Reason: c.p.Values["reason"]})
	if err != nil {
		c.invalid(err, map[string]string{"client": "client", "reason": "reason"}, func(st int) { h.showAccessRequests(c, st) })
		return
	}
	c.done("Request sent. If the client is one of your agency's, its approvers have been told; you will hear by e-mail.", "/app/access-requests")
}

func (h *handler) accessRequestPage(c *call) {
	r, err := h.deps.AccessRequests.Get(c.ctx(), c.rel, c.a, c.r.PathValue("request_id"))
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Access request"
	c.p.Data = accessRequestsData{One: &r, MinEnd: minEnd()}
	c.render(http.StatusOK, "access_request")
}

// parseEndDate reads an optional date field (YYYY-MM-DD) as the end of
// access at 00:00 UTC that day.
func parseEndDate(v string) (*time.Time, bool) {
	if v == "" {
		return nil, true
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, false
	}
	return &t, true
}

func (h *handler) accessRequestApprove(c *call) {
	c.form("ends_on")
	id := c.r.PathValue("request_id")
	back := "/app/access-requests/" + id
	until, ok := parseEndDate(c.p.Values["ends_on"])
	if !ok {
		c.refusedAt(errInvalidDate, back, "ends_on")
		return
	}
	if _, err := h.deps.AccessRequests.Approve(c.ctx(), c.rel, c.a, id, until); err != nil {
		c.refusedAt(err, back, "ends_on")
		return
	}
	c.done("Approved. The requester sees the client now and has been told.", back)
}

func (h *handler) accessRequestDecline(c *call) {
	id := c.r.PathValue("request_id")
	if _, err := h.deps.AccessRequests.Decline(c.ctx(), c.rel, c.a, id); err != nil {
		c.refused(err, "/app/access-requests/"+id)
		return
	}
	c.done("Declined. The requester has been told.", "/app/access-requests/"+id)
}

// linkEnd sets or clears the end date of the link (the form of the links
// page, either side).
func (h *handler) linkEnd(c *call) {
	c.form("ends_on")
	field := "end-" + c.link.LinkID
	until, ok := parseEndDate(c.p.Values["ends_on"])
	if !ok {
		c.refusedAt(errInvalidDate, sidePath(c), field)
		return
	}
	if _, err := h.deps.Links.SetEnd(c.ctx(), c.link, c.a, link.EndInput{Subject: link.SubjectLink, EndsAt: until}); err != nil {
		c.refusedAt(err, sidePath(c), field)
		return
	}
	notice := "End date removed: the link lasts until someone disconnects it."
	if until != nil {
		notice = "End date saved: the link ends by itself on " + until.Format("2 January 2006") + " (UTC); both sides' admins are reminded 7 days and 1 day before."
	}
	c.done(notice, sidePath(c))
}

// linkEndExtend is the one click of the side that set the end date.
func (h *handler) linkEndExtend(c *call) {
	l, err := h.deps.Links.Extend(c.ctx(), c.link, c.a, link.SubjectLink, "")
	if err != nil {
		c.refusedAt(err, sidePath(c), "end-"+c.link.LinkID)
		return
	}
	c.done("Extended by 30 days: the link now ends on "+l.EndsAt.UTC().Format("2 January 2006 at 15:04 UTC")+".", sidePath(c))
}

var errInvalidDate = errs.InvalidField("ends_on", "Choose a date, or leave it empty for no end.")

// endLine is one grant of the Access tab's end dates.
type endLine struct {
	Subject, SubjectID, Label string
	EndsAt                    *time.Time
	SetBy                     string
	Key                       string // the form's ID and error key
}

// endLines lists the link and its staff grants (users and groups of the
// access list, account managers) with their end dates.
func endLines(l link.Link, a accessForm, managers []client.AccountManager) []endLine {
	ends := map[string]link.AccessEnd{}
	for _, e := range l.AccessEnds {
		ends[e.Subject+":"+e.SubjectID] = e
	}
	line := func(subject, id, label string) endLine {
		ln := endLine{Subject: subject, SubjectID: id, Label: label, Key: "end-" + subject + "-" + id}
		if e, ok := ends[subject+":"+id]; ok {
			at := e.EndsAt
			ln.EndsAt, ln.SetBy = &at, e.SetBy
		}
		return ln
	}
	out := []endLine{{Subject: link.SubjectLink, Label: "The link with " + l.Client.Name, EndsAt: l.EndsAt, SetBy: l.EndsSetBy, Key: "end-link"}}
	names := map[string]string{}
	for _, m := range a.Members {
		names[m.ID] = m.Name
	}
	for _, id := range l.Access.UserIDs {
		out = append(out, line(link.SubjectUser, id, names[id]))
	}
	for _, g := range a.Groups {
		if slices.Contains(l.Access.GroupIDs, g.ID) {
			out = append(out, line(link.SubjectGroup, g.ID, "Group “"+g.Name+"”"))
		}
	}
	for _, m := range managers {
		out = append(out, line(link.SubjectAccountManager, m.ID, m.Name+" (account manager)"))
	}
	return out
}

// clientAccessEnd sets, clears or extends (extend=1) one end date of the
// Access tab: the link's or a staff grant's, as the agency's admin.
func (h *handler) clientAccessEnd(c *call) {
	c.form("subject", "subject_id", "ends_on", "extend")
	d, err := h.deps.Clients.Get(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	_, lr, err := c.checkLink(d.LinkID, authz.LinkDisconnect)
	if err != nil {
		c.fail(err)
		return
	}
	v := c.p.Values
	key := "end-" + v["subject"]
	if v["subject"] != link.SubjectLink {
		key += "-" + v["subject_id"]
	}
	back := h.clientPath(c)
	if v["extend"] != "" {
		if _, err := h.deps.Links.Extend(c.ctx(), lr, c.a, v["subject"], v["subject_id"]); err != nil {
			c.refusedAt(err, back, key)
			return
		}
		c.done("Extended by 30 days.", back+"#access")
		return
	}
	until, ok := parseEndDate(v["ends_on"])
	if !ok {
		c.refusedAt(errInvalidDate, back, key)
		return
	}
	if _, err := h.deps.Links.SetEnd(c.ctx(), lr, c.a, link.EndInput{Subject: v["subject"], SubjectID: v["subject_id"], EndsAt: until}); err != nil {
		c.refusedAt(err, back, key)
		return
	}
	notice := "End date removed."
	if until != nil {
		notice = "End date saved: this access ends by itself on " + until.Format("2 January 2006") + " (UTC); both sides' admins are reminded 7 days and 1 day before."
	}
	c.done(notice, back+"#access")
}
