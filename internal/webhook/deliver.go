package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// RetryWindow is how long a delivery is retried after it was queued (or
// resent) before it is marked failed.
const RetryWindow = 24 * time.Hour

// Statuses of a delivery.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Delivery is one event sent (or to be sent) to one endpoint.
type Delivery struct {
	ID            string          `json:"id"`
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	ClientID      string          `json:"client_id,omitempty"`
	Status        string          `json:"status" enum:"pending,delivered,failed"`
	Attempts      int             `json:"attempts"`
	ResponseCode  *int            `json:"response_code" doc:"The HTTP status of the last attempt; null when it got none"`
	LastError     string          `json:"last_error,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	LastAttemptAt *time.Time      `json:"last_attempt_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	Payload       json.RawMessage `json:"payload" doc:"The JSON body sent"`
}

type deliveryRow struct {
	ID            string  `db:"id"`
	EndpointID    string  `db:"endpoint_id"`
	EventID       string  `db:"event_id"`
	EventType     string  `db:"event_type"`
	ClientID      string  `db:"client_id"`
	Payload       string  `db:"payload"`
	Status        string  `db:"status"`
	Attempts      int     `db:"attempts"`
	Generation    int     `db:"generation"`
	ResponseCode  *int    `db:"response_code"`
	LastError     string  `db:"last_error"`
	RetrySince    db.Time `db:"retry_since"`
	NextAttemptAt db.Time `db:"next_attempt_at"`
	LastAttemptAt db.Time `db:"last_attempt_at"`
	DeliveredAt   db.Time `db:"delivered_at"`
	CreatedAt     db.Time `db:"created_at"`
}

const deliveryColumns = `id, endpoint_id, event_id, event_type, client_id, payload, status, attempts, generation, response_code,
	last_error, retry_since, next_attempt_at, last_attempt_at, delivered_at, created_at`

func ptr(t db.Time) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func (r deliveryRow) view() Delivery {
	return Delivery{ID: r.ID, EventID: r.EventID, EventType: r.EventType, ClientID: r.ClientID, Status: r.Status,
		Attempts: r.Attempts, ResponseCode: r.ResponseCode, LastError: r.LastError, CreatedAt: r.CreatedAt.Time,
		LastAttemptAt: ptr(r.LastAttemptAt), NextAttemptAt: ptr(r.NextAttemptAt), DeliveredAt: ptr(r.DeliveredAt),
		Payload: json.RawMessage(r.Payload)}
}

// Retention is how long finished deliveries are kept (Cleanup).
const Retention = 30 * 24 * time.Hour

