package api_test

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/testkit"
)

// Helpers shared by the API tests (moved out of agency_test.go).

// count runs a COUNT(*) query on the server's database.
func count(t *testing.T, s *testkit.Server, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// events returns the audit events of an account with the action, newest first.
func events(t *testing.T, c *testkit.APIClient, accountID, action string) []map[string]any {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/accounts/"+accountID+"/audit?"+url.Values{"action": {action}}.Encode(), nil)
	var out []map[string]any
	for _, e := range r.Body["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func list(r testkit.Response, key string) []map[string]any {
	var out []map[string]any
	for _, v := range r.Body[key].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// wantError checks an error answer: its status, its code ("" for any) and
// its field ("" for any).
func wantError(t *testing.T, r testkit.Response, status int, code, field string) {
	t.Helper()
	e, _ := r.Body["error"].(map[string]any)
	if r.Status != status || (code != "" && r.Code() != code) || (field != "" && e["field"] != field) {
		t.Fatalf("got %d %s, want %d %s (field %q)", r.Status, r.Raw, status, code, field)
	}
}

// together runs the calls at the same moment and returns their statuses.
func together(calls ...func() int) []int {
	out := make([]int, len(calls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, c := range calls {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = c()
		}()
	}
	start.Done()
	done.Wait()
	return out
}
