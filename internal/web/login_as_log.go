package web

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// The client's Login As log as a log (issue 18): each session with its
// reason and duration at the top, then what was done in words — the
// changes from the audit log ("Changed Quinn Pine's role to Admin"), the
// pages opened, and what was refused — with no requests for stylesheets,
// logos or other files, and times in the viewer's time zone.

type loginAsSession struct {
	impersonation.LogEntry
	Duration, Ended string
	Lines           []loginAsLine
}

type loginAsLine struct {
	At      time.Time
	Text    string
	Refused bool
}

// loginAsSessions turns the log's sessions into readable ones.
func (h *handler) loginAsSessions(c *call, log []impersonation.LogEntry) ([]loginAsSession, error) {
	out := make([]loginAsSession, 0, len(log))
	for _, e := range log {
		s := loginAsSession{LogEntry: e, Duration: durationText(e.DurationSeconds), Ended: endReasonText(e.EndReason)}
		end := h.deps.Clients.Now()
		if e.EndedAt != nil {
			end = *e.EndedAt
		}
		events, _, err := h.deps.Audit.List(c.ctx(), c.rel, audit.Filter{Actor: e.Impersonator.ID, Since: e.StartedAt,
			Until: end.Add(time.Second), Limit: audit.MaxLimit})
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, ev := range events {
			if ev.TargetID != "" {
				ids = append(ids, ev.TargetID)
			}
		}
		names, err := h.deps.Audit.Names(c.ctx(), ids)
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			if ev.ImpersonatorID == nil || strings.HasPrefix(ev.Action, "impersonation.") {
				continue // their own doings outside the Login As, and its start and end (shown above)
			}
			s.Lines = append(s.Lines, loginAsLine{At: ev.At, Text: describeChange(ev, names)})
		}
		for _, a := range e.Actions {
			if t, refused, ok := describeRequest(a); ok {
				s.Lines = append(s.Lines, loginAsLine{At: a.At, Text: t, Refused: refused})
			}
		}
		sort.SliceStable(s.Lines, func(i, j int) bool { return s.Lines[i].At.Before(s.Lines[j].At) })
		out = append(out, s)
	}
	return out, nil
}

// staticPrefixes are requests that are files, not actions.
var staticPrefixes = []string{"/static/", "/brand/", "/favicon", "/robots.txt", "/apple-touch-icon"}

// describeRequest says what a request was, in words: a page opened, or an
// attempt that was refused. Changes that succeeded come from the audit log
// instead, and requests for files or page-view beacons are left out.
func describeRequest(a impersonation.LogAction) (text string, refused, ok bool) {
	for _, p := range staticPrefixes {
		if strings.HasPrefix(a.Path, p) {
			return "", false, false
		}
	}
	if a.Path == "/api/v1/activity" {
		return "", false, false
	}
	if a.Method == "GET" || a.Method == "HEAD" {
		if a.Status >= 400 {
			return "Could not open " + pageName(a.Path) + " (" + statusWord(a.Status) + ")", true, true
		}
		if strings.HasPrefix(a.Path, "/api/") {
			return "Read " + a.Path + " through the API", false, true
		}
		return "Opened " + pageName(a.Path), false, true
	}
	if a.Path == "/app/login-as/end" || a.Path == "/api/v1/impersonation/end" {
		return "Returned to their agency", false, true
	}
	if a.Status >= 400 || a.Status == 0 {
		return "Tried " + a.Method + " " + a.Path + ": " + statusWord(a.Status), true, true
	}
	return "", false, false
}

func statusWord(s int) string {
	switch {
	case s == 0:
		return "did not finish"
	case s == 403:
		return "not allowed"
	case s == 404:
		return "not found"
	case s >= 500:
		return "failed"
	}
	return "refused"
}

// pageName names a portal page by its path.
func pageName(path string) string {
	switch {
	case path == "/app" || path == "/app/":
		return "the home page"
	case path == "/app/reports":
		return "Reports"
	case strings.HasPrefix(path, "/app/reports/"):
		return "a report"
	case path == "/app/users":
		return "Users"
	case path == "/app/agencies":
		return "Agencies"
	case path == "/app/"+billingSlug:
		return "Billing"
	case path == "/app/"+clientAuditSlug:
		return "the audit log"
	}
	return path
}

// describeChange says what a change made during Login As was.
func describeChange(e audit.Event, names map[string]audit.Named) string {
	target := e.TargetID
	if n, ok := names[e.TargetID]; ok {
		target = n.Name
	}
	after := map[string]any{}
	_ = json.Unmarshal(e.After, &after)
	str := func(k string) string { s, _ := after[k].(string); return s }
	switch e.Action {
	case "client.user_role":
		if r := str("role"); r != "" {
			return "Changed " + target + "'s role to " + roleLabel(r)
		}
	case "client.user_remove":
		return "Removed " + target + " from the account"
	case "invitation.create":
		if em := str("email"); em != "" {
			return "Invited " + em + " as " + roleLabel(str("role"))
		}
	case "invitation.cancel", "invitation.resend":
		if em := str("email"); em != "" {
			return actionWords(e.Action) + " for " + em
		}
	}
	if target != "" && target != e.TargetID {
		return actionWords(e.Action) + ": " + target
	}
	return actionWords(e.Action)
}
