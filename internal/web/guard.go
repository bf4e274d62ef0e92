package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Access to the pages that show or change tenant data. Each such route in
// the page table names what it acts on and the action it needs, as the
// API's route table does; guard asks authz before the handler runs and
// hands the handler the checked relation, which the handler passes to the
// domain. Not visible is the 404 page and visible but forbidden the 403
// page, decided by authz alone: no handler compares roles.

// target is what a page acts on.
type target int

const (
	// ownAgency is the current account, which must be an agency
	// (authz.Check on it).
	ownAgency target = iota + 1
	// ownClient is the current account, which must be a client.
	ownClient
	// agencyClient is the client named by {client_id} as the current
	// agency sees it (authz.CheckClientOf).
	agencyClient
	// linkOf is the link named by {link_id}, one of the current account's
	// (authz.CheckLink).
	linkOf
	// brandOf is the brand named by {brand_id}, one of the current
	// agency's (authz.CheckBrand).
	brandOf
	// invitationOf is the invitation named by {invitation_id}, into the
	// current account or into a client the current agency sees
	// (authz.CheckInvitation).
	invitationOf
	// reportOf is the report named by {report_id}, of a brand of the
	// current agency or granted to the current client (authz.CheckReport).
	reportOf
	// templateOf is the report template named by {template_id}, one of the
	// current agency's (authz.CheckTemplate, issue 17).
	templateOf
)

// rule is one page's entry: its target, its action, and the navigation
// item that is current on it.
type rule struct {
	target  target
	action  authz.Action
	section string
}

// call is a checked page request.
type call struct {
	h   *handler
	w   http.ResponseWriter
	r   *http.Request
	a   *authz.Actor
	p   *page
	acc account.Ref // the current account
	// rel is the checked relation: to the current account, to the client
	// through the agency, or to the brand's agency.
	rel authz.Relation
	// link is the checked relation to the link, for linkOf rules.
	link authz.LinkRelation
}

// side is the kind of account a target lives in.
func (t target) side() string {
	if t == ownClient {
		return account.Client
	}
	return account.Agency
}

// guard wraps a page handler with the login, the app frame and the access
// check of its rule. Agency pages do not exist in a client portal and
// portal pages not in an agency (404), whatever the role; link pages exist
// on both sides.
func (h *handler) guard(ru rule, next func(c *call)) http.HandlerFunc {
	return h.user(func(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
		p, ok := h.appPage(w, r, a, "", ru.section)
		if !ok {
			return
		}
		cur := p.Shell.Current
		if cur == nil || (ru.target != linkOf && ru.target != invitationOf && ru.target != reportOf && cur.Account.Kind != ru.target.side()) {
			h.notFound(w, r)
			return
		}
		if a.Impersonating() && (ru.action == authz.LinkDecide || ru.action == authz.LinkDisconnect || ru.action == authz.ClientImpersonate) {
			h.fail(w, r, authz.ErrImpersonating("accept, decline or end links, or start another Login As"))
			return
		}
		c := &call{h: h, w: w, r: r, a: a, p: p, acc: cur.Account}
		var err error
		c.rel, c.link, err = c.check(ru.target, ru.action)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		next(c)
	})
}

// check runs authz for one target and action. Handlers that need a second
// relation (the agency's, to list its brands on a client's page) call it
// too, so every access decision of the pages goes through here.
func (c *call) check(t target, action authz.Action) (authz.Relation, authz.LinkRelation, error) {
	ctx, z := c.r.Context(), c.h.deps.Authz
	switch t {
	case ownAgency, ownClient:
		rel, err := z.Check(ctx, c.a, c.acc.ID, action)
		return rel, authz.LinkRelation{}, err
	case agencyClient:
		rel, err := z.CheckClientOf(ctx, c.a, c.acc.ID, c.r.PathValue("client_id"), action)
		return rel, authz.LinkRelation{}, err
	case brandOf:
		rel, err := z.CheckBrand(ctx, c.a, c.r.PathValue("brand_id"), action)
		if err == nil && rel.AccountID != c.acc.ID {
			err = errs.ErrNotFound // a brand of another of the user's agencies
		}
		return rel, authz.LinkRelation{}, err
	case reportOf:
		rel, err := z.CheckReport(ctx, c.a, c.r.PathValue("report_id"), action)
		if err == nil && rel.AccountID != c.acc.ID {
			err = errs.ErrNotFound // a report seen through another of the user's accounts
		}
		return rel, authz.LinkRelation{}, err
	case templateOf:
		rel, err := z.CheckTemplate(ctx, c.a, c.r.PathValue("template_id"), action)
		if err == nil && rel.AccountID != c.acc.ID {
			err = errs.ErrNotFound // a template of another of the user's agencies
		}
		return rel, authz.LinkRelation{}, err
	case linkOf:
		return c.checkLink(c.r.PathValue("link_id"), action)
	case invitationOf:
		rel, err := z.CheckInvitation(ctx, c.a, c.r.PathValue("invitation_id"), action)
		if err == nil && rel.AccountID != c.acc.ID && rel.AgencyID != c.acc.ID {
			err = errs.ErrNotFound // an invitation of another of the user's accounts
		}
		return rel, authz.LinkRelation{}, err
	}
	return authz.Relation{}, authz.LinkRelation{}, errs.ErrNotFound
}

