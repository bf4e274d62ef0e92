package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The audit log as people read it (issue 18, SPEC §9): the agency's at
// /app/audit, a client's for its admins at /app/audit-log. Filters by
// action, person and date; each entry in words, with who did it (and who
// was behind a Login As), its before/after as a list of changed fields,
// times in the viewer's time zone, cursor paging, and a CSV export.

// clientAuditSlug is the client portal's audit page.
const clientAuditSlug = "audit-log"

type auditRow struct {
	At           time.Time
	Local        string // the exact time in the page's zone, before JavaScript
	Action       string
	Summary      string
	Actor        string // name, or "" for the system
	ActorEmail   string
	Impersonator string // the agency user behind a Login As, if any
	Target       string
	IP           string
	Diff         []diffLine
}

// diffLine is one field of an entry that changed. A side that is one time
// also carries it (BeforeAt, AfterAt): the page shows it as the entry's own
// time is shown, in the viewer's zone by the page's script, where the text
// is in the zone the filters sent (UTC before they were first submitted).
type diffLine struct {
	Field, Before, After string
	BeforeAt, AfterAt    time.Time
}

type auditData struct {
	Base    string // the page's path
	Rows    []auditRow
	Actions []auditChoice
	Actors  []auditChoice
	// Filter is what the page was asked for (the form's values).
	Action, Actor, From, To, TZ string
	Zone                        string
	Next, CSV, Clear            string
	Filtered                    bool
}

type auditChoice struct {
	Value, Label string
	Selected     bool
}

// auditFilter reads a page's query: the dates are days in the viewer's
// zone (tz, an IANA name the page's script sends; UTC without it).
func auditFilter(q url.Values) (audit.Filter, *time.Location, map[string]string) {
	bad := map[string]string{}
	loc := time.UTC
	if tz := q.Get("tz"); tz != "" {
		if l, err := time.LoadLocation(tz); err == nil && tz != "Local" {
			loc = l
		}
	}
	f := audit.Filter{Action: q.Get("action"), Actor: q.Get("actor"), Cursor: q.Get("cursor")}
	day := func(name string) time.Time {
		v := q.Get(name)
		if v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			bad[name] = "Enter a date such as 2024-03-31."
		}
		return d
	}
	f.Since = day("from")
	if to := day("to"); !to.IsZero() {
		f.Until = to.AddDate(0, 0, 1) // the whole last day
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) && bad["to"] == "" {
		bad["to"] = "The last day comes on or after the first."
	}
	return f, loc, bad
}

