package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// Invitations (SPEC §4) on the pages: the agency's Invitations page with
// the Invite Client form, invitation rows on a client's page, staff
// invitations on Members, Invite User in a client portal, and the pages a
// person lands on from an invitation link (/invite/{token}).

// invitationsPanel is the data of the "invitations-panel" partial: a list
// of invitations with resend, cancel and copy link, and an invite form.
type invitationsPanel struct {
	Page   *page
	Title  string
	Items  []invite.Invitation
	Back   string // where resend and cancel come back to
	Manage bool   // resend and cancel offered
	// Form: where the invite form posts ("" for none), its roles and the
	// seats left ("" when unlimited).
	Form, SeatsLeft string
	Roles           []string
	// NewLink is a link just made (a link invitation, or a resend), shown
	// once to copy.
	NewLink string
	// rel is the checked relation the items were listed through: on a
	// client shared by several agencies, an agency reads the client's own
	// invitations but acts only on those it sent (Acts).
	rel authz.Relation
}

// Acts reports whether the panel offers resend and cancel for inv: the
// viewer manages invitations and may act on this one (authz.Relation.
// ActsOnInvitation, the rule authz.CheckInvitation applies to the buttons).
func (p invitationsPanel) Acts(inv invite.Invitation) bool {
	sentBy := ""
	if inv.AgencyID != nil {
		sentBy = *inv.AgencyID
	}
	return p.Manage && (inv.Kind == invite.KindStaff || p.rel.ActsOnInvitation(sentBy, inv.FromClient))
}

type invitationsData struct {
	Panel  invitationsPanel
	Brands []agency.Brand
	Status string
	Tabs   []listTab
	Next   string
	CanInv bool
	// Access is who in the agency will see the client the invitation
	// creates, as on Add client (issue 18).
	Access accessForm
}

var inviteTabs = []struct{ key, label string }{
	{"pending", "Pending"}, {"accepted", "Accepted"}, {"expired", "Expired"}, {"cancelled", "Cancelled"}, {"all", "All"},
}

// invitations is /app/invitations: the agency's invitations (into the
// clients the viewer sees, and staff ones) and the Invite Client form.
func (h *handler) invitations(c *call) { h.showInvitations(c, http.StatusOK) }

