package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Format shows a value in its metric's unit: thousands separated,
// currency from minor units with its code, percent with one decimal,
// seconds as minutes and seconds. "–" when there is none.
func Format(m metricdata.Metric, v *float64) string {
	if v == nil {
		return "–"
	}
	switch m.Unit {
	case "currency":
		return groupThousands(*v/100, 2) + " " + m.Currency
	case "percent":
		return strconv.FormatFloat(*v, 'f', 1, 64) + "%"
	case "seconds":
		s := int(math.Round(*v))
		if s >= 60 {
			return fmt.Sprintf("%dm %02ds", s/60, s%60)
		}
		return strconv.Itoa(s) + "s"
	}
	if *v == math.Trunc(*v) {
		return groupThousands(*v, 0)
	}
	return groupThousands(*v, 2)
}

// groupThousands formats v with commas between thousands.
func groupThousands(v float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
