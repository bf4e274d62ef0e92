package web

import (
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/authz"
)

// The page table, readable as data: routes registers every page through a
// pageMux, which keeps each pattern with its access rule, so that the page
// walk (page_walk_test.go) can try every page as every role, as the API's
// access walk does with api.Routes, and fail on a page it does not know.

// PageAccess says who may open a page at all.
type PageAccess string

const (
	// PagePublic pages need no login (setup, login, invitation landings).
	PagePublic PageAccess = "public"
	// PageUser pages need a logged-in user and act on their own things.
	PageUser PageAccess = "user"
	// PageOperator pages are the instance operator's; others get 404.
	PageOperator PageAccess = "operator"
	// PageGuarded pages act on tenant data through guard: a target and an
	// action, checked by authz.
	PageGuarded PageAccess = "guarded"
)

// Page is one row of the page table.
type Page struct {
	Method, Path string // "" for the catch-all
	Access       PageAccess
	// Target and Action are a guarded page's rule: what it acts on
	// ("ownAgency", "agencyClient", ...; see guard.go) and what it needs.
	Target string
	Action authz.Action
}

var targetNames = map[target]string{ownAgency: "ownAgency", ownClient: "ownClient", agencyClient: "agencyClient",
	linkOf: "linkOf", brandOf: "brandOf", invitationOf: "invitationOf", reportOf: "reportOf", templateOf: "templateOf"}

// pageMux is the ServeMux of the pages that also keeps the table. The
// wrappers of routes (g, user, operator) say what the next registered
// handler is; a handler registered without one is public.
type pageMux struct {
	*http.ServeMux
	pages []Page
	next  *Page
}

func newPageMux() *pageMux { return &pageMux{ServeMux: http.NewServeMux()} }

// mark says what the handler about to be registered is.
func (m *pageMux) mark(p Page) { m.next = &p }

func (m *pageMux) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.record(pattern)
	m.ServeMux.HandleFunc(pattern, fn)
}

func (m *pageMux) Handle(pattern string, h http.Handler) {
	m.record(pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *pageMux) record(pattern string) {
	p := Page{Access: PagePublic}
	if m.next != nil {
		p = *m.next
		m.next = nil
	}
	p.Path = pattern
	if method, path, ok := strings.Cut(pattern, " "); ok {
		p.Method, p.Path = method, path
	}
	m.pages = append(m.pages, p)
}

// Pages returns the page table, for the page walk and docs. It builds the
// table on a handler with no services: registering reads none.
func Pages() []Page {
	h := &handler{}
	return append([]Page(nil), h.table().pages...)
}
