package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Exports (SPEC §12): the report's Data for a range as CSV (one row per
// datum, formula cells neutralised, streamed) or as a PDF in the agency's
// brand, a client user's with its client's own over it (pdf.go,
// pdf_brand.go). Agency users who see the brand may export; a client user
// only when the agency lets the client export (can_export), else 403
// export_not_allowed. A client user's export is an activity event.

var errExportNotAllowed = errs.E(errs.Forbidden, "export_not_allowed", "Your agency has not enabled exports for your account.")

// Export checks the right to export, computes the report for the range and
// records the export. format is csv or pdf.
func (s *Service) Export(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID, format, from, to string) (Data, error) {
	if err := authz.OnBrand(rel, rel.BrandID, authz.BrandReportExport); err != nil {
		return Data{}, err
	}
	if format != "csv" && format != "pdf" {
		return Data{}, errs.InvalidField("format", "Choose csv or pdf.")
	}
	if rel.AccountKind == "client" {
		ok, err := mayExport(ctx, s.db, rel.AgencyID, rel.AccountID)
		if err != nil {
			return Data{}, err
		}
		if !ok {
			return Data{}, errExportNotAllowed
		}
	}
	d, err := s.Data(ctx, rel, reportID, from, to)
	if err != nil || rel.AccountKind != "client" || a == nil {
		return d, err
	}
	e := activity.Event{ClientID: rel.AccountID, UserID: a.UserID, Kind: activity.Export, Format: format, BrandID: rel.BrandID, At: s.now()}
	if a.Impersonating() {
		e.ImpersonatorID = a.UserID // Login As: recorded, never the client's own
	}
	return d, s.db.InTx(ctx, func(tx *db.Tx) error { return activity.Record(ctx, tx, e) })
}

// mayExport reads the client's can_export switch as its agency set it (a
// permission kept by internal/client on agency_clients).
func mayExport(ctx context.Context, q db.Querier, agencyID, clientID string) (bool, error) {
	var ok bool
	err := q.Get(ctx, &ok, `SELECT can_export FROM agency_clients WHERE agency_id = ? AND client_id = ?`, agencyID, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return false, nil
	}
	return ok, err
}

// CSVHeader is the CSV's first row.
var CSVHeader = []string{"widget", "widget_title", "kind", "metric", "metric_label", "row", "value", "unit", "from", "to"}

// WriteCSV writes the report's data, one row per datum: a tile's total,
// previous total and change; a chart's value per bucket; a table's cell.
// Cells a spreadsheet would run as formulas are neutralised. Rows go out as
// they are made (buffered), so a large report streams.
func WriteCSV(w io.Writer, d Data) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	cw := csv.NewWriter(bw)
	units := map[string]metricdata.Metric{}
	for _, m := range d.Metrics {
		units[m.Name] = m
	}
	write := func(rec []string) error {
		for i := range rec {
			rec[i] = client.Neutralize(rec[i])
		}
		return cw.Write(rec)
	}
	if err := write(append([]string(nil), CSVHeader...)); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	row := func(i int, wd WidgetData, metric, label string, v *float64, unit string) error {
		m := units[metric]
		if unit == "" {
			unit = m.Unit
			if m.Unit == "currency" {
				unit = "currency:" + m.Currency + " minor units"
			}
		}
		return write([]string{strconv.Itoa(i), wd.Title, wd.Kind, metric, m.Label, label, num(v), unit, d.From, d.To})
	}
	for i, wd := range d.Widgets {
		var err error
		switch wd.Kind {
		case "tile":
			err = row(i, wd, wd.Tile.Metric, "total", wd.Tile.Value, "")
			if err == nil && d.CompareFrom != "" {
				if err = row(i, wd, wd.Tile.Metric, "previous "+d.CompareFrom+".."+d.CompareTo, wd.Tile.Previous, ""); err == nil {
					err = row(i, wd, wd.Tile.Metric, "change", wd.Tile.Change, "percent")
				}
			}
		case "line", "bar":
			for _, s := range wd.Series {
				for _, p := range s.Points {
					if err = row(i, wd, s.Metric, p.Date, p.Value, ""); err != nil {
						break
					}
				}
			}
		case "table":
			for _, r := range wd.Rows {
				for j, m := range wd.Columns {
					if err = row(i, wd, m, r.Label, r.Values[j], ""); err != nil {
						break
					}
				}
			}
		}
		if err != nil {
			return err
		}
		if bw.Buffered() > 24<<10 {
			cw.Flush()
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// FileName is the export's file name: the title in safe characters, the
// range and the format.
func FileName(d Data, format string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(d.Report.Title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 60 {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "report"
	}
	return name + "_" + d.From + "_" + d.To + "." + format
}
