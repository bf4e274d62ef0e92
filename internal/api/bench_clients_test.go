package api_test

// Benchmarks of the client list (GET /api/v1/agencies/{id}/clients) against
// a real server on a loopback port, on SQLite and (when
// LIAISON_TEST_DATABASE_URL is set) PostgreSQL, over a seed of 2,000 clients
// in the agency (bench/clientlist/seed, 4 other agencies of 200): the first
// page and a deep one (page 30 of 50), by name and by -health, and a search.
// Requests are sequential, so ns/op is the latency of one request, client
// included; a deep page costs what the first one does (keyset paging). See
// bench/README.md (client list) for the wrk runs against the binary with 10,000 clients.
//
//	go test -run XXX -bench ClientList -benchtime 2000x ./internal/api/
//	LIAISON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test -run XXX -bench ClientList ./internal/api/

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/bench/clientlist/seed"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func BenchmarkClientList(b *testing.B) {
	const clients, deep = 2000, 1450
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			if e == db.Postgres && os.Getenv(testkit.PostgresURL) == "" {
				b.Skipf("PostgreSQL benchmark skipped: set %s=postgres://… to run it", testkit.PostgresURL)
			}
			s := testkit.StartServer(b, e, testkit.ServerOptions{})
			ctx := context.Background()
			hash, err := password.NewHasher(testkit.FastPasswords, 0).Hash(ctx, testkit.Password)
			if err != nil {
				b.Fatal(err)
			}
			res, err := seed.Seed(ctx, s.DB, seed.Options{Clients: clients, OtherAgencies: 4, OtherClients: 200,
				AdminEmail: "bench-admin@example.com", AdminName: "Bench Admin", AgencyName: "Bench Agency",
				PasswordHash: hash, Seed: 1, Now: s.Now()})
			if err != nil {
				b.Fatal(err)
			}
			if e == db.Postgres { // what autovacuum does after a bulk load
				if _, err := s.DB.Exec(ctx, `VACUUM ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			c := s.Login(b, "bench-admin@example.com", testkit.Password)
			hc := &http.Client{Jar: c.HTTP.Jar, Timeout: 30 * time.Second,
				Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
			defer hc.CloseIdleConnections()
			base := s.URL + "/api/v1/agencies/" + res.AgencyID + "/clients?"
			// get fetches one page and returns its number of clients and
			// next cursor.
			get := func(query url.Values) (int, string, error) {
				res, err := hc.Get(base + query.Encode())
				if err != nil {
					return 0, "", err
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				if err != nil {
					return 0, "", err
				}
				if res.StatusCode != http.StatusOK {
					return 0, "", fmt.Errorf("status %d: %s", res.StatusCode, body)
				}
				var p struct {
					Clients    []json.RawMessage `json:"clients"`
					NextCursor string            `json:"next_cursor"`
				}
				err = json.Unmarshal(body, &p)
				return len(p.Clients), p.NextCursor, err
			}
			// cursorAfter walks the list to the cursor after n clients.
			cursorAfter := func(sort string, n int) string {
				cur := ""
				for done := 0; done < n; {
					q := url.Values{"sort": {sort}, "limit": {fmt.Sprint(min(200, n-done))}}
					if cur != "" {
						q.Set("cursor", cur)
					}
					got, next, err := get(q)
					if err != nil || next == "" {
						b.Fatalf("walking %s: %v after %d clients", sort, err, done)
					}
					done, cur = done+got, next
				}
				return cur
			}
			cases := []struct {
				name  string
				query url.Values
			}{
				{"name/first", url.Values{"sort": {"name"}}},
				{"name/deep", url.Values{"sort": {"name"}, "cursor": {cursorAfter("name", deep)}}},
				{"-health/first", url.Values{"sort": {"-health"}}},
				{"-health/deep", url.Values{"sort": {"-health"}, "cursor": {cursorAfter("-health", deep)}}},
				{"q/first", url.Values{"q": {seed.Common}}},
			}
			for _, tc := range cases {
				b.Run(tc.name, func(b *testing.B) {
					if n, _, err := get(tc.query); err != nil || n != 50 {
						b.Fatalf("%d clients, %v", n, err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						if _, _, err := get(tc.query); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
