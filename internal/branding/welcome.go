package branding

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// The welcome message is plain text with a small, safe subset of Markdown:
// paragraphs (blank lines), line breaks, **bold**, *italic* and
// [links](https://…) to https addresses only. Everything is HTML-escaped
// first and the markup is added around escaped text afterwards, so no
// input can produce a tag, an attribute or a script URL of its own.

var (
	mdLink   = regexp.MustCompile(`\[([^\[\]]{1,200})\]\((https://[^\s()"'<>]{1,500})\)`)
	mdBold   = regexp.MustCompile(`\*\*([^*]{1,500})\*\*`)
	mdItalic = regexp.MustCompile(`\*([^*]{1,500})\*`)
)

// RenderWelcome renders a welcome message as safe HTML.
func RenderWelcome(s string) template.HTML {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		// Links are found in the raw text (so that escaping does not
		// change what counts as one) and every piece is escaped.
		var p strings.Builder
		last := 0
		for _, m := range mdLink.FindAllStringSubmatchIndex(para, -1) {
			p.WriteString(inline(para[last:m[0]]))
			p.WriteString(`<a href="` + html.EscapeString(para[m[4]:m[5]]) + `" rel="noopener noreferrer">` +
				inline(para[m[2]:m[3]]) + `</a>`)
			last = m[1]
		}
		p.WriteString(inline(para[last:]))
		b.WriteString("<p>" + strings.ReplaceAll(p.String(), "\n", "<br>") + "</p>")
	}
	return template.HTML(b.String()) //nolint:gosec // built from escaped text only
}

// inline escapes text and then adds bold and italic around escaped runs.
func inline(s string) string {
	s = html.EscapeString(s)
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	return mdItalic.ReplaceAllString(s, "<em>$1</em>")
}
