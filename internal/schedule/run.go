package schedule

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/report"
)

// Sending an occurrence. Run (every few minutes) finds, for each schedule,
// its latest occurrence; one that came less than window ago and after the
// schedule was made is due. The first process to insert the occurrence's
// report_schedule_runs row runs it (another may take over once its lease
// has run out without the run finishing). The run decides every
// recipient, renders the e-mails and the PDF (once per branding: the
// agency's, and each client's own for its users) outside any write
// transaction, then queues them Chunk recipients per transaction: each
// recipient's delivery row — unique per schedule, occurrence and user —
// goes in with its e-mail, so a recipient gets one e-mail per occurrence
// however many processes run and whatever crashes in between, and no
// write transaction lasts long (issue 17: under 100 ms for 1,000
// recipients in chunks of 10; bench/README.md).

const (
	window = 12 * time.Hour   // how late a missed occurrence still goes out
	lease  = 10 * time.Minute // how long a claimed run is left to its process
)

// Delivery statuses as stored.
const (
	StatusQueued  = "queued"  // in the outbox; the outbox row tells sent or failed
	StatusSkipped = "skipped" // the recipient could not read the report any more
	StatusFailed  = "failed"  // the e-mail could not be made (a bad address)
)

type dueRow struct {
	row
	BrandID   string `db:"brand_id"`
	BrandName string `db:"brand_name"`
}

// Run sends every occurrence that is due and returns how many it ran.
func (s *Service) Run(ctx context.Context) (int, error) {
	now := s.now()
	var rows []dueRow
	if err := s.db.Select(ctx, &rows, `SELECT `+columns+`, r.brand_id, b.name AS brand_name FROM report_schedules s
		JOIN reports r ON r.id = s.report_id JOIN brands b ON b.id = r.brand_id ORDER BY s.id`); err != nil {
		return 0, err
	}
	type zone struct {
		loc *time.Location
		tz  string
	}
	zones := map[string]zone{}
	ran := 0
	for _, r := range rows {
		z, ok := zones[r.AgencyID]
		if !ok {
			loc, tz, err := s.location(ctx, r.AgencyID)
			if err != nil {
				return ran, err
			}
			z = zone{loc, tz}
			zones[r.AgencyID] = z
		}
		occ := r.rule().latest(now, z.loc)
		if now.Sub(occ) >= window || occ.Before(r.CreatedAt.Time) {
			continue
		}
		ok, err := s.runOccurrence(ctx, r, occ, z.loc, z.tz)
		if err != nil {
			// One schedule's failure holds no other back; the next run
			// resumes it once the lease is over.
			s.log.ErrorContext(ctx, "scheduled report", "schedule", r.ID, "err", err)
			continue
		}
		if ok {
			ran++
		}
	}
	return ran, nil
}

// claim takes an occurrence for this process: a new run row, or the row of
// a run whose lease ran out unfinished.
func (s *Service) claim(ctx context.Context, scheduleID, occurrence string, occ time.Time) (bool, error) {
	now := s.now()
	claimed := false
	err := s.inTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO report_schedule_runs (schedule_id, occurrence, occurs_at, claimed_at, lease_until)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, occurrence) DO NOTHING`, scheduleID, occurrence, occ.UTC(), now, now.Add(lease))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		res, err = tx.Exec(ctx, `UPDATE report_schedule_runs SET claimed_at = ?, lease_until = ?
			WHERE schedule_id = ? AND occurrence = ? AND finished_at IS NULL AND lease_until < ?`, now, now.Add(lease), scheduleID, occurrence, now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		claimed = n == 1
		return nil
	})
	return claimed, err
}

type person struct {
	ID    string `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
}

