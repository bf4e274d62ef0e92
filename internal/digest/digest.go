// Package digest sends the weekly health digest (SPEC §5): on Monday at
// 08:00 in each agency's time zone (agency_settings.timezone), an e-mail to
// each of its admins who did not opt out (users.health_digest) listing the
// at-risk and churned clients and the biggest score drops of the week,
// with links to them.
//
// A periodic job (every 15 minutes) calls Run. Each agency's week is one
// row of digest_sends, inserted in the transaction that queues its e-mails:
// the primary key lets exactly one process send it, however many run the
// job, and a crash before the commit sends nothing and leaves the week to
// the next run. A digest that could not go out on Monday (the server was
// down) still goes out that day, not later in the week.
package digest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Listed is how many clients each part of a digest names.
const Listed = 10

// sendWindow is how long after Monday 08:00 a missed digest still goes out.
const sendWindow = 24 * time.Hour

// Service sends digests.
type Service struct {
	db      *db.DB
	clients *client.Service
	mailer  *mail.Mailer
	now     clock.Clock
	baseURL string
	log     *slog.Logger
}

// New returns the digest service.
func New(d *db.DB, clients *client.Service, m *mail.Mailer, now clock.Clock, baseURL string, log *slog.Logger) *Service {
	return &Service{db: d, clients: clients, mailer: m, now: now, baseURL: baseURL, log: log}
}

// WeekStart is the Monday 08:00, in loc, that starts the digest week of t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	days := (int(l.Weekday()) + 6) % 7 // days since Monday
	start := time.Date(l.Year(), l.Month(), l.Day()-days, 8, 0, 0, 0, loc)
	if start.After(l) {
		start = start.AddDate(0, 0, -7)
	}
	return start
}

// Run sends every digest that is due now and returns how many agencies got
// theirs.
func (s *Service) Run(ctx context.Context) (int, error) {
	var agencies []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.Select(ctx, &agencies, `SELECT id, name FROM accounts WHERE kind = 'agency' ORDER BY id`); err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range agencies {
		ok, err := s.sendIfDue(ctx, a.ID, a.Name)
		if err != nil {
			// One agency's failure does not hold the others back; the
			// next run tries it again.
			s.log.ErrorContext(ctx, "health digest", "agency", a.ID, "err", err)
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (s *Service) sendIfDue(ctx context.Context, agencyID, agencyName string) (bool, error) {
	now := s.now()
	set, err := agency.Settings(ctx, s.db, agencyID)
	if err != nil {
		return false, err
	}
	loc, err := set.Location()
	if err != nil {
		loc = time.UTC
	}
	start := WeekStart(now, loc)
	if now.Sub(start) >= sendWindow {
		return false, nil
	}
	week := start.Format("2006-01-02")
	var done int
	if err := s.db.Get(ctx, &done, `SELECT COUNT(*) FROM digest_sends WHERE agency_id = ? AND week = ?`, agencyID, week); err != nil || done > 0 {
		return false, err
	}
	data, err := s.clients.Digest(ctx, agencyID, now, Listed)
	if err != nil {
		return false, err
	}
	var admins []struct {
		ID    string `db:"id"`
		Name  string `db:"name"`
		Email string `db:"email"`
	}
	if err := s.db.Select(ctx, &admins, `SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = ? AND m.role = 'admin' AND u.health_digest ORDER BY u.id`, agencyID); err != nil {
		return false, err
	}
	sentNow := false
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO digest_sends (agency_id, week, sent_at, recipients) VALUES (?, ?, ?, ?)
			ON CONFLICT (agency_id, week) DO NOTHING`, agencyID, week, now, len(admins))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another process sent it
		}
		sentNow = true
		for _, u := range admins {
			token := id.Secret()
			if _, err := tx.Exec(ctx, `INSERT INTO digest_unsubscribe (token_hash, user_id, created_at) VALUES (?, ?, ?)`,
				id.Hash(token), u.ID, now); err != nil {
				return err
			}
			if err := s.mailer.Send(ctx, tx, mail.Email{Template: "health_digest", To: u.Email, AccountID: agencyID,
				Data: s.emailData(u.Name, agencyName, start, data, token)}); err != nil {
				return err
			}
		}
		return nil
	})
	return sentNow, err
}

// line is one client as the e-mail shows it.
type line struct {
	Name, URL, Detail string
}

func (s *Service) emailData(name, agencyName string, week time.Time, d client.DigestData, token string) map[string]any {
	clientURL := func(id string) string { return s.baseURL + "/app/clients/" + id }
	lines := func(cs []client.DigestClient) []line {
		out := make([]line, 0, len(cs))
		for _, c := range cs {
			detail := "no score"
			if c.Score != nil {
				detail = fmt.Sprintf("score %d", *c.Score)
			}
			if c.LastActive.Valid {
				detail += ", last active " + c.LastActive.Time.Format("2 Jan 2006")
			} else {
				detail += ", never active"
			}
			out = append(out, line{Name: c.Name, URL: clientURL(c.ID), Detail: detail})
		}
		return out
	}
	drops := make([]line, 0, len(d.Drops))
	for _, c := range d.Drops {
		drops = append(drops, line{Name: c.Name, URL: clientURL(c.ID), Detail: fmt.Sprintf("%d → %d (−%d)", c.WeekAgo, *c.Score, c.WeekAgo-*c.Score)})
	}
	return map[string]any{
		"Name": name, "AgencyName": agencyName, "Week": week.Format("2 January 2006"),
		"AtRisk": lines(d.AtRisk), "AtRiskTotal": d.AtRiskTotal, "AtRiskMore": d.AtRiskTotal - len(d.AtRisk),
		"Churned": lines(d.Churned), "ChurnedTotal": d.ChurnedTotal, "ChurnedMore": d.ChurnedTotal - len(d.Churned),
		"Drops":          drops,
		"URL":            s.baseURL + "/app/clients?status=at_risk",
		"UnsubscribeURL": s.baseURL + "/digest/unsubscribe/" + token,
		"ProfileURL":     s.baseURL + "/app/profile",
	}
}
