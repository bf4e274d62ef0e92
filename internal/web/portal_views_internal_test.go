package web

import (
	"slices"
	"testing"

	"github.com/liaison-dev/liaison/internal/activity"
)

// Every portal view records a page the activity service accepts, and each
// of those pages is viewed from some page of the portal (billing excepted:
// it has no page yet).
func TestPortalViewsNamePortalPages(t *testing.T) {
	seen := map[string]bool{}
	for view, name := range portalViews {
		if !slices.Contains(activity.Pages, name) {
			t.Errorf("view %s records %q, not one of activity.Pages", view, name)
		}
		seen[name] = true
	}
	for _, p := range activity.Pages {
		if !seen[p] && p != "billing" {
			t.Errorf("no portal view records %q", p)
		}
	}
}
