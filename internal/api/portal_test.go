package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// pngBytes is a w×h PNG in one colour.
func pngBytes(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPortalBrandingValidation is the branding validation table: each bad
// value is refused with 400 naming the field and its code, and nothing is
// saved; good values are normalised and saved.
func TestPortalBrandingValidation(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		adm, _, ag := s.Signup(t, "Ada Admin", "ada@agency.example", "Acme Agency", "agency")
		path := "/api/v1/agencies/" + ag + "/portal"
		bad := []struct {
			name  string
			body  map[string]any
			field string
			code  string
		}{
			{"colour without #", map[string]any{"primary_color": "112233"}, "primary_color", "invalid_primary_color"},
			{"short colour", map[string]any{"primary_color": "#123"}, "primary_color", "invalid_primary_color"},
			{"named colour", map[string]any{"accent_color": "red"}, "accent_color", "invalid_accent_color"},
			{"css injection", map[string]any{"accent_color": "#fff;}body{x:y"}, "accent_color", "invalid_accent_color"},
			{"too light for white text", map[string]any{"primary_color": "#ffff00"}, "primary_color", "low_contrast"},
			{"just too light", map[string]any{"primary_color": "#3b82f6"}, "primary_color", "low_contrast"},
			{"long name", map[string]any{"portal_name": strings.Repeat("x", 81)}, "portal_name", "invalid_portal_name"},
			{"name with newline", map[string]any{"portal_name": "Acme\nBcc: x"}, "portal_name", "invalid_portal_name"},
			{"sender with name", map[string]any{"sender_email": "Acme <a@acme.example>"}, "sender_email", "invalid_sender_email"},
			{"sender not an address", map[string]any{"sender_email": "acme"}, "sender_email", "invalid_sender_email"},
			{"support without dot", map[string]any{"support_email": "help@localhost"}, "support_email", "invalid_support_email"},
			{"long welcome", map[string]any{"welcome_message": strings.Repeat("w", 2001)}, "welcome_message", "invalid_welcome_message"},
		}
		for _, tc := range bad {
			r := adm.Must(t, 400, "PUT", path, tc.body)
			if r.Code() != tc.code || !strings.Contains(string(r.Raw), tc.field) && tc.code == "low_contrast" {
				t.Errorf("%s: code %q, want %q: %s", tc.name, r.Code(), tc.code, r.Raw)
			}
		}
		if r := adm.Must(t, 200, "GET", path, nil); r.Body["primary_color"] != "" || r.Body["updated_at"] != nil {
			t.Fatalf("refused updates saved something: %s", r.Raw)
		}
		r := adm.Must(t, 400, "PUT", path, map[string]any{"primary_color": "#ffff00"})
		if !strings.Contains(r.Body["error"].(map[string]any)["message"].(string), "contrast") {
			t.Errorf("low contrast message does not say why: %s", r.Raw)
		}

		good := map[string]any{"portal_name": "  Acme Portal ", "primary_color": "#1E3A8A", "accent_color": "#F59E0B",
			"welcome_message": "Hello <b>there</b>, **welcome**! See [our site](https://acme.example/x) or [bad](javascript:alert(1)).",
			"sender_name":     "Acme Team", "sender_email": "Hello@Acme.example", "support_email": "help@acme.example",
			"hide_liaison_branding": true}
		r = adm.Must(t, 200, "PUT", path, good)
		for k, want := range map[string]any{"portal_name": "Acme Portal", "primary_color": "#1e3a8a", "accent_color": "#f59e0b",
			"sender_email": "hello@acme.example", "hide_liaison_branding": true} {
			if r.Body[k] != want {
				t.Errorf("%s = %v, want %v", k, r.Body[k], want)
			}
		}
		// Partial update keeps the rest.
		r = adm.Must(t, 200, "PUT", path, map[string]any{"accent_color": "#00aa00"})
		if r.Body["portal_name"] != "Acme Portal" || r.Body["accent_color"] != "#00aa00" {
			t.Errorf("partial update: %s", r.Raw)
		}
		// The public branding renders the welcome message escaped, with
		// only https links.
		pub := s.NewClient().Must(t, 200, "GET", "/api/v1/portal", nil)
		if pub.Body["branded"] != false || pub.Body["portal_name"] != "Liaison" {
			t.Errorf("the server's own host is the plain portal: %s", pub.Raw)
		}
		// The theme stylesheet carries the colours, cached by hash.
		theme := r.Body["theme_url"].(string)
		res, err := s.Client().Get(s.URL + theme)
		if err != nil {
			t.Fatal(err)
		}
		css, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(css), "--primary: #1e3a8a;") || !strings.Contains(string(css), "--accent: #00aa00;") ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
			t.Errorf("theme %s: %s %v", theme, css, res.Header)
		}
		// Every change is audited.
		ev := adm.Must(t, 200, "GET", "/api/v1/accounts/"+ag+"/audit?action=portal.update", nil)
		if n := len(ev.Body["events"].([]any)); n != 2 {
			t.Errorf("%d portal.update audit events, want 2", n)
		}
	})
}

