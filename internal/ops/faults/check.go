package faults

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

func (s *suite) open(ctx context.Context) (*db.DB, error) {
	return db.Open(ctx, s.cfg.PostgresURL, filepath.Join(s.dataDir(0), "liaison.db"))
}

// drain waits, with the processes running, until no e-mail is queued.
func (s *suite) drain(ctx context.Context, timeout time.Duration) error {
	d, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued'`); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d e-mails still queued %v after the last fault", n, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type outboxRow struct {
	ID          string  `db:"id"`
	To          string  `db:"to_addr"`
	MessageID   string  `db:"message_id"`
	Status      string  `db:"status"`
	Interrupted int     `db:"interrupted"`
	CreatedAt   db.Time `db:"created_at"`
}

// check compares what the workers were told with what the database holds
// and what the SMTP sink received.
func (s *suite) check(ctx context.Context, res *Result) error {
	d, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()

	// What the sink received, by Message-ID.
	received := map[string][]time.Time{}
	byAddr := map[string]map[string]bool{}
	for _, m := range s.sink.Messages() {
		h, err := m.Header()
		if err != nil {
			return err
		}
		mid := strings.Trim(h.Get("Message-Id"), "<>")
		received[mid] = append(received[mid], m.Received)
		for _, to := range m.To {
			to = strings.ToLower(to)
			if byAddr[to] == nil {
				byAddr[to] = map[string]bool{}
			}
			byAddr[to][mid] = true
		}
	}
	res.Emails = len(received)
	for _, ts := range received {
		if len(ts) < 2 {
			continue
		}
		res.Duplicates++
		// The resend's wait: from the kill that interrupted the first
		// attempt to the second arrival.
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for _, k := range s.kills {
			if k.After(ts[0]) && k.Before(ts[1]) {
				res.ResendMaxDelay = max(res.ResendMaxDelay, ts[1].Sub(k))
			}
		}
	}

	// Everything read once, then looked up by address: per-attempt
	// queries on unindexed columns made the check quadratic.
	var invRows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := d.Select(ctx, &invRows, `SELECT id, email FROM invitations`); err != nil {
		return err
	}
	invsOf := map[string][]string{}
	for _, r := range invRows {
		invsOf[r.Email] = append(invsOf[r.Email], r.ID)
	}
	var auditRows []struct {
		Target string `db:"target_id"`
		N      int    `db:"n"`
	}
	if err := d.Select(ctx, &auditRows, `SELECT target_id, COUNT(*) AS n FROM audit_events
		WHERE action = 'invitation.create' GROUP BY target_id`); err != nil {
		return err
	}
	auditsOf := map[string]int{}
	for _, r := range auditRows {
		auditsOf[r.Target] = r.N
	}
	var all []outboxRow
	if err := d.Select(ctx, &all, `SELECT id, to_addr, message_id, status, interrupted, created_at FROM mail_outbox`); err != nil {
		return err
	}
	outboxOf := map[string][]outboxRow{}
	for _, r := range all {
		outboxOf[r.To] = append(outboxOf[r.To], r)
	}

	for _, a := range s.attempts {
		if a.acked {
			res.Acked++
		} else {
			res.Unacked++
		}
		invs := invsOf[a.email]
		audits := 0
		for _, id := range invs {
			audits += auditsOf[id]
		}
		rows := outboxOf[a.email]
		delivered := len(byAddr[a.email])
		// A client invitation writes its entry into the agency's trail and
		// the new client's: at least one, none when nothing committed.
		whole := len(invs) == 1 && audits >= 1 && len(rows) == 1 && rows[0].Status == "sent" && delivered == 1
		none := len(invs) == 0 && audits == 0 && len(rows) == 0 && delivered == 0
		what := fmt.Sprintf("%s: %d invitations, %d audit entries, %d outbox rows, %d delivered", a.email, len(invs), audits, len(rows), delivered)
		switch {
		case a.acked && (!whole || invs[0] != a.invID):
			res.Missing = append(res.Missing, what)
		case !a.acked && whole:
			res.UnackedDone++
		case !a.acked && !none:
			res.HalfDone = append(res.HalfDone, what)
		}
	}

	if err := s.checkViews(ctx, d, res); err != nil {
		return err
	}

	// Delay: for each e-mail created before a kill and first received
	// after it, the time from that kill to its arrival.
	var delays []time.Duration
	for _, r := range all {
		if r.Interrupted > 0 {
			res.Interrupted++
		}
		ts := received[r.MessageID]
		if len(ts) == 0 {
			continue
		}
		first := ts[0]
		for _, t := range ts {
			if t.Before(first) {
				first = t
			}
		}
		var kill time.Time
		for _, k := range s.kills {
			if k.After(r.CreatedAt.Time) && k.Before(first) && k.After(kill) {
				kill = k
			}
		}
		if !kill.IsZero() {
			delays = append(delays, first.Sub(kill))
		}
	}
	res.Pending = len(delays)
	if len(delays) > 0 {
		res.MedianDelay = median(delays)
		res.MaxDelay = delays[len(delays)-1]
	}
	return nil
}
