package schedule

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Delivery is one recipient's e-mail of one occurrence, as the agency sees
// it: queued or sent or failed (the outbox row's state), skipped (no
// access any more when it was due), and when its link was first opened.
type Delivery struct {
	ID         string     `json:"id"`
	ScheduleID string     `json:"schedule_id"`
	Occurrence string     `json:"occurrence" doc:"The occurrence's local date and time, in the agency's time zone"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Email      string     `json:"email"`
	Status     string     `json:"status" doc:"queued, sent, failed or skipped"`
	Reason     string     `json:"reason,omitempty" doc:"skipped: no_access; failed: bad_address or the mail server's refusal"`
	Attached   bool       `json:"attached" doc:"The PDF went with it (else only the link)"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`
	OpenedAt   *time.Time `json:"opened_at"`
}

type deliveryRow struct {
	ID         string  `db:"id"`
	ScheduleID string  `db:"schedule_id"`
	Occurrence string  `db:"occurrence"`
	UserID     string  `db:"user_id"`
	Name       string  `db:"name"`
	Email      string  `db:"email"`
	Status     string  `db:"status"`
	Reason     string  `db:"reason"`
	Attached   bool    `db:"attached"`
	CreatedAt  db.Time `db:"created_at"`
	OpenedAt   db.Time `db:"opened_at"`
	MailStatus *string `db:"mail_status"`
	MailError  *string `db:"mail_error"`
	SentAt     db.Time `db:"sent_at"`
}

func (r deliveryRow) delivery() Delivery {
	d := Delivery{ID: r.ID, ScheduleID: r.ScheduleID, Occurrence: r.Occurrence, UserID: r.UserID, Name: r.Name, Email: r.Email,
		Status: r.Status, Reason: r.Reason, Attached: r.Attached, CreatedAt: r.CreatedAt.Time, SentAt: r.SentAt.Ptr(), OpenedAt: r.OpenedAt.Ptr()}
	if r.Status == StatusQueued && r.MailStatus != nil {
		switch *r.MailStatus {
		case "sent":
			d.Status = "sent"
		case "failed":
			d.Status = "failed"
			if r.MailError != nil {
				d.Reason = *r.MailError
			}
		}
	}
	return d
}

// MaxDeliveries is the longest page of deliveries.
const MaxDeliveries = 500

// Deliveries lists a schedule's deliveries, newest occurrence first, a
// page of at most limit after the cursor.
func (s *Service) Deliveries(ctx context.Context, rel authz.Relation, scheduleID string, limit int, cursor string) ([]Delivery, string, error) {
	if err := manages(rel); err != nil {
		return nil, "", err
	}
	if _, err := s.get(ctx, s.db, rel, scheduleID); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > MaxDeliveries {
		limit = 100
	}
	q := `SELECT d.id, d.schedule_id, d.occurrence, d.user_id, d.name, d.email, d.status, d.reason, d.attached, d.created_at, d.opened_at,
		o.status AS mail_status, o.last_error AS mail_error, o.sent_at FROM report_deliveries d LEFT JOIN mail_outbox o ON o.id = d.mail_id
		WHERE d.schedule_id = ?`
	args := []any{scheduleID}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		occ, did, ok := strings.Cut(string(b), "|")
		if err != nil || !ok || !id.Valid(id.Delivery, did) {
			return nil, "", errs.InvalidField("cursor", "The cursor is not valid.")
		}
		q += ` AND (d.occurrence < ? OR (d.occurrence = ? AND d.id > ?))`
		args = append(args, occ, occ, did)
	}
	q += ` ORDER BY d.occurrence DESC, d.id LIMIT ?`
	args = append(args, limit+1)
	var rows []deliveryRow
	if err := s.db.Select(ctx, &rows, q, args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(last.Occurrence + "|" + last.ID))
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, next, nil
}

// Open returns the report a delivery's link leads to and records that the
// link was opened (the first time counts) when userID, the user following
// it, is its recipient: the link asks for a login first, so a mail
// scanner fetching it opens nothing. An unknown token is not found.
func (s *Service) Open(ctx context.Context, token, userID string) (string, error) {
	if token == "" || len(token) > 100 {
		return "", errs.ErrNotFound
	}
	h := id.Hash(token)
	var reportID string
	err := s.db.Get(ctx, &reportID, `SELECT s.report_id FROM report_deliveries d JOIN report_schedules s ON s.id = d.schedule_id
		WHERE d.token_hash = ?`, h)
	if errors.Is(err, db.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	_, err = s.db.Exec(ctx, `UPDATE report_deliveries SET opened_at = ? WHERE token_hash = ? AND user_id = ? AND opened_at IS NULL`,
		s.now(), h, userID)
	return reportID, err
}
