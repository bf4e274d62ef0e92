// Command clientlist prepares the client-list load runs (bench/clients.sh).
//
//	clientlist seed -data-dir DIR | -database-url URL [-clients 10000 -other-agencies 10 -other-clients 500 -events 1000000 -audit 0]
//
// migrates the database and seeds it straight in SQL (package seed); it
// prints agency_id=… and admin_email=… lines for the script. The seeded
// users' password is -password, hashed once with the production argon2id
// parameters so that the server's login verifies it as any other.
//
//	clientlist cursor -url URL -cookie SESSION -agency ID [-sort name] [-q ""] [-skip 7450]
//
// walks the list through the API (pages of 200, then one of what remains)
// and prints the next_cursor after -skip clients: the cursor of the page
// that starts at client skip+1, e.g. page 150 of 50 for -skip 7450.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-dev/liaison/bench/clientlist/seed"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/password"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: clientlist seed|cursor [flags]")
	}
	switch os.Args[1] {
	case "seed":
		seedCmd(os.Args[2:])
	case "cursor":
		cursorCmd(os.Args[2:])
	default:
		fail("usage: clientlist seed|cursor [flags]")
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "clientlist: "+format+"\n", args...)
	os.Exit(1)
}

func seedCmd(args []string) {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	dataDir := fs.String("data-dir", "", "SQLite: the server's LIAISON_DATA_DIR")
	dbURL := fs.String("database-url", "", "PostgreSQL: the server's LIAISON_DATABASE_URL")
	clients := fs.Int("clients", 10000, "clients of the main agency")
	agencies := fs.Int("other-agencies", 10, "other agencies")
	others := fs.Int("other-clients", 500, "clients of each other agency")
	events := fs.Int("events", 1000000, "activity events of the main agency's clients, over a year")
	email := fs.String("email", "bench-admin@example.com", "the main agency's admin")
	pass := fs.String("password", "correct horse battery staple", "password of every seeded user")
	auditN := fs.Int("audit", 0, "audit entries of the main agency to append (chained, as the server appends them), e.g. for the mixed soak")
	headline := fs.Bool("headline", false, "give the main agency three headline metrics and each of its brands a point a day of each this month")
	fs.Parse(args)
	if (*dataDir == "") == (*dbURL == "") {
		fail("seed: give -data-dir (SQLite) or -database-url (PostgreSQL)")
	}
	ctx := context.Background()
	start := time.Now()
	d, err := db.Open(ctx, *dbURL, filepath.Join(*dataDir, "liaison.db"))
	if err != nil {
		fail("%v", err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		fail("%v", err)
	}
	hash, err := password.NewHasher(password.Default, 0).Hash(ctx, *pass)
	if err != nil {
		fail("%v", err)
	}
	res, err := seed.Seed(ctx, d, seed.Options{Clients: *clients, OtherAgencies: *agencies, OtherClients: *others, Events: *events,
		AdminEmail: *email, AdminName: "Bench Admin", AgencyName: "Bench Agency", PasswordHash: hash, Seed: 1, Now: clock.Real()})
	if err != nil {
		fail("%v", err)
	}
	if *headline {
		if err := seedHeadline(ctx, d, res.AgencyID, time.Now().UTC()); err != nil {
			fail("headline: %v", err)
		}
	}
	if *auditN > 0 {
		if err := seedAudit(ctx, d, res.AgencyID, *auditN); err != nil {
			fail("audit: %v", err)
		}
	}
	if d.Dialect() == db.Postgres {
		// What autovacuum does shortly after a bulk load: statistics for
		// the planner, and the visibility map for index-only scans.
		if _, err := d.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			fail("vacuum analyze: %v", err)
		}
	}
	fmt.Printf("agency_id=%s\nadmin_email=%s\nseeded=%d accounts, %d users, %d links in %.1fs\n",
		res.AgencyID, *email, res.Accounts, res.Users, res.Links, time.Since(start).Seconds())
}

// seedAudit appends n entries on the agency's account through
// audit.Append, a thousand per transaction, so the chain holds.
func seedAudit(ctx context.Context, d *db.DB, agencyID string, n int) error {
	now := time.Now()
	for done := 0; done < n; {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := 0; i < 1000 && done+i < n; i++ {
				if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: agencyID, AgencyID: agencyID,
					Action: "bench.seeded", TargetID: agencyID, After: map[string]int{"n": done + i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += 1000
	}
	return nil
}

func cursorCmd(args []string) {
	fs := flag.NewFlagSet("cursor", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server")
	cookie := fs.String("cookie", "", "liaison_session cookie value")
	agency := fs.String("agency", "", "agency ID")
	sort := fs.String("sort", "name", "sort order")
	q := fs.String("q", "", "search")
	skip := fs.Int("skip", 7450, "clients to skip")
	fs.Parse(args)
	hc := &http.Client{Timeout: time.Minute}
	cur := ""
	for done := 0; done < *skip; {
		limit := min(200, *skip-done)
		v := url.Values{"sort": {*sort}, "limit": {fmt.Sprint(limit)}}
		if *q != "" {
			v.Set("q", *q)
		}
		if cur != "" {
			v.Set("cursor", cur)
		}
		req, err := http.NewRequest(http.MethodGet, *base+"/api/v1/agencies/"+*agency+"/clients?"+v.Encode(), nil)
		if err != nil {
			fail("%v", err)
		}
		req.AddCookie(&http.Cookie{Name: "liaison_session", Value: *cookie})
		res, err := hc.Do(req)
		if err != nil {
			fail("%v", err)
		}
		var page struct {
			Clients    []json.RawMessage `json:"clients"`
			NextCursor string            `json:"next_cursor"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil {
			fail("cursor: status %d after %d clients (%v)", res.StatusCode, done, err)
		}
		if page.NextCursor == "" || len(page.Clients) != limit {
			fail("cursor: the list ends after %d clients, before %d", done+len(page.Clients), *skip)
		}
		done += len(page.Clients)
		cur = page.NextCursor
	}
	fmt.Println(cur)
}
