package mail

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// Stats counts outbox e-mails by status, for /metrics.
func (m *Mailer) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := m.d.Select(ctx, &rows, `SELECT status, COUNT(*) AS n FROM mail_outbox GROUP BY status`); err != nil {
		return nil, err
	}
	out := map[string]int{"queued": 0, "sent": 0, "failed": 0}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// OldestQueuedAge is how long the oldest queued e-mail has waited (0 when
// none is queued), for /metrics. It reads one entry of mail_outbox_queued.
func (m *Mailer) OldestQueuedAge(ctx context.Context) (time.Duration, error) {
	var oldest db.Time
	if err := m.d.Get(ctx, &oldest, `SELECT MIN(created_at) FROM mail_outbox WHERE status = 'queued'`); err != nil {
		return 0, err
	}
	if !oldest.Valid {
		return 0, nil
	}
	return max(m.now().Sub(oldest.Time), 0), nil
}
