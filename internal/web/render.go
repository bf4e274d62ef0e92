package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// views is one template set holding the shared layout and partials and
// every page's own blocks, renamed "<block>:<page>" (pageBlocks). A page
// renders its "main" first and the shared layout shows it (page.Main); a
// page with a layout of its own (the full-screen report) is that layout.
// One set, not a copy of the layout and partials per page: the 59 copies
// were 17 MB of parse trees, more than half the server's live heap, which
// the collector walked on every cycle (issue 23, bench/README.md).
type views struct {
	set   *template.Template
	pages map[string]pageView
}

// pageView is what renders one page: its main block and the layout that
// shows it ("" for the shared one, with page.Main).
type pageView struct{ main, layout string }

// shared are the files every page is parsed with.
var shared = []string{"layout.html", "parts.html", "client_parts.html", "billing_details_parts.html", "report_parts.html", "daily_parts.html", "webhook_parts.html"}

// defineRE finds the blocks a page file defines.
var defineRE = regexp.MustCompile(`{{-? ?define "([^"]+)"`)

func parseViews(fsys fs.FS, a *assets) (*views, error) {
	set := template.New("layout").Funcs(funcs(a))
	for _, name := range shared {
		b, err := fs.ReadFile(fsys, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		if _, err := set.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
	}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{set: set, pages: map[string]pageView{}}
	for _, f := range files {
		name := path.Base(f)
		if contains(shared, name) {
			continue
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		page := strings.TrimSuffix(name, ".html")
		src, blocks := pageBlocks(string(b), page)
		if !blocks["main"] {
			return nil, fmt.Errorf("web: template %s defines no \"main\" block", name)
		}
		if _, err := set.New(name).Parse(src); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pv := pageView{main: "main:" + page}
		if blocks["layout"] {
			pv.layout = "layout:" + page
		}
		v.pages[page] = pv
	}
	return v, nil
}

// pageBlocks renames the blocks a page file defines, and the file's own
// calls of them, to "<block>:<page>", so that pages share one set without
// one page's "main" (or layout) replacing another's.
func pageBlocks(src, page string) (string, map[string]bool) {
	blocks := map[string]bool{}
	for _, m := range defineRE.FindAllStringSubmatch(src, -1) {
		blocks[m[1]] = true
	}
	for b := range blocks {
		for _, verb := range []string{"define", "template"} {
			src = strings.ReplaceAll(src, verb+` "`+b+`"`, verb+` "`+b+":"+page+`"`)
		}
	}
	return src, blocks
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// page is what every view receives.
type page struct {
	Title     string
	Actor     *authz.Actor
	Shell     *shell // the app's top bar and navigation; nil on public pages
	Notice    string // a success notice, shown once
	FormError string // an error that belongs to no single field
	Errors    map[string]string
	Values    map[string]string
	Data      any
	Brand     branding.Brand // the portal the page belongs to (brand.go)
	Main      template.HTML  // the page's own block, rendered (render)
	flash     flash
	host      branding.Brand // the brand of the request's Host
}

// page starts the view data of a request, taking the flash notice.
func (h *handler) page(w http.ResponseWriter, r *http.Request, title string) *page {
	f := h.takeFlash(w, r)
	p := &page{Title: title, Actor: authz.ActorFrom(r.Context()), Notice: f.Notice, FormError: f.Error,
		Errors: map[string]string{}, Values: map[string]string{}, flash: f}
	if f.Field != "" && f.Error != "" {
		p.FormError, p.Errors[f.Field] = "", f.Error
	}
	// The host's brand; on the server's own host, a public page takes the
	// portal this browser last showed (brand.go). Pages in the app frame
	// take theirs in render.
	p.host = h.hostBrand(r)
	p.Brand = h.rememberedBrand(r, p.host)
	return p
}

// render executes a view into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	pv, ok := h.views.pages[name]
	if !ok {
		h.deps.Log.ErrorContext(r.Context(), "web: no such view", "view", name)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	if p.Shell != nil && p.Shell.Portal == nil {
		p.Brand = p.host // the agency app, or no account yet: never a remembered portal
	}
	var body, buf bytes.Buffer
	var err error
	if pv.layout != "" {
		err = h.views.set.ExecuteTemplate(&buf, pv.layout, p)
	} else if err = h.views.set.ExecuteTemplate(&body, pv.main, p); err == nil {
		p.Main = template.HTML(body.String()) // written by the page's own escaped block
		err = h.views.set.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		h.deps.Log.ErrorContext(r.Context(), "web: render", "view", name, "err", err, "request_id", requestctx.ID(r.Context()))
		http.Error(w, "Something went wrong on our side. Request "+requestctx.ID(r.Context()), http.StatusInternalServerError)
		return
	}
	// Before the answer goes out, so that whoever reads it finds the view.
	h.recordPageView(r, status, name, p)
	h.rememberPortal(w, r, p)
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// formError puts err on the form: beside its field when the form has that
// field, above the form otherwise. It returns the status to answer.
func (h *handler) formError(w http.ResponseWriter, r *http.Request, p *page, err error, fields ...string) int {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		h.deps.Log.ErrorContext(r.Context(), "web: request failed", "path", r.URL.Path, "err", err,
			"request_id", requestctx.ID(r.Context()))
		p.FormError = "Something went wrong on our side. Please try again in a moment (request " + requestctx.ID(r.Context()) + ")."
		return http.StatusInternalServerError
	}
	if (e.Kind == errs.RateLimited || e.Kind == errs.Unavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Field != "" && contains(fields, e.Field) {
		p.Errors[e.Field] = e.Message
	} else {
		p.FormError = e.Message
	}
	return e.Kind.HTTPStatus()
}

// fail shows an error as a page of its own (not found, forbidden, ...).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.As(err)
	if e != nil && e.Kind == errs.NotFound {
		h.notFound(w, r)
		return
	}
	p := h.page(w, r, "Something went wrong")
	if p.Actor != nil {
		p.Shell = h.shellOrNil(r, p.Actor, "")
		if p.Shell != nil && p.Shell.Portal != nil {
			p.Brand = p.Shell.Portal.Brand
		}
	}
	data := errorData{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "Something went wrong on our side. Please try again in a moment (request " + requestctx.ID(r.Context()) + ")."}
	if e != nil && e.Kind != errs.Internal {
		data.Status, data.Message = e.Kind.HTTPStatus(), e.Message
		data.Heading = http.StatusText(data.Status)
		if e == errs.ErrForbidden {
			// The generic refusal of the access check: say what to do.
			data.Message = "You are not allowed to do this with your role in this account. An admin of the account can change your role."
		}
		if (e.Kind == errs.RateLimited || e.Kind == errs.Unavailable) && e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	} else {
		h.deps.Log.ErrorContext(r.Context(), "web: request failed", "path", r.URL.Path, "err", err,
			"request_id", requestctx.ID(r.Context()))
	}
	p.Title = data.Heading
	p.Data = data
	h.render(w, r, data.Status, "error", p)
}

type errorData struct {
	Status           int
	Heading, Message string
}

// maxForm bounds a posted form; the pages' forms are a few short fields.
const maxForm = 64 << 10

// form reads the posted fields into p.Values (passwords are never echoed).
func form(w http.ResponseWriter, r *http.Request, p *page, names ...string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm()
	for _, n := range names {
		if n == "password" {
			continue
		}
		p.Values[n] = r.PostFormValue(n)
	}
}
