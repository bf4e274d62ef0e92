package web_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// upload posts a file as the multipart field "logo".
func (v *visitor) upload(path, name string, file []byte) answer {
	v.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("logo", name)
	if err != nil {
		v.t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, v.base+path, &b)
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return v.do(req)
}

// TestPortalAdminPage: an agency admin brands the portal from the page
// (errors beside their fields, nothing saved), uploads and removes a logo
// (an SVG named .png refused), and adds a domain; a viewer only reads.
func TestPortalAdminPage(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		ada.get("/app/portal").expect(t, "portal page", 200, "Portal & Domains", `name="primary_color"`, `name="logo"`, `name="domain"`)

		form := url.Values{"portal_name": {"Analytical Portal"}, "primary_color": {"#fde047"}, "welcome_message": {"Hi"}}
		a := ada.post("/app/portal", form)
		a.expect(t, "too light", 400, `id="f-primary_color-error"`, "contrast", `value="Analytical Portal"`)
		if n := count(t, s, `SELECT COUNT(*) FROM agency_portal`); n != 0 {
			t.Fatalf("refused form saved %d rows", n)
		}
		form.Set("primary_color", "#0F766E")
		form.Set("hide_liaison_branding", "on")
		ada.post("/app/portal", form).redirects(t, "save", "/app/portal")
		a = ada.get("/app/portal")
		a.expect(t, "saved", 200, "Portal saved.", `value="#0f766e"`, `name="hide_liaison_branding" checked`)

		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		ada.upload("/app/portal/logos/light", "logo.png", svg).redirects(t, "svg upload", "/app/portal#logo-light")
		ada.get("/app/portal").expect(t, "svg refused", 200, "PNG, JPEG or WebP image. SVG")
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 50, 20))); err != nil {
			t.Fatal(err)
		}
		ada.upload("/app/portal/logos/light", "logo.svg", img.Bytes()).redirects(t, "png upload", "/app/portal#logos")
		a = ada.get("/app/portal")
		a.expect(t, "logo shown", 200, "Logo saved.", `src="/brand/logos/`)
		ada.post("/app/portal/logos/light/delete", nil).redirects(t, "remove logo", "/app/portal#logos")
		if strings.Contains(ada.get("/app/portal").body, `src="/brand/logos/`) {
			t.Fatal("logo still shown after removal")
		}

		ada.post("/app/portal/domains", url.Values{"domain": {"not a domain"}}).
			expect(t, "bad domain", 400, `id="f-domain-error"`, "portal.example.com")
		ada.post("/app/portal/domains", url.Values{"domain": {"portal.analytical.example"}}).
			redirects(t, "add domain", "/app/portal#domain-portal.analytical.example")
		ada.get("/app/portal").expect(t, "domain listed", 200, "portal.analytical.example", "_liaison.portal.analytical.example", "liaison-verify=", "Pending")

		// A viewer reads, without forms; the pages' POSTs answer 403.
		_, viewerID, _ := s.Signup(t, "Val Viewer", "val@analytical.example", "Val Own", "client")
		s.AddMember(t, w.agencyID, viewerID, "viewer")
		val := loginAs(t, s, "val@analytical.example", testkit.Password)
		val.post("/app/switch", url.Values{"account_id": {w.agencyID}})
		a = val.get("/app/portal")
		a.expect(t, "viewer", 200, "Only your agency's admins change the branding.", "portal.analytical.example")
		a.lacks(t, "viewer", `name="primary_color"`, `action="/app/portal/domains"`)
		val.post("/app/portal", url.Values{"portal_name": {"Mine"}}).expect(t, "viewer saves", 403)
		// A client account has no such page.
		w.grace.get("/app/portal").expect(t, "client", 404)
	})
}
