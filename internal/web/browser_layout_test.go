package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// fitsCheck lists what sticks out of the client list: the table wider than
// its box, a cell or button past the box's right edge, or the page's main
// column leaving a wide empty margin while the table is squeezed.
const fitsCheck = `(() => {
	const bad = [];
	const wrap = document.querySelector("#client-list .table-wrap");
	if (!wrap) return "no client table";
	if (wrap.scrollWidth > wrap.clientWidth + 1) bad.push("the table is " + wrap.scrollWidth + " px wide in a box of " + wrap.clientWidth);
	const right = wrap.getBoundingClientRect().right;
	for (const tr of document.querySelectorAll("#client-rows tr")) {
		for (const el of tr.querySelectorAll("td, .btn")) {
			const r = el.getBoundingClientRect();
			if (r.right > right + 1) bad.push((el.textContent || el.tagName).trim().slice(0, 30) + " ends at " + Math.round(r.right) + " past " + Math.round(right));
		}
	}
	const main = document.querySelector("main").getBoundingClientRect();
	if (innerWidth - main.right > 48) bad.push("main ends at " + Math.round(main.right) + " of " + innerWidth + " px");
	return bad.slice(0, 8).join("; ");
})()`

// TestBrowserClientListFits: at 1280, 1440 and 1600 px the client list
// uses the page's width and every row, its actions included, fits in it,
// with long names and addresses and several brands per client.
func TestBrowserClientListFits(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	var brands []string
	for _, n := range []string{"Nike Running", "Adidas Originals", "Puma Motorsport"} {
		brands = append(brands, s.AddBrand(t, agencyID, n))
	}
	for i := range 6 {
		email := fmt.Sprintf("alexandra.konstantinopoulou.%d@marketing-department.example-corporation.com", i)
		_, _, clientID := s.Signup(t, "Alexandra Konstantinopoulou", email, fmt.Sprintf("The Extraordinarily Long Client Company Name %d Ltd", i), "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID})
		for _, b := range brands {
			if _, err := s.DB.Exec(t.Context(), `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				clientID, b, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.open("/app/clients")
	if n := b.eval(`String(document.querySelectorAll("#client-rows tr").length)`); n != "6" {
		t.Fatalf("%s rows", n)
	}
	var bad []string
	for _, w := range []int64{1280, 1440, 1600} {
		b.do("viewport", chromedp.EmulateViewport(w, 900))
		if s := b.eval(fitsCheck); s != "" {
			bad = append(bad, fmt.Sprintf("at %d px: %s", w, s))
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1280, 900))
	b.shoot("/app/clients-long")
	if len(bad) > 0 {
		t.Fatalf("the client list does not fit:\n%s", strings.Join(bad, "\n"))
	}
	b.noProblems("client list", 0)
}