// TestPortalLogos uploads logos of each kind of input: a PNG is accepted
// and re-served from our origin with its type, nosniff and a year of
// caching under a content-hash URL; SVG, HTML, an SVG renamed .png (the
// name is never looked at), oversized and damaged files are refused.
func TestPortalLogos(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		adm, _, ag := s.Signup(t, "Ada Admin", "ada@agency.example", "Acme Agency", "agency")
		up := func(slot string, body []byte) testkit.Response {
			return adm.Do(t, "POST", "/api/v1/agencies/"+ag+"/portal/logos/"+slot, body)
		}
		logo := pngBytes(t, 120, 40)
		r := up("light", logo)
		if r.Status != 200 {
			t.Fatalf("upload: %d %s", r.Status, r.Raw)
		}
		url := r.Body["logos"].(map[string]any)["light"].(string)
		if !strings.HasPrefix(url, "/brand/logos/") || !strings.HasSuffix(url, ".png") {
			t.Fatalf("logo URL %q", url)
		}
		res, err := s.Client().Get(s.URL + url)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		h := res.Header
		if res.StatusCode != 200 || !bytes.Equal(got, logo) || h.Get("Content-Type") != "image/png" ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "max-age=31536000") {
			t.Errorf("served logo: %d %v", res.StatusCode, h)
		}

		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`)
		for _, tc := range []struct {
			name string
			body []byte
			code string
		}{
			{"svg", svg, "unsupported_image_type"},
			{"html", []byte("<!doctype html><script>alert(1)</script>"), "unsupported_image_type"},
			{"json", []byte(`{}`), "unsupported_image_type"},
			{"truncated png", logo[:40], "invalid_image"},
			{"too wide", pngBytes(t, 2049, 10), "logo_dimensions"},
		} {
			r := up("dark", tc.body)
			if r.Status != 400 || r.Code() != tc.code {
				t.Errorf("%s: %d %s, want 400 %s", tc.name, r.Status, r.Code(), tc.code)
			}
		}
		if r := up("dark", nil); r.Status != 400 {
			t.Errorf("empty body: %d %s", r.Status, r.Raw)
		}
		if r := up("dark", bytes.Repeat([]byte{0x89}, 1<<20+10)); r.Status != 413 && r.Status != 400 {
			t.Errorf("over 1 MiB: %d %s", r.Status, r.Raw)
		}
		if r := up("banner", logo); r.Status != 400 {
			t.Errorf("unknown slot: %d", r.Status)
		}
		// Deleting falls back to the name.
		adm.Must(t, 204, "DELETE", "/api/v1/agencies/"+ag+"/portal/logos/light", nil)
		r = adm.Must(t, 200, "GET", "/api/v1/agencies/"+ag+"/portal", nil)
		if r.Body["logos"].(map[string]any)["light"] != "" {
			t.Errorf("logo still there: %s", r.Raw)
		}
		if res, _ := s.Client().Get(s.URL + url); res.StatusCode != 404 {
			t.Errorf("deleted logo still served: %d", res.StatusCode)
		}
	})
}

// hostGet asks for path with the given Host header.
func hostGet(t testing.TB, s *testkit.Server, host, path string) (int, string) {
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestHostRouting is the Host routing table: a verified custom domain (in
// any case, with or without a port or a trailing dot) gets its agency's
// portal; pending, lost and unknown hosts and the server's own get the
// plain one.
func TestHostRouting(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		adm, _, ag := s.Signup(t, "Ada Admin", "ada@agency.example", "Acme Agency", "agency")
		adm.Must(t, 200, "PUT", "/api/v1/agencies/"+ag+"/portal", map[string]any{"portal_name": "Acme Portal",
			"primary_color": "#0f766e", "hide_liaison_branding": true})
		s.AddDomain(t, ag, "portal.acme.example", "verified")
		s.AddDomain(t, ag, "pending.acme.example", "pending")
		s.AddDomain(t, ag, "lost.acme.example", "lost")
		cases := []struct {
			host    string
			branded bool
		}{
			{"portal.acme.example", true},
			{"PORTAL.Acme.Example", true},
			{"portal.acme.example:8443", true},
			{"portal.acme.example.", true},
			{"pending.acme.example", false},
			{"lost.acme.example", false},
			{"unknown.example", false},
			{"acme.example", false},
			{strings.TrimPrefix(s.URL, "http://"), false},
		}
		for _, tc := range cases {
			code, body := hostGet(t, s, tc.host, "/api/v1/portal")
			if code != 200 || strings.Contains(body, `"branded":true`) != tc.branded {
				t.Errorf("GET /api/v1/portal on %s: %d %s, branded want %v", tc.host, code, body, tc.branded)
			}
			code, page := hostGet(t, s, tc.host, "/login")
			if code != 200 || strings.Contains(page, "Acme Portal") != tc.branded || strings.Contains(page, "Liaison") == tc.branded {
				t.Errorf("GET /login on %s: %d, branded want %v:\n%s", tc.host, code, tc.branded, page)
			}
		}
	})
}

// TestBrandedResetEmail: a password reset asked for on an agency's verified
// domain arrives in the agency's brand: its sender, name, colour and logo,
// the link on its domain, and no "Liaison" anywhere when it hides it.
func TestBrandedResetEmail(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		adm, _, ag := s.Signup(t, "Ada Admin", "ada@agency.example", "Acme Agency", "agency")
		adm.Must(t, 200, "PUT", "/api/v1/agencies/"+ag+"/portal", map[string]any{"portal_name": "Acme Portal",
			"primary_color": "#0f766e", "sender_name": "Acme Team", "sender_email": "hello@acme.example", "hide_liaison_branding": true})
		adm.Must(t, 200, "POST", "/api/v1/agencies/"+ag+"/portal/logos/light", pngBytes(t, 100, 30))
		s.AddDomain(t, ag, "portal.acme.example", "verified")
		s.Signup(t, "Cleo Client", "cleo@client.example", "Client C", "client")

		req, err := http.NewRequest("POST", s.URL+"/api/v1/password/forgot", strings.NewReader(`{"email":"cleo@client.example"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "portal.acme.example"
		req.Header.Set("Content-Type", "application/json")
		res, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 202 {
			t.Fatalf("forgot: %d", res.StatusCode)
		}
		var m struct {
			FromName string `db:"from_name"`
			FromAddr string `db:"from_addr"`
			Subject  string `db:"subject"`
			HTML     string `db:"html_body"`
			Text     string `db:"text_body"`
		}
		if err := s.DB.Get(context.Background(), &m, `SELECT from_name, from_addr, subject, html_body, text_body FROM mail_outbox
			WHERE template = 'password_reset' AND to_addr = 'cleo@client.example'`); err != nil {
			t.Fatal(err)
		}
		if m.FromName != "Acme Team" || m.FromAddr != "hello@acme.example" || m.Subject != "Reset your Acme Portal password" {
			t.Errorf("sender/subject: %q <%s> %q", m.FromName, m.FromAddr, m.Subject)
		}
		for _, body := range []string{m.HTML, m.Text} {
			if !strings.Contains(body, "http://portal.acme.example/reset/") || strings.Contains(body, "Liaison") {
				t.Errorf("body not in the agency's brand:\n%s", body)
			}
		}
		if !strings.Contains(m.HTML, "#0f766e") || !strings.Contains(m.HTML, `src="http://portal.acme.example/brand/logos/`) {
			t.Errorf("HTML lacks the colour or the logo:\n%s", m.HTML)
		}
		// The same request on the server's own host stays plain.
		s.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": "ada@agency.example"})
		var plain string
		if err := s.DB.Get(context.Background(), &plain, `SELECT from_name FROM mail_outbox WHERE template = 'password_reset' AND to_addr = 'ada@agency.example'`); err != nil || plain != "Liaison" {
			t.Errorf("plain reset from %q (%v)", plain, err)
		}
	})
}

