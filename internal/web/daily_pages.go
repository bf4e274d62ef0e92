package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/link"
)

// The Access tab of a client's page (issue 18): who in the agency sees the
// client, changed after linking by the agency's admins (PATCH /links/{id}).

// sharingPanel is the data of the "client-sharing" partial.
type sharingPanel struct {
	ClientID, ClientName string
	Access               accessForm
	// Ends are the end dates of the link and of each staff grant on it
	// (issue 21), with their forms.
	Ends   []endLine
	MinEnd string
	Errors map[string]string // the page's, for the end dates' forms
}

// clientSharing is the Access tab for a viewer who may change it (the
// agency's admins: authz.CheckLink with AgencyManage on the agency's side),
// nil otherwise. A form shown again with its error keeps what was posted.
func (h *handler) clientSharing(c *call, d client.ClientDetail) (*sharingPanel, error) {
	if d.LinkID == "" || !c.can(authz.ClientDisconnect) {
		return nil, nil
	}
	_, lr, err := c.checkLink(d.LinkID, authz.AgencyManage)
	if err != nil || lr.Side != "agency" {
		return nil, nil // not this viewer's to change
	}
	l, err := h.deps.Links.Get(c.ctx(), lr)
	if err != nil {
		return nil, err
	}
	p := &sharingPanel{ClientID: d.ID, ClientName: d.Name, Access: accessForm{Prefix: "share-"}}
	if l.Access != nil {
		p.Access.All, p.Access.UserIDs, p.Access.GroupIDs = l.Access.All, l.Access.UserIDs, l.Access.GroupIDs
	}
	if c.r.Method == http.MethodPost && c.r.PostForm.Has("access") {
		_, p.Access = postedAccess(c.r)
		p.Access.Prefix = "share-"
	}
	p.Access.Error = c.p.Errors["access"]
	agencyRel, err := c.agencyRel(authz.AgencyRead)
	if err != nil {
		return nil, err
	}
	if err := h.choices(c, agencyRel, &p.Access); err != nil {
		return nil, err
	}
	if l.Status == link.Active {
		p.Ends, p.MinEnd, p.Errors = endLines(l, p.Access, d.AccountManagers), minEnd(), c.p.Errors
	}
	return p, nil
}

// clientAccessSave replaces the link's access; those who lose sight of the
// client lose it, their Login As on it included, at once.
func (h *handler) clientAccessSave(c *call) {
	c.form()
	d, err := h.deps.Clients.Get(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	_, lr, err := c.checkLink(d.LinkID, authz.AgencyManage)
	if err != nil {
		c.fail(err)
		return
	}
	access, _ := postedAccess(c.r)
	if _, err := h.deps.Links.SetAccess(c.ctx(), lr, c.a, *access); err != nil {
		c.invalid(err, map[string]string{"access": "access", "access.user_ids": "access", "access.group_ids": "access"},
			func(st int) { h.showClient(c, st) })
		return
	}
	who := "The entire agency sees " + d.Name + " now."
	if !access.All {
		who = "Only the chosen people and groups, the admins and " + d.Name + "'s account managers see it now."
	}
	c.done("Access saved. "+who, h.clientPath(c)+"#access")
}

// newClients are the listed clients whose first user joined less than 30
// days ago (client.NewClients).
func (h *handler) newClients(c *call, items []client.ClientListItem) (map[string]bool, error) {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		if it.Health != nil {
			ids = append(ids, it.ID)
		}
	}
	return h.deps.Clients.NewClients(c.ctx(), ids)
}

// saveTimezone sets the agency's time zone (its own form on Settings): the
// weekly digest, headline metrics and schedules count days in it.
func (h *handler) saveTimezone(c *call) {
	c.form("timezone")
	tz := strings.TrimSpace(c.p.Values["timezone"])
	if _, err := h.deps.Agency.UpdateSettings(c.ctx(), c.a, c.rel, agency.SettingsUpdate{Timezone: &tz}); err != nil {
		c.invalid(err, map[string]string{"timezone": "timezone"}, func(st int) {
			// The page shows the other settings as stored, this field as posted.
			if v, err := h.deps.Agency.GetSettings(c.ctx(), c.rel); err == nil {
				for name, n := range map[string]int{"at_risk_days": v.AtRiskDays, "churn_days": v.ChurnDays,
					"client_invite_ttl_days": v.ClientInviteTTLDays, "team_invite_ttl_days": v.TeamInviteTTLDays,
					"impersonation_idle_minutes": v.ImpersonationIdleMinutes} {
					c.p.Values[name] = strconv.Itoa(n)
				}
				c.p.Values["impersonation_reason_required"] = checked(v.ImpersonationReasonRequired)
				c.p.Values["notify_client_on_impersonation"] = checked(v.NotifyClientOnImpersonation)
			}
			h.showSettings(c, st)
		})
		return
	}
	c.done("Time zone saved: "+tz+".", "/app/settings#timezone")
}

// commonZones are suggestions for the time zone field; any IANA name works.
var commonZones = []string{"UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Amsterdam",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "America/Toronto",
	"Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata", "Asia/Dubai", "Asia/Shanghai", "Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg"}
