package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/metrics"
)

// deliver is the "mail.deliver" job. It is idempotent: the queue delivers a
// job at least once, and a row already sent (or given up on) is left alone.
//
// Before talking to the SMTP server it records and commits the attempt
// (attempt_started_at). A process killed during the conversation, or
// between the server's acceptance and the "sent" UPDATE, leaves it set: the
// job is reclaimed within seconds (the queue's heartbeat), and the next run
// knows the message may already have been delivered. It sends it again —
// at least once beats at most once for password resets and invitations —
// with the same stored Message-ID, so receivers (and the fault suite) can
// drop the duplicate, and counts it (interrupted, and
// liaison_mail_interrupted_total).
func (m *Mailer) deliver(ctx context.Context, payload json.RawMessage) error {
	var p deliverPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.ID == "" {
		return jobs.Permanent(fmt.Errorf("mail.deliver: bad payload %s", payload))
	}
	msg, err := get(ctx, m.d, p.ID)
	if errors.Is(err, errs.ErrNotFound) {
		return jobs.Permanent(fmt.Errorf("mail.deliver: no outbox row %s", p.ID))
	}
	if err != nil {
		return err
	}
	if msg.Status != StatusQueued {
		return nil
	}
	if m.sender == nil {
		return m.markSent(ctx, msg, TransportLocal)
	}
	if msg.Attachments, err = attachments(ctx, m.d, msg.ID); err != nil {
		return err
	}
	if ok, err := m.markAttempt(ctx, msg); err != nil || !ok {
		return err
	}
	sendErr := m.sender.Send(ctx, msg)
	if sendErr == nil {
		return m.markSent(ctx, msg, TransportSMTP)
	}
	return m.markAttemptFailed(ctx, msg, sendErr)
}

// markAttempt commits the start of an attempt. It reports false when the
// row is no longer queued (another run finished it).
func (m *Mailer) markAttempt(ctx context.Context, msg Message) (bool, error) {
	now := m.now().UTC().Truncate(time.Microsecond)
	res, err := m.d.Exec(ctx, `UPDATE mail_outbox SET attempt_started_at = ?,
		interrupted = interrupted + CASE WHEN attempt_started_at IS NULL THEN 0 ELSE 1 END
		WHERE id = ? AND status = 'queued'`, now, msg.ID)
	if err != nil {
		// Not sending without the record: the job retries.
		return false, fmt.Errorf("mail.deliver: record attempt on %s: %w", msg.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if msg.AttemptStarted != nil {
		metrics.MailInterrupted.Inc()
		m.log.Warn("mail: the last attempt died midway; sending again with the same Message-ID",
			"id", msg.ID, "message_id", msg.messageID(), "attempt_started_at", *msg.AttemptStarted)
	}
	return true, nil
}

// markSent records the delivery. The status condition makes a concurrent or
// repeated run a no-op rather than a second "sent".
func (m *Mailer) markSent(ctx context.Context, msg Message, transport string) error {
	now := m.now().UTC().Truncate(time.Microsecond)
	_, err := m.d.Exec(ctx, `UPDATE mail_outbox SET status = 'sent', sent_at = ?, transport = ?,
		attempts = attempts + 1, last_error = '', attempt_started_at = NULL WHERE id = ? AND status = 'queued'`, now, transport, msg.ID)
	if err != nil {
		// The message went out but the row could not say so; returning the
		// error retries the job, which may send it again — at least once.
		return fmt.Errorf("mail.deliver: mark %s sent: %w", msg.ID, err)
	}
	metrics.MailDelivered.WithLabelValues(transport, "sent").Inc()
	m.log.Info("mail sent", "id", msg.ID, "template", msg.Template, "transport", transport)
	return nil
}

// markAttemptFailed records a failed attempt on the row, which the operator
// sees on the outbox page, and decides whether the queue should try again: no
// after MaxAttempts, or at once when the server refused the message for good.
func (m *Mailer) markAttemptFailed(ctx context.Context, msg Message, sendErr error) error {
	attempts := msg.Attempts + 1
	final := attempts >= MaxAttempts || isPermanent(sendErr)
	status := StatusQueued
	if final {
		status = StatusFailed
	}
	errText := sendErr.Error()
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	_, err := m.d.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, status = ?,
		transport = 'smtp', attempt_started_at = NULL WHERE id = ? AND status = 'queued'`, errText, status, msg.ID)
	if err != nil {
		return errors.Join(sendErr, fmt.Errorf("mail.deliver: record attempt on %s: %w", msg.ID, err))
	}
	if final {
		metrics.MailDelivered.WithLabelValues(TransportSMTP, "failed").Inc()
		m.log.Error("mail failed", "id", msg.ID, "template", msg.Template, "attempts", attempts, "err", sendErr)
		return jobs.Permanent(sendErr)
	}
	metrics.MailDelivered.WithLabelValues(TransportSMTP, "retry").Inc()
	m.log.Warn("mail delivery will be retried", "id", msg.ID, "attempts", attempts, "err", sendErr)
	return sendErr
}
