package web

import (
	"errors"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// funcs are the helpers the views may call.
func funcs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset":        a.url,
		"field":        field,
		"dict":         dict,
		"ago":          func(t time.Time) string { return ago(time.Now(), t) },
		"isotime":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"exact":        func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 MST") },
		"initials":     initials,
		"kindLabel":    kindLabel,
		"roleLabel":    roleLabel,
		"browser":      browser,
		"status":       statusLabel,
		"has":          has,
		"seats":        seatsText,
		"plural":       plural,
		"money":        money,
		"billingCause": billingCause,
		"email":        emailBreak,
		"headline":     headlineCell,
		// Login As log (security.html).
		"duration":  durationText,
		"endReason": endReasonText,
	}
}

// fieldView is one labelled input with its value and error.
type fieldView struct {
	ID, Name, Label, Type, Auto, Value, Error, Hint string
	Min, Max                                        string // for type=number
	Optional, Autofocus                             bool
}

// DescribedBy links the input to its hint and error for screen readers.
func (f fieldView) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// field builds a fieldView from the page's values and errors. Options after
// the autocomplete token: "autofocus", "optional", or one of "hint", "min",
// "max" and "name" followed by its value. "name" gives the input a name of
// its own when several forms on a page share a field name: the key (the
// first argument) stays what values and errors are found under.
func field(p *page, name, label, typ, auto string, opts ...string) fieldView {
	f := fieldView{ID: "f-" + name, Name: name, Label: label, Type: typ, Auto: auto,
		Value: p.Values[name], Error: p.Errors[name]}
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case "autofocus":
			// Focus the first field with an error instead, when there is one.
			f.Autofocus = len(p.Errors) == 0
		case "":
			// no option (a template's conditional option that is off)
		case "optional":
			f.Optional = true
		case "hint", "min", "max", "name":
			if i+1 < len(opts) {
				switch opts[i] {
				case "hint":
					f.Hint = opts[i+1]
				case "min":
					f.Min = opts[i+1]
				case "max":
					f.Max = opts[i+1]
				case "name":
					f.Name = opts[i+1]
				}
				i++
			}
		}
	}
	if f.Error != "" && firstError(p) == name {
		f.Autofocus = true
	}
	return f
}

// fieldOrder is the order of fields on the forms, to focus the first error.
var fieldOrder = []string{"name", "email", "password", "account_kind", "account_name"}

func firstError(p *page) string {
	if len(p.Errors) == 1 {
		for n := range p.Errors {
			return n
		}
	}
	for _, n := range fieldOrder {
		if p.Errors[n] != "" {
			return n
		}
	}
	return ""
}

// dict makes a map from pairs, to pass several values to a partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: keys must be strings")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// ago says how long ago t was, in words: "3 minutes ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < time.Hour:
		s = plural(int(d/time.Minute+(d%time.Minute)/(30*time.Second)), "minute")
	case d < 24*time.Hour:
		s = plural(int((d+30*time.Minute)/time.Hour), "hour")
	case d < 30*24*time.Hour:
		s = plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// initials are the avatar's letters: "Ada Lovelace" → "AL".
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

func kindLabel(kind string) string {
	if kind == "client" {
		return "Client"
	}
	return "Agency"
}

func roleLabel(role string) string {
	switch role {
	case "admin":
		return "Admin"
	case "account_manager":
		return "Account manager"
	case "member":
		return "Member"
	case "viewer":
		return "Viewer"
	}
	return role
}

// browser names a user agent in a few words: "Firefox on Linux".
func browser(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	name := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client", "Go program"},
	} {
		if strings.Contains(ua, b.token) {
			name = b.name
			break
		}
	}
	osName := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			osName = o.name
			break
		}
	}
	switch {
	case name != "" && osName != "":
		return name + " on " + osName
	case name != "":
		return name
	case osName != "":
		return "Browser on " + osName
	}
	if r := []rune(ua); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return ua
}

// statusLabel is a status's word on its badge: "at_risk" → "At risk".
func statusLabel(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// has reports whether list holds s (a ticked checkbox).
func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// seatsText is "3 of 5 seats", or "3 users · unlimited" when seats is 0.
func seatsText(users, seats int) string {
	if seats == 0 {
		return plural(users, "user") + " · unlimited"
	}
	return strconv.Itoa(users) + " of " + plural(seats, "seat")
}

// emailBreak lets a long address wrap before its "@" rather than anywhere:
// "grace<wbr>@navy.example".
func emailBreak(addr string) template.HTML {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return template.HTML(template.HTMLEscapeString(addr))
	}
	return template.HTML(template.HTMLEscapeString(local) + "<wbr>@" + template.HTMLEscapeString(domain))
}