// Cleanup deletes the delivered and failed deliveries older than Retention
// (a daily job); pending ones stay until they finish.
func (s *Service) Cleanup(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?`, s.now().Add(-Retention))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeliveryLimit is how many deliveries an endpoint's list shows.
const DeliveryLimit = 100

// Deliveries returns the endpoint's latest deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, rel authz.Relation, endpointID string) ([]Delivery, error) {
	if _, err := s.get(ctx, s.db, rel, endpointID); err != nil {
		return nil, err
	}
	var rows []deliveryRow
	if err := s.db.Select(ctx, &rows, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = ? AND agency_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, endpointID, rel.AccountID, DeliveryLimit); err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.view())
	}
	return out, nil
}

// Resend queues a delivery again now, whatever its status, with a fresh
// 24 hours of retries; a retry already scheduled is superseded.
func (s *Service) Resend(ctx context.Context, a *authz.Actor, rel authz.Relation, endpointID, deliveryID string) (Delivery, error) {
	if _, err := s.get(ctx, s.db, rel, endpointID); err != nil {
		return Delivery{}, err
	}
	now := s.now()
	var out deliveryRow
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.Get(ctx, &out, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ? AND endpoint_id = ? AND agency_id = ?`,
			deliveryID, endpointID, rel.AccountID); errors.Is(err, db.ErrNoRows) {
			return errs.ErrNotFound
		} else if err != nil {
			return err
		}
		before := out.Status
		gen := out.Generation + 1
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', generation = ?, retry_since = ?, next_attempt_at = ?,
			updated_at = ? WHERE id = ?`, gen, now, now, now, deliveryID); err != nil {
			return err
		}
		if err := jobs.Insert(ctx, tx, now, jobs.Job{Kind: outbox.Job, Payload: outbox.JobPayload{DeliveryID: deliveryID, Generation: gen},
			UniqueKey: outbox.JobKey(deliveryID, gen), MaxAttempts: 5}); err != nil {
			return err
		}
		out.Status, out.Generation, out.RetrySince, out.NextAttemptAt = Pending, gen, db.Time{Time: now, Valid: true}, db.Time{Time: now, Valid: true}
		return record(ctx, tx, a, rel.AccountID, now, "webhook.resend", deliveryID,
			map[string]any{"status": before}, map[string]any{"endpoint_id": endpointID, "event_id": out.EventID, "event_type": out.EventType})
	})
	if err != nil {
		return Delivery{}, err
	}
	return out.view(), nil
}

// backoff is the wait after the attempt-th failed attempt: 30 s doubling
// to at most an hour, less up to a tenth at random so that the deliveries
// of an endpoint that came back do not all retry at once.
func backoff(attempt int) time.Duration {
	d := 30 * time.Second << min(max(attempt-1, 0), 20)
	if d > time.Hour {
		d = time.Hour
	}
	return d - rand.N(d/10+1)
}

// Handle is the job that attempts a delivery (outbox.Job). It sends once,
// then records the outcome and, on failure within the retry window, the
// job of the next attempt, in one transaction guarded by the generation:
// a delivery resent meanwhile keeps its newer job, and a job of an older
// generation (a retry superseded by a resend) does nothing.
func (s *Service) Handle(ctx context.Context, payload json.RawMessage) error {
	var p outbox.JobPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return jobs.Permanent(err)
	}
	var r struct {
		deliveryRow
		URL            string  `db:"url"`
		Enabled        bool    `db:"enabled"`
		Secret         string  `db:"secret"`
		PreviousSecret string  `db:"previous_secret"`
		PreviousUntil  db.Time `db:"previous_until"`
	}
	err := s.db.Get(ctx, &r, `SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.client_id, d.payload, d.status, d.attempts,
		d.generation, d.response_code, d.last_error, d.retry_since, d.next_attempt_at, d.last_attempt_at, d.delivered_at, d.created_at,
		e.url, e.enabled, e.secret, e.previous_secret, e.previous_until
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?`, p.DeliveryID)
	if errors.Is(err, db.ErrNoRows) {
		return nil // the endpoint was deleted
	}
	if err != nil {
		return err
	}
	if r.Status != Pending || r.Generation != p.Generation {
		return nil
	}
	var code *int
	var sendErr error
	if !r.Enabled {
		sendErr = errors.New("the endpoint is disabled")
	} else {
		secrets := []string{r.Secret}
		if r.PreviousSecret != "" && r.PreviousUntil.Valid && r.PreviousUntil.Time.After(s.now()) {
			secrets = append(secrets, r.PreviousSecret)
		}
		code, sendErr = s.send(ctx, r.URL, r.ID, r.EventID, r.EventType, []byte(r.Payload), secrets)
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if sendErr == nil {
			_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, response_code = ?,
				last_error = '', last_attempt_at = ?, next_attempt_at = NULL, delivered_at = ?, updated_at = ?
				WHERE id = ? AND generation = ?`, code, now, now, now, r.ID, r.Generation)
			return err
		}
		msg := sendErr.Error()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		deadline := r.RetrySince.Time.Add(RetryWindow)
		if !r.Enabled || !now.Before(deadline) {
			_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, response_code = ?,
				last_error = ?, last_attempt_at = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND generation = ?`,
				code, msg, now, now, r.ID, r.Generation)
			return err
		}
		next := now.Add(backoff(r.Attempts + 1))
		if next.After(deadline) {
			next = deadline // one last attempt when the window closes
		}
		gen := r.Generation + 1
		res, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, generation = ?, response_code = ?, last_error = ?,
			last_attempt_at = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND generation = ?`,
			gen, code, msg, now, next, now, r.ID, r.Generation)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // resent meanwhile: its own job attempts it
		}
		return jobs.Insert(ctx, tx, now, jobs.Job{Kind: outbox.Job, Payload: outbox.JobPayload{DeliveryID: r.ID, Generation: gen},
			RunAt: next, UniqueKey: outbox.JobKey(r.ID, gen), MaxAttempts: 5})
	})
}

// send POSTs one signed delivery; any answer but a 2xx is a failure.
func (s *Service) send(ctx context.Context, url, deliveryID, eventID, eventType string, body []byte, secrets []string) (*int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Liaison-Webhooks/1")
	req.Header.Set("Liaison-Event-Id", eventID)
	req.Header.Set("Liaison-Event-Type", eventType)
	req.Header.Set("Liaison-Delivery-Id", deliveryID)
	req.Header.Set(SignatureHeader, signatureHeader(s.now(), body, secrets...))
	resp, err := s.sender.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	if code < 200 || code > 299 {
		return &code, fmt.Errorf("answered %d", code)
	}
	return &code, nil
}
