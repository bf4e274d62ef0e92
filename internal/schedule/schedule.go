// Package schedule sends reports by e-mail on a schedule (SPEC §12
// "Scheduled e-mails", issue 17). A schedule hangs on a report: weekly on a
// weekday or monthly on a day (1–28 or the last), at an hour in the
// agency's time zone (rule.go), to recipients — client users of the
// clients that have the report's brand (one by one, or every admin of a
// client) and agency users. A periodic job (Run, run.go) sends each
// occurrence once across processes, through the outbox, one branded
// e-mail per recipient with the PDF attached when the recipient may export
// it, else a link; the link records when it was opened (Open). A
// recipient who lost access when the occurrence is sent is skipped, and
// the skip is a delivery row like the others (deliveries.go).
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/report"
)

var errNotFound = errs.ErrNotFound

// MaxRecipients bounds one schedule's recipient list (entries; "every
// admin of a client" is one entry).
const MaxRecipients = 5000

// Recipient is one entry of a schedule's list: a user (kind user), or
// every admin of a client (kind client_admins) as they are when each
// occurrence is sent.
type Recipient struct {
	Kind     string `json:"kind" doc:"user or client_admins"`
	UserID   string `json:"user_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Shown, never stored: who the entry is now.
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	ClientName string `json:"client_name,omitempty"`
}

// Schedule is a report's schedule.
type Schedule struct {
	ID         string      `json:"id"`
	ReportID   string      `json:"report_id"`
	Frequency  string      `json:"frequency" doc:"weekly or monthly"`
	Weekday    string      `json:"weekday,omitempty" doc:"weekly: monday … sunday"`
	Day        any         `json:"day,omitempty" doc:"monthly: 1–28, or \"last\""`
	Hour       int         `json:"hour" doc:"0–23, in the agency's time zone"`
	Timezone   string      `json:"timezone" doc:"The agency's time zone (its settings)"`
	Cadence    string      `json:"cadence" doc:"The rule in words"`
	Recipients []Recipient `json:"recipients"`
	NextAt     time.Time   `json:"next_at" doc:"The next occurrence"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Fields are a schedule's editable fields; nil keeps the value.
type Fields struct {
	Frequency  *string
	Weekday    *string
	Day        any // a JSON number 1–28 or the string "last" (or a number as a string)
	Hour       *int
	Recipients *[]Recipient
}

type row struct {
	ID         string  `db:"id"`
	ReportID   string  `db:"report_id"`
	AgencyID   string  `db:"agency_id"`
	Frequency  string  `db:"frequency"`
	Weekday    *int    `db:"weekday"`
	MonthDay   *int    `db:"month_day"`
	Hour       int     `db:"hour"`
	Recipients string  `db:"recipients"`
	CreatedAt  db.Time `db:"created_at"`
	UpdatedAt  db.Time `db:"updated_at"`
}

const columns = `s.id, s.report_id, s.agency_id, s.frequency, s.weekday, s.month_day, s.hour, s.recipients, s.created_at, s.updated_at`

func (r row) rule() rule {
	out := rule{freq: r.Frequency, hour: r.Hour}
	if r.Weekday != nil {
		out.weekday = time.Weekday(*r.Weekday)
	}
	if r.MonthDay != nil {
		out.day = *r.MonthDay
	}
	return out
}

func (r row) recipients() []Recipient {
	var out []Recipient
	_ = json.Unmarshal([]byte(r.Recipients), &out) // written by this package only
	if out == nil {
		out = []Recipient{}
	}
	return out
}

// Service is the schedules.
type Service struct {
	db       *db.DB
	authz    *authz.Authorizer
	reports  *report.Service
	branding *branding.Service
	mailer   *mail.Mailer
	now      clock.Clock
	baseURL  string
	log      *slog.Logger
	// Chunk is how many recipients one write transaction queues (run.go).
	Chunk int

	statsMu sync.Mutex
	stats   TxStats
}

// New returns the service.
func New(d *db.DB, z *authz.Authorizer, reports *report.Service, b *branding.Service, m *mail.Mailer, now clock.Clock, baseURL string, log *slog.Logger) *Service {
	return &Service{db: d, authz: z, reports: reports, branding: b, mailer: m, now: now, baseURL: strings.TrimRight(baseURL, "/"), log: log, Chunk: 10}
}

// location is the agency's time zone (UTC when unset or unknown).
func (s *Service) location(ctx context.Context, agencyID string) (*time.Location, string, error) {
	set, err := agency.Settings(ctx, s.db, agencyID)
	if err != nil {
		return nil, "", err
	}
	loc, err := set.Location()
	if err != nil || loc == nil {
		return time.UTC, "UTC", nil
	}
	return loc, loc.String(), nil
}

// manages checks a relation decided on the report's brand (CheckReport or
// CheckSchedule) for managing schedules.
func manages(rel authz.Relation) error {
	if !rel.Visible() || rel.BrandID == "" || rel.AccountKind != "agency" {
		return errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, authz.ReportScheduleManage) {
		return errs.ErrForbidden
	}
	return nil
}

func (s *Service) view(ctx context.Context, r row, loc *time.Location, tz string, people map[string]Candidate, clients map[string]string) Schedule {
	ru := r.rule()
	out := Schedule{ID: r.ID, ReportID: r.ReportID, Frequency: r.Frequency, Hour: r.Hour, Timezone: tz, Cadence: ru.cadence(tz),
		Recipients: r.recipients(), NextAt: ru.next(s.now(), loc).UTC(), CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
	if r.Frequency == Weekly {
		out.Weekday = weekdays[ru.weekday]
	} else if ru.day == 0 {
		out.Day = "last"
	} else {
		out.Day = ru.day
	}
	for i, rc := range out.Recipients {
		if c, ok := people[rc.UserID]; ok && rc.Kind == "user" {
			out.Recipients[i].Name, out.Recipients[i].Email, out.Recipients[i].ClientName = c.Name, c.Email, c.ClientName
		}
		if rc.Kind == "client_admins" {
			out.Recipients[i].ClientName = clients[rc.ClientID]
		}
	}
	return out
}

// List returns a report's schedules.
func (s *Service) List(ctx context.Context, rel authz.Relation, reportID string) ([]Schedule, error) {
	if err := manages(rel); err != nil {
		return nil, err
	}
	var rows []row
	if err := s.db.Select(ctx, &rows, `SELECT `+columns+` FROM report_schedules s JOIN reports r ON r.id = s.report_id
		WHERE s.report_id = ? AND r.brand_id = ? ORDER BY s.created_at, s.id`, reportID, rel.BrandID); err != nil {
		return nil, err
	}
	loc, tz, err := s.location(ctx, rel.AccountID)
	if err != nil {
		return nil, err
	}
	cands, err := s.Candidates(ctx, rel, rel.BrandID)
	if err != nil {
		return nil, err
	}
	people, clients := cands.index()
	out := make([]Schedule, len(rows))
	for i, r := range rows {
		out[i] = s.view(ctx, r, loc, tz, people, clients)
	}
	return out, nil
}

func (s *Service) get(ctx context.Context, q db.Querier, rel authz.Relation, scheduleID string) (row, error) {
	var r row
	err := q.Get(ctx, &r, `SELECT `+columns+` FROM report_schedules s JOIN reports r ON r.id = s.report_id
		WHERE s.id = ? AND r.brand_id = ? AND s.agency_id = ?`, scheduleID, rel.BrandID, rel.AccountID)
	if errors.Is(err, db.ErrNoRows) {
		return row{}, errs.ErrNotFound
	}
	return r, err
}

// Get returns one schedule, for a relation decided on it (CheckSchedule).
func (s *Service) Get(ctx context.Context, rel authz.Relation, scheduleID string) (Schedule, error) {
	if err := manages(rel); err != nil {
		return Schedule{}, err
	}
	r, err := s.get(ctx, s.db, rel, scheduleID)
	if err != nil {
		return Schedule{}, err
	}
	return s.show(ctx, rel, r)
}

func (s *Service) show(ctx context.Context, rel authz.Relation, r row) (Schedule, error) {
	loc, tz, err := s.location(ctx, rel.AccountID)
	if err != nil {
		return Schedule{}, err
	}
	cands, err := s.Candidates(ctx, rel, rel.BrandID)
	if err != nil {
		return Schedule{}, err
	}
	people, clients := cands.index()
	return s.view(ctx, r, loc, tz, people, clients), nil
}

// parseDay reads a monthly day: 1–28 or "last". 29–31 are refused with the
// way out, as not every month has them.
func parseDay(v any) (int, error) {
	bad := errs.InvalidField("day", "Choose a day from 1 to 28, or \"last\" for the month's last day.")
	var n int
	switch d := v.(type) {
	case float64:
		if d != math.Trunc(d) {
			return 0, bad
		}
		n = int(d)
	case int:
		n = d
	case string:
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "last" {
			return 0, nil
		}
		var err error
		if n, err = strconv.Atoi(d); err != nil {
			return 0, bad
		}
	default:
		return 0, bad
	}
	if n >= 29 && n <= 31 {
		return 0, errs.InvalidField("day", "Day %d does not exist in every month, so the report would skip some months. "+
			"Choose \"last\" to send it on the last day of every month, or a day from 1 to 28.", n)
	}
	if n < 1 || n > 28 {
		return 0, bad
	}
	return n, nil
}

// apply validates an edit of r as a whole. A weekly schedule needs a
// weekday and no day; a monthly one a day and no weekday.
func apply(r row, f Fields) (row, error) {
	if f.Frequency != nil {
		if *f.Frequency != Weekly && *f.Frequency != Monthly {
			return r, errs.InvalidField("frequency", "Choose weekly or monthly.")
		}
		if *f.Frequency != r.Frequency {
			r.Weekday, r.MonthDay = nil, nil
		}
		r.Frequency = *f.Frequency
	}
	if r.Frequency == "" {
		return r, errs.InvalidField("frequency", "Choose weekly or monthly.")
	}
	if f.Weekday != nil {
		if r.Frequency != Weekly {
			return r, errs.InvalidField("weekday", "A monthly schedule has a day, not a weekday.")
		}
		found := -1
		for i, w := range weekdays {
			if strings.EqualFold(strings.TrimSpace(*f.Weekday), w) {
				found = i
			}
		}
		if found < 0 {
			return r, errs.InvalidField("weekday", "Choose a weekday: monday, tuesday, … sunday.")
		}
		r.Weekday = &found
	}
	if f.Day != nil {
		if r.Frequency != Monthly {
			return r, errs.InvalidField("day", "A weekly schedule has a weekday, not a day.")
		}
		d, err := parseDay(f.Day)
		if err != nil {
			return r, err
		}
		r.MonthDay = &d
	}
	if r.Frequency == Weekly && r.Weekday == nil {
		return r, errs.InvalidField("weekday", "Choose a weekday: monday, tuesday, … sunday.")
	}
	if r.Frequency == Monthly && r.MonthDay == nil {
		return r, errs.InvalidField("day", "Choose a day from 1 to 28, or \"last\" for the month's last day.")
	}
	if f.Hour != nil {
		if *f.Hour < 0 || *f.Hour > 23 {
			return r, errs.InvalidField("hour", "Choose an hour from 0 to 23.")
		}
		r.Hour = *f.Hour
	}
	return r, nil
}

// checkRecipients validates the list against who may receive the brand's
// report now: client users of clients that have the brand, those clients,
// and the agency's users. Duplicates are dropped; shown fields are not
// stored.
func checkRecipients(list []Recipient, c Candidates) ([]Recipient, error) {
	if len(list) == 0 {
		return nil, errs.InvalidField("recipients", "Choose at least one recipient.")
	}
	if len(list) > MaxRecipients {
		return nil, errs.InvalidField("recipients", "Choose at most %d recipients.", MaxRecipients)
	}
	people, clients := c.index()
	seen := map[string]bool{}
	out := make([]Recipient, 0, len(list))
	for i, rc := range list {
		field := fmt.Sprintf("recipients[%d]", i)
		bad := func(msg string) error {
			return &errs.Error{Kind: errs.Invalid, Code: "invalid_recipient", Field: field, Message: fmt.Sprintf("Recipient %d: %s", i, msg)}
		}
		var k string
		switch rc.Kind {
		case "user":
			if _, ok := people[rc.UserID]; !ok || rc.ClientID != "" {
				return nil, bad("not a user of your agency or of a client that has this brand.")
			}
			out = append(out, Recipient{Kind: "user", UserID: rc.UserID})
			k = "u:" + rc.UserID
		case "client_admins":
			if _, ok := clients[rc.ClientID]; !ok || rc.UserID != "" {
				return nil, bad("not a client that has this brand.")
			}
			k = "c:" + rc.ClientID
			out = append(out, Recipient{Kind: "client_admins", ClientID: rc.ClientID})
		default:
			return nil, bad("kind is user (with user_id) or client_admins (with client_id).")
		}
		if seen[k] {
			out = out[:len(out)-1]
		}
		seen[k] = true
	}
	return out, nil
}

// Create adds a schedule to a report.
func (s *Service) Create(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID string, f Fields) (Schedule, error) {
	if err := manages(rel); err != nil {
		return Schedule{}, err
	}
	hour := 8
	r, err := apply(row{Hour: hour}, f)
	if err != nil {
		return Schedule{}, err
	}
	if f.Recipients == nil {
		return Schedule{}, errs.InvalidField("recipients", "Choose at least one recipient.")
	}
	cands, err := s.Candidates(ctx, rel, rel.BrandID)
	if err != nil {
		return Schedule{}, err
	}
	list, err := checkRecipients(*f.Recipients, cands)
	if err != nil {
		return Schedule{}, err
	}
	rs, _ := json.Marshal(list)
	now := s.now()
	r.ID, r.ReportID, r.AgencyID, r.Recipients, r.CreatedAt, r.UpdatedAt = id.New(id.Schedule), reportID, rel.AccountID, string(rs), db.Time{Time: now}, db.Time{Time: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM reports WHERE id = ? AND brand_id = ?`, reportID, rel.BrandID); err != nil || n == 0 {
			if err == nil {
				err = errs.ErrNotFound
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_schedules (id, report_id, agency_id, frequency, weekday, month_day, hour, recipients,
			created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, reportID, rel.AccountID, r.Frequency,
			r.Weekday, r.MonthDay, r.Hour, r.Recipients, actorOf(a), now, now); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "report_schedule.create", r.ID, nil, summary(r))
	})
	if err != nil {
		return Schedule{}, err
	}
	return s.show(ctx, rel, r)
}

// Update changes a schedule; recipients, when given, replace the list.
func (s *Service) Update(ctx context.Context, a *authz.Actor, rel authz.Relation, scheduleID string, f Fields) (Schedule, error) {
	if err := manages(rel); err != nil {
		return Schedule{}, err
	}
	var list []Recipient
	if f.Recipients != nil {
		cands, err := s.Candidates(ctx, rel, rel.BrandID)
		if err != nil {
			return Schedule{}, err
		}
		if list, err = checkRecipients(*f.Recipients, cands); err != nil {
			return Schedule{}, err
		}
	}
	var out row
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.get(ctx, tx, rel, scheduleID)
		if err != nil {
			return err
		}
		next, err := apply(cur, f)
		if err != nil {
			return err
		}
		if list != nil {
			rs, _ := json.Marshal(list)
			next.Recipients = string(rs)
		}
		next.UpdatedAt = db.Time{Time: s.now()}
		if _, err := tx.Exec(ctx, `UPDATE report_schedules SET frequency = ?, weekday = ?, month_day = ?, hour = ?, recipients = ?, updated_at = ?
			WHERE id = ?`, next.Frequency, next.Weekday, next.MonthDay, next.Hour, next.Recipients, next.UpdatedAt.Time, scheduleID); err != nil {
			return err
		}
		out = next
		return record(ctx, tx, a, rel.AccountID, next.UpdatedAt.Time, "report_schedule.update", scheduleID, summary(cur), summary(next))
	})
	if err != nil {
		return Schedule{}, err
	}
	return s.show(ctx, rel, out)
}

// Delete removes a schedule and its deliveries' history.
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, scheduleID string) error {
	if err := manages(rel); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.get(ctx, tx, rel, scheduleID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM report_schedules WHERE id = ?`, scheduleID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, s.now(), "report_schedule.delete", scheduleID, summary(cur), nil)
	})
}

func summary(r row) map[string]any {
	m := map[string]any{"report_id": r.ReportID, "frequency": r.Frequency, "hour": r.Hour, "recipients": json.RawMessage(r.Recipients)}
	if r.Weekday != nil {
		m["weekday"] = weekdays[*r.Weekday]
	}
	if r.MonthDay != nil {
		m["day"] = *r.MonthDay
	}
	return m
}

func actorOf(a *authz.Actor) any {
	if a == nil {
		return nil
	}
	return a.UserID
}

func record(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, before, after any) error {
	return audit.AppendAs(ctx, tx, now, a, audit.Entry{AccountID: agencyID, Action: action, TargetID: target, Before: before, After: after})
}
