package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBadInputIsRefusedAtTheEdge: control characters, invalid UTF-8 and
// numbers out of range are refused with the JSON 400 before anything is
// written, the same on both engines (issue 15: SQLite stored NUL bytes and
// huge seats, PostgreSQL answered 500).
func TestBadInputIsRefusedAtTheEdge(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, _, agency := s.Signup(t, "Ada", "ada@example.com", "Ada Agency", "agency")
		rows := func(q string) int {
			t.Helper()
			var n int
			if err := s.DB.Get(context.Background(), &n, q); err != nil {
				t.Fatal(err)
			}
			return n
		}
		accounts, invitations := rows(`SELECT COUNT(*) FROM accounts`), rows(`SELECT COUNT(*) FROM invitations`)
		bad := func(what string, want string, r testkit.Response) {
			t.Helper()
			if r.Status != 400 || !strings.HasPrefix(r.Code(), "invalid_") || !strings.Contains(r.Code(), want) {
				t.Errorf("%s: %d %s, want 400 invalid_…%s", what, r.Status, r.Raw, want)
			}
			if !strings.Contains(r.Header.Get("Content-Type"), "json") {
				t.Errorf("%s: not the JSON error: %s", what, r.Header.Get("Content-Type"))
			}
		}
		clients := "/api/v1/agencies/" + agency + "/clients"
		invite := "/api/v1/agencies/" + agency + "/invitations"
		bad("NUL in a client name", "name", c.Do(t, "POST", clients, map[string]any{"name": "Acme\x00Corp"}))
		bad("line break in a client name", "name", c.Do(t, "POST", clients, map[string]any{"name": "Acme\nCorp"}))
		bad("escape in a client name", "name", c.Do(t, "POST", clients, map[string]any{"name": "Acme\x1b[31m"}))
		bad("huge seats", "seats", c.Do(t, "POST", clients, `{"name":"Acme","seats":9223372036854775807}`))
		bad("seats past the bound", "seats", c.Do(t, "POST", clients, map[string]any{"name": "Acme", "seats": 100001}))
		bad("negative seats", "seats", c.Do(t, "POST", clients, map[string]any{"name": "Acme", "seats": -1}))
		bad("NUL in a brand id", "brand_ids", c.Do(t, "POST", clients, map[string]any{"name": "Acme", "brand_ids": []string{"br_\x00"}}))
		bad("NUL in an invitation message", "message", c.Do(t, "POST", invite, map[string]any{
			"email": "carla@client.example", "delivery": "link", "message": "Hello\x00", "client_name": "Carla Co"}))
		bad("line break in the new client's name", "client_name", c.Do(t, "POST", invite, map[string]any{
			"email": "carla@client.example", "delivery": "link", "message": "Hello", "client_name": "Carla\r\nCo"}))
		if a, i := rows(`SELECT COUNT(*) FROM accounts`), rows(`SELECT COUNT(*) FROM invitations`); a != accounts || i != invitations {
			t.Fatalf("refused requests wrote rows: accounts %d→%d, invitations %d→%d", accounts, a, invitations, i)
		}

		// Paths and queries: a NUL byte, invalid UTF-8.
		for _, p := range []string{"/api/v1/brands/%00", "/api/v1/brands/br%0a1", clients + "/%ff%fe", clients + "?q=%ff",
			clients + "?q=a%00b", clients + "?%ff=1", "/api/v1/accounts/acc_%c3%28"} {
			r := c.Do(t, "GET", p, nil)
			if r.Status != 400 || !strings.HasPrefix(r.Code(), "invalid_") {
				t.Errorf("GET %s: %d %s, want the JSON 400", p, r.Status, r.Raw)
			}
		}
		// A stranger learns nothing more than before: the same 400.
		if r := s.NewClient().Do(t, "GET", "/api/v1/brands/%00", nil); r.Status != 400 {
			t.Errorf("anonymous GET /brands/%%00: %d %s", r.Status, r.Raw)
		}

		// What is allowed still works: line breaks in a message, the
		// highest seats, quotes and non-ASCII in names.
		c.Must(t, 201, "POST", invite, map[string]any{"email": "carla@client.example", "delivery": "link",
			"message": "Hello Carla,\r\n\tsee you soon.\n", "client_name": `Carla "Best" Co, Zoë`})
		cl := c.Must(t, 201, "POST", clients, map[string]any{"name": "Acme «Ünïcode»", "seats": 100000})
		id, _ := cl.Body["id"].(string)
		bad("huge seats on a change", "seats", c.Do(t, "PATCH", clients+"/"+id, `{"seats":9223372036854775807}`))
		bad("seats past the bound on a change", "seats", c.Do(t, "PATCH", clients+"/"+id, map[string]any{"seats": 100001}))
		c.Must(t, 200, "PATCH", clients+"/"+id, map[string]any{"seats": 5})
		bad("a limit out of range", "limit", c.Do(t, "GET", clients+"?limit=9223372036854775807", nil))

		// A User-Agent that is not UTF-8 (headers may carry such bytes) is
		// stored cleaned with the session, not refused by the database.
		for _, ua := range []string{"Agent\xff\xfe/1.0", strings.Repeat("a", 299) + "é"} {
			lc := s.NewClient()
			lc.Header.Set("User-Agent", ua)
			lc.Must(t, 200, "POST", "/api/v1/login", map[string]any{"email": "ada@example.com", "password": testkit.Password})
		}

		// The portal: a quote in the sender's name is fine, a line break is not.
		portal := "/api/v1/agencies/" + agency + "/portal"
		c.Must(t, 200, "PUT", portal, map[string]any{"sender_name": `Acme "Best Agency`, "portal_name": `Acme, "the" Portal`})
		bad("CR/LF in the sender name", "sender_name", c.Do(t, "PUT", portal, map[string]any{"sender_name": "Acme\r\nBcc: x@evil.test"}))
		bad("line break in the portal name", "portal_name", c.Do(t, "PUT", portal, map[string]any{"portal_name": "Acme\nPortal"}))
		c.Must(t, 200, "PUT", portal, map[string]any{"welcome_message": "Welcome!\n\nTwo paragraphs."})
		if r := c.Must(t, 200, "GET", portal, nil); r.Body["sender_name"] != `Acme "Best Agency` {
			t.Fatalf("portal after the refusals: %s", r.Raw)
		}
		if r := c.Do(t, http.MethodGet, "/api/v1/portal", nil); r.Status != 200 {
			t.Fatalf("public portal: %d", r.Status)
		}
	})
}
