package web

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// The Login As log in words: changes from the audit log name their target,
// files and page-view beacons are left out, refusals say so.
func TestLoginAsLogInWords(t *testing.T) {
	e := audit.Event{Action: "client.user_role", TargetID: "usr_q", After: json.RawMessage(`{"user_id":"usr_q","role":"admin"}`)}
	if got := describeChange(e, map[string]audit.Named{"usr_q": {ID: "usr_q", Name: "Quinn Pine"}}); got != "Changed Quinn Pine's role to Admin" {
		t.Errorf("role change: %q", got)
	}
	for _, c := range []struct {
		a       impersonation.LogAction
		want    string
		refused bool
		shown   bool
	}{
		{impersonation.LogAction{Method: "GET", Path: "/static/css/app.css", Status: 200}, "", false, false},
		{impersonation.LogAction{Method: "GET", Path: "/brand/agc_1/logo-light.png", Status: 200}, "", false, false},
		{impersonation.LogAction{Method: "POST", Path: "/api/v1/activity", Status: 204}, "", false, false},
		{impersonation.LogAction{Method: "GET", Path: "/app/users", Status: 200}, "Opened Users", false, true},
		{impersonation.LogAction{Method: "POST", Path: "/app/users/usr_q/role", Status: 303}, "", false, false},
		{impersonation.LogAction{Method: "POST", Path: "/app/security", Status: 403}, "Tried POST /app/security: not allowed", true, true},
		{impersonation.LogAction{Method: "POST", Path: "/app/login-as/end", Status: 303}, "Returned to their agency", false, true},
	} {
		got, refused, shown := describeRequest(c.a)
		if got != c.want || refused != c.refused || shown != c.shown {
			t.Errorf("%s %s: %q %v %v", c.a.Method, c.a.Path, got, refused, shown)
		}
	}
}

// The audit diff lists only what changed, in words.
func TestAuditDiff(t *testing.T) {
	got := diff(json.RawMessage(`{"seats":0,"enabled":true,"name":"Acme"}`), json.RawMessage(`{"seats":5,"enabled":false,"name":"Acme"}`), time.UTC)
	if len(got) != 2 || got[0] != (diffLine{Field: "enabled", Before: "yes", After: "no"}) || got[1] != (diffLine{Field: "seats", Before: "0", After: "5"}) {
		t.Errorf("diff: %+v", got)
	}
	if got := diff(nil, json.RawMessage(`{"ids":["a","b"]}`), time.UTC); len(got) != 1 || got[0].After != "a, b" || got[0].Before != "—" {
		t.Errorf("created: %+v", got)
	}
	// A time keeps its instant beside its text, for the page's script.
	end := time.Now().UTC().Truncate(time.Second).Add(240 * time.Hour)
	raw, _ := json.Marshal(map[string]any{"ends_at": end, "note": end.Format(time.DateOnly)})
	got = diff(nil, raw, time.UTC)
	if len(got) != 2 || !got[0].AfterAt.Equal(end) || !got[0].BeforeAt.IsZero() || got[0].After != end.Format("2 Jan 2006 15:04 MST") ||
		!got[1].AfterAt.IsZero() {
		t.Errorf("a time: %+v", got)
	}
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "-2": "'-2", "@a": "'@a", "plain": "plain", "": ""} {
		if got := neutralCell(in); got != want {
			t.Errorf("neutralCell(%q) = %q", in, got)
		}
	}
}
