package api_test

import (
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
// WithoutBeforeCommit, a write outside InTx).
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
		for _, rt := range append(routes, last...) {
			params := map[string]string{}
			for _, tg := range w.targets(rt) {
				if tg.expect == nil {
					break
				}
				if visible, allowed := tg.expect(as); visible && allowed {
					params = tg.params
					break
				}
			}
			before := seq()
			path := fill(rt.Path, params)
			b := body(rt.Method)
			if v, ok := markerBodies[rt.Method+" "+rt.Path]; ok {
				b = v
			}
			r := as.client.Do(t, rt.Method, path, b)
			if r.Status >= 300 {
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
		if succeeded < 5 || marked < 5 {
			t.Fatalf("only %d writes succeeded and %d wrote audit entries: the test no longer exercises Login As", succeeded, marked)
		}
		t.Logf("%d writes succeeded during Login As, %d with audit entries", succeeded, marked)
	})
}

// markerBodies are valid bodies for writes the client's admin makes, so
// that more writes than those of an empty body succeed.
var markerBodies = map[string]any{
	"POST /api/v1/accounts/{id}/groups":      map[string]any{"name": "Marked group"},
	"POST /api/v1/accounts/{id}/invitations": map[string]any{"email": "marked@example.com", "role": "member"},
}
