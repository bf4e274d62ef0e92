package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// An account's admin downloads its audit entries with their proofs; the
// export checks offline with the server's public key alone and holds no
// other account's entries.
func TestAuditExportAPI(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, _, acc := s.Signup(t, "Max", "max@example.com", "Max Agency", "agency")
		_, _, other := s.Signup(t, "Ned", "ned@example.com", "Ned Agency", "agency")
		if _, _, err := audit.Sign(context.Background(), s.App.DB, s.App.AuditKey, s.App.Now()); err != nil {
			t.Fatal(err)
		}
		r := c.Must(t, 200, "GET", "/api/v1/accounts/"+acc+"/audit/export", nil)
		if !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
		}
		rep, err := audit.VerifyExport(r.Raw, s.App.AuditKey.Public())
		if err != nil || rep.Entries < 1 || rep.Anchored == 0 {
			t.Fatalf("offline check: %+v %v\n%s", rep, err, r.Raw)
		}
		if strings.Contains(string(r.Raw), other) {
			t.Fatal("another account's entries in the export")
		}
		if r := c.Do(t, "GET", "/api/v1/accounts/"+other+"/audit/export", nil); r.Status != 404 {
			t.Fatalf("another agency's export: %d", r.Status)
		}
	})
}
