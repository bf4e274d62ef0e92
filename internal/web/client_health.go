package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/health"
)

// A client's health and activity on its detail page (SPEC §5, issue 6):
// the score with its four parts said in words, two charts drawn on the
// server as inline SVG (the CSP allows no script or inline style, and a
// chart that needs no script also prints and works without JavaScript),
// each with a table beside it, and the latest activity with a "Load more"
// that pages by cursor (GET /app/clients/{client_id}/activity).

// healthPanel is the Health section.
type healthPanel struct {
	Scored  bool // a client nobody has joined has no score
	Score   int
	Band    string
	Joined  bool
	Parts   []healthPart
	Weekly  barChart
	History lineChart
}

// healthPart is one of the four parts of the score, explained.
type healthPart struct {
	Name    string // Recency, Frequency, Depth, Trend
	Weight  int    // percent of the score
	Percent int    // the part's value, 0–100
	Text    string // what it means, in words: "Last login 3 days ago — recency 93%"
	Points  string // what it adds to the score: "37.3 of 40"
}

// activityPanel is the Activity section: the summary and a page of events.
type activityPanel struct {
	ClientID string
	Summary  activity.Summary
	Usage    []pageUse
	Events   []eventRow
	Next     string // the next page's address, "" on the last
	First    string // the first page's, on a later page
}

type pageUse struct {
	Label string
	Views int
}

// eventRow is one event as a person reads it.
type eventRow struct {
	At     time.Time
	Who    string
	Email  string
	What   string
	Detail string
	// LoginAs names the agency user who did this while logged in as the
	// client; such events never count as the client's own.
	LoginAs string
}

// activityPageSize is how many events the detail shows at a time.
const activityPageSize = 20

// pageLabels name the portal's pages (activity.Pages) for people.
var pageLabels = map[string]string{"dashboard": "Home", "reports": "Reports", "users": "Users", "agencies": "Agencies",
	"security": "Security", "profile": "Profile", "billing": "Billing"}

func pageLabel(p string) string {
	if l, ok := pageLabels[p]; ok {
		return l
	}
	return p
}

// clientHealth builds the Health section of the client rel was checked
// against.
func (h *handler) clientHealth(c *call, d client.ClientDetail) (healthPanel, error) {
	r, err := h.deps.Clients.Health(c.ctx(), c.rel)
	if err != nil {
		return healthPanel{}, err
	}
	hp := healthPanel{Band: r.Band, Joined: d.UsersCount > 0}
	if r.Score == nil || r.Parts == nil {
		return hp, nil
	}
	hp.Scored, hp.Score = true, *r.Score
	// churn_days says when recency reaches 0; the page still explains the
	// score without it (a viewer without the agency's settings).
	churn := 0
	if ar, err := c.agencyRel(authz.AgencyRead); err == nil {
		if set, err := h.deps.Agency.GetSettings(c.ctx(), ar); err == nil {
			churn = set.ChurnDays
		}
	}
	hp.Parts = explainParts(*r.Parts, churn)
	hp.Weekly = weeklyChart(r.Weekly)
	hp.History = historyChart(r.History)
	return hp, nil
}

// explainParts says each part of the score in words, with its value and
// weight (SPEC §5: 40 recency, 30 frequency, 20 depth, 10 trend).
func explainParts(p health.Parts, churnDays int) []healthPart {
	pct := func(v float64) int { return int(math.Floor(v*100 + 0.5)) }
	pts := func(v float64, w int) string {
		return strconv.FormatFloat(math.Round(v*float64(w)*10)/10, 'f', -1, 64) + " of " + strconv.Itoa(w)
	}
	var rec string
	switch {
	case p.DaysSinceLogin == nil:
		rec = "Nobody has logged in yet"
	case *p.DaysSinceLogin == 0:
		rec = "Last login today"
	case *p.DaysSinceLogin == 1:
		rec = "Last login yesterday"
	default:
		rec = "Last login " + strconv.Itoa(*p.DaysSinceLogin) + " days ago"
	}
	if churnDays > 0 && p.DaysSinceLogin != nil && *p.DaysSinceLogin > 0 {
		if p.Recency == 0 {
			rec += fmt.Sprintf(" (%d days or more without a login count as none)", churnDays)
		} else {
			rec += fmt.Sprintf(" (falls to 0 after %d days without one)", churnDays)
		}
	}
	usual := plural(p.Logins30, "login") + " in the last 30 days"
	// B is 4 either way when the client logged in under once a month
	// before; the page's note explains that rule.
	usual += " against a usual " + strconv.FormatFloat(math.Round(p.Baseline*10)/10, 'f', -1, 64)
	depth := strconv.Itoa(min(p.Pages30, 4)) + " of 4 features used in the last 30 days"
	if p.Pages30 > 4 {
		depth = strconv.Itoa(p.Pages30) + " features used in the last 30 days (4 count in full)"
	}
	logins := func(n int) string {
		if n == 0 {
			return "none"
		}
		return strconv.Itoa(n)
	}
	var trend string
	switch p.Trend {
	case 1:
		trend = "Logins are rising"
	case 0:
		trend = "Logins are falling"
	default:
		trend = "Logins are steady"
	}
	trend += " (" + logins(p.Logins14) + " in the last 14 days vs " + logins(p.LoginsPrev) + " in the 14 before)"
	out := []healthPart{
		{Name: "Recency", Weight: 40, Percent: pct(p.Recency), Text: rec, Points: pts(p.Recency, 40)},
		{Name: "Frequency", Weight: 30, Percent: pct(p.Frequency), Text: usual, Points: pts(p.Frequency, 30)},
		{Name: "Depth", Weight: 20, Percent: pct(p.Depth), Text: depth, Points: pts(p.Depth, 20)},
		{Name: "Trend", Weight: 10, Percent: pct(p.Trend), Text: trend, Points: pts(p.Trend, 10)},
	}
	for i := range out {
		out[i].Text += " — " + strings.ToLower(out[i].Name) + " " + strconv.Itoa(out[i].Percent) + "%"
	}
	return out
}

