package web

import "net/http"

// Page views of the client portal (SPEC §5), recorded on the server when a
// portal page is served, never on the browser's word. The hook is in
// render, where every page passes, so a portal page records its view by
// having its view name here: the name of each entry is one of
// activity.Pages.
var portalViews = map[string]string{
	"app_home":       "dashboard",
	"portal_reports": "reports",
	"links":          "agencies", // /app/agencies in a client account
	"users":          "users",
	"security":       "security",
	"profile":        "profile",
	"portal_billing": "billing",
}

// brandPages show the chosen brand's content, so their views name it.
var brandPages = map[string]bool{"dashboard": true, "reports": true}

// recordPageView records that the user opened a portal page: a GET answered
// 200 in a client account (the shell's current one; during Login As the
// activity service records it with the impersonator, never as the
// client's own). A failure is logged and the page is served anyway.
func (h *handler) recordPageView(r *http.Request, status int, view string, p *page) {
	name, ok := portalViews[view]
	if !ok || r.Method != http.MethodGet || status != http.StatusOK || h.deps.Activity == nil ||
		p.Actor == nil || p.Shell == nil || p.Shell.Current == nil || p.Shell.Agency || p.Shell.Portal == nil {
		return
	}
	a := *p.Actor
	if !a.Impersonating() {
		// The account the page shows, which is the session's or, when the
		// session names none, the first one the shell chose.
		a.AccountID = p.Shell.CurrentID
	}
	brandID := ""
	if cur := p.Shell.Portal.Current; cur != nil && brandPages[name] {
		brandID = cur.ID
	}
	if err := h.deps.Activity.PageView(r.Context(), &a, name, brandID); err != nil {
		h.deps.Log.WarnContext(r.Context(), "web: page view not recorded", "page", name, "err", err)
	}
}
