package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

// Each e-mail is a pair of files under templates/: <name>.txt defines the
// "subject" and the plain-text "content", <name>.html the HTML "content".
// Both are wrapped by the "layout" of layout.txt / layout.html, which carries
// the brand name, the brand colour and the footer. The subject lives only in
// the .txt file because it is plain text: html/template would escape it for
// HTML, which is wrong in a header.
//
//go:embed templates/*.html templates/*.txt
var templateFS embed.FS

// Defaults for the brand keys of Data, so that every e-mail renders even when
// the caller has no branding (SPEC §7 lets an agency replace both).
const (
	DefaultBrandName  = "Liaison"
	DefaultBrandColor = "#2563eb"
)

type pair struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

var (
	loadOnce sync.Once
	loaded   map[string]pair
	loadErr  error
)

// funcs are shared by the HTML and text templates.
var funcs = map[string]any{
	"human": human,
	"button": func(url, label, color any) map[string]any {
		return map[string]any{"URL": url, "Label": label, "Color": color}
	},
}

// load parses every template pair once. A broken template is a programming
// error that the tests catch, but it is still reported, not panicked.
func load() (map[string]pair, error) {
	loadOnce.Do(func() {
		loaded, loadErr = parseAll(templateFS)
	})
	return loaded, loadErr
}

func parseAll(fsys fs.FS) (map[string]pair, error) {
	htmlLayout, err := htmltemplate.New("layout.html").Funcs(funcs).Option("missingkey=error").
		ParseFS(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail: parse layout.html: %w", err)
	}
	textLayout, err := texttemplate.New("layout.txt").Funcs(funcs).Option("missingkey=error").
		ParseFS(fsys, "templates/layout.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: parse layout.txt: %w", err)
	}
	names, err := fs.Glob(fsys, "templates/*.txt")
	if err != nil {
		return nil, err
	}
	out := map[string]pair{}
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "templates/"), ".txt")
		if name == "layout" {
			continue
		}
		t, err := texttemplate.Must(textLayout.Clone()).ParseFS(fsys, path)
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s.txt: %w", name, err)
		}
		h, err := htmltemplate.Must(htmlLayout.Clone()).ParseFS(fsys, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("mail: parse %s.html: %w", name, err)
		}
		if t.Lookup("subject") == nil || t.Lookup("content") == nil || h.Lookup("content") == nil {
			return nil, fmt.Errorf("mail: %s must define subject and content", name)
		}
		out[name] = pair{html: h, text: t}
	}
	return out, nil
}

// Templates lists the names of the e-mails that can be rendered.
func Templates() []string {
	t, err := load()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	return names
}

// Render renders an e-mail: its subject (one line), HTML body and text body.
// Data holds the values the template names; every key a template uses must be
// present (a missing key is an error, so a typo in a caller fails its tests),
// except the brand keys BrandName, BrandColor and BaseURL, which have
// defaults. The key Subject is set by Render itself. Values are escaped in the HTML body by html/template.
func Render(template string, data map[string]any) (subject, html, text string, err error) {
	all, err := load()
	if err != nil {
		return "", "", "", err
	}
	p, ok := all[template]
	if !ok {
		return "", "", "", fmt.Errorf("mail: no template %q", template)
	}
	d := withDefaults(data)
	var b bytes.Buffer
	if err := p.text.ExecuteTemplate(&b, "subject", d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", template, err)
	}
	subject = oneLine(b.String())
	b.Reset()
	if err := p.text.ExecuteTemplate(&b, "layout", d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.txt: %w", template, err)
	}
	text = strings.TrimLeft(b.String(), "\n")
	b.Reset()
	d["Subject"] = subject // for the HTML <title>
	if err := p.html.ExecuteTemplate(&b, "layout", d); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.html: %w", template, err)
	}
	return subject, b.String(), text, nil
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// withDefaults copies data (the caller's map is not changed) and fills the
// brand keys. A colour that is not #rgb or #rrggbb is replaced by the default:
// it ends up in style attributes, where html/template would otherwise turn it
// into "ZgotmplZ" and spoil the layout.
func withDefaults(data map[string]any) map[string]any {
	d := make(map[string]any, len(data)+3)
	for k, v := range data {
		d[k] = v
	}
	if s, _ := d["BrandName"].(string); strings.TrimSpace(s) == "" {
		d["BrandName"] = DefaultBrandName
	}
	if s, _ := d["BrandColor"].(string); !hexColor.MatchString(s) {
		d["BrandColor"] = DefaultBrandColor
	}
	if _, ok := d["BaseURL"]; !ok {
		d["BaseURL"] = ""
	}
	if _, ok := d["BrandLogo"]; !ok {
		d["BrandLogo"] = ""
	}
	return d
}

// oneLine folds a rendered subject to a single line: line breaks in data (a
// name, say) must never reach a header.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// human renders a duration for people ("1 hour", "30 minutes", "7 days");
// strings pass through, so callers may also give "24 hours" themselves.
func human(v any) string {
	d, ok := v.(time.Duration)
	if !ok {
		return fmt.Sprint(v)
	}
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d.Round(time.Minute)/time.Minute), "minute")
	default:
		return unit(int64(d.Round(time.Second)/time.Second), "second")
	}
}
