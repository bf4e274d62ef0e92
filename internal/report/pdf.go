package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// The PDF of a report (github.com/go-pdf/fpdf): A4, the agency's portal name
// on a band of its primary colour, the title, the range and comparison in
// words, the tiles, the charts drawn as vectors (lines, bars, axes, legend)
// and the tables, which break across pages with their header repeated.
// Page numbers in the footer. Nothing names Liaison: the document's creator
// is the portal's name.

const (
	pageW, margin = 210.0, 15.0
	contentW      = pageW - 2*margin
)

var seriesRGB = [][3]int{{0, 0, 0}, {245, 158, 11}, {16, 185, 129}, {139, 92, 246}, {239, 68, 68}}

func hexRGB(s string) (int, int, int) {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil || len(s) != 7 {
		return 37, 99, 235
	}
	return int(v >> 16 & 255), int(v >> 8 & 255), int(v & 255)
}

var tags = regexp.MustCompile(`<[^>]*>`)

// Logo is an image for the PDF's header: PNG or JPEG bytes and "PNG" or
// "JPG" (branding.Service.DocumentLogo). A zero Logo draws none.
type Logo struct {
	Data []byte
	Type string
}

// WritePDF draws the report's data in the brand.
func WritePDF(w io.Writer, d Data, b branding.Brand, logo Logo) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator(b.Name, true)
	pdf.SetAuthor(b.Name, true)
	pdf.SetTitle(d.Report.Title, true)
	pdf.SetMargins(margin, 28, margin)
	pdf.SetAutoPageBreak(true, 18)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pr, pg, pb := hexRGB(b.Primary)
	colors := append([][3]int(nil), seriesRGB...) // the first series in the brand's colour
	colors[0] = [3]int{pr, pg, pb}
	logoW := 0.0
	if len(logo.Data) > 0 {
		info := pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: logo.Type}, bytes.NewReader(logo.Data))
		if pdf.Ok() && info != nil && info.Height() > 0 {
			logoW = 12 * info.Width() / info.Height()
		}
		pdf.ClearError() // an image fpdf cannot read: no logo, the name still shows
	}
	pdf.SetHeaderFunc(func() {
		pdf.SetFillColor(pr, pg, pb)
		pdf.Rect(0, 0, pageW, 18, "F")
		if logoW > 0 {
			pdf.SetFillColor(255, 255, 255) // a white plate, so any logo reads on the brand colour
			pdf.Rect(margin-1, 2, logoW+2, 14, "F")
			pdf.ImageOptions("logo", margin, 3, logoW, 12, false, fpdf.ImageOptions{ImageType: logo.Type}, 0, "")
		}
		pdf.SetTextColor(255, 255, 255)
		pdf.SetFont("Helvetica", "B", 13)
		pdf.SetXY(margin+logoW+3*math.Min(logoW, 1), 5)
		pdf.CellFormat(contentW-logoW-3, 8, tr(b.Name), "", 0, "L", false, 0, "")
		pdf.SetTextColor(30, 30, 30)
		pdf.SetY(26)
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(contentW/2, 5, tr(b.Name+" · "+d.Report.Title), "", 0, "L", false, 0, "")
		pdf.CellFormat(contentW/2, 5, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AliasNbPages("")
	pdf.AddPage()
	units := map[string]metricdata.Metric{}
	for _, m := range d.Metrics {
		units[m.Name] = m
	}
	label := func(m string) string {
		if u, ok := units[m]; ok {
			return u.Label
		}
		return m
	}
	pdf.SetFont("Helvetica", "B", 18)
	pdf.MultiCell(contentW, 8, tr(d.Report.Title), "", "L", false)
	pdf.SetFont("Helvetica", "", 10)
	pdf.SetTextColor(90, 90, 90)
	if d.Report.Description != "" {
		pdf.MultiCell(contentW, 5, tr(d.Report.Description), "", "L", false)
	}
	pdf.MultiCell(contentW, 6, tr(rangeWords(d)), "", "L", false)
	pdf.SetTextColor(30, 30, 30)
	pdf.Ln(3)

	// Tiles, three to a row.
	var tiles []WidgetData
	for _, wd := range d.Widgets {
		if wd.Kind == "tile" {
			tiles = append(tiles, wd)
		}
	}
	// Each tile of a row starts at the row's top (rowY): the text of the
	// one before moved the cursor down, and the next tile sat lower.
	tw, th := (contentW-8)/3, 24.0
	rowY := pdf.GetY()
	for i, t := range tiles {
		if i%3 == 0 {
			if i > 0 {
				rowY += th + 4
			}
			if rowY+th > 279 {
				pdf.AddPage()
				rowY = pdf.GetY()
			}
		}
		x, y := margin+float64(i%3)*(tw+4), rowY
		pdf.SetDrawColor(210, 210, 210)
		pdf.Rect(x, y, tw, th, "D")
		pdf.SetXY(x+3, y+2)
		pdf.SetFont("Helvetica", "", 9)
		title := t.Title
		if title == "" {
			title = label(t.Tile.Metric)
		}
		pdf.CellFormat(tw-6, 5, tr(title), "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "B", 15)
		pdf.CellFormat(tw-6, 8, tr(Format(units[t.Tile.Metric], t.Tile.Value)), "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(tw-6, 5, tr(changeWords(t.Tile)), "", 2, "L", false, 0, "")
	}
	if len(tiles) > 0 {
		pdf.SetXY(margin, rowY+th+6)
	}

	for _, wd := range d.Widgets {
		switch wd.Kind {
		case "line", "bar":
			title := wd.Title
			if title == "" {
				var ls []string
				for _, s := range wd.Series {
					ls = append(ls, label(s.Metric))
				}
				title = strings.Join(ls, ", ")
			}
			heading(pdf, tr, title, 75)
			drawChart(pdf, tr, colors, wd, units, label)
			head := []string{"Date"}
			for _, s := range wd.Series {
				head = append(head, label(s.Metric))
			}
			var rows [][]string
			if len(wd.Series) > 0 {
				for i, p := range wd.Series[0].Points {
					r := []string{p.Date}
					for _, s := range wd.Series {
						r = append(r, Format(units[s.Metric], s.Points[i].Value))
					}
					rows = append(rows, r)
				}
			}
			drawTable(pdf, tr, head, rows)
		case "table":
			head := []string{"Date"}
			if wd.By == "dimension" {
				head[0] = "Dimension"
			}
			for _, m := range wd.Columns {
				head = append(head, label(m))
			}
			title := wd.Title
			if title == "" {
				title = strings.Join(head[1:], ", ") + " by " + strings.ToLower(head[0])
			}
			heading(pdf, tr, title, 20)
			var rows [][]string
			for _, r := range wd.Rows {
				row := []string{r.Label}
				for j, v := range r.Values {
					row = append(row, Format(units[wd.Columns[j]], v))
				}
				rows = append(rows, row)
			}
			if len(rows) == 0 {
				pdf.SetFont("Helvetica", "I", 9)
				pdf.CellFormat(contentW, 6, "No data in this range.", "", 1, "L", false, 0, "")
			}
			drawTable(pdf, tr, head, rows)
		case "text":
			if wd.Title != "" {
				heading(pdf, tr, wd.Title, 15)
			}
			pdf.SetFont("Helvetica", "", 10)
			text := strings.NewReplacer("<br>", "\n", "</p>", "\n\n").Replace(string(wd.HTML))
			pdf.MultiCell(contentW, 5, tr(htmlText(tags.ReplaceAllString(text, ""))), "", "L", false)
			pdf.Ln(3)
		}
	}
	return pdf.Output(w)
}

func htmlText(s string) string {
	return strings.TrimSpace(strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s))
}

func heading(pdf *fpdf.Fpdf, tr func(string) string, title string, need float64) {
	if pdf.GetY()+need > 279 {
		pdf.AddPage()
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.MultiCell(contentW, 7, tr(title), "", "L", false)
}

func rangeWords(d Data) string {
	s := "Range: " + longDay(d.From) + " – " + longDay(d.To)
	switch d.Comparison {
	case "previous_period":
		s += ", compared with " + longDay(d.CompareFrom) + " – " + longDay(d.CompareTo)
	case "previous_year":
		s += ", compared with the same days a year earlier"
	}
	return s
}

func longDay(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 Jan 2006")
}

func changeWords(t *Tile) string {
	switch c := t.Change; {
	case c == nil && t.Previous == nil:
		return "No data to compare with"
	case c == nil:
		return "No change to show"
	case *c > 0.05:
		return "Up " + strconv.FormatFloat(*c, 'f', 1, 64) + "%"
	case *c < -0.05:
		return "Down " + strconv.FormatFloat(-*c, 'f', 1, 64) + "%"
	}
	return "Unchanged"
}

// drawChart draws a line or bar chart as vectors: grid, axis labels,
// series, legend.
func drawChart(pdf *fpdf.Fpdf, tr func(string) string, colors [][3]int, wd WidgetData, units map[string]metricdata.Metric, label func(string) string) {
	x0, y0, w, h := margin+14, pdf.GetY()+2, contentW-16, 48.0
	if len(wd.Series) == 0 || len(wd.Series[0].Points) == 0 {
		return
	}
	// Series in another unit than the first's have a right axis
	// (ChartAxes, as on the page), whose labels take room from the plot.
	axisOf, axes := ChartAxes(wd, units)
	if len(axes) > 1 {
		w -= 14
	}
	ys := make([]func(float64) float64, len(axes))
	for a, ax := range axes {
		ys[a] = func(v float64) float64 { return y0 + h - (v-ax.Min)/(ax.Max-ax.Min)*h }
	}
	y := ys[0]
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetDrawColor(220, 220, 220)
	pdf.SetLineWidth(0.2)
	for _, v := range axes[0].Ticks() {
		pdf.Line(x0, y(v), x0+w, y(v))
		pdf.SetXY(margin, y(v)-2)
		pdf.CellFormat(13, 4, tr(AxisLabel(axes[0].Metric, v)), "", 0, "R", false, 0, "")
	}
	if len(axes) > 1 {
		for _, v := range axes[1].Ticks() {
			pdf.SetXY(x0+w+1, ys[1](v)-2)
			pdf.CellFormat(13, 4, tr(AxisLabel(axes[1].Metric, v)), "", 0, "L", false, 0, "")
		}
	}
	n := len(wd.Series[0].Points)
	slot := w / float64(n)
	every := max(1, n/6)
	for i, p := range wd.Series[0].Points {
		if i%every == 0 {
			pdf.SetXY(x0+slot*float64(i), y0+h+1)
			pdf.CellFormat(24, 4, longDay(p.Date), "", 0, "L", false, 0, "")
		}
	}
	for k, s := range wd.Series {
		c := colors[k%len(colors)]
		y, low := ys[axisOf[k]], axes[axisOf[k]].Min
		pdf.SetDrawColor(c[0], c[1], c[2])
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.SetLineWidth(0.6)
		bw := slot * 0.8 / float64(len(wd.Series))
		var prevX, prevY float64
		have := false
		for i, p := range s.Points {
			if p.Value == nil {
				have = false
				continue
			}
			if wd.Kind == "bar" {
				bx := x0 + slot*float64(i) + slot*0.1 + bw*float64(k)
				yt, yb := y(*p.Value), y(math.Max(low, 0))
				pdf.Rect(bx, math.Min(yt, yb), bw, math.Abs(yb-yt), "F")
				continue
			}
			px, py := x0+slot*(float64(i)+0.5), y(*p.Value)
			if have {
				pdf.Line(prevX, prevY, px, py)
			}
			prevX, prevY, have = px, py, true
		}
	}
	// Legend.
	pdf.SetXY(x0, y0+h+6)
	pdf.SetFont("Helvetica", "", 8)
	for k, s := range wd.Series {
		c := colors[k%len(colors)]
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.Rect(pdf.GetX(), pdf.GetY()+1, 3, 3, "F")
		pdf.SetX(pdf.GetX() + 4)
		name := label(s.Metric)
		if len(axes) > 1 {
			name += [...]string{" (left axis)", " (right axis)"}[axisOf[k]]
		}
		pdf.CellFormat(pdf.GetStringWidth(tr(name))+6, 5, tr(name), "", 0, "L", false, 0, "")
	}
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(210, 210, 210)
	pdf.SetXY(margin, y0+h+13)
}

// drawTable draws rows under a header that is repeated on every page the
// table reaches.
func drawTable(pdf *fpdf.Fpdf, tr func(string) string, head []string, rows [][]string) {
	if len(rows) == 0 {
		pdf.Ln(2)
		return
	}
	first := 50.0
	col := (contentW - first) / float64(max(1, len(head)-1))
	header := func() {
		pdf.SetFont("Helvetica", "B", 8)
		pdf.SetFillColor(240, 240, 240)
		for i, h := range head {
			w, align := col, "R"
			if i == 0 {
				w, align = first, "L"
			}
			pdf.CellFormat(w, 6, tr(h), "B", 0, align, true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 8)
	}
	header()
	for _, r := range rows {
		if pdf.GetY()+5 > 279 {
			pdf.AddPage()
			header()
		}
		for i, c := range r {
			w, align := col, "R"
			if i == 0 {
				w, align = first, "L"
			}
			pdf.CellFormat(w, 5, tr(c), "", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(3)
}
