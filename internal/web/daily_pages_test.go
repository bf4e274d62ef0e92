package web_test

import (
	"net/url"
	"testing"
)

// The agency's time zone on the Settings page (issue 18): saved by its
// own form, a wrong name refused beside the field with nothing written.
func TestSettingsTimezone(t *testing.T) {
	s, ada := loggedIn(t)
	ada.get("/app/settings").expect(t, "settings", 200, `id="f-timezone"`, `value="UTC"`, "Monday 08:00")
	ada.post("/app/settings/timezone", url.Values{"timezone": {"Mars/Olympus"}}).expect(t, "bad zone", 400, `id="f-timezone-error"`, `value="Mars/Olympus"`)
	var tz string
	if err := s.DB.Get(t.Context(), &tz, `SELECT COALESCE((SELECT timezone FROM agency_settings), 'UTC')`); err != nil || tz != "UTC" {
		t.Fatalf("after a refused zone: %q %v", tz, err)
	}
	ada.post("/app/settings/timezone", url.Values{"timezone": {"Europe/Paris"}}).redirects(t, "save zone", "/app/settings#timezone")
	ada.get("/app/settings").expect(t, "saved", 200, `value="Europe/Paris"`, "Time zone saved")
}
