package web_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestPagesRefuseBadInput: posted forms, paths and queries with a control
// character or invalid UTF-8, and seats out of range, are refused with a 400
// page and nothing written, on both engines (issue 15).
func TestPagesRefuseBadInput(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		count := func() (n int) {
			t.Helper()
			if err := w.s.DB.Get(context.Background(), &n, `SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM invitations)`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		w.ada.post("/app/clients", url.Values{"name": {"Acme\x00Corp"}, "seats": {"3"}}).
			expect(t, "NUL in a client name", 400, "control character")
		w.ada.post("/app/clients", url.Values{"name": {"Acme\nCorp"}, "seats": {"3"}}).
			expect(t, "line break in a client name", 400, "line break")
		w.ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"9223372036854775807"}}).
			expect(t, "huge seats", 400, "up to 100000")
		w.ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"100001"}}).
			expect(t, "seats past the bound", 400, "100000")
		w.ada.post("/app/invitations", url.Values{"email": {"carla@client.example"}, "delivery": {"link"},
			"message": {"Hello\x00"}, "client_name": {"Carla Co"}}).expect(t, "NUL in a message", 400, "control character")
		w.ada.post("/app/invitations", url.Values{"email": {"carla@client.example\xff"}, "delivery": {"link"},
			"client_name": {"Carla Co"}}).expect(t, "invalid UTF-8 in an address", 400, "not valid UTF-8")
		if n := count(); n != before {
			t.Fatalf("refused forms wrote rows: %d → %d", before, n)
		}
		for _, p := range []string{"/app/clients?q=%ff", "/app/clients/%ff%fe", "/app/clients/%00", "/app/clients?q=a%00b"} {
			w.ada.get(p).expect(t, "GET "+p, 400, "Bad request")
		}
		// What is allowed still works.
		w.ada.post("/app/invitations", url.Values{"email": {"carla@client.example"}, "delivery": {"link"},
			"message": {"Hello Carla,\r\n\r\nsee you soon."}, "client_name": {`Carla "Best" Co`}}).redirects(t, "invite", "/app/invitations")
		w.ada.post("/app/clients", url.Values{"name": {"Zoë, «Ünïcode»"}, "seats": {"100000"}, "enabled": {"on"}}).expect(t, "create", 303)
	})
}
