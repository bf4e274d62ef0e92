package api_test

import (
	"fmt"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// BenchmarkSeatChange measures a typical write transaction through the
// whole server: PATCH a client's seats (read the link, check the usage,
// update, write the audit entry, move the client list's state on), one
// request at a time, the seats going 2, 3, 2, … so that every request
// writes. ns/op includes the in-process client. Written for issue 23's
// prepared write statements (bench/README.md):
//
//	go test -run XXX -bench SeatChange -benchtime 3s -count 3 -cpu 2 ./internal/api/
func BenchmarkSeatChange(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s := testkit.StartServer(b, e, testkit.ServerOptions{})
		admin, _, agency := s.Signup(b, "Ada Admin", "ada@example.com", "Agency A", "agency")
		_, _, acme := s.Signup(b, "Wile Boss", "boss@acme.example", "Acme", "client")
		s.AddLink(b, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		p := fmt.Sprintf("/api/v1/agencies/%s/clients/%s", agency, acme)
		admin.Must(b, 200, "PATCH", p, map[string]any{"seats": 3})
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := admin.Do(b, "PATCH", p, map[string]any{"seats": 2 + i%2}); r.Status != 200 {
				b.Fatalf("PATCH seats: %d %v", r.Status, r.Body)
			}
		}
	})
}
