package web

import (
	"net/http"
	"strconv"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
)

type outboxData struct {
	Messages []mail.Message
	Next     string
	Local    bool
}

// outbox lists the e-mails of the server, newest first (operator only).
func (h *handler) outbox(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	p, ok := h.appPage(w, r, a, "Outbox", "")
	if !ok {
		return
	}
	msgs, next, err := h.deps.Mailer.List(r.Context(), 50, r.URL.Query().Get("cursor"))
	if errs.Is(err, errs.Invalid) {
		redirect(w, r, "/operator/outbox") // a stale or mangled cursor: start over
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Data = outboxData{Messages: msgs, Next: next, Local: h.deps.Mailer.Local()}
	h.render(w, r, http.StatusOK, "outbox", p)
}

type messageData struct{ Msg mail.Message }

// outboxMessage shows one e-mail: its headers, its text part, and its HTML
// part in a sandboxed frame.
func (h *handler) outboxMessage(w http.ResponseWriter, r *http.Request, a *authz.Actor) {
	m, err := h.deps.Mailer.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, ok := h.appPage(w, r, a, m.Subject, "")
	if !ok {
		return
	}
	p.Data = messageData{Msg: m}
	h.render(w, r, http.StatusOK, "outbox_message", p)
}

// mailCSP confines an e-mail's HTML: a sandbox (no script, an opaque
// origin), nothing loaded from anywhere but data: images, its own inline
// styles, and framing by this server's pages only.
const mailCSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

// outboxHTML serves the HTML part of an e-mail for the frame of
// outboxMessage. It replaces the headers the middleware set for pages.
func (h *handler) outboxHTML(w http.ResponseWriter, r *http.Request, _ *authz.Actor) {
	m, err := h.deps.Mailer.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", mailCSP)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(m.HTML)))
	_, _ = w.Write([]byte(m.HTML))
}
