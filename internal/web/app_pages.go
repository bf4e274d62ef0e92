package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
)

// shell is the frame of the app: the account switcher, the user menu and,
// for an agency, the navigation.
type shell struct {
	Memberships []account.Membership
	Current     *account.Membership // nil: the user is in no account
	CurrentID   string
	Agency      bool
	Nav         []navItem
	// Portal is the client portal's agency, brands and features (nil in
	// an agency); see portal_shell.go.
	Portal *branding.ClientView
	// BrandNext is where the brand switcher goes after a switch (report
	// pages: the reports list with the range kept).
	BrandNext string
}

type navItem struct {
	Path, Label string
	Active      bool
}

// section is one part of the app in the left navigation.
type section struct {
	Slug, Label, Text string
	// Soon marks a part not built yet: /app/<slug> answers a "coming
	// soon" page.
	Soon bool
}

// agencySections are the parts of the agency app (UI.md), in order.
var agencySections = []section{
	{Slug: "clients", Label: "Clients"},
	{Slug: "links", Label: "Links"},
	{Slug: "invitations", Label: "Invitations"},
	{Slug: "brands", Label: "Brands"},
	{Slug: "sources", Label: "Data sources"},
	{Slug: "members", Label: "Members & Groups"},
	{Slug: "access-requests", Label: "Access requests"},
	{Slug: "billing", Label: "Billing"},
	{Slug: "audit", Label: "Audit"},
	{Slug: "settings", Label: "Settings"},
	{Slug: "portal", Label: "Portal & Domains"},
}

// buildShell reads the actor's memberships and picks the current account:
// the session's, or the first one when the session has none or lost it.
func (h *handler) buildShell(r *http.Request, a *authz.Actor, active string) (*shell, error) {
	me, err := h.deps.Accounts.Me(r.Context(), a)
	if err != nil {
		return nil, err
	}
	s := &shell{Memberships: me.Memberships}
	for i := range me.Memberships {
		if me.Memberships[i].Account.ID == a.AccountID {
			s.Current = &me.Memberships[i]
		}
	}
	if s.Current == nil && len(me.Memberships) > 0 {
		s.Current = &me.Memberships[0]
	}
	if s.Current != nil {
		s.CurrentID = s.Current.Account.ID
		s.Agency = s.Current.Account.Kind == account.Agency
	}
	if s.Current != nil {
		sections, home := agencySections, "Overview"
		if !s.Agency {
			home = "Home"
			if s.Portal, sections, err = h.portalSections(r, a, s.Current); err != nil {
				return nil, err
			}
		}
		s.Nav = append(s.Nav, navItem{Path: "/app", Label: home, Active: active == "overview"})
		for _, sec := range sections {
			s.Nav = append(s.Nav, navItem{Path: "/app/" + sec.Slug, Label: sec.Label, Active: active == sec.Slug})
		}
	}
	return s, nil
}

// shellOrNil is buildShell for error pages, which must render anyway.
func (h *handler) shellOrNil(r *http.Request, a *authz.Actor, active string) *shell {
	s, err := h.buildShell(r, a, active)
	if err != nil {
		h.deps.Log.WarnContext(r.Context(), "web: shell for error page", "err", err)
		return nil
	}
	return s
}

// appPage starts a page inside the app frame; on error it has answered.
func (h *handler) appPage(w http.ResponseWriter, r *http.Request, a *authz.Actor, title, active string) (*page, bool) {
	p := h.page(w, r, title)
	s, err := h.buildShell(r, a, active)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	p.Shell = s
	if s.Portal != nil {
		p.Brand = s.Portal.Brand
	}
	return p, true
}

// appHome is the agency overview, the client portal home, or an empty
// state for a user in no account.
func (h *handler) appHome(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Overview", "overview")
	if !ok {
		return
	}
	switch {
	case p.Shell.Current == nil:
		p.Title = "Welcome"
	case p.Shell.Agency:
		// The overview (overview.go, issue 18).
		d, err := h.agencyOverview(r, a, p.Shell.Current.Account.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Data = d
	case !p.Shell.Agency:
		p.Title = p.Shell.Current.Account.Name
		if err := h.portalHome(r, a, p); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "app_home", p)
}

type soonData struct{ Text string }

// section answers the agency sections that are not built yet.
func (h *handler) section(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	slug := r.PathValue("section")
	for _, sec := range agencySections {
		if sec.Slug != slug || !sec.Soon {
			continue
		}
		p, ok := h.appPage(w, r, a, sec.Label, sec.Slug)
		if !ok {
			return
		}
		if !p.Shell.Agency {
			break // agency sections do not exist in a client portal
		}
		p.Data = soonData{Text: sec.Text + " This part of Liaison is being built and will appear here."}
		h.render(w, r, http.StatusOK, "soon", p)
		return
	}
	h.notFound(w, r)
}

// switchAccount makes another of the user's accounts the current one.
func (h *handler) switchAccount(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id := r.PostFormValue("account_id")
	if err := h.deps.Auth.SwitchAccount(r.Context(), a, id); err != nil {
		if errs.Is(err, errs.NotFound) {
			h.setFlash(w, flash{Error: "That account is not one of yours any more."})
			redirect(w, r, "/app")
			return
		}
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/app")
}
