package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/web"
)

// ImpersonationHeader marks every response made during Login As with the
// impersonation's ID (SPEC §6: "the API marks every response").
const ImpersonationHeader = "Liaison-Impersonation"

// impersonate runs after authenticate. When the session is in Login As, it
// checks that the impersonation is still live (impersonation.Resolve): if
// so, the request runs as the client's admin, is marked with the
// Liaison-Impersonation header, and is recorded in the action log — in the
// transaction of any change it makes (db.WithBeforeCommit) and with its
// final status after the answer. If it has ended, the request is answered
// once with 401 impersonation_ended (API) or sent back to the agency page
// Login As started from (pages); later requests are the agency user's own.
// Static files (ours, and the agencies' logos and themes under /brand/)
// pass untouched: they are neither tenant data nor actions.
func impersonate(svc *impersonation.Service, secure bool, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authz.ActorFrom(r.Context())
		if a == nil || a.SessionImpersonationID == "" || strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/brand/") {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		imp, ended, err := svc.Resolve(ctx, a)
		if err != nil {
			if isAPI(r) {
				api.WriteJSONError(w, r, err)
			} else {
				log.ErrorContext(ctx, "impersonation: resolve", "err", err)
				http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
			}
			return
		}
		if ended != nil {
			if isAPI(r) {
				api.WriteJSONError(w, r, impersonation.ErrEnded(*ended))
			} else {
				web.ImpersonationEnded(w, r, secure, ended.ReturnTo, ended.Message())
			}
			return
		}
		acting := *a
		acting.Impersonation = imp
		acting.ImpersonatorID = a.UserID
		acting.AccountID = imp.ClientID
		w.Header().Set(ImpersonationHeader, imp.ID)
		act := svc.Begin(&acting, r.Method, r.URL.Path)
		ctx = db.WithBeforeCommit(authz.WithActor(ctx, &acting), svc.BeforeCommit(act))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		if err := svc.Finish(context.WithoutCancel(r.Context()), act, status); err != nil {
			log.ErrorContext(ctx, "impersonation: record action", "err", err)
		}
	})
}
