package clientlist

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// exportPage is how many clients the export reads per statement: pages keep
// memory flat however many clients there are.
const exportPage = 500

var csvHeader = []string{"id", "name", "email", "status", "health_score", "health_band", "last_active_at", "brands", "users", "seats"}

// ExportCSV validates the query, records the export in the agency's audit
// trail (an export of client data is an event the agency should see), and
// returns the function that writes the whole filtered list — every page, in
// the list's order — as CSV. The caller streams it after sending headers.
func (s *Service) ExportCSV(ctx context.Context, scope authz.ClientScope, a *authz.Actor, q ListQuery) (func(context.Context, io.Writer) error, error) {
	if a == nil {
		return nil, errs.ErrUnauthorized
	}
	q.Limit, q.Cursor = 0, ""
	if err := q.normalize(); err != nil {
		return nil, err
	}
	if scope.AgencyID == "" {
		return nil, errs.ErrNotFound
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := audit.Append(ctx, tx, s.now(), audit.Entry{AccountID: scope.AgencyID, ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID,
			Action: "client.export", TargetID: scope.AgencyID, IP: a.IP,
			After: map[string]any{"format": "csv", "status": q.Status, "q": q.Q, "sort": q.Sort}})
		return err
	})
	if err != nil {
		return nil, err
	}
	q.Limit, q.noCounts = exportPage, true
	return func(ctx context.Context, w io.Writer) error { return s.writeCSV(ctx, scope, q, w) }, nil
}

func (s *Service) writeCSV(ctx context.Context, scope authz.ClientScope, q ListQuery, w io.Writer) error {
	cw := csv.NewWriter(w)
	var after *cursor
	var names []string // the headline metrics, as the first page read them
	for {
		rows, mem, err := s.page(ctx, scope, q, after)
		if err != nil {
			return err
		}
		if names == nil {
			// A column per headline metric after the fixed ones.
			names = headlineNames(rows)
			if mem != nil {
				names = headlineNames([]listRow{{HeadlineNames: mem.st.headline}})
			} else if len(rows) == 0 {
				var stored string
				if err := s.read.Get(ctx, &stored, `SELECT `+headlineNamesSQL, scope.AgencyID); err != nil {
					return err
				}
				names = headlineNames([]listRow{{HeadlineNames: stored}})
			}
			header := slices.Clone(csvHeader)
			for _, n := range names {
				header = append(header, Neutralize(n))
			}
			if err := cw.Write(header); err != nil {
				return err
			}
		}
		more := len(rows) > q.Limit
		if more {
			rows = rows[:q.Limit]
		}
		items, err := s.items(rows, names)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := cw.Write(csvRecord(it, names)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil || !more {
			return err
		}
		c := cursorAfter(q.Sort, rows[len(rows)-1])
		after = &c
	}
}

func csvRecord(it ClientListItem, headline []string) []string {
	var email, score, band, last string
	if it.Email != nil {
		email = *it.Email
	}
	if it.Health != nil {
		score, band = strconv.Itoa(it.Health.Score), it.Health.Band
	}
	if it.LastActiveAt != nil {
		last = it.LastActiveAt.UTC().Format(time.RFC3339)
	}
	names := make([]string, len(it.Brands))
	for i, b := range it.Brands {
		names[i] = b.Name
	}
	rec := []string{it.ID, it.Name, email, it.Status, score, band, last, strings.Join(names, "; "),
		strconv.Itoa(it.Users), strconv.Itoa(it.Seats)}
	for _, m := range headline {
		v, ok := it.Metrics[m]
		cell := ""
		if ok {
			cell = strconv.FormatFloat(v, 'f', -1, 64)
		}
		rec = append(rec, cell)
	}
	for i := range rec {
		rec[i] = Neutralize(rec[i])
	}
	return rec
}

// Neutralize defuses a CSV cell that a spreadsheet would run as a formula
// (SPEC §3): one beginning with = + - @, a tab or a carriage return gets a
// leading single quote, so it is shown as text.
func Neutralize(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