// auditPage is the log of the current account (agency or client).
func (h *handler) auditPage(c *call) {
	base := "/app/audit"
	if c.acc.Kind != "agency" {
		base = "/app/" + clientAuditSlug
	}
	q := c.r.URL.Query()
	f, loc, bad := auditFilter(q)
	d := auditData{Base: base, Action: f.Action, Actor: f.Actor, From: q.Get("from"), To: q.Get("to"), TZ: q.Get("tz"), Zone: loc.String(),
		Clear: base}
	d.Filtered = d.Action != "" || d.Actor != "" || d.From != "" || d.To != ""
	for k, v := range map[string]string{"action": d.Action, "actor": d.Actor, "from": d.From, "to": d.To} {
		c.p.Values[k] = v
	}
	facets, err := h.deps.Audit.Facets(c.ctx(), c.rel)
	if err != nil {
		c.fail(err)
		return
	}
	for _, a := range facets.Actions {
		d.Actions = append(d.Actions, auditChoice{Value: a, Label: actionWords(a), Selected: a == d.Action})
	}
	for _, a := range facets.Actors {
		d.Actors = append(d.Actors, auditChoice{Value: a.ID, Label: a.Name + " (" + a.Email + ")", Selected: a.ID == d.Actor})
	}
	status := http.StatusOK
	c.p.Title = "Audit log"
	if len(bad) > 0 {
		c.p.Errors = bad
		c.p.Data = d
		c.render(http.StatusBadRequest, "audit")
		return
	}
	events, next, err := h.deps.Audit.List(c.ctx(), c.rel, f)
	if err != nil {
		c.invalid(err, map[string]string{"cursor": "cursor"}, func(st int) { c.p.Data = d; c.render(st, "audit") })
		return
	}
	if d.Rows, err = h.auditRows(c, events, loc); err != nil {
		c.fail(err)
		return
	}
	keep := url.Values{}
	for _, k := range []string{"action", "actor", "from", "to", "tz"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if next != "" {
		d.Next = listURL(base, keep, "cursor", next)
	}
	d.CSV = listURL(base+".csv", keep)
	c.p.Data = d
	c.render(status, "audit")
}

// auditRows puts entries in words, naming the people and accounts they
// mention (IDs only from entries the relation already read).
func (h *handler) auditRows(c *call, events []audit.Event, loc *time.Location) ([]auditRow, error) {
	var ids []string
	for _, e := range events {
		for _, p := range []*string{e.ActorID, e.ImpersonatorID} {
			if p != nil {
				ids = append(ids, *p)
			}
		}
		if e.TargetID != "" {
			ids = append(ids, e.TargetID)
		}
	}
	slices.Sort(ids)
	names, err := h.deps.Audit.Names(c.ctx(), slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	rows := make([]auditRow, 0, len(events))
	for _, e := range events {
		r := auditRow{At: e.At, Local: e.At.In(loc).Format("2 Jan 2006 15:04 MST"), Action: e.Action, Summary: actionWords(e.Action), IP: e.IP,
			Diff: diff(e.Before, e.After, loc)}
		if e.ActorID != nil {
			n := names[*e.ActorID]
			r.Actor, r.ActorEmail = orDefault(n.Name, "a deleted user"), n.Email
		}
		if e.ImpersonatorID != nil {
			r.Impersonator = orDefault(names[*e.ImpersonatorID].Name, "a deleted user")
		}
		if e.TargetID != "" {
			if n, ok := names[e.TargetID]; ok {
				r.Target = n.Name
			} else {
				r.Target = e.TargetID
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// auditCSV exports the filtered log (up to auditCSVMax entries), every
// cell neutralised so that a spreadsheet never runs one as a formula.
func (h *handler) auditCSV(c *call) {
	q := c.r.URL.Query()
	f, loc, bad := auditFilter(q)
	for field, msg := range bad {
		c.fail(errs.InvalidField(field, "%s", msg))
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"time_utc", "time_local", "action", "what", "who", "who_email", "logged_in_as_client_by", "target", "ip", "changes"})
	f.Limit = audit.MaxLimit
	for n := 0; n < auditCSVMax; {
		events, next, err := h.deps.Audit.List(c.ctx(), c.rel, f)
		if err != nil {
			c.fail(err)
			return
		}
		rows, err := h.auditRows(c, events, loc)
		if err != nil {
			c.fail(err)
			return
		}
		for _, r := range rows {
			var ch []string
			for _, l := range r.Diff {
				ch = append(ch, l.Field+": "+l.Before+" → "+l.After)
			}
			rec := []string{r.At.UTC().Format(time.RFC3339), r.Local, r.Action, r.Summary, r.Actor, r.ActorEmail, r.Impersonator, r.Target, r.IP,
				strings.Join(ch, "; ")}
			for i := range rec {
				rec[i] = neutralCell(rec[i])
			}
			_ = cw.Write(rec)
		}
		n += len(rows)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	_, _ = c.w.Write(buf.Bytes())
}

const auditCSVMax = 10000

// neutralCell keeps a spreadsheet from reading a cell as a formula: a
// cell starting with = + - @ or a tab or carriage return gets a leading
// apostrophe (OWASP "CSV injection").
func neutralCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// diff lists the fields whose value differs between before and after
// (JSON objects, or a single value each), in the order of their names.
func diff(before, after json.RawMessage, loc *time.Location) []diffLine {
	b, bok := object(before)
	a, aok := object(after)
	if !bok || !aok {
		l := diffLine{Field: "value", Before: value(before, loc), After: value(after, loc),
			BeforeAt: timeValue(before), AfterAt: timeValue(after)}
		if l.Before == l.After {
			return nil
		}
		return []diffLine{l}
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []diffLine
	for _, k := range names {
		bv, av := value(b[k], loc), value(a[k], loc)
		if bv == av {
			continue
		}
		out = append(out, diffLine{Field: strings.ReplaceAll(k, "_", " "), Before: bv, After: av,
			BeforeAt: timeValue(b[k]), AfterAt: timeValue(a[k])})
	}
	return out
}

func object(m json.RawMessage) (map[string]json.RawMessage, bool) {
	if len(m) == 0 || string(m) == "null" {
		return map[string]json.RawMessage{}, true
	}
	var o map[string]json.RawMessage
	return o, json.Unmarshal(m, &o) == nil
}

// value renders one JSON value for people: nothing is "—", booleans yes
// and no, times in the page's zone, lists joined, objects as compact JSON.
func value(m json.RawMessage, loc *time.Location) string {
	if len(m) == 0 || string(m) == "null" {
		return "—"
	}
	var v any
	if json.Unmarshal(m, &v) != nil {
		return string(m)
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case string:
		if t := timeValue(m); !t.IsZero() {
			return t.In(loc).Format("2 Jan 2006 15:04 MST")
		}
		if x == "" {
			return "—"
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		if len(x) == 0 {
			return "none"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			raw, _ := json.Marshal(e)
			parts[i] = value(raw, loc)
		}
		return strings.Join(parts, ", ")
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, m)
	return buf.String()
}

// timeValue is the time a JSON value is, if it is one (the zero time if
// not): value shows it as text, the page as a time the script can move to
// the viewer's zone.
func timeValue(m json.RawMessage) time.Time {
	var x string
	if len(m) == 0 || m[0] != '"' || json.Unmarshal(m, &x) != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, x)
	if err != nil {
		return time.Time{}
	}
	return t
}

// actionWords says what an action did, for the page and the export.
func actionWords(action string) string {
	if w, ok := actionPhrases[action]; ok {
		return w
	}
	noun, verb, _ := strings.Cut(action, ".")
	w := strings.ReplaceAll(noun, "_", " ") + ": " + strings.ReplaceAll(strings.ReplaceAll(verb, "_", " "), ".", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

var actionPhrases = map[string]string{
	"account.create":                "Created the account",
	"billing.plan_change":           "Changed the billing plan",
	"brand.create":                  "Created a brand",
	"brand.delete":                  "Deleted a brand",
	"brand.rename":                  "Renamed a brand",
	"client.billing_details.update": "Changed the billing details",
	"client.brand_grant":            "Gave a client a brand",
	"client.brand_remove":           "Took a brand from a client",
	"client.create":                 "Created a client",
	"client.disconnect":             "Disconnected a client",
	"client.remove":                 "Removed a client",
	"client.restore":                "Restored a client's access",
	"client.revoke":                 "Revoked a client's access",
	"client.security.update":        "Changed the security settings",
	"client.update":                 "Changed a client's settings",
	"client.user_remove":            "Removed a user from a client",
	"client.user_role":              "Changed a user's role",
	"group.create":                  "Created a group",
	"group.delete":                  "Deleted a group",
	"group.members":                 "Changed a group's members",
	"group.rename":                  "Renamed a group",
	"impersonation.end":             "Login As ended",
	"impersonation.start":           "Started Login As",
	"invitation.accept":             "Accepted an invitation",
	"invitation.cancel":             "Cancelled an invitation",
	"invitation.create":             "Sent an invitation",
	"invitation.expire":             "An invitation expired",
	"invitation.link":               "Copied an invitation's link",
	"invitation.resend":             "Resent an invitation",
	"link.accept":                   "Accepted a link request",
	"link.access":                   "Changed who sees a client",
	"link.cancel":                   "Withdrew a link request",
	"link.decline":                  "Declined a link request",
	"link.disconnect":               "Disconnected a link",
	"link.request":                  "Sent a link request",
	"member.remove":                 "Removed a member",
	"member.two_factor.reset":       "Reset a member's two-factor sign-in",
	"member.role_change":            "Changed a member's role",
	"password.reset_requested":      "Asked for a password reset",
	"portal.domain.add":             "Added a custom domain",
	"portal.domain.delete":          "Removed a custom domain",
	"portal.logo.delete":            "Removed a logo",
	"portal.logo.upload":            "Uploaded a logo",
	"portal.update":                 "Changed the portal's branding",
	"report.create":                 "Created a report",
	"report.delete":                 "Deleted a report",
	"report.update":                 "Changed a report",
	"session.login":                 "Logged in",
	"session.logout":                "Logged out",
	"session.revoke":                "Ended a session",
	"session.revoke_others":         "Ended their other sessions",
	"settings.update":               "Changed the settings",
	"token.create":                  "Created an API token",
	"token.revoke":                  "Revoked an API token",
	"user.email_verified":           "Confirmed their e-mail address",
	"user.name_change":              "Changed their name",
	"user.password_change":          "Changed their password",
	"user.password_reset":           "Reset their password",
	"user.password_reset_sent":      "Sent a password reset",
	"user.two_factor.disable":       "Turned two-factor sign-in off",
	"user.two_factor.enable":        "Turned two-factor sign-in on",
}