// checkLink checks an action on a link of the current account; a link
// between two other accounts is not found on this account's pages.
func (c *call) checkLink(linkID string, action authz.Action) (authz.Relation, authz.LinkRelation, error) {
	lr, err := c.h.deps.Authz.CheckLink(c.r.Context(), c.a, linkID, action)
	if err == nil && lr.AgencyID != c.acc.ID && lr.ClientID != c.acc.ID {
		err = errs.ErrNotFound
	}
	return authz.Relation{}, lr, err
}

// agencyRel is the actor's checked relation to the current agency, for a
// page about one client that also lists the agency's brands or members.
func (c *call) agencyRel(action authz.Action) (authz.Relation, error) {
	rel, _, err := c.check(ownAgency, action)
	return rel, err
}

// can reports whether the checked relation allows an action, so that a
// page offers only the buttons its viewer may use. It reads the matrix;
// the action's own route checks again when the button is used.
func (c *call) can(action authz.Action) bool { return authz.Allowed(c.rel.Role, action) }

// ctx is the request's context.
func (c *call) ctx() context.Context { return c.r.Context() }

// render shows the page's view with status.
func (c *call) render(status int, view string) { c.h.render(c.w, c.r, status, view, c.p) }

// fail shows err as a page of its own (404, 403, 409 ...).
func (c *call) fail(err error) { c.h.fail(c.w, c.r, err) }

// done answers a successful form post: a notice, then back to a page.
func (c *call) done(notice, to string) {
	c.h.setFlash(c.w, flash{Notice: notice})
	redirect(c.w, c.r, to)
}

// refused answers a form post that failed for a reason that belongs to no
// form field (the link was cancelled meanwhile, the last admin): the
// message is shown on the page the post came from, which is reloaded.
// Access errors still get their own page.
func (c *call) refused(err error, to string) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal || e.Kind == errs.NotFound || e.Kind == errs.Forbidden || e.Kind == errs.Unauthorized {
		c.fail(err)
		return
	}
	c.h.setFlash(c.w, flash{Error: e.Message})
	redirect(c.w, c.r, to)
}

// refusedAt is refused for a form of its own on a long page: the error
// goes beside field, and the page opens scrolled to it (#field).
func (c *call) refusedAt(err error, to, field string) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal || e.Kind == errs.NotFound || e.Kind == errs.Forbidden || e.Kind == errs.Unauthorized {
		c.fail(err)
		return
	}
	c.h.setFlash(c.w, flash{Error: e.Message, Field: field})
	redirect(c.w, c.r, to+"#"+field)
}

// invalid answers a form post that the domain refused: the error goes
// beside the field that fields maps its field (or its code) to, or above
// the form, and show renders the page again with the status. An access
// error that no field explains gets its own page instead.
func (c *call) invalid(err error, fields map[string]string, show func(status int)) {
	e := errs.As(err)
	if e != nil {
		to, ok := fields[e.Field]
		if e.Field == "" || !ok {
			to, ok = fields[e.Code]
		}
		switch {
		case ok:
			moved := *e
			moved.Field = to
			err = &moved
		case e.Kind == errs.NotFound || e.Kind == errs.Forbidden:
			c.fail(err)
			return
		}
	}
	names := make([]string, 0, len(fields))
	for _, v := range fields {
		names = append(names, v)
	}
	show(c.h.formError(c.w, c.r, c.p, err, names...))
}

// form reads the posted fields into the page's values.
func (c *call) form(names ...string) { form(c.w, c.r, c.p, names...) }

// listURL builds a list page's URL from its query, dropping empty values,
// so that links keep the filters the page was opened with.
func listURL(path string, q url.Values, set ...string) string {
	v := url.Values{}
	for k, vals := range q {
		v[k] = append([]string(nil), vals...)
	}
	for i := 0; i+1 < len(set); i += 2 {
		v.Set(set[i], set[i+1])
	}
	for k, vals := range v {
		if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			delete(v, k)
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
