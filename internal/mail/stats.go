package mail

import "context"

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
