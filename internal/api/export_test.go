package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// pdfText extracts a PDF's text with pdftotext (poppler-utils); the test
// skips without it, and fails under CI, which installs it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is missing (poppler-utils)")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestReportExports(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		w.pushDemoish(t)
		// A dimension a spreadsheet would run as a formula.
		w.member.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(pt(w.day(1), "sessions", 5000, "=HYPERLINK(\"x\")")))
		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/revenue", map[string]any{"unit": "currency", "currency": "EUR", "label": "Revenue"})
		rid := w.admin.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Monthly: Nike", "widgets": []map[string]any{
			{"kind": "tile", "metrics": []string{"revenue"}},
			{"kind": "tile", "metrics": []string{"sessions"}},
			{"kind": "line", "metrics": []string{"sessions"}, "granularity": "week"},
			{"kind": "table", "by": "dimension", "metrics": []string{"sessions"}, "top": 3},
			{"kind": "text", "text": "Prepared by your agency."},
		}}).Body["id"].(string)
		rng := "from=" + w.day(6) + "&to=" + w.day(0)
		data := w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/data?"+rng, nil)
		sessions := data.Body["widgets"].([]any)[1].(map[string]any)["tile"].(map[string]any)["value"].(float64)
		if sessions != 700 {
			t.Fatalf("sessions tile %v", sessions)
		}

		r := w.clientUser.Do(t, "GET", "/api/v1/reports/"+rid+"/export?format=csv&"+rng, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "monthly-nike_"+w.day(6)) {
			t.Fatalf("csv: %d %v %s", r.Status, r.Header, clip(r.Raw))
		}
		recs, err := csv.NewReader(bytes.NewReader(r.Raw)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]string{}
		for _, rec := range recs[1:] {
			found[rec[0]+"|"+rec[3]+"|"+rec[5]] = rec[6]
		}
		if found["1|sessions|total"] != "700" || found["0|revenue|total"] != "7000" || found["1|sessions|change"] != "0" {
			t.Errorf("csv tiles: %v", found)
		}
		if found["3|sessions|'=HYPERLINK(\"x\")"] != "5000" {
			t.Errorf("the formula-like dimension is not neutralised: %s", r.Raw)
		}

		// The PDF, in the agency's brand with Liaison hidden.
		if _, err := w.s.DB.Exec(context.Background(), `INSERT INTO agency_portal (agency_id, portal_name, primary_color, accent_color,
			welcome_message, hide_liaison_branding, updated_at) VALUES (?, 'Acme Insights', '#0f766e', '#b45309', '', TRUE, ?)`, w.agency, w.s.Now()); err != nil {
			t.Fatal(err)
		}
		w.admin.Must(t, 200, "POST", "/api/v1/agencies/"+w.agency+"/portal/logos/light", pngBytes(t, 120, 40))
		p := w.clientUser.Do(t, "GET", "/api/v1/reports/"+rid+"/export?format=pdf&"+rng, nil)
		if p.Status != 200 || p.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(p.Raw, []byte("%PDF")) {
			t.Fatalf("pdf: %d %v", p.Status, p.Header)
		}
		if !bytes.Contains(p.Raw, []byte("/Subtype /Image")) {
			t.Error("the PDF has no logo image")
		}
		text := pdfText(t, p.Raw)
		for _, want := range []string{"Acme Insights", "Monthly: Nike", "700", "5,000", "70.00 EUR", "Prepared by your agency.", "Page 1 of"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q:\n%s", want, text)
			}
		}
		// The tiles of a row stand side by side: their values on one line
		// (each tile sat lower than the one before it).
		tilesInRow := false
		for _, l := range strings.Split(text, "\n") {
			tilesInRow = tilesInRow || strings.Contains(l, "70.00 EUR") && strings.Contains(l, "700")
		}
		if !tilesInRow {
			t.Errorf("the tiles are not in one row:\n%s", text)
		}
		if strings.Contains(strings.ToLower(text), "liaison") || bytes.Contains(bytes.ToLower(p.Raw), []byte("liaison")) {
			t.Errorf("the PDF names Liaison:\n%s", text)
		}

		// Exports are client activity; without can_export, 403.
		if n := count(t, w.s, `SELECT COUNT(*) FROM activity_events WHERE client_id = ? AND kind = 'export'`, w.clientID); n != 2 {
			t.Errorf("%d export events", n)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM activity_events WHERE client_id = ? AND kind = 'export' AND format = 'pdf'`, w.clientID); n != 1 {
			t.Errorf("%d pdf export events", n)
		}
		w.admin.Must(t, 200, "PATCH", "/api/v1/agencies/"+w.agency+"/clients/"+w.clientID, map[string]any{"permissions": map[string]any{"can_export": false}})
		if r := w.clientUser.Do(t, "GET", "/api/v1/reports/"+rid+"/export?format=csv", nil); r.Status != 403 || r.Code() != "export_not_allowed" {
			t.Errorf("export without can_export: %d %s", r.Status, r.Raw)
		}
		w.view.Must(t, 200, "GET", "/api/v1/reports/"+rid+"/export?format=csv", nil)
		w.other.Must(t, 404, "GET", "/api/v1/reports/"+rid+"/export?format=csv", nil)
		w.admin.Must(t, 400, "GET", "/api/v1/reports/"+rid+"/export?format=xls", nil)
		if n := count(t, w.s, `SELECT COUNT(*) FROM activity_events WHERE kind = 'export'`); n != 2 {
			t.Errorf("agency exports or refused ones were recorded: %d events", n)
		}
	})
}
