package branding

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Colours are stored as validated "#rrggbb" (lower case) and only ever
// reach CSS through the generated theme stylesheet, so nothing but a
// colour of that exact form can end up in it.

var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// MinTextContrast is WCAG AA for normal text: the portal writes white text
// on the primary colour (buttons, the header), so the primary colour must
// reach it against white.
const MinTextContrast = 4.5

// parseColour checks a "#rrggbb" colour and returns it in lower case.
func parseColour(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, hexColour.MatchString(s)
}

func rgb(c string) (r, g, b float64) {
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	return float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)
}

// luminance is WCAG 2's relative luminance of a "#rrggbb" colour.
func luminance(c string) float64 {
	r, g, b := rgb(c)
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// Contrast is the WCAG contrast ratio of two "#rrggbb" colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// darken mixes a colour towards black by f (0–1), for hover states.
func darken(c string, f float64) string {
	r, g, b := rgb(c)
	k := 1 - f
	return fmt.Sprintf("#%02x%02x%02x", int(r*k+0.5), int(g*k+0.5), int(b*k+0.5))
}
