package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestEveryWriteInLoginAsIsMarked guards the hidden callback of Login As
// (docs/ARCHITECTURE.md, "Callbacks installed once"): the server puts the
// impersonation's before-commit hook and the acting actor in the request's
// context, and every write path must run inside db.InTx with that context,
// so that its audit entries name the impersonator and the action log has
// the request. The test tries every write route of the table as the Login
// As persona of the access walk, on the target it may act on, and checks
// every audit entry a successful call wrote: one without the impersonator
// is a write that went around the context (a fresh context, a
// WithoutBeforeCommit, a write outside InTx). Every write the persona may
// make has a valid call (markerCalls), and each must succeed.
func TestEveryWriteInLoginAsIsMarked(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newWorld(t, e)
		var as persona
		for _, p := range w.personas {
			if p.name == asClientPersona {
				as = p
			}
		}
		var impersonator string
		if err := w.s.DB.Get(t.Context(), &impersonator, `SELECT impersonator_id FROM impersonations WHERE ended_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		calls := markerCalls(newMarkerIDs(t, w))
		// The calls that end the Login As go last.
		var routes, last []api.Route
		for _, rt := range w.s.API.Routes() {
			switch {
			case rt.Method == http.MethodGet || rt.Access.Kind == api.Public || rt.Access.Kind == api.SourceToken:
			case rt.Path == "/api/v1/logout" || rt.Path == "/api/v1/impersonation/end":
				last = append(last, rt)
			default:
				routes = append(routes, rt)
			}
		}
		seq := func() (n int64) {
			if err := w.s.DB.Get(t.Context(), &n, `SELECT COALESCE(MAX(seq), 0) FROM audit_events`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		succeeded, marked := 0, 0
		called := map[string]bool{}
		for _, rt := range append(routes, last...) {
			key := rt.Method + " " + rt.Path
			call, known := calls[key]
			called[key] = known
			params, mayCall := map[string]string{}, false
			for _, tg := range w.targets(rt) {
				if tg.expect == nil {
					mayCall = true
					break
				}
				if visible, allowed := tg.expect(as); visible && allowed {
					params, mayCall = tg.params, true
					break
				}
			}
			if len(call.params) > 0 {
				params = maps.Clone(params)
				maps.Copy(params, call.params)
			}
			before := seq()
			path := fill(rt.Path, params)
			b := body(rt.Method)
			if call.body != nil {
				b = call.body
			}
			r := as.client.Do(t, rt.Method, path, b)
			if r.Status >= 300 {
				switch {
				case known:
					t.Errorf("%s %s during Login As: %d %s; its call in markerCalls no longer succeeds", rt.Method, path, r.Status, bytes.TrimSpace(r.Raw))
				case mayCall && r.Status != http.StatusForbidden && rt.Path != "/api/v1/impersonation/end":
					// Login As refuses some of the persona's writes (403);
					// ending the Login As comes after logout ended it.
					t.Errorf("%s %s during Login As: %d %s; give the route a valid call in markerCalls", rt.Method, path, r.Status, bytes.TrimSpace(r.Raw))
				}
				continue
			}
			succeeded++
			var unmarked []string
			if err := w.s.DB.Select(t.Context(), &unmarked, `SELECT action FROM audit_events WHERE seq > ?
				AND (impersonator_id IS NULL OR impersonator_id <> ?) ORDER BY seq`, before, impersonator); err != nil {
				t.Fatal(err)
			}
			if len(unmarked) > 0 {
				t.Errorf("%s %s during Login As wrote audit entries without the impersonator: %s", rt.Method, path, strings.Join(unmarked, ", "))
			}
			if seq() > before {
				marked++
			}
		}
		for key := range calls {
			if !called[key] {
				t.Errorf("markerCalls has %s, which is not a write route of the table", key)
			}
		}
		if succeeded < len(calls) || marked < minMarkedWrites {
			t.Fatalf("only %d writes succeeded and %d wrote audit entries: the test no longer exercises Login As", succeeded, marked)
		}
		t.Logf("%d writes succeeded during Login As, %d with audit entries", succeeded, marked)
	})
}

// minMarkedWrites is how many of the calls write audit entries: all but
// the page view (activity, recorded with the impersonator, not audited).
const minMarkedWrites = 12
