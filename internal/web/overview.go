package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/link"
)

// The agency's overview (issue 18): what an account manager looks at
// first — clients per status (each a link to the filtered list), those
// that turned at risk or churned this week, the biggest score drops,
// link requests and invitations awaiting action, recent Login As — and
// the getting-started steps only while they apply and only for those who
// can take them. Everything is read through the viewer's checked relation:
// a member sees the clients they see, nothing more.

type overviewData struct {
	Counts      []overviewCount
	HasClients  bool
	Turned      []overviewClient
	Drops       []overviewClient
	Requests    []link.Link
	Invitations []invite.Invitation
	LoginAs     []impersonation.Recent
	Steps       []overviewStep
}

type overviewCount struct {
	Label, URL, Status string
	N                  int
}

type overviewClient struct {
	ID, Name, Status string
	Score, WeekAgo   int
	Since            *time.Time
}

type overviewStep struct{ URL, Label, Text string }

// overviewDropsShown is how many score drops the overview lists.
const overviewDropsShown = 5

func (h *handler) agencyOverview(r *http.Request, a *authz.Actor, agencyID string) (*overviewData, error) {
	ctx := r.Context()
	rel, err := h.deps.Authz.Check(ctx, a, agencyID, authz.AgencyClientsList)
	if err != nil {
		return nil, err
	}
	can := func(act authz.Action) bool { return authz.Allowed(rel.Role, act) }
	d := &overviewData{}
	scope := authz.ClientScopeOf(rel, a.UserID)
	pg, err := h.deps.Clients.List(ctx, scope, client.ListQuery{Status: "all", Limit: 1})
	if err != nil {
		return nil, err
	}
	cn := pg.ClientCounts
	d.HasClients = cn.All > 0
	for _, c := range []overviewCount{{"Active", "", "active", cn.Active}, {"At risk", "", "at_risk", cn.AtRisk},
		{"Churned", "", "churned", cn.Churned}, {"Pending", "", "pending", cn.Pending + cn.LinkInvite}, {"Revoked", "", "revoked", cn.Revoked}} {
		c.URL = "/app/clients?status=" + c.Status
		if c.Status == "pending" && cn.Pending == 0 && cn.LinkInvite > 0 {
			c.URL = "/app/clients?status=link_invite"
		}
		d.Counts = append(d.Counts, c)
	}
	set, err := h.deps.Agency.GetSettings(ctx, rel)
	if err != nil {
		return nil, err
	}
	now := h.deps.Clients.Now()
	// Turned this week: the threshold of the status was crossed in the
	// last seven days (status follows the last login, SPEC §5).
	visible := map[string]bool{}
	for _, st := range []struct {
		status string
		days   int
	}{{"at_risk", set.AtRiskDays}, {"churned", set.ChurnDays}} {
		p, err := h.deps.Clients.List(ctx, scope, client.ListQuery{Status: st.status, Sort: "-last_active", Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, c := range p.Clients {
			if c.LastActiveAt == nil {
				continue
			}
			crossed := c.LastActiveAt.Add(time.Duration(st.days) * health.Day)
			if now.Sub(crossed) < 7*health.Day {
				d.Turned = append(d.Turned, overviewClient{ID: c.ID, Name: c.Name, Status: c.Status, Since: &crossed})
			}
		}
	}
	sort.Slice(d.Turned, func(i, j int) bool { return d.Turned[i].Since.After(*d.Turned[j].Since) })
	// Biggest drops: the digest's, of the clients this viewer sees.
	if d.HasClients {
		dg, err := h.deps.Clients.DigestForPage(ctx, agencyID, now, 200)
		if err != nil {
			return nil, err
		}
		if rel.Role != authz.AgencyAdmin && len(dg.Drops) > 0 {
			for cursor := ""; ; {
				p, err := h.deps.Clients.List(ctx, scope, client.ListQuery{Status: "all", Limit: 200, Cursor: cursor})
				if err != nil {
					return nil, err
				}
				for _, c := range p.Clients {
					visible[c.ID] = true
				}
				if cursor = p.NextCursor; cursor == "" || len(visible) >= 5000 {
					break
				}
			}
		}
		for _, c := range dg.Drops {
			if rel.Role != authz.AgencyAdmin && !visible[c.ID] {
				continue
			}
			if len(d.Drops) == overviewDropsShown {
				break
			}
			d.Drops = append(d.Drops, overviewClient{ID: c.ID, Name: c.Name, Status: c.Status, Score: *c.Score, WeekAgo: c.WeekAgo})
		}
	}
	// Awaiting action: incoming link requests (for those who decide
	// them), pending invitations (for those who manage them).
	if can(authz.LinkDecide) {
		if d.Requests, _, err = h.deps.Links.List(ctx, rel, link.Filter{Direction: link.Incoming, Status: link.Pending, Limit: 5}); err != nil {
			return nil, err
		}
	}
	if can(authz.ClientCreate) {
		if d.Invitations, _, err = h.deps.Invites.ForAgency(ctx, scope, true, invite.Filter{Status: invite.Pending, Limit: 5}); err != nil {
			return nil, err
		}
	}
	// Recent Login As, for those who read the agency's audit log.
	if can(authz.AuditRead) {
		if d.LoginAs, err = h.deps.Impersonation.RecentOf(ctx, rel, 5); err != nil {
			return nil, err
		}
	}
	// Getting started, while each step applies, for those who can take it.
	if !d.HasClients && can(authz.ClientCreate) {
		d.Steps = append(d.Steps, overviewStep{"/app/clients", "Add your first client", "invite a client or link an existing account by its account ID."})
	}
	if can(authz.AgencyManage) {
		p, err := h.deps.Branding.Get(ctx, rel)
		if err != nil {
			return nil, err
		}
		if p.UpdatedAt == nil {
			d.Steps = append(d.Steps, overviewStep{"/app/portal", "Brand your portal", "your logo and colours, on your own domain."})
		}
		members, _, err := h.deps.Agency.Members(ctx, rel, agency.Page{Limit: 2})
		if err != nil {
			return nil, err
		}
		if len(members) < 2 {
			d.Steps = append(d.Steps, overviewStep{"/app/members", "Invite your team", "and group them to share clients."})
		}
	}
	return d, nil
}