// clientActivity builds the Activity section: the summary and the page of
// events after cursor.
func (h *handler) clientActivity(c *call, d client.ClientDetail, cursor string) (activityPanel, error) {
	pg, err := h.deps.Activity.ForAgency(c.ctx(), c.rel, activityPageSize, cursor)
	if err != nil {
		return activityPanel{}, err
	}
	ap := activityPanel{ClientID: d.ID, Summary: pg.Summary}
	for _, u := range pg.Summary.FeatureUsage {
		ap.Usage = append(ap.Usage, pageUse{Label: pageLabel(u.Page), Views: u.Views})
	}
	brands := map[string]string{}
	for _, b := range d.Brands {
		brands[b.ID] = b.Name
	}
	base := "/app/clients/" + url.PathEscape(d.ID) + "/activity"
	if pg.NextCursor != "" {
		ap.Next = base + "?cursor=" + url.QueryEscape(pg.NextCursor)
	}
	if cursor != "" {
		ap.First = h.clientPathOf(d.ID) + "#activity"
	}
	names := h.loginAsNames(c, pg.Events)
	for _, e := range pg.Events {
		row := eventRow{At: e.At, Who: "A former user"}
		if e.User != nil {
			row.Who, row.Email = e.User.Name, e.User.Email
		}
		switch e.Kind {
		case activity.Login:
			row.What = "Logged in"
		case activity.Logout:
			row.What = "Logged out"
		case activity.PageView:
			row.What = "Opened a page"
			if e.Page != nil {
				row.Detail = pageLabel(*e.Page)
			}
		case activity.Export:
			row.What = "Exported"
			if e.Format != nil {
				row.Detail = strings.ToUpper(*e.Format)
			}
		default:
			row.What = e.Kind
		}
		if e.BrandID != nil && brands[*e.BrandID] != "" {
			if row.Detail != "" {
				row.Detail += " · "
			}
			row.Detail += brands[*e.BrandID]
		}
		if e.ImpersonatorID != nil {
			row.LoginAs = names[*e.ImpersonatorID]
			// The actor of an impersonated event is the agency user
			// themselves: say it once, as "by … via Login As".
			row.Who, row.Email = "", ""
		}
		ap.Events = append(ap.Events, row)
	}
	return ap, nil
}

// loginAsNames names the agency users in events made during Login As: the
// viewer's agency's members by name, anyone else (a member since removed)
// as "an agency user". Another agency's Login As never reaches here: the
// events are the viewer's agency's and the client's own (activity.ForAgency).
func (h *handler) loginAsNames(c *call, events []activity.ActivityEvent) map[string]string {
	out := map[string]string{}
	var ar authz.Relation
	checked := false
	for _, e := range events {
		if e.ImpersonatorID == nil || out[*e.ImpersonatorID] != "" {
			continue
		}
		id := *e.ImpersonatorID
		out[id] = "an agency user"
		if !checked {
			checked = true
			var err error
			if ar, err = c.agencyRel(authz.AgencyRead); err != nil {
				ar = authz.Relation{}
			}
		}
		var m agency.Member
		var err error
		if ar.Visible() {
			m, err = h.deps.Agency.Member(c.ctx(), ar, id)
		}
		if ar.Visible() && err == nil {
			out[id] = m.Name
		} else if err != nil && !errs.Is(err, errs.NotFound) {
			h.deps.Log.WarnContext(c.ctx(), "web: name of a Login As user", "err", err)
		}
	}
	return out
}

func (h *handler) clientPathOf(id string) string { return "/app/clients/" + url.PathEscape(id) }

type clientActivityData struct {
	Client   client.ClientDetail
	Activity activityPanel
}

// clientActivityPage is GET /app/clients/{client_id}/activity: the
// Activity section alone, from a cursor. "Load more" fetches it and
// appends its rows (list.js); without JavaScript it is a page of its own.
func (h *handler) clientActivityPage(c *call) {
	d := clientActivityData{}
	var err error
	if d.Client, err = h.deps.Clients.Get(c.ctx(), c.rel); err != nil {
		c.fail(err)
		return
	}
	d.Activity, err = h.clientActivity(c, d.Client, c.r.URL.Query().Get("cursor"))
	if errs.Is(err, errs.Invalid) {
		// A stale or hand-edited cursor: back to the first page.
		c.refused(err, h.clientPathOf(d.Client.ID)+"#activity")
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.p.Title = "Activity · " + d.Client.Name
	c.p.Data = d
	c.render(http.StatusOK, "client_activity")
}