func (h *handler) showInvitations(c *call, status int) {
	q := c.r.URL.Query()
	st := orDefault(q.Get("status"), "pending")
	f := invite.Filter{Status: st, Cursor: q.Get("cursor"), Limit: 50}
	if st == "all" {
		f.Status = ""
	}
	scope := authz.ClientScopeOf(c.rel, c.a.UserID)
	items, next, err := h.deps.Invites.ForAgency(c.ctx(), scope, true, f)
	if err != nil {
		h.listFailed(c, err, "/app/invitations")
		return
	}
	d := invitationsData{Status: st, CanInv: c.can(authz.ClientCreate)}
	d.Panel = invitationsPanel{rel: c.rel, Page: c.p, Title: "Invitations", Items: items, Back: "/app/invitations",
		Manage: c.can(authz.ClientCreate), NewLink: c.p.flash.Link}
	for _, t := range inviteTabs {
		d.Tabs = append(d.Tabs, listTab{Key: t.key, Label: t.label, URL: listURL("/app/invitations", url.Values{}, "status", t.key),
			Current: t.key == st})
	}
	if next != "" {
		d.Next = listURL("/app/invitations", url.Values{}, "status", st, "cursor", next)
	}
	if d.CanInv {
		agencyRel, err := c.agencyRel(authz.AgencyRead)
		if err == nil {
			d.Brands, _, err = h.deps.Agency.Brands(c.ctx(), agencyRel, agency.BrandFilter{Page: agency.Page{Limit: agency.MaxLimit}})
		}
		d.Access = accessForm{All: true}
		if c.r.Method == http.MethodPost {
			_, d.Access = postedAccess(c.r)
		}
		d.Access.Error = c.p.Errors["access"]
		if err == nil {
			err = h.choices(c, agencyRel, &d.Access)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
	c.p.Title = "Invitations"
	c.p.Data = d
	c.render(status, "invitations")
}

// inviteClient is the Invite Client form: a person into a new client (or,
// with client_account_id, an existing one), by e-mail or as a link.
func (h *handler) inviteClient(c *call) {
	c.form("email", "client_name", "message", "delivery")
	delivery := invite.ByEmail
	if c.r.PostFormValue("delivery") == invite.ByLink {
		delivery = invite.ByLink
	}
	access, _ := postedAccess(c.r)
	inv, err := h.deps.Invites.InviteClient(c.ctx(), c.rel, c.a, invite.ClientInput{Email: c.p.Values["email"],
		Delivery: delivery, BrandIDs: c.r.PostForm["brand_ids"], Message: c.p.Values["message"], ClientName: c.p.Values["client_name"],
		Access: access})
	if err != nil {
		c.invalid(err, map[string]string{"email": "email", "client_name": "client_name", "message": "message",
			"brand_not_found": "brand_ids", "already_invited": "email",
			"access": "access", "access.user_ids": "access", "access.group_ids": "access"}, func(st int) { h.showInvitations(c, st) })
		return
	}
	h.invited(c, inv, "/app/invitations")
}

// invited answers a successful invitation: the link to copy for a link
// invitation, a notice for an e-mail one.
func (h *handler) invited(c *call, inv invite.Invitation, back string) {
	if inv.Delivery == invite.ByLink {
		h.setFlash(c.w, flash{Notice: "Invitation link created for " + inv.Email + ". Copy it and share it: it is shown only now.", Link: inv.URL})
		redirect(c.w, c.r, back)
		return
	}
	c.done("Invitation sent to "+inv.Email+".", back)
}

// backTo is where a resend or cancel form asked to come back to, when it is
// a page of the app.
func backTo(c *call, def string) string {
	return input.LocalPathUnder(c.r.PostFormValue("back"), "/app", def)
}

func (h *handler) invitationResend(c *call) {
	c.form()
	back := backTo(c, "/app/invitations")
	inv, err := h.deps.Invites.Resend(c.ctx(), c.rel, c.a, c.r.PathValue("invitation_id"))
	if err != nil {
		c.refused(err, back)
		return
	}
	if inv.Delivery == invite.ByLink {
		h.setFlash(c.w, flash{Notice: "New link made for " + inv.Email + "; the old one no longer works. Copy it now.", Link: inv.URL})
	} else {
		h.setFlash(c.w, flash{Notice: "Invitation sent again to " + inv.Email + "; the earlier link no longer works.", Link: inv.URL})
	}
	redirect(c.w, c.r, back)
}

func (h *handler) invitationCancel(c *call) {
	c.form()
	back := backTo(c, "/app/invitations")
	removed, err := h.deps.Invites.Cancel(c.ctx(), c.rel, c.a, c.r.PathValue("invitation_id"))
	if err != nil {
		c.refused(err, back)
		return
	}
	if removed != "" {
		// The client page it may have come from is gone with the client.
		if strings.HasPrefix(back, "/app/clients/") {
			back = "/app/clients"
		}
		c.done("Invitation cancelled. “"+removed+"”, the client created for it, which nobody joined, is removed too.", back)
		return
	}
	c.done("Invitation cancelled: its link no longer works.", back)
}

// inviteStaff is the invite form of the Members page.
func (h *handler) inviteStaff(c *call) {
	c.form("invite_email", "invite_role")
	inv, err := h.deps.Invites.InviteStaff(c.ctx(), c.rel, c.a, invite.TeamInput{Email: c.p.Values["invite_email"], Role: c.p.Values["invite_role"]})
	if err != nil {
		c.invalid(err, map[string]string{"email": "invite_email", "role": "invite_role", "already_member": "invite_email",
			"already_invited": "invite_email"}, func(st int) { h.showMembers(c, st, nil) })
		return
	}
	h.invited(c, inv, "/app/members#invitations")
}

// staffInvitations is the Members page's panel of staff invitations.
func (h *handler) staffInvitations(c *call) (invitationsPanel, error) {
	p := invitationsPanel{rel: c.rel, Page: c.p, Title: "Invitations", Back: "/app/members#invitations", NewLink: c.p.flash.Link}
	if !c.can(authz.AgencyManage) {
		return p, nil
	}
	scope := authz.ClientScopeOf(c.rel, c.a.UserID)
	var err error
	p.Items, _, err = h.deps.Invites.ForAgency(c.ctx(), scope, true, invite.Filter{Kind: invite.KindStaff, Status: invite.Pending, Limit: 200})
	p.Manage, p.Form, p.Roles = true, "/app/members/invitations", authz.AgencyRoles
	return p, err
}

// inviteClientUser is the invite form on a client's page (agency side).
func (h *handler) inviteClientUser(c *call) {
	c.form("invite_email", "invite_role")
	inv, err := h.deps.Invites.InviteTeam(c.ctx(), c.rel, c.a, invite.TeamInput{Email: c.p.Values["invite_email"], Role: c.p.Values["invite_role"]})
	if err != nil {
		c.invalid(err, map[string]string{"email": "invite_email", "role": "invite_role", "already_member": "invite_email",
			"already_invited": "invite_email", "no_seats": "invite_email"}, func(st int) { h.showClient(c, st) })
		return
	}
	h.invited(c, inv, h.clientPath(c)+"#invitations")
}

// clientInvitations is a client page's panel: its open invitations (as the
// agency sees them) and the Invite User form.
func (h *handler) clientInvitations(c *call, seats, users, pending int) (invitationsPanel, error) {
	p := invitationsPanel{rel: c.rel, Page: c.p, Title: "Invitations", Back: h.clientPath(c) + "#invitations", NewLink: c.p.flash.Link}
	var err error
	p.Items, _, err = h.deps.Invites.ForAccount(c.ctx(), c.rel, invite.Filter{Status: invite.Pending, Limit: 200})
	if c.can(authz.ClientUsersManage) {
		p.Manage, p.Form, p.Roles = true, h.clientPath(c)+"/invitations", authz.ClientRoles
		p.SeatsLeft = seatsLeft(seats, users, pending)
	}
	return p, err
}

func seatsLeft(seats, users, pending int) string {
	if seats == 0 {
		return ""
	}
	left := max(seats-users-pending, 0)
	return plural(left, "seat") + " left of " + plural(seats, "seat") + " (users and open invitations count)."
}

// inviteTeam is Invite User in a client portal (its admins).
func (h *handler) inviteTeam(c *call) {
	c.form("invite_email", "invite_role")
	inv, err := h.deps.Invites.InviteTeam(c.ctx(), c.rel, c.a, invite.TeamInput{Email: c.p.Values["invite_email"], Role: c.p.Values["invite_role"]})
	if err != nil {
		c.invalid(err, map[string]string{"email": "invite_email", "role": "invite_role", "already_member": "invite_email",
			"already_invited": "invite_email", "no_seats": "invite_email"}, func(st int) { h.users(c) })
		return
	}
	h.invited(c, inv, "/app/users#invitations")
}

// teamInvitations is the portal Users page's panel.
func (h *handler) teamInvitations(c *call) (invitationsPanel, error) {
	p := invitationsPanel{rel: c.rel, Page: c.p, Title: "Invitations", Back: "/app/users#invitations", NewLink: c.p.flash.Link}
	if !c.can(authz.ClientUsersManage) {
		return p, nil
	}
	var err error
	p.Items, _, err = h.deps.Invites.ForAccount(c.ctx(), c.rel, invite.Filter{Status: invite.Pending, Limit: 200})
	p.Manage, p.Form, p.Roles = true, "/app/users/invitations", authz.ClientRoles
	if err == nil {
		var seats, users, pending int
		seats, users, pending, err = h.deps.Invites.Seats(c.ctx(), c.rel)
		p.SeatsLeft = seatsLeft(seats, users, pending)
	}
	return p, err
}

// The pages of an invitation link.

type inviteLandingData struct {
	Token  string
	Lookup invite.Lookup
	// Mode: "signup" (a new address), "login" (the address has a user,
	// nobody is logged in), "accept" (logged in as the address), "other"
	// (logged in as someone else).
	Mode string
}

// invitePage renders an invitation page without the app frame, branded
// as the invitation's agency (the branding's accessor is invite.Brand).
func (h *handler) invitePage(w http.ResponseWriter, r *http.Request, token string, p *page, status int) {
	l, err := h.deps.Invites.LookupToken(r.Context(), token)
	if err != nil {
		e := errs.As(err)
		if e == nil || (e.Kind != errs.Gone && e.Kind != errs.NotFound) {
			h.fail(w, r, err)
			return
		}
		p.Title = "This invitation no longer works"
		p.Data = errorData{Status: e.Kind.HTTPStatus(), Heading: p.Title, Message: e.Message}
		if agencyID, err := h.deps.Invites.TokenAgency(r.Context(), token); err == nil {
			h.wear(r, p, agencyID) // a cancelled invitation still speaks for its agency
		}
		h.render(w, r, e.Kind.HTTPStatus(), "invite_gone", p)
		return
	}
	d := inviteLandingData{Token: token, Lookup: l, Mode: "signup"}
	switch a := authz.ActorFrom(r.Context()); {
	case a != nil && a.Email == l.Email:
		d.Mode = "accept"
	case a != nil:
		d.Mode = "other"
	case l.UserExists:
		d.Mode = "login"
	}
	// On the server's own host the page still wears the inviting agency's
	// brand (theme, logo); on a custom domain it wears the domain's.
	h.wear(r, p, l.Branding.AgencyID)
	if l.Branding.AgencyID == "" {
		p.Brand = p.host // no agency's: not the portal this browser remembers either
	}
	p.Title = "Join " + l.AccountName + " on " + l.Branding.PortalName
	p.Data = d
	h.render(w, r, status, "invite", p)
}

func (h *handler) inviteLanding(w http.ResponseWriter, r *http.Request) {
	h.invitePage(w, r, r.PathValue("token"), h.page(w, r, "Invitation"), http.StatusOK)
}

// inviteAccept accepts: a new person with the name and password they
// chose, or the logged-in user with one click. Then the portal, with the
// welcome message when the agency has one; for a new person joining an
// account that requires two-factor sign-in, first its set-up (the login's
// second step, /login/setup), which ends in the portal.
func (h *handler) inviteAccept(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "Invitation")
	form(w, r, p, "name", "password")
	token := r.PathValue("token")
	acc, err := h.deps.Invites.Accept(r.Context(), invite.AcceptInput{Token: token, Name: p.Values["name"],
		Password: r.PostFormValue("password"), Actor: authz.ActorFrom(r.Context()), IP: requestctx.IP(r.Context()), UserAgent: r.UserAgent()})
	if err != nil {
		if e := errs.As(err); e != nil && e.Kind == errs.Gone {
			h.invitePage(w, r, token, p, http.StatusGone)
			return
		}
		status := h.formError(w, r, p, err, "name", "password")
		h.invitePage(w, r, token, p, status)
		return
	}
	if acc.SecondFactor != nil {
		// The account joined requires two-factor sign-in: the person sets
		// it up as at a login, and its last step opens the session there.
		// A client's person sees it in the agency's brand, as the portal.
		if acc.Account.Kind == "client" {
			h.rememberAgency(w, r, acc.Branding.AgencyID)
		}
		h.setFlash(w, flash{Notice: "Welcome to " + acc.Account.Name + ". It requires two-factor sign-in: set it up to continue."})
		h.startChallenge(w, r, acc.SecondFactor, "")
		return
	}
	if acc.Login != nil {
		h.startSession(w, *acc.Login)
	}
	// The agency's welcome message is on the portal's home, rendered
	// (branding.RenderWelcome): the notice is plain text.
	h.setFlash(w, flash{Notice: "Welcome to " + acc.Account.Name + "."})
	redirect(w, r, "/app")
}

// listInvitations is the client list's panel: the newest open client and
// team invitations into the clients the viewer sees, with resend, cancel
// and the link just made; the Invitations page has them all.
func (h *handler) listInvitations(c *call, scope authz.ClientScope) (invitationsPanel, error) {
	p := invitationsPanel{rel: c.rel, Page: c.p, Title: "Open invitations", Back: "/app/clients", Manage: c.can(authz.ClientCreate),
		NewLink: c.p.flash.Link}
	var err error
	p.Items, _, err = h.deps.Invites.ForAgency(c.ctx(), scope, false, invite.Filter{Status: invite.Pending, Limit: 10})
	return p, err
}
