package web

import (
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

// openScheduledReport follows the link of a scheduled report e-mail: it
// records the opening (when the user logged in is the recipient; during
// Login As never) and goes to the report page, whose own guard decides
// what the user sees there.
func (h *handler) openScheduledReport(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	uid := a.UserID
	if a.Impersonating() {
		uid = ""
	}
	reportID, err := h.deps.Schedules.Open(r.Context(), r.PathValue("token"), uid)
	if errs.Is(err, errs.NotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.deps.Log.ErrorContext(r.Context(), "scheduled report link", "err", err)
		http.Error(w, "Something went wrong. Try again.", http.StatusInternalServerError)
		return
	}
	redirect(w, r, "/app/reports/"+reportID)
}
