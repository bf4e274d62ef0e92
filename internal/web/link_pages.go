package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/link"
)

// Links between agencies and clients (SPEC §2), from either side: the
// agency's /app/links and the client portal's /app/agencies show the same
// lists (incoming and outgoing requests, active links) and the form that
// sends a request. The buttons post to /app/links/{link_id}/…, checked on
// the link itself.

// linkRow is a link as one side shows it.
type linkRow struct {
	link.Link
	Other  link.LinkParty // the account on the other side
	Access string         // agency side: who in the agency sees the client
	// Accept is the access choice offered when an agency accepts.
	Accept accessForm
}

// linkSection is one of the page's lists with the address of its next page.
type linkSection struct {
	Links []linkRow
	More  string
}

type linksData struct {
	Agency                     bool
	Incoming, Outgoing, Active linkSection
	Can                        struct{ Send, Decide, Cancel, Disconnect bool }
	Send                       accessForm // agency side: the send form's access choice
	MinEnd                     string     // the earliest end date offered (issue 21)
}

// linksOrAgencies is /app/links. The e-mails about link requests point
// there for both sides, so a client account is sent on to its own page.
func (h *handler) linksOrAgencies(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	s, err := h.buildShell(r, a, "links")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s.Current != nil && !s.Agency {
		redirect(w, r, "/app/agencies")
		return
	}
	h.guard(rule{target: ownAgency, action: authz.LinkRead, section: "links"}, h.links)(w, r)
}

// sidePath is the links page of the current account's side.
func sidePath(c *call) string {
	if c.acc.Kind == "agency" {
		return "/app/links"
	}
	return "/app/agencies"
}

func (h *handler) links(c *call) { h.showLinks(c, http.StatusOK, accessForm{All: true}) }

func (h *handler) showLinks(c *call, status int, send accessForm) {
	d := linksData{Agency: c.acc.Kind == "agency", Send: send, MinEnd: minEnd()}
	d.Can.Send, d.Can.Decide = c.can(authz.LinkSend), c.can(authz.LinkDecide)
	d.Can.Cancel, d.Can.Disconnect = c.can(authz.LinkCancel), c.can(authz.LinkDisconnect)
	// The page's relation was checked for reading or sending links, either
	// of which lets the holder list them.
	rel := c.rel
	q := c.r.URL.Query()
	var names map[string]string
	if d.Agency {
		if err := h.choices(c, rel, &d.Send); err != nil {
			c.fail(err)
			return
		}
		d.Send.Error = c.p.Errors["access"]
		names = peopleNames(d.Send.Members, d.Send.Groups)
	}
	for _, s := range []struct {
		into             *linkSection
		param            string
		direction, state string
	}{
		{&d.Incoming, "in_cursor", link.Incoming, link.Pending},
		{&d.Outgoing, "out_cursor", link.Outgoing, link.Pending},
		{&d.Active, "active_cursor", "", link.Active},
	} {
		cursor := q.Get(s.param)
		list, next, err := h.deps.Links.List(c.ctx(), rel, link.Filter{Direction: s.direction, Status: s.state,
			Cursor: cursor, Limit: 20})
		if err != nil {
			c.fail(err)
			return
		}
		for _, l := range list {
			row := linkRow{Link: l, Other: l.Client}
			if !d.Agency {
				row.Other = l.Agency
			}
			if l.Access != nil {
				row.Access = accessText(*l.Access, names)
			}
			if d.Agency && s.state == link.Pending && s.direction == link.Incoming {
				row.Accept = accessForm{Prefix: l.ID + "-", All: true, Members: d.Send.Members, Groups: d.Send.Groups}
			}
			s.into.Links = append(s.into.Links, row)
		}
		if next != "" {
			s.into.More = listURL(sidePath(c), url.Values{}, s.param, next)
		}
	}
	c.p.Title = "Links"
	if !d.Agency {
		c.p.Title = "Agencies"
	}
	c.p.Data = d
	c.render(status, "links")
}

// peopleNames maps member and group IDs to names, for access lists.
func peopleNames(members []agency.Member, groups []agency.Group) map[string]string {
	n := make(map[string]string, len(members)+len(groups))
	for _, m := range members {
		n[m.ID] = m.Name
	}
	for _, g := range groups {
		n[g.ID] = g.Name + " (group)"
	}
	return n
}

// accessText says who sees a linked client, in words.
func accessText(a link.LinkAccess, names map[string]string) string {
	if a.All {
		return "The entire agency"
	}
	var who []string
	for _, id := range append(append([]string{}, a.UserIDs...), a.GroupIDs...) {
		if n, ok := names[id]; ok {
			who = append(who, n)
		}
	}
	if len(who) == 0 {
		return "Admins and its account managers only"
	}
	if len(who) > 4 {
		who = append(who[:4], "and "+strconv.Itoa(len(who)-4)+" more")
	}
	return "Admins, account managers and " + strings.Join(who, ", ")
}

// linkSend sends a link request to the account named by its ID or by an
// admin's e-mail address, in one field.
func (h *handler) linkSend(c *call) {
	c.form("target")
	in := link.SendInput{}
	target := strings.TrimSpace(c.p.Values["target"])
	if strings.Contains(target, "@") {
		in.TargetEmail = target
	} else {
		in.TargetAccountID = target
	}
	af := accessForm{All: true}
	if c.acc.Kind == "agency" {
		in.Access, af = postedAccess(c.r)
	}
	l, err := h.deps.Links.Send(c.ctx(), c.rel, c.a, in)
	if err != nil {
		c.invalid(err, map[string]string{"target_account_id": "target", "target_email": "target",
			"target_not_found": "target", "link_exists": "target", "access": "access",
			"access.user_ids": "access", "access.group_ids": "access"},
			func(st int) { h.showLinks(c, st, af) })
		return
	}
	other := l.Client.Name
	if c.acc.Kind != "agency" {
		other = l.Agency.Name
	}
	c.done("Link request sent to “"+other+"”. Its admins have been e-mailed; it shows below until they answer.", sidePath(c))
}

// linkAccept accepts an incoming request; an agency chooses who will see
// the client.
func (h *handler) linkAccept(c *call) {
	c.form()
	var access *link.AccessInput
	if c.link.Side == "agency" {
		access, _ = postedAccess(c.r)
	}
	l, err := h.deps.Links.Accept(c.ctx(), c.link, c.a, access)
	if err != nil {
		c.refused(err, sidePath(c))
		return
	}
	if c.link.Side == "agency" {
		c.done("Linked with “"+l.Client.Name+"”. It is now in your client list.", sidePath(c))
		return
	}
	c.done("Linked with “"+l.Agency.Name+"”. The agency can now manage your account.", sidePath(c))
}

func (h *handler) linkDecline(c *call) {
	h.linkStep(c, h.deps.Links.Decline, "Request declined. Nothing was shared.")
}

func (h *handler) linkCancel(c *call) {
	h.linkStep(c, h.deps.Links.Cancel, "Request cancelled.")
}

func (h *handler) linkDisconnect(c *call) {
	h.linkStep(c, h.deps.Links.Disconnect, "Disconnected. The agency's access ended at once; both sides keep their data.")
}

func (h *handler) linkStep(c *call, step func(ctx context.Context, rel authz.LinkRelation, a *authz.Actor) (link.Link, error), notice string) {
	if _, err := step(c.ctx(), c.link, c.a); err != nil {
		c.refused(err, sidePath(c))
		return
	}
	c.done(notice, sidePath(c))
}