// TestPortalAccessSpotChecks pins SPEC §1 for branding by hand: every
// agency member reads it, only admins change it, other tenants and client
// users do not see it.
func TestPortalAccessSpotChecks(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newWorld(t, e)
		by := map[string]*testkit.APIClient{}
		for _, p := range w.personas {
			by[p.name] = p.client
		}
		portal := "/api/v1/agencies/" + w.agencyA + "/portal"
		cases := []struct {
			who, method, path string
			body              any
			want              int
		}{
			{"agency A viewer", "GET", portal, nil, 200},
			{"agency A member", "GET", portal + "/domains", nil, 200},
			{"agency A member", "PUT", portal, map[string]any{"portal_name": "X"}, 403},
			{"agency A account manager", "PUT", portal, map[string]any{"portal_name": "X"}, 403},
			{"agency A account manager", "POST", portal + "/domains", map[string]any{"domain": "a.example"}, 403},
			{"agency A viewer", "DELETE", portal + "/logos/light", nil, 403},
			{"agency B admin", "GET", portal, nil, 404},
			{"agency B admin", "PUT", portal, map[string]any{"portal_name": "X"}, 404},
			{"client C admin", "GET", portal, nil, 404},
			{"client C admin", "GET", "/api/v1/agencies/" + w.clientC + "/portal", nil, 403},
			{"stranger", "POST", portal + "/domains", map[string]any{"domain": "a.example"}, 404},
			{"agency A admin (operator)", "PUT", portal, map[string]any{"portal_name": "Mine"}, 200},
			{"nobody", "GET", "/api/v1/portal", nil, 200},
		}
		for _, tc := range cases {
			if r := by[tc.who].Do(t, tc.method, tc.path, tc.body); r.Status != tc.want {
				t.Errorf("%s %s as %s: %d, want %d: %s", tc.method, tc.path, tc.who, r.Status, tc.want, r.Raw)
			}
		}
	})
}