// resolve turns the list into users as they are now: the users named, and
// the current admins of the clients named; each once.
func (s *Service) resolve(ctx context.Context, list []Recipient) ([]person, error) {
	var users, clients []string
	for _, r := range list {
		if r.Kind == "user" {
			users = append(users, r.UserID)
		} else {
			clients = append(clients, r.ClientID)
		}
	}
	byID := map[string]person{}
	fetch := func(q string, ids []string) error {
		for len(ids) > 0 {
			n := min(len(ids), 500)
			query, args, err := db.In(q, ids[:n])
			if err != nil {
				return err
			}
			var ps []person
			if err := s.db.Select(ctx, &ps, query, args...); err != nil {
				return err
			}
			for _, p := range ps {
				byID[p.ID] = p
			}
			ids = ids[n:]
		}
		return nil
	}
	if err := fetch(`SELECT id, name, email FROM users WHERE id IN (?)`, users); err != nil {
		return nil, err
	}
	if err := fetch(`SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.role = 'admin' AND m.account_id IN (?)`, clients); err != nil {
		return nil, err
	}
	out := make([]person, 0, len(byID))
	for _, p := range byID {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

// item is one recipient's delivery, decided and rendered.
type item struct {
	person
	status, reason string
	attached       bool
	token          string
	mail           mail.Prepared
	// clientID is the recipient's client (empty for agency users): its
	// e-mail wears the client's own branding where the agency gave it
	// some (issue 24).
	clientID string
}

func (s *Service) runOccurrence(ctx context.Context, r dueRow, occ time.Time, loc *time.Location, tz string) (bool, error) {
	occKey := key(occ, loc)
	ok, err := s.claim(ctx, r.ID, occKey, occ)
	if err != nil || !ok {
		return false, err
	}
	people, err := s.resolve(ctx, r.recipients())
	if err != nil {
		return false, err
	}
	// The report's numbers for its default range, as its agency sees them:
	// one computation for every recipient, the PDF drawn from it.
	agencyRel := authz.Relation{AccountID: r.AgencyID, AccountKind: "agency", Role: authz.AgencyAdmin, BrandID: r.BrandID}
	d, err := s.reports.Data(ctx, agencyRel, r.ReportID, "", "")
	if err != nil {
		return false, err
	}
	items := make([]item, len(people))
	for i, p := range people {
		it := item{person: p, status: StatusQueued}
		// The report's own read check (the one its page and API use): a
		// recipient who could not open the report now gets nothing.
		rel, err := s.authz.CheckReport(ctx, authz.ReportReader(p.ID), r.ReportID, authz.BrandDataRead)
		switch {
		case errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden):
			it.status, it.reason = StatusSkipped, "no_access"
		case err != nil:
			return false, err
		default:
			// A client's user gets the e-mail and the PDF in the client's
			// own branding (issue 24), as the client's own export would be.
			_, it.clientID = report.PDFBranding(rel)
			it.attached = true // the agency's users may always export
			if it.clientID != "" {
				if it.attached, err = report.MayExport(ctx, s.db, rel.AgencyID, it.clientID); err != nil {
					return false, err
				}
			}
		}
		items[i] = it
	}
	attachments, err := s.pdfs(ctx, r.AgencyID, d, items)
	if err != nil {
		return false, err
	}
	rng := rangeWords(d.From, d.To)
	cadence := r.rule().cadence(tz)
	for i := range items {
		it := &items[i]
		if it.status != StatusQueued {
			continue
		}
		it.token = id.Secret()
		e := mail.Email{Template: "scheduled_report", To: it.Email, AccountID: r.AgencyID, BrandAgencyID: r.AgencyID,
			Data: map[string]any{"Name": it.Name, "ReportTitle": d.Report.Title, "BrandReport": r.BrandName, "Range": rng,
				"Attached": it.attached, "URL": s.baseURL + "/r/" + it.token, "Cadence": cadence}}
		if it.clientID != "" {
			e.BrandClientID = it.clientID
		}
		if it.attached {
			e.Attachments = attachments[it.clientID]
		}
		if it.mail, err = s.mailer.Prepare(ctx, s.db, e); err != nil {
			if !errs.Is(err, errs.Invalid) {
				return false, err
			}
			it.status, it.reason, it.token = StatusFailed, "bad_address", ""
		}
	}
	for start := 0; start < len(items); start += s.Chunk {
		if err := s.queue(ctx, r.ID, occKey, items[start:min(start+s.Chunk, len(items))]); err != nil {
			return false, err
		}
	}
	counts := map[string]int{}
	for _, it := range items {
		counts[it.status]++
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE report_schedule_runs SET finished_at = ?, recipients = ? WHERE schedule_id = ? AND occurrence = ?`,
			now, len(items), r.ID, occKey); err != nil {
			return err
		}
		return record(ctx, tx, nil, r.AgencyID, now, "report_schedule.send", r.ID, nil, map[string]any{"report_id": r.ReportID,
			"occurrence": occKey, "queued": counts[StatusQueued], "skipped": counts[StatusSkipped], "failed": counts[StatusFailed]})
	})
	return err == nil, err
}

// queue writes one chunk: each recipient's delivery row and, when the row
// is new, its e-mail. A row already there (another process, or a run
// before a crash) means that recipient was dealt with. A few multi-row
// statements a chunk, not one per recipient: each round trip is time the
// transaction holds its locks.
func (s *Service) queue(ctx context.Context, scheduleID, occKey string, items []item) error {
	return s.inTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE report_schedule_runs SET lease_until = ? WHERE schedule_id = ? AND occurrence = ?`,
			now.Add(lease), scheduleID, occKey); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO report_deliveries (id, schedule_id, occurrence, user_id, email, name, status, reason,
			attached, mail_id, token_hash, created_at) VALUES `)
		args := make([]any, 0, len(items)*12)
		for i, it := range items {
			var mailID, hash any
			if it.status == StatusQueued {
				mailID, hash = it.mail.ID, id.Hash(it.token)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, id.New(id.Delivery), scheduleID, occKey, it.ID, it.Email, it.Name, it.status, it.reason,
				it.attached && it.status == StatusQueued, mailID, hash, now)
		}
		b.WriteString(` ON CONFLICT (schedule_id, occurrence, user_id) DO NOTHING RETURNING user_id`)
		var inserted []string
		if err := tx.Select(ctx, &inserted, b.String(), args...); err != nil {
			return err
		}
		mine := make(map[string]bool, len(inserted))
		for _, u := range inserted {
			mine[u] = true
		}
		ps := make([]mail.Prepared, 0, len(inserted))
		for _, it := range items {
			if mine[it.ID] && it.status == StatusQueued {
				ps = append(ps, it.mail)
			}
		}
		return s.mailer.SendPreparedMany(ctx, tx, ps)
	})
}

// pdfs renders the report's PDF once per branding among the recipients
// it is attached for: the agency's, and each client's own where the agency
// gave the client some (a client without any gets the agency's). Keyed by
// the recipient's client, "" for the agency's users.
func (s *Service) pdfs(ctx context.Context, agencyID string, d report.Data, items []item) (map[string][]mail.Attachment, error) {
	out := map[string][]mail.Attachment{}
	for _, it := range items {
		if !it.attached {
			continue
		}
		if _, ok := out[it.clientID]; ok {
			continue
		}
		b, logo, err := report.DocumentBrand(ctx, s.branding, agencyID, it.clientID)
		if err != nil {
			return nil, err
		}
		key := it.clientID
		if !b.ClientBranded {
			key = "" // nothing of its own: the agency's PDF
		}
		if a, ok := out[key]; ok {
			out[it.clientID] = a
			continue
		}
		a, err := s.pdf(ctx, d, b, logo)
		if err != nil {
			return nil, err
		}
		out[key], out[it.clientID] = a, a
	}
	return out, nil
}

// pdf renders the report's PDF in a brand and stores it once.
func (s *Service) pdf(ctx context.Context, d report.Data, b branding.Brand, logo report.Logo) ([]mail.Attachment, error) {
	var buf bytes.Buffer
	if err := report.WritePDF(&buf, d, b, logo); err != nil {
		return nil, fmt.Errorf("schedule: pdf: %w", err)
	}
	var hash string
	err := s.inTx(ctx, func(tx *db.Tx) error {
		var err error
		hash, err = s.mailer.StoreBlob(ctx, tx, buf.Bytes())
		return err
	})
	if err != nil {
		return nil, err
	}
	return []mail.Attachment{{Name: report.FileName(d, "pdf"), ContentType: "application/pdf", Blob: hash}}, nil
}

// TxStats are the write transactions a service's runs held: how many and
// the longest, from the first statement to the commit (the wait for the
// write connection excluded). The performance test reads them.
type TxStats struct {
	Count int
	Max   time.Duration
	Held  []time.Duration // each, in order
}

// Stats returns the transactions held so far.
func (s *Service) Stats() TxStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := s.stats
	out.Held = append([]time.Duration(nil), s.stats.Held...)
	return out
}

// inTx is db.InTx, timed.
func (s *Service) inTx(ctx context.Context, fn func(tx *db.Tx) error) error {
	var start time.Time
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		start = time.Now()
		return fn(tx)
	})
	if !start.IsZero() {
		held := time.Since(start)
		s.statsMu.Lock()
		s.stats.Count++
		s.stats.Max = max(s.stats.Max, held)
		s.stats.Held = append(s.stats.Held, held)
		s.statsMu.Unlock()
	}
	return err
}

// rangeWords is a range as the e-mail says it: "1 October 2026 to 31 October 2026".
func rangeWords(from, to string) string {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return from + " to " + to
	}
	if from == to {
		return f.Format("2 January 2006")
	}
	return f.Format("2 January 2006") + " to " + t.Format("2 January 2006")
}
