package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// EnqueueMany is Enqueue for many jobs in one statement, for callers that
// queue hundreds in a transaction that must stay short (issue 17's
// scheduled report e-mails): one round trip instead of one per job.
func (q *Queue) EnqueueMany(ctx context.Context, tx *db.Tx, js []Job) error {
	if len(js) == 0 {
		return nil
	}
	now := q.now().UTC().Truncate(time.Microsecond)
	var b strings.Builder
	b.WriteString(`INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, max_attempts, created_at, updated_at) VALUES `)
	args := make([]any, 0, len(js)*8)
	for i, j := range js {
		if j.Kind == "" {
			return errors.New("jobs: enqueue without a kind")
		}
		payload := []byte("{}")
		if j.Payload != nil {
			var err error
			if payload, err = json.Marshal(j.Payload); err != nil {
				return fmt.Errorf("jobs: encode %s payload: %w", j.Kind, err)
			}
		}
		runAt := now
		if !j.RunAt.IsZero() {
			runAt = j.RunAt.UTC().Truncate(time.Microsecond)
		}
		maxAttempts := j.MaxAttempts
		if maxAttempts <= 0 {
			maxAttempts = DefaultMaxAttempts
		}
		var key any
		if j.UniqueKey != "" {
			key = j.UniqueKey
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?)`)
		args = append(args, id.New(id.Job), j.Kind, string(payload), key, runAt, maxAttempts, now, now)
	}
	b.WriteString(` ON CONFLICT (unique_key) DO NOTHING`)
	if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("jobs: enqueue %d jobs: %w", len(js), err)
	}
	tx.AfterCommit(q.Wake)
	return nil
}
