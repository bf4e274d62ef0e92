package branding

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/errs"
)

// The CSP forbids inline styles, so an agency's colours reach the pages as
// a stylesheet of their own, served from our origin: it sets the custom
// properties that web/static/css/app.css uses. Its URL carries the hash of
// its content, so it is cached for a year and changes with the colours.

// themeCSS is an agency's stylesheet. Its values are validated #rrggbb
// colours (or derived from them), so nothing else can reach the CSS.
func themeCSS(b Brand) string {
	return ":root {\n  --primary: " + b.Primary + ";\n  --primary-hover: " + b.PrimaryHover +
		";\n  --primary-ink: #ffffff;\n  --accent: " + b.Accent + ";\n  --focus: " + b.PrimaryHover + ";\n}\n"
}

func themeHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return hex.EncodeToString(sum[:])[:16]
}

func themeURL(agencyID string, b Brand) string {
	return "/brand/themes/" + agencyID + ".css?v=" + themeHash(themeCSS(b))
}

// serveTheme answers GET /brand/themes/{agency}.css. The current version is
// cached for a year; an old ?v= gets today's colours, revalidated.
func (s *Service) serveTheme(w http.ResponseWriter, r *http.Request) {
	agencyID, ok := strings.CutSuffix(r.PathValue("file"), ".css")
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := s.For(r.Context(), agencyID)
	if errs.Is(err, errs.NotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "branding: theme", "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	css := themeCSS(b)
	hash := themeHash(css)
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("ETag", `"`+hash+`"`)
	if r.URL.Query().Get("v") == hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	}
	if strings.Contains(r.Header.Get("If-None-Match"), hash) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write([]byte(css))
}

// Handler serves the logos and the theme stylesheets, under /brand/.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+LogoPath+"{file}", s.serveLogo)
	m.HandleFunc("GET /brand/themes/{file}", s.serveTheme)
	return m
}
